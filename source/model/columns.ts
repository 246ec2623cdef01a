import stringWidth from 'string-width';
import {
  formatAddresses,
  formatCompose,
  formatContainer,
  formatPort,
  formatProcess,
  formatUptime,
  shownUptimeAt,
} from './format.js';
import type {SnapshotRow} from './snapshot-row.js';

/** The columns of the host view. */
export type ColumnId =
  | 'host'
  | 'proto'
  | 'address'
  | 'port'
  | 'pid'
  | 'process'
  | 'user'
  | 'container'
  | 'compose'
  | 'image'
  | 'uptime';

/** How one column looks and what it shows. */
export interface Column {
  readonly id: ColumnId;
  readonly title: string;
  /**
   * Narrowest width before the column is dropped instead (never narrower than its title, and
   * its sort mark when sorted: titles are never cut while a column is shown).
   */
  readonly min: number;
  /** Widest it grows to (at least its title and sort mark). */
  readonly max: number;
  readonly align: 'left' | 'right';
  /**
   * Lower numbers give up cells first: a column shrinks to its minimum, then goes, before a
   * column of higher priority is cut at all.
   */
  readonly priority: number;
  /**
   * The cell's text. `now` (Unix seconds) is the time the screen stands for: uptimes count to
   * it from the row's start time; without it they are the row's own.
   */
  readonly cell: (row: SnapshotRow, now?: number) => string;
  /** Shown only when a row has something in it (HOST: only in a view of several hosts). */
  readonly onlyWhenFilled?: boolean;
}

/** Every column, in display order. */
export const columns: readonly Column[] = [
  {
    id: 'host',
    title: 'HOST',
    min: 4,
    max: 20,
    align: 'left',
    // Which machine a row is on matters as much as its port when several are shown.
    priority: 9,
    cell: (row) => row.host?.name ?? '',
    onlyWhenFilled: true,
  },
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
    id: 'compose',
    title: 'COMPOSE',
    min: 7,
    max: 20,
    align: 'left',
    // Gives way before IMAGE: the project is a label most rows share (or have none of), and
    // the grouped view names it in its headers; at 80 columns the table stays as it was.
    priority: 0,
    cell: formatCompose,
  },
  {
    id: 'image',
    title: 'IMAGE',
    // Fewer cells than this show no more of an image than `localh…`: the column goes instead.
    min: 10,
    max: 40,
    align: 'left',
    // Gives way first: the container already names what the image would tell.
    priority: 1,
    cell: (row) => row.container?.image || '-',
  },
  {
    id: 'uptime',
    title: 'UPTIME',
    min: 6,
    max: 6,
    align: 'right',
    priority: 2,
    cell: (row, now) => formatUptime(shownUptimeAt(row, now)),
  },
];

/** Cells `text` takes once made printable; printable ASCII (most cells) is counted at once. */
function shownWidth(text: string): number {
  return plainAscii.test(text) ? text.length : textWidth(printable(text));
}

/** Display width of text in terminal cells (wide characters count 2, combining marks 0). */
function textWidth(text: string): number {
  return stringWidth(text);
}

/** C0 controls, DEL and C1 controls: ESC starts terminal escape sequences, CSI (0x9B) too. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point.
const controlCharacters = /[\u0000-\u001F\u007F-\u009F]/g;

/**
 * Characters a terminal draws as nothing, or that rearrange what follows, with controls:
 * - format characters (Unicode category Cf): the bidi embeddings, overrides and isolates
 *   (U+202A-U+202E, U+2066-U+2069), the marks (U+200E, U+200F, U+061C), zero-width space,
 *   non-joiner and joiner (U+200B-U+200D), the word joiner and invisible operators
 *   (U+2060-U+2064), the BOM (U+FEFF), the soft hyphen (U+00AD), the tag characters
 *   (U+E0000 block) and the rest of Cf;
 * - the line and paragraph separators (U+2028, U+2029: categories Zl, Zp);
 * - lone surrogate halves (Cs), which no terminal can draw.
 * A right-to-left override makes `nd-web` of `bew-dn`; a zero-width character makes two names
 * that look the same differ (or one name that looks like another's): a name from a less
 * privileged user must not decide what root reads, nor where a row seems to be.
 */
const invisibleCharacters = /[\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;

/**
 * A zero-width joiner between two pictographs joins an emoji sequence (U+1F468 U+200D U+1F469
 * draws one family glyph); there it draws something visible and is kept. Anywhere else it is
 * invisible and shown as '?', as every other format character. An optional emoji
 * presentation selector or skin tone may sit between the first pictograph and the joiner.
 */
const emojiJoiner =
  /(?<=\p{Extended_Pictographic}[\u{FE0F}\u{1F3FB}-\u{1F3FF}]?)\u200D(?=\p{Extended_Pictographic})/gu;

/** Text that needs no replacement at all: printable ASCII, the common case, checked fast. */
const plainAscii = /^[\u0020-\u007E]*$/;

/**
 * `text` safe to print on a terminal: each control character becomes '?', as ps and htop show
 * them, and so does each invisible or reordering character (format characters such as the
 * bidi overrides, isolates and zero-width spaces, the BOM, line and paragraph separators; see
 * invisibleCharacters), except a zero-width joiner inside an emoji sequence. Process names,
 * command lines, container names, images and labels come from other users and from engines;
 * printed raw, an ESC in them would be a terminal escape sequence (recolour, retitle, rewrite
 * the clipboard) sent to whoever runs the dashboard, often root, and a U+202E would show a
 * name reversed.
 */
export function printable(text: string): string {
  if (plainAscii.test(text)) {
    return text;
  }
  const controlled = text.replace(controlCharacters, '?');
  if (!controlled.includes('\u200D')) {
    return controlled.replace(invisibleCharacters, '?');
  }
  const joins = new Set<number>();
  for (const match of controlled.matchAll(emojiJoiner)) {
    joins.add(match.index);
  }
  return controlled.replace(invisibleCharacters, (found, offset: number) =>
    joins.has(offset) ? found : '?',
  );
}

const graphemes = new Intl.Segmenter(undefined, {granularity: 'grapheme'});

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
  // By grapheme: an emoji sequence or a letter with its combining marks is kept or cut whole.
  for (const {segment} of graphemes.segment(safe)) {
    const charWidth = textWidth(segment);
    if (used + charWidth > width - 1) {
      break;
    }
    out += segment;
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

/** Cells of the sort mark (▲ or ▼) after the sorted column's title. */
export const sortMarkWidth = 1;

/** Options of layoutColumns. */
export interface LayoutOptions {
  /** The sorted column: its title gets the sort mark, and its width counts it. Default none. */
  readonly sortColumn?: ColumnId;
}

/**
 * The shown width of each column's cell of a row (a row is never changed; a refresh that
 * changes nothing keeps its row objects): a layout after a refresh measures only new rows,
 * not every cell of 20,000 rows again.
 */
const cellWidths = new WeakMap<SnapshotRow, number[]>();

function cellWidthsOf(row: SnapshotRow): number[] {
  let widths = cellWidths.get(row);
  if (widths === undefined) {
    widths = columns.map((column) => shownWidth(column.cell(row)));
    cellWidths.set(row, widths);
  }
  return widths;
}

/**
 * Widths for `rows` in `totalWidth` cells (null: as wide as the content). Each column gets its
 * content's width up to its max, and never less than its title (plus the sort mark on the
 * sorted column). When that does not fit, columns give up cells by priority, lowest first:
 * each shrinks to its minimum, or goes when that is not enough, before the next one is
 * touched; so IMAGE shrinks and then goes before CONTAINER loses a cell. Only a lone column
 * left on a terminal narrower than it is cut below its title. Columns are separated by one
 * space.
 */
export function layoutColumns(
  rows: readonly SnapshotRow[],
  totalWidth: number | null,
  options: LayoutOptions = {},
): PlacedColumn[] {
  const floors = new Map<ColumnId, number>();
  const contents = columns.map(() => 0);
  for (const row of rows) {
    const widths = cellWidthsOf(row);
    for (let index = 0; index < widths.length; index++) {
      if ((widths[index] as number) > (contents[index] as number)) {
        contents[index] = widths[index] as number;
      }
    }
  }
  let placed = columns.flatMap((column, index) => {
    if (column.onlyWhenFilled === true && contents[index] === 0) {
      return [];
    }
    const title = textWidth(column.title) + (column.id === options.sortColumn ? sortMarkWidth : 0);
    const content = contents[index] as number;
    const natural = Math.max(
      title,
      totalWidth === null ? content : Math.min(content, Math.max(column.max, title)),
    );
    floors.set(column.id, Math.min(natural, Math.max(title, column.min)));
    return [{column, width: natural}];
  });
  if (totalWidth === null) {
    return placed;
  }
  const used = placed.reduce((sum, entry) => sum + entry.width, 0) + placed.length - 1;
  let excess = used - totalWidth;
  // Lowest priority first; between equals, the one further right gives way first.
  const order = placed
    .map((entry, index) => ({entry, index}))
    .sort((a, b) => a.entry.column.priority - b.entry.column.priority || b.index - a.index)
    .map(({entry}) => entry.column.id);
  for (const id of order) {
    if (excess <= 0 || placed.length === 1) {
      break;
    }
    const entry = placed.find((candidate) => candidate.column.id === id);
    if (entry === undefined) {
      continue;
    }
    const room = entry.width - (floors.get(id) ?? entry.width);
    if (room >= excess) {
      placed = placed.map((other) =>
        other === entry ? {...other, width: other.width - excess} : other,
      );
      excess = 0;
    } else {
      placed = placed.filter((other) => other !== entry);
      excess -= entry.width + 1;
    }
  }
  if (excess > 0) {
    // One column left, wider than the terminal: it is cut.
    placed = placed.map((entry) => ({...entry, width: Math.max(1, entry.width - excess)}));
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
