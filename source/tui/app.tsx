import {Box, useApp, useInput} from 'ink';
import {useEffect, useMemo, useReducer} from 'react';
import {formatFilter} from '../model/filter.js';
import {selectWindow} from '../model/select.js';
import {Footer} from './components/footer.js';
import {Header} from './components/header.js';
import {RowList} from './components/row-list.js';
import {StatusBar} from './components/status-bar.js';
import {TextPane} from './components/text-pane.js';
import {useActionRunner} from './hooks/use-action-runner.js';
import {useEngineEvents} from './hooks/use-engine-events.js';
import {useRefreshLoop} from './hooks/use-refresh-loop.js';
import {useTerminalSize} from './hooks/use-terminal-size.js';
import {type InitialOptions, initialState, reduce} from './reducer.js';
import {listHeight, selectedIndexOf, visibleRows} from './selection.js';
import type {DashboardServices} from './services.js';
import type {AppState} from './types.js';
import {detailLines, helpLines, layoutFor} from './view.js';

/** Props of App. */
export interface AppProps {
  readonly services: DashboardServices;
  readonly initial?: InitialOptions;
  /** Colours on (false for NO_COLOR / --no-color: the screen stays fully usable). */
  readonly color: boolean;
}

/** The dashboard: state in one reducer, I/O in hooks, rendering in components. */
export function App({services, initial, color}: AppProps) {
  const size = useTerminalSize();
  const [state, dispatch] = useReducer(reduce, undefined, () =>
    initialState({...initial, ...size}),
  );
  const {exit} = useApp();
  useEffect(() => {
    dispatch({type: 'resize', columns: size.columns, rows: size.rows});
  }, [size.columns, size.rows]);
  const refreshNow = useRefreshLoop(services, dispatch, {
    paused: state.paused,
    intervalMs: state.intervalMs,
  });
  useEngineEvents(services, refreshNow);
  useActionRunner(services, state.queue, dispatch, refreshNow);
  useInput((input, key) => dispatch({type: 'key', press: {input, key}}));
  useEffect(() => {
    if (state.quitting) {
      exit();
    }
  }, [state.quitting, exit]);
  return <Screen state={state} color={color} />;
}

/** The frame for a state: never taller than the terminal minus one line. */
export function Screen({state, color}: {readonly state: AppState; readonly color: boolean}) {
  // One column short of the terminal: a line that fills the last column makes the terminal
  // wrap, and Ink would then miscount the lines it has to erase.
  const width = Math.max(20, state.columns - 1);
  const rows = visibleRows(state);
  const placed = useMemo(() => layoutFor(rows, width), [rows, width]);
  const height = listHeight(state);
  const selectedIndex = Math.min(selectedIndexOf(state, rows), rows.length - 1);
  const selected = rows[selectedIndex];
  let body: React.ReactNode;
  if (state.mode.kind === 'help') {
    body = <TextPane lines={helpLines(width, height + 1)} width={width} color={color} />;
  } else if (state.mode.kind === 'detail' && selected !== undefined) {
    body = (
      <TextPane lines={detailLines(selected, width, height + 1)} width={width} color={color} />
    );
  } else {
    body = (
      <RowList
        rows={selectWindow(rows, state.scrollTop, height)}
        placed={placed}
        selectedKey={selected?.key ?? null}
        sort={state.sort}
        inProgress={state.inProgress}
        width={width}
        color={color}
        emptyText={state.snapshot === null ? 'scanning…' : 'no rows match (Esc clears the filter)'}
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
