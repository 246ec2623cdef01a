import {hostname} from 'node:os';
import {awaitDetection, type DetectOptions, startDetection} from './engine/detect.js';
import {EngineRequestError} from './errors/engine-request-error.js';
import {type HelperResolution, matchedContainer} from './host/helper-resolution.js';
import {type HostScan, HostScanner} from './host/host-scanner.js';
import {resolveConmonContainer, type StorageContainersCache} from './host/podman-storage.js';
import {lookupRootlessPodmanContainer, RootlessPodmanResolver} from './host/rootless-podman.js';
import type {ContainerInfo} from './model/container-info.js';
import {ContainerPortMap, type EngineReport} from './model/container-port-map.js';
import {classifyHelper} from './model/helper.js';
import {joinSnapshot} from './model/join.js';
import type {SnapshotRow} from './model/snapshot-row.js';

/** Everything the host view shows at one moment. */
export interface Snapshot {
  /** Rows in port order. */
  readonly rows: readonly SnapshotRow[];
  /** Every engine address tried, with what it gave (absent default sockets included). */
  readonly engines: readonly EngineReport[];
  /** Problems worth telling the user, each one line with what to do. */
  readonly warnings: readonly string[];
  readonly hostname: string;
  /** When the snapshot was taken (ms since the epoch). */
  readonly takenAt: number;
  /** How long collecting it took, in ms. */
  readonly durationMs: number;
  /** Whether the host scan read every process's fds this time. */
  readonly fullHostScan: boolean;
  /** True while the container detection of this refresh is still running (rows use the last list). */
  readonly enginesPending: boolean;
}

/** Options of collectSnapshot. */
export interface SnapshotOptions extends DetectOptions {
  /** Reuse a scanner across refreshes for cheap steady-state scans. Default: a fresh one. */
  readonly scanner?: HostScanner;
  /** Reuse a resolver across refreshes (it caches per pid and netns). Default: a fresh one. */
  readonly resolver?: RootlessPodmanResolver;
  /** Reuse parsed Podman storage files across refreshes. Default: a fresh cache. */
  readonly storageCache?: StorageContainersCache;
  /**
   * LiveSnapshot: how old the container list may get before a refresh asks the engines again,
   * asked at each refresh. Default: 0 (every refresh). A live view that watches the engines'
   * events (and calls invalidateContainers on each) can afford seconds.
   */
  readonly containersMaxAgeMs?: () => number;
}

/**
 * True for a well-known socket where no engine lives: not worth a warning. An engine named by
 * the user (DOCKER_HOST, a context) that is missing is a failure.
 */
export function isAbsentEngine(report: EngineReport): boolean {
  return (
    !report.ok &&
    report.source === 'default' &&
    report.error instanceof EngineRequestError &&
    report.error.failure === 'connect' &&
    (report.error.code === 'ENOENT' || report.error.code === 'ECONNREFUSED')
  );
}

/** Containers of helper processes found without the engine list (conmon's id, rootlessport's netns). */
async function resolveHelpers(
  scan: HostScan,
  resolver: RootlessPodmanResolver,
  storageCache: StorageContainersCache,
  signal: AbortSignal | undefined,
): Promise<Map<number, ContainerInfo>> {
  const resolved = new Map<number, ContainerInfo>();
  await Promise.all(
    [...scan.processes.values()].map(async (process) => {
      const helper = classifyHelper(process.name);
      let resolution: HelperResolution | null = null;
      // For now an ambiguous helper (and the resolutions' warnings) show as no container.
      if (helper === 'conmon' && process.uid !== null) {
        resolution = await resolveConmonContainer(process.argv, {
          ownerUid: process.uid,
          ownerName: process.user ?? undefined,
          cache: storageCache,
          signal,
        });
      } else if (helper === 'rootlessport') {
        resolution = await lookupRootlessPodmanContainer(process.pid, process.name, resolver, {
          signal,
        });
      }
      const container = resolution === null ? null : matchedContainer(resolution);
      if (container !== null) {
        resolved.set(process.pid, container);
      }
    }),
  );
  return resolved;
}

const emptyScan: HostScan = {
  listeners: [],
  processes: new Map(),
  unreadableProcesses: 0,
  fullScan: false,
  durationMs: 0,
};

interface HostPart {
  readonly scan: HostScan;
  readonly resolved: ReadonlyMap<number, ContainerInfo>;
  readonly warnings: readonly string[];
  readonly startedAt: number;
}

/**
 * A snapshot source for a live view. Each refresh scans the host, joins it at once with the
 * newest container list there is, and joins again when the detection it is waiting for
 * lands: a slow or frozen engine delays only its own containers, never the host rows. A
 * detection still running when the next refresh starts is shared, not started twice.
 */
export class LiveSnapshot {
  readonly #options: SnapshotOptions;
  readonly #scanner: HostScanner;
  readonly #resolver: RootlessPodmanResolver;
  readonly #storageCache: StorageContainersCache;
  #containers: ContainerPortMap | null = null;
  #detection: Promise<ContainerPortMap> | null = null;
  #detectedAt = 0;
  #lastHost: {scan: HostScan; resolved: ReadonlyMap<number, ContainerInfo>} | undefined;
  /** The host's name does not change while we run; asking costs a system call per refresh. */
  readonly #hostname = hostname();
  #isStale = false;
  readonly #containersMaxAgeMs: () => number;

  constructor(options: SnapshotOptions = {}) {
    this.#options = options;
    this.#scanner = options.scanner ?? new HostScanner();
    this.#resolver = options.resolver ?? new RootlessPodmanResolver();
    this.#storageCache = options.storageCache ?? new Map();
    this.#containersMaxAgeMs = options.containersMaxAgeMs ?? (() => 0);
  }

  /**
   * Refreshes: calls `onUpdate` with the host joined to the newest containers (marked
   * `enginesPending` when their detection is still running), then again once it lands.
   * Rejects only on abort; nothing is reported after an abort.
   */
  async refresh(onUpdate: (snapshot: Snapshot) => void, signal?: AbortSignal): Promise<void> {
    const isFresh =
      this.#containers !== null &&
      !this.#isStale &&
      performance.now() - this.#detectedAt < this.#containersMaxAgeMs();
    const detection =
      this.#detection ??
      (isFresh && this.#containers !== null
        ? Promise.resolve(this.#containers)
        : this.#startDetection());
    let settled = false;
    void detection.then(() => {
      settled = true;
    });
    const host = await this.#scanHost(signal);
    signal?.throwIfAborted();
    // Let a detection that finished meanwhile land before the first join.
    await new Promise((resolve) => setImmediate(resolve));
    if (!settled) {
      onUpdate(this.#join(host, true));
      await detection;
      signal?.throwIfAborted();
    }
    onUpdate(this.#join(host, false));
  }

  /**
   * Marks the container list out of date (an engine reported a container event): the next
   * refresh asks the engines again, whatever containersMaxAgeMs says.
   */
  invalidateContainers(): void {
    this.#isStale = true;
  }

  /** What each engine address gave at the last detection (empty before the first). */
  get engines(): readonly EngineReport[] {
    return this.#containers?.engines ?? [];
  }

  #startDetection(): Promise<ContainerPortMap> {
    this.#isStale = false;
    const handle = startDetection({...this.#options, signal: undefined});
    const detection = awaitDetection(handle).then((map) => {
      this.#containers = map;
      this.#detectedAt = performance.now();
      this.#detection = null;
      return map;
    });
    this.#detection = detection;
    return detection;
  }

  async #scanHost(signal: AbortSignal | undefined): Promise<HostPart> {
    const startedAt = performance.now();
    const warnings: string[] = [];
    let scan = emptyScan;
    try {
      scan = await this.#scanner.scan({signal});
    } catch (error) {
      signal?.throwIfAborted();
      warnings.push(`host sockets could not be read: ${(error as Error).message}`);
    }
    if (scan.unreadableProcesses > 0) {
      warnings.push(
        `${scan.unreadableProcesses} processes could not be inspected (not root): their sockets show no owner; run with sudo to see them`,
      );
    }
    // The scanner hands back the same listeners when nothing changed: the same helper
    // processes then hold the same containers, so nothing needs resolving again.
    const previous = this.#lastHost;
    const resolved =
      previous !== undefined &&
      previous.scan.listeners === scan.listeners &&
      scan.listeners.length > 0
        ? previous.resolved
        : await resolveHelpers(scan, this.#resolver, this.#storageCache, signal);
    this.#lastHost = {scan, resolved};
    return {scan, resolved, warnings, startedAt};
  }

  #join(host: HostPart, enginesPending: boolean): Snapshot {
    const containers = this.#containers ?? new ContainerPortMap();
    const warnings = [...host.warnings];
    if (this.#containers !== null) {
      // The verdict first: the header has one line for all of it.
      if (!containers.engines.some((report) => report.ok)) {
        warnings.unshift(
          'no container engine answered: showing host sockets only (start Docker or Podman, or set DOCKER_HOST)',
        );
      }
      for (const report of containers.engines) {
        if (!report.ok && !isAbsentEngine(report)) {
          warnings.push(
            `engine ${report.endpoint} (${report.source}): ${report.error?.message ?? 'failed'}`,
          );
        }
      }
    }
    return {
      rows: joinSnapshot({
        listeners: host.scan.listeners,
        processes: host.scan.processes,
        containers,
        resolved: host.resolved,
        now: Date.now() / 1000,
      }),
      engines: containers.engines,
      enginesPending,
      warnings,
      hostname: this.#hostname,
      takenAt: Date.now(),
      durationMs: performance.now() - host.startedAt,
      fullHostScan: host.scan.fullScan,
    };
  }
}

/**
 * Runs container detection and the host scan concurrently and joins them into rows. Never
 * rejects for an engine or a host-scan failure: those become `engines` reports and
 * `warnings`, and whatever could be read is still shown. Rejects only on abort.
 */
export async function collectSnapshot(options: SnapshotOptions = {}): Promise<Snapshot> {
  let last: Snapshot | undefined;
  await new LiveSnapshot(options).refresh((snapshot) => {
    last = snapshot;
  }, options.signal);
  if (last === undefined) {
    throw new Error('no snapshot was taken');
  }
  return last;
}
