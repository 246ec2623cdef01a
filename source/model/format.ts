import {type ContainerInfo, type PublishedPort, shortContainerId} from './container-info.js';
import type {SnapshotRow} from './snapshot-row.js';

/** Compact uptime: `42s`, `17m`, `3h05m`, `12d04h`; `-` when unknown. */
export function formatUptime(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) {
    return '-';
  }
  const s = Math.floor(seconds);
  if (s < 60) {
    return `${s}s`;
  }
  if (s < 3600) {
    return `${Math.floor(s / 60)}m`;
  }
  if (s < 86_400) {
    return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  }
  return `${Math.floor(s / 86_400)}d${String(Math.floor((s % 86_400) / 3600)).padStart(2, '0')}h`;
}

/**
 * A row's uptime at `now` (Unix seconds), counted from its start time; without `now`, or for a
 * row with no start time, the uptime the row was made with.
 */
export function uptimeAt(row: SnapshotRow, now?: number): number | null {
  if (now === undefined || row.startedAt === null) {
    return row.uptimeSeconds;
  }
  return Math.max(0, Math.floor(now - row.startedAt));
}

/**
 * How far apart, in seconds, the uptimes shown in minutes (or coarser) move on: they all
 * follow a clock that steps this often, so rows whose minute ends at different seconds roll
 * over in one frame, not in one frame each (and the header's refresh time, shown anew as
 * often, moves in the same frame).
 */
export const uptimeStepSeconds = 10;

/**
 * The uptime a screen shows for `row` at `now` (Unix seconds): under a minute, to the second;
 * from a minute on, as of `now` rounded down to the step (at most 9 s behind, never going
 * back under a minute). Without `now`, the uptime the row was made with.
 */
export function shownUptimeAt(row: SnapshotRow, now?: number): number | null {
  const exact = uptimeAt(row, now);
  if (now === undefined || exact === null || exact < 60) {
    return exact;
  }
  const stepped = uptimeAt(row, Math.floor(now / uptimeStepSeconds) * uptimeStepSeconds);
  return Math.max(60, stepped ?? exact);
}

/** True when `then` and `now` (ms) fall in different steps of the shown uptimes' clock. */
export function isUptimeStepCrossed(then: number, now: number): boolean {
  const stepMs = uptimeStepSeconds * 1000;
  return Math.floor(then / stepMs) !== Math.floor(now / stepMs);
}

/** Addresses of a row for display: `0.0.0.0,::` for twins; `*` for the any-address pair. */
export function formatAddresses(row: SnapshotRow): string {
  if (row.addresses.length === 2 && row.addresses[0] === '0.0.0.0' && row.addresses[1] === '::') {
    return '*';
  }
  return row.addresses.join(',');
}

/** The container cell: name, or the candidates' count when ambiguous, or `-`. */
export function formatContainer(row: SnapshotRow): string {
  const service = row.service?.service;
  if (service !== undefined) {
    // A service's row: the service and its replicas, as `docker service ls` counts them.
    return `${service.name} ${service.replicas.running}/${service.replicas.desired}`;
  }
  if (row.container !== null) {
    return row.container.name;
  }
  if (row.ambiguous) {
    return `ambiguous (${row.candidates.length})`;
  }
  return '-';
}

/** The compose cell: the container's compose project, or `-` (no container, or no project). */
export function formatCompose(row: SnapshotRow): string {
  return row.container?.composeProject ?? '-';
}

/** The process cell: the process name, with helpers marked by what they are. */
export function formatProcess(row: SnapshotRow): string {
  const service = row.service?.service;
  if (service !== undefined) {
    // No process holds an ingress port: the cell names the nodes its tasks run on instead.
    return `(swarm) ${service.nodes.length === 0 ? 'no node' : service.nodes.join(',')}`;
  }
  // A process under a helper's name that is not the real helper: marked, never a helper row.
  return row.untrusted === null ? (row.process ?? '-') : `!${row.process ?? '-'}`;
}

/** A container as `nanodock-top --json` names it: what identifies it. */
export interface JsonContainer {
  readonly id: string;
  readonly shortId: string;
  readonly name: string;
  readonly image: string;
  readonly engine: string;
  readonly endpoint: string | null;
}

/** The JSON form of a row's container. */
export function toJsonContainer(container: ContainerInfo): JsonContainer {
  return {
    id: container.id,
    shortId: shortContainerId(container.id),
    name: container.name,
    image: container.image,
    engine: container.engine,
    endpoint: container.endpoint,
  };
}

/** One row as the JSON of `nanodock-top --json`: the row's own facts, the container reduced to what identifies it. */
export type JsonRow = Pick<
  SnapshotRow,
  | 'protocol'
  | 'address'
  | 'addresses'
  | 'port'
  | 'lastPort'
  | 'pids'
  | 'pid'
  | 'process'
  | 'user'
  | 'uptimeSeconds'
  | 'command'
  | 'helper'
  | 'untrusted'
  | 'ambiguous'
> & {
  readonly container: JsonContainer | null;
  readonly candidates: readonly string[];
  /** Listening sockets the row stands for: more than 1 when one process holds several (SO_REUSEPORT). */
  readonly sockets: number;
  /** The row's host, in a view of several (`--host A --host B`); absent otherwise. */
  readonly host?: string;
};

/** The JSON form of a row: plain data, container reduced to what identifies it. */
export function toJsonRow(row: SnapshotRow): JsonRow {
  const container = row.container;
  return {
    ...(row.host === undefined ? {} : {host: row.host.name}),
    protocol: row.protocol,
    address: row.address,
    addresses: row.addresses,
    port: row.port,
    lastPort: row.lastPort,
    pids: row.pids,
    pid: row.pid,
    sockets: row.sockets ?? 1,
    process: row.process,
    user: row.user,
    uptimeSeconds: row.uptimeSeconds,
    command: row.command,
    helper: row.helper,
    untrusted: row.untrusted,
    container: container === null ? null : toJsonContainer(container),
    ambiguous: row.ambiguous,
    candidates: row.candidates.map((candidate) => candidate.name),
  };
}

/** A row's port cell: `8080`, or `10000-20000` for a published range. */
export function formatPort(row: {readonly port: number; readonly lastPort: number}): string {
  return row.lastPort === row.port ? String(row.port) : `${row.port}-${row.lastPort}`;
}

/** One published entry as the detail pane lists it: `*:8080->80/tcp`, `*:9000-9002->90-92/udp`. */
export function formatPublishedPort(port: PublishedPort): string {
  const width = port.lastPort - port.port;
  const inside =
    port.containerPort === null
      ? '?'
      : width === 0
        ? String(port.containerPort)
        : `${port.containerPort}-${Math.min(port.containerPort + width, 65_535)}`;
  return `${port.hostIp ?? '*'}:${formatPort(port)}->${inside}/${port.protocol}`;
}

/**
 * The published entries of a container as the detail pane lists them, one string each, in the
 * engine's order, each only once: Docker reports a port published on every address twice
 * (`0.0.0.0` and `::`), and both are `*` here, so the twins are one entry.
 */
export function formatPublishedPorts(ports: readonly PublishedPort[]): string[] {
  return [...new Set(ports.map(formatPublishedPort))];
}
