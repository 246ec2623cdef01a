import {listHeight, selectDetailRow} from './selection.js';
import type {AppState, PaneScroll} from './types.js';
import {clampScroll, detailText, helpText, layoutPane, type PaneLayout} from './view.js';

/** Cells the dashboard draws in a terminal `columns` wide: one short, so no line fills the last column. */
export function screenWidth(columns: number): number {
  return Math.max(20, columns - 1);
}

/** Lines a pane (help, details) takes: those of the column titles and the list. */
export function paneHeight(state: Pick<AppState, 'rows'>): number {
  return listHeight(state) + 1;
}

/** The text of the open pane (title first), or null when none is open (or its row is gone). */
export function paneText(state: AppState): string[] | null {
  if (state.mode.kind === 'help') {
    return helpText();
  }
  if (state.mode.kind === 'detail') {
    const row = selectDetailRow(state);
    return row === undefined ? null : detailText(row, state.stats);
  }
  return null;
}

/** How the open pane lies on this terminal, or null when none is open. */
export function paneLayout(state: AppState): PaneLayout | null {
  const text = paneText(state);
  return text === null ? null : layoutPane(text, screenWidth(state.columns), paneHeight(state));
}

/** The state with the open pane scrolled as asked, within its bounds. */
export function scrollPane(state: AppState, to: PaneScroll): AppState {
  const layout = paneLayout(state);
  if (layout === null) {
    return state;
  }
  const page = Math.max(1, layout.bodyHeight - 1);
  const from = clampScroll(state.paneScroll, layout);
  const wanted = {
    up: from - 1,
    down: from + 1,
    'page-up': from - page,
    'page-down': from + page,
    top: 0,
    bottom: layout.maxScroll,
  }[to];
  const paneScroll = clampScroll(wanted, layout);
  return paneScroll === state.paneScroll ? state : {...state, paneScroll};
}
