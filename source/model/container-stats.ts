/** The CPU counters of one stats sample, for a CPU share between two samples. */
export interface CpuCounters {
  /** CPU time the container used since it started, in ns (cpu_stats.cpu_usage.total_usage). */
  readonly totalNs: number;
  /** CPU time the whole host used, in ns (cpu_stats.system_cpu_usage); null when not sent. */
  readonly systemNs: number | null;
  /** CPUs the container may use (online_cpus, else the length of percpu_usage); null when unknown. */
  readonly onlineCpus: number | null;
}

/** One resource sample of a running container. */
export interface ContainerStats {
  /** When the engine took the sample (RFC 3339), or null. */
  readonly read: string | null;
  /**
   * CPU use in percent of one CPU (200 = two CPUs busy), as `docker stats` shows it: the
   * container's CPU time over the host's between the engine's previous sample and this one,
   * times the online CPUs. Null when the engine sent no previous sample (Podman 4.3's
   * `stream=false` leaves precpu empty): use cpuPercentBetween on two samples then. Through
   * `podman stats` (rootless), Podman's own figure, which for a single sample is the average
   * since the container started.
   */
  readonly cpuPercent: number | null;
  /** This sample's CPU counters (API engines), or null (`podman stats` gives none usable). */
  readonly cpu: CpuCounters | null;
  /**
   * Memory in use, in bytes, as `docker stats` counts it: usage minus the inactive file cache
   * (total_inactive_file on cgroup v1, inactive_file on v2) when the engine reports it.
   */
  readonly memoryBytes: number | null;
  /** The memory limit in bytes (the host's memory when the container has none), or null. */
  readonly memoryLimitBytes: number | null;
  /** Bytes received over every network interface, or null when none is reported (host network). */
  readonly networkRxBytes: number | null;
  /** Bytes sent over every network interface, or null when none is reported. */
  readonly networkTxBytes: number | null;
  /** Processes and threads in the container, or null. */
  readonly pids: number | null;
}

/**
 * CPU use in percent (as ContainerStats.cpuPercent) between two samples of one container:
 * the container's CPU time over the host's, times the online CPUs. Null when a sample lacks
 * the host's counter or no host time passed; 0 when the container used none.
 */
export function cpuPercentBetween(earlier: CpuCounters, later: CpuCounters): number | null {
  if (earlier.systemNs === null || later.systemNs === null) {
    return null;
  }
  const systemDelta = later.systemNs - earlier.systemNs;
  const cpuDelta = later.totalNs - earlier.totalNs;
  const cpus = later.onlineCpus ?? earlier.onlineCpus;
  if (systemDelta <= 0 || cpuDelta < 0 || cpus === null) {
    return null;
  }
  return (cpuDelta / systemDelta) * cpus * 100;
}
