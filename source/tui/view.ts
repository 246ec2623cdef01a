import stringWidth from 'string-width';
import {
  type Column,
  type ColumnId,
  fitCell,
  layoutColumns,
  type PlacedColumn,
  printable,
  truncate,
} from '../model/columns.js';
import type {ContainerInfo} from '../model/container-info.js';
import {formatPublishedPorts} from '../model/format.js';
import type {ServiceOnRow, SnapshotRow} from '../model/snapshot-row.js';
import {groupHeaderText, type TreeGroupLine} from '../model/tree.js';
import type {Snapshot} from '../snapshot.js';
import {bindings} from './keys.js';
import {questionOf, questionOfMany} from './pending-action.js';
import type {Mode, StatsState, StatusMessage} from './types.js';

/**
 * The smallest terminal the dashboard draws in: the frame is five lines of chrome and at least
 * one row, and stays a line shorter than the terminal (a frame as tall as the terminal makes
 * Ink clear the screen on every render, and a taller one scrolls).
 */
export const minimumSize = {columns: 21, rows: 7} as const;

/** The one line shown in a terminal smaller than minimumSize. */
export function tooSmallLine(columns: number, rows: number): string {
  return fitCell(
    `nanodock-top: ${columns}x${rows} is too small (${minimumSize.columns}x${minimumSize.rows} at least) · q quits`,
    Math.max(1, columns - 1),
  );
}

/** Width of the marker column in front of each row (`*` a port helper, `+` a tagged container). */
const markerWidth = 2;

/**
 * Column widths for the whole filtered list (not just the window: scrolling must not reflow);
 * the sorted column's width counts its sort mark.
 */
export function layoutFor(
  rows: readonly SnapshotRow[],
  width: number,
  sortColumn?: ColumnId,
): PlacedColumn[] {
  return layoutColumns(rows, Math.max(10, width - markerWidth), {sortColumn});
}

/** The cell text of a row, with an action in progress shown on the container. */
function cellText(
  row: SnapshotRow,
  column: Column,
  inProgress: Readonly<Record<string, string>>,
  now: number | undefined,
): string {
  const text = column.cell(row, now);
  if (column.id === 'container') {
    const key = row.container?.id ?? (row.pid === null ? '' : `pid:${row.pid}`);
    const running = inProgress[key];
    // The action first: cut at the column's width, the name may lose its end, never the state.
    return running === undefined ? text : `${running}… ${text}`;
  }
  return text;
}

/** One list line, exactly `width` cells wide; `now` (Unix seconds) is the time uptimes count to. */
export function rowLine(
  row: SnapshotRow,
  placed: readonly PlacedColumn[],
  inProgress: Readonly<Record<string, string>>,
  width: number,
  now?: number,
  tagged = false,
): string {
  const marker = `${row.helper === null ? ' ' : '*'}${tagged ? '+' : ' '}`;
  const cells = placed.map((entry) =>
    fitCell(cellText(row, entry.column, inProgress, now), entry.width, entry.column.align),
  );
  return padLine(marker + cells.join(' '), placedWidth(placed), width);
}

/** A group line of the tree, exactly `width` cells wide: its header text behind the marker (`+` tagged). */
export function groupLine(
  line: TreeGroupLine,
  width: number,
  now?: number,
  tagged = false,
): string {
  return fitCell(`${tagged ? ' +' : '  '}${groupHeaderText(line, now)}`, width);
}

/** Cells the marker and the placed columns take: every fitted cell is exactly its width. */
function placedWidth(placed: readonly PlacedColumn[]): number {
  const separators = Math.max(0, placed.length - 1);
  return placed.reduce((sum, entry) => sum + entry.width, markerWidth + separators);
}

/**
 * `line`, known to be `lineWidth` cells wide, padded to `width`; cut (and measured) only if it
 * is wider. The cells are fitted already: measuring the whole line again on every render of
 * every row would cost a grapheme pass over each line that holds an ellipsis.
 */
function padLine(line: string, lineWidth: number, width: number): string {
  return lineWidth <= width ? line + ' '.repeat(width - lineWidth) : fitCell(line, width);
}

/** The column titles line, with the sort column marked ▲ or ▼. */
export function titleLine(
  placed: readonly PlacedColumn[],
  sort: {readonly column: string; readonly descending: boolean},
  width: number,
): string {
  const cells = placed.map((entry) => {
    const mark = entry.column.id === sort.column ? (sort.descending ? '▼' : '▲') : '';
    return fitCell(entry.column.title + mark, entry.width, entry.column.align);
  });
  return padLine(' '.repeat(markerWidth) + cells.join(' '), placedWidth(placed), width);
}

function formatInterval(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** First header line: what, where, how many, how often, how fast, paused. */
export function headerLine(
  snapshot: Snapshot | null,
  shown: number,
  state: {readonly paused: boolean; readonly intervalMs: number; readonly tagged?: number},
  width: number,
): string {
  const parts = ['nanodock-top'];
  if (snapshot === null) {
    parts.push('scanning…');
  } else {
    parts.push(snapshot.hostname);
    parts.push(
      shown === snapshot.rows.length ? `${shown} rows` : `${shown}/${snapshot.rows.length} rows`,
    );
    parts.push(`every ${formatInterval(state.intervalMs)}`);
    parts.push(`refresh ${Math.round(snapshot.durationMs)}ms`);
  }
  if (state.tagged !== undefined && state.tagged > 0) {
    parts.push(`${state.tagged} tagged (U untags)`);
  }
  if (state.paused) {
    parts.push('PAUSED (p resumes)');
  }
  return fitCell(parts.join('  '), width);
}

/** Second header line: engines reached and failed (with why), or why there are none. */
export function enginesLine(
  snapshot: Snapshot | null,
  width: number,
): {text: string; isProblem: boolean} {
  if (snapshot === null) {
    return {text: fitCell('looking for engines…', width), isProblem: false};
  }
  const reachedOf = (engines: Snapshot['engines']): string[] =>
    engines
      .filter((report) => report.ok)
      .map((report) => `${report.engine} ${report.endpoint} (${report.containers})`);
  const parts: string[] = [];
  if (snapshot.hosts !== undefined && snapshot.hosts.length > 1) {
    // Several hosts: each with its own engines, in the order given.
    parts.push(
      snapshot.hosts
        .map((host) => {
          const reached = reachedOf(host.engines);
          const said = host.waiting
            ? 'connecting…'
            : reached.length > 0
              ? reached.join(', ')
              : 'no engine';
          return `${host.name}: ${said}`;
        })
        .join(' │ '),
    );
  } else {
    const reached = reachedOf(snapshot.engines);
    if (reached.length > 0) {
      parts.push(`engines: ${reached.join(', ')}`);
    }
  }
  if (snapshot.enginesPending) {
    parts.push('(engines answering…)');
  }
  const problems = snapshot.warnings;
  if (problems.length > 0) {
    parts.push(`⚠ ${problems.join(' · ')}`);
  }
  return {text: fitCell(parts.join('  '), width), isProblem: problems.length > 0};
}

function withoutFunctionKeys(keys: string): string {
  return keys
    .split(' ')
    .filter((name) => !/^F\d+$/.test(name))
    .join(' ');
}

/** Footer entries kept while others give way: how to get help and how to leave. */
const footerKept = new Set(['help', 'quit']);

/**
 * The footer: the footer bindings, whole entries only. When they do not all fit, the later
 * ones give way first, but help and quit stay (the help lists every key).
 */
export function footerLine(width: number): string {
  const entries = bindings
    .filter((binding) => binding.inFooter)
    // The function keys are in the help (F1): the footer keeps to the letters.
    .map((binding) => ({
      text: `${withoutFunctionKeys(binding.keys)} ${binding.short}`,
      kept: footerKept.has(binding.command),
    }));
  const joined = (): string => entries.map((entry) => entry.text).join('  ');
  while (stringWidth(joined()) > width) {
    const dropAt = entries.findLastIndex((entry) => !entry.kept);
    if (dropAt === -1) {
      break;
    }
    entries.splice(dropAt, 1);
  }
  return fitCell(joined(), width);
}

/** The line above the footer: the prompt of the mode, else the status, else the active filter. */
export function statusLine(
  mode: Mode,
  status: StatusMessage | null,
  filterText: string,
  refreshError: string | null,
  width: number,
): {text: string; tone: StatusMessage['tone'] | 'prompt'} {
  switch (mode.kind) {
    case 'filter':
      return {
        text: fitCell(
          `/${mode.draft}█  Enter keeps · Esc clears · 808 = ports it begins · =8080 exact · 3000-4000`,
          width,
        ),
        tone: 'prompt',
      };
    case 'confirm':
      return {text: fitCell(questionOf(mode.action), width), tone: 'prompt'};
    case 'confirm-many':
      return {text: fitCell(questionOfMany(mode.verb, mode.targets), width), tone: 'prompt'};
    case 'logs-search':
      return {
        text: fitCell(`/${mode.draft}█  search the logs · Enter keeps · Esc clears`, width),
        tone: 'prompt',
      };
    case 'choose-signal':
      return {
        text: fitCell(
          `Signal ${mode.name} (${mode.pid}): t or Enter TERM · K KILL · Esc cancels`,
          width,
        ),
        tone: 'prompt',
      };
    default:
      break;
  }
  if (status !== null) {
    return {text: fitCell(status.text, width), tone: status.tone};
  }
  if (refreshError !== null) {
    return {text: fitCell(`refresh failed: ${refreshError}`, width), tone: 'error'};
  }
  return {
    text: fitCell(
      filterText === '' ? '' : `filter: ${filterText}  (/ changes it · Esc clears it)`,
      width,
    ),
    tone: 'info',
  };
}

/** The help screen's text: its title, then one line per key and the notes, not yet wrapped. */
export function helpText(): string[] {
  return [
    'nanodock-top keys',
    '',
    ...bindings.map((binding) => `  ${binding.keys.padEnd(8)} ${binding.description}`),
    '',
    '  in the filter prompt: type to filter live (digits: ports that begin with them; =N: port N exactly; A-B: a range) · Enter keeps · Esc clears',
    '  in a question: y confirms · anything else cancels',
    '  rows marked + belong to a tagged container; with tags, k s r ask once and act on every tagged container',
    '  in the logs: f pauses or follows · / searches (shows the lines that contain it) · lines marked ! came on stderr · Esc closes',
    '  in the tree (t): Enter, → and ← open and close a group; Space on a project tags its containers',
    '  rows marked * are held by a port helper (docker-proxy, conmon, rootlessport, pasta)',
    '  a process shown as !NAME runs under a helper name but is not the real helper',
    '  here and in the details: ↑ ↓ j, PgUp PgDn, Home End (g G) scroll',
  ];
}

/**
 * The detail pane's lines when the row it opened on is gone: it says so rather than show
 * another row. `rows` are the snapshot's rows, to tell a gone container from a closed port.
 */
export function detailGoneLines(
  mode: {readonly label: string; readonly containerId: string | null},
  rows: readonly SnapshotRow[],
  width: number,
  height: number,
): string[] {
  const containerGone =
    mode.containerId !== null && !rows.some((row) => row.container?.id === mode.containerId);
  const lines = [
    containerGone ? `${mode.label} is gone` : `this port is no longer listening (${mode.label})`,
    '',
    'Esc or Enter closes',
  ];
  return lines.slice(0, height).map((line) => fitCell(truncate(line, width), width));
}

/** What closes the help screen, always on its last line. */
export const helpCloseHint = 'Esc, Enter or ? closes';

/** The help screen's lines: title, the window of wrapped text at `scroll`, position and how to close. */
export function helpLines(width: number, height: number, scroll = 0): string[] {
  return paneLines(helpText(), helpCloseHint, width, height, scroll);
}

/** The detail pane's text for a row: its title, then every fact the row has, not yet wrapped. */
export function detailText(row: SnapshotRow, stats?: StatsState | null): string[] {
  const container = row.container;
  if (row.service !== undefined) {
    return [
      ...serviceText(row.service, container),
      ...(container === null ? [] : containerText(container, stats)),
    ];
  }
  const lines: string[] = [
    `${row.protocol} port ${row.port} on ${row.addresses.join(', ')}`,
    `processes: ${row.pids.length === 0 ? 'none visible' : row.pids.join(', ')}${row.process ? ` (${row.process}, user ${row.user ?? '?'})` : ''}`,
    `command: ${row.command.length === 0 ? '-' : row.command.join(' ')}`,
  ];
  if (row.sockets !== undefined && row.sockets > 1) {
    lines.splice(1, 0, `${row.sockets} sockets (SO_REUSEPORT)`);
  }
  if (row.helper !== null) {
    lines.push(`port helper: ${row.helper}`);
  }
  if (row.untrusted !== null) {
    lines.push(`not a port helper: ${row.untrusted}`);
  }
  if (container !== null) {
    lines.push(...containerText(container, stats));
  } else if (row.ambiguous) {
    lines.push(
      `ambiguous: ${row.candidates.map((candidate) => `${candidate.name} (${candidate.image})`).join(', ')}`,
    );
  } else {
    lines.push('container: none');
  }
  return lines;
}

/** The detail pane's facts of a container. */
function containerText(container: ContainerInfo, stats: StatsState | null | undefined): string[] {
  const ports = formatPublishedPorts(container.ports);
  return [
    `container: ${container.name}`,
    `id: ${container.id}`,
    `image: ${container.image || '-'}`,
    `engine: ${container.engine} at ${container.endpoint ?? '?'}`,
    `state: ${container.state ?? '-'}${container.status ? ` (${container.status})` : ''}`,
    `compose project: ${container.composeProject ?? '-'}`,
    statsLine(container.id, stats ?? null),
    ports.length === 0 ? 'ports: -' : 'ports:',
    ...ports.map((port) => `  ${port}`),
    'labels:',
    ...Object.entries(container.labels).map(([key, value]) => `  ${key}=${value}`),
  ];
}

/** The detail pane's facts of a Swarm service's ingress port: the service, then its tasks. */
function serviceText({service, port}: ServiceOnRow, container: ContainerInfo | null): string[] {
  return [
    `${port.protocol} port ${port.publishedPort} on every node of the swarm (routing mesh: no host socket)`,
    `service: ${service.name} (${service.id.slice(0, 12)})`,
    `image: ${service.image || '-'}`,
    `mode: ${service.mode} · replicas ${service.replicas.running}/${service.replicas.desired} running`,
    `nodes: ${service.nodes.length === 0 ? 'none running' : service.nodes.join(', ')}`,
    `published: ${port.publishedPort} -> ${port.targetPort}/${port.protocol} (${port.publishMode})`,
    `manager: ${service.endpoint}`,
    service.tasks.length === 0 ? 'tasks: none' : 'tasks:',
    ...service.tasks.map(
      (task) =>
        `  ${task.slot === null ? '-' : `#${task.slot}`} ${task.state} on ${task.nodeName ?? task.nodeId.slice(0, 12)}${task.onThisNode ? ' (this node)' : ''} · container ${task.containerId?.slice(0, 12) ?? '-'}${task.message === '' ? '' : ` · ${task.message}`}`,
    ),
    container === null
      ? 'on this node: no task container (k, s, r and l need one; its tasks run on other nodes)'
      : 'on this node: the task container below (k, s, r and l act on it; Swarm replaces a task that stops)',
  ];
}

const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** Bytes as `docker stats` shows them: `12.3MiB`, `512B`. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0
    ? `${Math.round(value)}B`
    : `${value.toFixed(value < 10 ? 2 : 1)}${units[unit]}`;
}

/** The resources line of the detail pane: from the last stats sample of this container. */
export function statsLine(containerId: string, stats: StatsState | null): string {
  if (stats === null || stats.containerId !== containerId) {
    return 'resources: reading…';
  }
  if (stats.stats === null) {
    return `resources: unavailable (${stats.error ?? 'no answer'})`;
  }
  const {cpuPercent, memoryBytes, memoryLimitBytes, networkRxBytes, networkTxBytes, pids} =
    stats.stats;
  const parts = [
    `cpu ${cpuPercent === null ? '-' : `${cpuPercent.toFixed(1)}%`}`,
    `memory ${memoryBytes === null ? '-' : formatBytes(memoryBytes)}${memoryLimitBytes === null ? '' : ` / ${formatBytes(memoryLimitBytes)}`}`,
    `net rx ${networkRxBytes === null ? '-' : formatBytes(networkRxBytes)} tx ${networkTxBytes === null ? '-' : formatBytes(networkTxBytes)}`,
  ];
  if (pids !== null) {
    parts.push(`pids ${pids}`);
  }
  return `resources: ${parts.join(' · ')}`;
}

/** What closes the detail pane, always on its last line. */
export const detailCloseHint = 'Esc or Enter closes';

/** The detail pane's lines for a row: title, the window of wrapped facts at `scroll`, position and how to close. */
export function detailLines(
  row: SnapshotRow,
  width: number,
  height: number,
  scroll = 0,
  stats: StatsState | null = null,
): string[] {
  return paneLines(detailText(row, stats), detailCloseHint, width, height, scroll);
}

const graphemes = new Intl.Segmenter(undefined, {granularity: 'grapheme'});

/**
 * `text` (shown printable) as lines of at most `width` cells: broken after the last space that
 * fits when there is one past the indent, else inside the word; each continuation indented two
 * cells deeper than the line's own indent, so it reads as part of the line above. A line that
 * fits is returned as it is.
 */
export function wrapLine(text: string, width: number): string[] {
  const safe = printable(text);
  if (width <= 0) {
    return [''];
  }
  if (stringWidth(safe) <= width) {
    return [safe];
  }
  const ownIndent = safe.length - safe.trimStart().length;
  // A continuation keeps at least half the width for text.
  const indent = ' '.repeat(Math.min(ownIndent + 2, Math.floor(width / 2)));
  const out: string[] = [];
  let line = '';
  let used = 0;
  /** Where `line` can break: its length after the last space past the indent, and that width. */
  let lastBreak: {length: number; used: number} | null = null;
  let lineStart = 0;
  for (const {segment} of graphemes.segment(safe)) {
    const cells = stringWidth(segment);
    if (segment === ' ' && used + cells > width) {
      // A space that does not fit is the break itself.
      out.push(line.trimEnd());
      line = indent;
      lineStart = indent.length;
      used = indent.length;
      lastBreak = null;
      continue;
    }
    if (used + cells > width && used > lineStart) {
      let rest = '';
      // Break at the last space only when what moves down fits beside the indent.
      if (
        lastBreak !== null &&
        lastBreak.length < line.length &&
        indent.length + used - lastBreak.used < width
      ) {
        rest = line.slice(lastBreak.length);
        line = line.slice(0, lastBreak.length);
      }
      out.push(line.trimEnd());
      line = indent + rest;
      lineStart = indent.length;
      used = stringWidth(line);
      lastBreak = null;
    }
    line += segment;
    used += cells;
    if (segment === ' ' && used > lineStart + 1) {
      lastBreak = {length: line.length, used};
    }
  }
  out.push(line.trimEnd());
  return out;
}

/** `text` wrapped to `width`: every line of it (see wrapLine). */
export function wrapText(text: readonly string[], width: number): string[] {
  return text.flatMap((line) => wrapLine(line, width));
}

/** How the text of a pane lies at a width and height: its wrapped body, window and bounds. */
export interface PaneLayout {
  /** The title (the text's first line), fitted. */
  readonly title: string;
  /** The rest of the text, wrapped. */
  readonly body: readonly string[];
  /** Lines of body the pane shows at once (the height less the title and the bottom line). */
  readonly bodyHeight: number;
  /** The largest first line a scroll can reach (0 when all of it fits). */
  readonly maxScroll: number;
}

/** The layout of a pane whose text (title first) is `text`, in `width` x `height` cells. */
export function layoutPane(text: readonly string[], width: number, height: number): PaneLayout {
  const [first = '', ...rest] = text;
  const body = wrapText(rest, width);
  const bodyHeight = Math.max(0, height - 2);
  return {
    title: fitCell(first, width),
    body,
    bodyHeight,
    maxScroll: Math.max(0, body.length - bodyHeight),
  };
}

/** `scroll` kept within a pane's bounds. */
export function clampScroll(scroll: number, layout: PaneLayout): number {
  return Math.max(0, Math.min(scroll, layout.maxScroll));
}

/**
 * The lines of a pane (help or details) `height` lines tall: the title, the body's window from
 * line `scroll` (clamped), and a bottom line that always ends in how to close it, with the
 * position (`lines 1-18 of 31`) and the scroll keys when the body is longer than the window.
 * Every line is exactly `width` cells.
 */
export function paneLines(
  text: readonly string[],
  closeHint: string,
  width: number,
  height: number,
  scroll: number,
): string[] {
  if (height <= 0) {
    return [];
  }
  const layout = layoutPane(text, width, height);
  const top = clampScroll(scroll, layout);
  const window = layout.body.slice(top, top + layout.bodyHeight);
  const parts: string[] = [];
  if (layout.maxScroll > 0) {
    const last = Math.min(layout.body.length, top + layout.bodyHeight);
    parts.push(
      layout.bodyHeight === 0
        ? `${layout.body.length} lines`
        : `lines ${top + 1}-${last} of ${layout.body.length}`,
      '↑↓ PgUp PgDn Home End',
    );
  }
  const bottom = fittingParts([...parts, closeHint], width, closeHint);
  if (height === 1) {
    return [fitCell(bottom, width)];
  }
  return [
    layout.title,
    ...window.map((line) => fitCell(line, width)),
    ...Array.from({length: layout.bodyHeight - window.length}, () => fitCell('', width)),
    fitCell(bottom, width),
  ];
}

/**
 * `parts` joined by ` · `, leaving out the earlier ones (not `kept`) until the line fits
 * `width`: the hint how to close stays visible as long as it fits at all.
 */
function fittingParts(parts: readonly string[], width: number, kept: string): string {
  let shown = [...parts];
  while (shown.length > 1 && stringWidth(shown.join(' · ')) > width) {
    const dropAt = shown.findIndex((part) => part !== kept);
    shown = shown.filter((_, index) => index !== dropAt);
  }
  return shown.join(' · ');
}
