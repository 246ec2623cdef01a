import type {Endpoint} from './endpoint.js';
import {requestEngine, statusError} from './http.js';

/** Options of pingEngine. */
export interface PingOptions {
  /** Deadline for the answer, in milliseconds. Required: a hung engine never answers. */
  readonly timeoutMs: number;
  /** Aborts the request. */
  readonly signal?: AbortSignal;
}

/**
 * Asks an engine `GET /_ping`, the cheapest question it answers: whether it answers at all.
 * Resolves when it answers 200. Rejects with EngineRequestError (unreachable, timeout,
 * aborted) or EngineStatusError (any other status).
 */
export async function pingEngine(endpoint: Endpoint, options: PingOptions): Promise<void> {
  const response = await requestEngine(endpoint, '/_ping', {
    timeoutMs: options.timeoutMs,
    signal: options.signal,
    maxBodyBytes: 64 * 1024,
    // Asked of every engine at each tick of the dashboard: one connection kept per engine
    // (a new one cost a connect, and for TLS a handshake: 2 ms of CPU a ping).
    keepAlive: true,
  });
  if (response.statusCode !== 200) {
    throw statusError(endpoint.address, response);
  }
}
