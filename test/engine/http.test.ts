import {describe, expect, it} from 'vitest';
import {maxHeaderBytes} from '../../source/engine/http.js';
import {
  HttpResponseParser,
  maxChunkSizeLineBytes,
} from '../../source/engine/http-response-parser.js';
import {EngineRequestError} from '../../source/errors/engine-request-error.js';
import {ResponseTooLargeError} from '../../source/errors/response-too-large-error.js';

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
