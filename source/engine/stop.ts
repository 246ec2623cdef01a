import {EngineRequestError} from '../errors/engine-request-error.js';
import {EngineStatusError} from '../errors/engine-status-error.js';
import {NanodockError} from '../errors/nanodock-error.js';
import type {DetectOptions} from './detect.js';
import {resolveEndpoints} from './endpoint.js';
import {readEngineMessage, requestEngine} from './http.js';

/** What a stop or kill did. */
export type StopOutcome = 'stopped' | 'already-stopped' | 'not-found' | 'failed';

/** The outcome of a stop or kill with its facts. */
export interface StopReport {
  readonly outcome: StopOutcome;
  /** The engine that answered with the outcome; null when none did. */
  readonly endpoint: string | null;
  /** Why it failed (outcome 'failed'), or why the id was refused; else null. */
  readonly error: Error | null;
}

/** Least time a stop or kill request waits: the engine's own stop grace is 10 s. */
export const minStopTimeoutMs = 15_000;

const unsafeId = /[/?#%\s\p{Cc}]/u;

/** True when `id` can be put in a request path as it is: not empty, no `/ ? # %`, no space or control character. */
export function isSafeContainerId(id: string): boolean {
  return id !== '' && !unsafeId.test(id);
}

/**
 * Status codes of the stop and kill endpoints, as a table. 404 is absent on purpose:
 * it means "ask the next engine".
 */
const outcomeByStatus: Record<'stop' | 'kill', Record<number, StopOutcome>> = {
  stop: {204: 'stopped', 304: 'already-stopped'},
  kill: {204: 'stopped', 304: 'already-stopped', 409: 'already-stopped'},
};

/**
 * Podman 4's compat API answers a kill of a stopped container with 500 and the cause
 * "container state improper" where Docker answers 409: the same fact, so the same outcome.
 */
function isPodmanNotRunning(action: 'stop' | 'kill', statusCode: number, body: string): boolean {
  if (action !== 'kill' || statusCode !== 500) {
    return false;
  }
  try {
    return (JSON.parse(body) as {cause?: unknown} | null)?.cause === 'container state improper';
  } catch {
    return false;
  }
}

/**
 * Stops (`force` false: `POST /containers/ID/stop`, the engine's grace period, then SIGKILL)
 * or kills (`force` true: `POST /containers/ID/kill`) a container, asking each engine in
 * turn: a 404 passes to the next. `not-found` only when every engine said 404; `failed`
 * when an engine failed or none could be reached, with the reason in `error`. An unsafe id
 * is refused as `not-found` before any request. Each request waits at least 15 s.
 */
export async function stopContainerWithReport(
  id: string,
  force: boolean,
  options: DetectOptions = {},
): Promise<StopReport> {
  if (!isSafeContainerId(id)) {
    return {
      outcome: 'not-found',
      endpoint: null,
      error: new NanodockError(
        `refused container id ${JSON.stringify(id)}: empty, or has / ? # %, space or control characters`,
      ),
    };
  }
  const action = force ? 'kill' : 'stop';
  const plan = resolveEndpoints(options);
  const timeoutMs = Math.max(minStopTimeoutMs, options.timeoutMs ?? 0);
  let firstFailure: {endpoint: string | null; error: Error} | null =
    plan.problems[0] === undefined ? null : {endpoint: null, error: plan.problems[0].error};
  let unreachable: {endpoint: string; error: Error} | null = null;
  let notFoundCount = 0;
  for (const endpoint of plan.endpoints) {
    try {
      const response = await requestEngine(
        endpoint,
        `/containers/${encodeURIComponent(id)}/${action}`,
        {
          method: 'POST',
          timeoutMs,
          signal: options.signal,
        },
      );
      const outcome = isPodmanNotRunning(action, response.statusCode, response.body)
        ? 'already-stopped'
        : outcomeByStatus[action][response.statusCode];
      if (outcome !== undefined) {
        return {outcome, endpoint: endpoint.address, error: null};
      }
      if (response.statusCode === 404) {
        notFoundCount++;
        continue;
      }
      // A 500 from one engine does not prove the container lives there; keep asking.
      firstFailure ??= {
        endpoint: endpoint.address,
        error: new EngineStatusError(
          endpoint.address,
          response.statusCode,
          readEngineMessage(response.body),
        ),
      };
    } catch (error) {
      if (options.signal?.aborted) {
        return {outcome: 'failed', endpoint: endpoint.address, error: error as Error};
      }
      if (error instanceof EngineRequestError && error.failure === 'connect' && !plan.exclusive) {
        // No engine at this well-known address: it cannot hold the container.
        unreachable ??= {endpoint: endpoint.address, error};
        continue;
      }
      firstFailure ??= {endpoint: endpoint.address, error: error as Error};
    }
  }
  if (firstFailure === null && notFoundCount > 0) {
    return {outcome: 'not-found', endpoint: null, error: null};
  }
  const failure = firstFailure ?? unreachable;
  return {
    outcome: 'failed',
    endpoint: failure?.endpoint ?? null,
    error: failure?.error ?? new NanodockError('no container engine to ask'),
  };
}

/** stopContainerWithReport's outcome alone. Never rejects. */
export async function stopContainer(
  id: string,
  force: boolean,
  options: DetectOptions = {},
): Promise<StopOutcome> {
  return (await stopContainerWithReport(id, force, options)).outcome;
}
