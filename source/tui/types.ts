import type {Key} from 'ink';
import type {ColumnId} from '../model/columns.js';
import type {EngineKind} from '../model/container-info.js';
import type {ContainerStats} from '../model/container-stats.js';
import type {RowFilter} from '../model/filter.js';
import type {Snapshot} from '../snapshot.js';

/** A key as Ink reports it: the typed text and the special-key flags. */
export interface KeyPress {
  readonly input: string;
  readonly key: Partial<Key>;
  /** F1-F12, read from the raw input (Ink's Key has no field for them); absent otherwise. */
  readonly functionKey?: number;
}

/** What a container action names: the container as the screen showed it. */
export interface ContainerTarget {
  /** Full container id. */
  readonly containerId: string;
  readonly name: string;
  /** The engine that reported the container (its ContainerInfo's), or null for a bare body. */
  readonly endpoint: string | null;
  readonly engine: EngineKind;
  /** The host it runs on, in a view of several hosts when it is not this machine. */
  readonly host?: string;
}

/** What `k`, `s` and `r` do to a container. */
export type ContainerVerb = 'kill' | 'stop' | 'restart';

/**
 * A container action or a signal to a host process, awaiting its yes. Each keeps the identity
 * of what the screen showed, so the one acted on is the one the user confirmed.
 */
export type PendingAction =
  | ({readonly kind: 'container'; readonly verb: ContainerVerb} & ContainerTarget)
  | {
      readonly kind: 'process';
      readonly pid: number;
      /** Start time of the process shown (field 22 of /proc/PID/stat), or null when unknown. */
      readonly startTicks: number | null;
      readonly name: string;
      readonly signal: 'SIGTERM' | 'SIGKILL';
    };

/** How a key scrolls the open pane (help, details). */
export type PaneScroll = 'up' | 'down' | 'page-up' | 'page-down' | 'top' | 'bottom';

/** What the screen is doing besides the list. */
export type Mode =
  | {readonly kind: 'list'}
  | {readonly kind: 'filter'; readonly draft: string}
  | {readonly kind: 'help'}
  | {
      readonly kind: 'detail';
      /** The row the pane opened on: it shows that row or says it is gone, never another. */
      readonly key: string;
      /** What the row was, for when it is gone: "container NAME (ID)" or "port 8080/tcp". */
      readonly label: string;
      /** The container's full id when the row had one. */
      readonly containerId: string | null;
    }
  | {
      readonly kind: 'choose-signal';
      readonly pid: number;
      readonly startTicks: number | null;
      readonly name: string;
    }
  | {readonly kind: 'confirm'; readonly action: PendingAction}
  /** One prompt for the tagged containers: each becomes its own action on yes. */
  | {
      readonly kind: 'confirm-many';
      readonly verb: ContainerVerb;
      readonly targets: readonly ContainerTarget[];
    }
  /** The logs pane of `state.logs`; `search-draft` while its search prompt is open. */
  | {readonly kind: 'logs'}
  | {readonly kind: 'logs-search'; readonly draft: string};

/** One log line as the logs pane keeps it. */
export interface LogLineView {
  readonly stream: 'stdout' | 'stderr';
  /** The engine's RFC 3339 time of the line, or null. */
  readonly timestamp: string | null;
  readonly text: string;
}

/** The open logs pane: whose, what came, and how it is looked at. */
export interface LogsState {
  /** Counts the panes opened: the reader of an older pane is told apart and ignored. */
  readonly session: number;
  readonly target: ContainerTarget;
  /** The newest lines (a ring in the reader: older ones are dropped beyond its capacity). */
  readonly lines: readonly LogLineView[];
  /** Lines dropped from the front so far. */
  readonly dropped: number;
  /** Why no more lines will come (the container stopped, the engine failed), or null. */
  readonly ended: {readonly text: string; readonly isError: boolean} | null;
  /** Stays at the newest line as lines come. */
  readonly follow: boolean;
  /** First shown line among the lines the search keeps, when not following. */
  readonly scroll: number;
  /** Only the lines that contain this (case-insensitive) are shown; empty shows all. */
  readonly search: string;
}

/** Resource use of the container the detail pane shows, from one stats sample (the library's figures). */
export type StatsView = Omit<ContainerStats, 'read' | 'cpu'>;

/** The last stats sample (or why there is none) of the container the detail pane shows. */
export interface StatsState {
  readonly containerId: string;
  readonly stats: StatsView | null;
  readonly error: string | null;
}

/** An action the app must carry out (the reducer never does I/O; a hook runs these). */
export interface QueuedAction {
  readonly id: number;
  readonly action: PendingAction;
  /** The bulk action it belongs to (tagged containers), whose outcomes are shown together. */
  readonly batch?: number;
}

/** A bulk action's outcomes so far. */
export interface Batch {
  readonly verb: ContainerVerb;
  readonly total: number;
  readonly outcomes: readonly StatusMessage[];
}

/**
 * A one-line message under the list. Info and ok messages go at the next key or after
 * statusExpiryMs; errors stay until a key; `progress` (an action running) stays until the
 * action's outcome replaces it or a key clears it.
 */
export interface StatusMessage {
  readonly text: string;
  readonly tone: 'info' | 'ok' | 'error' | 'progress';
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
  /** First line of the open pane's (help, details) wrapped text that is shown. */
  readonly paneScroll: number;
  /** Tagged containers by full id: `k`, `s` and `r` act on all of them when there are any. */
  readonly tags: Readonly<Record<string, ContainerTarget>>;
  /** Bulk actions running or done, by batch id (removed when all their outcomes are in). */
  readonly batches: Readonly<Record<number, Batch>>;
  /** Rows grouped by compose project, container and process (t, F5, `--group`). */
  readonly grouped: boolean;
  /** Keys of the groups the user collapsed (every group starts expanded). */
  readonly collapsed: Readonly<Record<string, true>>;
  /** The logs pane's state while it is open (mode `logs` or `logs-search`), else null. */
  readonly logs: LogsState | null;
  /** Resource use of the container the detail pane shows, or null. */
  readonly stats: StatsState | null;
  /**
   * Full redraws asked for so far (a change of terminal size, Ctrl-L): each one clears the
   * terminal and writes the frame whole, so nothing of an earlier frame stays on screen.
   */
  readonly redraws: number;
}

/** Every change the dashboard knows. */
export type AppAction =
  | {readonly type: 'snapshot'; readonly snapshot: Snapshot}
  | {readonly type: 'refresh-failed'; readonly message: string}
  | {readonly type: 'resize'; readonly columns: number; readonly rows: number}
  | {readonly type: 'redraw'}
  | {readonly type: 'pane-scroll'; readonly to: PaneScroll}
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
  | {readonly type: 'request'; readonly verb: ContainerVerb}
  | {readonly type: 'tag-toggle'}
  | {readonly type: 'tags-clear'}
  | {readonly type: 'group-toggle'}
  /** Expands (true), collapses (false) or toggles (null) the selected group. */
  | {readonly type: 'group-expand'; readonly expanded: boolean | null}
  | {readonly type: 'logs-open'}
  | {
      readonly type: 'logs-lines';
      readonly session: number;
      readonly lines: readonly LogLineView[];
      readonly dropped: number;
    }
  | {
      readonly type: 'logs-ended';
      readonly session: number;
      readonly text: string;
      readonly isError: boolean;
    }
  | {readonly type: 'logs-follow-toggle'}
  | {readonly type: 'logs-search-open'}
  | {readonly type: 'logs-search-input'; readonly text: string}
  | {readonly type: 'logs-search-commit'}
  | {readonly type: 'logs-search-cancel'}
  | {readonly type: 'stats'; readonly stats: StatsState}
  | {readonly type: 'choose-signal'; readonly signal: 'SIGTERM' | 'SIGKILL'}
  | {readonly type: 'confirm'; readonly yes: boolean}
  | {readonly type: 'action-started'; readonly id: number}
  | {
      readonly type: 'action-finished';
      readonly id: number;
      readonly key: string;
      readonly status: StatusMessage;
      readonly batch?: number;
    }
  | {readonly type: 'status'; readonly status: StatusMessage | null}
  /** Clears this status if it is still the one shown (the expiry timer's). */
  | {readonly type: 'status-expired'; readonly status: StatusMessage}
  /** Esc in the list: clears the status message and the filter. */
  | {readonly type: 'clear'}
  | {readonly type: 'key'; readonly press: KeyPress};
