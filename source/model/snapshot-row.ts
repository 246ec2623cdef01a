import type {ContainerInfo, Protocol} from './container-info.js';
import type {HelperKind} from './helper.js';
import type {ServicePort, SwarmService} from './swarm.js';

/** The machine a row is on, in a view of several (`nanodock-top --host A --host B`). */
export interface RowHost {
  /** As the HOST column shows it: a context's name, an ssh host, or this machine's name. */
  readonly name: string;
  /** True for this machine: only its processes are signalled from here. */
  readonly local: boolean;
}

/**
 * A Swarm service's ingress port on a row of its own: the routing mesh takes the port on every
 * node with no host socket, so no process holds it.
 */
export interface ServiceOnRow {
  readonly service: SwarmService;
  readonly port: ServicePort;
}

/** One line of the host view: a port, who holds it, and the container behind it. */
export interface SnapshotRow {
  /** Stable identity across refreshes (container id, protocol, port, address or pid). */
  readonly key: string;
  readonly protocol: Protocol;
  /** First address the port is bound to (`0.0.0.0`, `::`, `127.0.0.1`). */
  readonly address: string;
  /** Every address of the row: a helper's IPv4 and IPv6 twins are one row. */
  readonly addresses: readonly string[];
  /** The port; the first of a range for a published range that no process holds. */
  readonly port: number;
  /**
   * The last port of the row: equal to `port`, except for a published range (Podman's
   * `-p 10000-20000:10000-20000`) that no process holds, which is one row for the whole range.
   */
  readonly lastPort: number;
  /**
   * How many listening sockets the row stands for when one process holds several on the same
   * protocol, address and port (SO_REUSEPORT); absent for one.
   */
  readonly sockets?: number;
  /** Every process holding the socket(s), sorted; empty when none is visible. */
  readonly pids: readonly number[];
  /** The first pid, or null. */
  readonly pid: number | null;
  /** Name of the first process, or null. */
  readonly process: string | null;
  /** User of the first process, or null. */
  readonly user: string | null;
  /**
   * Seconds since the first process started, as of when the row was made, or null (a
   * LiveSnapshot keeps unchanged rows across refreshes: see `startedAt`).
   */
  readonly uptimeSeconds: number | null;
  /** When the first process started, in Unix seconds (fractional), or null. */
  readonly startedAt: number | null;
  /**
   * Start time of the first process in clock ticks after boot (/proc/PID/stat field 22), or
   * null: with `pid`, the identity an action re-checks before signalling. Not in `--json`.
   */
  readonly startTicks: number | null;
  /** Command line of the first process (empty when unknown). */
  readonly command: readonly string[];
  /** The helper kind when the holder is a verified proxy helper, else null. */
  readonly helper: HelperKind | null;
  /**
   * Why a process that runs under a helper's name was not trusted as one ("named conmon, but
   * /usr/bin/python3 run by ndlab: not trusted"); null otherwise. Such a row is a plain process.
   */
  readonly untrusted: string | null;
  /** The container that published the port, or null. */
  readonly container: ContainerInfo | null;
  /** True when several containers could own the port; see `candidates`. */
  readonly ambiguous: boolean;
  /** The containers an ambiguous match could be. */
  readonly candidates: readonly ContainerInfo[];
  /** The machine, in a view of several hosts; absent in a view of one. One object per host. */
  readonly host?: RowHost;
  /**
   * A Swarm service publishing this port through the routing mesh (a row of its own, with no
   * process); `container` is then its task container on this node, or null. Absent otherwise.
   */
  readonly service?: ServiceOnRow;
}

/** A listening socket as the join needs it (host/ provides these). */
export interface ListenerInput {
  readonly protocol: Protocol;
  readonly address: string;
  readonly port: number;
  readonly pids: readonly number[];
}

/** A process as the join needs it. */
export interface ProcessInput {
  readonly pid: number;
  readonly name: string;
  /** Real uid, or null when unknown. */
  readonly uid: number | null;
  readonly user: string | null;
  readonly startedAt: number | null;
  /** Start time in clock ticks after boot (/proc/PID/stat field 22), or null when unknown. */
  readonly startTicks: number | null;
  readonly argv: readonly string[];
}
