import {type ColumnId, columns} from '../model/columns.js';
import {formatFilter, parseFilter, type RowFilter} from '../model/filter.js';
import {splitKeyBurst} from './key-burst.js';
import {interpretKey, isBlank} from './keys.js';
import {scrollPane} from './pane.js';
import {actionKey, describeTarget} from './pending-action.js';
import {isSameDetail, isSameHeader, isSameScreen, isSameUptimes} from './screen-diff.js';
import {
  listHeight,
  placeSelection,
  reselect,
  selectedIndexOf,
  selectedRow,
  selectVisibleRows,
  selectWindowRows,
} from './selection.js';
import type {AppAction, AppState} from './types.js';

/** Options of initialState. */
export interface InitialOptions {
  readonly filter?: RowFilter;
  readonly sort?: ColumnId;
  readonly descending?: boolean;
  readonly intervalMs?: number;
  readonly columns?: number;
  readonly rows?: number;
}

/** The state before the first snapshot. */
export function initialState(options: InitialOptions = {}): AppState {
  return {
    snapshot: null,
    refreshError: null,
    filter: options.filter ?? {kind: 'none'},
    sort: {column: options.sort ?? 'port', descending: options.descending ?? false},
    selectedKey: null,
    selectedIndex: 0,
    scrollTop: 0,
    paused: false,
    intervalMs: options.intervalMs ?? 2000,
    mode: {kind: 'list'},
    queue: [],
    inProgress: {},
    status: null,
    columns: options.columns ?? 80,
    rows: options.rows ?? 24,
    nextActionId: 1,
    quitting: false,
    paneScroll: 0,
    redraws: 0,
  };
}

function sortStep(state: AppState, step: 1 | -1): AppState {
  const ids = columns.map((column) => column.id);
  const at = ids.indexOf(state.sort.column);
  const column = ids[(at + step + ids.length) % ids.length] ?? 'port';
  return {...state, sort: {...state.sort, column}};
}

function requestAction(state: AppState, verb: 'kill' | 'stop'): AppState {
  const row = selectedRow(state);
  if (row === undefined) {
    return {...state, status: {text: 'no row selected', tone: 'info'}};
  }
  if (row.container !== null) {
    if (state.inProgress[row.container.id] !== undefined) {
      return {
        ...state,
        status: {
          text: `${row.container.name}: ${state.inProgress[row.container.id]} already`,
          tone: 'info',
        },
      };
    }
    return {
      ...state,
      mode: {
        kind: 'confirm',
        action: {
          kind: 'container',
          verb,
          containerId: row.container.id,
          name: row.container.name,
          endpoint: row.container.endpoint,
          engine: row.container.engine,
        },
      },
      status: null,
    };
  }
  if (row.ambiguous) {
    return {
      ...state,
      status: {
        text: 'several containers could own this port: open it with Enter to see which',
        tone: 'info',
      },
    };
  }
  if (verb === 'stop') {
    return {
      ...state,
      status: {text: 's stops containers; this port has none (k sends a signal)', tone: 'info'},
    };
  }
  if (row.pid === null) {
    return {...state, status: {text: 'no process is visible for this port', tone: 'info'}};
  }
  if (row.helper !== null) {
    return {
      ...state,
      status: {
        text: `${row.process} is a ${row.helper} helper: its container could not be resolved, so nothing is signalled`,
        tone: 'error',
      },
    };
  }
  return {
    ...state,
    mode: {
      kind: 'choose-signal',
      pid: row.pid,
      startTicks: row.startTicks,
      name: row.process ?? String(row.pid),
    },
    status: null,
  };
}

function confirm(state: AppState, yes: boolean): AppState {
  if (state.mode.kind !== 'confirm') {
    return state;
  }
  if (!yes) {
    return {...state, mode: {kind: 'list'}, status: {text: 'cancelled', tone: 'info'}};
  }
  const action = state.mode.action;
  const key = actionKey(action);
  const label =
    action.kind === 'container'
      ? action.verb === 'kill'
        ? 'killing'
        : 'stopping'
      : `sending ${action.signal}`;
  return {
    ...state,
    mode: {kind: 'list'},
    queue: [...state.queue, {id: state.nextActionId, action}],
    nextActionId: state.nextActionId + 1,
    inProgress: {...state.inProgress, [key]: label},
    // The state first, and a word that cannot be read as cut text.
    status: {text: `${label} ${describeTarget(action)}: in progress…`, tone: 'progress'},
  };
}

/** The detail pane on the selected row, keeping that row's identity. */
function openDetail(state: AppState): AppState {
  const row = selectedRow(state);
  if (row === undefined) {
    return {...state, mode: {kind: 'list'}};
  }
  const container = row.container;
  return {
    ...state,
    mode: {
      kind: 'detail',
      key: row.key,
      label:
        container === null
          ? `port ${row.port}/${row.protocol}`
          : `container ${container.name} (${container.id.slice(0, 12)})`,
      containerId: container?.id ?? null,
    },
  };
}

/** The dashboard's reducer: pure, every change of state goes through here. */
export function reduce(state: AppState, action: AppAction): AppState {
  switch (action.type) {
    case 'snapshot': {
      const shown = state.snapshot;
      const next = action.snapshot;
      if (shown !== null && state.refreshError === null) {
        if (next.rowsRevision === shown.rowsRevision) {
          // The same rows as shown (the source says so): keep the rows the filter, sort,
          // selection and column widths were made of (no work per row), and draw the visible
          // uptimes as of the new time, when any of them or the header changes at all.
          if (
            isSameHeader(shown, next) &&
            isSameUptimes(selectWindowRows(state), shown.takenAt, next.takenAt)
          ) {
            return state;
          }
          return {...state, snapshot: {...next, rows: shown.rows}};
        }
        // An idle host gives the same screen tick after tick: keep the state object, and
        // React and Ink do nothing at all.
        if (
          isSameScreen(shown, next) &&
          (state.mode.kind !== 'detail' || isSameDetail(shown, next, state.mode.key))
        ) {
          return state;
        }
      }
      return reselect({...state, snapshot: next, refreshError: null});
    }
    case 'refresh-failed':
      return {...state, refreshError: action.message};
    case 'resize':
      if (action.columns === state.columns && action.rows === state.rows) {
        return state;
      }
      // The terminal re-wraps or scrolls what it shows at a new size: the frame is drawn anew.
      return reselect({
        ...state,
        columns: action.columns,
        rows: action.rows,
        redraws: state.redraws + 1,
      });
    case 'redraw':
      return {...state, redraws: state.redraws + 1};
    case 'move':
      return placeSelection(state, selectedIndexOf(state, selectVisibleRows(state)) + action.by);
    case 'page':
      return placeSelection(
        state,
        selectedIndexOf(state, selectVisibleRows(state)) + action.direction * listHeight(state),
      );
    case 'move-to':
      return placeSelection(state, action.where === 'top' ? 0 : Number.MAX_SAFE_INTEGER);
    case 'filter-open':
      return {...state, mode: {kind: 'filter', draft: formatFilter(state.filter)}, status: null};
    case 'filter-input':
      // Filters live as you type.
      return reselect({
        ...state,
        mode: {kind: 'filter', draft: action.text},
        filter: parseFilter(action.text),
      });
    case 'filter-commit':
      return {...state, mode: {kind: 'list'}};
    case 'filter-cancel':
      return reselect({...state, mode: {kind: 'list'}, filter: {kind: 'none'}});
    case 'sort-next':
      return reselect(sortStep(state, 1));
    case 'sort-previous':
      return reselect(sortStep(state, -1));
    case 'sort-invert':
      return reselect({...state, sort: {...state.sort, descending: !state.sort.descending}});
    case 'pause-toggle':
      return {...state, paused: !state.paused};
    case 'help-toggle':
      return {
        ...state,
        mode: state.mode.kind === 'help' ? {kind: 'list'} : {kind: 'help'},
        paneScroll: 0,
      };
    case 'detail-toggle':
      return state.mode.kind === 'detail'
        ? {...state, mode: {kind: 'list'}, paneScroll: 0}
        : {...openDetail(state), paneScroll: 0};
    case 'close':
      return state.mode.kind === 'confirm' || state.mode.kind === 'choose-signal'
        ? {...state, mode: {kind: 'list'}, status: {text: 'cancelled', tone: 'info'}}
        : {...state, mode: {kind: 'list'}, paneScroll: 0};
    case 'pane-scroll':
      return scrollPane(state, action.to);
    case 'request':
      return requestAction(state, action.verb);
    case 'choose-signal':
      return state.mode.kind === 'choose-signal'
        ? {
            ...state,
            mode: {
              kind: 'confirm',
              action: {
                kind: 'process',
                pid: state.mode.pid,
                startTicks: state.mode.startTicks,
                name: state.mode.name,
                signal: action.signal,
              },
            },
          }
        : state;
    case 'confirm':
      return confirm(state, action.yes);
    case 'action-started':
      return {...state, queue: state.queue.filter((queued) => queued.id !== action.id)};
    case 'action-finished': {
      const {[action.key]: _finished, ...inProgress} = state.inProgress;
      return {...state, inProgress, status: action.status};
    }
    case 'status':
      return {...state, status: action.status};
    case 'status-expired':
      return state.status === action.status ? {...state, status: null} : state;
    case 'clear':
      return reselect({...state, status: null, filter: {kind: 'none'}});
    case 'key': {
      const presses = splitKeyBurst(action.press);
      if (presses !== undefined) {
        return presses.reduce((next, press) => reduce(next, {type: 'key', press}), state);
      }
      // Keys are read here, against the newest state: a burst of keys (typing into the filter
      // right after /) must not be read against a mode that is one render old.
      const result = interpretKey(state.mode, action.press);
      if (result === 'quit') {
        return {...state, quitting: true};
      }
      // Any key clears the message (the key may set a new one); a blank press is no key.
      const next =
        state.status === null || isBlank(action.press) ? state : {...state, status: null};
      return result === undefined ? next : reduce(next, result);
    }
  }
}
