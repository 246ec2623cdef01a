import {fitCell, printable} from '../model/columns.js';
import {shortContainerId} from '../model/container-info.js';
import type {ContainerTarget, LogLineView, LogsState, PaneScroll} from './types.js';

/** Lines the logs pane asks for when it opens (as `docker logs --tail 200`). */
export const logsTailLines = 200;

/** Lines the pane keeps at most: older ones are dropped as new ones come. */
export const logsCapacity = 5000;

/** The logs state of a pane that just opened on `target`. */
export function openLogsState(target: ContainerTarget, session: number): LogsState {
  return {
    session,
    target,
    lines: [],
    dropped: 0,
    ended: null,
    follow: true,
    scroll: 0,
    search: '',
  };
}

const searched = new WeakMap<readonly LogLineView[], {search: string; lines: LogLineView[]}>();

/** The lines the search keeps (all of them when it is empty), memoised per lines and search. */
export function shownLogLines(logs: LogsState): readonly LogLineView[] {
  if (logs.search === '') {
    return logs.lines;
  }
  const cached = searched.get(logs.lines);
  if (cached?.search === logs.search) {
    return cached.lines;
  }
  const needle = logs.search.toLowerCase();
  const lines = logs.lines.filter((line) => line.text.toLowerCase().includes(needle));
  searched.set(logs.lines, {search: logs.search, lines});
  return lines;
}

/** Lines of log text the pane shows at once in a pane `height` lines tall. */
export function logsBodyHeight(height: number): number {
  return Math.max(0, height - 2);
}

/** Lines in the body: the shown log lines and, once the stream ended, the line saying why. */
function bodyLength(logs: LogsState): number {
  return shownLogLines(logs).length + (logs.ended === null ? 0 : 1);
}

/** The first body line shown: the newest lines while following, else the kept scroll. */
export function logsTop(logs: LogsState, height: number): number {
  const maxTop = Math.max(0, bodyLength(logs) - logsBodyHeight(height));
  return logs.follow ? maxTop : Math.min(logs.scroll, maxTop);
}

/**
 * New lines came (the reader's whole ring, `dropped` lines gone before it). While not
 * following, the view stays on the same lines: it moves up by what was dropped.
 */
export function appendLogs(
  logs: LogsState,
  lines: readonly LogLineView[],
  dropped: number,
): LogsState {
  const gone = Math.max(0, dropped - logs.dropped);
  return {...logs, lines, dropped, scroll: Math.max(0, logs.scroll - gone)};
}

/** The logs scrolled as asked: up leaves follow mode, the end (G, End) comes back to it. */
export function scrollLogs(logs: LogsState, to: PaneScroll, height: number): LogsState {
  const body = logsBodyHeight(height);
  const page = Math.max(1, body - 1);
  const maxTop = Math.max(0, bodyLength(logs) - body);
  const from = logsTop(logs, height);
  if (to === 'bottom') {
    return {...logs, follow: true, scroll: maxTop};
  }
  const wanted = {
    up: from - 1,
    down: from + 1,
    'page-up': from - page,
    'page-down': from + page,
    top: 0,
  }[to];
  const scroll = Math.max(0, Math.min(wanted, maxTop));
  // Reaching the end by scrolling down follows again, as `less +F` users expect of the bottom.
  return {...logs, scroll, follow: scroll === maxTop && (to === 'down' || to === 'page-down')};
}

/** Follow on (to the newest line) or off (staying where the view is). */
export function toggleFollow(logs: LogsState, height: number): LogsState {
  return logs.follow
    ? {...logs, follow: false, scroll: logsTop(logs, height)}
    : {...logs, follow: true};
}

/** `HH:MM:SS` of an RFC 3339 time (the engine's, UTC), or blanks when there is none. */
function clockOf(timestamp: string | null): string {
  const match = timestamp === null ? null : /T(\d\d:\d\d:\d\d)/.exec(timestamp);
  return match?.[1] ?? '        ';
}

/** One log line as the pane shows it: time, `!` for stderr, the text made printable. */
export function logLineText(line: LogLineView): string {
  return `${clockOf(line.timestamp)} ${line.stream === 'stderr' ? '!' : ' '} ${printable(line.text)}`;
}

/** One line of the pane, with how it is drawn. */
export interface LogsPaneLine {
  readonly text: string;
  readonly tone: 'title' | 'stderr' | 'plain' | 'note' | 'error' | 'hint';
}

/** The pane's title: whose logs, and whether they follow. */
export function logsTitle(logs: LogsState): string {
  const target = logs.target;
  const state = logs.ended !== null ? 'ended' : logs.follow ? 'following' : 'paused (f follows)';
  const search = logs.search === '' ? '' : ` · search "${logs.search}"`;
  return `logs of ${target.name} (${shortContainerId(target.containerId)}) · ${state}${search}`;
}

/**
 * The logs pane, `height` lines of exactly `width` cells: the title, the window of lines
 * (stderr marked `!`), and a bottom line with the position and the keys.
 */
export function logsPaneLines(logs: LogsState, width: number, height: number): LogsPaneLine[] {
  if (height <= 0) {
    return [];
  }
  const shown = shownLogLines(logs);
  const body = logsBodyHeight(height);
  const top = logsTop(logs, height);
  const lines: LogsPaneLine[] = [];
  for (let index = top; index < top + body; index++) {
    const line = shown[index];
    if (line !== undefined) {
      lines.push({
        text: fitCell(logLineText(line), width),
        tone: line.stream === 'stderr' ? 'stderr' : 'plain',
      });
    } else if (index === shown.length && logs.ended !== null) {
      lines.push({
        text: fitCell(`— ${logs.ended.text} —`, width),
        tone: logs.ended.isError ? 'error' : 'note',
      });
    } else {
      const empty = index === 0 && shown.length === 0 && logs.ended === null;
      const text = empty
        ? logs.search === ''
          ? 'waiting for lines…'
          : 'no line matches the search'
        : '';
      lines.push({text: fitCell(text, width), tone: 'note'});
    }
  }
  const total = shown.length;
  const position =
    total === 0
      ? '0 lines'
      : `lines ${Math.min(top + 1, total)}-${Math.min(total, top + body)} of ${total}`;
  const dropped = logs.dropped > 0 ? ` (${logs.dropped} older dropped)` : '';
  const hint = `${position}${dropped} · f ${logs.follow ? 'pauses' : 'follows'} · / search · ↑↓ PgUp PgDn · Esc closes`;
  if (height === 1) {
    return [{text: fitCell(hint, width), tone: 'hint'}];
  }
  return [
    {text: fitCell(logsTitle(logs), width), tone: 'title'},
    ...lines,
    {text: fitCell(hint, width), tone: 'hint'},
  ];
}
