import {NanodockError} from './nanodock-error.js';

/**
 * An engine's answer was larger than nanodock accepts: `part` says whether the headers or the
 * body went over `limitBytes`. The rest of the answer was not read.
 */
export class ResponseTooLargeError extends NanodockError {
  override readonly name = 'ResponseTooLargeError';
  readonly endpoint: string;
  readonly part: 'headers' | 'body';
  readonly limitBytes: number;

  constructor(
    endpoint: string,
    part: 'headers' | 'body',
    limitBytes: number,
    options?: {cause?: unknown},
  ) {
    super(
      `${endpoint}: response ${part} exceed the limit of ${limitBytes} bytes; refused`,
      options,
    );
    this.endpoint = endpoint;
    this.part = part;
    this.limitBytes = limitBytes;
  }
}
