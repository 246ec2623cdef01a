import {EngineStatusError} from '../errors/engine-status-error.js';
import {InvalidJsonError} from '../errors/invalid-json-error.js';
import type {Protocol} from '../model/container-info.js';
import type {ServicePort, SwarmReport, SwarmService, SwarmTask} from '../model/swarm.js';
import type {Endpoint} from './endpoint.js';
import {requestEngine, statusError} from './http.js';
import {asJsonObject, parseJsonObject} from './json-object.js';

/** What `GET /info` says of the engine's Swarm membership (its `Swarm` object). */
export interface SwarmInfo {
  /** `LocalNodeState`: `inactive`, `pending`, `active`, `error` or `locked`. */
  readonly state: string;
  /** `NodeID` ("" when not in a swarm). */
  readonly nodeId: string;
  /** `ControlAvailable`: the node is a manager that can answer cluster questions. */
  readonly isManager: boolean;
  /** The engine's host name (`Name`), or "". */
  readonly hostName: string;
  /** `Swarm.Error`, or "". */
  readonly error: string;
}

/** The bodies of a manager's `GET /services`, `GET /tasks` and `GET /nodes`. */
export interface SwarmBodies {
  readonly services: string;
  readonly tasks: string;
  readonly nodes: string;
}

/** Options of readSwarm. */
export interface ReadSwarmOptions {
  /** Deadline for all of its requests together, in milliseconds. Required. */
  readonly timeoutMs: number;
  /** When that deadline started, as `performance.now()` (a detection's start). Default: now. */
  readonly startedAt?: number;
  /** Aborts the requests. */
  readonly signal?: AbortSignal;
}

/**
 * Only the tasks the orchestrator wants running: a task's history (each slot keeps up to
 * TaskHistoryRetentionLimit, 5 by default, old tasks in state shutdown, failed...) is left
 * with the engine. A task being replaced or scaled away has desired state `shutdown`, so it
 * leaves the list as soon as the orchestrator decides, not when its container is gone.
 */
export const swarmTasksPath = `/tasks?filters=${encodeURIComponent(
  JSON.stringify({'desired-state': ['running']}),
)}`;

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function describe(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
}

/**
 * The Swarm facts of a `GET /info` body, or null when the engine has no `Swarm` object (an
 * engine without Swarm, as Podman's). Throws InvalidJsonError when the body is not a JSON
 * object, or its `Swarm` is not an object with a `LocalNodeState` string.
 */
export function parseSwarmInfo(body: string, endpoint?: string): SwarmInfo | null {
  const info = parseJsonObject(body, 'the info body', endpoint);
  if (info.Swarm === undefined || info.Swarm === null) {
    return null;
  }
  const swarm = asJsonObject(info.Swarm);
  if (swarm === undefined || typeof swarm.LocalNodeState !== 'string') {
    throw new InvalidJsonError(
      `the info body's Swarm is not an object with a LocalNodeState (got ${describe(info.Swarm)})`,
      {endpoint},
    );
  }
  return {
    state: swarm.LocalNodeState,
    nodeId: text(swarm.NodeID),
    isManager: swarm.ControlAvailable === true,
    hostName: text(info.Name),
    error: text(swarm.Error),
  };
}

/** The report of a node that cannot list services (see SwarmReport), or null when not in a swarm. */
export function readNonManager(info: SwarmInfo): SwarmReport | null {
  if (info.state === 'inactive' || info.state === '') {
    return null;
  }
  const reason =
    info.state === 'active'
      ? 'a worker node: only managers list services'
      : `the swarm node is ${info.state}${info.error === '' ? '' : ` (${info.error})`}: it lists no services`;
  return {role: 'worker', nodeId: info.nodeId, nodeName: info.hostName, reason};
}

/** The objects of a JSON array body; InvalidJsonError for anything else. */
function parseObjects(body: string, what: string, endpoint: string): Record<string, unknown>[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    throw new InvalidJsonError(`${what} is not JSON`, {cause: error, endpoint});
  }
  if (!Array.isArray(parsed)) {
    throw new InvalidJsonError(`${what} is not a JSON array (got ${describe(parsed)})`, {
      endpoint,
    });
  }
  return parsed.map((item: unknown, index) => {
    const record = asJsonObject(item);
    if (record === undefined || typeof record.ID !== 'string' || record.ID === '') {
      throw new InvalidJsonError(`${what} item ${index} is not an object with an ID`, {endpoint});
    }
    return record;
  });
}

function labelsOf(value: unknown): Record<string, string> {
  const labels: Record<string, string> = {};
  const record = asJsonObject(value);
  if (record !== undefined) {
    for (const [key, label] of Object.entries(record)) {
      if (typeof label === 'string') {
        labels[key] = label;
      }
    }
  }
  return labels;
}

function isPort(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65_535;
}

/** A service's published ports: the ones in force (`Endpoint.Ports`), else the asked ones. */
function portsOf(service: Record<string, unknown>): ServicePort[] {
  const endpoint = asJsonObject(service.Endpoint);
  const spec = asJsonObject(asJsonObject(service.Spec)?.EndpointSpec);
  const entries = Array.isArray(endpoint?.Ports)
    ? endpoint.Ports
    : Array.isArray(spec?.Ports)
      ? spec.Ports
      : [];
  const ports: ServicePort[] = [];
  for (const item of entries as unknown[]) {
    const entry = asJsonObject(item);
    const protocol = entry?.Protocol ?? 'tcp';
    // An entry without a published port is not published (yet); sctp has no place in Protocol.
    if (
      entry === undefined ||
      !isPort(entry.PublishedPort) ||
      (protocol !== 'tcp' && protocol !== 'udp')
    ) {
      continue;
    }
    ports.push({
      protocol: protocol as Protocol,
      publishedPort: entry.PublishedPort,
      targetPort: isPort(entry.TargetPort) ? entry.TargetPort : entry.PublishedPort,
      publishMode: entry.PublishMode === 'host' ? 'host' : 'ingress',
    });
  }
  return ports;
}

/** The mode of a service spec and, for a replicated one, its replica count. */
function modeOf(
  service: Record<string, unknown>,
  endpoint: string,
): {mode: 'replicated' | 'global'; replicas: number | null} {
  const mode = asJsonObject(asJsonObject(service.Spec)?.Mode);
  const replicated = asJsonObject(mode?.Replicated);
  if (replicated !== undefined) {
    const replicas = replicated.Replicas;
    // Replicas 0 is sent as an absent field (omitempty).
    return {
      mode: 'replicated',
      replicas: typeof replicas === 'number' && replicas >= 0 ? replicas : 0,
    };
  }
  if (mode?.Global !== undefined) {
    return {mode: 'global', replicas: null};
  }
  // Jobs (API 1.41): a replicated job runs MaxConcurrent tasks at a time (default 1).
  const job = asJsonObject(mode?.ReplicatedJob);
  if (job !== undefined) {
    const most = job.MaxConcurrent;
    return {mode: 'replicated', replicas: typeof most === 'number' && most >= 0 ? most : 1};
  }
  if (mode?.GlobalJob !== undefined) {
    return {mode: 'global', replicas: null};
  }
  throw new InvalidJsonError(
    `service ${text(service.ID)} has no mode the API defines (Replicated, Global, ReplicatedJob, GlobalJob)`,
    {endpoint},
  );
}

/** The image of a service without the digest the manager pins to it. */
function imageOf(service: Record<string, unknown>): string {
  const spec = asJsonObject(service.Spec);
  const image = text(asJsonObject(asJsonObject(spec?.TaskTemplate)?.ContainerSpec)?.Image);
  const at = image.indexOf('@');
  return at === -1 ? image : image.slice(0, at);
}

interface NodeFacts {
  readonly name: string;
  readonly isDown: boolean;
}

function parseTask(
  task: Record<string, unknown>,
  localNodeId: string,
  nodes: ReadonlyMap<string, NodeFacts>,
): SwarmTask {
  const status = asJsonObject(task.Status);
  const containerId = text(asJsonObject(status?.ContainerStatus)?.ContainerID);
  const nodeId = text(task.NodeID);
  const slot = task.Slot;
  return {
    id: task.ID as string,
    slot: typeof slot === 'number' && slot > 0 ? slot : null,
    nodeId,
    nodeName: nodes.get(nodeId)?.name ?? null,
    state: text(status?.State),
    desiredState: text(task.DesiredState),
    containerId: containerId === '' ? null : containerId,
    onThisNode: nodeId !== '' && nodeId === localNodeId,
    message: text(status?.Err) || text(status?.Message),
  };
}

/**
 * The manager report of a Swarm node from its bodies (pure: no I/O). Replicas running are the
 * tasks in state `running`, desired the replica count (replicated) or, for a global service,
 * its tasks the orchestrator wants running; tasks on a node the manager holds as down count
 * in neither, as `docker service ls` counts. Throws InvalidJsonError when a body is not a
 * JSON array of objects with an `ID`, or a service has no mode.
 */
export function parseSwarmReport(
  bodies: SwarmBodies,
  info: SwarmInfo,
  endpoint: string,
): SwarmReport {
  const nodes = new Map<string, NodeFacts>();
  for (const node of parseObjects(bodies.nodes, 'the node list', endpoint)) {
    nodes.set(node.ID as string, {
      name: text(asJsonObject(node.Description)?.Hostname),
      isDown: text(asJsonObject(node.Status)?.State) === 'down',
    });
  }
  const tasksOf = new Map<string, SwarmTask[]>();
  for (const record of parseObjects(bodies.tasks, 'the task list', endpoint)) {
    const serviceId = text(record.ServiceID);
    const task = parseTask(record, info.nodeId, nodes);
    const list = tasksOf.get(serviceId);
    if (list === undefined) {
      tasksOf.set(serviceId, [task]);
    } else {
      list.push(task);
    }
  }
  const services: SwarmService[] = [];
  for (const record of parseObjects(bodies.services, 'the service list', endpoint)) {
    const id = record.ID as string;
    const {mode, replicas} = modeOf(record, endpoint);
    const tasks = tasksOf.get(id) ?? [];
    let running = 0;
    let wanted = 0;
    const onNodes = new Set<string>();
    for (const task of tasks) {
      if (nodes.get(task.nodeId)?.isDown === true) {
        continue;
      }
      wanted++;
      if (task.state === 'running') {
        running++;
        onNodes.add(task.nodeName ?? task.nodeId);
      }
    }
    services.push({
      id,
      name: text(asJsonObject(record.Spec)?.Name) || id,
      image: imageOf(record),
      mode,
      replicas: {running, desired: replicas ?? wanted},
      ports: portsOf(record),
      tasks,
      nodes: [...onNodes],
      endpoint,
      labels: labelsOf(asJsonObject(record.Spec)?.Labels),
    });
  }
  return {
    role: 'manager',
    nodeId: info.nodeId,
    nodeName: nodes.get(info.nodeId)?.name || info.hostName,
    services,
  };
}

async function getBody(
  endpoint: Endpoint,
  path: string,
  options: ReadSwarmOptions & {readonly startedAt: number},
): Promise<string> {
  const response = await requestEngine(endpoint, path, options);
  if (response.statusCode !== 200) {
    throw statusError(endpoint.address, response);
  }
  return response.body;
}

/** The Swarm facts of an engine's `GET /info` (see parseSwarmInfo). */
export async function readSwarmInfo(
  endpoint: Endpoint,
  options: ReadSwarmOptions,
): Promise<SwarmInfo | null> {
  const timed = {...options, startedAt: options.startedAt ?? performance.now()};
  return parseSwarmInfo(await getBody(endpoint, '/info', timed), endpoint.address);
}

/**
 * What an engine says of its Swarm: null when it is in none (or knows no Swarm); a worker
 * report when it cannot list services; on a manager, every service with its tasks and their
 * nodes. Asks `GET /info`, then on a manager `GET /services`, `GET /tasks` (desired state
 * running, see swarmTasksPath) and `GET /nodes` at once. `timeoutMs` bounds all of it.
 * Rejects with EngineRequestError (unreachable, timeout, aborted), EngineStatusError (an
 * answer other than 200, e.g. 503 from a manager that lost its quorum) or InvalidJsonError.
 */
export async function readSwarm(
  endpoint: Endpoint,
  options: ReadSwarmOptions,
): Promise<SwarmReport | null> {
  const timed = {...options, startedAt: options.startedAt ?? performance.now()};
  const info = parseSwarmInfo(await getBody(endpoint, '/info', timed), endpoint.address);
  return info === null ? null : readSwarmOf(endpoint, info, timed);
}

/** readSwarm for an engine whose `/info` was already read. */
export async function readSwarmOf(
  endpoint: Endpoint,
  info: SwarmInfo,
  options: ReadSwarmOptions,
): Promise<SwarmReport | null> {
  if (!(info.state === 'active' && info.isManager)) {
    return readNonManager(info);
  }
  const timed = {...options, startedAt: options.startedAt ?? performance.now()};
  const [services, tasks, nodes] = await Promise.all([
    getBody(endpoint, '/services', timed),
    getBody(endpoint, swarmTasksPath, timed),
    getBody(endpoint, '/nodes', timed),
  ]);
  return parseSwarmReport({services, tasks, nodes}, info, endpoint.address);
}

/** How long a detection trusts an engine's Swarm membership read from `/info`: 30 s. */
export const swarmInfoTtlMs = 30_000;

/** Per engine address: its Swarm facts and when they were read. */
const swarmInfoCache = new Map<string, {readonly info: SwarmInfo | null; readonly at: number}>();

/**
 * Makes the next readSwarmCached of `address` (of every engine, without one) ask `/info`
 * again: call it on a Swarm `node` event, or after a `docker swarm init/join/leave`.
 */
export function forgetSwarmInfo(address?: string): void {
  if (address === undefined) {
    swarmInfoCache.clear();
  } else {
    swarmInfoCache.delete(address);
  }
}

/**
 * readSwarm for a detection, at a price near nothing on engines outside a swarm: `GET /info`
 * costs 50-75 ms of the engine's time on Docker 20.10 (it gathers driver, plugin and runtime
 * facts; the container list costs 3-5 ms), so each engine's membership is read once and
 * trusted for swarmInfoTtlMs. An engine outside a swarm, or a worker, then costs no request;
 * a manager costs `/services`, `/tasks` and `/nodes` at once (3-6 ms together). A manager
 * that answers 503 (demoted, left) has its membership read again at once. Rejects as readSwarm.
 */
export async function readSwarmCached(
  endpoint: Endpoint,
  options: ReadSwarmOptions,
): Promise<SwarmReport | null> {
  const timed = {...options, startedAt: options.startedAt ?? performance.now()};
  const cached = swarmInfoCache.get(endpoint.address);
  const now = performance.now();
  if (cached !== undefined && now - cached.at < swarmInfoTtlMs) {
    if (cached.info === null) {
      return null;
    }
    try {
      return await readSwarmOf(endpoint, cached.info, timed);
    } catch (error) {
      if (!(error instanceof EngineStatusError && error.statusCode === 503)) {
        throw error;
      }
      // No longer a manager: what is it now?
    }
  }
  const info = parseSwarmInfo(await getBody(endpoint, '/info', timed), endpoint.address);
  swarmInfoCache.set(endpoint.address, {info, at: performance.now()});
  return info === null ? null : readSwarmOf(endpoint, info, timed);
}
