import {
  type ContainerInfo,
  type ContainerOrigin,
  type Protocol,
  type PublishedPort,
  shortContainerId,
} from '../model/container-info.js';
import {ContainerPortMap, type PortKey} from '../model/container-port-map.js';
import {parseHostIp} from '../model/ip.js';
import {InvalidJsonError} from './errors/invalid-json-error.js';

const bareOrigin: ContainerOrigin = {endpoint: null, engine: 'unknown'};

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function isPort(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65_535;
}

/** Protocols of one entry: Docker's `Type`, libpod's `protocol` (which may read "tcp,udp"). */
function parseProtocols(value: unknown): Protocol[] {
  if (value === undefined || value === null || value === '') {
    return ['tcp'];
  }
  if (typeof value !== 'string') {
    return [];
  }
  const protocols: Protocol[] = [];
  for (const word of value.toLowerCase().split(',')) {
    const trimmed = word.trim();
    if ((trimmed === 'tcp' || trimmed === 'udp') && !protocols.includes(trimmed)) {
      protocols.push(trimmed);
    }
  }
  return protocols;
}

/**
 * Published host ports of one `Ports` entry, in Docker's shape (`IP`, `PrivatePort`,
 * `PublicPort`, `Type`) or libpod's (`host_ip`, `container_port`, `host_port`, `range`,
 * `protocol`). An entry without a public port, with an unknown protocol, an invalid address
 * or a port out of range gives none; the other entries of the body are unaffected.
 */
function parsePortEntry(entry: unknown): PublishedPort[] {
  if (!isObject(entry)) {
    return [];
  }
  const isLibpod = !('PublicPort' in entry) && 'host_port' in entry;
  const publicPort = isLibpod ? entry.host_port : entry.PublicPort;
  if (!isPort(publicPort)) {
    return [];
  }
  const rawIp = isLibpod ? entry.host_ip : entry.IP;
  if (rawIp !== undefined && rawIp !== null && typeof rawIp !== 'string') {
    return [];
  }
  const hostIp = parseHostIp(rawIp);
  if (hostIp === undefined) {
    return [];
  }
  const privatePort = isLibpod ? entry.container_port : entry.PrivatePort;
  const containerPort = isPort(privatePort) ? privatePort : null;
  let count = 1;
  if (isLibpod && entry.range !== undefined && entry.range !== null && entry.range !== 0) {
    if (!isPort(entry.range) || publicPort + entry.range - 1 > 65_535) {
      return [];
    }
    count = entry.range;
  }
  const ports: PublishedPort[] = [];
  for (const protocol of parseProtocols(isLibpod ? entry.protocol : entry.Type)) {
    for (let offset = 0; offset < count; offset++) {
      ports.push({
        hostIp,
        hostPort: publicPort + offset,
        containerPort: containerPort === null ? null : Math.min(containerPort + offset, 65_535),
        protocol,
      });
    }
  }
  return ports;
}

function parseLabels(value: unknown): Record<string, string> {
  const labels: Record<string, string> = {};
  if (isObject(value)) {
    for (const [key, label] of Object.entries(value)) {
      if (typeof label === 'string') {
        labels[key] = label;
      }
    }
  }
  return labels;
}

function parseNames(value: unknown): string[] {
  if (!Array.isArray(value)) {
    return [];
  }
  const names: string[] = [];
  for (const name of value) {
    if (typeof name === 'string') {
      const bare = name.startsWith('/') ? name.slice(1) : name;
      if (bare !== '') {
        names.push(bare);
      }
    }
  }
  return names;
}

function parseContainer(item: JsonObject, origin: ContainerOrigin): ContainerInfo {
  const id = typeof item.Id === 'string' ? item.Id : '';
  const image = typeof item.Image === 'string' ? item.Image : '';
  const names = parseNames(item.Names);
  const labels = parseLabels(item.Labels);
  const ports: PublishedPort[] = [];
  if (Array.isArray(item.Ports)) {
    for (const entry of item.Ports) {
      for (const port of parsePortEntry(entry)) {
        ports.push(port);
      }
    }
  }
  const created = item.Created;
  return {
    id,
    name: names[0] || image || shortContainerId(id) || 'container',
    names,
    image,
    state: stringOrNull(item.State),
    status: stringOrNull(item.Status),
    command: stringOrNull(item.Command),
    created: typeof created === 'number' && Number.isFinite(created) ? created : null,
    labels,
    composeProject:
      labels['com.docker.compose.project'] ?? labels['io.podman.compose.project'] ?? null,
    ports,
    endpoint: origin.endpoint,
    engine: origin.engine,
  };
}

function* portEntries(containers: readonly ContainerInfo[]): Generator<[PortKey, ContainerInfo]> {
  for (const container of containers) {
    for (const port of container.ports) {
      yield [{hostIp: port.hostIp, port: port.hostPort, protocol: port.protocol}, container];
    }
  }
}

/**
 * Containers of a `GET /containers/json` body, with the same rules as
 * parseContainersJson, but throwing InvalidJsonError when the body is not a JSON array of
 * objects. Returns every container, including those publishing no port.
 */
export function parseContainerList(
  body: string,
  origin: ContainerOrigin = bareOrigin,
): ContainerInfo[] {
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch (error) {
    throw new InvalidJsonError(`container list is not valid JSON (${(error as Error).message})`, {
      cause: error,
      endpoint: origin.endpoint ?? undefined,
    });
  }
  if (!Array.isArray(data)) {
    throw new InvalidJsonError(`container list is not a JSON array (got ${describeJson(data)})`, {
      endpoint: origin.endpoint ?? undefined,
    });
  }
  const containers: ContainerInfo[] = [];
  for (const [index, item] of data.entries()) {
    if (!isObject(item)) {
      throw new InvalidJsonError(
        `container list item ${index} is not an object (got ${describeJson(item)})`,
        {endpoint: origin.endpoint ?? undefined},
      );
    }
    containers.push(parseContainer(item, origin));
  }
  return containers;
}

function describeJson(value: unknown): string {
  if (value === null) {
    return 'null';
  }
  return Array.isArray(value) ? 'an array' : typeof value;
}

/**
 * The published ports of a `GET /containers/json` body (Docker or Podman). Throws
 * InvalidJsonError when the body is not a JSON array of objects; a malformed port entry
 * inside a valid body is skipped and the rest kept.
 */
export function parseContainersJsonStrict(
  body: string,
  origin: ContainerOrigin = bareOrigin,
): ContainerPortMap {
  return new ContainerPortMap(portEntries(parseContainerList(body, origin)));
}

/**
 * Best-effort parseContainersJson: never throws. A body that is not a JSON array gives an
 * empty map; items that are not objects are skipped.
 */
export function parseContainersJson(
  body: string,
  origin: ContainerOrigin = bareOrigin,
): ContainerPortMap {
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch {
    return new ContainerPortMap();
  }
  if (!Array.isArray(data)) {
    return new ContainerPortMap();
  }
  const containers: ContainerInfo[] = [];
  for (const item of data) {
    if (isObject(item)) {
      containers.push(parseContainer(item, origin));
    }
  }
  return new ContainerPortMap(portEntries(containers));
}
