/** Transport protocol of a published port or a listening socket. */
export type Protocol = 'tcp' | 'udp';

/** Which kind of engine reported a container, read from the engine's response headers. */
export type EngineKind = 'docker' | 'podman' | 'unknown';

/**
 * One host port, or one range of consecutive host ports, that a container publishes; it is
 * also the entry's key in a ContainerPortMap. Docker lists every port of a range on its own;
 * Podman's libpod list gives a range as one entry (`range`), kept here as one entry.
 */
export interface PublishedPort {
  /** Host address the port is bound to; null means any address (0.0.0.0 or ::). */
  readonly hostIp: string | null;
  /** Host port (the first of a range). */
  readonly port: number;
  /** Last host port of a range; equal to `port` for a single port. */
  readonly lastPort: number;
  readonly protocol: Protocol;
  /**
   * Port inside the container for `port`; the range maps `port + i` to `containerPort + i`.
   * Null when the engine did not say.
   */
  readonly containerPort: number | null;
}

/** A running container as an engine's container list describes it. */
export interface ContainerInfo {
  /** Full container id as the engine reports it (may be empty if the engine gave none). */
  readonly id: string;
  /** First non-empty name without its leading '/', else the image, else the short id, else "container". */
  readonly name: string;
  /** Every name the engine listed, leading '/' removed. */
  readonly names: readonly string[];
  /** Image reference as the engine reports it ("" when none). */
  readonly image: string;
  /** Engine state word (`running`), or null. */
  readonly state: string | null;
  /** Engine status text (`Up 5 minutes`), or null. */
  readonly status: string | null;
  /** Command line as the engine reports it, or null. */
  readonly command: string | null;
  /** Creation time in Unix seconds, or null. */
  readonly created: number | null;
  /** Labels with string values. */
  readonly labels: Readonly<Record<string, string>>;
  /** Compose project (`com.docker.compose.project` or `io.podman.compose.project`), or null. */
  readonly composeProject: string | null;
  /** Every published host port that parsed; malformed entries are left out. */
  readonly ports: readonly PublishedPort[];
  /** Address of the engine that reported it (`unix:///var/run/docker.sock`), or null for a bare body. */
  readonly endpoint: string | null;
  /** Kind of the engine that reported it. */
  readonly engine: EngineKind;
}

/** Where a parsed body came from; stamped on each ContainerInfo. */
export interface ContainerOrigin {
  readonly endpoint: string | null;
  readonly engine: EngineKind;
}

/** The first 12 characters of a container id, as `docker ps` shows it. */
export function shortContainerId(id: string): string {
  return id.slice(0, 12);
}
