import {selectRows, selectWindow} from '../model/select.js';
import type {SnapshotRow} from '../model/snapshot-row.js';
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

/** The rows in the list's window (what the screen shows of selectVisibleRows). */
export function selectWindowRows(state: AppState): readonly SnapshotRow[] {
  return selectWindow(selectVisibleRows(state), state.scrollTop, listHeight(state));
}

/** Index of the selected row among the visible ones (its old place if it is gone). */
export function selectedIndexOf(state: AppState, rows: readonly SnapshotRow[]): number {
  const found =
    state.selectedKey === null ? -1 : rows.findIndex((row) => row.key === state.selectedKey);
  return found === -1 ? state.selectedIndex : found;
}

/** The selected row, if any is visible. */
export function selectedRow(state: AppState): SnapshotRow | undefined {
  const rows = selectVisibleRows(state);
  return rows[Math.min(selectedIndexOf(state, rows), rows.length - 1)];
}

/**
 * The state with the selection on the visible row at `wantedIndex` (clamped), and the window
 * scrolled just enough to show it.
 */
export function placeSelection(state: AppState, wantedIndex: number): AppState {
  const rows = selectVisibleRows(state);
  if (rows.length === 0) {
    return {...state, selectedKey: null, selectedIndex: 0, scrollTop: 0};
  }
  const index = Math.min(Math.max(0, wantedIndex), rows.length - 1);
  const height = listHeight(state);
  let scrollTop = Math.min(state.scrollTop, index);
  if (index >= scrollTop + height) {
    scrollTop = index - height + 1;
  }
  scrollTop = Math.max(0, Math.min(scrollTop, Math.max(0, rows.length - height)));
  return {...state, selectedKey: rows[index]?.key ?? null, selectedIndex: index, scrollTop};
}

/** placeSelection after the rows changed (a refresh, a filter, a sort, a resize): the selected row stays selected. */
export function reselect(state: AppState): AppState {
  return placeSelection(state, selectedIndexOf(state, selectVisibleRows(state)));
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
