import {ownerCliUser, profileSockets, routeContainer} from './container-route.js';
import {
  defaultActionTimeoutMs,
  type InspectedContainer,
  inspectContainer,
  inspectWithPodman,
  type LogSettings,
  streamApiLogs,
  streamCliLogs,
} from './engine/container-logs.js';
import type {DetectOptions} from './engine/detect.js';
import type {Endpoint} from './engine/endpoint.js';
import {defaultMaxLogLineBytes} from './engine/log-frames.js';
import {type ContainerLogStream, LogStreamQueue} from './engine/log-stream.js';
import {
  isPodmanNoSuchContainer,
  type PodmanUser,
  podmanFailureText,
  runPodman,
} from './engine/podman-cli.js';
import {defaultRestartStopSeconds, requestRestart, restartDeadlineMs} from './engine/restart.js';
import {
  type EndpointAnswer,
  isConnectFailure,
  type SearchResult,
  searchEngines,
} from './engine/search.js';
import {
  defaultStatsTimeoutMs,
  parsePodmanCliStats,
  podmanStatsFormat,
  requestStats,
  type StatsAnswer,
} from './engine/stats.js';
import {isSafeContainerId, refuseUnsafeId} from './engine/stop.js';
import {EngineStatusError} from './errors/engine-status-error.js';
import {NanodockError} from './errors/nanodock-error.js';
import type {RestartReport, StatsReport} from './model/action-reports.js';
import type {ContainerInfo} from './model/container-info.js';
import type {ContainerStats} from './model/container-stats.js';

/** A container as the `...Of` actions need it: a row's container, or `{id, name, endpoint, engine}`. */
export type ContainerRef = Pick<ContainerInfo, 'id' | 'name' | 'endpoint' | 'engine'>;

/** Options of containerLogs and containerLogsOf; `env`, `home`, `uid` pick the engines as in detection. */
export interface ContainerLogsOptions extends DetectOptions {
  /** Keep reading as the container writes, until it stops or close(). Default: true. */
  readonly follow?: boolean;
  /** Lines from the end of the log to start with, or `'all'`. Default: 200. */
  readonly tail?: number | 'all';
  /**
   * Ask the engine for each line's time (LogLine.timestamp). Default: true. Engines store a
   * long line (or one written in several writes) as several messages, each with its own
   * time: through the API's frames those inner times are dropped, but a terminal (TTY)
   * container's raw stream and `podman logs --timestamps` (rootless) give no way to tell
   * them from the container's text, so there they stay in the line (measured: Docker cuts
   * at 16 KiB, Podman at 8 KiB or at each terminal read). Turn timestamps off for such logs.
   */
  readonly timestamps?: boolean;
  /** Longest line kept, in bytes; the rest is dropped (LogLine.truncated). Default: 64 KiB. */
  readonly maxLineBytes?: number;
  /**
   * Deadline of each request before the log's body (the container's inspect, the log's
   * headers), in ms; the body itself has none (close() or `signal` end it). Default: 10000.
   */
  readonly timeoutMs?: number;
  /** Ends the stream, as close() does. */
  readonly signal?: AbortSignal;
}

/** Options of restartContainer and restartContainerOf. */
export interface RestartOptions extends DetectOptions {
  /** Seconds the engine waits for the container to stop before it kills it (`t`). Default: 10. */
  readonly stopSeconds?: number;
  /**
   * Deadline of the restart request, in ms; never less than the stop time plus 15 s for the
   * stop and the start (25 s by default, see restartDeadlineMs).
   */
  readonly timeoutMs?: number;
}

/** Options of containerStats and containerStatsOf. */
export interface StatsOptions extends DetectOptions {
  /** Deadline of the stats request (and any inspect), in ms. Default: 10000. */
  readonly timeoutMs?: number;
}

/** What an action does on the container's own engine: through its API, or the owner's podman. */
interface EngineActions<T> {
  readonly api: (endpoint: Endpoint) => Promise<EndpointAnswer<T>>;
  readonly cli: (user: PodmanUser | undefined, address: string) => Promise<EndpointAnswer<T>>;
}

/**
 * Runs an action on the engine that reported `container`, and only there: its API; the
 * owner's own `podman` for a rootless engine without one (`rootless:USER`, root only, full
 * id only, the owner read from /etc/passwd); the Podman sockets, else root's `podman`, for a
 * container found in root's storage. `search` when the container names no engine.
 */
async function onOwnEngine<T>(
  container: ContainerRef,
  options: DetectOptions,
  verb: string,
  actions: EngineActions<T>,
): Promise<SearchResult<T> | {readonly kind: 'search'}> {
  const route = routeContainer(container, options);
  const settle = (answer: EndpointAnswer<T>, endpoint: string): SearchResult<T> =>
    answer.kind === 'found'
      ? {kind: 'found', value: answer.value, endpoint}
      : answer.kind === 'failed'
        ? {kind: 'failed', endpoint, error: answer.error}
        : answer;
  switch (route.kind) {
    case 'search':
      return route;
    case 'failed':
      return route;
    case 'api':
      return settle(await actions.api(route.endpoint), route.endpoint.address);
    case 'owner-cli':
    case 'storage': {
      if (route.kind === 'storage') {
        for (const endpoint of profileSockets(route.profile, options)) {
          const answer = await actions.api(endpoint);
          if (answer.kind !== 'failed' || !isConnectFailure(answer.error)) {
            return settle(answer, endpoint.address);
          }
        }
      }
      const address = container.endpoint ?? 'podman';
      const user = await ownerCliUser(
        container,
        route.kind === 'owner-cli' ? route.owner : null,
        verb,
      );
      if (user instanceof Error) {
        return {kind: 'failed', endpoint: address, error: user};
      }
      return settle(await actions.cli(user, address), address);
    }
  }
}

function logSettings(options: ContainerLogsOptions, signal: AbortSignal): LogSettings {
  const tail = options.tail ?? 200;
  return {
    follow: options.follow ?? true,
    tail: tail === 'all' ? null : Math.max(0, Math.floor(tail)),
    timestamps: options.timestamps ?? true,
    maxLineBytes: options.maxLineBytes ?? defaultMaxLogLineBytes,
    timeoutMs: options.timeoutMs ?? defaultActionTimeoutMs,
    signal,
  };
}

/** A log stream whose close() (or the caller's signal) also stops the search or start in progress. */
function newLogStream(options: ContainerLogsOptions): {
  queue: LogStreamQueue;
  settings: LogSettings;
} {
  const controller = new AbortController();
  const queue = new LogStreamQueue(() => {
    controller.abort();
    options.signal?.removeEventListener('abort', onAbort);
  });
  const onAbort = (): void => queue.close();
  if (options.signal?.aborted) {
    queue.close();
  } else {
    options.signal?.addEventListener('abort', onAbort, {once: true});
  }
  return {queue, settings: logSettings(options, controller.signal)};
}

/** The error of a container no engine has: an EngineStatusError with status 404. */
function notFoundError(endpoint: string, id: string): EngineStatusError {
  return new EngineStatusError(endpoint, 404, `no such container: ${id}`);
}

/**
 * Whether an error from a log stream (or any nanodock action) means the container does not
 * exist there: an EngineStatusError with status 404 (`podman` saying "no such container" is
 * reported the same way).
 */
export function isContainerNotFound(error: unknown): boolean {
  return error instanceof EngineStatusError && error.statusCode === 404;
}

/** Starts reading a log once its engine and container are known. */
type LogStart = () => void;

function logsThroughApi(
  endpoint: Endpoint,
  inspected: InspectedContainer,
  settings: LogSettings,
  queue: LogStreamQueue,
): LogStart {
  return () => {
    queue.endpoint = endpoint.address;
    queue.tty = inspected.tty;
    streamApiLogs(endpoint, inspected, settings, queue);
  };
}

async function askLogsApi(
  endpoint: Endpoint,
  id: string,
  settings: LogSettings,
  queue: LogStreamQueue,
): Promise<EndpointAnswer<LogStart>> {
  const answer = await inspectContainer(endpoint, id, settings);
  return answer.kind === 'found'
    ? {kind: 'found', value: logsThroughApi(endpoint, answer.value, settings, queue)}
    : answer;
}

function startLogs(result: SearchResult<LogStart>, id: string, queue: LogStreamQueue): void {
  switch (result.kind) {
    case 'found':
      result.value();
      return;
    case 'not-found':
      queue.fail(notFoundError('every engine', id));
      return;
    case 'failed':
      queue.endpoint = result.endpoint;
      queue.fail(result.error);
  }
}

/**
 * A container's log by id or name, from the first engine found (DOCKER_HOST, CONTAINER_HOST,
 * the docker context, the usual sockets) that has it: each is asked `GET /containers/ID/json`
 * in turn (a 404 passes to the next) for the full id and whether it has a terminal, then
 * `GET /containers/ID/logs` streams `tail` lines and, when following, every new line until
 * the container stops (the iteration then ends) or close(). Returns at once; nothing rejects
 * until the iteration: it throws an EngineStatusError with status 404 when no engine has the
 * container (isContainerNotFound), EngineStatusError for other refusals, EngineRequestError
 * for transport failures, a NanodockError for an unsafe id. Reading pauses while the
 * consumer lags (at most maxQueuedLogLines lines wait).
 */
export function containerLogs(id: string, options: ContainerLogsOptions = {}): ContainerLogStream {
  const {queue, settings} = newLogStream(options);
  if (!isSafeContainerId(id)) {
    queue.fail(refuseUnsafeId(id).error as Error);
    return queue;
  }
  void searchEngines({...options, signal: settings.signal}, (endpoint) =>
    askLogsApi(endpoint, id, settings, queue),
  )
    .then((result) => startLogs(result, id, queue))
    .catch((error: unknown) => queue.fail(error as Error));
  return queue;
}

/**
 * A known container's log (a row of the host view, or `{id, name, endpoint, engine}`), from
 * the engine that reported it and only that one: its API as containerLogs reads it; for a
 * rootless Podman without an API (`rootless:USER`), the owner's own `podman logs --follow
 * --tail N --timestamps FULLID`, run as that user (root only; a full 64-hex id only; the
 * user from /etc/passwd), whose stdout and stderr are the container's. A container with no
 * endpoint is searched for as containerLogs does. Errors come out of the iteration as there;
 * a rootless container that is gone is an EngineStatusError with status 404 too.
 */
export function containerLogsOf(
  container: ContainerRef,
  options: ContainerLogsOptions = {},
): ContainerLogStream {
  if (container.endpoint === null) {
    return containerLogs(container.id, options);
  }
  const {queue, settings} = newLogStream(options);
  if (!isSafeContainerId(container.id)) {
    queue.fail(refuseUnsafeId(container.id).error as Error);
    return queue;
  }
  void onOwnEngine<LogStart>(container, {...options, signal: settings.signal}, 'read the logs of', {
    api: (endpoint) => askLogsApi(endpoint, container.id, settings, queue),
    cli: async (user, address) => {
      const answer = await inspectWithPodman(container.id, user, settings);
      if (answer.kind !== 'found') {
        return answer;
      }
      return {
        kind: 'found',
        value: () => {
          queue.endpoint = address;
          queue.tty = answer.value.tty;
          streamCliLogs(answer.value, user, settings, queue);
        },
      };
    },
  })
    .then((result) => {
      if (result.kind === 'not-found') {
        queue.endpoint = container.endpoint;
        queue.fail(notFoundError(container.endpoint ?? 'podman', container.id));
        return;
      }
      // `search` only comes for a container without an endpoint, handled above.
      if (result.kind !== 'search') {
        startLogs(result, container.id, queue);
      }
    })
    .catch((error: unknown) => queue.fail(error as Error));
  return queue;
}

function restartReport(result: SearchResult<'restarted'>): RestartReport {
  switch (result.kind) {
    case 'found':
      return {outcome: 'restarted', endpoint: result.endpoint, error: null};
    case 'not-found':
      return {outcome: 'not-found', endpoint: null, error: null};
    case 'failed':
      return {outcome: 'failed', endpoint: result.endpoint, error: result.error};
  }
}

function stopSecondsOf(options: RestartOptions): number {
  const seconds = options.stopSeconds ?? defaultRestartStopSeconds;
  return Number.isFinite(seconds) && seconds >= 0 ? Math.floor(seconds) : defaultRestartStopSeconds;
}

/**
 * Restarts a container by id or name (`POST /containers/ID/restart?t=stopSeconds`: the
 * engine stops it, killing it after `stopSeconds`, then starts it; a stopped container is
 * started), asking each engine found in turn: a 404 passes to the next. `not-found` only
 * when every engine said 404; `failed` with the reason in `error`. An unsafe id is refused
 * as `not-found` before any request. Never rejects.
 */
export async function restartContainer(
  id: string,
  options: RestartOptions = {},
): Promise<RestartReport> {
  if (!isSafeContainerId(id)) {
    return refuseUnsafeId(id) as RestartReport;
  }
  const stopSeconds = stopSecondsOf(options);
  return restartReport(
    await searchEngines(options, (endpoint) =>
      requestRestart(endpoint, id, {...options, stopSeconds}),
    ),
  );
}

/**
 * Restarts a known container through the engine that reported it, and only that one: its
 * API; for a rootless Podman without an API (`rootless:USER`), the owner's own `podman
 * restart --time N FULLID`, as that user (root only, as stopContainerOf). Never rejects.
 */
export async function restartContainerOf(
  container: ContainerRef,
  options: RestartOptions = {},
): Promise<RestartReport> {
  if (!isSafeContainerId(container.id)) {
    return refuseUnsafeId(container.id) as RestartReport;
  }
  const stopSeconds = stopSecondsOf(options);
  const result = await onOwnEngine<'restarted'>(container, options, 'restart', {
    api: (endpoint) => requestRestart(endpoint, container.id, {...options, stopSeconds}),
    cli: async (user) => {
      try {
        const result = await runPodman(['restart', '--time', String(stopSeconds), container.id], {
          user,
          signal: options.signal,
          timeoutMs: restartDeadlineMs(stopSeconds, options.timeoutMs),
        });
        if (result.code === 0) {
          return {kind: 'found', value: 'restarted'};
        }
        if (isPodmanNoSuchContainer(result.stderr)) {
          return {kind: 'not-found'};
        }
        return {
          kind: 'failed',
          error: new NanodockError(podmanFailureText('podman restart', result)),
        };
      } catch (error) {
        return {kind: 'failed', error: error as Error};
      }
    },
  });
  if (result.kind === 'search') {
    return restartContainer(container.id, options);
  }
  return restartReport(result);
}

/** A sample, or null for a container that is not running. */
type StatsValue = ContainerStats | null;

function statsAnswer(answer: StatsAnswer): EndpointAnswer<StatsValue> {
  switch (answer.kind) {
    case 'ok':
      return {kind: 'found', value: answer.stats};
    case 'not-running':
      return {kind: 'found', value: null};
    default:
      return answer;
  }
}

function statsReport(result: SearchResult<StatsValue>): StatsReport {
  switch (result.kind) {
    case 'found':
      return result.value === null
        ? {outcome: 'not-running', stats: null, endpoint: result.endpoint, error: null}
        : {outcome: 'ok', stats: result.value, endpoint: result.endpoint, error: null};
    case 'not-found':
      return {outcome: 'not-found', stats: null, endpoint: null, error: null};
    case 'failed':
      return {outcome: 'failed', stats: null, endpoint: result.endpoint, error: result.error};
  }
}

function refusedStats(id: string): StatsReport {
  return {outcome: 'not-found', stats: null, endpoint: null, error: refuseUnsafeId(id).error};
}

/**
 * One resource sample of a container by id or name (`GET /containers/ID/stats?stream=false`;
 * Docker takes about a second, sampling twice for the CPU share), asking each engine found in
 * turn: a 404 passes to the next. `not-running` when the engine has the container stopped.
 * See ContainerStats for what each engine fills. Never rejects: failures are `failed` with
 * the reason in `error` (InvalidJsonError for a body that is not the stats JSON).
 */
export async function containerStats(id: string, options: StatsOptions = {}): Promise<StatsReport> {
  if (!isSafeContainerId(id)) {
    return refusedStats(id);
  }
  return statsReport(
    await searchEngines(options, async (endpoint) =>
      statsAnswer(await requestStats(endpoint, id, options)),
    ),
  );
}

/**
 * One resource sample of a known container from the engine that reported it: its API; for a
 * rootless Podman without an API (`rootless:USER`), the owner's own `podman stats
 * --no-stream --format '{{json .ContainerStats}}' FULLID`, as that user (root only). Podman
 * refuses that on cgroup v1 ("stats is not supported in rootless mode without cgroups v2"):
 * the report is then `failed` with podman's message. Never rejects.
 */
export async function containerStatsOf(
  container: ContainerRef,
  options: StatsOptions = {},
): Promise<StatsReport> {
  if (!isSafeContainerId(container.id)) {
    return refusedStats(container.id);
  }
  const timeoutMs = options.timeoutMs ?? defaultStatsTimeoutMs;
  const result = await onOwnEngine<StatsValue>(container, options, 'read the stats of', {
    api: async (endpoint) => statsAnswer(await requestStats(endpoint, container.id, options)),
    cli: async (user) => {
      const inspected = await inspectWithPodman(container.id, user, {...options, timeoutMs});
      if (inspected.kind !== 'found') {
        return inspected;
      }
      if (!inspected.value.running) {
        return {kind: 'found', value: null};
      }
      try {
        const result = await runPodman(
          ['stats', '--no-stream', '--format', podmanStatsFormat, inspected.value.id],
          {user, signal: options.signal, timeoutMs},
        );
        if (result.code !== 0) {
          return isPodmanNoSuchContainer(result.stderr)
            ? {kind: 'not-found'}
            : {
                kind: 'failed',
                error: new NanodockError(podmanFailureText('podman stats', result)),
              };
        }
        return {kind: 'found', value: parsePodmanCliStats(result.stdout, inspected.value.id)};
      } catch (error) {
        return {kind: 'failed', error: error as Error};
      }
    },
  });
  if (result.kind === 'search') {
    return containerStats(container.id, options);
  }
  return statsReport(result);
}
