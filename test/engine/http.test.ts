import {getEventListeners} from 'node:events';
import {createServer, type Server, type Socket} from 'node:net';
import {afterEach, describe, expect, it} from 'vitest';
import {parseEngineAddress} from '../../source/engine/endpoint.js';
import {maxHeaderBytes, requestEngine} from '../../source/engine/http.js';
import {
  HttpResponseParser,
  maxChunkSizeLineBytes,
} from '../../source/engine/http-response-parser.js';
import {EngineRequestError} from '../../source/errors/engine-request-error.js';
import {ResponseTooLargeError} from '../../source/errors/response-too-large-error.js';
import {type FakeEngine, rejection, startFakeEngine} from '../helpers/fake-engine.js';

const address = 'unix:///test/engine.sock';

/** What a parser made of an answer: the response, or the error's class and kind. */
type Outcome =
  | {statusCode: number; headers: Record<string, unknown>; body: string}
  | {incomplete: true}
  | {error: string; kind: string};

interface FeedOptions {
  /** Tell the parser the connection ended after the last byte. */
  readonly close?: boolean;
  readonly bodyLimit?: number;
  readonly headerLimit?: number;
}

function describeError(error: unknown): Outcome {
  if (error instanceof EngineRequestError) {
    return {error: 'EngineRequestError', kind: error.failure};
  }
  if (error instanceof ResponseTooLargeError) {
    return {error: 'ResponseTooLargeError', kind: error.part};
  }
  throw error;
}

/** Feeds `pieces` to a fresh parser and says what came of it. */
function feed(pieces: readonly Buffer[], options: FeedOptions = {}): Outcome {
  const parser = new HttpResponseParser(
    address,
    options.bodyLimit ?? 1024 * 1024,
    options.headerLimit ?? maxHeaderBytes,
  );
  try {
    for (const piece of pieces) {
      // Each piece in a Buffer of its own, as a socket would give it.
      parser.push(Buffer.from(piece));
    }
    if (options.close) {
      parser.end();
    }
  } catch (error) {
    return describeError(error);
  }
  if (!parser.complete) {
    return {incomplete: true};
  }
  return {statusCode: parser.statusCode, headers: {...parser.headers}, body: parser.body};
}

/** The answer whole, byte by byte, and cut in two at every byte (up to `maxCuts` cuts). */
function splits(input: Buffer, maxCuts = 400): Buffer[][] {
  const result: Buffer[][] = [[input], [...input].map((byte) => Buffer.from([byte]))];
  const step = Math.max(1, Math.floor(input.length / maxCuts));
  for (let cut = 1; cut < input.length; cut += step) {
    result.push([input.subarray(0, cut), input.subarray(cut)]);
  }
  return result;
}

/** The one outcome of `input` however it is split (fails when two splits disagree). */
function parse(input: string | Buffer, options: FeedOptions = {}): Outcome {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  const [first, ...others] = splits(bytes).map((pieces) => feed(pieces, options));
  for (const other of others) {
    expect(other).toEqual(first);
  }
  return first as Outcome;
}

const chunked = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n';

describe('HttpResponseParser', () => {
  it('reads a Content-Length answer, headers lower-cased and trimmed', () => {
    expect(
      parse(
        'HTTP/1.1 200 OK\r\nContent-Type:  application/json\t\r\nContent-Length: 8\r\n\r\n[1,"é"]',
      ),
    ).toEqual({
      statusCode: 200,
      headers: {'content-type': 'application/json', 'content-length': '8'},
      body: '[1,"é"]',
    });
  });

  it('decodes UTF-8 split across pushes and chunks once, at the end', () => {
    const body = Buffer.from('["🐳 é"]', 'utf8');
    const answer = Buffer.concat([
      Buffer.from(`${chunked}3\r\n`),
      body.subarray(0, 3),
      Buffer.from('\r\n'),
      Buffer.from(`${(body.length - 3).toString(16)}\r\n`),
      body.subarray(3),
      Buffer.from('\r\n0\r\n\r\n'),
    ]);
    expect(parse(answer)).toMatchObject({statusCode: 200, body: '["🐳 é"]'});
  });

  it('ignores bytes after a complete answer', () => {
    expect(parse('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n[]garbage')).toMatchObject({
      body: '[]',
    });
  });

  it('joins repeated headers with ", ", keeps set-cookie as an array, accepts agreeing Content-Length', () => {
    expect(
      parse(
        'HTTP/1.1 200 OK\r\nX-A: 1\r\nx-a: 2\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nContent-Length: 2\r\ncontent-length: 2\r\nEmpty:\r\n\r\n[]',
      ),
    ).toEqual({
      statusCode: 200,
      headers: {'x-a': '1, 2', 'set-cookie': ['a=1', 'b=2'], 'content-length': '2', empty: ''},
      body: '[]',
    });
  });

  it('does not confuse header names with Object.prototype members', () => {
    expect(
      parse('HTTP/1.1 200 OK\r\nConstructor: x\r\n__proto__: y\r\nContent-Length: 0\r\n\r\n'),
    ).toEqual({statusCode: 200, headers: {constructor: 'x', 'content-length': '0'}, body: ''});
  });

  it('reads a chunked body with extensions and trailers, and drops the trailers', () => {
    expect(
      parse(
        `${chunked}5;name=value\r\n[1,2,\r\n3 ; a ; b="c"\r\n3]\n\r\n0;last\r\nX-Trailer: yes\r\nOther: 1\r\n\r\n`,
      ),
    ).toEqual({
      statusCode: 200,
      headers: {'transfer-encoding': 'chunked'},
      body: '[1,2,3]\n',
    });
  });

  it('accepts a chunked body closed right after its last chunk line, not earlier or later', () => {
    expect(parse(`${chunked}2\r\n[]\r\n0\r\n`, {close: true})).toMatchObject({body: '[]'});
    expect(parse(`${chunked}2\r\n[]\r\n0\r\n`)).toEqual({incomplete: true});
    expect(parse(`${chunked}2\r\n[]\r\n0\r\n\r`, {close: true})).toEqual({
      error: 'EngineRequestError',
      kind: 'truncated',
    });
    expect(parse(`${chunked}2\r\n[]\r\n0\r\nX-T: 1\r\n`, {close: true})).toEqual({
      error: 'EngineRequestError',
      kind: 'truncated',
    });
    expect(parse(`${chunked}2\r\n[]\r\n0`, {close: true})).toEqual({
      error: 'EngineRequestError',
      kind: 'truncated',
    });
    expect(parse(`${chunked}4\r\n[]`, {close: true})).toEqual({
      error: 'EngineRequestError',
      kind: 'truncated',
    });
  });

  it('says how many body bytes arrived when truncated, and when nothing was answered', () => {
    const parser = new HttpResponseParser(address, 1000, 1000);
    parser.push(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n[1,2'));
    expect(() => parser.end()).toThrow('after 4 bytes of the body');
    const silent = new HttpResponseParser(address, 1000, 1000);
    silent.push(Buffer.from('HTTP/1.1 200'));
    expect(() => silent.end()).toThrow('closed the connection before answering');
  });

  it('prefers chunked over Content-Length, and reads a non-chunked coding to the end', () => {
    expect(
      parse(
        `HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n[]\r\n0\r\n\r\n`,
      ),
    ).toMatchObject({body: '[]'});
    expect(
      parse('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, Identity\r\n\r\n[1]', {close: true}),
    ).toMatchObject({body: '[1]'});
    expect(
      parse('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, CHUNKED\r\n\r\n2\r\n[]\r\n0\r\n\r\n'),
    ).toMatchObject({body: '[]'});
  });

  it('reads a body that runs to the end of the connection (HTTP/1.0)', () => {
    expect(parse('HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nhello')).toEqual({
      incomplete: true,
    });
    expect(
      parse('HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nhello', {close: true}),
    ).toEqual({statusCode: 200, headers: {'content-type': 'text/plain'}, body: 'hello'});
    expect(parse('HTTP/1.0 200 OK\r\n\r\n', {close: true})).toMatchObject({body: ''});
  });

  it('gives 204 and 304 no body, even with a Content-Length', () => {
    expect(parse('HTTP/1.1 204 No Content\r\n\r\n')).toMatchObject({statusCode: 204, body: ''});
    expect(parse('HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n')).toMatchObject({
      statusCode: 304,
      body: '',
    });
    expect(parse('HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n')).toMatchObject({
      statusCode: 200,
      body: '',
    });
  });

  it('skips 1xx answers (100, 102, 103) and reads the next head; refuses 101', () => {
    expect(
      parse(
        'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\nX-A: 1\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}',
      ),
    ).toEqual({statusCode: 201, headers: {'content-length': '2'}, body: '{}'});
    expect(parse('HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n')).toEqual({
      error: 'EngineRequestError',
      kind: 'protocol',
    });
  });

  it.each([
    ['a status code that is not a number', 'HTTP/1.1 abc OK\r\n\r\n'],
    ['a two-digit status code', 'HTTP/1.1 20 OK\r\n\r\n'],
    ['a status code with a leading zero', 'HTTP/1.1 020 OK\r\n\r\n'],
    ['HTTP/2 in a status line', 'HTTP/2.0 200 OK\r\n\r\n'],
    ['no space after the status code', 'HTTP/1.1 200OK\r\n\r\n'],
    ['a control character in the reason', 'HTTP/1.1 200 O\x01K\r\n\r\n'],
    ['not HTTP at all', 'SSH-2.0-OpenSSH_9.2\r\n\r\n'],
    ['a header line without a colon', 'HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n'],
    ['a header line without a name', 'HTTP/1.1 200 OK\r\n: value\r\n\r\n'],
    ['a space before the colon', 'HTTP/1.1 200 OK\r\nName : value\r\n\r\n'],
    ['an invalid character in a name', 'HTTP/1.1 200 OK\r\nNa(me: value\r\n\r\n'],
    ['a control character in a value', 'HTTP/1.1 200 OK\r\nName: va\x00lue\r\n\r\n'],
    ['obs-fold', 'HTTP/1.1 200 OK\r\nX-Long: part one\r\n  part two\r\nContent-Length: 0\r\n\r\n'],
    ['a bare LF in the head', 'HTTP/1.1 200 OK\r\nA: 1\nB: 2\r\nContent-Length: 0\r\n\r\n'],
    ['a bare LF after the status line', 'HTTP/1.1 200 OK\nContent-Length: 0\n\n'],
    [
      'differing Content-Length values',
      'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n[]]',
    ],
    ['a Content-Length list that disagrees', 'HTTP/1.1 200 OK\r\nContent-Length: 2, 3\r\n\r\n[]]'],
    ['a signed Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: +2\r\n\r\n[]'],
    ['an empty Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n[]'],
    ['a bad hex digit in a chunk size', `${chunked}2g\r\n[]\r\n0\r\n\r\n`],
    ['an empty chunk size', `${chunked};ext\r\n[]\r\n0\r\n\r\n`],
    ['a negative chunk size', `${chunked}-2\r\n[]\r\n0\r\n\r\n`],
    ['a chunk size line ended by a bare LF', `${chunked}2\n[]\r\n0\r\n\r\n`],
    ['chunk data longer than its size', `${chunked}2\r\n[1]\r\n0\r\n\r\n`],
    ['chunk data followed by a bare LF', `${chunked}2\r\n[]\n0\r\n\r\n`],
    ['a trailer ended by a bare LF', `${chunked}2\r\n[]\r\n0\r\nX: 1\n\r\n`],
    ['a size line over the limit', `${chunked}2;${'x'.repeat(maxChunkSizeLineBytes)}\r\n[]\r\n`],
  ])('refuses %s as a protocol error', (_name, answer) => {
    expect(parse(answer)).toEqual({error: 'EngineRequestError', kind: 'protocol'});
  });

  it('accepts a size line right at the limit', () => {
    const line = `2;${'x'.repeat(maxChunkSizeLineBytes - 2)}`;
    expect(parse(`${chunked}${line}\r\n[]\r\n0\r\n\r\n`)).toMatchObject({body: '[]'});
  });

  it('refuses a non-HTTP answer as soon as its first bytes arrive', () => {
    const parser = new HttpResponseParser(address, 1000, 1000);
    expect(() => parser.push(Buffer.from('SSH-'))).toThrow(EngineRequestError);
    const late = new HttpResponseParser(address, 1000, 1000);
    late.push(Buffer.from('HTTP/1.1 20'));
    expect(() => late.push(Buffer.from('0x OK\r\n'))).toThrow('bad status');
  });

  it('refuses a head over the limit, counting 1xx heads too', () => {
    const limit = 200;
    const fill = (size: number): string => `X-Fill: ${'x'.repeat(size - 10)}\r\n`;
    const exact = `HTTP/1.1 200 OK\r\n${fill(limit - 17 - 2)}\r\n`;
    expect(Buffer.byteLength(exact)).toBe(limit);
    expect(parse(exact, {headerLimit: limit, close: true})).toMatchObject({statusCode: 200});
    const over = `HTTP/1.1 200 OK\r\n${fill(limit - 17 - 1)}\r\n`;
    expect(parse(over, {headerLimit: limit, close: true})).toEqual({
      error: 'ResponseTooLargeError',
      kind: 'headers',
    });
    // Never ending: refused once past the limit, without waiting for the end of the head.
    expect(parse(`HTTP/1.1 200 OK\r\n${fill(limit)}`, {headerLimit: limit})).toEqual({
      error: 'ResponseTooLargeError',
      kind: 'headers',
    });
    const informational = `HTTP/1.1 100 Continue\r\n${fill(120)}\r\n`;
    expect(parse(`${informational}${exact.slice(0, 90)}\r\n\r\n`, {headerLimit: limit})).toEqual({
      error: 'ResponseTooLargeError',
      kind: 'headers',
    });
  });

  it('refuses trailers over the header limit', () => {
    expect(parse(`${chunked}0\r\nX-T: ${'x'.repeat(300)}\r\n\r\n`, {headerLimit: 200})).toEqual({
      error: 'ResponseTooLargeError',
      kind: 'headers',
    });
  });

  it('refuses a body over the limit: declared, chunked or running to the end', () => {
    const limit = {bodyLimit: 10};
    expect(parse('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789', limit)).toMatchObject({
      body: '0123456789',
    });
    expect(parse('HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n', limit)).toEqual({
      error: 'ResponseTooLargeError',
      kind: 'body',
    });
    expect(
      parse('HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n', limit),
    ).toEqual({error: 'ResponseTooLargeError', kind: 'body'});
    expect(parse(`${chunked}5\r\n01234\r\n5\r\n56789\r\n0\r\n\r\n`, limit)).toMatchObject({
      body: '0123456789',
    });
    expect(parse(`${chunked}5\r\n01234\r\n6\r\n567890\r\n0\r\n\r\n`, limit)).toEqual({
      error: 'ResponseTooLargeError',
      kind: 'body',
    });
    expect(parse(`${chunked}ffffffffffffffffffffffff\r\n`, limit)).toEqual({
      error: 'ResponseTooLargeError',
      kind: 'body',
    });
    expect(parse('HTTP/1.0 200 OK\r\n\r\n0123456789A', limit)).toEqual({
      error: 'ResponseTooLargeError',
      kind: 'body',
    });
  });

  it('keeps its first error: later bytes change nothing', () => {
    const parser = new HttpResponseParser(address, 1000, 1000);
    expect(() => parser.push(Buffer.from('HTTP/1.1 abc\r\n\r\n'))).toThrow(EngineRequestError);
    expect(parser.push(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'))).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------

let engine: FakeEngine | undefined;
let tcpServer: Server | undefined;
afterEach(async () => {
  await engine?.close();
  engine = undefined;
  await new Promise<void>((resolve) => (tcpServer ? tcpServer.close(() => resolve()) : resolve()));
  tcpServer = undefined;
});

const endpointOf = (fake: FakeEngine) => parseEngineAddress(`unix://${fake.socketPath}`, 'test');

/** How many resources of these kinds are alive in this process (the fake engine's included). */
function live(kinds: readonly string[]): number {
  return process.getActiveResourcesInfo().filter((name) => kinds.includes(name)).length;
}
const sockets = ['PipeWrap', 'TCPWrap'];
const timers = ['Timeout'];

/**
 * Runs `request` against the fake engine and checks that no timer of it is left once it has
 * settled, and no socket once the engine has let go of its side.
 */
async function withoutLeftovers<T>(request: () => Promise<T>): Promise<T> {
  const socketsBefore = live(sockets);
  const timersBefore = live(timers);
  let result: {value: T} | {error: unknown};
  try {
    result = {value: await request()};
  } catch (error) {
    result = {error};
  }
  expect(live(timers)).toBeLessThanOrEqual(timersBefore);
  await expect.poll(() => live(sockets), {timeout: 2000}).toBeLessThanOrEqual(socketsBefore);
  if ('error' in result) {
    throw result.error;
  }
  return result.value;
}

/** Writes `bytes` one byte per write (each its own packet, or nearly). */
async function writeBytewise(socket: Socket, bytes: string): Promise<void> {
  for (const byte of Buffer.from(bytes)) {
    if (socket.destroyed) {
      return;
    }
    socket.write(Buffer.from([byte]));
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('requestEngine against a fake engine', () => {
  it('reads a Content-Length answer and sends a minimal GET', async () => {
    let head = '';
    engine = await startFakeEngine((socket, received) => {
      head = received;
      socket.end('HTTP/1.1 200 OK\r\nServer: Fake/1.0\r\nContent-Length: 8\r\n\r\n[1,"é"]');
    });
    const fake = engine;
    const response = await withoutLeftovers(() =>
      requestEngine(endpointOf(fake), '/containers/json', {timeoutMs: 2000}),
    );
    expect(response).toEqual({
      statusCode: 200,
      headers: {server: 'Fake/1.0', 'content-length': '8'},
      body: '[1,"é"]',
    });
    expect(head).toBe(
      'GET /containers/json HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n',
    );
  });

  it('answers as soon as the body is complete, without waiting for the connection to end', async () => {
    engine = await startFakeEngine((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n[]');
    });
    const fake = engine;
    const started = performance.now();
    const response = await withoutLeftovers(() =>
      requestEngine(endpointOf(fake), '/x', {timeoutMs: 5000}),
    );
    expect(response.body).toBe('[]');
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('reads a chunked answer written one byte at a time', async () => {
    const body = JSON.stringify([{Id: 'abc', Names: ['/é']}]);
    engine = await startFakeEngine((socket) => {
      void writeBytewise(
        socket,
        `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n${body.slice(0, 5)}\r\n${(Buffer.byteLength(body) - 5).toString(16)};x=y\r\n${body.slice(5)}\r\n0\r\nX-Trailer: 1\r\n\r\n`,
      ).then(() => socket.end());
    });
    const fake = engine;
    const response = await withoutLeftovers(() =>
      requestEngine(endpointOf(fake), '/containers/json', {timeoutMs: 5000}),
    );
    expect(response.body).toBe(body);
    expect(response.headers).toEqual({'transfer-encoding': 'chunked'});
  });

  it('reads chunks with extensions and trailers', async () => {
    engine = await startFakeEngine((socket) => {
      socket.end(
        'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;a=b\r\n[1,\r\n2 ;c\r\n2]\r\n0\r\nX-A: 1\r\nX-B: 2\r\n\r\n',
      );
    });
    const fake = engine;
    const response = await withoutLeftovers(() =>
      requestEngine(endpointOf(fake), '/x', {timeoutMs: 2000}),
    );
    expect(response.body).toBe('[1,2]');
    expect(response.headers['x-a']).toBeUndefined();
  });

  it('accepts a chunked answer closed right after its last chunk line', async () => {
    engine = await startFakeEngine((socket) => {
      socket.end('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n[]\r\n0\r\n');
    });
    const fake = engine;
    const response = await withoutLeftovers(() =>
      requestEngine(endpointOf(fake), '/x', {timeoutMs: 2000}),
    );
    expect(response).toMatchObject({statusCode: 200, body: '[]'});
  });

  it.each([
    [
      'a chunked body cut in a chunk',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n[{"Id":"a',
      'after 9 bytes of the body',
    ],
    [
      'a Content-Length body cut short',
      'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n[{"Id":',
      'after 7 bytes of the body',
    ],
    ['a head cut short', 'HTTP/1.1 200 OK\r\nContent-Le', 'before answering'],
    ['a close before any byte', '', 'before answering'],
    ['a close after a 100 Continue', 'HTTP/1.1 100 Continue\r\n\r\n', 'before answering'],
  ])('reports %s as truncated', async (_name, answer, message) => {
    engine = await startFakeEngine((socket) => {
      socket.end(answer);
    });
    const fake = engine;
    const error = await withoutLeftovers(() =>
      rejection(requestEngine(endpointOf(fake), '/x', {timeoutMs: 2000})),
    );
    expect(error).toBeInstanceOf(EngineRequestError);
    expect((error as EngineRequestError).failure).toBe('truncated');
    expect(error.message).toContain(message);
  });

  it('reports a connection reset in the body as truncated, with its code', async () => {
    // A reset needs TCP: a Unix socket has no RST.
    const server = createServer((socket) => {
      socket.once('data', () => {
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n[1,', () => {
          setTimeout(() => socket.resetAndDestroy(), 20);
        });
      });
    });
    tcpServer = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const {port} = server.address() as {port: number};
    const error = await withoutLeftovers(() =>
      rejection(
        requestEngine(parseEngineAddress(`tcp://127.0.0.1:${port}`, 'test'), '/x', {
          timeoutMs: 2000,
        }),
      ),
    );
    expect(error).toBeInstanceOf(EngineRequestError);
    expect(error).toMatchObject({failure: 'truncated', code: 'ECONNRESET'});
    expect(error.message).toContain('after 3 bytes of the body');
  });

  it('skips 1xx answers and reads the real one', async () => {
    engine = await startFakeEngine((socket) => {
      socket.write('HTTP/1.1 100 Continue\r\n\r\n');
      socket.write('HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n');
      socket.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}');
    });
    const fake = engine;
    const response = await withoutLeftovers(() =>
      requestEngine(endpointOf(fake), '/x', {timeoutMs: 2000}),
    );
    expect(response).toEqual({statusCode: 200, headers: {'content-length': '2'}, body: '{}'});
  });

  it('reads an HTTP/1.0 answer whose body runs to the end of the connection', async () => {
    engine = await startFakeEngine((socket) => {
      socket.write('HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n[1,');
      setTimeout(() => socket.end('2]'), 20);
    });
    const fake = engine;
    const response = await withoutLeftovers(() =>
      requestEngine(endpointOf(fake), '/x', {timeoutMs: 2000}),
    );
    expect(response).toEqual({
      statusCode: 200,
      headers: {'content-type': 'application/json'},
      body: '[1,2]',
    });
  });

  it.each([
    ['101 Switching Protocols', 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: tcp\r\n\r\n'],
    ['a bad chunk size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'],
    [
      'a huge chunk size line',
      `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;${'x'.repeat(10_000)}`,
    ],
    [
      'differing Content-Length values',
      'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 4\r\n\r\n[]',
    ],
    ['obs-fold', 'HTTP/1.1 200 OK\r\nX-A: one\r\n two\r\nContent-Length: 2\r\n\r\n[]'],
    ['an invalid status line', 'HTTP/1.1 abc\r\nContent-Length: 2\r\n\r\n[]'],
    ['non-HTTP garbage', 'SSH-2.0-OpenSSH_9.2p1\r\n'],
  ])('refuses %s as a protocol error, before the deadline', async (_name, answer) => {
    engine = await startFakeEngine((socket) => {
      // Left open: the refusal must not wait for the end of the connection.
      socket.write(answer);
    });
    const fake = engine;
    const error = await withoutLeftovers(() =>
      rejection(requestEngine(endpointOf(fake), '/x', {timeoutMs: 5000})),
    );
    expect(error).toBeInstanceOf(EngineRequestError);
    expect((error as EngineRequestError).failure).toBe('protocol');
    expect(error.message).toContain('invalid HTTP answer');
  });

  it('refuses a header flood over 64 KiB sent in many small writes', async () => {
    let closed = false;
    engine = await startFakeEngine((socket) => {
      socket.on('close', () => {
        closed = true;
      });
      socket.write('HTTP/1.1 200 OK\r\n');
      let index = 0;
      const flood = (): void => {
        for (let batch = 0; batch < 50 && !socket.destroyed; batch++, index++) {
          socket.write(`X-Flood-${index}: ${'x'.repeat(60)}\r\n`);
        }
        if (!socket.destroyed && index < 5000) {
          setImmediate(flood);
        }
      };
      flood();
    });
    const fake = engine;
    const error = await withoutLeftovers(() =>
      rejection(requestEngine(endpointOf(fake), '/x', {timeoutMs: 5000})),
    );
    expect(error).toBeInstanceOf(ResponseTooLargeError);
    expect((error as ResponseTooLargeError).part).toBe('headers');
    expect((error as ResponseTooLargeError).limitBytes).toBe(maxHeaderBytes);
    await expect.poll(() => closed).toBe(true);
  });

  it('refuses a declared Content-Length over the limit before reading the body', async () => {
    engine = await startFakeEngine((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 1001\r\n\r\n[');
    });
    const fake = engine;
    const error = await withoutLeftovers(() =>
      rejection(requestEngine(endpointOf(fake), '/x', {timeoutMs: 5000, maxBodyBytes: 1000})),
    );
    expect(error).toBeInstanceOf(ResponseTooLargeError);
    expect(error).toMatchObject({part: 'body', limitBytes: 1000});
  });

  it('refuses a body over maxBodyBytes and closes the connection at once', async () => {
    let closed = false;
    let written = 0;
    engine = await startFakeEngine((socket) => {
      socket.on('close', () => {
        closed = true;
      });
      socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n');
      const pump = (): void => {
        if (socket.destroyed || written > 10_000_000) {
          return;
        }
        written += 1000;
        socket.write(`3e8\r\n${'x'.repeat(1000)}\r\n`);
        setImmediate(pump);
      };
      pump();
    });
    const fake = engine;
    const error = await withoutLeftovers(() =>
      rejection(requestEngine(endpointOf(fake), '/x', {timeoutMs: 5000, maxBodyBytes: 4500})),
    );
    expect(error).toBeInstanceOf(ResponseTooLargeError);
    expect(error).toMatchObject({part: 'body', limitBytes: 4500});
    await expect.poll(() => closed).toBe(true);
    expect(written).toBeLessThan(1_000_000);
  });

  it('times out on an engine that never answers', async () => {
    engine = await startFakeEngine(() => {});
    const fake = engine;
    const started = performance.now();
    const error = await withoutLeftovers(() =>
      rejection(requestEngine(endpointOf(fake), '/x', {timeoutMs: 150})),
    );
    expect(error).toBeInstanceOf(EngineRequestError);
    expect((error as EngineRequestError).failure).toBe('timeout');
    expect(error.message).toContain('within 150 ms');
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('stops at an abort in the middle, and removes its abort listener on every path', async () => {
    engine = await startFakeEngine(() => {});
    const fake = engine;
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('user quit')), 50);
    const error = await withoutLeftovers(() =>
      rejection(
        requestEngine(endpointOf(fake), '/x', {timeoutMs: 5000, signal: controller.signal}),
      ),
    );
    expect(error).toBeInstanceOf(EngineRequestError);
    expect((error as EngineRequestError).failure).toBe('aborted');
    expect(error.cause).toEqual(new Error('user quit'));

    await engine.close();
    engine = await startFakeEngine((socket) =>
      socket.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n[]'),
    );
    const signal = new AbortController().signal;
    await requestEngine(endpointOf(engine), '/x', {timeoutMs: 5000, signal});
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
    await rejection(
      requestEngine(parseEngineAddress('unix:///nonexistent/x.sock', 'test'), '/x', {
        timeoutMs: 5000,
        signal,
      }),
    );
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
  });

  it('refuses at once, connecting nowhere, when the signal has already fired', async () => {
    engine = await startFakeEngine((socket) => socket.end('HTTP/1.1 204 No Content\r\n\r\n'));
    const fake = engine;
    const error = await withoutLeftovers(() =>
      rejection(
        requestEngine(endpointOf(fake), '/x', {timeoutMs: 5000, signal: AbortSignal.abort()}),
      ),
    );
    expect(error).toBeInstanceOf(EngineRequestError);
    expect((error as EngineRequestError).failure).toBe('aborted');
    expect(fake.requests).toEqual([]);
  });

  it('sends a POST body as JSON with its length', async () => {
    let received = '';
    engine = await startFakeEngine((socket, head) => {
      received = head;
      const answer = (): void => {
        const [, body = ''] = received.split('\r\n\r\n');
        if (Buffer.byteLength(body, 'latin1') >= Buffer.byteLength('{"Name":"é"}')) {
          socket.end('HTTP/1.1 201 Created\r\nContent-Length: 9\r\n\r\n{"Id":""}');
        }
      };
      socket.on('data', (chunk: Buffer) => {
        received += chunk.toString('latin1');
        answer();
      });
      answer();
    });
    const fake = engine;
    const response = await withoutLeftovers(() =>
      requestEngine(endpointOf(fake), '/containers/create?name=x', {
        method: 'POST',
        timeoutMs: 2000,
        body: '{"Name":"é"}',
      }),
    );
    expect(response.statusCode).toBe(201);
    expect(Buffer.from(received, 'latin1').toString('utf8')).toBe(
      'POST /containers/create?name=x HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{"Name":"é"}',
    );
  });

  it('sends a POST without a body with Content-Length: 0, as node:http did', async () => {
    let head = '';
    engine = await startFakeEngine((socket, received) => {
      head = received;
      socket.end('HTTP/1.1 204 No Content\r\n\r\n');
    });
    const fake = engine;
    const response = await withoutLeftovers(() =>
      requestEngine(endpointOf(fake), '/containers/abc/kill', {method: 'POST', timeoutMs: 2000}),
    );
    expect(response).toEqual({statusCode: 204, headers: {}, body: ''});
    expect(head).toBe(
      'POST /containers/abc/kill HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 0\r\n\r\n',
    );
  });

  it.each([
    '/containers/json\r\nX-Injected: 1',
    '/a\nb',
    '/a b',
    '/a\tb',
    '/a\u0000b',
    '/a\u007fb',
    '/é',
    '',
  ])('refuses the path %j with a TypeError before sending anything', async (path) => {
    engine = await startFakeEngine((socket) => socket.end('HTTP/1.1 204 No Content\r\n\r\n'));
    const fake = engine;
    const error = await withoutLeftovers(() =>
      rejection(requestEngine(endpointOf(fake), path, {timeoutMs: 2000})),
    );
    expect(error).toBeInstanceOf(TypeError);
    expect(error).toMatchObject({code: 'ERR_UNESCAPED_CHARACTERS'});
    expect(fake.requests).toEqual([]);
  });

  it('reports a missing socket as a connect failure with its hint', async () => {
    const error = await withoutLeftovers(() =>
      rejection(
        requestEngine(parseEngineAddress('unix:///nonexistent/x.sock', 'test'), '/x', {
          timeoutMs: 2000,
        }),
      ),
    );
    expect(error).toBeInstanceOf(EngineRequestError);
    expect(error).toMatchObject({failure: 'connect', code: 'ENOENT'});
    expect(error.message).toContain('no socket there');
  });

  it('speaks TCP with Host host:port, and reports a refused port as a connect failure', async () => {
    let head = '';
    const server = createServer((socket) => {
      socket.once('data', (chunk) => {
        head = chunk.toString('latin1');
        socket.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n[]');
      });
    });
    tcpServer = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const {port} = server.address() as {port: number};
    const response = await withoutLeftovers(() =>
      requestEngine(parseEngineAddress(`tcp://127.0.0.1:${port}`, 'test'), '/_ping', {
        timeoutMs: 2000,
      }),
    );
    expect(response.body).toBe('[]');
    expect(head).toBe(
      `GET /_ping HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`,
    );

    await new Promise<void>((resolve) => server.close(() => resolve()));
    tcpServer = undefined;
    const error = await withoutLeftovers(() =>
      rejection(
        requestEngine(parseEngineAddress(`tcp://127.0.0.1:${port}`, 'test'), '/_ping', {
          timeoutMs: 2000,
        }),
      ),
    );
    expect(error).toBeInstanceOf(EngineRequestError);
    expect(error).toMatchObject({failure: 'connect', code: 'ECONNREFUSED'});
  });

  it('puts an IPv6 host in brackets in Host', async () => {
    let head = '';
    const server = createServer((socket) => {
      socket.once('data', (chunk) => {
        head = chunk.toString('latin1');
        socket.end('HTTP/1.1 204 No Content\r\n\r\n');
      });
    });
    tcpServer = server;
    const listening = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(0, '::1', () => resolve(true));
    });
    if (!listening) {
      tcpServer = undefined;
      return; // No IPv6 loopback here.
    }
    const {port} = server.address() as {port: number};
    await requestEngine(parseEngineAddress(`tcp://[::1]:${port}`, 'test'), '/_ping', {
      timeoutMs: 2000,
    });
    expect(head).toContain(`\r\nHost: [::1]:${port}\r\n`);
  });
});
