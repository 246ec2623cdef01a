import type {ColumnId} from './columns.js';
import {matchesFilter, type RowFilter} from './filter.js';
import {formatAddresses, formatCompose, formatContainer, formatProcess} from './format.js';
import {compareRows} from './join.js';
import type {SnapshotRow} from './snapshot-row.js';

/** How rows are chosen and ordered: the filter, and the sort column and direction. */
export interface RowOrder {
  readonly filter: RowFilter;
  readonly sort: {readonly column: ColumnId; readonly descending: boolean};
}

const numeric = {
  port: (row) => row.port,
  pid: (row) => row.pid ?? -1,
  // By start time, not uptimeSeconds: a live snapshot keeps rows from earlier joins, whose
  // uptimes were counted at different times (keepUnchangedRows). Older first is longer up.
  uptime: (row) => (row.startedAt === null ? Number.NEGATIVE_INFINITY : -row.startedAt),
} as const satisfies Partial<Record<ColumnId, (row: SnapshotRow) => number>>;

/**
 * What the other columns sort by: the text their cell shows (columns.ts; a test keeps the
 * two equal). Kept here, not read from `columns`, so that sorting does not load the width
 * measuring of the table (string-width costs --json and --once about 70 ms to load).
 */
const textual: Record<Exclude<ColumnId, keyof typeof numeric>, (row: SnapshotRow) => string> = {
  host: (row) => row.host?.name ?? '',
  proto: (row) => row.protocol,
  address: formatAddresses,
  process: formatProcess,
  user: (row) => row.user ?? '-',
  container: formatContainer,
  compose: formatCompose,
  image: (row) => row.container?.image || '-',
};

/** Every column rows can be sorted by, in display order. */
export const sortColumns: readonly ColumnId[] = [
  'host',
  'proto',
  'address',
  'port',
  'pid',
  'process',
  'user',
  'container',
  'compose',
  'image',
  'uptime',
];

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
  const toNumber = column in numeric ? numeric[column as keyof typeof numeric] : undefined;
  const cell = column in textual ? textual[column as keyof typeof textual] : undefined;
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
