/**
 * Seeded properties of the HTTP response parser (source/engine/http-response-parser.ts):
 * a valid answer parses to the same status, headers and body however its bytes are split
 * into reads; any bytes at all end in a complete answer, a wait for more, or a typed error
 * (never another exception), and the outcome does not depend on where the reads were cut.
 */
import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {HttpResponseParser} from '../../source/engine/http-response-parser.js';
import {EngineRequestError} from '../../source/errors/engine-request-error.js';
import {ResponseTooLargeError} from '../../source/errors/response-too-large-error.js';

const address = 'unix:///test/engine.sock';
const seed = 20_261_130;

/** What the parser made of some bytes: the answer, "needs more", or the kind of typed error. */
type Outcome =
  | {readonly statusCode: number; readonly headers: object; readonly body: string}
  | {readonly incomplete: true}
  | {readonly error: string};

interface Limits {
  readonly body: number;
  readonly header: number;
}

const defaultLimits: Limits = {body: 64 * 1024, header: 8 * 1024};

/**
 * Feeds `pieces` (each copied into a Buffer of its own, as reads come) to a fresh parser,
 * then tells it the connection ended when `close`. Any exception but the two typed errors
 * propagates and fails the property.
 */
function feed(pieces: readonly Uint8Array[], close: boolean, limits = defaultLimits): Outcome {
  const parser = new HttpResponseParser(address, limits.body, limits.header);
  try {
    for (const piece of pieces) {
      parser.push(Buffer.from(piece));
    }
    if (close) {
      parser.end();
    }
  } catch (error) {
    if (error instanceof EngineRequestError) {
      return {error: `EngineRequestError ${error.failure}`};
    }
    if (error instanceof ResponseTooLargeError) {
      return {error: `ResponseTooLargeError ${error.part}`};
    }
    throw error;
  }
  if (!parser.complete) {
    return {incomplete: true};
  }
  return {statusCode: parser.statusCode, headers: {...parser.headers}, body: parser.body};
}

/** `bytes` cut at `cuts` (positions taken modulo its length; repeats make empty reads). */
function split(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  if (bytes.length === 0) {
    return [bytes];
  }
  const positions = cuts.map((cut) => cut % (bytes.length + 1)).sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let start = 0;
  for (const position of positions) {
    pieces.push(bytes.subarray(start, position));
    start = position;
  }
  pieces.push(bytes.subarray(start));
  return pieces;
}

const cutsArbitrary = fc.array(fc.nat(), {maxLength: 12});

// --- valid answers ---------------------------------------------------------------------------

const tchars = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
/** Text whose characters are picked from `alphabet` by random bytes (cheaper to make than per-character arbitraries). */
function textOf(alphabet: string, constraints: {minLength?: number; maxLength: number}) {
  return fc
    .uint8Array(constraints)
    .map((bytes) => Array.from(bytes, (byte) => alphabet[byte % alphabet.length]).join(''));
}
const tokenArbitrary = textOf(tchars, {minLength: 1, maxLength: 12});
let visible = '';
for (let code = 0x21; code <= 0x7e; code++) {
  visible += String.fromCharCode(code);
}
/** A field value: visible ASCII, some obs-text (Latin-1), inner spaces and tabs; trimmed. */
const valueArbitrary = textOf(`${visible}      \t\t\u00e9\u00ff\u0080`, {maxLength: 30}).map(
  (value) => value.replace(/^[ \t]+|[ \t]+$/g, ''),
);
const framingNames = new Set(['content-length', 'transfer-encoding']);
const headerArbitrary = fc.record({
  name: fc.oneof(
    {weight: 12, arbitrary: tokenArbitrary},
    {weight: 1, arbitrary: fc.constantFrom('Set-Cookie', 'X-Dup', '__proto__', 'constructor')},
  ),
  value: valueArbitrary,
  // Spaces and tabs around the value, which the parser trims.
  before: fc.constantFrom('', ' ', '  ', '\t'),
  after: fc.constantFrom('', ' ', '\t '),
});

interface ValidAnswer {
  readonly bytes: Uint8Array;
  /** Whether the answer ends only with the connection (no length, not chunked). */
  readonly closeDelimited: boolean;
  readonly expected: Outcome;
}

const hex = (size: number, upper: boolean, zeros: number): string => {
  const text = size.toString(16);
  return '0'.repeat(zeros) + (upper ? text.toUpperCase() : text);
};

const validAnswerArbitrary: fc.Arbitrary<ValidAnswer> = fc
  .record({
    interim: fc.array(
      fc.record({
        status: fc.constantFrom(100, 102, 103),
        headers: fc.array(headerArbitrary, {maxLength: 2}),
      }),
      {maxLength: 3},
    ),
    version: fc.constantFrom('1.1', '1.0'),
    status: fc.oneof(
      {weight: 10, arbitrary: fc.integer({min: 200, max: 599})},
      {weight: 1, arbitrary: fc.constantFrom(204, 304)},
    ),
    reason: textOf(`${visible} \t`, {maxLength: 20}),
    headers: fc.array(headerArbitrary, {maxLength: 6}),
    body: fc.oneof(
      fc.uint8Array({maxLength: 400}),
      fc.string({unit: 'grapheme', maxLength: 40}).map((text) => Buffer.from(text, 'utf8')),
    ),
    framing: fc.constantFrom('length', 'chunked', 'close'),
    chunking: fc.record({
      sizes: fc.array(fc.integer({min: 1, max: 64}), {minLength: 1, maxLength: 8}),
      upper: fc.boolean(),
      zeros: fc.integer({min: 0, max: 3}),
      extension: fc.constantFrom('', ';a=b', ' ;x', ';q="v w"', '\t;e'),
      trailers: fc.array(fc.tuple(tokenArbitrary, valueArbitrary), {maxLength: 2}),
      lastZeros: fc.integer({min: 1, max: 3}),
    }),
    garbageAfter: fc.uint8Array({maxLength: 20}),
  })
  .map((answer) => {
    const headers = answer.headers.filter((header) => !framingNames.has(header.name.toLowerCase()));
    const noBody = answer.status === 204 || answer.status === 304;
    const body = noBody ? new Uint8Array(0) : answer.body;
    const framing = noBody && answer.framing === 'close' ? 'length' : answer.framing;
    const head: string[] = [];
    for (const interim of answer.interim) {
      head.push(`HTTP/1.1 ${interim.status} Info\r\n`);
      for (const header of interim.headers) {
        head.push(`${header.name}:${header.before}${header.value}${header.after}\r\n`);
      }
      head.push('\r\n');
    }
    head.push(`HTTP/${answer.version} ${answer.status} ${answer.reason}\r\n`);
    for (const header of headers) {
      head.push(`${header.name}:${header.before}${header.value}${header.after}\r\n`);
    }
    const fields = [...headers.map((header) => [header.name.toLowerCase(), header.value] as const)];
    let framed: Buffer;
    if (framing === 'length') {
      head.push(`Content-Length: ${body.length}\r\n`);
      fields.push(['content-length', String(body.length)]);
      framed = Buffer.from(body);
    } else if (framing === 'chunked') {
      head.push('Transfer-Encoding: chunked\r\n');
      fields.push(['transfer-encoding', 'chunked']);
      const {sizes, upper, zeros, extension, trailers, lastZeros} = answer.chunking;
      const parts: Buffer[] = [];
      let offset = 0;
      for (let index = 0; offset < body.length; index++) {
        const size = Math.min(sizes[index % sizes.length] as number, body.length - offset);
        parts.push(Buffer.from(`${hex(size, upper, zeros)}${extension}\r\n`, 'latin1'));
        parts.push(Buffer.from(body.subarray(offset, offset + size)));
        parts.push(Buffer.from('\r\n'));
        offset += size;
      }
      parts.push(Buffer.from(`${'0'.repeat(lastZeros)}${extension}\r\n`, 'latin1'));
      for (const [name, value] of trailers) {
        parts.push(Buffer.from(`${name}: ${value}\r\n`, 'latin1'));
      }
      parts.push(Buffer.from('\r\n'));
      framed = Buffer.concat(parts);
    } else {
      framed = Buffer.from(body);
    }
    head.push('\r\n');
    const closeDelimited = framing === 'close';
    const bytes = Buffer.concat([
      Buffer.from(head.join(''), 'latin1'),
      // A 204 or 304 ends at its head whatever its framing says.
      noBody ? Buffer.alloc(0) : framed,
      // After a complete answer, later bytes are ignored (none after a close-delimited one).
      closeDelimited ? Buffer.alloc(0) : Buffer.from(answer.garbageAfter),
    ]);
    return {
      bytes,
      closeDelimited,
      expected: {
        statusCode: answer.status,
        headers: expectedHeaders(fields),
        body: Buffer.from(body).toString('utf8'),
      },
    };
  });

/** The headers object of `fields`: repeats joined with ", ", set-cookie a list, __proto__ dropped. */
function expectedHeaders(fields: ReadonlyArray<readonly [string, string]>): object {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of fields) {
    if (name === '__proto__') {
      continue;
    }
    const known = Object.hasOwn(headers, name) ? headers[name] : undefined;
    if (name === 'set-cookie') {
      headers[name] = [...((known as string[] | undefined) ?? []), value];
    } else {
      headers[name] = known === undefined ? value : `${known}, ${value}`;
    }
  }
  return headers;
}

describe('HttpResponseParser on valid answers (fast-check, seeded)', () => {
  it('gives the same status, headers and body however the bytes are split into reads', () => {
    fc.assert(
      fc.property(validAnswerArbitrary, cutsArbitrary, (answer, cuts) => {
        const whole = feed([answer.bytes], answer.closeDelimited);
        expect(whole).toEqual(answer.expected);
        expect(feed(split(answer.bytes, cuts), answer.closeDelimited)).toEqual(answer.expected);
        if (answer.closeDelimited) {
          // Without the end of the connection, a close-delimited body is never complete.
          expect(feed(split(answer.bytes, cuts), false)).toEqual({incomplete: true});
        }
      }),
      {seed, numRuns: 3000},
    );
  });

  it('byte by byte too', () => {
    fc.assert(
      fc.property(validAnswerArbitrary, (answer) => {
        const bytes = [...answer.bytes].map((byte) => Uint8Array.of(byte));
        expect(feed(bytes, answer.closeDelimited)).toEqual(answer.expected);
      }),
      {seed, numRuns: 1000},
    );
  });

  it('a valid answer cut anywhere before its end is incomplete, then truncated at the close', () => {
    fc.assert(
      fc.property(validAnswerArbitrary, fc.nat(), cutsArbitrary, (answer, at, cuts) => {
        fc.pre(!answer.closeDelimited);
        // How many bytes the answer takes, as the parser reads it byte by byte.
        const parser = new HttpResponseParser(address, defaultLimits.body, defaultLimits.header);
        const bytes = Buffer.from(answer.bytes);
        let length = 0;
        while (length < bytes.length && !parser.push(bytes.subarray(length, length + 1))) {
          length++;
        }
        length++;
        const cut = bytes.subarray(0, at % length);
        expect(feed(split(cut, cuts), false)).toEqual({incomplete: true});
        const closed = feed(split(cut, cuts), true);
        // A chunked body closed right after its last chunk line is accepted (the one
        // tolerance); every other early close is truncated.
        if ('statusCode' in closed) {
          expect(closed).toEqual(answer.expected);
          expect(Buffer.from(cut).toString('latin1')).toMatch(/\r\n0+[^\r\n]*\r\n$/);
        } else {
          expect(closed).toEqual({error: 'EngineRequestError truncated'});
        }
      }),
      {seed, numRuns: 2000},
    );
  });
});

describe('HttpResponseParser on any bytes (fast-check, seeded)', () => {
  const limitsArbitrary = fc.record({
    body: fc.integer({min: 0, max: 600}),
    header: fc.integer({min: 8, max: 400}),
  });

  /** The same bytes give the same outcome read whole, byte by byte, and cut anywhere. */
  function checkAnyBytes(
    bytes: Uint8Array,
    cuts: readonly number[],
    close: boolean,
    limits: Limits,
  ) {
    const whole = feed([bytes], close, limits);
    expect(feed(split(bytes, cuts), close, limits)).toEqual(whole);
    expect(
      feed(
        [...bytes].map((byte) => Uint8Array.of(byte)),
        close,
        limits,
      ),
    ).toEqual(whole);
  }

  it('random bytes: only typed errors, and the same outcome however split', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({maxLength: 300}),
          // Bytes after a plausible start, so the parser gets past the status line.
          fc
            .tuple(
              fc.constantFrom('HTTP/1.1 200 OK\r\n', 'HTTP/1.0 100 C\r\n\r\nHTTP/1.1 2', 'HTTP/1.'),
              fc.uint8Array({maxLength: 300}),
            )
            .map(([start, rest]) => Buffer.concat([Buffer.from(start), rest])),
        ),
        cutsArbitrary,
        fc.boolean(),
        limitsArbitrary,
        (bytes, cuts, close, limits) => checkAnyBytes(bytes, cuts, close, limits),
      ),
      {seed, numRuns: 3000},
    );
  });

  it('header and trailer sections of a few telling bytes, near the limits: the same outcome however split', () => {
    // Lines of a few telling bytes, most ended by CRLF, some by a bare LF or CR or nothing.
    const telling = [...'a:; \t\r0'].map((char) => char.charCodeAt(0)).concat([0x00, 0x80]);
    const line = fc
      .tuple(
        fc.array(fc.constantFrom(...telling), {maxLength: 40, size: 'max'}),
        fc.constantFrom('\r\n', '\r\n', '\r\n', '\r\n', '\n', '\r', ''),
      )
      .map(([bytes, end]) => Buffer.concat([Buffer.from(bytes), Buffer.from(end)]));
    const section = fc
      .array(line, {maxLength: 8, size: 'max'})
      .map((lines) => Buffer.concat(lines));
    const head = 'HTTP/1.1 200 OK\r\n';
    const chunkedHead = `${head}Transfer-Encoding: chunked\r\n\r\n`;
    fc.assert(
      fc.property(
        fc.constantFrom('head', 'trailers'),
        section,
        fc.integer({min: 0, max: 40}),
        cutsArbitrary,
        fc.boolean(),
        (where, bytes, slack, cuts, close) => {
          const answer =
            where === 'head'
              ? Buffer.concat([Buffer.from(head), bytes, Buffer.from('\r\n\r\nbody')])
              : Buffer.concat([
                  Buffer.from(`${chunkedHead}2\r\n[]\r\n0\r\n`),
                  bytes,
                  Buffer.from('\r\n\r\n'),
                ]);
          const limits = {
            body: 100,
            header: (where === 'head' ? head : chunkedHead).length + slack,
          };
          checkAnyBytes(answer, cuts, close, limits);
        },
      ),
      {seed, numRuns: 2000},
    );
  });

  it('valid answers with bytes flipped, inserted or removed: only typed errors, the same outcome however split', () => {
    const editArbitrary = fc.tuple(
      fc.constantFrom('flip', 'insert', 'remove'),
      fc.nat(),
      fc.constantFrom(0x0d, 0x0a, 0x20, 0x3a, 0x3b, 0x30, 0x66, 0x2d, 0x00, 0xff, 0x09),
    );
    fc.assert(
      fc.property(
        validAnswerArbitrary,
        fc.array(editArbitrary, {minLength: 1, maxLength: 4}),
        cutsArbitrary,
        fc.boolean(),
        limitsArbitrary,
        (answer, edits, cuts, close, limits) => {
          let bytes = Buffer.from(answer.bytes);
          for (const [kind, at, byte] of edits) {
            const position = at % (bytes.length + 1);
            bytes =
              kind === 'insert'
                ? Buffer.concat([
                    bytes.subarray(0, position),
                    Uint8Array.of(byte),
                    bytes.subarray(position),
                  ])
                : kind === 'remove'
                  ? Buffer.concat([bytes.subarray(0, position), bytes.subarray(position + 1)])
                  : Buffer.concat([
                      bytes.subarray(0, position),
                      Uint8Array.of(byte),
                      bytes.subarray(position + 1),
                    ]);
          }
          checkAnyBytes(bytes, cuts, close, limits);
          checkAnyBytes(bytes, cuts, close, defaultLimits);
        },
      ),
      {seed, numRuns: 3000},
    );
  });
});
