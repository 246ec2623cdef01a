import type {ContainerInfo, EngineKind, Protocol, PublishedPort} from './container-info.js';
import {
  joinSwarmServices,
  type SwarmReport,
  type SwarmService,
  type SwarmTask,
  selectServicesOnPort,
} from './swarm.js';

/** The key of one published port: host address (null = any address), port and protocol. */
export interface PortKey {
  readonly hostIp: string | null;
  readonly port: number;
  readonly protocol: Protocol;
}

/** A key that may cover consecutive ports: `port` to `lastPort` (default: `port` alone). */
export interface PortRangeKey extends PortKey {
  readonly lastPort?: number;
}

/** One stored entry of a ContainerPortMap: a port, or a range of ports, on one address. */
export interface PortRange {
  readonly hostIp: string | null;
  readonly port: number;
  /** Last port of the range; equal to `port` for a single port. */
  readonly lastPort: number;
  readonly protocol: Protocol;
}

/** What one engine address gave during a detection. */
export interface EngineReport {
  /** The address, e.g. `unix:///run/podman/podman.sock`. */
  readonly endpoint: string;
  /** Where the address came from: `DOCKER_HOST`, `CONTAINER_HOST`, `context "x"`, `default`. */
  readonly source: string;
  /** Engine kind read from its headers; `unknown` when it never answered. */
  readonly engine: EngineKind;
  /** True when the engine answered with a valid container list. */
  readonly ok: boolean;
  /** Containers it listed (0 when it failed). */
  readonly containers: number;
  /** Time from request to answer or failure, in milliseconds. */
  readonly durationMs: number;
  /** Why it failed; null when ok. */
  readonly error: Error | null;
  /**
   * What it said of Docker Swarm (see readSwarmCached): null when it is in no swarm, or was
   * not asked (a Podman engine, a failed list, detection with `swarm: false`); undefined for
   * a report made before Swarm was asked about.
   */
  readonly swarm?: SwarmReport | null;
  /** Why asking about its Swarm failed (its containers are still reported); null otherwise. */
  readonly swarmError?: Error | null;
}

/** One (address, container) binding and the order it was added in. */
interface Binding {
  readonly hostIp: string | null;
  readonly container: ContainerInfo;
  readonly seq: number;
}

/** One number per (port, protocol): ports 1-65535 for tcp, 65537-131071 for udp. */
function keyOf(port: number, protocol: Protocol): number {
  return protocol === 'udp' ? 65_536 + port : port;
}

/** Containers are the same when they have the same id (or are the same object, for id-less ones). */
function isSameContainer(a: ContainerInfo, b: ContainerInfo): boolean {
  return a === b || (a.id !== '' && a.id === b.id);
}

const noContainers: readonly ContainerInfo[] = [];
const noBindings: readonly Binding[] = [];

/**
 * A map from port keys (1 to 131071) to positive integers, 0 reading as absent. Small, it
 * is open addressing over two typed arrays; once it holds thousands of keys it becomes one
 * table with a slot per key (512 KiB, by then smaller than the entries it indexes), so an
 * insert is a few array writes either way, where a Map of numbers costs several times more.
 */
class IntMap {
  #keys: Int32Array | null = new Int32Array(64);
  #values = new Int32Array(64);
  #mask = 63;
  #count = 0;

  get(key: number): number {
    const keys = this.#keys;
    if (keys === null) {
      return this.#values[key] ?? 0;
    }
    let slot = Math.imul(key, 0x9e3779b1) & this.#mask;
    for (;;) {
      const found = keys[slot];
      if (found === key) {
        return this.#values[slot] ?? 0;
      }
      if (found === 0) {
        return 0;
      }
      slot = (slot + 1) & this.#mask;
    }
  }

  /** Sets `key` (1 to 131071) to `value` (> 0); returns the value it had, or 0. */
  set(key: number, value: number): number {
    const keys = this.#keys;
    const values = this.#values;
    if (keys === null) {
      const previous = values[key] ?? 0;
      values[key] = value;
      return previous;
    }
    let slot = Math.imul(key, 0x9e3779b1) & this.#mask;
    for (;;) {
      const found = keys[slot];
      if (found === key) {
        const previous = values[slot] ?? 0;
        values[slot] = value;
        return previous;
      }
      if (found === 0) {
        keys[slot] = key;
        values[slot] = value;
        if (++this.#count * 2 > this.#mask) {
          this.#grow(keys, values);
        }
        return 0;
      }
      slot = (slot + 1) & this.#mask;
    }
  }

  #grow(keys: Int32Array, values: Int32Array): void {
    if (keys.length >= denseFrom) {
      const table = new Int32Array(keySpace);
      for (let slot = 0; slot < keys.length; slot++) {
        const key = keys[slot] ?? 0;
        if (key !== 0) {
          table[key] = values[slot] ?? 0;
        }
      }
      this.#keys = null;
      this.#values = table;
      return;
    }
    this.#keys = new Int32Array(keys.length * 2);
    this.#values = new Int32Array(keys.length * 2);
    this.#mask = keys.length * 2 - 1;
    this.#count = 0;
    for (let slot = 0; slot < keys.length; slot++) {
      const key = keys[slot] ?? 0;
      if (key !== 0) {
        this.set(key, values[slot] ?? 0);
      }
    }
  }
}

/** A copy of `array` with twice the room. */
function grown(array: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> {
  const bigger = new Int32Array(Math.max(16, array.length * 2));
  bigger.set(array);
  return bigger;
}

/** The empty start of a PortIndex's arrays: an index with no entry allocates nothing. */
const noInts = new Int32Array(0);

/** Every port key: 65,536 per protocol. */
const keySpace = 2 * 65_536;
/** The hash table's size at which IntMap turns into a table of every key. */
const denseFrom = 8192;
/** Entry numbers are packed under the key in one float for sorting: 2^22 entries at most. */
const seqSpan = 4_194_304;

/**
 * The published ranges of one index, sorted by first key, with an implicit balanced tree
 * over the sorted array: the node of [lo, hi) is its middle, and `maxLast` holds the
 * largest last key in each node's subtree. Finding the ranges that hold a port costs
 * O(log n + hits); memory is a few numbers per range, whatever its width.
 */
class RangeTree {
  readonly #first: Int32Array;
  readonly #last: Int32Array;
  readonly #maxLast: Int32Array;
  readonly #seq: Int32Array;

  /** `ranges` as [first key, last key, entry number] triples. */
  constructor(firsts: readonly number[], lasts: readonly number[], seqs: readonly number[]) {
    const count = seqs.length;
    const order = new Float64Array(count);
    for (let index = 0; index < count; index++) {
      order[index] = (firsts[index] ?? 0) * seqSpan + index;
    }
    order.sort();
    this.#first = new Int32Array(count);
    this.#last = new Int32Array(count);
    this.#seq = new Int32Array(count);
    for (let rank = 0; rank < count; rank++) {
      const index = (order[rank] ?? 0) % seqSpan;
      this.#first[rank] = firsts[index] ?? 0;
      this.#last[rank] = lasts[index] ?? 0;
      this.#seq[rank] = seqs[index] ?? 0;
    }
    this.#maxLast = new Int32Array(count);
    this.#fill(0, count);
  }

  #fill(lo: number, hi: number): number {
    if (lo >= hi) {
      return -1;
    }
    const mid = (lo + hi) >>> 1;
    const largest = Math.max(this.#last[mid] ?? -1, this.#fill(lo, mid), this.#fill(mid + 1, hi));
    this.#maxLast[mid] = largest;
    return largest;
  }

  /** Appends to `out` the entry number of every range that holds `key`. */
  collect(key: number, out: number[]): void {
    this.#collect(0, this.#first.length, key, out);
  }

  #collect(lo: number, hi: number, key: number, out: number[]): void {
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.#maxLast[mid] ?? -1) < key) {
        return;
      }
      this.#collect(lo, mid, key, out);
      if ((this.#first[mid] ?? 0) > key) {
        // Every range further right starts after the key too.
        return;
      }
      if ((this.#last[mid] ?? -1) >= key) {
        out.push(this.#seq[mid] ?? 0);
      }
      lo = mid + 1;
    }
  }
}

/**
 * The published ports of one container list (one engine's answer), indexed by (port,
 * protocol). Single ports with one key are chained (`#next`) from a head per key in an
 * IntMap, so adding an entry costs a few array writes. Ranges go to a RangeTree, stored
 * once each, so memory grows with the number of entries the engine listed, never with the
 * width of a range. Built while
 * the list is parsed, so its cost falls inside the detection's deadline; a ContainerPortMap
 * joins several in O(number of engines).
 */
export class PortIndex {
  /** The containers added, each once per call that added it. */
  readonly #containers: ContainerInfo[] = [];
  /** Keys added with `add` that are not in their container's `ports`. */
  readonly #looseKeys: PortRangeKey[] = [];
  /**
   * Per entry: the index of its container in #containers, and its key's place (the index
   * in the container's `ports`, or -1 - the index in #looseKeys). Typed arrays, so adding
   * an entry stores no pointer the garbage collector would have to track.
   */
  #owners = noInts;
  #places = noInts;
  /** Per entry, 1 + the number of the previous single entry on the same key (0: none). */
  #next = noInts;
  #count = 0;
  #ids: Set<string> | null = null;
  /** Per key, 1 + the number of the latest single entry on it. */
  #heads: IntMap | null = null;
  readonly #rangeFirsts: number[] = [];
  readonly #rangeLasts: number[] = [];
  readonly #rangeSeqs: number[] = [];
  #ranges: RangeTree | null | undefined = null;
  #portCount = 0;
  #memoKey = -1;
  #memo: readonly Binding[] = noBindings;

  /**
   * Adds every published port of `container`, as listed: a list that names one container
   * twice keeps both (lookups still see one container, by id); ContainerPortMap.fromContainers
   * folds repeats.
   */
  addContainer(container: ContainerInfo): void {
    const ports = container.ports;
    if (ports.length === 0) {
      return;
    }
    const owner = this.#containers.push(container) - 1;
    for (let place = 0; place < ports.length; place++) {
      this.#addEntry(ports[place] as PublishedPort, owner, place);
    }
  }

  /** Adds one key (a port, or a range when `lastPort` is above `port`) for `container`. */
  add(key: PortRangeKey, container: ContainerInfo): void {
    const containers = this.#containers;
    const owner =
      containers[containers.length - 1] === container
        ? containers.length - 1
        : containers.push(container) - 1;
    this.#addEntry(key, owner, -1 - (this.#looseKeys.push(key) - 1));
  }

  /** The containers added, in order (one added by several calls of `add` in a row once). */
  get containers(): readonly ContainerInfo[] {
    return this.#containers;
  }

  /** Number of entries (a port or a whole range each). */
  get entryCount(): number {
    return this.#count;
  }

  /** The key of entry `seq`, as it was added. */
  keyAt(seq: number): PortRangeKey {
    const owner = this.#containers[this.#owners[seq] ?? 0] as ContainerInfo;
    const place = this.#places[seq] ?? 0;
    return (place >= 0 ? owner.ports[place] : this.#looseKeys[-1 - place]) as PortRangeKey;
  }

  /** The container of entry `seq`. */
  containerAt(seq: number): ContainerInfo {
    return this.#containers[this.#owners[seq] ?? 0] as ContainerInfo;
  }

  /**
   * Ids of the containers added, built on first use: only a map joining several indexes
   * needs them, so parsing one list pays no hashing of its ids.
   */
  get ids(): ReadonlySet<string> {
    if (this.#ids === null) {
      const ids = new Set<string>();
      for (const container of this.#containers) {
        if (container.id !== '') {
          ids.add(container.id);
        }
      }
      this.#ids = ids;
    }
    return this.#ids;
  }

  #addEntry(key: PortRangeKey, owner: number, place: number): void {
    const port = key.port;
    const lastPort = key.lastPort === undefined || key.lastPort < port ? port : key.lastPort;
    const seq = this.#count;
    if (seq === this.#owners.length) {
      this.#owners = grown(this.#owners);
      this.#places = grown(this.#places);
      this.#next = grown(this.#next);
    }
    this.#count = seq + 1;
    this.#owners[seq] = owner;
    this.#places[seq] = place;
    this.#ids = null;
    this.#portCount += lastPort - port + 1;
    this.#memoKey = -1;
    if (lastPort !== port) {
      this.#rangeFirsts.push(keyOf(port, key.protocol));
      this.#rangeLasts.push(keyOf(lastPort, key.protocol));
      this.#rangeSeqs.push(seq);
      this.#ranges = undefined;
      return;
    }
    this.#heads ??= new IntMap();
    this.#next[seq] = this.#heads.set(keyOf(port, key.protocol), seq + 1);
  }

  /** Builds the range index of what was added so far (lookups also do it when needed). */
  seal(): this {
    if (this.#ranges === undefined) {
      this.#ranges =
        this.#rangeSeqs.length === 0
          ? null
          : new RangeTree(this.#rangeFirsts, this.#rangeLasts, this.#rangeSeqs);
    }
    return this;
  }

  /** Number of (port, container) pairs: a range counts each of its ports. */
  get portCount(): number {
    return this.#portCount;
  }

  /** Distinct bindings on (port, protocol), single ports and ranges together, in the order added. */
  bindingsAt(port: number, protocol: Protocol): readonly Binding[] {
    if (!(Number.isInteger(port) && port >= 1 && port <= 65_535)) {
      // Not a port: it must not read as another protocol's key.
      return noBindings;
    }
    const key = keyOf(port, protocol);
    if (key === this.#memoKey) {
      // A lookup asks for one key up to three times in a row (exact, any address, any).
      return this.#memo;
    }
    let head = this.#heads === null ? 0 : this.#heads.get(key);
    this.seal();
    if (this.#ranges === null && (head === 0 || this.#next[head - 1] === 0)) {
      // The common case: no range, and one entry or none on this key.
      const only = head - 1;
      const single: readonly Binding[] =
        head === 0
          ? noBindings
          : [{hostIp: this.keyAt(only).hostIp, container: this.containerAt(only), seq: only}];
      this.#memoKey = key;
      this.#memo = single;
      return single;
    }
    const seqs: number[] = [];
    while (head !== 0) {
      seqs.push(head - 1);
      head = this.#next[head - 1] ?? 0;
    }
    this.#ranges?.collect(key, seqs);
    let found: readonly Binding[] = noBindings;
    if (seqs.length > 0) {
      seqs.sort((a, b) => a - b);
      const distinct: Binding[] = [];
      for (const seq of seqs) {
        const hostIp = this.keyAt(seq).hostIp;
        const container = this.containerAt(seq);
        if (!hasBinding(distinct, hostIp, container)) {
          distinct.push({hostIp, container, seq});
        }
      }
      found = distinct;
    }
    this.#memoKey = key;
    this.#memo = found;
    return found;
  }
}

/**
 * Published ports of running containers, from one or more engines. Lookups answer for
 * every port, including each port inside a published range, in O(log n) or better; nothing
 * is dropped: when two containers claim the same key, or two ranges overlap, both are kept
 * and lookups see both (the key is ambiguous). A container that a later engine address
 * reports again (the same engine reached twice) counts once.
 *
 * Iterating the map yields one `[PortKey, ContainerInfo]` pair per port, lazily, so a wide
 * range costs nothing until it is walked; `size` counts those pairs. `ranges()` yields the
 * stored entries themselves (a port or a whole range each), and `rangeCount` counts them:
 * memory follows `rangeCount`, never `size`.
 */
export class ContainerPortMap implements Iterable<[PortKey, ContainerInfo]> {
  /** What each engine address gave while this map was detected (empty for a parsed body). */
  readonly engines: readonly EngineReport[];
  /**
   * Swarm services of every engine that is a Swarm manager (EngineReport.swarm), each once:
   * their ingress ports have no host socket, so only this list knows them.
   */
  readonly services: readonly SwarmService[];
  /** Containers of Swarm tasks given at detection (task containers publishing no port). */
  readonly #taskContainers: readonly ContainerInfo[];
  #byId: Map<string, ContainerInfo> | undefined;
  #parts: readonly PortIndex[];
  #size: number | undefined;
  #containers: ContainerInfo[] | undefined;
  #rangeCount: number | undefined;

  constructor(
    entries: Iterable<readonly [PortRangeKey, ContainerInfo]> = [],
    engines: readonly EngineReport[] = [],
    taskContainers: readonly ContainerInfo[] = [],
  ) {
    this.engines = engines;
    this.services = joinSwarmServices(engines.map((engine) => engine.swarm));
    this.#taskContainers = taskContainers;
    const index = new PortIndex();
    for (const [key, container] of entries) {
      index.add(key, container);
    }
    this.#parts = [index.seal()];
  }

  /**
   * A map of every published port of `containers`. A container whose id an earlier one
   * already had (one engine reached at two addresses) is not added twice.
   */
  static fromContainers(
    containers: Iterable<ContainerInfo>,
    engines: readonly EngineReport[] = [],
  ): ContainerPortMap {
    const index = new PortIndex();
    const seenIds = new Set<string>();
    for (const container of containers) {
      if (container.ports.length === 0) {
        continue;
      }
      if (container.id !== '') {
        if (seenIds.has(container.id)) {
          continue;
        }
        seenIds.add(container.id);
      }
      index.addContainer(container);
    }
    return ContainerPortMap.fromIndexes([index], engines);
  }

  /**
   * Joins indexes built separately (one per engine, in discovery order) without copying
   * them. Where two hold the same container id, the earlier one's entries count.
   */
  static fromIndexes(
    indexes: readonly PortIndex[],
    engines: readonly EngineReport[] = [],
    taskContainers: readonly ContainerInfo[] = [],
  ): ContainerPortMap {
    const map = new ContainerPortMap([], engines, taskContainers);
    const parts = indexes.filter((index) => index.entryCount > 0).map((index) => index.seal());
    map.#parts = parts.length === 0 ? map.#parts : parts;
    return map;
  }

  /** Entries of part `index` whose container an earlier part already holds are skipped. */
  #isShadowed(partIndex: number, container: ContainerInfo): boolean {
    if (container.id === '') {
      return false;
    }
    for (let earlier = 0; earlier < partIndex; earlier++) {
      if (this.#parts[earlier]?.ids.has(container.id)) {
        return true;
      }
    }
    return false;
  }

  /** Distinct bindings on (port, protocol) across every part, in order. */
  #bindingsAt(port: number, protocol: Protocol): readonly Binding[] {
    const first = this.#parts[0];
    if (first === undefined) {
      return noBindings;
    }
    const found = first.bindingsAt(port, protocol);
    if (this.#parts.length === 1) {
      return found;
    }
    let merged: Binding[] | null = null;
    for (let partIndex = 1; partIndex < this.#parts.length; partIndex++) {
      const part = this.#parts[partIndex] as PortIndex;
      for (const binding of part.bindingsAt(port, protocol)) {
        const known = merged ?? found;
        if (
          !hasBinding(known, binding.hostIp, binding.container) &&
          // The same container from an earlier engine address counts, with its endpoint.
          !this.#isShadowed(partIndex, binding.container)
        ) {
          merged ??= [...found];
          merged.push(binding);
        }
      }
    }
    return merged ?? found;
  }

  /** Number of `[PortKey, ContainerInfo]` pairs iteration yields: a range counts each port. */
  get size(): number {
    this.#count();
    return this.#size ?? 0;
  }

  /** Number of stored entries (a single port or a whole range each): what memory grows with. */
  get rangeCount(): number {
    this.#count();
    return this.#rangeCount ?? 0;
  }

  #count(): void {
    if (this.#size !== undefined) {
      return;
    }
    let size = 0;
    let rangeCount = 0;
    if (this.#parts.length === 1) {
      size = this.#parts[0]?.portCount ?? 0;
      rangeCount = this.#parts[0]?.entryCount ?? 0;
    } else {
      for (const [range] of this.ranges()) {
        size += range.lastPort - range.port + 1;
        rangeCount++;
      }
    }
    this.#size = size;
    this.#rangeCount = rangeCount;
  }

  /** The container published on exactly this key (the first added, if several claim it). */
  get(hostIp: string | null, port: number, protocol: Protocol): ContainerInfo | undefined {
    for (const binding of this.#bindingsAt(port, protocol)) {
      if (binding.hostIp === hostIp) {
        return binding.container;
      }
    }
    return undefined;
  }

  /** Every distinct container published on exactly this key. */
  getAll(hostIp: string | null, port: number, protocol: Protocol): readonly ContainerInfo[] {
    const bindings = this.#bindingsAt(port, protocol);
    if (bindings.length === 0) {
      return noContainers;
    }
    const found: ContainerInfo[] = [];
    for (const binding of bindings) {
      if (binding.hostIp === hostIp) {
        found.push(binding.container);
      }
    }
    return found;
  }

  /** Every distinct container publishing this port and protocol on any address. */
  containersOnPort(port: number, protocol: Protocol): readonly ContainerInfo[] {
    const bindings = this.#bindingsAt(port, protocol);
    if (bindings.length === 0) {
      return noContainers;
    }
    if (bindings.length === 1) {
      return [(bindings[0] as Binding).container];
    }
    const found: ContainerInfo[] = [];
    for (const binding of bindings) {
      if (!hasContainer(found, binding.container)) {
        found.push(binding.container);
      }
    }
    return found;
  }

  /** Swarm services (see `services`) publishing this port and protocol, in either mode. */
  servicesOnPort(port: number, protocol: Protocol): readonly SwarmService[] {
    return this.services.length === 0
      ? this.services
      : selectServicesOnPort(this.services, port, protocol);
  }

  /**
   * The container of a Swarm task, when the map knows it: a container publishing ports, or
   * a task container given at detection (the engine that reported the task runs it). Null
   * for a task on another node, or one whose container is not running.
   */
  taskContainer(task: SwarmTask): ContainerInfo | null {
    const id = task.containerId;
    if (id === null || !task.onThisNode) {
      return null;
    }
    if (this.#byId === undefined) {
      this.#byId = new Map();
      for (const container of [...this.#taskContainers, ...this.containers()]) {
        if (container.id !== '' && !this.#byId.has(container.id)) {
          this.#byId.set(container.id, container);
        }
      }
    }
    return this.#byId.get(id) ?? null;
  }

  /** Every distinct container in the map, in first-seen order. */
  containers(): ContainerInfo[] {
    // The map does not change once built: the join asks for this on every refresh.
    if (this.#containers === undefined) {
      const seen = new Set<ContainerInfo>();
      for (let partIndex = 0; partIndex < this.#parts.length; partIndex++) {
        for (const container of (this.#parts[partIndex] as PortIndex).containers) {
          if (partIndex === 0 || !this.#isShadowed(partIndex, container)) {
            seen.add(container);
          }
        }
      }
      this.#containers = [...seen];
    }
    return [...this.#containers];
  }

  /** The stored entries in the order added: each single port or range once. */
  *ranges(): Generator<[PortRange, ContainerInfo]> {
    for (let partIndex = 0; partIndex < this.#parts.length; partIndex++) {
      const part = this.#parts[partIndex] as PortIndex;
      for (let index = 0; index < part.entryCount; index++) {
        const container = part.containerAt(index);
        if (partIndex > 0 && this.#isShadowed(partIndex, container)) {
          continue;
        }
        const entry = part.keyAt(index);
        yield [
          entry.lastPort === undefined
            ? {
                hostIp: entry.hostIp,
                port: entry.port,
                lastPort: entry.port,
                protocol: entry.protocol,
              }
            : (entry as PortRange),
          container,
        ];
      }
    }
  }

  /** One pair per port, in the order added; a range yields each of its ports in turn. */
  *[Symbol.iterator](): Iterator<[PortKey, ContainerInfo]> {
    for (let partIndex = 0; partIndex < this.#parts.length; partIndex++) {
      const part = this.#parts[partIndex] as PortIndex;
      for (let index = 0; index < part.entryCount; index++) {
        const entry = part.keyAt(index);
        const container = part.containerAt(index);
        if (partIndex > 0 && this.#isShadowed(partIndex, container)) {
          continue;
        }
        const lastPort = entry.lastPort ?? entry.port;
        if (lastPort <= entry.port) {
          // A single port: the key exactly as it was added.
          yield [entry, container];
          continue;
        }
        for (let port = entry.port; port <= lastPort; port++) {
          yield [{hostIp: entry.hostIp, port, protocol: entry.protocol}, container];
        }
      }
    }
  }
}

function hasBinding(
  bindings: readonly Binding[],
  hostIp: string | null,
  container: ContainerInfo,
): boolean {
  for (const binding of bindings) {
    if (binding.hostIp === hostIp && isSameContainer(binding.container, container)) {
      return true;
    }
  }
  return false;
}

function hasContainer(containers: readonly ContainerInfo[], container: ContainerInfo): boolean {
  for (const known of containers) {
    if (isSameContainer(known, container)) {
      return true;
    }
  }
  return false;
}
