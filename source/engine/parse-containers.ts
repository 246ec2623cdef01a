import {EngineRequestError} from '../errors/engine-request-error.js';
import {InvalidJsonError} from '../errors/invalid-json-error.js';
import {
  type ContainerInfo,
  type ContainerOrigin,
  type Protocol,
  type PublishedPort,
  shortContainerId,
} from '../model/container-info.js';
import {ContainerPortMap, PortIndex} from '../model/container-port-map.js';
import {parseHostIp} from '../model/ip.js';
import {JsonArraySlicer} from './json-array-slicer.js';
import {asJsonObject} from './json-object.js';

const bareOrigin: ContainerOrigin = {endpoint: null, engine: 'unknown'};

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return asJsonObject(value) !== undefined;
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function isPort(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65_535;
}

/** Protocols of one entry: Docker's `Type`, libpod's `protocol` (which may read "tcp,udp"). */
const tcpOnly: readonly Protocol[] = ['tcp'];
const udpOnly: readonly Protocol[] = ['udp'];

/** Protocols of one entry: Docker's `Type`, libpod's `protocol` (which may read "tcp,udp"). */
function parseProtocols(value: unknown): readonly Protocol[] {
  if (value === undefined || value === null || value === '' || value === 'tcp') {
    return tcpOnly;
  }
  if (value === 'udp') {
    return udpOnly;
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
 * Adds to `out` the published host ports of one `Ports` entry, in Docker's shape (`IP`,
 * `PrivatePort`, `PublicPort`, `Type`) or libpod's (`host_ip`, `container_port`, `host_port`,
 * `range`, `protocol`). A libpod range stays one entry (`port` to `lastPort`), whatever its
 * width. An entry without a public port, with an unknown protocol, an invalid address or a
 * port out of range adds nothing; the other entries of the body are unaffected.
 */
function addPortEntry(entry: unknown, out: PublishedPort[]): void {
  if (!isObject(entry)) {
    return;
  }
  const isLibpod = !('PublicPort' in entry) && 'host_port' in entry;
  const publicPort = isLibpod ? entry.host_port : entry.PublicPort;
  if (!isPort(publicPort)) {
    return;
  }
  const rawIp = isLibpod ? entry.host_ip : entry.IP;
  if (rawIp !== undefined && rawIp !== null && typeof rawIp !== 'string') {
    return;
  }
  const hostIp = parseHostIp(rawIp);
  if (hostIp === undefined) {
    return;
  }
  const privatePort = isLibpod ? entry.container_port : entry.PrivatePort;
  const containerPort = isPort(privatePort) ? privatePort : null;
  let lastPort = publicPort;
  if (isLibpod && entry.range !== undefined && entry.range !== null && entry.range !== 0) {
    if (!isPort(entry.range) || publicPort + entry.range - 1 > 65_535) {
      return;
    }
    lastPort = publicPort + entry.range - 1;
  }
  for (const protocol of parseProtocols(isLibpod ? entry.protocol : entry.Type)) {
    const previous = out[out.length - 1];
    if (
      previous !== undefined &&
      previous.port === publicPort &&
      previous.hostIp === hostIp &&
      previous.protocol === protocol &&
      previous.lastPort === lastPort &&
      previous.containerPort === containerPort
    ) {
      // Docker lists a port bound to any address twice in a row (0.0.0.0 and ::): one key.
      continue;
    }
    out.push({hostIp, port: publicPort, lastPort, protocol, containerPort});
  }
}

function parseLabels(value: unknown): Readonly<Record<string, string>> {
  if (!isObject(value)) {
    return {};
  }
  // Engines send string labels; copy only when one is not, to keep the common case free.
  for (const key in value) {
    if (typeof value[key] !== 'string') {
      const labels: Record<string, string> = {};
      for (const name in value) {
        const label = value[name];
        if (typeof label === 'string') {
          labels[name] = label;
        }
      }
      return labels;
    }
  }
  return value as Record<string, string>;
}

function parseNames(value: unknown): string[] {
  if (!Array.isArray(value)) {
    return [];
  }
  const names: string[] = [];
  for (const name of value) {
    if (typeof name === 'string') {
      // `/web` is `web`; white space around a name is not part of it, and a blank name is none.
      const bare = name.startsWith('/') ? name.slice(1) : name;
      const trimmed = bare.trim() === bare ? bare : bare.trim().replace(/^\/+/, '');
      if (trimmed !== '') {
        names.push(trimmed);
      }
    }
  }
  return names;
}

/** A label's value with white space trimmed, or null when it is missing or blank. */
function labelText(labels: Readonly<Record<string, string>>, key: string): string | null {
  const value = labels[key];
  if (value === undefined) {
    return null;
  }
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed;
}

function parseContainer(item: JsonObject, origin: ContainerOrigin): ContainerInfo {
  const id = typeof item.Id === 'string' ? item.Id : '';
  // A blank image reads as none, so the name falls back to the short id.
  const image = typeof item.Image === 'string' && item.Image.trim() !== '' ? item.Image : '';
  const names = parseNames(item.Names);
  const labels = parseLabels(item.Labels);
  const ports: PublishedPort[] = [];
  if (Array.isArray(item.Ports)) {
    for (const entry of item.Ports) {
      addPortEntry(entry, ports);
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
      labelText(labels, 'com.docker.compose.project') ??
      labelText(labels, 'io.podman.compose.project'),
    ports,
    endpoint: origin.endpoint,
    engine: origin.engine,
  };
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
  return parseItems(data, 0, origin);
}

/**
 * The containers of `items`, items of a container list whose first is item `first` of the
 * whole list (for the message). Throws InvalidJsonError for an item that is not an object.
 */
function parseItems(
  items: readonly unknown[],
  first: number,
  origin: ContainerOrigin,
): ContainerInfo[] {
  const containers: ContainerInfo[] = [];
  for (let index = 0; index < items.length; index++) {
    const item: unknown = items[index];
    if (!isObject(item)) {
      throw new InvalidJsonError(
        `container list item ${first + index} is not an object (got ${describeJson(item)})`,
        {endpoint: origin.endpoint ?? undefined},
      );
    }
    containers.push(parseContainer(item, origin));
  }
  return containers;
}

/** Bodies up to this many characters are parsed in one go: a few milliseconds at most. */
export const wholeParseChars = 1024 * 1024;
/**
 * Longer bodies are parsed in slices of about this many characters, the clock checked
 * between. A slice's cost follows its item count more than its size: 64 KiB of empty objects
 * is ~22,000 containers, 10-20 ms on a busy 2-core machine, which keeps the parse's own
 * timeout ahead of awaitDetection's 50 ms backstop (256 KiB slices were not, under load).
 */
const sliceChars = 64 * 1024;

/** Options of readContainerList. */
export interface ReadContainerListOptions {
  /** `performance.now()` after which reading stops with a timeout error. */
  readonly deadline: number;
  /** The length of the whole deadline, for the error message. */
  readonly timeoutMs: number;
  /** Stops reading with an `aborted` error. */
  readonly signal?: AbortSignal;
  /**
   * Keep only the containers that publish a port (what the index holds), so a long list of
   * containers without ports costs no memory after its slice. Default: false, keep all.
   */
  readonly portsOnly?: boolean;
}

/** A parsed container list and the index of its published ports. */
export interface ContainerList {
  /** Every container, including those publishing no port (unless `portsOnly`). */
  readonly containers: ContainerInfo[];
  /** How many containers the list held, `portsOnly` or not. */
  readonly count: number;
  /** The ids of all of them, `portsOnly` or not. */
  readonly ids: readonly string[];
  /** Their published ports, indexed (see ContainerPortMap.fromIndexes). */
  readonly index: PortIndex;
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * parseContainerList and the port index of its result, within a deadline. A body over
 * wholeParseChars is parsed a slice of items at a time, with the clock and the signal
 * checked and the event loop let run between slices, so the deadline holds whatever the
 * body holds (a detection's parse included). Throws InvalidJsonError as parseContainerList
 * does, and EngineRequestError (`timeout` or `aborted`) when stopped early.
 */
export async function readContainerList(
  body: string,
  origin: ContainerOrigin,
  options: ReadContainerListOptions,
): Promise<ContainerList> {
  const index = new PortIndex();
  const endpoint = origin.endpoint ?? undefined;
  if (body.length <= wholeParseChars) {
    const containers = parseContainerList(body, origin);
    for (const container of containers) {
      index.addContainer(container);
    }
    const count = containers.length;
    return {
      containers: options.portsOnly
        ? containers.filter((item) => item.ports.length > 0)
        : containers,
      count,
      ids: containers.map((item) => item.id),
      index: index.seal(),
    };
  }
  let slicer: JsonArraySlicer;
  try {
    slicer = new JsonArraySlicer(body);
  } catch (error) {
    throw new InvalidJsonError(`container list is not a JSON array (${(error as Error).message})`, {
      cause: error,
      endpoint,
    });
  }
  const containers: ContainerInfo[] = [];
  const ids: string[] = [];
  let count = 0;
  for (;;) {
    if (options.signal?.aborted) {
      throw new EngineRequestError(origin.endpoint ?? 'body', 'aborted', 'request aborted', {
        cause: options.signal.reason,
      });
    }
    if (performance.now() > options.deadline) {
      throw new EngineRequestError(
        origin.endpoint ?? 'body',
        'timeout',
        `the container list (${(body.length / 1_048_576).toFixed(1)} MiB) was not read within ${options.timeoutMs} ms (${count} containers read)`,
      );
    }
    const offset = slicer.offset;
    let items: unknown;
    try {
      const text = slicer.next(sliceChars);
      if (text === null) {
        break;
      }
      items = JSON.parse(`[${text}]`);
    } catch (error) {
      throw new InvalidJsonError(
        `container list is not valid JSON (${(error as Error).message}, in the items from offset ${offset})`,
        {cause: error, endpoint},
      );
    }
    const parsed = parseItems(items as unknown[], count, origin);
    count += parsed.length;
    for (const container of parsed) {
      if (!options.portsOnly || container.ports.length > 0) {
        containers.push(container);
      }
      ids.push(container.id);
      index.addContainer(container);
    }
    await yieldToEventLoop();
  }
  return {containers, count, ids, index: index.seal()};
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
  const index = new PortIndex();
  for (const container of parseContainerList(body, origin)) {
    index.addContainer(container);
  }
  return ContainerPortMap.fromIndexes([index]);
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
  const index = new PortIndex();
  for (const item of data) {
    if (isObject(item)) {
      index.addContainer(parseContainer(item, origin));
    }
  }
  return ContainerPortMap.fromIndexes([index]);
}
