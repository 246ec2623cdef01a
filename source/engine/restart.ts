import type {Endpoint} from './endpoint.js';
import {requestEngine, statusError} from './http.js';
import type {EndpointAnswer} from './search.js';
import {minStopTimeoutMs} from './stop.js';

/**
 * What `POST /containers/ID/restart` answers, the same on Docker 20.10 and Podman 4.3
 * (measured): 204 once the container runs again, a stopped container included (both engines
 * start it); 404 when the engine has no such container. Anything else is a failure.
 */
export const restartStatusTable: Readonly<Record<number, 'restarted' | 'not-found'>> = {
  204: 'restarted',
  404: 'not-found',
};

/** Default seconds the engine waits for the container to stop before killing it: 10, as `docker restart`. */
export const defaultRestartStopSeconds = 10;

/** Time allowed for the start after the stop, in ms. */
const restartStartGraceMs = 10_000;

/**
 * The deadline of a restart waiting `stopSeconds` for the stop: at least minStopTimeoutMs (or
 * the stop time and 5 s) for the stop, plus 10 s for the start; `timeoutMs` when longer.
 */
export function restartDeadlineMs(stopSeconds: number, timeoutMs = 0): number {
  return Math.max(
    timeoutMs,
    Math.max(minStopTimeoutMs, stopSeconds * 1000 + 5000) + restartStartGraceMs,
  );
}

/**
 * Sends one restart to one engine (`t` = `stopSeconds`) and reads it with restartStatusTable.
 * Never throws: transport failures are `failed` with an EngineRequestError, other statuses
 * with an EngineStatusError.
 */
export async function requestRestart(
  endpoint: Endpoint,
  id: string,
  options: {
    readonly stopSeconds: number;
    readonly timeoutMs?: number;
    readonly signal?: AbortSignal;
  },
): Promise<EndpointAnswer<'restarted'>> {
  try {
    const response = await requestEngine(
      endpoint,
      `/containers/${encodeURIComponent(id)}/restart?t=${options.stopSeconds}`,
      {
        method: 'POST',
        timeoutMs: restartDeadlineMs(options.stopSeconds, options.timeoutMs),
        signal: options.signal,
      },
    );
    const outcome = restartStatusTable[response.statusCode];
    if (outcome === 'restarted') {
      return {kind: 'found', value: 'restarted'};
    }
    if (outcome === 'not-found') {
      return {kind: 'not-found'};
    }
    return {
      kind: 'failed',
      error: statusError(endpoint.address, response),
    };
  } catch (error) {
    return {kind: 'failed', error: error as Error};
  }
}
