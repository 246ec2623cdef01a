import {NanodockError} from './nanodock-error.js';

/**
 * An engine address from the environment or a docker context cannot be used: an unknown
 * scheme, a malformed URL, a missing context, unreadable TLS files. `source` says where the
 * address came from (`DOCKER_HOST`, `context "remote"`, ...).
 */
export class EndpointConfigError extends NanodockError {
  override readonly name = 'EndpointConfigError';
  readonly source: string;

  constructor(source: string, detail: string, options?: {cause?: unknown}) {
    super(`${source}: ${detail}`, options);
    this.source = source;
  }
}
