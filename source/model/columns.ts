import stringWidth from 'string-width';
import {
  formatAddresses,
  formatContainer,
  formatPort,
  formatProcess,
  formatUptime,
} from './format.js';
import type {SnapshotRow} from './snapshot-row.js';

/** The columns of the host view. */
export type ColumnId =
  | 'proto'
  | 'address'
  | 'port'
  | 'pid'
  | 'process'
  | 'user'
  | 'container'
  | 'image'
  | 'uptime';

/** How one column looks and what it shows. */
export interface Column {
  readonly id: ColumnId;
  readonly title: string;
  /** Narrowest width before the column is dropped instead. */
  readonly min: number;
  /** Widest it grows to. */
  readonly max: number;
  readonly align: 'left' | 'right';
  /** Lower numbers are dropped first when even the minimums do not fit. */
  readonly priority: number;
  readonly cell: (row: SnapshotRow) => string;
}

/** Every column, in display order. */
export const columns: readonly Column[] = [
  {
    id: 'proto',
    title: 'PROTO',
    min: 3,
    max: 5,
    align: 'left',
    priority: 6,
    cell: (row) => row.protocol,
  },
  {
    id: 'address',
    title: 'ADDRESS',
    min: 7,
    max: 41,
    align: 'left',
    priority: 5,
    cell: formatAddresses,
  },
  {
    id: 'port',
    title: 'PORT',
    min: 5,
    // A published range that no process holds reads `10000-20000`.
    max: 11,
    align: 'right',
    priority: 9,
    cell: (row) => formatPort(row),
  },
  {
    id: 'pid',
    title: 'PID',
    min: 3,
    max: 8,
    align: 'right',
    priority: 7,
    cell: (row) => (row.pid === null ? '-' : String(row.pid)),
  },
  {
    id: 'process',
    title: 'PROCESS',
    min: 6,
    max: 20,
    align: 'left',
    priority: 8,
    cell: formatProcess,
  },
  {
    id: 'user',
    title: 'USER',
    min: 4,
    max: 12,
    align: 'left',
    priority: 3,
    cell: (row) => row.user ?? '-',
  },
  {
    id: 'container',
    title: 'CONTAINER',
    min: 6,
    max: 30,
    align: 'left',
    priority: 8,
    cell: formatContainer,
  },
  {
    id: 'image',
    title: 'IMAGE',
    min: 6,
    max: 40,
    align: 'left',
    priority: 2,
    cell: (row) => row.container?.image || '-',
  },
  {
    id: 'uptime',
    title: 'UPTIME',
    min: 6,
    max: 6,
    align: 'right',
    priority: 1,
    cell: (row) => formatUptime(row.uptimeSeconds),
  },
];

/** Display width of text in terminal cells (wide characters count 2, combining marks 0). */
function textWidth(text: string): number {
  return stringWidth(text);
}

/** C0 controls, DEL and C1 controls: ESC starts terminal escape sequences, CSI (0x9B) too. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point.
const controlCharacters = /[\u0000-\u001F\u007F-\u009F]/g;

/**
 * `text` safe to print on a terminal: each control character becomes '?', as ps and htop show
 * them. Process names, command lines, container names, images and labels come from other
 * users and from engines; printed raw, an ESC in them would be a terminal escape sequence
 * (recolour, retitle, rewrite the clipboard) sent to whoever runs the dashboard, often root.
 */
export function printable(text: string): string {
  return text.replace(controlCharacters, '?');
}

/**
 * `text` cut to `width` cells, ending in '…' when cut; wide characters are never split.
 * Control characters are shown as '?' first (see printable): every cell and line the views
 * draw passes through here.
 */
export function truncate(text: string, width: number): string {
  if (width <= 0) {
    return '';
  }
  const safe = printable(text);
  if (textWidth(safe) <= width) {
    return safe;
  }
  let out = '';
  let used = 0;
  for (const char of safe) {
    const charWidth = textWidth(char);
    if (used + charWidth > width - 1) {
      break;
    }
    out += char;
    used += charWidth;
  }
  return `${out}…`;
}

/** `text` padded with spaces to exactly `width` cells (cut first if longer). */
export function fitCell(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  const cut = truncate(text, width);
  const pad = ' '.repeat(Math.max(0, width - textWidth(cut)));
  return align === 'left' ? cut + pad : pad + cut;
}

/** A column with the width it gets. */
export interface PlacedColumn {
  readonly column: Column;
  readonly width: number;
}

/**
 * Widths for `rows` in `totalWidth` cells (null: as wide as the content). Each column gets
 * its content's width up to its max; when that does not fit, the widest columns give up cells
 * down to their minimums; when even that does not fit, the least important columns go.
 * Columns are separated by one space.
 */
export function layoutColumns(
  rows: readonly SnapshotRow[],
  totalWidth: number | null,
): PlacedColumn[] {
  let placed = columns.map((column) => {
    let width = textWidth(column.title);
    for (const row of rows) {
      width = Math.max(width, textWidth(printable(column.cell(row))));
    }
    return {
      column,
      width: Math.min(width, totalWidth === null ? Number.POSITIVE_INFINITY : column.max),
    };
  });
  if (totalWidth === null) {
    return placed;
  }
  const used = (list: readonly PlacedColumn[]): number =>
    list.reduce((sum, entry) => sum + entry.width, 0) + Math.max(0, list.length - 1);
  const minimum = (list: readonly PlacedColumn[]): number =>
    list.reduce((sum, entry) => sum + Math.min(entry.width, entry.column.min), 0) +
    Math.max(0, list.length - 1);
  while (placed.length > 1 && minimum(placed) > totalWidth) {
    const weakest = placed.reduce((low, entry) =>
      entry.column.priority < low.column.priority ? entry : low,
    );
    placed = placed.filter((entry) => entry !== weakest);
  }
  let excess = used(placed) - totalWidth;
  while (excess > 0) {
    // Take one cell from the column with the most room above its minimum.
    let donor: PlacedColumn | undefined;
    for (const entry of placed) {
      const room = entry.width - entry.column.min;
      if (room > 0 && (donor === undefined || room > donor.width - donor.column.min)) {
        donor = entry;
      }
    }
    if (donor === undefined) {
      break;
    }
    const chosen = donor;
    placed = placed.map((entry) => (entry === chosen ? {...entry, width: entry.width - 1} : entry));
    excess--;
  }
  return placed;
}

/** One line of a table: each cell fitted to its width, separated by one space. */
function formatLine(placed: readonly PlacedColumn[], cells: (column: Column) => string): string {
  return placed
    .map((entry) => fitCell(cells(entry.column), entry.width, entry.column.align))
    .join(' ')
    .trimEnd();
}

/** A plain text table of rows (header first), fitted to `width` cells or as wide as needed. */
export function formatTable(rows: readonly SnapshotRow[], width: number | null): string[] {
  const placed = layoutColumns(rows, width);
  return [
    formatLine(placed, (column) => column.title),
    ...rows.map((row) => formatLine(placed, (column) => column.cell(row))),
  ];
}
