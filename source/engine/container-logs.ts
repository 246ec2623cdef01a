import type {ClientRequest, IncomingMessage} from 'node:http';
import {EngineRequestError} from '../errors/engine-request-error.js';
import {InvalidJsonError} from '../errors/invalid-json-error.js';
import {LogFrameError} from '../errors/log-frame-error.js';
import {NanodockError} from '../errors/nanodock-error.js';
import type {Endpoint} from './endpoint.js';
import {
  createEngineRequest,
  describeSystemError,
  readStreamRefusal,
  requestEngine,
  statusError,
} from './http.js';
import {asJsonObject, parseJsonObject} from './json-object.js';
import {
  LogFrameDecoder,
  type LogLine,
  LogLineSplitter,
  type LogStreamName,
  type SplitLine,
} from './log-frames.js';
import type {LogStreamQueue} from './log-stream.js';
import {
  describePodmanSpawnError,
  isPodmanNoSuchContainer,
  type PodmanUser,
  podmanFailureText,
  runPodman,
  spawnPodman,
} from './podman-cli.js';
import type {EndpointAnswer} from './search.js';

/** Default deadline of the requests before a log's body (inspect, the log's headers), in ms. */
export const defaultActionTimeoutMs = 10_000;

/** What reading a log needs to know, with every default applied. */
export interface LogSettings {
  readonly follow: boolean;
  /** Lines from the end to start with; null for the whole log. */
  readonly tail: number | null;
  readonly timestamps: boolean;
  readonly maxLineBytes: number;
  /** Deadline of the requests before the body, in ms (the body itself has none). */
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
}

/** What `GET /containers/ID/json` says that the actions need. */
export interface InspectedContainer {
  /** Its full id (the actions then use it, never the name or prefix they were given). */
  readonly id: string;
  /** Config.Tty: whether its output is one raw terminal stream. */
  readonly tty: boolean;
  /** State.Running. */
  readonly running: boolean;
}

/** The facts the actions need from an inspect body; throws InvalidJsonError when it has none. */
export function parseInspectBody(body: string, endpoint?: string): InspectedContainer {
  const record = parseJsonObject(body, 'the container inspect body', endpoint);
  const id = record.Id;
  if (typeof id !== 'string' || id === '') {
    throw new InvalidJsonError('the container inspect body has no Id', {endpoint});
  }
  return {
    id,
    tty: asJsonObject(record.Config)?.Tty === true,
    running: asJsonObject(record.State)?.Running === true,
  };
}

/**
 * `GET /containers/ID/json` on one engine: the container's facts, `not-found` on a 404,
 * else `failed` (EngineRequestError, EngineStatusError, InvalidJsonError). Never throws.
 */
export async function inspectContainer(
  endpoint: Endpoint,
  id: string,
  options: {readonly timeoutMs: number; readonly signal?: AbortSignal},
): Promise<EndpointAnswer<InspectedContainer>> {
  try {
    const response = await requestEngine(endpoint, `/containers/${encodeURIComponent(id)}/json`, {
      timeoutMs: options.timeoutMs,
      signal: options.signal,
    });
    if (response.statusCode === 404) {
      return {kind: 'not-found'};
    }
    if (response.statusCode !== 200) {
      return {
        kind: 'failed',
        error: statusError(endpoint.address, response),
      };
    }
    return {kind: 'found', value: parseInspectBody(response.body, endpoint.address)};
  } catch (error) {
    return {kind: 'failed', error: error as Error};
  }
}

/** A refusal body is only read for its message. */
/** An error the engine sends in the stream itself (Docker's stream 3) is kept up to this. */
const maxSystemErrorBytes = 4096;

/**
 * Turns a log's bytes into LogLines on a queue: framed (8-byte headers, stdout and stderr
 * apart) or raw (one terminal stream, or one of podman's own stdout and stderr).
 */
class LogLineSink {
  readonly #queue: LogStreamQueue;
  readonly #settings: LogSettings;
  readonly #splitters = new Map<LogStreamName, LogLineSplitter>();
  readonly #decoder: LogFrameDecoder | null;
  #systemError: Buffer[] = [];
  #systemErrorBytes = 0;

  constructor(queue: LogStreamQueue, settings: LogSettings, framed: boolean) {
    this.#queue = queue;
    this.#settings = settings;
    this.#decoder = framed ? new LogFrameDecoder() : null;
  }

  /** Bytes of a framed stream. Throws LogFrameError, once the lines before it are queued. */
  pushFramed(chunk: Buffer): void {
    const decoder = this.#decoder as LogFrameDecoder;
    for (const piece of decoder.push(chunk)) {
      if (piece.stream === 3) {
        if (this.#systemErrorBytes < maxSystemErrorBytes) {
          this.#systemError.push(Buffer.from(piece.data));
          this.#systemErrorBytes += piece.data.length;
        }
        continue;
      }
      // Stream 0 (stdin) is written as stdout, as Docker's own client does.
      this.pushRaw(piece.stream === 2 ? 'stderr' : 'stdout', piece.data, piece.start);
    }
    if (decoder.error !== undefined) {
      throw decoder.error;
    }
  }

  /** Bytes of one stream (`frameStart`: they begin a frame). */
  pushRaw(stream: LogStreamName, data: Buffer, frameStart = false): void {
    let splitter = this.#splitters.get(stream);
    if (splitter === undefined) {
      splitter = new LogLineSplitter({
        maxLineBytes: this.#settings.maxLineBytes,
        timestamps: this.#settings.timestamps,
        stripCarriageReturn: stream === 'tty',
      });
      this.#splitters.set(stream, splitter);
    }
    if (frameStart) {
      splitter.frameStart();
    }
    for (const line of splitter.push(data)) {
      this.#queue.push(toLogLine(stream, line));
    }
  }

  /**
   * The stream ended: the last unfinished lines are queued. Throws LogFrameError when it ended
   * inside a frame; returns the error the engine sent in the stream, if any.
   */
  end(): string | null {
    this.#decoder?.end();
    for (const [stream, splitter] of this.#splitters) {
      const line = splitter.end();
      if (line !== null) {
        this.#queue.push(toLogLine(stream, line));
      }
    }
    if (this.#systemErrorBytes === 0) {
      return null;
    }
    return Buffer.concat(this.#systemError)
      .subarray(0, maxSystemErrorBytes)
      .toString('utf8')
      .trim();
  }
}

function toLogLine(stream: LogStreamName, line: SplitLine): LogLine {
  return {stream, timestamp: line.timestamp, text: line.text, truncated: line.truncated};
}

/** The query of a logs request. */
function logsPath(id: string, settings: LogSettings): string {
  const query = new URLSearchParams({
    follow: settings.follow ? '1' : '0',
    stdout: '1',
    stderr: '1',
    tail: settings.tail === null ? 'all' : String(settings.tail),
    timestamps: settings.timestamps ? '1' : '0',
  });
  return `/containers/${encodeURIComponent(id)}/logs?${query.toString()}`;
}

/**
 * Reads a container's log from an engine's API into `queue`: `GET /containers/ID/logs`, framed
 * unless `tty` (Docker 20.10 sends no content type that says which, so Config.Tty decides).
 * The headers must come within the deadline; the body has none. The queue ends when the
 * engine ends the body (the container stopped, or the log was not followed); it fails with
 * EngineStatusError (404: the container is gone), EngineRequestError (transport; `protocol`
 * with a LogFrameError as cause for a broken framing) or a NanodockError with the message
 * an engine sent in the stream.
 */
export function streamApiLogs(
  endpoint: Endpoint,
  container: Pick<InspectedContainer, 'id' | 'tty'>,
  settings: LogSettings,
  queue: LogStreamQueue,
): void {
  if (queue.isClosed) {
    return;
  }
  let request: ClientRequest;
  try {
    request = createEngineRequest(endpoint, 'GET', logsPath(container.id, settings));
  } catch (error) {
    queue.fail(error as Error);
    return;
  }
  let isDone = false;
  const fail = (error: Error): void => {
    if (!isDone) {
      isDone = true;
      clearTimeout(deadline);
      request.destroy();
      queue.fail(error);
    }
  };
  const deadline = setTimeout(() => {
    fail(
      new EngineRequestError(
        endpoint.address,
        'timeout',
        `no answer to the logs request within ${settings.timeoutMs} ms`,
      ),
    );
  }, settings.timeoutMs);
  queue.attach({
    pause: () => undefined,
    resume: () => undefined,
    destroy: () => {
      isDone = true;
      clearTimeout(deadline);
      request.destroy();
    },
  });
  if (endpoint.kind === 'tcp') {
    // A followed log can stay quiet for hours: keepalive notices an engine that vanished.
    request.on('socket', (socket) => socket.setKeepAlive(true, 30_000));
  }
  request.on('error', (error: NodeJS.ErrnoException) => {
    fail(error instanceof NanodockError ? error : describeSystemError(endpoint, error));
  });
  request.on('response', (response: IncomingMessage) => {
    clearTimeout(deadline);
    if (response.statusCode !== 200) {
      readStreamRefusal(response, endpoint.address, fail);
      return;
    }
    const sink = new LogLineSink(queue, settings, !container.tty);
    queue.attach({
      pause: () => response.pause(),
      resume: () => response.resume(),
      destroy: () => {
        isDone = true;
        request.destroy();
      },
    });
    response.on('data', (chunk: Buffer) => {
      if (isDone) {
        return;
      }
      try {
        if (container.tty) {
          sink.pushRaw('tty', chunk);
        } else {
          sink.pushFramed(chunk);
        }
      } catch (error) {
        fail(protocolError(endpoint.address, error as Error));
      }
    });
    response.on('end', () => {
      if (isDone) {
        return;
      }
      let systemError: string | null;
      try {
        systemError = sink.end();
      } catch (error) {
        fail(protocolError(endpoint.address, error as Error));
        return;
      }
      if (systemError !== null) {
        fail(new NanodockError(`${endpoint.address}: the engine reported: ${systemError}`));
        return;
      }
      isDone = true;
      queue.end();
    });
    const cut = (): void => {
      fail(new EngineRequestError(endpoint.address, 'truncated', 'the log stream was cut off'));
    };
    response.on('error', cut);
    response.on('close', cut);
  });
  request.end();
}

function protocolError(address: string, error: Error): Error {
  return error instanceof LogFrameError
    ? new EngineRequestError(address, 'protocol', error.message, {cause: error})
    : error;
}

/**
 * The owner's own `podman container inspect` of a container (a rootless engine has no API):
 * its facts, `not-found`, or `failed`. Never throws.
 */
export async function inspectWithPodman(
  id: string,
  user: PodmanUser | undefined,
  options: {readonly timeoutMs: number; readonly signal?: AbortSignal},
): Promise<EndpointAnswer<InspectedContainer>> {
  try {
    const result = await runPodman(
      [
        'container',
        'inspect',
        '--format',
        '{{json .ID}} {{json .Config.Tty}} {{json .State.Running}}',
        id,
      ],
      {user, timeoutMs: options.timeoutMs, signal: options.signal},
    );
    if (result.code !== 0) {
      return isPodmanNoSuchContainer(result.stderr)
        ? {kind: 'not-found'}
        : {
            kind: 'failed',
            error: new NanodockError(podmanFailureText('podman container inspect', result)),
          };
    }
    const [fullId, tty, running] = result.stdout
      .trim()
      .split(' ')
      .map((word) => {
        try {
          return JSON.parse(word) as unknown;
        } catch {
          return undefined;
        }
      });
    if (typeof fullId !== 'string' || fullId === '') {
      return {
        kind: 'failed',
        error: new InvalidJsonError(`podman container inspect gave no id: ${result.stdout.trim()}`),
      };
    }
    return {
      kind: 'found',
      value: {
        id: fullId,
        tty: tty === true,
        running: running === true,
      },
    };
  } catch (error) {
    return {kind: 'failed', error: error as Error};
  }
}

/** How long a `podman logs` told to end (SIGTERM) may take before it is killed. */
const podmanLogsKillMs = 3000;

/**
 * Reads a container's log through the owner's own `podman logs` into `queue` (a rootless
 * engine has no API): the container's stdout comes on podman's stdout and its stderr on
 * podman's stderr (a terminal's one stream on stdout). Podman runs as `user` (see
 * spawnPodman); pausing the queue pauses both pipes, so podman blocks rather than memory
 * growing. The queue ends when podman exits 0 (the container stopped); a non-zero exit fails
 * it with a NanodockError naming the last stderr line (podman's own errors come there too).
 */
export function streamCliLogs(
  container: Pick<InspectedContainer, 'id' | 'tty'>,
  user: PodmanUser | undefined,
  settings: LogSettings,
  queue: LogStreamQueue,
): void {
  if (queue.isClosed) {
    return;
  }
  const args = ['logs'];
  if (settings.follow) {
    args.push('--follow');
  }
  args.push('--tail', settings.tail === null ? '-1' : String(settings.tail));
  if (settings.timestamps) {
    args.push('--timestamps');
  }
  args.push(container.id);
  const child = spawnPodman(args, {user});
  const label = user === undefined ? 'podman logs' : `podman logs of ${user.name}`;
  let isDone = false;
  let lastStderr = '';
  const stop = (): void => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGKILL');
        }
      }, podmanLogsKillMs);
      timer.unref();
      child.once('exit', () => clearTimeout(timer));
    }
  };
  queue.attach({
    pause: () => {
      child.stdout.pause();
      child.stderr.pause();
    },
    resume: () => {
      child.stdout.resume();
      child.stderr.resume();
    },
    destroy: () => {
      isDone = true;
      // A paused pipe never ends on its own: destroyed, its fd goes now, whatever the child does.
      child.stdout.destroy();
      child.stderr.destroy();
      stop();
    },
  });
  const sink = new LogLineSink(queue, settings, false);
  child.stdout.on('data', (chunk: Buffer) => {
    if (!isDone) {
      sink.pushRaw(container.tty ? 'tty' : 'stdout', chunk);
    }
  });
  child.stderr.on('data', (chunk: Buffer) => {
    if (!isDone) {
      const text = chunk.toString('utf8').trimEnd();
      const line = text.slice(text.lastIndexOf('\n') + 1);
      if (line !== '') {
        lastStderr = line.slice(0, 500);
      }
      sink.pushRaw('stderr', chunk);
    }
  });
  child.on('error', (error: NodeJS.ErrnoException) => {
    if (!isDone) {
      isDone = true;
      stop();
      queue.fail(describePodmanSpawnError(error, user));
    }
  });
  child.on('close', (code: number | null, signal: NodeJS.Signals | null) => {
    if (isDone) {
      return;
    }
    isDone = true;
    sink.end();
    if (code === 0) {
      queue.end();
      return;
    }
    queue.fail(
      new NanodockError(
        `${label} ${code === null ? `was ended by ${signal}` : `exited with code ${code}`}${lastStderr === '' ? '' : `: ${lastStderr}`}`,
      ),
    );
  });
}
