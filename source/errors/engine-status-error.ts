import {NanodockError} from './nanodock-error.js';

/**
 * An engine answered with an HTTP status the operation does not expect. `statusCode` is that
 * status and `engineMessage` the `message` field of the engine's JSON error body, if any.
 */
export class EngineStatusError extends NanodockError {
  override readonly name = 'EngineStatusError';
  readonly endpoint: string;
  readonly statusCode: number;
  readonly engineMessage: string | undefined;

  constructor(endpoint: string, statusCode: number, engineMessage: string | undefined) {
    const detail = engineMessage ? `: ${engineMessage}` : '';
    super(`${endpoint}: the engine answered HTTP ${statusCode}${detail}`);
    this.endpoint = endpoint;
    this.statusCode = statusCode;
    this.engineMessage = engineMessage;
  }
}
