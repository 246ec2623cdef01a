import {EngineRequestError} from '../errors/engine-request-error.js';
import {NanodockError} from '../errors/nanodock-error.js';
import {type Endpoint, type EndpointOptions, resolveEndpoints} from './endpoint.js';

/** What one engine answered about a container: a result, 404 ("ask the next engine"), or a failure. */
export type EndpointAnswer<T> =
  | {readonly kind: 'found'; readonly value: T}
  | {readonly kind: 'not-found'}
  | {readonly kind: 'failed'; readonly error: Error};

/** What a search of every engine gave, with the engine that answered. */
export type SearchResult<T> =
  | {readonly kind: 'found'; readonly value: T; readonly endpoint: string}
  | {readonly kind: 'not-found'}
  | {readonly kind: 'failed'; readonly endpoint: string | null; readonly error: Error};

/** Whether a failure means nothing listens at the address (it cannot hold the container). */
export function isConnectFailure(error: Error): boolean {
  return error instanceof EngineRequestError && error.failure === 'connect';
}

/**
 * Asks each engine found (resolveEndpoints) in turn about a container until one has it: a
 * 404 passes to the next. `not-found` only when every engine that answered said 404 and none
 * failed; `failed` with the first failure otherwise (a 500 from one engine does not prove the
 * container lives there, so the search goes on past it). An engine absent from a well-known
 * address (connect failure) counts only when nothing else answered; once `signal` is aborted
 * the search stops at the failure it caused. Never rejects unless `ask` does.
 */
export async function searchEngines<T>(
  options: EndpointOptions & {readonly signal?: AbortSignal},
  ask: (endpoint: Endpoint) => Promise<EndpointAnswer<T>>,
): Promise<SearchResult<T>> {
  const plan = resolveEndpoints(options);
  let firstFailure: {endpoint: string | null; error: Error} | null =
    plan.problems[0] === undefined ? null : {endpoint: null, error: plan.problems[0].error};
  let unreachable: {endpoint: string; error: Error} | null = null;
  let notFoundCount = 0;
  for (const endpoint of plan.endpoints) {
    const answer = await ask(endpoint);
    if (answer.kind === 'found') {
      return {kind: 'found', value: answer.value, endpoint: endpoint.address};
    }
    if (answer.kind === 'not-found') {
      notFoundCount++;
      continue;
    }
    if (options.signal?.aborted) {
      return {kind: 'failed', endpoint: endpoint.address, error: answer.error};
    }
    if (isConnectFailure(answer.error) && !plan.exclusive) {
      unreachable ??= {endpoint: endpoint.address, error: answer.error};
      continue;
    }
    firstFailure ??= {endpoint: endpoint.address, error: answer.error};
  }
  if (firstFailure === null && notFoundCount > 0) {
    return {kind: 'not-found'};
  }
  const failure = firstFailure ?? unreachable;
  return {
    kind: 'failed',
    endpoint: failure?.endpoint ?? null,
    error: failure?.error ?? new NanodockError('no container engine to ask'),
  };
}
