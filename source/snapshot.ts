import {hostname} from 'node:os';
import {awaitDetection, type DetectOptions, startDetection} from './engine/detect.js';
import {EngineRequestError} from './engine/errors/engine-request-error.js';
import {type HostScan, HostScanner} from './host/host-scanner.js';
import {resolveConmonContainer, type StorageContainersCache} from './host/podman-storage.js';
import {lookupRootlessPodmanContainer, RootlessPodmanResolver} from './host/rootless-podman.js';
import type {ContainerInfo} from './model/container-info.js';
import type {EngineReport} from './model/container-port-map.js';
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
}

/** Options of collectSnapshot. */
export interface SnapshotOptions extends DetectOptions {
  /** Reuse a scanner across refreshes for cheap steady-state scans. Default: a fresh one. */
  readonly scanner?: HostScanner;
  /** Reuse a resolver across refreshes (it caches per pid and netns). Default: a fresh one. */
  readonly resolver?: RootlessPodmanResolver;
  /** Reuse parsed Podman storage files across refreshes. Default: a fresh cache. */
  readonly storageCache?: StorageContainersCache;
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
      let container: ContainerInfo | null = null;
      if (helper === 'conmon') {
        container = await resolveConmonContainer(process.argv, {cache: storageCache, signal});
      } else if (helper === 'rootlessport') {
        container = await lookupRootlessPodmanContainer(process.pid, process.name, resolver, {
          signal,
        });
      }
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

/**
 * Runs container detection and the host scan concurrently and joins them into rows. Never
 * rejects for an engine or a host-scan failure: those become `engines` reports and
 * `warnings`, and whatever could be read is still shown. Rejects only on abort.
 */
export async function collectSnapshot(options: SnapshotOptions = {}): Promise<Snapshot> {
  const started = performance.now();
  const detection = startDetection(options);
  const scanner = options.scanner ?? new HostScanner();
  const resolver = options.resolver ?? new RootlessPodmanResolver();
  const storageCache = options.storageCache ?? new Map();
  const warnings: string[] = [];
  let scan = emptyScan;
  try {
    scan = await scanner.scan({signal: options.signal});
  } catch (error) {
    options.signal?.throwIfAborted();
    warnings.push(`host sockets could not be read: ${(error as Error).message}`);
  }
  const [resolved, containers] = await Promise.all([
    resolveHelpers(scan, resolver, storageCache, options.signal),
    awaitDetection(detection),
  ]);
  options.signal?.throwIfAborted();
  if (scan.unreadableProcesses > 0) {
    warnings.push(
      `${scan.unreadableProcesses} processes could not be inspected (not root): their sockets show no owner; run with sudo to see them`,
    );
  }
  for (const report of containers.engines) {
    if (!report.ok && !isAbsentEngine(report)) {
      warnings.push(
        `engine ${report.endpoint} (${report.source}): ${report.error?.message ?? 'failed'}`,
      );
    }
  }
  if (!containers.engines.some((report) => report.ok)) {
    warnings.push(
      'no container engine answered: showing host sockets only (start Docker or Podman, or set DOCKER_HOST)',
    );
  }
  const rows = joinSnapshot({
    listeners: scan.listeners,
    processes: scan.processes,
    containers,
    resolved,
    now: Date.now() / 1000,
  });
  return {
    rows,
    engines: containers.engines,
    warnings,
    hostname: hostname(),
    takenAt: Date.now(),
    durationMs: performance.now() - started,
    fullHostScan: scan.fullScan,
  };
}
