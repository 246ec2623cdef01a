import {NanodockError} from '../errors/nanodock-error.js';
import type {StopAction, StopOutcome, StopReport, StopStatusTable} from '../model/stop-outcome.js';
import type {Endpoint} from './endpoint.js';
import {type EngineResponse, requestEngine, statusError} from './http.js';
import {isConnectFailure} from './search.js';

/** Least time a stop or kill request waits: the engine's own stop grace is 10 s. */
export const minStopTimeoutMs = 15_000;

const unsafeId = /[/?#%\s\p{Cc}]/u;

/** True when `id` can be put in a request path as it is: not empty, no `/ ? # %`, no space or control character. */
export function isSafeContainerId(id: string): boolean {
  return id !== '' && !unsafeId.test(id);
}

/** The refusal of an id that cannot go into a request path. */
export function refuseUnsafeId(id: string): StopReport {
  return {
    outcome: 'not-found',
    endpoint: null,
    error: new NanodockError(
      `refused container id ${JSON.stringify(id)}: empty, or has / ? # %, space or control characters`,
    ),
  };
}

/** What one engine answered to a stop or kill: an outcome, or 404 ("ask the next engine"). */
export type EndpointStopAnswer =
  | {readonly kind: 'outcome'; readonly outcome: Exclude<StopOutcome, 'failed' | 'not-found'>}
  | {readonly kind: 'not-found'}
  | {readonly kind: 'failed'; readonly error: Error};

/**
 * Sends one stop or kill to one engine and reads the answer with the table of the engine kind
 * that answered (`tables` by kind; `unknown` falls back to `docker`'s). Never throws: transport
 * failures are `failed` with an EngineRequestError, unknown statuses an EngineStatusError.
 */
export async function requestStop(
  endpoint: Endpoint,
  id: string,
  action: StopAction,
  tables: (response: EngineResponse) => StopStatusTable,
  options: {readonly timeoutMs?: number; readonly signal?: AbortSignal} = {},
): Promise<EndpointStopAnswer> {
  let response: EngineResponse;
  try {
    response = await requestEngine(endpoint, `/containers/${encodeURIComponent(id)}/${action}`, {
      method: 'POST',
      timeoutMs: Math.max(minStopTimeoutMs, options.timeoutMs ?? 0),
      signal: options.signal,
    });
  } catch (error) {
    return {kind: 'failed', error: error as Error};
  }
  const table = tables(response);
  const outcome =
    table[action][response.statusCode] ??
    table.readBody?.(action, response.statusCode, response.body);
  if (outcome === 'stopped' || outcome === 'already-stopped') {
    return {kind: 'outcome', outcome};
  }
  if (response.statusCode === 404 || outcome === 'not-found') {
    return {kind: 'not-found'};
  }
  return {
    kind: 'failed',
    error: statusError(endpoint.address, response),
  };
}

/** Whether a failed answer means nothing listens at a well-known address (it cannot hold the container). */
export function isNoEngineThere(answer: EndpointStopAnswer): boolean {
  return answer.kind === 'failed' && isConnectFailure(answer.error);
}
