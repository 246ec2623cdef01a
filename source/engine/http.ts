import http, {
  type ClientRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
} from 'node:http';
import https from 'node:https';
import net, {type Socket} from 'node:net';
import tls from 'node:tls';
import {EngineRequestError} from '../errors/engine-request-error.js';
import {EngineStatusError} from '../errors/engine-status-error.js';
import {NanodockError} from '../errors/nanodock-error.js';
import {ResponseTooLargeError} from '../errors/response-too-large-error.js';
import {SshError} from '../errors/ssh-error.js';
import type {Endpoint, TcpEndpoint, TlsMaterial} from './endpoint.js';
import {HttpResponseParser} from './http-response-parser.js';
import {connectSsh} from './ssh.js';

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
  /**
   * When the deadline of a larger task (a detection) started, as `performance.now()`: the
   * request then gets what is left of `timeoutMs` from that moment, and a timeout still
   * names the whole `timeoutMs`. Default: now.
   */
  readonly startedAt?: number;
  /** Aborts the request. */
  readonly signal?: AbortSignal;
  /** Body limit in bytes. Default: maxBodyBytes (32 MiB). */
  readonly maxBodyBytes?: number;
  /** JSON text to send as the request body. Default: none. */
  readonly body?: string;
  /**
   * Keep the connection open after the answer, for the next request to this engine that asks
   * the same (pingEngine: the dashboard pings every engine each tick). At most one idle
   * connection per engine, closed after keepAliveIdleMs. A kept connection the engine closed
   * meanwhile is noticed before any answer byte, and the request is sent once more on a new
   * one. Only for requests that may be sent twice (a GET). Default: false.
   */
  readonly keepAlive?: boolean;
}

/** How long an idle kept-alive connection stays open (EngineRequestOptions.keepAlive), in ms. */
export const keepAliveIdleMs = 10_000;

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
 * Creates (does not send) a request to an engine: over its socket, TCP with TLS when the
 * endpoint has it, or an ssh connection (ssh.ts; its failures come as SshError on the
 * request's 'error'); never through a shared agent, so no connection outlives its request;
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
  if (endpoint.kind === 'ssh') {
    // No agent at all: with `agent: false` node:http makes a fresh Agent, which ignores
    // createConnection. Without one, this request alone uses the connection it creates.
    return http.request({
      ...common,
      agent: undefined,
      createConnection: () => connectSsh(endpoint) as never,
    });
  }
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

const exchangeKey: unique symbol = Symbol('nanodock.exchange');

/** A socket carrying one request, with the exchange it belongs to. */
interface ExchangeSocket extends Socket {
  [exchangeKey]: Exchange;
}

/**
 * One request in flight: its socket, parser, deadline and abort listener. The socket's
 * listeners are shared module functions that find the exchange on the socket, and the
 * exchange itself is the abort listener (`handleEvent`), so a request makes no closures.
 */
class Exchange {
  settled = false;
  readonly endpoint: Endpoint;
  readonly parser: HttpResponseParser;
  readonly signal: AbortSignal | undefined;
  readonly resolve: (response: EngineResponse) => void;
  readonly reject: (error: unknown) => void;
  readonly socket: ExchangeSocket;
  readonly timer: NodeJS.Timeout;
  /** Where the connection goes back once answered, when kept alive (else undefined). */
  readonly keepKey: string | undefined;
  /** Bytes the engine sent on this exchange. */
  bytesIn = 0;
  /**
   * Sends the request again on a new connection: set only when this exchange runs on a kept
   * connection, which the engine may have closed while it was idle.
   */
  readonly retry: (() => void) | undefined;

  constructor(
    endpoint: Endpoint,
    request: string,
    options: EngineRequestOptions,
    resolve: (response: EngineResponse) => void,
    reject: (error: unknown) => void,
    kept?: {readonly key: string; readonly socket: Socket | undefined; readonly retry: () => void},
  ) {
    this.endpoint = endpoint;
    this.parser = new HttpResponseParser(
      endpoint.address,
      options.maxBodyBytes ?? maxBodyBytes,
      maxHeaderBytes,
    );
    this.signal = options.signal;
    this.resolve = resolve;
    this.reject = reject;
    this.keepKey = kept?.key;
    this.retry = kept?.socket === undefined ? undefined : kept.retry;
    // First, as it may throw (unusable TLS material): nothing is set up yet to undo.
    const socket = (kept?.socket ?? connectTo(endpoint)) as ExchangeSocket;
    socket[exchangeKey] = this;
    this.socket = socket;
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('error', onError);
    socket.on('close', onClose);
    // Queued until the connection (and the TLS handshake) is up.
    socket.write(request);
    const left =
      options.startedAt === undefined
        ? options.timeoutMs
        : Math.max(0, options.startedAt + options.timeoutMs - performance.now());
    this.timer = setTimeout(onTimeout, left, this, options.timeoutMs);
    this.signal?.addEventListener('abort', this, {once: true});
  }

  /** The AbortSignal fired. */
  handleEvent(): void {
    this.fail(
      new EngineRequestError(this.endpoint.address, 'aborted', 'request aborted', {
        cause: this.signal?.reason,
      }),
    );
  }

  /** The answer is complete: hands it over, then lets go of the timer, listener and socket. */
  succeed(): void {
    if (!this.settled) {
      this.settled = true;
      const parser = this.parser;
      this.resolve({statusCode: parser.statusCode, headers: parser.headers, body: parser.body});
      clearTimeout(this.timer);
      this.signal?.removeEventListener('abort', this);
      if (this.keepKey !== undefined && isReusable(parser)) {
        keepIdle(this.keepKey, this.socket);
        return;
      }
      // The caller has its answer; closing the socket (a few tens of µs) waits one turn of
      // the event loop, so it is not on the caller's path. Later events are ignored.
      setImmediate(destroySocket, this.socket);
    }
  }

  /** The request failed: rejects, then lets go of the timer, listener and socket. */
  fail(error: unknown): void {
    if (!this.settled) {
      this.settled = true;
      const retry = this.retry;
      // A kept connection the engine closed while it was idle: sent again on a new one.
      if (
        retry !== undefined &&
        this.bytesIn === 0 &&
        ((error instanceof EngineRequestError &&
          (error.failure === 'truncated' || error.failure === 'connect')) ||
          (error instanceof SshError && error.failure === 'dropped'))
      ) {
        this.release();
        retry();
        return;
      }
      this.reject(error);
      this.release();
    }
  }

  /** Nothing of a settled exchange outlives it: its socket's later events are ignored. */
  private release(): void {
    clearTimeout(this.timer);
    this.signal?.removeEventListener('abort', this);
    this.socket.destroy();
  }
}

function destroySocket(socket: Socket): void {
  socket.destroy();
}

function onData(this: ExchangeSocket, chunk: Buffer): void {
  const exchange = this[exchangeKey];
  if (exchange.settled) {
    return;
  }
  exchange.bytesIn += chunk.length;
  let complete: boolean;
  try {
    complete = exchange.parser.push(chunk);
  } catch (error) {
    exchange.fail(error);
    return;
  }
  if (complete) {
    exchange.succeed();
  }
}

function onEnd(this: ExchangeSocket): void {
  const exchange = this[exchangeKey];
  if (exchange.settled) {
    return;
  }
  try {
    exchange.parser.end();
  } catch (error) {
    exchange.fail(error);
    return;
  }
  exchange.succeed();
}

function onError(this: ExchangeSocket, error: NodeJS.ErrnoException): void {
  const exchange = this[exchangeKey];
  if (exchange.settled) {
    return;
  }
  const parser = exchange.parser;
  // An ssh transport's own error (SshError) says more than any system error code would.
  if (error instanceof NanodockError) {
    exchange.fail(error);
    return;
  }
  // A reset once the answer has begun is a truncated answer; before, a hang-up or a connect error.
  exchange.fail(
    error.code === 'ECONNRESET' && parser.statusCode !== 0
      ? parser.truncated({cause: error, code: error.code})
      : describeSystemError(exchange.endpoint, error),
  );
}

function onClose(this: ExchangeSocket): void {
  const exchange = this[exchangeKey];
  // Closed without 'end' or 'error' (settled otherwise): the answer is cut off.
  if (!exchange.settled) {
    exchange.fail(exchange.parser.truncated());
  }
}

function onTimeout(exchange: Exchange, timeoutMs: number): void {
  exchange.fail(
    new EngineRequestError(
      exchange.endpoint.address,
      'timeout',
      `no complete answer within ${timeoutMs} ms`,
    ),
  );
}

/** Whether an answer leaves its connection fit for another request (HTTP/1.1, framed, no close). */
function isReusable(parser: HttpResponseParser): boolean {
  if (parser.minorVersion !== 1 || !parser.framed) {
    return false;
  }
  const connection = parser.headers.connection;
  return typeof connection !== 'string' || !/(^|[\s,])close([\s,]|$)/i.test(connection);
}

/** Idle kept-alive connections (EngineRequestOptions.keepAlive), at most one per engine. */
const idleConnections = new Map<string, Socket>();

/**
 * How many idle connections an engine may keep: one, but a few over ssh, where a new
 * connection starts a remote `docker` (about a second, measured on the lab) and a refresh may
 * ask and ping at once. Each is parked under its own slot key.
 */
function idleSlotKeys(key: string): string[] {
  return key.startsWith('ssh\u0000') ? [key, `${key}\u00001`, `${key}\u00002`] : [key];
}

const idleKey: unique symbol = Symbol('nanodock.idle');

/** A socket waiting in idleConnections, with its key and closing timer. */
interface IdleSocket extends Socket {
  [idleKey]?: {readonly key: string; readonly timer: NodeJS.Timeout};
}

/** Parks an answered connection for the next kept-alive request to its engine. */
function keepIdle(key: string, socket: Socket): void {
  socket.removeListener('data', onData);
  socket.removeListener('end', onEnd);
  socket.removeListener('error', onError);
  socket.removeListener('close', onClose);
  const slot = idleSlotKeys(key).find((candidate) => !idleConnections.has(candidate));
  if (slot === undefined || socket.destroyed || !socket.writable) {
    setImmediate(destroySocket, socket);
    return;
  }
  const idle = socket as IdleSocket;
  const timer = setTimeout(dropIdle, keepAliveIdleMs, idle);
  timer.unref();
  idle[idleKey] = {key: slot, timer};
  // Anything from the engine while idle (bytes, an end, an error) ends the connection.
  idle.on('data', onIdleEvent);
  idle.on('end', onIdleEvent);
  idle.on('error', onIdleEvent);
  idle.on('close', onIdleEvent);
  // An idle connection never keeps the process alive.
  idle.unref();
  idleConnections.set(slot, idle);
}

function onIdleEvent(this: IdleSocket): void {
  dropIdle(this);
}

function dropIdle(socket: IdleSocket): void {
  const idle = socket[idleKey];
  if (idle !== undefined && idleConnections.get(idle.key) === socket) {
    idleConnections.delete(idle.key);
  }
  unpark(socket);
  socket.destroy();
}

/** Takes the idle connection kept for `key`, if any, ready for an exchange. */
function takeIdle(base: string): Socket | undefined {
  const key = idleSlotKeys(base).find((candidate) => idleConnections.has(candidate));
  const socket = key === undefined ? undefined : (idleConnections.get(key) as IdleSocket);
  if (key === undefined || socket === undefined) {
    return undefined;
  }
  idleConnections.delete(key);
  unpark(socket);
  if (socket.destroyed || !socket.writable) {
    socket.destroy();
    return undefined;
  }
  socket.ref();
  return socket;
}

function unpark(socket: IdleSocket): void {
  const idle = socket[idleKey];
  if (idle !== undefined) {
    clearTimeout(idle.timer);
    socket[idleKey] = undefined;
  }
  socket.removeListener('data', onIdleEvent);
  socket.removeListener('end', onIdleEvent);
  socket.removeListener('error', onIdleEvent);
  socket.removeListener('close', onIdleEvent);
}

/** The key of an engine's kept connection: its address, and its TLS material when it has one. */
function keepAliveKey(endpoint: Endpoint): string {
  if (endpoint.kind === 'socket') {
    return `unix\u0000${endpoint.socketPath}`;
  }
  if (endpoint.kind === 'ssh') {
    return `ssh\u0000${endpoint.address}`;
  }
  return endpoint.tls === null
    ? `tcp\u0000${endpoint.host}\u0000${endpoint.port}`
    : `tls\u0000${tlsKeyOf(endpoint, endpoint.tls)}`;
}

/** Closes every idle kept-alive connection (tests; a program about to exit need not). */
export function closeIdleEngineConnections(): void {
  for (const socket of [...idleConnections.values()]) {
    dropIdle(socket as IdleSocket);
  }
}

/** What a TLS engine's connections share: one secure context, the last session to resume. */
interface TlsReuse {
  readonly context: tls.SecureContext;
  session: Buffer | undefined;
}

/**
 * Per engine (address and TLS material): a secure context made once (its PEM parsing cost
 * about as much as the handshake) and the engine's last TLS session, which the next
 * connection resumes, skipping the certificate exchange and checks. The dashboard pings every
 * engine each tick: a full handshake each time cost 6.4 ms of CPU a ping, as much as the
 * rest of an idle tick. Few entries: one per engine ever asked.
 */
const tlsReuse = new Map<string, TlsReuse>();

/** TLS connections made so far: with a full handshake, and resumed (for tests and benches). */
const tlsHandshakes = {full: 0, resumed: 0};

/** How many TLS connections to engines had a full handshake and how many resumed a session. */
export function tlsHandshakeCounts(): {readonly full: number; readonly resumed: number} {
  return {...tlsHandshakes};
}

function countHandshake(this: tls.TLSSocket): void {
  if (this.isSessionReused()) {
    tlsHandshakes.resumed++;
  } else {
    tlsHandshakes.full++;
  }
}

function tlsKeyOf(endpoint: TcpEndpoint, material: TlsMaterial): string {
  return [
    endpoint.host,
    endpoint.port,
    material.verify,
    material.ca?.toString('base64') ?? '',
    material.cert?.toString('base64') ?? '',
    material.key?.toString('base64') ?? '',
  ].join('\u0000');
}

function tlsReuseFor(endpoint: TcpEndpoint, material: TlsMaterial): TlsReuse {
  const key = tlsKeyOf(endpoint, material);
  let reuse = tlsReuse.get(key);
  if (reuse === undefined) {
    reuse = {
      context: tls.createSecureContext({ca: material.ca, cert: material.cert, key: material.key}),
      session: undefined,
    };
    tlsReuse.set(key, reuse);
  }
  return reuse;
}

/** Connections to engines opened so far (for tests and benches). */
let connectionsOpened = 0;

/** How many connections to engines this process has opened (kept-alive ones are counted once). */
export function engineConnectionsOpened(): number {
  return connectionsOpened;
}

/**
 * Opens the connection to an engine: its socket or pipe, TCP, TLS over TCP, or a channel of
 * an ssh connection (a Duplex that node:http and this client use as a socket).
 */
function connectTo(endpoint: Endpoint): Socket {
  connectionsOpened++;
  if (endpoint.kind === 'socket') {
    return net.connect({path: endpoint.socketPath});
  }
  if (endpoint.kind === 'ssh') {
    return connectSsh(endpoint) as unknown as Socket;
  }
  if (endpoint.tls === null) {
    return net.connect({host: endpoint.host, port: endpoint.port, noDelay: true});
  }
  const reuse = tlsReuseFor(endpoint, endpoint.tls);
  const socket = tls.connect({
    host: endpoint.host,
    port: endpoint.port,
    // SNI takes a host name, never an address (RFC 6066); the certificate is still checked against it.
    servername: net.isIP(endpoint.host) === 0 ? endpoint.host : undefined,
    secureContext: reuse.context,
    rejectUnauthorized: endpoint.tls.verify,
    session: reuse.session,
  });
  socket.on('session', (session: Buffer) => {
    reuse.session = session;
  });
  socket.once('secureConnect', countHandshake);
  // Applied once connected: the request must not wait behind the handshake's last flight.
  socket.setNoDelay(true);
  return socket;
}

/** True when `path` can go into a request line as it is: printable ASCII, no space. */
function isSendablePath(path: string): boolean {
  if (path === '') {
    return false;
  }
  for (let index = 0; index < path.length; index++) {
    const code = path.charCodeAt(index);
    if (code <= 0x20 || code >= 0x7f) {
      return false;
    }
  }
  return true;
}

/** The bytes of one request, as text: request line, Host, Connection, the JSON body. */
function formatRequest(
  endpoint: Endpoint,
  method: string,
  path: string,
  body: string | undefined,
  keepAlive = false,
): string {
  const host =
    endpoint.kind !== 'tcp'
      ? 'localhost'
      : endpoint.host.includes(':')
        ? `[${endpoint.host}]:${endpoint.port}`
        : `${endpoint.host}:${endpoint.port}`;
  const head = `${method} ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: ${keepAlive ? 'keep-alive' : 'close'}\r\n`;
  if (body !== undefined) {
    return `${head}Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  }
  // As node:http did: a POST or DELETE without a body says so.
  return method === 'GET' ? `${head}\r\n` : `${head}Content-Length: 0\r\n\r\n`;
}

/**
 * Sends one request to an engine over its socket or TCP (TLS when the endpoint has it) and
 * reads the whole answer, with nanodock's own HTTP/1.1 client (see HttpResponseParser). The
 * answer is returned as soon as its body is complete; the connection is then closed, unless
 * `keepAlive` asks to keep it for the next such request (one idle connection per engine).
 * Rejects with EngineRequestError (unreachable, timeout, aborted, truncated, not HTTP) or
 * ResponseTooLargeError (headers over 64 KiB, body over the limit; the rest is not read),
 * and with a TypeError (code ERR_UNESCAPED_CHARACTERS, as node:http) before sending anything
 * when `path` holds a space, a control character or a non-ASCII character.
 */
export function requestEngine(
  endpoint: Endpoint,
  path: string,
  options: EngineRequestOptions,
): Promise<EngineResponse> {
  if (!isSendablePath(path)) {
    const error = new TypeError('Request path contains unescaped characters') as TypeError & {
      code: string;
    };
    error.code = 'ERR_UNESCAPED_CHARACTERS';
    return Promise.reject(error);
  }
  if (options.signal?.aborted) {
    return Promise.reject(
      new EngineRequestError(endpoint.address, 'aborted', 'request aborted', {
        cause: options.signal.reason,
      }),
    );
  }
  // Over ssh each new connection starts a remote `docker system dial-stdio`: a GET (safe to
  // send again) keeps its connection for the next one, so a refresh reuses it.
  const keepAlive =
    options.keepAlive === true ||
    (endpoint.kind === 'ssh' && (options.method ?? 'GET') === 'GET' && options.body === undefined);
  const request = formatRequest(endpoint, options.method ?? 'GET', path, options.body, keepAlive);
  return new Promise((resolve, reject) => {
    if (!keepAlive) {
      new Exchange(endpoint, request, options, resolve, reject);
      return;
    }
    const key = keepAliveKey(endpoint);
    // A retry keeps the first attempt's deadline: the request's time is counted from here.
    const once = {...options, startedAt: options.startedAt ?? performance.now()};
    const retry = (): void => {
      try {
        new Exchange(endpoint, request, once, resolve, reject, {
          key,
          socket: undefined,
          retry,
        });
      } catch (error) {
        reject(error);
      }
    };
    new Exchange(endpoint, request, once, resolve, reject, {
      key,
      socket: takeIdle(key),
      retry,
    });
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

/** Most of a refused stream's body read for its message (64 KiB). */
const maxRefusalBytes = 64 * 1024;

/**
 * Reads the refusal (404, 500...) of a streaming request (events, logs) for the engine's
 * message, then calls `fail` once with an EngineStatusError: at the end of its body, or once
 * maxRefusalBytes have come. The rest is not read: a huge refusal body must neither be
 * drained nor turn the refusal into a timeout.
 */
export function readStreamRefusal(
  response: IncomingMessage,
  address: string,
  fail: (error: Error) => void,
): void {
  const status = response.statusCode ?? 0;
  const chunks: Buffer[] = [];
  let received = 0;
  let isDone = false;
  const refused = (): void => {
    if (isDone) {
      return;
    }
    isDone = true;
    const body = Buffer.concat(chunks).subarray(0, maxRefusalBytes).toString('utf8');
    fail(new EngineStatusError(address, status, readEngineMessage(body)));
  };
  response.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    received += chunk.length;
    if (received >= maxRefusalBytes) {
      refused();
    }
  });
  response.on('end', refused);
  response.on('error', refused);
  response.on('close', refused);
}

/** The error of an engine's answer with an unexpected status: its code and its message. */
export function statusError(address: string, response: EngineResponse): EngineStatusError {
  return new EngineStatusError(address, response.statusCode, readEngineMessage(response.body));
}
