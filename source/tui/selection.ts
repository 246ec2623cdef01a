import {selectRows} from '../model/select.js';
import type {SnapshotRow} from '../model/snapshot-row.js';
import {buildTree, type TreeGroupLine, type TreeLine} from '../model/tree.js';
import type {AppState} from './types.js';

/** Lines the frame spends outside the row list: header (2), column titles, status, footer. */
const chromeLines = 5;

/** Rows of the list that fit: never more lines than the terminal height minus one. */
export function listHeight(state: Pick<AppState, 'rows'>): number {
  return Math.max(1, state.rows - 1 - chromeLines);
}

const noRows: readonly SnapshotRow[] = [];

/** The rows the state shows: its snapshot's rows, filtered and sorted (memoised by selectRows). */
export function selectVisibleRows(
  state: Pick<AppState, 'snapshot' | 'filter' | 'sort'>,
): SnapshotRow[] {
  return selectRows(state.snapshot?.rows ?? noRows, state);
}

/** One line of the list: a row (flat list), or a group or row of the tree (grouped). */
export type ListLine = SnapshotRow | TreeLine;

/** True for a line of the tree (a group or a row in it), false for a row of the flat list. */
export function isTreeLine(line: ListLine): line is TreeLine {
  return 'kind' in line;
}

/** The row a line shows: itself, or the tree row's; undefined for a group. */
export function rowOfLine(line: ListLine | undefined): SnapshotRow | undefined {
  if (line === undefined || !isTreeLine(line)) {
    return line;
  }
  return line.kind === 'row' ? line.row : undefined;
}

const collapsedSets = new WeakMap<AppState['collapsed'], ReadonlySet<string>>();
let treeMemo: {
  rows: readonly SnapshotRow[];
  collapsed: AppState['collapsed'];
  lines: TreeLine[];
} | null = null;

/** The tree of the visible rows, memoised on them and on the collapsed groups. */
function selectTree(rows: readonly SnapshotRow[], collapsed: AppState['collapsed']): TreeLine[] {
  if (treeMemo?.rows === rows && treeMemo.collapsed === collapsed) {
    return treeMemo.lines;
  }
  let set = collapsedSets.get(collapsed);
  if (set === undefined) {
    set = new Set(Object.keys(collapsed));
    collapsedSets.set(collapsed, set);
  }
  const lines = buildTree(rows, set);
  treeMemo = {rows, collapsed, lines};
  return lines;
}

/** The lines of the list: the visible rows, or their tree when grouped. */
export function selectVisibleLines(
  state: Pick<AppState, 'snapshot' | 'filter' | 'sort' | 'grouped' | 'collapsed'>,
): readonly ListLine[] {
  const rows = selectVisibleRows(state);
  return state.grouped ? selectTree(rows, state.collapsed) : rows;
}

/** The rows in the list's window (the rows among the lines the screen shows). */
export function selectWindowRows(state: AppState): readonly SnapshotRow[] {
  const window = selectVisibleLines(state).slice(
    state.scrollTop,
    state.scrollTop + listHeight(state),
  );
  if (!state.grouped) {
    return window as readonly SnapshotRow[];
  }
  const rows: SnapshotRow[] = [];
  for (const line of window) {
    const row = rowOfLine(line);
    if (row !== undefined) {
      rows.push(row);
    }
  }
  return rows;
}

/** Index of the selected line among the visible ones (its old place if it is gone). */
export function selectedIndexOf(state: AppState, lines: readonly ListLine[]): number {
  const found =
    state.selectedKey === null ? -1 : lines.findIndex((line) => line.key === state.selectedKey);
  return found === -1 ? state.selectedIndex : found;
}

/** The selected line, if any is visible. */
export function selectedLine(state: AppState): ListLine | undefined {
  const lines = selectVisibleLines(state);
  return lines[Math.min(selectedIndexOf(state, lines), lines.length - 1)];
}

/** The selected row (a tree row's own), if a row is selected; undefined on a group. */
export function selectedRow(state: AppState): SnapshotRow | undefined {
  return rowOfLine(selectedLine(state));
}

/** The selected group of the tree, if a group is selected. */
export function selectedGroup(state: AppState): TreeGroupLine | undefined {
  const line = selectedLine(state);
  return line !== undefined && isTreeLine(line) && line.kind === 'group' ? line : undefined;
}

/**
 * The state with the selection on the visible line at `wantedIndex` (clamped), and the window
 * scrolled just enough to show it.
 */
export function placeSelection(state: AppState, wantedIndex: number): AppState {
  const lines = selectVisibleLines(state);
  if (lines.length === 0) {
    return {...state, selectedKey: null, selectedIndex: 0, scrollTop: 0};
  }
  const index = Math.min(Math.max(0, wantedIndex), lines.length - 1);
  const height = listHeight(state);
  let scrollTop = Math.min(state.scrollTop, index);
  if (index >= scrollTop + height) {
    scrollTop = index - height + 1;
  }
  scrollTop = Math.max(0, Math.min(scrollTop, Math.max(0, lines.length - height)));
  return {...state, selectedKey: lines[index]?.key ?? null, selectedIndex: index, scrollTop};
}

/** placeSelection after the lines changed (a refresh, a filter, a sort, a resize): the selected line stays selected. */
export function reselect(state: AppState): AppState {
  return placeSelection(state, selectedIndexOf(state, selectVisibleLines(state)));
}

/**
 * The row an open detail pane shows: the one it opened on, found by its key among every row
 * of the snapshot; undefined when that row is gone (or no pane is open).
 */
export function selectDetailRow(state: AppState): SnapshotRow | undefined {
  const mode = state.mode;
  if (mode.kind !== 'detail') {
    return undefined;
  }
  return state.snapshot?.rows.find((row) => row.key === mode.key);
}
