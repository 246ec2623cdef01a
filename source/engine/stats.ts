import {InvalidJsonError} from '../errors/invalid-json-error.js';
import {
  type ContainerStats,
  type CpuCounters,
  cpuPercentBetween,
} from '../model/container-stats.js';
import type {Endpoint} from './endpoint.js';
import {requestEngine, statusError} from './http.js';
import {asJsonObject, parseJsonObject} from './json-object.js';

/** What one engine's stats endpoint gave. */
export type StatsAnswer =
  | {readonly kind: 'ok'; readonly stats: ContainerStats}
  | {readonly kind: 'not-running'}
  | {readonly kind: 'not-found'}
  | {readonly kind: 'failed'; readonly error: Error};

function asCount(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : null;
}

/** Go's zero time: Docker's `read` for a container that is not running. */
const zeroTime = /^0001-01-01T00:00:00/;

function readCpu(value: unknown): CpuCounters | null {
  const cpu = asJsonObject(value);
  const usage = asJsonObject(cpu?.cpu_usage);
  const totalNs = asCount(usage?.total_usage);
  if (cpu === undefined || totalNs === null) {
    return null;
  }
  const systemNs = asCount(cpu.system_cpu_usage);
  const online = asCount(cpu.online_cpus);
  const perCpu = Array.isArray(usage?.percpu_usage) ? usage.percpu_usage.length : 0;
  return {
    totalNs,
    // Podman leaves the previous sample's counter out (or 0): no previous sample.
    systemNs: systemNs === 0 ? null : systemNs,
    onlineCpus: online !== null && online > 0 ? online : perCpu > 0 ? perCpu : null,
  };
}

function readMemory(value: unknown): {usage: number | null; limit: number | null} {
  const memory = asJsonObject(value);
  const usage = asCount(memory?.usage);
  const limit = asCount(memory?.limit);
  if (usage === null) {
    return {usage: null, limit};
  }
  // As docker CLI: the inactive file cache is not counted (cgroup v1, then v2 naming).
  const detail = asJsonObject(memory?.stats);
  const v1 = asCount(detail?.total_inactive_file);
  if (v1 !== null && v1 < usage) {
    return {usage: usage - v1, limit};
  }
  const v2 = asCount(detail?.inactive_file);
  if (v2 !== null && v2 < usage) {
    return {usage: usage - v2, limit};
  }
  return {usage, limit};
}

function readNetworks(value: unknown): {rx: number | null; tx: number | null} {
  const networks = asJsonObject(value);
  if (networks === undefined) {
    return {rx: null, tx: null};
  }
  let rx: number | null = null;
  let tx: number | null = null;
  for (const network of Object.values(networks)) {
    const record = asJsonObject(network);
    const received = asCount(record?.rx_bytes);
    const sent = asCount(record?.tx_bytes);
    if (received !== null) {
      rx = (rx ?? 0) + received;
    }
    if (sent !== null) {
      tx = (tx ?? 0) + sent;
    }
  }
  return {rx, tx};
}

/**
 * The ContainerStats of a `GET /containers/ID/stats?stream=false` body (Docker's, and
 * Podman's compat API which sends the same shape), or null when it describes a container
 * that is not running (Docker answers zeros with a zero `read` time; Podman 4.3 an empty
 * body). Throws InvalidJsonError when the body is not a JSON object.
 */
export function parseEngineStats(body: string, endpoint?: string): ContainerStats | null {
  if (body.trim() === '') {
    return null;
  }
  const record = parseJsonObject(body, 'the stats body', endpoint);
  const read = typeof record.read === 'string' && record.read !== '' ? record.read : null;
  if (read !== null && zeroTime.test(read)) {
    return null;
  }
  const cpu = readCpu(record.cpu_stats);
  const previous = readCpu(record.precpu_stats);
  const memory = readMemory(record.memory_stats);
  const network = readNetworks(record.networks);
  return {
    read,
    cpuPercent: cpu !== null && previous !== null ? cpuPercentBetween(previous, cpu) : null,
    cpu,
    memoryBytes: memory.usage,
    memoryLimitBytes: memory.limit,
    networkRxBytes: network.rx,
    networkTxBytes: network.tx,
    pids: asCount(asJsonObject(record.pids_stats)?.current),
  };
}

/** The Go template given to `podman stats`: its raw numbers, not the human-readable columns. */
export const podmanStatsFormat = '{{json .ContainerStats}}';

/**
 * The ContainerStats of `podman stats --no-stream --format '{{json .ContainerStats}}'` output
 * for container `id` (one JSON object per line, Podman 4.3: `CPU` percent, `MemUsage`,
 * `MemLimit`, `NetInput`, `NetOutput`, `PIDs`, `ContainerID`). Throws InvalidJsonError when
 * no line is that container's JSON object.
 */
export function parsePodmanCliStats(output: string, id: string): ContainerStats {
  for (const line of output.split('\n')) {
    if (line.trim() === '') {
      continue;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (error) {
      throw new InvalidJsonError('podman stats printed something that is not JSON', {cause: error});
    }
    const record = asJsonObject(parsed);
    if (record === undefined || record.ContainerID !== id) {
      continue;
    }
    const cpu = record.CPU;
    return {
      read: null,
      cpuPercent: typeof cpu === 'number' && Number.isFinite(cpu) && cpu >= 0 ? cpu : null,
      cpu: null,
      memoryBytes: asCount(record.MemUsage),
      memoryLimitBytes: asCount(record.MemLimit),
      networkRxBytes: asCount(record.NetInput),
      networkTxBytes: asCount(record.NetOutput),
      pids: asCount(record.PIDs),
    };
  }
  throw new InvalidJsonError(`podman stats printed no stats of ${id}`);
}

/** Default deadline of a stats request: Docker takes about a second to sample twice. */
export const defaultStatsTimeoutMs = 10_000;

/**
 * `GET /containers/ID/stats?stream=false` on one engine: `ok`, `not-running`, `not-found`
 * (404), or `failed` (EngineRequestError, EngineStatusError, InvalidJsonError). Never throws.
 */
export async function requestStats(
  endpoint: Endpoint,
  id: string,
  options: {readonly timeoutMs?: number; readonly signal?: AbortSignal},
): Promise<StatsAnswer> {
  try {
    const response = await requestEngine(
      endpoint,
      `/containers/${encodeURIComponent(id)}/stats?stream=false`,
      {timeoutMs: options.timeoutMs ?? defaultStatsTimeoutMs, signal: options.signal},
    );
    if (response.statusCode === 404) {
      return {kind: 'not-found'};
    }
    if (response.statusCode !== 200) {
      return {
        kind: 'failed',
        error: statusError(endpoint.address, response),
      };
    }
    const stats = parseEngineStats(response.body, endpoint.address);
    return stats === null ? {kind: 'not-running'} : {kind: 'ok', stats};
  } catch (error) {
    return {kind: 'failed', error: error as Error};
  }
}
