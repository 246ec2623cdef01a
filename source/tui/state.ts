import {type ColumnId, columns} from '../model/columns.js';
import {type EngineKind, shortContainerId} from '../model/container-info.js';
import {formatFilter, parseFilter, type RowFilter} from '../model/filter.js';
import {formatUptime} from '../model/format.js';
import type {SnapshotRow} from '../model/snapshot-row.js';
import type {Snapshot} from '../snapshot.js';
import {interpretKey, type KeyPress} from './keys.js';
import {selectRows} from './select.js';

/** A container action or a signal to a host process, awaiting its yes. */
export type PendingAction =
  | {
      readonly kind: 'container';
      readonly verb: 'kill' | 'stop';
      readonly containerId: string;
      readonly name: string;
      /** The engine that reported the container: the action goes to it alone. */
      readonly endpoint: string | null;
      readonly engine: EngineKind;
    }
  | {
      readonly kind: 'process';
      readonly pid: number;
      readonly name: string;
      readonly signal: 'SIGTERM' | 'SIGKILL';
    };

/** What the screen is doing besides the list. */
export type Mode =
  | {readonly kind: 'list'}
  | {readonly kind: 'filter'; readonly draft: string}
  | {readonly kind: 'help'}
  | {readonly kind: 'detail'}
  | {readonly kind: 'choose-signal'; readonly pid: number; readonly name: string}
  | {readonly kind: 'confirm'; readonly action: PendingAction};

/** An action the app must carry out (the reducer never does I/O; a hook runs these). */
export interface QueuedAction {
  readonly id: number;
  readonly action: PendingAction;
}

/** A one-line message under the list. */
export interface StatusMessage {
  readonly text: string;
  readonly tone: 'info' | 'ok' | 'error';
}

/** The whole dashboard state. */
export interface AppState {
  readonly snapshot: Snapshot | null;
  /** The last refresh failed entirely (the previous snapshot stays on screen). */
  readonly refreshError: string | null;
  readonly filter: RowFilter;
  readonly sort: {readonly column: ColumnId; readonly descending: boolean};
  /** Key of the selected row: selection follows the row, not the line, across refreshes. */
  readonly selectedKey: string | null;
  /** Where the selection was, for when its row disappears. */
  readonly selectedIndex: number;
  /** First visible row. */
  readonly scrollTop: number;
  readonly paused: boolean;
  readonly intervalMs: number;
  readonly mode: Mode;
  /** Actions to run, oldest first; the runner removes them as it starts them. */
  readonly queue: readonly QueuedAction[];
  /** What is running, by container id or `pid:N`, shown on the row. */
  readonly inProgress: Readonly<Record<string, string>>;
  readonly status: StatusMessage | null;
  readonly columns: number;
  readonly rows: number;
  readonly nextActionId: number;
  /** Set by q or Ctrl-C: the app exits on the next render. */
  readonly quitting: boolean;
}

/** Every change the dashboard knows. */
export type AppAction =
  | {readonly type: 'snapshot'; readonly snapshot: Snapshot}
  | {readonly type: 'refresh-failed'; readonly message: string}
  | {readonly type: 'resize'; readonly columns: number; readonly rows: number}
  | {readonly type: 'move'; readonly by: number}
  | {readonly type: 'page'; readonly direction: 1 | -1}
  | {readonly type: 'move-to'; readonly where: 'top' | 'bottom'}
  | {readonly type: 'filter-open'}
  | {readonly type: 'filter-input'; readonly text: string}
  | {readonly type: 'filter-commit'}
  | {readonly type: 'filter-cancel'}
  | {readonly type: 'sort-next'}
  | {readonly type: 'sort-previous'}
  | {readonly type: 'sort-invert'}
  | {readonly type: 'pause-toggle'}
  | {readonly type: 'help-toggle'}
  | {readonly type: 'detail-toggle'}
  | {readonly type: 'close'}
  | {readonly type: 'request'; readonly verb: 'kill' | 'stop'}
  | {readonly type: 'choose-signal'; readonly signal: 'SIGTERM' | 'SIGKILL'}
  | {readonly type: 'confirm'; readonly yes: boolean}
  | {readonly type: 'action-started'; readonly id: number}
  | {
      readonly type: 'action-finished';
      readonly id: number;
      readonly key: string;
      readonly status: StatusMessage;
    }
  | {readonly type: 'status'; readonly status: StatusMessage | null}
  | {readonly type: 'key'; readonly press: KeyPress};

/** Lines the frame spends outside the row list: header (2), column titles, status, footer. */
export const chromeLines = 5;

/** Rows of the list that fit: never more lines than the terminal height minus one. */
export function listHeight(state: Pick<AppState, 'rows'>): number {
  return Math.max(1, state.rows - 1 - chromeLines);
}

/** Looks of rows already computed: the shown snapshot's rows are compared at every tick. */
const looks = new WeakMap<SnapshotRow, string>();

function rowLook(row: SnapshotRow): string {
  let look = looks.get(row);
  if (look === undefined) {
    look = computeRowLook(row);
    looks.set(row, look);
  }
  return look;
}

function computeRowLook(row: SnapshotRow): string {
  const container = row.container;
  return [
    row.key,
    row.addresses.join(','),
    row.pids.join(','),
    row.process,
    row.user,
    // The uptime as shown: seconds under a minute, then minutes, so a row redraws when its
    // shown minute ticks over (a row or two at a time, cheap), not every second.
    formatUptime(row.uptimeSeconds),
    row.helper,
    container === null
      ? ''
      : `${container.id}|${container.name}|${container.image}|${container.state}|${container.status}`,
    row.ambiguous ? row.candidates.length : '',
  ].join('\u0000');
}

/**
 * True when a new snapshot would draw the same screen: same rows as shown (uptimes at their
 * shown precision), engines and warnings; the refresh time moved little and was last shown
 * under 10 s ago.
 */
export function isSameScreen(shown: Snapshot, next: Snapshot): boolean {
  const drift = Math.abs(next.durationMs - shown.durationMs);
  // Refresh times wander by tens of ms from tick to tick (a detection lands, or not): the
  // header follows a change of half or more, and at least every 10 s.
  if (drift > Math.max(25, shown.durationMs / 2) || next.takenAt - shown.takenAt >= 10_000) {
    return false;
  }
  if (
    shown.rows.length !== next.rows.length ||
    shown.enginesPending !== next.enginesPending ||
    shown.warnings.join('\n') !== next.warnings.join('\n') ||
    shown.engines.map((report) => `${report.endpoint}|${report.ok}|${report.containers}`).join() !==
      next.engines.map((report) => `${report.endpoint}|${report.ok}|${report.containers}`).join()
  ) {
    return false;
  }
  return shown.rows.every((row, index) => {
    const other = next.rows[index];
    return other !== undefined && rowLook(row) === rowLook(other);
  });
}

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
  };
}

/** Keeps the selection inside the visible rows and the window around it. */
function placeSelection(state: AppState, wantedIndex: number): AppState {
  const rows = selectRows(state);
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

/** Index of the selected row among the visible ones (its old place if it is gone). */
export function selectedIndexOf(state: AppState, rows: readonly SnapshotRow[]): number {
  const found =
    state.selectedKey === null ? -1 : rows.findIndex((row) => row.key === state.selectedKey);
  return found === -1 ? state.selectedIndex : found;
}

/** The selected row, if any is visible. */
export function selectedRow(state: AppState): SnapshotRow | undefined {
  const rows = selectRows(state);
  return rows[Math.min(selectedIndexOf(state, rows), rows.length - 1)];
}

function sortStep(state: AppState, step: 1 | -1): AppState {
  const ids = columns.map((column) => column.id);
  const at = ids.indexOf(state.sort.column);
  const column = ids[(at + step + ids.length) % ids.length] ?? 'port';
  return {...state, sort: {...state.sort, column}};
}

function reselect(state: AppState): AppState {
  return placeSelection(state, selectedIndexOf(state, selectRows(state)));
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
    mode: {kind: 'choose-signal', pid: row.pid, name: row.process ?? String(row.pid)},
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
  const key = action.kind === 'container' ? action.containerId : `pid:${action.pid}`;
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
    status: {text: `${label} ${describeTarget(action)}…`, tone: 'info'},
  };
}

/** The flags of one character of a burst of input. */
function pressOf(char: string): KeyPress['key'] {
  if (char === '\r' || char === '\n') {
    return {return: true};
  }
  if (char === '\u007F' || char === '\b') {
    return {backspace: true};
  }
  return {};
}

/** `NAME (SHORT_ID)` for a container action, `NAME (PID)` for a process. */
export function describeTarget(action: PendingAction): string {
  return action.kind === 'container'
    ? `${action.name} (${shortContainerId(action.containerId)})`
    : `${action.name} (${action.pid})`;
}

/** The dashboard's reducer: pure, every change of state goes through here. */
export function reduce(state: AppState, action: AppAction): AppState {
  switch (action.type) {
    case 'snapshot':
      // An idle host gives the same screen tick after tick: keep the state object, and React
      // and Ink do nothing at all.
      if (
        state.snapshot !== null &&
        state.refreshError === null &&
        isSameScreen(state.snapshot, action.snapshot)
      ) {
        return state;
      }
      return reselect({...state, snapshot: action.snapshot, refreshError: null});
    case 'refresh-failed':
      return {...state, refreshError: action.message};
    case 'resize':
      return reselect({...state, columns: action.columns, rows: action.rows});
    case 'move':
      return placeSelection(state, selectedIndexOf(state, selectRows(state)) + action.by);
    case 'page':
      return placeSelection(
        state,
        selectedIndexOf(state, selectRows(state)) + action.direction * listHeight(state),
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
      return {...state, mode: state.mode.kind === 'help' ? {kind: 'list'} : {kind: 'help'}};
    case 'detail-toggle':
      return {
        ...state,
        mode:
          state.mode.kind === 'detail' || selectedRow(state) === undefined
            ? {kind: 'list'}
            : {kind: 'detail'},
      };
    case 'close':
      return state.mode.kind === 'confirm' || state.mode.kind === 'choose-signal'
        ? {...state, mode: {kind: 'list'}, status: {text: 'cancelled', tone: 'info'}}
        : {...state, mode: {kind: 'list'}};
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
    case 'key': {
      const {input, key} = action.press;
      if (input.length > 1 && !key.ctrl && !key.meta && !key.escape) {
        // Ink hands over a burst of typed text (a paste, fast typing) as one input: read it
        // key by key, so "/8080⏎" filters exactly as if typed slowly.
        return [...input].reduce(
          (next, char) =>
            reduce(next, {
              type: 'key',
              press: {input: char === '\r' ? '' : char, key: pressOf(char)},
            }),
          state,
        );
      }
      // Keys are read here, against the newest state: a burst of keys (typing into the filter
      // right after /) must not be read against a mode that is one render old.
      const result = interpretKey(state.mode, action.press);
      if (result === 'quit') {
        return {...state, quitting: true};
      }
      return result === undefined ? state : reduce(state, result);
    }
  }
}
