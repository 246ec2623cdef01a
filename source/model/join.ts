import type {ContainerInfo, Protocol} from './container-info.js';
import type {ContainerPortMap} from './container-port-map.js';
import {type HelperFinding, type HelperKind, parseDockerProxyArgs} from './helper.js';
import {lookupPublishedContainer} from './lookup.js';
import {isSameList} from './same-list.js';
import type {ListenerInput, ProcessInput, SnapshotRow} from './snapshot-row.js';
import {findLocalTask} from './swarm.js';

/** What joinSnapshot joins. */
export interface JoinInput {
  readonly listeners: readonly ListenerInput[];
  readonly processes: ReadonlyMap<number, ProcessInput>;
  readonly containers: ContainerPortMap;
  /**
   * Helper-named processes by pid: whether each is trusted and, for helpers resolved from the
   * host (conmon by its container id in storage, rootlessport by its network namespace), what
   * it resolved to. A process absent here is a plain process.
   */
  readonly helpers: ReadonlyMap<number, HelperFinding>;
  /** Current time in Unix seconds, for uptimes. */
  readonly now: number;
}

interface Match {
  readonly container: ContainerInfo | null;
  readonly ambiguous: boolean;
  readonly candidates: readonly ContainerInfo[];
}

const noMatch: Match = {container: null, ambiguous: false, candidates: []};

/**
 * Whether the holder of a socket may stand for a container of this engine: root may; any
 * other user only for their own engine (a rootless one, reached through their runtime folder
 * or found in their storage). Otherwise a user who binds the address a root engine's container
 * publishes (with no proxy holding it) would make that container theirs to point at.
 */
function mayClaim(process: ProcessInput | undefined, container: ContainerInfo): boolean {
  if (process === undefined || process.uid === 0) {
    return true;
  }
  const endpoint = container.endpoint ?? '';
  return (
    (process.uid !== null && endpoint.startsWith(`unix:///run/user/${process.uid}/`)) ||
    (process.user !== null && endpoint === `rootless:${process.user}`)
  );
}

/**
 * The engine's own record of a container resolved from the host (it has labels, state and
 * ports; storage gives only id, name and image), when it is the same engine's: a root conmon's
 * container may be the rootful engine's record; a user's never is anything but their own.
 */
function engineRecord(
  resolved: ContainerInfo,
  byId: ReadonlyMap<string, ContainerInfo>,
): ContainerInfo {
  const record = byId.get(resolved.id);
  return record !== undefined &&
    resolved.endpoint?.startsWith('storage:') === true &&
    record.engine === resolved.engine
    ? record
    : resolved;
}

function matchListener(
  listener: ListenerInput,
  process: ProcessInput | undefined,
  helper: HelperKind | null,
  finding: HelperFinding | undefined,
  input: JoinInput,
  byId: ReadonlyMap<string, ContainerInfo>,
): Match {
  const resolution = finding?.untrusted === null ? finding.resolution : null;
  if (resolution?.kind === 'match') {
    return {container: engineRecord(resolution.container, byId), ambiguous: false, candidates: []};
  }
  if (resolution?.kind === 'ambiguous') {
    return {container: null, ambiguous: true, candidates: resolution.candidates};
  }
  if (resolution?.kind === 'none') {
    // A helper resolved from the host that found nothing: its port is not for guessing.
    return noMatch;
  }
  const result = lookupPublishedContainer(
    input.containers,
    listener,
    listener.protocol,
    helper !== null,
  );
  if (result.kind === 'match') {
    return mayClaim(process, result.container)
      ? {container: result.container, ambiguous: false, candidates: []}
      : noMatch;
  }
  if (result.kind === 'ambiguous') {
    const candidates = result.candidates.filter((candidate) => mayClaim(process, candidate));
    return candidates.length > 0 ? {container: null, ambiguous: true, candidates} : noMatch;
  }
  return noMatch;
}

function compareAddresses(a: string, b: string): number {
  const aIsV6 = a.includes(':');
  const bIsV6 = b.includes(':');
  return aIsV6 === bIsV6 ? a.localeCompare(b) : aIsV6 ? 1 : -1;
}

function sortedUnique<T>(values: Iterable<T>, compare: (a: T, b: T) => number): T[] {
  return [...new Set(values)].sort(compare);
}

const comparePids = (a: number, b: number): number => a - b;

/**
 * sortedUnique of both lists together. The common case, a docker-proxy's IPv4 and IPv6 twins
 * (one address and one pid each), makes no Set: a join under churn merges 300 pairs.
 */
function mergeSorted<T>(
  list: readonly T[],
  items: readonly T[],
  compare: (a: T, b: T) => number,
): readonly T[] {
  if (list.length === 1 && items.length === 1) {
    const a = list[0] as T;
    const b = items[0] as T;
    const order = compare(a, b);
    return order === 0 ? list : order < 0 ? [a, b] : [b, a];
  }
  return sortedUnique([...list, ...items], compare);
}

/** Rows in port order, then protocol, then address. */
export function compareRows(a: SnapshotRow, b: SnapshotRow): number {
  return (
    a.port - b.port ||
    a.protocol.localeCompare(b.protocol) ||
    compareAddresses(a.address, b.address)
  );
}

/** The row of one listening socket (made once, with its key: a host may have 20,000). */
function listenerRow(
  key: string,
  listener: ListenerInput,
  process: ProcessInput | undefined,
  helper: HelperKind | null,
  finding: HelperFinding | undefined,
  match: Match,
  now: number,
  addressLists: Map<string, readonly string[]>,
): SnapshotRow {
  const startedAt = process?.startedAt ?? null;
  // Rows of one address share one list of it (rows are read-only): a host has few addresses.
  let addresses = addressLists.get(listener.address);
  if (addresses === undefined) {
    addresses = [listener.address];
    addressLists.set(listener.address, addresses);
  }
  return {
    key,
    protocol: listener.protocol,
    address: listener.address,
    addresses,
    port: listener.port,
    lastPort: listener.port,
    pids: listener.pids,
    pid: listener.pids[0] ?? null,
    process: process?.name ?? null,
    user: process?.user ?? null,
    uptimeSeconds: startedAt === null ? null : Math.max(0, Math.floor(now - startedAt)),
    startedAt,
    startTicks: process?.startTicks ?? null,
    command: process?.argv ?? [],
    helper,
    untrusted: finding?.untrusted ?? null,
    container: match.container,
    ambiguous: match.ambiguous,
    candidates: match.candidates,
  };
}

/**
 * Joins listening sockets, their processes and the engines' published ports into rows:
 * one row per socket, except that a helper's binds of one container port (docker-proxy's
 * IPv4 and IPv6 twins) are one row listing every address; a published port that no visible
 * process holds is a row of its own with no pid. Helpers (docker-proxy, conmon, rootlessport,
 * pasta) may match through the port-only fallback; other processes only by address.
 */
export function joinSnapshot(input: JoinInput): SnapshotRow[] {
  const byId = new Map<string, ContainerInfo>();
  for (const container of input.containers.containers()) {
    if (container.id !== '') {
      byId.set(container.id, container);
    }
  }
  /** Plain sockets by key: SO_REUSEPORT gives one process several on one address and port. */
  const socketRows = new Map<string, SnapshotRow>();
  const helperRows = new Map<string, SnapshotRow>();
  const addressLists = new Map<string, readonly string[]>();
  /** Ports a visible socket holds, by `container id|protocol`. */
  const held = new Map<string, Set<number>>();
  for (const listener of input.listeners) {
    const first = listener.pids[0];
    const process = first === undefined ? undefined : input.processes.get(first);
    const finding = first === undefined ? undefined : input.helpers.get(first);
    const helper = finding?.untrusted === null ? finding.kind : null;
    const match = matchListener(listener, process, helper, finding, input, byId);
    const container = match.container;
    if (container !== null) {
      const owner = `${container.id}|${listener.protocol}`;
      const ports = held.get(owner);
      if (ports === undefined) {
        held.set(owner, new Set([listener.port]));
      } else {
        ports.add(listener.port);
      }
    }
    const twinIdentity = container?.id ?? proxyTarget(helper, process);
    if (helper !== null && twinIdentity !== null) {
      const groupKey = `${helper}|${twinIdentity}|${listener.protocol}|${listener.port}`;
      const twin = helperRows.get(groupKey);
      if (twin !== undefined) {
        const addresses = mergeSorted(twin.addresses, [listener.address], compareAddresses);
        const pids = mergeSorted(twin.pids, listener.pids, comparePids);
        helperRows.set(groupKey, {...twin, addresses, address: addresses[0] ?? twin.address, pids});
        continue;
      }
      helperRows.set(
        groupKey,
        listenerRow(
          `c|${groupKey}`,
          listener,
          process,
          helper,
          finding,
          match,
          input.now,
          addressLists,
        ),
      );
      continue;
    }
    const key = `s|${listener.protocol}|${listener.address}|${listener.port}|${first ?? ''}`;
    const same = socketRows.get(key);
    if (same !== undefined) {
      const pids = mergeSorted(same.pids, listener.pids, comparePids);
      socketRows.set(key, {...same, pids, sockets: (same.sockets ?? 1) + 1});
      continue;
    }
    socketRows.set(
      key,
      listenerRow(key, listener, process, helper, finding, match, input.now, addressLists),
    );
  }
  const rows = [
    ...socketRows.values(),
    ...helperRows.values(),
    ...publishedWithoutHolder(input.containers, held),
    ...serviceRows(input.containers),
  ];
  return withUniqueKeys(rows.sort(compareRows));
}

/** The routing mesh takes an ingress port on every address of a node. */
const ingressAddresses: readonly string[] = ['0.0.0.0'];

/**
 * A row per ingress port of each Swarm service (map.services): the routing mesh takes it on
 * every node without a host socket, so no listener row stands for it. Its container is the
 * service's task container on this node, when one runs here; its facts are the service's.
 * A host-mode port is held by its task container's own socket, and is a row like any other.
 */
function serviceRows(map: ContainerPortMap): SnapshotRow[] {
  const rows: SnapshotRow[] = [];
  for (const service of map.services) {
    const task = findLocalTask(service);
    const container = task === undefined ? null : map.taskContainer(task);
    for (const port of service.ports) {
      if (port.publishMode !== 'ingress') {
        continue;
      }
      rows.push({
        ...holderlessRow(
          `svc|${service.id}|${port.protocol}|${port.publishedPort}`,
          port.protocol,
          ingressAddresses,
          port.publishedPort,
          port.publishedPort,
          container,
        ),
        service: {service, port},
      });
    }
  }
  return rows;
}

/** What a service row shows and acts on, as text: equal text, the same row on screen. */
function serviceFacts(row: SnapshotRow): string {
  const service = row.service?.service;
  if (service === undefined) {
    return '';
  }
  return JSON.stringify([
    service.name,
    service.image,
    service.mode,
    service.replicas,
    service.nodes,
    service.ports,
    service.tasks.map((task) => [
      task.id,
      task.state,
      task.nodeName,
      task.containerId,
      task.message,
    ]),
  ]);
}

/**
 * The rows with every key unique: the list selects, moves and draws by key, and two rows
 * with one key would be selected together and break the drawing. The keys above are unique
 * by construction; should two ever meet, the later ones get `#2`, `#3`, … (stable, as the
 * rows are in a stable order).
 */
export function withUniqueKeys(rows: SnapshotRow[]): SnapshotRow[] {
  const used = new Set<string>();
  return rows.map((row) => {
    let key = row.key;
    for (let count = 2; used.has(key); count++) {
      key = `${row.key}#${count}`;
    }
    used.add(key);
    return key === row.key ? row : {...row, key};
  });
}

/**
 * What a docker-proxy forwards to, so its twins collapse even when no engine answered;
 * null for other processes.
 */
function proxyTarget(helper: HelperKind | null, process: ProcessInput | undefined): string | null {
  if (helper !== 'docker-proxy' || process === undefined) {
    return null;
  }
  const target = parseDockerProxyArgs(process.argv);
  return target.containerIp === null ? null : `${target.containerIp}:${target.containerPort ?? ''}`;
}

/** Rows for published ports that no visible socket was matched to. */
function publishedWithoutHolder(
  map: ContainerPortMap,
  held: ReadonlyMap<string, ReadonlySet<number>>,
): SnapshotRow[] {
  const groups = new Map<
    string,
    {
      container: ContainerInfo;
      protocol: Protocol;
      port: number;
      lastPort: number;
      addresses: Set<string>;
    }
  >();
  const addGroup = (
    container: ContainerInfo,
    protocol: Protocol,
    port: number,
    lastPort: number,
    hostIp: string | null,
  ): void => {
    const span = port === lastPort ? `${port}` : `${port}-${lastPort}`;
    const groupKey = `${container.id}|${protocol}|${span}`;
    const group = groups.get(groupKey) ?? {
      container,
      protocol,
      port,
      lastPort,
      addresses: new Set<string>(),
    };
    group.addresses.add(hostIp ?? '0.0.0.0');
    groups.set(groupKey, group);
  };

  // By stored entry, so a published range costs one step plus its held ports, not its width.
  for (const [entry, container] of map.ranges()) {
    if (entry.lastPort === entry.port) {
      if (!held.get(`${container.id}|${entry.protocol}`)?.has(entry.port)) {
        addGroup(container, entry.protocol, entry.port, entry.port, entry.hostIp);
      }
      continue;
    }
    const taken = [...(held.get(`${container.id}|${entry.protocol}`) ?? [])].sort((a, b) => a - b);
    let runStart = entry.port;
    for (const port of taken) {
      if (port < entry.port || port > entry.lastPort) {
        continue;
      }
      if (port > runStart) {
        addGroup(container, entry.protocol, runStart, port - 1, entry.hostIp);
      }
      runStart = port + 1;
    }
    if (runStart <= entry.lastPort) {
      addGroup(container, entry.protocol, runStart, entry.lastPort, entry.hostIp);
    }
  }
  return [...groups.entries()].map(([groupKey, group]) => {
    const addresses = sortedUnique(group.addresses, compareAddresses);
    return holderlessRow(
      `p|${group.container.endpoint ?? ''}|${groupKey}`,
      group.protocol,
      addresses,
      group.port,
      group.lastPort,
      group.container,
    );
  });
}

/** A row of a published port that no visible process holds (no pid, no process). */
function holderlessRow(
  key: string,
  protocol: Protocol,
  addresses: readonly string[],
  port: number,
  lastPort: number,
  container: ContainerInfo | null,
): SnapshotRow {
  return {
    key,
    protocol,
    address: addresses[0] ?? '0.0.0.0',
    addresses,
    port,
    lastPort,
    pids: [],
    pid: null,
    process: null,
    user: null,
    uptimeSeconds: null,
    startedAt: null,
    startTicks: null,
    command: [],
    helper: null,
    untrusted: null,
    container,
    ambiguous: false,
    candidates: [],
  };
}

/**
 * How each field of two rows is compared by keepUnchangedRows. A record over every key of
 * SnapshotRow, so a field added to rows must be given its comparison here. The uptime is
 * left out: it is the age at the join that made the row, and `startedAt` (compared) gives it
 * at any time.
 */
const sameField: {
  readonly [Field in keyof Required<SnapshotRow>]: (a: SnapshotRow, b: SnapshotRow) => boolean;
} = {
  key: (a, b) => a.key === b.key,
  protocol: (a, b) => a.protocol === b.protocol,
  address: (a, b) => a.address === b.address,
  addresses: (a, b) => isSameList(a.addresses, b.addresses),
  port: (a, b) => a.port === b.port,
  lastPort: (a, b) => a.lastPort === b.lastPort,
  sockets: (a, b) => a.sockets === b.sockets,
  pids: (a, b) => isSameList(a.pids, b.pids),
  pid: (a, b) => a.pid === b.pid,
  process: (a, b) => a.process === b.process,
  user: (a, b) => a.user === b.user,
  uptimeSeconds: () => true,
  startedAt: (a, b) => a.startedAt === b.startedAt,
  startTicks: (a, b) => a.startTicks === b.startTicks,
  command: (a, b) => isSameList(a.command, b.command),
  helper: (a, b) => a.helper === b.helper,
  untrusted: (a, b) => a.untrusted === b.untrusted,
  container: (a, b) => a.container === b.container,
  ambiguous: (a, b) => a.ambiguous === b.ambiguous,
  candidates: (a, b) => isSameList(a.candidates, b.candidates),
  host: (a, b) => a.host === b.host,
  service: (a, b) => a.service === b.service || serviceFacts(a) === serviceFacts(b),
};
const fieldComparisons = Object.values(sameField);

/**
 * `rows` (a new join) with each row that equals the row of the same key in `previous` (every
 * field but the uptime; a container by identity, as a list patch keeps the records of
 * containers it did not touch) replaced by that earlier object. Under churn, one container
 * started a second re-joins 600 rows of which two changed: the rest keep their objects, and
 * with them what the screen worked out for them (their widths, their looks), which is keyed
 * on the object. Replaces them in `rows` itself, and returns it.
 */
export function keepUnchangedRows(
  rows: SnapshotRow[],
  previous: ReadonlyMap<string, SnapshotRow>,
): SnapshotRow[] {
  for (let index = 0; index < rows.length; index++) {
    const row = rows[index] as SnapshotRow;
    const before = previous.get(row.key);
    if (
      before !== undefined &&
      before !== row &&
      fieldComparisons.every((isSame) => isSame(before, row))
    ) {
      rows[index] = before;
    }
  }
  return rows;
}
