import {existsSync} from 'node:fs';
import {DaemonNotFoundError, type EndpointAttempt} from '../errors/daemon-not-found-error.js';
import {EngineRequestError} from '../errors/engine-request-error.js';
import {EngineStatusError} from '../errors/engine-status-error.js';
import {InvalidJsonError} from '../errors/invalid-json-error.js';
import type {ContainerInfo, EngineKind} from '../model/container-info.js';
import {ContainerPortMap, type EngineReport, PortIndex} from '../model/container-port-map.js';
import type {SwarmReport} from '../model/swarm.js';
import {type Endpoint, type EndpointOptions, resolveEndpoints} from './endpoint.js';
import {readEngineKind} from './engine-kind.js';
import {requestEngine, statusError} from './http.js';
import {type ContainerList, readContainerList} from './parse-containers.js';
import {readSwarmCached} from './swarm.js';

/** Options of detectContainers, startDetection and stopContainer. */
export interface DetectOptions extends EndpointOptions {
  /** Deadline for the whole detection, in milliseconds. Default: 3000. */
  readonly timeoutMs?: number;
  /** Aborts every request of the detection. */
  readonly signal?: AbortSignal;
  /**
   * Ask Docker engines about Swarm (EngineReport.swarm, ContainerPortMap.services); see
   * readSwarmCached for the cost: none on an engine outside a swarm once its `/info` is read.
   * Podman engines are never asked (they have no Swarm). Default: true.
   */
  readonly swarm?: boolean;
}

/**
 * The report of a well-known socket path with nothing there. Most of the default places are
 * empty on any one machine, so this is an expected answer, not a fault: the error carries no
 * stack trace, whose capture cost more than the rest of the check (about 10-25 µs each, seven
 * times per default detection).
 */
function absentSocketError(address: string): EngineRequestError {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new EngineRequestError(
      address,
      'connect',
      'ENOENT: no socket there (is the engine running?)',
      {
        code: 'ENOENT',
      },
    );
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** Default detection deadline in milliseconds. */
export const defaultDetectTimeoutMs = 3000;

/** The answer of an engine whose request (started at `requestStarted`) failed with `error`. */
function failedAnswer(
  endpoint: Endpoint,
  engine: EngineKind,
  requestStarted: number,
  error: Error,
): EngineAnswer {
  return {
    index: null,
    containers: [],
    ids: new Set(),
    taskContainers: [],
    report: {
      endpoint: endpoint.address,
      source: endpoint.source,
      engine,
      ok: false,
      containers: 0,
      durationMs: performance.now() - requestStarted,
      error,
    },
  };
}

/**
 * A container list of `endpoint` at `path`, and the engine's kind from its headers. Throws
 * EngineStatusError for an answer other than 200. The deadline (`started` + `timeoutMs`)
 * covers the parse too: a long body is read in slices that check the clock.
 */
async function askList(
  endpoint: Endpoint,
  path: string,
  started: number,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  portsOnly: boolean,
): Promise<{engine: EngineKind; list: ContainerList}> {
  const response = await requestEngine(endpoint, path, {timeoutMs, startedAt: started, signal});
  const engine = readEngineKind(response.headers);
  if (response.statusCode !== 200) {
    throw statusError(endpoint.address, response);
  }
  const list = await readContainerList(
    response.body,
    {endpoint: endpoint.address, engine},
    {deadline: started + timeoutMs, timeoutMs, signal, portsOnly},
  );
  return {engine, list};
}

/** askList for the containers `ids` only (an id filter; every port of each, not only published). */
function askListOf(
  endpoint: Endpoint,
  ids: readonly string[],
  started: number,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<{engine: EngineKind; list: ContainerList}> {
  const filter = encodeURIComponent(JSON.stringify({id: ids}));
  return askList(endpoint, `/containers/json?filters=${filter}`, started, timeoutMs, signal, false);
}

/** What an engine's Swarm gave at a detection (see askSwarm). */
interface SwarmAnswer {
  readonly swarm: SwarmReport | null;
  readonly swarmError: Error | null;
  readonly taskContainers: readonly ContainerInfo[];
}

const noSwarm: SwarmAnswer = {swarm: null, swarmError: null, taskContainers: []};

/**
 * The Swarm of a Docker engine that just listed `containers`: its report (readSwarmCached)
 * and, on a manager, the containers of its tasks running here that the list left out (they
 * publish no port: an ingress task's container has none), asked by id. A failure is kept in
 * `swarmError`, never failing the engine's container answer.
 */
async function askSwarm(
  endpoint: Endpoint,
  containers: readonly ContainerInfo[],
  started: number,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<SwarmAnswer> {
  try {
    const swarm = await readSwarmCached(endpoint, {timeoutMs, startedAt: started, signal});
    if (swarm?.role !== 'manager') {
      return {swarm, swarmError: null, taskContainers: []};
    }
    const listed = new Set(containers.map((container) => container.id));
    const missing = new Set<string>();
    for (const service of swarm.services) {
      for (const task of service.tasks) {
        if (task.onThisNode && task.containerId !== null && !listed.has(task.containerId)) {
          missing.add(task.containerId);
        }
      }
    }
    if (missing.size === 0) {
      return {swarm, swarmError: null, taskContainers: []};
    }
    const asked = await askListOf(endpoint, [...missing], started, timeoutMs, signal);
    const taskContainers = asked.list.containers.filter((container) => missing.has(container.id));
    return {swarm, swarmError: null, taskContainers};
  } catch (error) {
    return {...noSwarm, swarmError: error as Error};
  }
}

async function queryEndpoint(
  endpoint: Endpoint,
  started: number,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  swarm = true,
): Promise<EngineAnswer> {
  // The deadline counts from the start of the detection; the duration from this request's.
  const requestStarted = performance.now();
  let engine: EngineKind = 'unknown';
  try {
    if (
      endpoint.kind === 'socket' &&
      endpoint.source === 'default' &&
      !existsSync(endpoint.socketPath)
    ) {
      // A well-known place with nothing there: say so without a connect attempt.
      throw absentSocketError(endpoint.address);
    }
    const asked = await askList(endpoint, '/containers/json', started, timeoutMs, signal, true);
    engine = asked.engine;
    const list = asked.list;
    const swarmAnswer =
      swarm && engine === 'docker'
        ? await askSwarm(endpoint, list.containers, started, timeoutMs, signal)
        : noSwarm;
    return {
      index: list.index,
      containers: list.containers,
      ids: new Set(list.ids),
      taskContainers: swarmAnswer.taskContainers,
      report: {
        endpoint: endpoint.address,
        source: endpoint.source,
        engine,
        ok: true,
        containers: list.count,
        durationMs: performance.now() - requestStarted,
        error: null,
        swarm: swarmAnswer.swarm,
        swarmError: swarmAnswer.swarmError,
      },
    };
  } catch (error) {
    return failedAnswer(endpoint, engine, requestStarted, error as Error);
  }
}

/** What one engine address gave at a detection. */
export interface EngineAnswer {
  /** Its published ports, indexed; null when it failed. */
  readonly index: PortIndex | null;
  /** Its containers that publish ports (the ones `index` holds). */
  readonly containers: readonly ContainerInfo[];
  /** The ids of all its running containers, publishing ports or not. */
  readonly ids: ReadonlySet<string>;
  /** Containers of its Swarm tasks running here that publish no port (see askSwarm). */
  readonly taskContainers: readonly ContainerInfo[];
  readonly report: EngineReport;
}

/** More changed containers than this on one engine: its whole list is asked for instead. */
export const maxPatchIds = 32;

/**
 * `answer` brought up to date for the containers `ids` (an event named them): asks the engine
 * for these only (`GET /containers/json` with an id filter) and puts what it says in their
 * place: a container it no longer lists is gone, one it lists is as it says. Everything
 * else stays as `answer` had it. An engine that refuses the filter is asked for its whole
 * list; one that ignores it answers with everything, of which only `ids` are taken.
 */
async function queryChanged(
  endpoint: Endpoint,
  answer: EngineAnswer,
  ids: readonly string[],
  started: number,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  swarm = true,
): Promise<EngineAnswer> {
  const requestStarted = performance.now();
  let engine: EngineKind = answer.report.engine;
  try {
    let list: ContainerList;
    try {
      const asked = await askListOf(endpoint, ids, started, timeoutMs, signal);
      engine = asked.engine;
      list = asked.list;
    } catch (error) {
      if (error instanceof EngineStatusError && error.statusCode === 400) {
        return await queryEndpoint(endpoint, started, timeoutMs, signal, swarm);
      }
      throw error;
    }
    const named = (id: string): boolean => ids.some((asked) => id.startsWith(asked));
    const changed = list.containers.filter((container) => named(container.id));
    const all = new Set([...answer.ids].filter((id) => !named(id)));
    for (const container of changed) {
      all.add(container.id);
    }
    // The engines list the newest first: a container that just started leads.
    const containers = [
      ...changed.filter((container) => container.ports.length > 0),
      ...answer.containers.filter((container) => !named(container.id)),
    ];
    const index = new PortIndex();
    for (const container of containers) {
      index.addContainer(container);
    }
    // Changed containers may be tasks that started or stopped: a manager's services are asked
    // again (three small requests); other engines keep what they said.
    const swarmAnswer =
      swarm && engine === 'docker' && answer.report.swarm?.role === 'manager'
        ? await askSwarm(endpoint, containers, started, timeoutMs, signal)
        : {
            swarm: answer.report.swarm ?? null,
            swarmError: answer.report.swarmError ?? null,
            taskContainers: answer.taskContainers,
          };
    return {
      index: index.seal(),
      containers,
      ids: all,
      taskContainers: swarmAnswer.taskContainers,
      report: {
        ...answer.report,
        engine,
        containers: all.size,
        durationMs: performance.now() - requestStarted,
        swarm: swarmAnswer.swarm,
        swarmError: swarmAnswer.swarmError,
      },
    };
  } catch (error) {
    return failedAnswer(endpoint, engine, requestStarted, error as Error);
  }
}

/** Result of scanEngines: the merged map and what each address gave. */
export interface EngineScan {
  /** Published ports of every engine that answered; `map.engines` equals `engines`. */
  readonly map: ContainerPortMap;
  /** One report per address tried, failures included, in discovery order. */
  readonly engines: readonly EngineReport[];
  /** Each address's answer, by address: a later detection may take some back (`reuse`). */
  readonly answers: ReadonlyMap<string, EngineAnswer>;
}

/** Options of startDetection: DetectOptions, and answers to take instead of asking again. */
export interface StartDetectionOptions extends DetectOptions {
  /**
   * Answers of an earlier detection, by address: an engine found here is not asked, its
   * answer is taken as it was (an event said another engine's containers changed)...
   */
  readonly reuse?: ReadonlyMap<string, EngineAnswer>;
  /**
   * ...or, for an address also found here, brought up to date for the containers it names
   * (events named them; at most maxPatchIds): the engine is asked for those only.
   */
  readonly changed?: ReadonlyMap<string, readonly string[]>;
}

/**
 * Queries every engine address concurrently (or the one named by DOCKER_HOST or
 * CONTAINER_HOST) and merges the answers. Never rejects for an engine's failure: each
 * failure is a report with its error. Requests still pending at the deadline fail with a
 * timeout; engines that answered in time keep their containers.
 */
export function scanEngines(options: DetectOptions = {}): Promise<EngineScan> {
  return scanEnginesNoting(options, () => {});
}

/** scanEngines, calling `onAnswered` with each address as its request ends (answer or failure). */
async function scanEnginesNoting(
  options: StartDetectionOptions,
  onAnswered: (address: string) => void,
): Promise<EngineScan> {
  const started = performance.now();
  const plan = resolveEndpoints(options);
  const timeoutMs = options.timeoutMs ?? defaultDetectTimeoutMs;
  const answers = new Map<string, EngineAnswer>();
  const results = await Promise.all(
    plan.endpoints.map(async (endpoint) => {
      const kept = options.reuse?.get(endpoint.address);
      const ids = options.changed?.get(endpoint.address);
      const result =
        kept === undefined
          ? await queryEndpoint(endpoint, started, timeoutMs, options.signal, options.swarm)
          : ids === undefined
            ? kept
            : await queryChanged(
                endpoint,
                kept,
                ids,
                started,
                timeoutMs,
                options.signal,
                options.swarm,
              );
      answers.set(endpoint.address, result);
      onAnswered(endpoint.address);
      return result;
    }),
  );
  const engines: EngineReport[] = [
    ...plan.problems.map((problem) => ({
      endpoint: problem.endpoint,
      source: problem.source,
      engine: 'unknown' as const,
      ok: false,
      containers: 0,
      durationMs: 0,
      error: problem.error,
    })),
    ...results.map((result) => result.report),
  ];
  // Each engine's ports were indexed while its body was parsed; joining them is O(engines).
  const map = ContainerPortMap.fromIndexes(
    results.flatMap((result) => (result.index === null ? [] : [result.index])),
    engines,
    results.flatMap((result) => result.taskContainers),
  );
  return {map, engines, answers};
}

/**
 * Published ports of the running containers of every engine found (see scanEngines).
 * Resolves when at least one engine answered; engines that failed are listed in
 * `map.engines`. Rejects with InvalidJsonError when no engine gave a valid list but one
 * answered with invalid JSON, else with DaemonNotFoundError listing every address tried.
 */
export async function detectContainers(options: DetectOptions = {}): Promise<ContainerPortMap> {
  const scan = await scanEngines(options);
  if (scan.engines.some((engine) => engine.ok)) {
    return scan.map;
  }
  options.signal?.throwIfAborted();
  const invalid = scan.engines.find((engine) => engine.error instanceof InvalidJsonError);
  if (invalid?.error) {
    throw invalid.error;
  }
  const attempts: EndpointAttempt[] = scan.engines.map((engine) => ({
    endpoint: engine.endpoint,
    source: engine.source,
    error: engine.error ?? new Error('no answer'),
  }));
  throw new DaemonNotFoundError(attempts);
}

/** A detection running in the background, from startDetection. */
export interface DetectionHandle {
  /** performance.now() when the detection started. */
  readonly startedAt: number;
  /** Deadline in milliseconds after startedAt. */
  readonly timeoutMs: number;
  /** Settles with the scan; never rejects. */
  readonly scan: Promise<EngineScan>;
  /**
   * The addresses whose request has ended so far (answered or failed): while the scan runs,
   * the others are the ones it is waiting for.
   */
  readonly answered: ReadonlySet<string>;
  /** Cancels the requests still pending; their engines are reported as aborted. */
  abort(): void;
}

/**
 * Starts a detection now and returns at once, so the caller can do other work (a host scan)
 * meanwhile. Collect it with awaitDetection.
 */
export function startDetection(options: StartDetectionOptions = {}): DetectionHandle {
  const controller = new AbortController();
  const signal = options.signal
    ? AbortSignal.any([options.signal, controller.signal])
    : controller.signal;
  const timeoutMs = options.timeoutMs ?? defaultDetectTimeoutMs;
  const startedAt = performance.now();
  const answered = new Set<string>();
  const scan = scanEnginesNoting({...options, timeoutMs, signal}, (address) =>
    answered.add(address),
  ).catch(
    (error: unknown): EngineScan =>
      failedScan(error instanceof Error ? error : new Error(String(error))),
  );
  return {startedAt, timeoutMs, scan, answered, abort: () => controller.abort()};
}

function failedScan(error: Error): EngineScan {
  const engines: EngineReport[] = [
    {
      endpoint: 'detection',
      source: 'nanodock',
      engine: 'unknown',
      ok: false,
      containers: 0,
      durationMs: 0,
      error,
    },
  ];
  return {map: new ContainerPortMap([], engines), engines, answers: new Map()};
}

/**
 * The map of a started detection. Never rejects: engines that fail or miss the deadline
 * are reported in `map.engines`, and if the whole detection is still running at the
 * deadline (timeoutMs, default 3 s, counted from the start) the result is an empty map
 * whose report says so.
 */
export async function awaitDetection(handle: DetectionHandle): Promise<ContainerPortMap> {
  return (await awaitScan(handle)).map;
}

/** awaitDetection, with the whole scan: the map, the reports and each address's answer. */
export async function awaitScan(handle: DetectionHandle): Promise<EngineScan> {
  const remaining = Math.max(0, handle.startedAt + handle.timeoutMs - performance.now());
  let timer: NodeJS.Timeout | undefined;
  // The requests carry the same deadline; this guard only covers time spent outside them.
  const guard = new Promise<EngineScan>((resolve) => {
    timer = setTimeout(() => {
      handle.abort();
      resolve(
        failedScan(
          new EngineRequestError(
            'detection',
            'timeout',
            `no engine answered within ${handle.timeoutMs} ms`,
          ),
        ),
      );
    }, remaining + 50);
  });
  try {
    return await Promise.race([handle.scan, guard]);
  } finally {
    clearTimeout(timer);
  }
}
