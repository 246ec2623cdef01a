import type {ClientRequest, IncomingMessage} from 'node:http';
import {EngineRequestError} from '../errors/engine-request-error.js';
import {NanodockError} from '../errors/nanodock-error.js';
import {type DetectOptions, defaultDetectTimeoutMs} from './detect.js';
import {type Endpoint, resolveEndpoints} from './endpoint.js';
import {createEngineRequest, describeSystemError, readStreamRefusal} from './http.js';
import {asJsonObject} from './json-object.js';

/**
 * The event types watchEngineEvents can deliver. `service` and `node` come from a Docker
 * Swarm manager only (scope `swarm`): Docker 20.10 sends `service create`, `service update`
 * (attributes `name`, and `replicas.old`/`replicas.new` on a scale), `service remove` and
 * `node update`/`node remove`; no event when a task changes state (the task's container sends
 * its own container events on its node). A worker's stream and Podman accept the filter and
 * send none.
 */
export type EngineEventType = 'container' | 'service' | 'node';

/** One event of an engine (a container's, unless `types` asked for more), from watchEngineEvents or parseEngineEvent. */
export interface EngineEvent {
  /** The engine's address, e.g. `unix:///var/run/docker.sock` (as ContainerInfo.endpoint). */
  readonly endpoint: string;
  /** The event type: `container`, or one of the other `types` asked for. */
  readonly type: string;
  /**
   * What happened, as the engine says it: `create`, `start`, `die`, `stop`, `kill`, `pause`,
   * `unpause`, `restart` on both engines; `destroy` on Docker where Podman says `remove`;
   * Podman adds `init` and `cleanup`; Docker also sends `exec_start: CMD`,
   * `health_status: healthy` and the like.
   */
  readonly action: string;
  /** The container's full id (the service's or node's, for those types). */
  readonly id: string;
  /** The container's (service's, node's) name without a leading slash, or null when the event has none. */
  readonly name: string | null;
  /** When it happened, in milliseconds since the Unix epoch; null when the event has no time. */
  readonly time: number | null;
}

/** Options of watchEngineEvents; `env`, `home`, `uid` and `platform` pick the engines as in detection. */
export interface EventStreamOptions extends DetectOptions {
  /**
   * Called for each container event (start, die, stop, kill, destroy, create, pause, unpause,
   * restart...). Events that happen while a stream is down are not replayed: refresh when
   * onStatus reports a connection.
   */
  readonly onEvent: (event: EngineEvent) => void;
  /**
   * Called when a stream connects (true) or drops or fails (false, with the error). Called
   * once per change, not once per retry: an absent engine reports false once, then nothing
   * until it answers. Endpoints that cannot even be tried (a malformed DOCKER_HOST) report
   * false once. Optional.
   */
  readonly onStatus?: (endpoint: string, connected: boolean, error: Error | null) => void;
  /** First reconnect delay after a drop or failure, in milliseconds. Default: 500. */
  readonly minRetryMs?: number;
  /**
   * Longest reconnect delay: the delay doubles from minRetryMs up to this, and starts again
   * from minRetryMs after a stream that stayed up at least this long. Default: 10_000.
   */
  readonly maxRetryMs?: number;
  /**
   * Deadline for an engine to answer the subscription with its headers, in milliseconds;
   * the stream itself has no deadline. Default: 3000.
   */
  readonly timeoutMs?: number;
  /** Stops every stream and retry, as close() does; no callback is called after it fires. */
  readonly signal?: AbortSignal;
  /**
   * Event types to deliver: add `service` and `node` for a live view of Swarm services (a
   * manager's service list changes on them; see EngineEventType). Default: `['container']`.
   */
  readonly types?: readonly EngineEventType[];
}

/** A running watchEngineEvents. */
export interface EngineEventWatcher {
  /** Closes every stream and cancels every retry; no callback is called afterwards. Idempotent. */
  close(): void;
}

/** Longest event line accepted: 1 MiB. A longer one drops the stream, which then reconnects. */
export const maxEventLineBytes = 1024 * 1024;

/** Default first reconnect delay, in milliseconds. */
const defaultMinRetryMs = 500;
/** Default longest reconnect delay, in milliseconds. */
const defaultMaxRetryMs = 10_000;

const containerOnly: readonly EngineEventType[] = ['container'];

// Docker 20.10 and Podman 4's compat API both honour this filter; parseEngineEvent still
// checks the type in case an engine or proxy ignores it.
function eventsPathOf(types: readonly EngineEventType[]): string {
  return `/events?filters=${encodeURIComponent(JSON.stringify({type: types}))}`;
}

function asText(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function readTime(record: Record<string, unknown>): number | null {
  // timeNano is past 2^53 and loses its last digits in JSON.parse; milliseconds survive.
  const nanos = record.timeNano;
  if (typeof nanos === 'number' && Number.isFinite(nanos) && nanos > 0) {
    return Math.floor(nanos / 1e6);
  }
  const seconds = record.time;
  if (typeof seconds === 'number' && Number.isFinite(seconds) && seconds > 0) {
    return seconds * 1000;
  }
  return null;
}

/**
 * The EngineEvent of one parsed `/events` object, or null when it is not a container event
 * or lacks an id or action. Reads Docker's fields (`Type`, `Action`, `Actor.ID`,
 * `Actor.Attributes.name`, `timeNano`/`time`) and Podman's compat fields (the same), and
 * falls back to the older lowercase `status` and `id` (Docker before API 1.22 sent only
 * those, and only for containers). Never throws.
 */
export function parseEngineEvent(
  value: unknown,
  endpoint: string,
  types: readonly EngineEventType[] = containerOnly,
): EngineEvent | null {
  const record = asJsonObject(value);
  if (record === undefined) {
    return null;
  }
  const actor = asJsonObject(record.Actor);
  const id = asText(actor?.ID) ?? asText(record.id);
  const action = asText(record.Action) ?? asText(record.status);
  const legacy = asText(record.status) !== undefined && asText(record.id) !== undefined;
  const type = asText(record.Type) ?? asText(record.type) ?? (legacy ? 'container' : undefined);
  if (
    type === undefined ||
    !types.includes(type as EngineEventType) ||
    id === undefined ||
    action === undefined
  ) {
    return null;
  }
  const name = asText(asJsonObject(actor?.Attributes)?.name) ?? null;
  return {endpoint, type, action, id, name, time: readTime(record)};
}

/**
 * Splits a byte stream into lines. Works on bytes, not text: a newline byte never occurs
 * inside a UTF-8 sequence, so a character split across chunks is joined before decoding.
 * The start of a line is copied into one buffer, never kept as slices of the chunks: an
 * engine that sends a line one byte per chunk must cost the line's bytes, not a Buffer
 * (and the whole read it came in) per byte.
 */
class LineSplitter {
  #pending: Buffer | undefined;
  #pendingBytes = 0;
  readonly #limit: number;

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** The lines completed by `chunk`, and whether a line went over the limit (then stop). */
  push(chunk: Buffer): {lines: string[]; overflow: boolean} {
    const lines: string[] = [];
    let start = 0;
    for (let end = chunk.indexOf(0x0a); end !== -1; end = chunk.indexOf(0x0a, start)) {
      if (this.#pendingBytes + end - start > this.#limit) {
        return {lines, overflow: true};
      }
      if (this.#pendingBytes === 0) {
        lines.push(chunk.toString('utf8', start, end));
      } else {
        const pending = this.#append(chunk, start, end);
        lines.push(pending.toString('utf8', 0, this.#pendingBytes));
        this.#pendingBytes = 0;
        if (pending.length > pendingKeepBytes) {
          this.#pending = undefined;
        }
      }
      start = end + 1;
    }
    if (start < chunk.length) {
      if (this.#pendingBytes + chunk.length - start > this.#limit) {
        return {lines, overflow: true};
      }
      this.#append(chunk, start, chunk.length);
    }
    return {lines, overflow: false};
  }

  /** Copies bytes `start` to `end` of `chunk` after the pending ones; returns the buffer. */
  #append(chunk: Buffer, start: number, end: number): Buffer {
    const filled = this.#pendingBytes;
    const needed = filled + end - start;
    let pending = this.#pending;
    if (pending === undefined || pending.length < needed) {
      const grown = Buffer.allocUnsafe(
        Math.min(this.#limit, Math.max(needed, 2 * (pending?.length ?? 0), pendingKeepBytes)),
      );
      pending?.copy(grown, 0, 0, filled);
      pending = grown;
      this.#pending = grown;
    }
    chunk.copy(pending, filled, start, end);
    this.#pendingBytes = needed;
    return pending;
  }
}

/** A pending-line buffer up to this size is kept for the next line; a larger one is let go. */
const pendingKeepBytes = 16 * 1024;

function parseLine(
  line: string,
  endpoint: string,
  types: readonly EngineEventType[],
): EngineEvent | null {
  const text = line.trim();
  if (text === '') {
    return null;
  }
  try {
    return parseEngineEvent(JSON.parse(text), endpoint, types);
  } catch {
    // One bad line costs one event, never the stream.
    return null;
  }
}

interface SubscriptionSettings {
  readonly onEvent: (event: EngineEvent) => void;
  readonly onStatus: ((endpoint: string, connected: boolean, error: Error | null) => void) | null;
  readonly minRetryMs: number;
  readonly maxRetryMs: number;
  readonly timeoutMs: number;
  readonly types: readonly EngineEventType[];
}

/** One engine's event stream, reconnected with backoff until closed. */
class EventSubscription {
  readonly #endpoint: Endpoint;
  readonly #settings: SubscriptionSettings;
  #request: ClientRequest | null = null;
  #deadline: NodeJS.Timeout | undefined;
  #retry: NodeJS.Timeout | undefined;
  #delayMs: number;
  /** A failure was reported and no connection since: retries stay quiet. */
  #isDown = false;
  #isClosed = false;

  constructor(endpoint: Endpoint, settings: SubscriptionSettings) {
    this.#endpoint = endpoint;
    this.#settings = settings;
    this.#delayMs = settings.minRetryMs;
  }

  connect(): void {
    this.#retry = undefined;
    if (this.#isClosed) {
      return;
    }
    const endpoint = this.#endpoint;
    let request: ClientRequest;
    try {
      request = createEngineRequest(endpoint, 'GET', eventsPathOf(this.#settings.types));
    } catch (error) {
      // node:http refuses some options synchronously; treat it like a failed connect.
      this.#fail(null, error instanceof Error ? error : new Error(String(error)), null);
      return;
    }
    this.#request = request;
    let connectedAt: number | null = null;
    const fail = (error: Error): void => this.#fail(request, error, connectedAt);
    this.#deadline = setTimeout(() => {
      fail(
        new EngineRequestError(
          endpoint.address,
          'timeout',
          `no answer to the event subscription within ${this.#settings.timeoutMs} ms`,
        ),
      );
    }, this.#settings.timeoutMs);
    if (endpoint.kind === 'tcp') {
      // A stream can stay idle for hours; keepalive notices a remote engine that vanished
      // without closing the connection.
      request.on('socket', (socket) => socket.setKeepAlive(true, 30_000));
    }
    request.on('error', (error: NodeJS.ErrnoException) => {
      fail(error instanceof NanodockError ? error : describeSystemError(endpoint, error));
    });
    request.on('response', (response: IncomingMessage) => {
      if (response.statusCode !== 200) {
        readStreamRefusal(response, endpoint.address, fail);
        return;
      }
      clearTimeout(this.#deadline);
      connectedAt = performance.now();
      this.#isDown = false;
      this.#settings.onStatus?.(endpoint.address, true, null);
      const splitter = new LineSplitter(maxEventLineBytes);
      response.on('data', (chunk: Buffer) => {
        const {lines, overflow} = splitter.push(chunk);
        for (const line of lines) {
          // A callback may have closed the watcher: deliver nothing more.
          if (this.#request !== request) {
            return;
          }
          const event = parseLine(line, endpoint.address, this.#settings.types);
          if (event !== null) {
            this.#settings.onEvent(event);
          }
        }
        if (overflow) {
          fail(
            new EngineRequestError(
              endpoint.address,
              'protocol',
              `an event line is longer than ${maxEventLineBytes} bytes; stream dropped`,
            ),
          );
        }
      });
      const ended = (): void => {
        fail(
          new EngineRequestError(
            endpoint.address,
            'truncated',
            'the engine closed the event stream',
          ),
        );
      };
      // An engine that stops ends the body; a cut connection errors or closes without 'end'.
      response.on('end', ended);
      response.on('error', ended);
      response.on('close', ended);
    });
    request.end();
  }

  close(): void {
    this.#isClosed = true;
    clearTimeout(this.#retry);
    clearTimeout(this.#deadline);
    const request = this.#request;
    this.#request = null;
    request?.destroy();
  }

  #fail(request: ClientRequest | null, error: Error, connectedAt: number | null): void {
    // Late events of a request already dropped or closed change nothing.
    if (this.#isClosed || this.#request !== request) {
      return;
    }
    this.#request = null;
    clearTimeout(this.#deadline);
    request?.destroy();
    const {minRetryMs, maxRetryMs, onStatus} = this.#settings;
    // A stream that lived a while was healthy: retry soon. One that drops at once (an engine
    // that accepts and closes) keeps backing off, so a flapping engine cannot spin.
    if (connectedAt !== null && performance.now() - connectedAt >= maxRetryMs) {
      this.#delayMs = minRetryMs;
    }
    if (!this.#isDown) {
      this.#isDown = true;
      onStatus?.(this.#endpoint.address, false, error);
      if (this.#isClosed) {
        return;
      }
    }
    this.#retry = setTimeout(() => this.connect(), this.#delayMs);
    this.#delayMs = Math.min(this.#delayMs * 2, maxRetryMs);
  }
}

/**
 * Subscribes to the container events of every engine address (or the one named by
 * DOCKER_HOST or CONTAINER_HOST) concurrently with `GET /events`, and calls `onEvent` for
 * each. A stream that ends or fails (engine restarted, socket absent) is reconnected with
 * exponential backoff until close() or the signal. Never throws and never rejects: failures
 * go to `onStatus`. While open, the streams and retry timers keep the process alive (as
 * fs.watch does); after close() or abort nothing is left behind. `onEvent` and `onStatus`
 * must not throw.
 */
export function watchEngineEvents(options: EventStreamOptions): EngineEventWatcher {
  let isClosed = false;
  const subscriptions: EventSubscription[] = [];
  const close = (): void => {
    if (isClosed) {
      return;
    }
    isClosed = true;
    options.signal?.removeEventListener('abort', close);
    for (const subscription of subscriptions) {
      subscription.close();
    }
  };
  if (options.signal?.aborted) {
    return {close};
  }
  options.signal?.addEventListener('abort', close, {once: true});

  const minRetryMs = Math.max(1, options.minRetryMs ?? defaultMinRetryMs);
  const settings: SubscriptionSettings = {
    onEvent: options.onEvent,
    onStatus: options.onStatus ?? null,
    minRetryMs,
    maxRetryMs: Math.max(minRetryMs, options.maxRetryMs ?? defaultMaxRetryMs),
    timeoutMs: options.timeoutMs ?? defaultDetectTimeoutMs,
    types: options.types ?? containerOnly,
  };
  const plan = resolveEndpoints(options);
  if (plan.problems.length > 0 && settings.onStatus !== null) {
    const report = settings.onStatus;
    // Deferred so that no callback runs before watchEngineEvents has returned its handle.
    queueMicrotask(() => {
      for (const problem of plan.problems) {
        if (isClosed) {
          return;
        }
        report(problem.endpoint, false, problem.error);
      }
    });
  }
  for (const endpoint of plan.endpoints) {
    const subscription = new EventSubscription(endpoint, settings);
    subscriptions.push(subscription);
    subscription.connect();
  }
  return {close};
}
