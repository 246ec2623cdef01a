import http, {
  type ClientRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
} from 'node:http';
import https from 'node:https';
import {EngineRequestError} from '../errors/engine-request-error.js';
import {NanodockError} from '../errors/nanodock-error.js';
import {ResponseTooLargeError} from '../errors/response-too-large-error.js';
import type {Endpoint} from './endpoint.js';

/** Largest response body accepted: 32 MiB. */
export const maxBodyBytes = 32 * 1024 * 1024;
/** Largest response header block accepted: 64 KiB. */
export const maxHeaderBytes = 64 * 1024;

/** A complete engine answer. */
export interface EngineResponse {
  readonly statusCode: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** Options of requestEngine. */
export interface EngineRequestOptions {
  /** HTTP method. Default: GET. */
  readonly method?: 'GET' | 'POST' | 'DELETE';
  /** Deadline for the whole answer, in milliseconds. Required: no request waits forever. */
  readonly timeoutMs: number;
  /** Aborts the request. */
  readonly signal?: AbortSignal;
  /** Body limit in bytes. Default: maxBodyBytes (32 MiB). */
  readonly maxBodyBytes?: number;
  /** JSON text to send as the request body. Default: none. */
  readonly body?: string;
}

const connectHints: Record<string, string> = {
  ENOENT: 'no socket there (is the engine running?)',
  ECONNREFUSED: 'connection refused (is the engine running and listening there?)',
  EACCES: 'permission denied (run as root, or join the group that owns the socket)',
  EPERM: 'operation not permitted',
  ENOTSOCK: 'the path is not a socket',
  ENOTFOUND: 'host name not found',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
};

/**
 * The nanodock error for a system or parser error of a request to `endpoint`:
 * ResponseTooLargeError for a header flood, else an EngineRequestError whose `failure` says
 * what went wrong (connect, truncated, protocol) with a hint for the usual connect codes.
 */
export function describeSystemError(endpoint: Endpoint, error: NodeJS.ErrnoException): Error {
  const code = error.code ?? '';
  if (code === 'HPE_HEADER_OVERFLOW') {
    return new ResponseTooLargeError(endpoint.address, 'headers', maxHeaderBytes, {cause: error});
  }
  if (code.startsWith('HPE_')) {
    return new EngineRequestError(
      endpoint.address,
      'protocol',
      `invalid HTTP answer (${error.message})`,
      {
        cause: error,
        code,
      },
    );
  }
  if (code === 'ECONNRESET' || error.message === 'socket hang up') {
    return new EngineRequestError(
      endpoint.address,
      'truncated',
      'the engine closed the connection before answering',
      {
        cause: error,
        code,
      },
    );
  }
  if (
    code.startsWith('ERR_TLS') ||
    code.startsWith('ERR_SSL') ||
    /certificate|SSL|TLS/i.test(error.message)
  ) {
    return new EngineRequestError(
      endpoint.address,
      'connect',
      `TLS failed: ${error.message} (check DOCKER_CERT_PATH and DOCKER_TLS_VERIFY)`,
      {cause: error, code},
    );
  }
  const hint = connectHints[code];
  return new EngineRequestError(
    endpoint.address,
    'connect',
    hint ? `${code}: ${hint}` : error.message,
    {
      cause: error,
      code,
    },
  );
}

/**
 * Creates (does not send) a request to an engine: over its socket, or TCP with TLS when the
 * endpoint has it; never through a shared agent, so no connection outlives its request;
 * headers capped at maxHeaderBytes. The caller adds listeners, then calls `end()`.
 */
export function createEngineRequest(
  endpoint: Endpoint,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  headers?: OutgoingHttpHeaders,
): ClientRequest {
  const common = {
    method,
    path,
    agent: false as const,
    maxHeaderSize: maxHeaderBytes,
    // node:http sends `Host: localhost` over a socket and the real host over TCP (which TLS
    // checks); engines need nothing else for a GET.
    headers,
  };
  return endpoint.kind === 'socket'
    ? http.request({...common, socketPath: endpoint.socketPath})
    : endpoint.tls === null
      ? http.request({...common, host: endpoint.host, port: endpoint.port})
      : https.request({
          ...common,
          host: endpoint.host,
          port: endpoint.port,
          ca: endpoint.tls.ca,
          cert: endpoint.tls.cert,
          key: endpoint.tls.key,
          rejectUnauthorized: endpoint.tls.verify,
        });
}

/**
 * Sends one request to an engine over its socket or TCP (TLS when the endpoint has it) and
 * reads the whole answer. Never keeps a connection open afterwards.
 * Rejects with EngineRequestError (unreachable, timeout, aborted, truncated, not HTTP) or
 * ResponseTooLargeError (headers over 64 KiB, body over the limit; the rest is not read).
 */
export function requestEngine(
  endpoint: Endpoint,
  path: string,
  options: EngineRequestOptions,
): Promise<EngineResponse> {
  const bodyLimit = options.maxBodyBytes ?? maxBodyBytes;
  return new Promise((resolve, reject) => {
    let settled = false;
    const request = createEngineRequest(
      endpoint,
      options.method ?? 'GET',
      path,
      options.body === undefined
        ? undefined
        : {'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(options.body)},
    );

    const finish = (error: Error | null, response?: EngineResponse): void => {
      if (settled) {
        return;
      }
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (error) {
        request.destroy();
        reject(error);
      } else if (response) {
        resolve(response);
      }
    };
    const timer = setTimeout(() => {
      finish(
        new EngineRequestError(
          endpoint.address,
          'timeout',
          `no complete answer within ${options.timeoutMs} ms`,
        ),
      );
    }, options.timeoutMs);
    const onAbort = (): void => {
      finish(
        new EngineRequestError(endpoint.address, 'aborted', 'request aborted', {
          cause: options.signal?.reason,
        }),
      );
    };
    if (options.signal?.aborted) {
      onAbort();
      return;
    }
    options.signal?.addEventListener('abort', onAbort, {once: true});

    request.on('error', (error: NodeJS.ErrnoException) => {
      finish(error instanceof NanodockError ? error : describeSystemError(endpoint, error));
    });
    request.on('response', (response: IncomingMessage) => {
      const declared = Number(response.headers['content-length']);
      if (Number.isFinite(declared) && declared > bodyLimit) {
        finish(new ResponseTooLargeError(endpoint.address, 'body', bodyLimit));
        return;
      }
      const chunks: Buffer[] = [];
      let received = 0;
      response.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > bodyLimit) {
          finish(new ResponseTooLargeError(endpoint.address, 'body', bodyLimit));
          return;
        }
        chunks.push(chunk);
      });
      const truncated = (): void => {
        // 'close' follows every 'end': build no error (a stack trace is costly) once settled.
        if (settled) {
          return;
        }
        finish(
          new EngineRequestError(
            endpoint.address,
            'truncated',
            `the engine closed the connection after ${received} bytes of the body`,
          ),
        );
      };
      // A cut-off body ends in 'error' (aborted) and 'close' without 'end'; either settles it.
      response.on('error', truncated);
      response.on('close', truncated);
      response.on('end', () => {
        finish(null, {
          statusCode: response.statusCode ?? 0,
          headers: response.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
      });
    });
    request.end(options.body);
  });
}

/** The `message` of an engine's JSON error body, if it has one. */
export function readEngineMessage(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as {message?: unknown} | null;
    if (typeof parsed?.message === 'string' && parsed.message !== '') {
      return parsed.message.trim();
    }
  } catch {
    // Not JSON: show the start of the text instead.
  }
  const text = body.trim().slice(0, 200);
  return text === '' ? undefined : text;
}
