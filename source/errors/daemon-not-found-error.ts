import {NanodockError} from './nanodock-error.js';

/** One engine address tried, and why it gave no container list. */
export interface EndpointAttempt {
  /** The address, e.g. `unix:///var/run/docker.sock`. */
  readonly endpoint: string;
  /** Where the address came from: `DOCKER_HOST`, `default`, `context "name"`, ... */
  readonly source: string;
  /** The failure, usually an EngineRequestError, EngineStatusError or ResponseTooLargeError. */
  readonly error: Error;
}

/**
 * No container engine answered with a container list. `attempts` lists every address tried
 * and why each failed; the message says the same in one line.
 */
export class DaemonNotFoundError extends NanodockError {
  override readonly name = 'DaemonNotFoundError';
  readonly attempts: readonly EndpointAttempt[];

  constructor(attempts: readonly EndpointAttempt[]) {
    const tried =
      attempts.length === 0
        ? 'no engine address to try'
        : attempts.map((attempt) => describeAttempt(attempt)).join('; ');
    super(`No container engine answered (${tried})`, {cause: attempts[0]?.error});
    this.attempts = attempts;
  }
}

function describeAttempt(attempt: EndpointAttempt): string {
  const prefix = `${attempt.endpoint}: `;
  const message = attempt.error.message.startsWith(prefix)
    ? attempt.error.message.slice(prefix.length)
    : attempt.error.message;
  return `${attempt.endpoint} [${attempt.source}]: ${message}`;
}
