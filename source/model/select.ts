import {type ColumnId, columns} from './columns.js';
import {matchesFilter, type RowFilter} from './filter.js';
import {compareRows} from './join.js';
import type {SnapshotRow} from './snapshot-row.js';

/** How rows are chosen and ordered: the filter, and the sort column and direction. */
export interface RowOrder {
  readonly filter: RowFilter;
  readonly sort: {readonly column: ColumnId; readonly descending: boolean};
}

const numeric: Partial<Record<ColumnId, (row: SnapshotRow) => number>> = {
  port: (row) => row.port,
  pid: (row) => row.pid ?? -1,
  uptime: (row) => row.uptimeSeconds ?? -1,
};

let memo: {
  rows: readonly SnapshotRow[] | null;
  filter: RowFilter | null;
  sort: RowOrder['sort'] | null;
  selected: SnapshotRow[];
} = {rows: null, filter: null, sort: null, selected: []};

/**
 * The rows to show: `rows` filtered, then sorted by the chosen column (ties by port,
 * protocol, address, so the order is stable). Returns a new array, never `rows` itself.
 * Remembers the last answer, keyed on the identity of `rows`, filter and sort: a render, a
 * key and the reducer all ask for the same rows.
 */
export function selectRows(rows: readonly SnapshotRow[], order: RowOrder): SnapshotRow[] {
  if (memo.rows === rows && memo.filter === order.filter && memo.sort === order.sort) {
    return memo.selected;
  }
  const filtered = rows.filter((row) => matchesFilter(row, order.filter));
  const {column, descending} = order.sort;
  const toNumber = numeric[column];
  const cell = columns.find((candidate) => candidate.id === column)?.cell;
  const direction = descending ? -1 : 1;
  const selected = filtered.sort((a, b) => {
    const primary = toNumber
      ? toNumber(a) - toNumber(b)
      : (cell?.(a) ?? '').localeCompare(cell?.(b) ?? '');
    return primary * direction || compareRows(a, b);
  });
  memo = {rows, filter: order.filter, sort: order.sort, selected};
  return selected;
}

/** The window of rows on screen: `height` rows from `scrollTop`. */
export function selectWindow(
  rows: readonly SnapshotRow[],
  scrollTop: number,
  height: number,
): readonly SnapshotRow[] {
  return rows.slice(scrollTop, scrollTop + height);
}
