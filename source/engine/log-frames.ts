import {LogFrameError} from '../errors/log-frame-error.js';

/**
 * Which stream a log line came from. `tty` for a container with a terminal: the engine (and
 * `podman logs`) then send one raw stream where stdout and stderr are already mixed, so
 * calling it `stdout` would claim a difference nobody can see.
 */
export type LogStreamName = 'stdout' | 'stderr' | 'tty';

/** One line of a container's log. */
export interface LogLine {
  readonly stream: LogStreamName;
  /**
   * The engine's time for the line, as it sent it (RFC 3339; Docker and `podman logs` give
   * nanoseconds, Podman 4.3's API whole seconds), or null when timestamps were not asked
   * for or the line had none.
   */
  readonly timestamp: string | null;
  /** The line without its newline (nor the carriage return a terminal adds). */
  readonly text: string;
  /** True when the line was longer than the limit and its end was dropped. */
  readonly truncated: boolean;
}

/**
 * Largest frame accepted: 1 MiB. Engines write one frame per log message (Docker's json-file
 * driver splits messages at 16 KiB) or per read of the container's output (32 KiB); a larger
 * announced length means the bytes are not a multiplexed stream at all (a raw TTY stream read
 * as framed, a proxy's error page), not a real message. Payloads are passed on in pieces as
 * they come, so the cap bounds nothing in memory: it only catches nonsense early.
 */
export const maxLogFrameBytes = 1024 * 1024;

/** Stream bytes of a multiplexed header: Docker's stdcopy numbering. */
export type FrameStream = 0 | 1 | 2 | 3;

/** A piece of one frame's payload (a frame split across chunks comes as several pieces). */
export interface FramePiece {
  /** 0 stdin (written as stdout), 1 stdout, 2 stderr, 3 an error the engine reports mid-stream. */
  readonly stream: FrameStream;
  /** A view into the pushed chunk: use it before the next push. */
  readonly data: Buffer;
  /** True for the first piece of a frame (a frame split across chunks comes in several). */
  readonly start: boolean;
}

const headerBytes = 8;

/**
 * Decodes Docker's and Podman's multiplexed log stream (`application/vnd.docker.multiplexed-stream`):
 * frames of an 8-byte header (stream byte, three zero bytes, big-endian uint32 payload
 * length) then the payload. Incremental: a frame may be split across chunks at any byte,
 * the header included; zero-length frames are skipped. Holds at most 8 header bytes between
 * pushes. An unknown stream byte, non-zero padding or a length over `maxFrameBytes` stops
 * the decoding: that push returns the pieces before the bad header and sets `error` (a
 * LogFrameError), and every later push or end throws it.
 */
export class LogFrameDecoder {
  readonly #header = Buffer.alloc(headerBytes);
  #headerFilled = 0;
  #remaining = 0;
  /** The next payload byte is its frame's first. */
  #atFrameStart = false;
  #stream: FrameStream = 1;
  /** Bytes pushed so far, for error offsets. */
  #offset = 0;
  #error: LogFrameError | undefined;
  readonly #maxFrameBytes: number;

  constructor(maxFrameBytes = maxLogFrameBytes) {
    this.#maxFrameBytes = maxFrameBytes;
  }

  /** Why the stream cannot be decoded (see the class), or undefined while it can. */
  get error(): LogFrameError | undefined {
    return this.#error;
  }

  /** The payload pieces completed or continued by `chunk`, in order (see `error`). */
  push(chunk: Buffer): FramePiece[] {
    if (this.#error !== undefined) {
      throw this.#error;
    }
    const pieces: FramePiece[] = [];
    let index = 0;
    while (index < chunk.length) {
      if (this.#remaining > 0) {
        const take = Math.min(this.#remaining, chunk.length - index);
        pieces.push({
          stream: this.#stream,
          data: chunk.subarray(index, index + take),
          start: this.#atFrameStart,
        });
        this.#atFrameStart = false;
        this.#remaining -= take;
        index += take;
        continue;
      }
      const take = Math.min(headerBytes - this.#headerFilled, chunk.length - index);
      chunk.copy(this.#header, this.#headerFilled, index, index + take);
      this.#headerFilled += take;
      index += take;
      if (this.#headerFilled === headerBytes) {
        this.#headerFilled = 0;
        if (!this.#readHeader(this.#offset + index - headerBytes)) {
          return pieces;
        }
      }
    }
    this.#offset += chunk.length;
    return pieces;
  }

  /** Checks that the stream ended between frames; throws LogFrameError (`truncated`) if not. */
  end(): void {
    if (this.#error !== undefined) {
      throw this.#error;
    }
    if (this.#headerFilled > 0 || this.#remaining > 0) {
      this.#error = new LogFrameError(
        'truncated',
        this.#offset,
        this.#remaining > 0
          ? `the stream ended ${this.#remaining} bytes before the end of a frame`
          : 'the stream ended inside a frame header',
      );
      throw this.#error;
    }
  }

  /** Reads a complete header; false (and `error` set) when it is not a valid one. */
  #readHeader(at: number): boolean {
    const header = this.#header;
    const stream = header[0] ?? 0;
    if (stream > 3) {
      this.#error = new LogFrameError(
        'stream',
        at,
        `unknown stream byte 0x${stream.toString(16).padStart(2, '0')} (not a multiplexed stream?)`,
      );
    } else if (header[1] !== 0 || header[2] !== 0 || header[3] !== 0) {
      this.#error = new LogFrameError('header', at, 'header padding bytes are not zero');
    } else {
      const length = header.readUInt32BE(4);
      if (length > this.#maxFrameBytes) {
        this.#error = new LogFrameError(
          'length',
          at,
          `a frame of ${length} bytes is over the ${this.#maxFrameBytes}-byte cap`,
        );
      } else {
        this.#stream = stream as FrameStream;
        this.#remaining = length;
        this.#atFrameStart = true;
        return true;
      }
    }
    return false;
  }
}

/** Default longest line kept: 64 KiB; the rest of a longer line is dropped (LogLine.truncated). */
export const defaultMaxLogLineBytes = 64 * 1024;

// RFC 3339 as engines write it: `2026-12-01T21:54:53.191477682Z`, `...T21:54:53Z`, `+01:00`.
const timestampPattern = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$/;
/** The longest timestamp above, with its space: where the search for the space stops. */
const maxTimestampBytes = 36;

/** A line as the splitter gives it, before a stream name is put on it. */
export interface SplitLine {
  readonly timestamp: string | null;
  readonly text: string;
  readonly truncated: boolean;
}

/** Options of LogLineSplitter. */
export interface LogLineSplitterOptions {
  /** Longest line kept, in bytes (the timestamp included). Default: defaultMaxLogLineBytes. */
  readonly maxLineBytes?: number;
  /** Read the engine's `TIMESTAMP ` prefix off each line into `timestamp`. Default: false. */
  readonly timestamps?: boolean;
  /** Drop one `\r` before each newline (a terminal writes `\r\n`). Default: false. */
  readonly stripCarriageReturn?: boolean;
}

/**
 * Splits one stream's bytes into lines. Works on bytes, not text: a newline byte never occurs
 * inside a UTF-8 sequence, so a character split across pieces is joined before decoding.
 * Holds at most `maxLineBytes` of an unfinished line: past that the line is cut at a
 * character boundary, the rest dropped up to its newline, and the line marked `truncated`.
 */
export class LogLineSplitter {
  readonly #pending: Buffer;
  #filled = 0;
  /** The current line went over the limit: its rest is being skipped. */
  #overflowed = false;
  /** Where a frame continuing the line began, its own timestamp not yet dropped; else -1. */
  #skipFrom = -1;
  readonly #timestamps: boolean;
  readonly #stripCarriageReturn: boolean;

  constructor(options: LogLineSplitterOptions = {}) {
    // One buffer for the whole stream: lines never cost more than the limit.
    this.#pending = Buffer.allocUnsafe(
      Math.max(maxTimestampBytes + 1, options.maxLineBytes ?? defaultMaxLogLineBytes),
    );
    this.#timestamps = options.timestamps === true;
    this.#stripCarriageReturn = options.stripCarriageReturn === true;
  }

  /**
   * A new frame begins (framed streams). Engines split a long line into several log messages
   * (Docker every 16 KiB, Podman every 8 KiB, measured) and, with timestamps, each frame
   * starts with its own: when the frame continues an unfinished line, that timestamp is
   * dropped so that the line reads as the container wrote it.
   */
  frameStart(): void {
    if (!this.#timestamps) {
      return;
    }
    this.#dropContinuationTimestamp();
    if (this.#filled > 0 || this.#overflowed) {
      this.#skipFrom = this.#filled;
    }
  }

  /** The lines that `data` completes, in order. */
  push(data: Buffer): SplitLine[] {
    const lines: SplitLine[] = [];
    let start = 0;
    while (start < data.length) {
      const newline = data.indexOf(0x0a, start);
      const end = newline === -1 ? data.length : newline;
      this.#append(data, start, end);
      if (newline === -1) {
        break;
      }
      lines.push(this.#takeLine());
      start = newline + 1;
    }
    return lines;
  }

  /** The last line when the stream ended without a newline, else null. */
  end(): SplitLine | null {
    return this.#filled === 0 && !this.#overflowed ? null : this.#takeLine();
  }

  #append(data: Buffer, start: number, end: number): void {
    const room = this.#pending.length - this.#filled;
    const length = end - start;
    if (length > room) {
      this.#overflowed = true;
    }
    const take = Math.min(length, room);
    data.copy(this.#pending, this.#filled, start, start + take);
    this.#filled += take;
    if (this.#skipFrom >= 0 && this.#filled - this.#skipFrom >= maxTimestampBytes) {
      this.#dropContinuationTimestamp();
    }
  }

  /** Drops the `TIMESTAMP ` a continuing frame began with, once its bytes are in. */
  #dropContinuationTimestamp(): void {
    const from = this.#skipFrom;
    if (from < 0) {
      return;
    }
    this.#skipFrom = -1;
    const pending = this.#pending;
    const space = pending
      .subarray(from, Math.min(this.#filled, from + maxTimestampBytes))
      .indexOf(0x20);
    if (space > 0 && timestampPattern.test(pending.toString('latin1', from, from + space))) {
      pending.copyWithin(from, from + space + 1, this.#filled);
      this.#filled -= space + 1;
    }
  }

  #takeLine(): SplitLine {
    this.#dropContinuationTimestamp();
    const pending = this.#pending;
    let end = this.#filled;
    const truncated = this.#overflowed;
    if (truncated) {
      end = characterBoundary(pending, end);
    } else if (this.#stripCarriageReturn && end > 0 && pending[end - 1] === 0x0d) {
      end--;
    }
    this.#filled = 0;
    this.#overflowed = false;
    let textStart = 0;
    let timestamp: string | null = null;
    if (this.#timestamps) {
      const space = pending.subarray(0, Math.min(end, maxTimestampBytes)).indexOf(0x20);
      if (space > 0) {
        const candidate = pending.toString('latin1', 0, space);
        if (timestampPattern.test(candidate)) {
          timestamp = candidate;
          textStart = space + 1;
        }
      }
    }
    return {timestamp, text: pending.toString('utf8', textStart, end), truncated};
  }
}

/** `end`, moved back so that no UTF-8 sequence of `buffer` is cut at it. */
function characterBoundary(buffer: Buffer, end: number): number {
  // Up to three continuation bytes (10xxxxxx) follow a lead byte.
  let lead = end - 1;
  while (lead >= 0 && lead > end - 4 && ((buffer[lead] ?? 0) & 0xc0) === 0x80) {
    lead--;
  }
  if (lead < 0) {
    return end;
  }
  const byte = buffer[lead] ?? 0;
  const size = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
  return lead + size <= end ? end : lead;
}
