import type {LogLine} from './log-frames.js';

/** A container's log as it comes: iterate it with `for await`, end it with close(). */
export interface ContainerLogStream extends AsyncIterable<LogLine> {
  /**
   * The engine serving the log (`unix:///var/run/docker.sock`, `rootless:ndlab`) once it is
   * known, else null.
   */
  readonly endpoint: string | null;
  /** Whether the container has a terminal (one raw `tty` stream), once known; else null. */
  readonly tty: boolean | null;
  /**
   * Ends the iteration (a waiting `next()` resolves done; lines not yet read are dropped) and
   * lets go of the request or the `podman` process. Idempotent.
   */
  close(): void;
}

/** What a log source lets the stream do to it. */
export interface LogSource {
  pause(): void;
  resume(): void;
  /** Lets go of the request or process; no line or end is taken after it. */
  destroy(): void;
}

/** Lines read from the engine and not yet taken past this pause reading. */
export const maxQueuedLogLines = 1000;
/** Text (UTF-16 code units) of lines not yet taken past which reading pauses: about 1 MiB. */
const maxQueuedLogChars = 512 * 1024;

/**
 * The queue between a log source (a socket or a `podman` process) and one consumer, with
 * backpressure: past maxQueuedLogLines lines (or about 1 MiB of text) the source is paused,
 * and resumed once the consumer has taken half. The queue can go past the mark only by the
 * lines of the one chunk being read, so memory stays bounded whatever the consumer's pace.
 * The iteration ends when the source ends, fails with the source's error after the lines
 * before it, or ends at close().
 */
export class LogStreamQueue implements ContainerLogStream {
  endpoint: string | null = null;
  tty: boolean | null = null;
  #lines: LogLine[] = [];
  #head = 0;
  #chars = 0;
  #source: LogSource | null = null;
  #isPaused = false;
  #isEnded = false;
  #isClosed = false;
  #error: Error | null = null;
  #waiter:
    | {resolve: (result: IteratorResult<LogLine>) => void; reject: (error: Error) => void}
    | undefined;
  readonly #onClose: () => void;

  /** `onClose` runs once, at close(): a search in progress stops with it. */
  constructor(onClose: () => void = () => undefined) {
    this.#onClose = onClose;
  }

  /** Whether close() was called (a starting source must then not be attached, but destroyed). */
  get isClosed(): boolean {
    return this.#isClosed;
  }

  /** Attaches the source the lines come from; a stream already closed destroys it at once. */
  attach(source: LogSource): void {
    if (this.#isClosed || this.#isEnded) {
      source.destroy();
      return;
    }
    this.#source = source;
    if (this.#isPaused) {
      source.pause();
    }
  }

  /** Queues a line (or hands it to a waiting consumer); pauses the source past the mark. */
  push(line: LogLine): void {
    if (this.#isClosed || this.#isEnded) {
      return;
    }
    const waiter = this.#waiter;
    if (waiter !== undefined) {
      this.#waiter = undefined;
      waiter.resolve({done: false, value: line});
      return;
    }
    this.#lines.push(line);
    this.#chars += line.text.length;
    if (
      !this.#isPaused &&
      (this.#lines.length - this.#head >= maxQueuedLogLines || this.#chars >= maxQueuedLogChars)
    ) {
      this.#isPaused = true;
      this.#source?.pause();
    }
  }

  /** The source ended: the iteration ends after the queued lines. */
  end(): void {
    this.#finish(null);
  }

  /** The source failed: the iteration throws `error` after the queued lines. */
  fail(error: Error): void {
    this.#finish(error);
  }

  close(): void {
    if (this.#isClosed) {
      return;
    }
    this.#isClosed = true;
    this.#lines = [];
    this.#head = 0;
    this.#chars = 0;
    this.#source?.destroy();
    this.#source = null;
    this.#onClose();
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.resolve({done: true, value: undefined});
  }

  [Symbol.asyncIterator](): AsyncIterator<LogLine> {
    return {
      next: () => this.#next(),
      return: () => {
        this.close();
        return Promise.resolve({done: true, value: undefined});
      },
    };
  }

  #next(): Promise<IteratorResult<LogLine>> {
    if (this.#isClosed) {
      return Promise.resolve({done: true, value: undefined});
    }
    if (this.#head < this.#lines.length) {
      const line = this.#lines[this.#head] as LogLine;
      this.#head++;
      this.#chars -= line.text.length;
      if (this.#head === this.#lines.length) {
        this.#lines = [];
        this.#head = 0;
      } else if (this.#head >= 1024 && this.#head * 2 >= this.#lines.length) {
        // Taken lines are let go in batches: shift() on every line would cost O(n).
        this.#lines = this.#lines.slice(this.#head);
        this.#head = 0;
      }
      const queued = this.#lines.length - this.#head;
      if (
        this.#isPaused &&
        queued <= maxQueuedLogLines / 2 &&
        this.#chars <= maxQueuedLogChars / 2
      ) {
        this.#isPaused = false;
        this.#source?.resume();
      }
      return Promise.resolve({done: false, value: line});
    }
    if (this.#isEnded) {
      const error = this.#error;
      if (error !== null) {
        // Thrown once; the iteration is over after it.
        this.#error = null;
        this.close();
        return Promise.reject(error);
      }
      // Ended and drained: closed, so onClose runs (a caller's abort listener goes with it)
      // even when the loop ends without calling return().
      this.close();
      return Promise.resolve({done: true, value: undefined});
    }
    return new Promise((resolve, reject) => {
      this.#waiter = {resolve, reject};
    });
  }

  #finish(error: Error | null): void {
    if (this.#isClosed || this.#isEnded) {
      return;
    }
    this.#isEnded = true;
    this.#error = error;
    this.#source?.destroy();
    this.#source = null;
    const waiter = this.#waiter;
    if (waiter === undefined) {
      return;
    }
    this.#waiter = undefined;
    if (error === null) {
      this.close();
      waiter.resolve({done: true, value: undefined});
    } else {
      this.#error = null;
      this.close();
      waiter.reject(error);
    }
  }
}
