import {NanodockError} from './nanodock-error.js';

/** Why a request to an engine failed before a complete answer arrived. */
export type EngineRequestFailure =
  | 'connect' // the socket or host could not be reached (ENOENT, ECONNREFUSED, EACCES, TLS)
  | 'timeout' // no complete answer within the deadline
  | 'aborted' // the caller's AbortSignal fired
  | 'truncated' // the engine closed the connection in the middle of the answer
  | 'protocol'; // the answer was not valid HTTP

/**
 * A request to an engine failed at the transport level. `endpoint` is the engine's address
 * (`unix:///var/run/docker.sock`, `tcp://127.0.0.1:2376`), `code` the system error code
 * when there is one (`ENOENT`, `EACCES`, ...).
 */
export class EngineRequestError extends NanodockError {
  override readonly name = 'EngineRequestError';
  readonly endpoint: string;
  readonly failure: EngineRequestFailure;
  readonly code: string | undefined;

  constructor(
    endpoint: string,
    failure: EngineRequestFailure,
    detail: string,
    options?: {cause?: unknown; code?: string},
  ) {
    super(`${endpoint}: ${detail}`, options);
    this.endpoint = endpoint;
    this.failure = failure;
    this.code = options?.code;
  }
}
