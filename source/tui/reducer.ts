import {type ColumnId, columns} from '../model/columns.js';
import type {ContainerInfo} from '../model/container-info.js';
import {formatFilter, parseFilter, type RowFilter} from '../model/filter.js';
import type {SnapshotRow} from '../model/snapshot-row.js';
import {splitKeyBurst} from './key-burst.js';
import {interpretKey, isBlank} from './keys.js';
import {appendLogs, openLogsState, scrollLogs, toggleFollow} from './logs-pane.js';
import {paneHeight, scrollPane} from './pane.js';
import {actionKey, describeTarget, progressWord, summarizeBatch} from './pending-action.js';
import {isSameDetail, isSameHeader, isSameScreen, isSameUptimes} from './screen-diff.js';
import {
  isTreeLine,
  listHeight,
  placeSelection,
  reselect,
  rowOfLine,
  selectedGroup,
  selectedIndexOf,
  selectedLine,
  selectedRow,
  selectVisibleLines,
  selectWindowRows,
} from './selection.js';
import {byName, pruneTags, taggedTargets, targetOf, toggleTags} from './tags.js';
import type {AppAction, AppState, ContainerVerb, PendingAction, QueuedAction} from './types.js';

/** Options of initialState. */
export interface InitialOptions {
  readonly filter?: RowFilter;
  readonly sort?: ColumnId;
  readonly descending?: boolean;
  readonly intervalMs?: number;
  readonly columns?: number;
  readonly rows?: number;
  /** Start with the rows grouped (`--group`). */
  readonly group?: boolean;
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
    tags: {},
    batches: {},
    grouped: options.group ?? false,
    collapsed: {},
    logs: null,
    stats: null,
  };
}

function sortStep(state: AppState, step: 1 | -1): AppState {
  const ids = columns.map((column) => column.id);
  const at = ids.indexOf(state.sort.column);
  const column = ids[(at + step + ids.length) % ids.length] ?? 'port';
  return {...state, sort: {...state.sort, column}};
}

const verbNames: Record<ContainerVerb, string> = {
  kill: 'k kills',
  stop: 's stops',
  restart: 'r restarts',
};

function requestAction(state: AppState, verb: ContainerVerb): AppState {
  const tagged = taggedTargets(state.tags);
  if (tagged.length > 0) {
    // With tags, the action is for every tagged container, whichever row is selected.
    return {...state, mode: {kind: 'confirm-many', verb, targets: tagged}, status: null};
  }
  const group = selectedGroup(state);
  if (group?.group === 'project') {
    // A compose project: every container of it, after one prompt that names them.
    const targets = byName(containersOf(group.rows).map(targetOf));
    return targets.length === 0
      ? {...state, status: {text: 'this project has no container to act on', tone: 'info'}}
      : {...state, mode: {kind: 'confirm-many', verb, targets}, status: null};
  }
  // A container's group acts on the container; a process's on the process (its first row).
  const row = group?.rows[0] ?? selectedRow(state);
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
          ...(row.host === undefined || row.host.local ? {} : {host: row.host.name}),
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
  if (row.service !== undefined) {
    // A service's ingress port with no task container on this node: nothing here to act on.
    return {
      ...state,
      status: {
        text: `service ${row.service.service.name} has no task on this node: nothing here to ${verb} (use docker service scale or rm on a manager)`,
        tone: 'info',
      },
    };
  }
  if (row.host !== undefined && !row.host.local) {
    return {
      ...state,
      status: {
        text: `this port has no container, and its process runs on ${row.host.name}: nanodock-top signals processes of this machine only`,
        tone: 'info',
      },
    };
  }
  if (verb !== 'kill') {
    return {
      ...state,
      status: {
        text: `${verbNames[verb]} containers; this port has none (k sends a signal)`,
        tone: 'info',
      },
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

/** The tagged containers' actions, queued as one batch whose outcomes are shown together. */
function confirmMany(state: AppState): AppState {
  if (state.mode.kind !== 'confirm-many') {
    return state;
  }
  const {verb, targets} = state.mode;
  const batch = state.nextActionId;
  let nextActionId = batch + 1;
  const inProgress = {...state.inProgress};
  const queued: QueuedAction[] = [];
  let skipped = 0;
  for (const target of targets) {
    if (inProgress[target.containerId] !== undefined) {
      // Already being acted on: the running action's outcome will say how it went.
      skipped++;
      continue;
    }
    const action: PendingAction = {kind: 'container', verb, ...target};
    queued.push({id: nextActionId++, action, batch});
    inProgress[target.containerId] = progressWord(action);
  }
  const total = queued.length;
  const busy = skipped === 0 ? '' : ` (${skipped} busy already, left alone)`;
  if (total === 0) {
    return {...state, mode: {kind: 'list'}, status: {text: `nothing to do${busy}`, tone: 'info'}};
  }
  return {
    ...state,
    mode: {kind: 'list'},
    queue: [...state.queue, ...queued],
    nextActionId,
    inProgress,
    batches: {...state.batches, [batch]: {verb, total, outcomes: []}},
    status: {
      text: `${progressWord(queued[0]?.action as PendingAction)} ${total} ${total === 1 ? 'container' : 'containers'}${busy}: in progress…`,
      tone: 'progress',
    },
  };
}

function confirm(state: AppState, yes: boolean): AppState {
  if (state.mode.kind !== 'confirm' && state.mode.kind !== 'confirm-many') {
    return state;
  }
  if (!yes) {
    return {...state, mode: {kind: 'list'}, status: {text: 'cancelled', tone: 'info'}};
  }
  if (state.mode.kind === 'confirm-many') {
    return confirmMany(state);
  }
  const action = state.mode.action;
  const key = actionKey(action);
  const label = progressWord(action);
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

/** An action's outcome: on the status line, or with its batch's others. */
function finishAction(
  state: AppState,
  action: Extract<AppAction, {type: 'action-finished'}>,
): AppState {
  const {[action.key]: _finished, ...inProgress} = state.inProgress;
  const batch = action.batch === undefined ? undefined : state.batches[action.batch];
  if (batch === undefined || action.batch === undefined) {
    return {...state, inProgress, status: action.status};
  }
  const next = {...batch, outcomes: [...batch.outcomes, action.status]};
  const {[action.batch]: _done, ...rest} = state.batches;
  const batches = next.outcomes.length >= next.total ? rest : {...rest, [action.batch]: next};
  return {...state, inProgress, batches, status: summarizeBatch(next)};
}

/** The distinct containers of `rows`, in their order. */
function containersOf(rows: readonly SnapshotRow[]): ContainerInfo[] {
  const seen = new Map<string, ContainerInfo>();
  for (const row of rows) {
    if (row.container !== null && row.container.id !== '' && !seen.has(row.container.id)) {
      seen.set(row.container.id, row.container);
    }
  }
  return [...seen.values()];
}

/** The container of the selected row, or of the selected container group; else null. */
function selectedContainer(state: AppState): ContainerInfo | null {
  const group = selectedGroup(state);
  if (group !== undefined) {
    return group.group === 'container' ? group.container : null;
  }
  return selectedRow(state)?.container ?? null;
}

/** Space: tags or untags the selected container (on a project: all of its containers). */
function toggleTag(state: AppState): AppState {
  const group = selectedGroup(state);
  const containers =
    group?.group === 'project' ? containersOf(group.rows) : [selectedContainer(state)];
  const taggable = containers.filter(
    (container): container is ContainerInfo => container !== null && container.id !== '',
  );
  if (taggable.length === 0) {
    return {
      ...state,
      status: {text: 'only containers can be tagged (this row has none)', tone: 'info'},
    };
  }
  return {...state, tags: toggleTags(state.tags, taggable)};
}

/**
 * t, F5: the tree, or the flat list, with the selection on the same thing: a row stays
 * selected (or its collapsed group takes the selection); a group gives it to its first row.
 */
function toggleGrouped(state: AppState): AppState {
  const line = selectedLine(state);
  const grouped = !state.grouped;
  const next = {...state, grouped};
  if (line === undefined) {
    return reselect(next);
  }
  let key = line.key;
  if (!grouped) {
    key = (rowOfLine(line) ?? selectedGroup(state)?.rows[0])?.key ?? key;
  } else {
    const lines = selectVisibleLines(next);
    if (!lines.some((candidate) => candidate.key === key)) {
      // The row is inside a collapsed group: select the innermost group holding it (the
      // last of those that hold it).
      for (const candidate of lines) {
        if (
          isTreeLine(candidate) &&
          candidate.kind === 'group' &&
          candidate.rows.some((row) => row.key === line.key)
        ) {
          key = candidate.key;
        }
      }
    }
  }
  return reselect({...next, selectedKey: key});
}

/**
 * → (true), ← (false) or Enter (null, toggles) on a group; ← on a row of the tree goes to
 * its group.
 */
function expandGroup(state: AppState, expanded: boolean | null): AppState {
  if (!state.grouped) {
    return expanded === null
      ? state
      : {
          ...state,
          status: {text: 't groups the rows first (then → and ← open and close)', tone: 'info'},
        };
  }
  const group = selectedGroup(state);
  if (group === undefined) {
    if (expanded !== false) {
      return state;
    }
    // ← on a row: to the nearest group above it, one level up.
    const lines = selectVisibleLines(state);
    const index = selectedIndexOf(state, lines);
    const here = lines[index];
    const depth = here !== undefined && isTreeLine(here) ? here.depth : 0;
    for (let at = index - 1; at >= 0; at--) {
      const line = lines[at];
      if (line !== undefined && isTreeLine(line) && line.kind === 'group' && line.depth < depth) {
        return placeSelection(state, at);
      }
    }
    return state;
  }
  const open = expanded ?? !group.expanded;
  if (open === group.expanded) {
    return state;
  }
  const {[group.key]: _was, ...collapsed} = state.collapsed;
  return reselect({
    ...state,
    collapsed: open ? collapsed : {...collapsed, [group.key]: true},
    selectedKey: group.key,
  });
}

/** `l`: the logs pane of the selected container. */
function openLogs(state: AppState): AppState {
  const container = selectedContainer(state);
  if (container === null || container.id === '') {
    return {
      ...state,
      status: {text: "l shows a container's logs; this row has none", tone: 'info'},
    };
  }
  return {
    ...state,
    mode: {kind: 'logs'},
    logs: openLogsState(targetOf(container), state.nextActionId),
    nextActionId: state.nextActionId + 1,
    status: null,
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
      return reselect({
        ...state,
        snapshot: next,
        refreshError: null,
        tags: pruneTags(state.tags, next),
      });
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
      return placeSelection(state, selectedIndexOf(state, selectVisibleLines(state)) + action.by);
    case 'page':
      return placeSelection(
        state,
        selectedIndexOf(state, selectVisibleLines(state)) + action.direction * listHeight(state),
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
    case 'group-toggle':
      return toggleGrouped(state);
    case 'group-expand':
      return expandGroup(state, action.expanded);
    case 'detail-toggle':
      if (state.mode.kind !== 'detail' && selectedGroup(state) !== undefined) {
        // Enter on a group opens or closes it.
        return expandGroup(state, null);
      }
      return state.mode.kind === 'detail'
        ? {...state, mode: {kind: 'list'}, paneScroll: 0, stats: null}
        : {...openDetail(state), paneScroll: 0, stats: null};
    case 'close':
      if (state.mode.kind === 'logs-search') {
        return {...state, mode: {kind: 'logs'}};
      }
      return state.mode.kind === 'confirm' ||
        state.mode.kind === 'confirm-many' ||
        state.mode.kind === 'choose-signal'
        ? {...state, mode: {kind: 'list'}, status: {text: 'cancelled', tone: 'info'}}
        : {...state, mode: {kind: 'list'}, paneScroll: 0, logs: null, stats: null};
    case 'pane-scroll':
      if (state.mode.kind === 'logs' && state.logs !== null) {
        return {...state, logs: scrollLogs(state.logs, action.to, paneHeight(state))};
      }
      return scrollPane(state, action.to);
    case 'tag-toggle':
      return toggleTag(state);
    case 'tags-clear': {
      const count = Object.keys(state.tags).length;
      return count === 0
        ? {...state, status: {text: 'no container is tagged', tone: 'info'}}
        : {...state, tags: {}, status: {text: `${count} untagged`, tone: 'info'}};
    }
    case 'logs-open':
      return openLogs(state);
    case 'logs-lines':
      return state.logs?.session === action.session
        ? {...state, logs: appendLogs(state.logs, action.lines, action.dropped)}
        : state;
    case 'logs-ended':
      return state.logs?.session === action.session
        ? {...state, logs: {...state.logs, ended: {text: action.text, isError: action.isError}}}
        : state;
    case 'logs-follow-toggle':
      return state.logs === null
        ? state
        : {...state, logs: toggleFollow(state.logs, paneHeight(state))};
    case 'logs-search-open':
      return state.logs === null
        ? state
        : {...state, mode: {kind: 'logs-search', draft: state.logs.search}};
    case 'logs-search-input':
      // Searches live as you type, from the newest lines.
      return state.logs === null
        ? state
        : {
            ...state,
            mode: {kind: 'logs-search', draft: action.text},
            logs: {...state.logs, search: action.text, follow: true},
          };
    case 'logs-search-commit':
      return {...state, mode: {kind: 'logs'}};
    case 'logs-search-cancel':
      return state.logs === null
        ? state
        : {...state, mode: {kind: 'logs'}, logs: {...state.logs, search: ''}};
    case 'stats':
      return state.mode.kind === 'detail' && state.mode.containerId === action.stats.containerId
        ? {...state, stats: action.stats}
        : state;
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
    case 'action-finished':
      return finishAction(state, action);
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
