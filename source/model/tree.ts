import {fitCell, layoutColumns, type PlacedColumn, printable, truncate} from './columns.js';
import {type ContainerInfo, shortContainerId} from './container-info.js';
import {formatProcess, formatUptime, shownUptimeAt} from './format.js';
import type {SnapshotRow} from './snapshot-row.js';

/** What a group of the grouped view gathers: a compose project, a container, or a process. */
export type GroupKind = 'project' | 'container' | 'process';

/** A group's header line in the grouped view. */
export interface TreeGroupLine {
  readonly kind: 'group';
  readonly group: GroupKind;
  /**
   * Unique, stable across refreshes, never equal to a SnapshotRow key (those never start with
   * `group:`): `group:project:<endpoint>\u0000<project>`, `group:container:<full id>` (or
   * `group:container:<endpoint>\u0000<name>` when the engine gave no id),
   * `group:process:<pid>:<startTicks>` (`?` for unknown start ticks), or `group:process:none`
   * for the rows with neither a container nor a pid.
   */
  readonly key: string;
  /** 0 for a project or a top-level container/process group; 1 for a container inside a project. */
  readonly depth: number;
  /** False when the group's key is in the collapsed set: then no line under it follows. */
  readonly expanded: boolean;
  /** Every matching row under it (all descendants), in the given (sorted) order. */
  readonly rows: readonly SnapshotRow[];
  /** The container of a 'container' group (its first row's), else null. */
  readonly container: ContainerInfo | null;
  /** The compose project of a 'project' group, and of a 'container' group inside one; else null. */
  readonly project: string | null;
  /** Engine endpoint of a 'project' or 'container' group, else null. */
  readonly endpoint: string | null;
  /** The pid of a 'process' group (null for the no-process group and the others). */
  readonly pid: number | null;
  /** Start ticks of a 'process' group's process (with `pid` its identity), else null. */
  readonly startTicks: number | null;
  /** The process name of a 'process' group, else null. */
  readonly process: string | null;
  /** The user of a 'process' group's process, else null. */
  readonly user: string | null;
  /** Containers under a project group (1 for a container group, 0 for a process group). */
  readonly containers: number;
  /**
   * Distinct ports the group's rows cover, per protocol: a port listened on at two addresses
   * (127.0.0.1 and ::1) counts once, a published range row counts each of its ports. For a
   * container this is its published ports that show on the host, as `docker ps` lists them
   * (its IPv4 and IPv6 twins are one).
   */
  readonly ports: number;
  /**
   * For a 'project' group: another project group of the same name comes from another engine
   * endpoint; its header then names the endpoint. False for the other kinds.
   */
  readonly hasNamesake: boolean;
}

/** A row's line in the grouped view. */
export interface TreeRowLine {
  readonly kind: 'row';
  /** The row's key. */
  readonly key: string;
  /** One more than its group's depth: 1 under a top-level group, 2 under a project's container. */
  readonly depth: number;
  readonly row: SnapshotRow;
}

/** One line of the grouped view: a group header or a row. */
export type TreeLine = TreeGroupLine | TreeRowLine;

/** A group while rows are gathered: the line's facts, mutable rows and children. */
interface GroupDraft {
  readonly group: GroupKind;
  readonly key: string;
  readonly rows: SnapshotRow[];
  readonly container: ContainerInfo | null;
  readonly project: string | null;
  readonly endpoint: string | null;
  readonly pid: number | null;
  readonly startTicks: number | null;
  readonly process: string | null;
  readonly user: string | null;
  /** A project's container groups, in the order of their first rows; null for the others. */
  readonly children: GroupDraft[] | null;
  /** The project group a container group is in, or null. */
  readonly parent: GroupDraft | null;
}

const noProcessKey = 'group:process:none';

/** The project a container belongs to, or null (an empty label is none). */
function projectOf(container: ContainerInfo): string | null {
  return container.composeProject === null || container.composeProject === ''
    ? null
    : container.composeProject;
}

function containerKey(container: ContainerInfo): string {
  return container.id === ''
    ? `group:container:${container.endpoint ?? ''}\u0000${container.name}`
    : `group:container:${container.id}`;
}

function projectKey(endpoint: string | null, project: string): string {
  return `group:project:${endpoint ?? ''}\u0000${project}`;
}

function processKey(row: SnapshotRow): string {
  return row.pid === null
    ? noProcessKey
    : `group:process:${row.pid}:${row.startTicks === null ? '?' : row.startTicks}`;
}

/** Facts of a group beyond its kind and key; every field given, so drafts share one shape. */
interface DraftFacts {
  readonly container: ContainerInfo | null;
  readonly project: string | null;
  readonly endpoint: string | null;
  readonly pid: number | null;
  readonly startTicks: number | null;
  readonly process: string | null;
  readonly user: string | null;
  readonly children: GroupDraft[] | null;
  readonly parent: GroupDraft | null;
}

const noFacts: DraftFacts = {
  container: null,
  project: null,
  endpoint: null,
  pid: null,
  startTicks: null,
  process: null,
  user: null,
  children: null,
  parent: null,
};

function draft(group: GroupKind, key: string, facts: DraftFacts): GroupDraft {
  // Written out, not spread: every draft gets the same hidden class, and the loop over 20,000
  // rows reads them fast (spread objects of varied keys made the loop three times slower).
  return {
    group,
    key,
    rows: [],
    container: facts.container,
    project: facts.project,
    endpoint: facts.endpoint,
    pid: facts.pid,
    startTicks: facts.startTicks,
    process: facts.process,
    user: facts.user,
    children: facts.children,
    parent: facts.parent,
  };
}

/**
 * Distinct ports that `rows` cover, counted per protocol: the rows' port ranges (`port` to
 * `lastPort`) merged, so the same port at two addresses counts once. O(r log r).
 */
function countPorts(rows: readonly SnapshotRow[]): number {
  let total = 0;
  for (const protocol of ['tcp', 'udp'] as const) {
    const spans = rows
      .filter((row) => row.protocol === protocol)
      .map((row) => [row.port, Math.max(row.port, row.lastPort)] as const)
      .sort((a, b) => a[0] - b[0]);
    let end = -1;
    for (const [from, to] of spans) {
      if (to > end) {
        total += to - Math.max(from, end + 1) + 1;
        end = to;
      }
    }
  }
  return total;
}

/**
 * The grouped view's lines for `rows` (already filtered and sorted: selectRows), every group
 * expanded but those whose keys are in `collapsed` (a collapsed group is its header line only).
 *
 * A row with a container goes under its container's group; a container with a compose project
 * goes under its project's group (one per engine endpoint and project name). A row with no
 * container (a host process, or an ambiguous match) goes under its process (pid and start
 * ticks); rows with neither a container nor a pid under one `no process visible` group. A
 * helper's row (docker-proxy, conmon, rootlessport) is in its container's group, as the row's
 * `container` says. Groups come in the order of their first rows, and rows keep the given
 * order inside a group, so the sort orders both. One pass over the rows with Maps, then a
 * merge of port ranges per group: O(n log n) at most, for 20,000 rows as for 20. Never throws.
 */
export function buildTree(
  rows: readonly SnapshotRow[],
  collapsed: ReadonlySet<string>,
): TreeLine[] {
  // Top-level groups and container groups by key; a Map keeps the order of first insertion.
  const top = new Map<string, GroupDraft>();
  const containerGroups = new Map<string, GroupDraft>();
  const byContainer = new Map<ContainerInfo, GroupDraft>();
  const newContainerGroup = (key: string, container: ContainerInfo): GroupDraft => {
    // By id only: a container an engine lists at two endpoints is one group (its key once),
    // under the project of the endpoint whose row came first.
    const project = projectOf(container);
    let parent: GroupDraft | null = null;
    if (project !== null) {
      const parentKey = projectKey(container.endpoint, project);
      parent = top.get(parentKey) ?? null;
      if (parent === null) {
        parent = draft('project', parentKey, {
          ...noFacts,
          project,
          endpoint: container.endpoint,
          children: [],
        });
        top.set(parentKey, parent);
      }
    }
    const group = draft('container', key, {
      ...noFacts,
      container,
      project,
      endpoint: container.endpoint,
      parent,
    });
    containerGroups.set(key, group);
    if (parent === null) {
      top.set(key, group);
    } else {
      parent.children?.push(group);
    }
    return group;
  };
  for (const row of rows) {
    const container = row.container;
    if (container === null) {
      const key = processKey(row);
      let group = top.get(key);
      if (group === undefined) {
        group =
          key === noProcessKey
            ? draft('process', key, noFacts)
            : draft('process', key, {
                ...noFacts,
                pid: row.pid,
                startTicks: row.startTicks,
                process: formatProcess(row),
                user: row.user,
              });
        top.set(key, group);
      }
      group.rows.push(row);
      continue;
    }
    // Rows of one container share its ContainerInfo: found by identity, the key string (64
    // hex digits to hash) is made once per container, not once per row.
    let group = byContainer.get(container);
    if (group === undefined) {
      const key = containerKey(container);
      group = containerGroups.get(key) ?? newContainerGroup(key, container);
      byContainer.set(container, group);
    }
    group.rows.push(row);
    group.parent?.rows.push(row);
  }
  const projectNames = new Map<string, number>();
  for (const group of top.values()) {
    if (group.group === 'project' && group.project !== null) {
      projectNames.set(group.project, (projectNames.get(group.project) ?? 0) + 1);
    }
  }
  const lines: TreeLine[] = [];
  const emit = (group: GroupDraft, depth: number): void => {
    const expanded = !collapsed.has(group.key);
    const children = group.children;
    lines.push({
      kind: 'group',
      group: group.group,
      key: group.key,
      depth,
      expanded,
      rows: group.rows,
      container: group.container,
      project: group.project,
      endpoint: group.endpoint,
      pid: group.pid,
      startTicks: group.startTicks,
      process: group.process,
      user: group.user,
      containers: children?.length ?? (group.group === 'container' ? 1 : 0),
      ports: countPorts(group.rows),
      hasNamesake: group.group === 'project' && (projectNames.get(group.project ?? '') ?? 0) > 1,
    });
    if (!expanded) {
      return;
    }
    if (children !== null) {
      for (const child of children) {
        emit(child, depth + 1);
      }
      return;
    }
    for (const row of group.rows) {
      lines.push({kind: 'row', key: row.key, depth: depth + 1, row});
    }
  };
  for (const group of top.values()) {
    emit(group, 0);
  }
  return lines;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/**
 * One-line text of a group header, not fitted to a width: `▾` when expanded, `▸` collapsed,
 * indented two spaces per depth.
 * - project: `▾ compose shop  (3 containers, 9 ports)`, with ` on ENDPOINT` after the name when
 *   another engine has a project of the same name;
 * - container: `▾ nd-web  3f2a1b4c5d6e  busybox:latest  docker  running  Up 5 minutes  5 ports`
 *   (name, short id, image, engine, state, the engine's status text, ports: see `ports`);
 * - process: `▾ sshd (pid 812, root)  up 3h05m  2 ports` (the uptime at `now`, Unix seconds,
 *   as the UPTIME column shows it; left out when unknown); `▾ no process visible  1 port`.
 * Names, images and status come from other users and engines: control, bidi and invisible
 * characters come out as '?' (printable). Never throws.
 */
export function groupHeaderText(line: TreeGroupLine, now?: number): string {
  const lead = `${'  '.repeat(line.depth)}${line.expanded ? '▾' : '▸'} `;
  const ports = plural(line.ports, 'port');
  switch (line.group) {
    case 'project': {
      const where = line.hasNamesake ? ` on ${line.endpoint ?? 'an unnamed engine'}` : '';
      return printable(
        `${lead}compose ${line.project ?? '-'}${where}  (${plural(line.containers, 'container')}, ${ports})`,
      );
    }
    case 'container': {
      const container = line.container;
      if (container === null) {
        return printable(`${lead}container  ${ports}`);
      }
      // Its uptime is that of its oldest process on the host (the helper that started with
      // it), counted to `now` as the rows' are; the engine's status text ("Up 5 minutes") is
      // as old as the container list, so it stands in only when no process is visible.
      const oldest = oldestStarted(line.rows);
      const parts = [
        container.name,
        shortContainerId(container.id) || '-',
        container.image || '-',
        container.engine,
        container.state ?? '-',
        oldest === undefined
          ? (container.status ?? '-')
          : `up ${formatUptime(shownUptimeAt(oldest, now))}`,
        ports,
      ];
      return printable(lead + parts.join('  '));
    }
    case 'process': {
      if (line.pid === null) {
        return printable(`${lead}no process visible  ${ports}`);
      }
      const who = line.user === null ? `pid ${line.pid}` : `pid ${line.pid}, ${line.user}`;
      const first = line.rows[0];
      const uptime = first === undefined ? '-' : formatUptime(shownUptimeAt(first, now));
      const up = uptime === '-' ? '' : `up ${uptime}  `;
      return printable(`${lead}${line.process ?? '-'} (${who})  ${up}${ports}`);
    }
  }
}

/** The row whose process started first (a known start), or undefined. */
function oldestStarted(rows: readonly SnapshotRow[]): SnapshotRow | undefined {
  let oldest: SnapshotRow | undefined;
  for (const row of rows) {
    if (row.startedAt !== null && (oldest?.startedAt == null || row.startedAt < oldest.startedAt)) {
      oldest = row;
    }
  }
  return oldest;
}

/** Cells of the marker in front of each row (`* ` marks a port helper), as in the dashboard. */
const markerWidth = 2;

function tableLine(placed: readonly PlacedColumn[], cell: (entry: PlacedColumn) => string): string {
  return placed.map((entry) => fitCell(cell(entry), entry.width, entry.column.align)).join(' ');
}

/**
 * The grouped view as plain text lines (`--once --group`): the column titles first, then one
 * line per tree line, so `result[i + 1]` is `lines[i]`. A group line is its header text
 * (groupHeaderText), cut to `width`; a row line is the table's line of the row (formatTable's
 * cells) behind the 2-cell marker (`* ` for a helper), all indented alike, as deep as the
 * deepest row, so the columns line up across the whole output under the titles. Columns are
 * laid out over every row shown, in `width` cells (null: as wide as the content). No trailing
 * blanks. `now` (Unix seconds) is the time uptimes count to; without it, each row's own.
 */
export function formatTreeTable(
  lines: readonly TreeLine[],
  width: number | null,
  now?: number,
): string[] {
  const rows: SnapshotRow[] = [];
  let depth = 0;
  for (const line of lines) {
    if (line.kind === 'row') {
      rows.push(line.row);
      depth = Math.max(depth, line.depth);
    }
  }
  const indent = '  '.repeat(depth);
  const lead = indent.length + markerWidth;
  const placed = layoutColumns(rows, width === null ? null : Math.max(10, width - lead));
  const titles =
    indent + ' '.repeat(markerWidth) + tableLine(placed, (entry) => entry.column.title);
  return [
    titles.trimEnd(),
    ...lines.map((line) => {
      if (line.kind === 'group') {
        const text = groupHeaderText(line, now);
        return width === null ? text : truncate(text, width);
      }
      const marker = line.row.helper === null ? '  ' : '* ';
      const cells = tableLine(placed, (entry) => entry.column.cell(line.row, now));
      return (indent + marker + cells).trimEnd();
    }),
  ];
}
