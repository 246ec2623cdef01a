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

function exactKey(hostIp: string | null, port: number, protocol: Protocol): string {
  return `${protocol}|${hostIp ?? '*'}|${port}`;
}

function portKey(port: number, protocol: Protocol): string {
  return `${protocol}|${port}`;
}

/** Containers are the same when they have the same id (or are the same object, for id-less ones). */
function isSameContainer(a: ContainerInfo, b: ContainerInfo): boolean {
  return a === b || (a.id !== '' && a.id === b.id);
}

function addDistinct(list: ContainerInfo[], container: ContainerInfo): void {
  if (!list.some((known) => isSameContainer(known, container))) {
    list.push(container);
  }
}

/**
 * Published ports of running containers, iterable as `[PortKey, ContainerInfo]` pairs.
 * Two indexes make every lookup cost the same whatever the size: one by exact
 * (address, port, protocol), one by (port, protocol) listing each distinct container once.
 * Nothing is dropped: when two containers claim the same key, both are kept.
 */
export class ContainerPortMap implements Iterable<[PortKey, ContainerInfo]> {
  /** What each engine address gave while this map was detected (empty for a parsed body). */
  readonly engines: readonly EngineReport[];
  readonly #entries: Array<[PortKey, ContainerInfo]> = [];
  readonly #exact = new Map<string, ContainerInfo[]>();
  readonly #byPort = new Map<string, ContainerInfo[]>();

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
   * A map holding every entry of `maps`, in order. A container that an earlier map already
   * listed (same id: one engine reached at two addresses) is not added twice.
   */
  static merge(
    maps: Iterable<ContainerPortMap>,
    engines: readonly EngineReport[] = [],
  ): ContainerPortMap {
    const merged = new ContainerPortMap([], engines);
    const seenIds = new Set<string>();
    for (const map of maps) {
      const idsOfThisMap = new Set<string>();
      for (const [key, container] of map) {
        if (container.id !== '' && seenIds.has(container.id)) {
          continue;
        }
        idsOfThisMap.add(container.id);
        merged.#add(key, container);
      }
      for (const id of idsOfThisMap) {
        seenIds.add(id);
      }
    }
    return merged;
  }

  #add(key: PortKey, container: ContainerInfo): void {
    const frozenKey: PortKey = {hostIp: key.hostIp, port: key.port, protocol: key.protocol};
    this.#entries.push([frozenKey, container]);
    const exact = exactKey(key.hostIp, key.port, key.protocol);
    const sameKey = this.#exact.get(exact);
    if (sameKey === undefined) {
      this.#exact.set(exact, [container]);
    } else {
      addDistinct(sameKey, container);
    }
    const onPort = portKey(key.port, key.protocol);
    const samePort = this.#byPort.get(onPort);
    if (samePort === undefined) {
      this.#byPort.set(onPort, [container]);
    } else {
      addDistinct(samePort, container);
    }
  }

  /** Number of (key, container) entries. */
  get size(): number {
    return this.#entries.length;
  }

  /** The container published on exactly this key (the first, if several claim it). */
  get(hostIp: string | null, port: number, protocol: Protocol): ContainerInfo | undefined {
    return this.#exact.get(exactKey(hostIp, port, protocol))?.[0];
  }

  /** Every distinct container published on exactly this key. */
  getAll(hostIp: string | null, port: number, protocol: Protocol): readonly ContainerInfo[] {
    return this.#exact.get(exactKey(hostIp, port, protocol)) ?? [];
  }

  /** Every distinct container publishing this port and protocol on any address. */
  containersOnPort(port: number, protocol: Protocol): readonly ContainerInfo[] {
    return this.#byPort.get(portKey(port, protocol)) ?? [];
  }

  /** Every distinct container in the map, in first-seen order. */
  containers(): ContainerInfo[] {
    const seen = new Set<ContainerInfo>();
    for (const [, container] of this.#entries) {
      seen.add(container);
    }
    return [...seen];
  }

  [Symbol.iterator](): Iterator<[PortKey, ContainerInfo]> {
    return this.#entries[Symbol.iterator]();
  }
}
