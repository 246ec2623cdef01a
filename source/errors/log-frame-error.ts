import {NanodockError} from './nanodock-error.js';

/** What was wrong with a multiplexed log stream (LogFrameDecoder). */
export type LogFrameFault =
  | 'stream' // the header's stream byte is not 0 (stdin), 1 (stdout), 2 (stderr) or 3 (engine error)
  | 'header' // the three bytes after the stream byte are not zero
  | 'length' // the frame announces more than the decoder's cap
  | 'truncated'; // the stream ended inside a header or a payload

/**
 * A multiplexed log stream (8-byte headers, then payloads) broke its framing. `fault` says
 * how, `offset` at which byte of the stream the bad header started (or where it ended).
 */
export class LogFrameError extends NanodockError {
  override readonly name = 'LogFrameError';
  readonly fault: LogFrameFault;
  readonly offset: number;

  constructor(fault: LogFrameFault, offset: number, detail: string) {
    super(`log stream framing broken at byte ${offset}: ${detail}`);
    this.fault = fault;
    this.offset = offset;
  }
}
