import type {ContainerInfo, EngineKind, Protocol} from './container-info.js';

/** The key of one published port: host address (null = any address), port and protocol. */
export interface PortKey {
  readonly hostIp: string | null;
  readonly port: number;
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
}

/** Everything published on one (port, protocol). */
interface PortSlot {
  /** Each distinct (address, container) binding on this port. */
  readonly bindings: Array<{readonly hostIp: string | null; readonly container: ContainerInfo}>;
  /** Each distinct container on this port, whatever the address. */
  readonly containers: ContainerInfo[];
}

/** One number per (port, protocol): no string is built on the hot path. */
function slotKey(port: number, protocol: Protocol): number {
  return protocol === 'udp' ? -port : port;
}

/** Containers are the same when they have the same id (or are the same object, for id-less ones). */
function isSameContainer(a: ContainerInfo, b: ContainerInfo): boolean {
  return a === b || (a.id !== '' && a.id === b.id);
}

const noContainers: readonly ContainerInfo[] = [];

/**
 * Published ports of running containers, iterable as `[PortKey, ContainerInfo]` pairs.
 * Indexed by (port, protocol): every lookup reads one slot, whose size is the number of
 * bindings on that one port, so its cost does not grow with the map. Nothing is dropped:
 * when two containers claim the same key, both are kept.
 */
export class ContainerPortMap implements Iterable<[PortKey, ContainerInfo]> {
  /** What each engine address gave while this map was detected (empty for a parsed body). */
  readonly engines: readonly EngineReport[];
  readonly #keys: PortKey[] = [];
  readonly #values: ContainerInfo[] = [];
  readonly #slots = new Map<number, PortSlot>();

  constructor(
    entries: Iterable<readonly [PortKey, ContainerInfo]> = [],
    engines: readonly EngineReport[] = [],
  ) {
    this.engines = engines;
    for (const [key, container] of entries) {
      this.#add(key, container);
    }
  }

  /**
   * A map of every published port of `containers`. A container whose id an earlier one
   * already had (one engine reached at two addresses) is not added twice.
   */
  static fromContainers(
    containers: Iterable<ContainerInfo>,
    engines: readonly EngineReport[] = [],
  ): ContainerPortMap {
    const map = new ContainerPortMap([], engines);
    const seenIds = new Set<string>();
    for (const container of containers) {
      if (container.id !== '') {
        if (seenIds.has(container.id)) {
          continue;
        }
        seenIds.add(container.id);
      }
      for (const port of container.ports) {
        map.#add(port, container);
      }
    }
    return map;
  }

  #add(key: PortKey, container: ContainerInfo): void {
    this.#keys.push(key);
    this.#values.push(container);
    const slotId = slotKey(key.port, key.protocol);
    let slot = this.#slots.get(slotId);
    if (slot === undefined) {
      slot = {bindings: [], containers: []};
      this.#slots.set(slotId, slot);
    }
    if (
      !slot.bindings.some(
        (binding) => binding.hostIp === key.hostIp && isSameContainer(binding.container, container),
      )
    ) {
      slot.bindings.push({hostIp: key.hostIp, container});
    }
    if (!slot.containers.some((known) => isSameContainer(known, container))) {
      slot.containers.push(container);
    }
  }

  /** Number of (key, container) entries. */
  get size(): number {
    return this.#keys.length;
  }

  /** The container published on exactly this key (the first, if several claim it). */
  get(hostIp: string | null, port: number, protocol: Protocol): ContainerInfo | undefined {
    return this.#slots
      .get(slotKey(port, protocol))
      ?.bindings.find((binding) => binding.hostIp === hostIp)?.container;
  }

  /** Every distinct container published on exactly this key. */
  getAll(hostIp: string | null, port: number, protocol: Protocol): readonly ContainerInfo[] {
    const slot = this.#slots.get(slotKey(port, protocol));
    if (slot === undefined) {
      return noContainers;
    }
    const found: ContainerInfo[] = [];
    for (const binding of slot.bindings) {
      if (binding.hostIp === hostIp) {
        found.push(binding.container);
      }
    }
    return found;
  }

  /** Every distinct container publishing this port and protocol on any address. */
  containersOnPort(port: number, protocol: Protocol): readonly ContainerInfo[] {
    return this.#slots.get(slotKey(port, protocol))?.containers ?? noContainers;
  }

  /** Every distinct container in the map, in first-seen order. */
  containers(): ContainerInfo[] {
    return [...new Set(this.#values)];
  }

  *[Symbol.iterator](): Iterator<[PortKey, ContainerInfo]> {
    for (let index = 0; index < this.#keys.length; index++) {
      yield [this.#keys[index] as PortKey, this.#values[index] as ContainerInfo];
    }
  }
}
