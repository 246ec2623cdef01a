import {Box} from 'ink';
import {useMemo} from 'react';
import {formatFilter} from '../../model/filter.js';
import {logsPaneLines} from '../logs-pane.js';
import {paneHeight, screenWidth} from '../pane.js';
import {
  listHeight,
  selectDetailRow,
  selectedIndexOf,
  selectVisibleLines,
  selectVisibleRows,
} from '../selection.js';
import type {AppState} from '../types.js';
import {
  detailGoneLines,
  detailLines,
  helpLines,
  layoutFor,
  minimumSize,
  tooSmallLine,
} from '../view.js';
import {Footer} from './footer.js';
import {Header} from './header.js';
import {Line} from './line.js';
import {LogsPane} from './logs-pane.js';
import {RowList} from './row-list.js';
import {StatusBar} from './status-bar.js';
import {TextPane} from './text-pane.js';

/** The frame for a state: never taller than the terminal minus one line. */
export function Screen({state, color}: {readonly state: AppState; readonly color: boolean}) {
  if (state.columns < minimumSize.columns || state.rows < minimumSize.rows) {
    const width = Math.max(1, state.columns - 1);
    return (
      <Box width={width}>
        <Line bold text={tooSmallLine(state.columns, state.rows)} width={width} />
      </Box>
    );
  }
  return <FullScreen state={state} color={color} />;
}

/** The dashboard in a terminal of at least minimumSize. */
function FullScreen({state, color}: {readonly state: AppState; readonly color: boolean}) {
  // One column short of the terminal: a line that fills the last column makes the terminal
  // wrap, and Ink would then miscount the lines it has to erase.
  const width = screenWidth(state.columns);
  const rows = selectVisibleRows(state);
  const sortColumn = state.sort.column;
  const placed = useMemo(() => layoutFor(rows, width, sortColumn), [rows, width, sortColumn]);
  const height = listHeight(state);
  const lines = selectVisibleLines(state);
  const selectedIndex = Math.min(selectedIndexOf(state, lines), lines.length - 1);
  const selected = lines[selectedIndex];
  let body: React.ReactNode;
  if (state.mode.kind === 'help') {
    body = (
      <TextPane
        lines={helpLines(width, paneHeight(state), state.paneScroll)}
        width={width}
        color={color}
      />
    );
  } else if (state.mode.kind === 'detail') {
    // The row the pane opened on, or what it was: never the row that took its place.
    const shown = selectDetailRow(state);
    const lines =
      shown === undefined
        ? detailGoneLines(state.mode, state.snapshot?.rows ?? [], width, paneHeight(state))
        : detailLines(shown, width, paneHeight(state), state.paneScroll, state.stats);
    body = <TextPane lines={lines} width={width} color={color} />;
  } else if (
    (state.mode.kind === 'logs' || state.mode.kind === 'logs-search') &&
    state.logs !== null
  ) {
    body = (
      <LogsPane
        lines={logsPaneLines(state.logs, width, paneHeight(state))}
        width={width}
        color={color}
      />
    );
  } else {
    body = (
      <RowList
        rows={lines.slice(state.scrollTop, state.scrollTop + height)}
        placed={placed}
        selectedKey={selected?.key ?? null}
        sort={state.sort}
        inProgress={state.inProgress}
        tags={state.tags}
        width={width}
        color={color}
        emptyText={state.snapshot === null ? 'scanning…' : 'no rows match (Esc clears the filter)'}
        now={state.snapshot === null ? undefined : state.snapshot.takenAt / 1000}
      />
    );
  }
  return (
    <Box flexDirection="column" width={width}>
      <Header
        snapshot={state.snapshot}
        shown={rows.length}
        paused={state.paused}
        intervalMs={state.intervalMs}
        tagged={Object.keys(state.tags).length}
        width={width}
        color={color}
      />
      {body}
      <StatusBar
        mode={state.mode}
        status={state.status}
        filterText={formatFilter(state.filter)}
        refreshError={state.refreshError}
        width={width}
        color={color}
      />
      <Footer width={width} color={color} />
    </Box>
  );
}
