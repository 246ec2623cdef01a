import {hostname} from 'node:os';
import {
  type Endpoint,
  type EndpointOptions,
  listDockerContexts,
  resolveEndpoints,
} from './engine/endpoint.js';
import type {RowHost, SnapshotRow} from './model/snapshot-row.js';
import type {HostSummary, Snapshot} from './snapshot.js';

/** One machine of a view of several: its name and the engines that reach it. */
export interface FleetHostPlan {
  /** As the HOST column shows it: a context's name, the ssh or tcp host, or this machine's name. */
  readonly name: string;
  /** `local`: this machine (its sockets and processes are scanned here); else how it is reached. */
  readonly kind: 'local' | 'ssh' | 'tcp';
  /**
   * What reaches its engines, as given (addresses or context names): EndpointOptions.addresses;
   * undefined for the engines the environment names (DOCKER_HOST, with its TLS settings).
   */
  readonly addresses: readonly string[] | undefined;
  /** The addresses of its engines as reports and containers name them. */
  readonly endpoints: readonly string[];
}

/** The hosts of `--host` values, and the values that could not be used. */
export interface FleetPlan {
  readonly hosts: readonly FleetHostPlan[];
  /** One line per unusable value: what was given and why. */
  readonly problems: readonly string[];
}

/** The value of `--host` that means every docker context. */
export const allContexts = 'all-contexts';

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Where an engine is: on this machine (a socket, or tcp on loopback), or another one. */
export function placeOf(endpoint: Endpoint): 'local' | 'ssh' | 'tcp' {
  if (endpoint.kind === 'socket') {
    return 'local';
  }
  if (endpoint.kind === 'ssh') {
    return 'ssh';
  }
  return isLoopback(endpoint.host) ? 'local' : 'tcp';
}

/**
 * The machines `--host` values name, in the order first named. Each value is an engine
 * address or a docker context's name; `all-contexts` is every context (`default` included).
 * Every engine on this machine (its sockets, tcp on loopback) is one host, named as this
 * machine; each ssh or tcp remote is its own, named by its context when a context named it,
 * else by its host. Never throws.
 */
export function planFleet(
  values: readonly string[],
  options: EndpointOptions & {readonly hostname?: string} = {},
): FleetPlan {
  const problems: string[] = [];
  const specs: string[] = [];
  for (const value of values) {
    if (value !== allContexts) {
      specs.push(value);
      continue;
    }
    const contexts = listDockerContexts(options);
    for (const context of contexts) {
      if (context.error !== null) {
        problems.push(`--host all-contexts: context "${context.name}": ${context.error.message}`);
      } else {
        specs.push(context.name);
      }
    }
  }
  const localName = options.hostname ?? hostname();
  const hosts: {
    name: string;
    kind: FleetHostPlan['kind'];
    addresses: string[];
    endpoints: string[];
  }[] = [];
  for (const spec of [...new Set(specs)]) {
    const resolved = resolveEndpoints({...options, addresses: [spec]});
    const endpoint = resolved.endpoints[0];
    if (endpoint === undefined) {
      const reason = resolved.problems[0]?.error.message ?? 'names no engine';
      problems.push(`--host ${spec}: ${reason}`);
      continue;
    }
    const kind = placeOf(endpoint);
    const fromContext = endpoint.source.startsWith('context');
    const name =
      kind === 'local'
        ? localName
        : fromContext
          ? spec
          : endpoint.kind === 'ssh' || endpoint.kind === 'tcp'
            ? endpoint.host
            : spec;
    const same = hosts.find((host) => host.name === name && host.kind === kind);
    if (same === undefined) {
      hosts.push({name, kind, addresses: [spec], endpoints: [endpoint.address]});
    } else if (!same.endpoints.includes(endpoint.address)) {
      same.addresses.push(spec);
      same.endpoints.push(endpoint.address);
    }
  }
  return {hosts, problems};
}

/** A source of one host's snapshots: LiveSnapshot for this machine, RemoteSnapshot for another. */
export interface HostSource {
  refresh(
    onUpdate: (snapshot: Snapshot) => void,
    signal?: AbortSignal,
    options?: {readonly fresh?: boolean; readonly finalOnly?: boolean},
  ): Promise<void>;
}

/** How long a refresh of several hosts waits for a slow one before it is done without it, in ms. */
export const fleetWaitMs = 3000;

interface Member {
  readonly plan: FleetHostPlan;
  readonly source: HostSource;
  readonly rowHost: RowHost | undefined;
  latest: Snapshot | null;
  busy: Promise<void> | null;
  /** The latest rows marked with the host, and the revision they were made from. */
  marked: {readonly revision: number; readonly rows: readonly SnapshotRow[]} | null;
  /** Marked rows by the source's row object: an unchanged row keeps its marked object. */
  readonly markedOf: WeakMap<SnapshotRow, SnapshotRow>;
}

/**
 * Several hosts as one snapshot. Each host refreshes on its own; a refresh starts every host
 * not still busy with the last one and waits for them at most fleetWaitMs, so a slow remote
 * never holds this machine's rows back: its answer is shown when it lands. With more than one
 * host every row carries its host (the HOST column) and its key is made unique by it.
 */
export class FleetSnapshot {
  readonly #members: Member[];
  readonly #waitMs: number;
  #onUpdate: ((snapshot: Snapshot) => void) | null = null;
  /** Aborts every host's refresh in flight: close(). */
  readonly #closing = new AbortController();
  #rows: {readonly revisions: readonly number[]; readonly rows: readonly SnapshotRow[]} | null =
    null;
  #revision = 0;

  constructor(
    hosts: readonly {readonly plan: FleetHostPlan; readonly source: HostSource}[],
    options: {readonly waitMs?: number} = {},
  ) {
    const several = hosts.length > 1;
    this.#members = hosts.map(({plan, source}) => ({
      plan,
      source,
      rowHost: several ? {name: plan.name, local: plan.kind === 'local'} : undefined,
      latest: null,
      busy: null,
      marked: null,
      markedOf: new WeakMap(),
    }));
    this.#waitMs = options.waitMs ?? fleetWaitMs;
  }

  /** The host whose engines include `endpoint` (an engine address), if one does. */
  hostOfEndpoint(endpoint: string | null): FleetHostPlan | undefined {
    return endpoint === null
      ? undefined
      : this.#members.find((member) => member.plan.endpoints.includes(endpoint))?.plan;
  }

  /** Stops every host's refresh in flight; nothing is reported after. */
  close(): void {
    this.#closing.abort();
    this.#onUpdate = null;
  }

  async refresh(
    onUpdate: (snapshot: Snapshot) => void,
    signal?: AbortSignal,
    options: {readonly fresh?: boolean; readonly finalOnly?: boolean} = {},
  ): Promise<void> {
    this.#onUpdate = onUpdate;
    const started = this.#members.flatMap((member) => {
      if (member.busy !== null) {
        return [];
      }
      // Not the caller's signal: a refresh that outlives its tick (a slow remote) is not
      // aborted by the next tick, or a remote slower than the interval would never land.
      const busy = member.source
        .refresh(
          (snapshot) => {
            member.latest = snapshot;
            this.#emit();
          },
          this.#closing.signal,
          options,
        )
        .finally(() => {
          member.busy = null;
        });
      member.busy = busy;
      return [busy];
    });
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const waited = new Promise<'late'>((resolve) => {
      timer = setTimeout(resolve, this.#waitMs, 'late');
      // The caller gave up on this refresh (a newer tick): its hosts go on, and land later.
      onAbort = () => resolve('late');
      signal?.addEventListener('abort', onAbort, {once: true});
    });
    try {
      const outcome = await Promise.race([Promise.allSettled(started), waited]);
      signal?.throwIfAborted();
      if (outcome !== 'late') {
        const failed = outcome.find((result) => result.status === 'rejected');
        if (failed !== undefined && failed.status === 'rejected') {
          throw failed.reason;
        }
      }
    } finally {
      clearTimeout(timer);
      if (onAbort !== undefined) {
        signal?.removeEventListener('abort', onAbort);
      }
    }
  }

  #markedRows(member: Member): readonly SnapshotRow[] {
    const latest = member.latest;
    if (latest === null) {
      return [];
    }
    const host = member.rowHost;
    if (host === undefined) {
      return latest.rows;
    }
    if (member.marked?.revision === latest.rowsRevision) {
      return member.marked.rows;
    }
    const rows = latest.rows.map((row) => {
      let marked = member.markedOf.get(row);
      if (marked === undefined) {
        marked = {...row, key: `${host.name}\u0000${row.key}`, host};
        member.markedOf.set(row, marked);
      }
      return marked;
    });
    member.marked = {revision: latest.rowsRevision, rows};
    return rows;
  }

  #emit(): void {
    const onUpdate = this.#onUpdate;
    if (onUpdate === null) {
      return;
    }
    const members = this.#members;
    const revisions = members.map((member) => member.latest?.rowsRevision ?? -1);
    const last = this.#rows;
    if (last === null || revisions.some((revision, index) => revision !== last.revisions[index])) {
      this.#rows = {revisions, rows: members.flatMap((member) => this.#markedRows(member))};
      this.#revision++;
    }
    const several = members.length > 1;
    const snapshots = members.flatMap((member) => (member.latest === null ? [] : [member.latest]));
    const warnings = members.flatMap((member) =>
      (member.latest?.warnings ?? []).map((warning) =>
        several && !warning.startsWith(member.plan.name)
          ? `${member.plan.name}: ${warning}`
          : warning,
      ),
    );
    const waiting = members
      .filter((member) => member.latest === null)
      .map((member) => member.plan.name);
    if (several && waiting.length > 0) {
      warnings.push(`waiting for ${waiting.join(', ')}`);
    }
    const hosts: HostSummary[] = members.map((member) => ({
      name: member.plan.name,
      kind: member.plan.kind,
      engines: member.latest?.engines ?? [],
      waiting: member.latest === null,
    }));
    onUpdate({
      rows: this.#rows?.rows ?? [],
      rowsRevision: this.#revision,
      engines: snapshots.flatMap((snapshot) => snapshot.engines),
      enginesPending: snapshots.some((snapshot) => snapshot.enginesPending),
      warnings,
      hostname: members.map((member) => member.plan.name).join(', '),
      takenAt: Math.max(0, ...snapshots.map((snapshot) => snapshot.takenAt)),
      durationMs: Math.max(0, ...snapshots.map((snapshot) => snapshot.durationMs)),
      fullHostScan: snapshots.some((snapshot) => snapshot.fullHostScan),
      hosts,
    });
  }
}
