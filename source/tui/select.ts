import {type ColumnId, columns} from '../model/columns.js';
import {matchesFilter, type RowFilter} from '../model/filter.js';
import {compareRows} from '../model/join.js';
import type {SnapshotRow} from '../model/snapshot-row.js';
import type {Snapshot} from '../snapshot.js';

/** What row selection depends on. */
export interface RowSource {
  readonly snapshot: Snapshot | null;
  readonly filter: RowFilter;
  readonly sort: {readonly column: ColumnId; readonly descending: boolean};
}

const numeric: Partial<Record<ColumnId, (row: SnapshotRow) => number>> = {
  port: (row) => row.port,
  pid: (row) => row.pid ?? -1,
  uptime: (row) => row.uptimeSeconds ?? -1,
};

let memo: {
  snapshot: Snapshot | null;
  filter: RowFilter | null;
  sort: RowSource['sort'] | null;
  rows: SnapshotRow[];
} = {
  snapshot: null,
  filter: null,
  sort: null,
  rows: [],
};

/**
 * The rows to show: filtered, then sorted by the chosen column (ties by port, protocol,
 * address, so the order is stable). Remembers the last answer: a render, a key and the
 * reducer all ask for the same rows.
 */
export function selectRows(source: RowSource): SnapshotRow[] {
  if (
    memo.snapshot === source.snapshot &&
    memo.filter === source.filter &&
    memo.sort === source.sort
  ) {
    return memo.rows;
  }
  const all = source.snapshot?.rows ?? [];
  const filtered = all.filter((row) => matchesFilter(row, source.filter));
  const {column, descending} = source.sort;
  const toNumber = numeric[column];
  const cell = columns.find((candidate) => candidate.id === column)?.cell;
  const direction = descending ? -1 : 1;
  const sorted = filtered.sort((a, b) => {
    const primary = toNumber
      ? toNumber(a) - toNumber(b)
      : (cell?.(a) ?? '').localeCompare(cell?.(b) ?? '');
    return primary * direction || compareRows(a, b);
  });
  memo = {snapshot: source.snapshot, filter: source.filter, sort: source.sort, rows: sorted};
  return sorted;
}

/** The window of rows on screen: `height` rows from `scrollTop`. */
export function selectWindow(
  rows: readonly SnapshotRow[],
  scrollTop: number,
  height: number,
): readonly SnapshotRow[] {
  return rows.slice(scrollTop, scrollTop + height);
}
