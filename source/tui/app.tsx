import {useApp, useInput} from 'ink';
import {useEffect, useReducer} from 'react';
import {Screen} from './components/screen.js';
import {useActionRunner} from './hooks/use-action-runner.js';
import {useContainerLogs} from './hooks/use-container-logs.js';
import {useContainerStats} from './hooks/use-container-stats.js';
import {useEngineEvents} from './hooks/use-engine-events.js';
import {useFunctionKeys} from './hooks/use-function-keys.js';
import {useRefreshLoop} from './hooks/use-refresh-loop.js';
import {useScreenRedraw} from './hooks/use-screen-redraw.js';
import {useStatusExpiry} from './hooks/use-status-expiry.js';
import {useTerminalSize} from './hooks/use-terminal-size.js';
import {type InitialOptions, initialState, reduce} from './reducer.js';
import {selectDetailRow} from './selection.js';
import type {DashboardServices} from './services.js';
import {targetOf} from './tags.js';

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
  useEngineEvents(services, refreshNow, state.intervalMs);
  useActionRunner(services, state.queue, dispatch, refreshNow);
  useContainerLogs(services, state.logs, dispatch);
  const detailContainer = state.mode.kind === 'detail' ? selectDetailRow(state)?.container : null;
  useContainerStats(
    services,
    detailContainer ? targetOf(detailContainer) : null,
    state.intervalMs,
    dispatch,
  );
  useInput((input, key) => dispatch({type: 'key', press: {input, key}}));
  useFunctionKeys(dispatch);
  useStatusExpiry(state.status, dispatch);
  useScreenRedraw(state.redraws);
  useEffect(() => {
    if (state.quitting) {
      exit();
    }
  }, [state.quitting, exit]);
  return <Screen state={state} color={color} />;
}
