import {NanodockError} from './nanodock-error.js';

/**
 * An engine's body was not the JSON the API promises (for a container list: a JSON array of
 * objects). `endpoint` names the engine when the body came from one; `cause` holds the
 * JSON.parse error when parsing itself failed.
 */
export class InvalidJsonError extends NanodockError {
  override readonly name = 'InvalidJsonError';
  readonly endpoint: string | undefined;

  constructor(detail: string, options?: {cause?: unknown; endpoint?: string}) {
    super(options?.endpoint ? `${options.endpoint}: ${detail}` : detail, options);
    this.endpoint = options?.endpoint;
  }
}
