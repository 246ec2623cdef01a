import type {IncomingHttpHeaders} from 'node:http';
import {EngineRequestError} from '../errors/engine-request-error.js';
import {ResponseTooLargeError} from '../errors/response-too-large-error.js';

/** Longest chunk-size line accepted (size and extensions, without its CRLF): 4 KiB. */
export const maxChunkSizeLineBytes = 4096;

/**
 * How the pieces of a chunked or close-delimited body are kept. The first few are kept as
 * slices of the Buffers read (no copy: an engine's usual answer); after that, a piece is kept
 * as a slice only when it is large and at least half of the Buffer it came in, and smaller
 * ones are copied into blocks. So neither the number of pieces nor the Buffers they keep
 * alive can grow faster than the body: a body of one-byte chunks, or of one-byte reads,
 * costs about its own size, not a Buffer object (and its whole read) per byte.
 */
const freeSlices = 16;
const minSliceBytes = 8 * 1024;
const blockBytes = 64 * 1024;

// Where the parser is in the answer.
const readingHead = 0;
const readingLengthBody = 1;
const readingCloseBody = 2;
const readingChunkSize = 3;
const readingChunkData = 4;
const readingChunkCr = 5;
const readingChunkLf = 6;
const readingTrailers = 7;
const done = 8;

const headEnd = Buffer.from('\r\n\r\n', 'latin1');
const httpPrefix = 'HTTP/';
const cr = 0x0d;
const lf = 0x0a;

/** tchar of RFC 9110 (`!#$%&'*+-.^_\`|~`, digits, letters), by char code. */
const tokenChars = new Uint8Array(128);
for (const char of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") {
  tokenChars[char.charCodeAt(0)] = 1;
}

/** True for a control character other than HTAB (never allowed in a field value or reason). */
function isControl(code: number): boolean {
  return (code < 0x20 && code !== 0x09) || code === 0x7f;
}

/** The value of a hex digit, or -1. */
function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) {
    return code - 0x30;
  }
  const lower = code | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
}

/** `text` from `start` to `end` without leading or trailing spaces and tabs. */
function trimSpaces(text: string, start: number, end: number): string {
  let from = start;
  let to = end;
  while (from < to && (text.charCodeAt(from) === 0x20 || text.charCodeAt(from) === 0x09)) {
    from++;
  }
  while (to > from && (text.charCodeAt(to - 1) === 0x20 || text.charCodeAt(to - 1) === 0x09)) {
    to--;
  }
  return text.slice(from, to);
}

function isDigits(text: string): boolean {
  if (text === '') {
    return false;
  }
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < 0x30 || code > 0x39) {
      return false;
    }
  }
  return true;
}

/**
 * An incremental parser of one HTTP/1.x answer, fed the bytes of the connection as they
 * arrive (`push`), told when the connection ends (`end`). It skips 1xx heads, frames the body
 * by chunked coding, Content-Length or the connection's end (RFC 9112), and decodes it as
 * UTF-8 once. Failures are thrown: EngineRequestError 'protocol' (not valid HTTP) or
 * 'truncated' (from `end`), ResponseTooLargeError (head over `headerLimit`, across 1xx heads
 * too; body over `bodyLimit`, declared or received). The parser keeps references to the
 * Buffers it is fed until it completes: they must not be reused meanwhile.
 */
export class HttpResponseParser {
  /** Status code of the final answer (0 until its head is read). */
  statusCode = 0;
  /** Header fields of the final answer: lower-case names, repeated ones joined with ", ". */
  headers: IncomingHttpHeaders = {};
  /** The body, once complete. */
  body = '';
  /** True once the whole answer has been read. */
  complete = false;
  /** Body bytes received so far (decoded chunk data for a chunked body). */
  received = 0;
  /** The minor HTTP version of the final answer's status line (1 for HTTP/1.1), -1 until read. */
  minorVersion = -1;
  /** Whether the body's end was given by the answer (Content-Length, chunked, none), not by the connection's end. */
  framed = false;

  private readonly address: string;
  private readonly bodyLimit: number;
  private readonly headerLimit: number;
  private state = readingHead;
  /** Bytes of a head split across pushes (and, transiently, what followed it). */
  private headBuffer: Buffer | undefined;
  private headFill = 0;
  /** True once the status line of the head being gathered has been checked. */
  private statusChecked = false;
  /** Bytes of the 1xx heads already read, counted against headerLimit. */
  private headBytes = 0;
  /** Bytes still expected: of a Content-Length body, or of the current chunk. */
  private remaining = 0;
  /** The Content-Length body when it spans several pushes. */
  private lengthBuffer: Buffer | undefined;
  /** Pieces of a chunked or close-delimited body (slices of the pushed Buffers, or of blocks). */
  private pieces: Buffer[] = [];
  /** The block small body pieces are copied into; bytes from blockStart to blockFill are not in `pieces` yet. */
  private block: Buffer | undefined;
  private blockStart = 0;
  private blockFill = 0;
  /** Start of a chunk-size or trailer line split across pushes (latin1). */
  private line = '';
  /** Offset in the current push after the line readLine returned. */
  private next = 0;
  /** Bytes read since the last chunk (`0\r\n`): trailers and the final CRLF. */
  private trailerBytes = 0;

  constructor(address: string, bodyLimit: number, headerLimit: number) {
    this.address = address;
    this.bodyLimit = bodyLimit;
    this.headerLimit = headerLimit;
  }

  /** Reads `data`; true once the answer is complete (later bytes are ignored). Throws on a bad answer. */
  push(data: Buffer): boolean {
    if (this.state === done || data.length === 0) {
      return this.complete;
    }
    let offset = 0;
    while (!this.complete) {
      switch (this.state) {
        case readingHead:
          offset = this.readHead(data, offset);
          break;
        case readingLengthBody:
          offset = this.readLengthBody(data, offset);
          break;
        case readingCloseBody:
          offset = this.readCloseBody(data, offset);
          break;
        case readingChunkSize:
          offset = this.readChunkSize(data, offset);
          break;
        case readingChunkData:
          offset = this.readChunkData(data, offset);
          break;
        case readingChunkCr:
        case readingChunkLf:
          offset = this.readChunkCrlf(data, offset);
          break;
        default:
          offset = this.readTrailers(data, offset);
      }
      if (offset >= data.length) {
        break;
      }
    }
    return this.complete;
  }

  /**
   * The connection ended. Completes a body that runs to the connection's end, and a chunked
   * body closed right after its last chunk line (`0\r\n`, no final CRLF); otherwise throws
   * EngineRequestError 'truncated'.
   */
  end(): void {
    if (this.complete) {
      return;
    }
    if (this.state === readingCloseBody) {
      this.finishPieces();
      return;
    }
    if (this.state === readingTrailers && this.trailerBytes === 0) {
      this.finishPieces();
      return;
    }
    throw this.truncated();
  }

  /** The error of a connection closed (or reset) at this point of the answer. */
  truncated(options?: {cause?: unknown; code?: string}): EngineRequestError {
    return new EngineRequestError(
      this.address,
      'truncated',
      this.state === readingHead
        ? 'the engine closed the connection before answering'
        : `the engine closed the connection after ${this.received} bytes of the body`,
      options,
    );
  }

  private protocolError(detail: string): EngineRequestError {
    this.state = done;
    return new EngineRequestError(this.address, 'protocol', `invalid HTTP answer (${detail})`);
  }

  private tooLarge(part: 'headers' | 'body'): ResponseTooLargeError {
    this.state = done;
    return new ResponseTooLargeError(
      this.address,
      part,
      part === 'body' ? this.bodyLimit : this.headerLimit,
    );
  }

  private readHead(data: Buffer, offset: number): number {
    if (this.headFill === 0) {
      // Usual case: the whole head is in this push.
      const found = data.indexOf(headEnd, offset);
      if (found !== -1) {
        if (this.headBytes + found + 4 - offset > this.headerLimit) {
          throw this.headTooLarge(
            data.subarray(offset, offset + this.headerLimit - this.headBytes + 1),
          );
        }
        this.headBytes += found + 4 - offset;
        this.parseHead(data.toString('latin1', offset, found));
        return found + 4;
      }
    }
    // The head is split: gather it, but never more than one byte past the limit.
    const room = this.headerLimit - this.headBytes - this.headFill + 1;
    const take = Math.min(data.length - offset, room);
    const before = this.headFill;
    const fill = before + take;
    let buffer = this.headBuffer;
    if (buffer === undefined || buffer.length < fill) {
      const grown = Buffer.allocUnsafe(
        Math.max(fill, Math.min(this.headerLimit + 1, Math.max(2 * fill, 1024))),
      );
      buffer?.copy(grown, 0, 0, before);
      buffer = grown;
      this.headBuffer = grown;
    }
    data.copy(buffer, before, offset, offset + take);
    const found = buffer.subarray(0, fill).indexOf(headEnd, Math.max(0, before - 3));
    if (found !== -1) {
      if (this.headBytes + found + 4 > this.headerLimit) {
        throw this.headTooLarge(buffer.subarray(0, fill));
      }
      this.headBytes += found + 4;
      this.headFill = 0;
      this.statusChecked = false;
      this.parseHead(buffer.toString('latin1', 0, found));
      return offset + found + 4 - before;
    }
    this.headFill = fill;
    if (!this.statusChecked) {
      this.checkStatusStart(buffer, fill);
    }
    if (this.headBytes + fill > this.headerLimit) {
      throw this.tooLarge('headers');
    }
    return offset + take;
  }

  /**
   * The error of a head over the limit, read from `fitting` (its bytes up to one past the
   * limit). A bad status line among them is the error, as it is when the same bytes come one
   * read at a time: the answer's bytes, not how they were cut, decide which error it gets.
   */
  private headTooLarge(fitting: Buffer): ResponseTooLargeError {
    if (!this.statusChecked) {
      this.checkStatusStart(fitting, fitting.length);
    }
    return this.tooLarge('headers');
  }

  /** Fails early on bytes that cannot start an HTTP answer, without waiting for the whole head. */
  private checkStatusStart(buffer: Buffer, fill: number): void {
    const prefix = Math.min(fill, httpPrefix.length);
    for (let index = 0; index < prefix; index++) {
      if (buffer[index] !== httpPrefix.charCodeAt(index)) {
        throw this.protocolError('not an HTTP status line');
      }
    }
    const lineEnd = buffer.subarray(0, fill).indexOf(lf);
    if (lineEnd !== -1) {
      if (lineEnd === 0 || buffer[lineEnd - 1] !== cr) {
        throw this.protocolError('line not ended by CRLF');
      }
      this.parseStatusLine(buffer.toString('latin1', 0, lineEnd - 1));
      this.statusChecked = true;
    }
  }

  /** Reads `HTTP/1.x NNN reason`; returns the status code. */
  private parseStatusLine(line: string): number {
    if (
      line.length < 12 ||
      !line.startsWith('HTTP/1.') ||
      (line.charCodeAt(7) !== 0x30 && line.charCodeAt(7) !== 0x31) ||
      line.charCodeAt(8) !== 0x20 ||
      (line.length > 12 && line.charCodeAt(12) !== 0x20)
    ) {
      throw this.protocolError(`bad status line ${JSON.stringify(line.slice(0, 40))}`);
    }
    const code = line.slice(9, 12);
    if (!isDigits(code) || code.charCodeAt(0) === 0x30) {
      throw this.protocolError(`bad status code ${JSON.stringify(code)}`);
    }
    for (let index = 13; index < line.length; index++) {
      if (isControl(line.charCodeAt(index))) {
        throw this.protocolError('control character in the reason phrase');
      }
    }
    return Number(code);
  }

  /** Reads a complete head (without its final CRLFCRLF) and sets up the body. */
  private parseHead(head: string): void {
    const length = head.length;
    let position = head.indexOf('\r\n');
    if (position === -1) {
      position = length;
    }
    // A bare CR or LF in the status line is a control character of its reason phrase.
    const statusCode = this.parseStatusLine(head.slice(0, position));
    this.minorVersion = head.charCodeAt(7) - 0x30;
    if (statusCode === 101) {
      throw this.protocolError('101 Switching Protocols was not asked for');
    }
    const headers: Record<string, string | string[]> = {};
    position += 2;
    // One pass over the header lines, character by character: `name: value` CRLF.
    while (position < length) {
      const nameStart = position;
      let code = head.charCodeAt(position);
      if (code === 0x20 || code === 0x09) {
        throw this.protocolError('obsolete line folding in a header');
      }
      while (code !== 0x3a) {
        // NaN past the end of the head (the last line has no colon) is not a token char either.
        if (!(code < 128 && tokenChars[code] === 1)) {
          throw this.protocolError(
            code === cr || code === lf || Number.isNaN(code)
              ? `header line without a colon: ${JSON.stringify(head.slice(nameStart, position).slice(0, 40))}`
              : `invalid header name ${JSON.stringify(head.slice(nameStart, position + 1).slice(0, 40))}`,
          );
        }
        position++;
        code = head.charCodeAt(position);
      }
      if (position === nameStart) {
        throw this.protocolError('header line without a name');
      }
      const nameEnd = position;
      position++;
      code = head.charCodeAt(position);
      while (code === 0x20 || code === 0x09) {
        position++;
        code = head.charCodeAt(position);
      }
      const valueStart = position;
      let valueEnd = position;
      while (position < length && code !== cr) {
        if ((code < 0x20 && code !== 0x09) || code === 0x7f) {
          throw this.protocolError('control character (or bare LF) in a header value');
        }
        position++;
        if (code !== 0x20 && code !== 0x09) {
          valueEnd = position;
        }
        code = head.charCodeAt(position);
      }
      if (position < length) {
        if (head.charCodeAt(position + 1) !== lf) {
          throw this.protocolError('bare CR in a header value');
        }
        position += 2;
      }
      this.addField(
        headers,
        head.slice(nameStart, nameEnd).toLowerCase(),
        head.slice(valueStart, valueEnd),
      );
    }
    if (statusCode < 200) {
      // An informational answer (100, 102, 103...): the real one follows.
      return;
    }
    this.statusCode = statusCode;
    this.headers = headers as IncomingHttpHeaders;
    this.frameBody(headers);
  }

  private addField(headers: Record<string, string | string[]>, name: string, value: string): void {
    if (name === 'set-cookie') {
      const cookies = headers[name];
      if (Array.isArray(cookies)) {
        cookies.push(value);
      } else {
        headers[name] = [value];
      }
    } else if (Object.hasOwn(headers, name)) {
      headers[name] = `${headers[name]}, ${value}`;
    } else if (name !== '__proto__') {
      headers[name] = value;
    }
  }

  /** Picks the body framing of the final answer (RFC 9112 section 6.3). */
  private frameBody(headers: Record<string, string | string[]>): void {
    if (this.statusCode === 204 || this.statusCode === 304) {
      this.framed = true;
      this.finish('');
      return;
    }
    const coding = headers['transfer-encoding'];
    if (typeof coding === 'string') {
      // Chunked wins over Content-Length; any other final coding runs to the connection's end.
      const last = trimSpaces(coding, coding.lastIndexOf(',') + 1, coding.length);
      this.framed = last.toLowerCase() === 'chunked';
      this.state = this.framed ? readingChunkSize : readingCloseBody;
      return;
    }
    const length = headers['content-length'];
    if (typeof length !== 'string') {
      this.state = readingCloseBody;
      return;
    }
    let declared = length;
    if (length.indexOf(',') !== -1) {
      // Repeated (or listed) values: acceptable only when they all agree.
      const values = length.split(',').map((value) => trimSpaces(value, 0, value.length));
      declared = values[0] ?? '';
      if (values.some((value) => value !== declared)) {
        throw this.protocolError(`conflicting Content-Length values ${JSON.stringify(length)}`);
      }
      headers['content-length'] = declared;
    }
    if (!isDigits(declared)) {
      throw this.protocolError(`invalid Content-Length ${JSON.stringify(declared)}`);
    }
    const size = Number(declared);
    if (size > this.bodyLimit) {
      throw this.tooLarge('body');
    }
    this.framed = true;
    if (size === 0) {
      this.finish('');
      return;
    }
    this.remaining = size;
    this.state = readingLengthBody;
  }

  private readLengthBody(data: Buffer, offset: number): number {
    const available = data.length - offset;
    let buffer = this.lengthBuffer;
    if (buffer === undefined) {
      if (available >= this.remaining) {
        // The whole body is in this push: decode it in place.
        const end = offset + this.remaining;
        this.received = this.remaining;
        this.finish(data.toString('utf8', offset, end));
        return end;
      }
      buffer = Buffer.allocUnsafe(this.remaining);
      this.lengthBuffer = buffer;
    }
    const take = Math.min(available, this.remaining);
    data.copy(buffer, this.received, offset, offset + take);
    this.received += take;
    this.remaining -= take;
    if (this.remaining === 0) {
      this.lengthBuffer = undefined;
      this.finish(buffer.toString('utf8'));
    }
    return offset + take;
  }

  private readCloseBody(data: Buffer, offset: number): number {
    this.received += data.length - offset;
    if (this.received > this.bodyLimit) {
      throw this.tooLarge('body');
    }
    this.appendBody(data, offset, data.length);
    return data.length;
  }

  /**
   * The next line of a chunked body (a size line or a trailer) ending in this push, without
   * its CRLF, or undefined when it does not end here (its start is kept). Sets `next` to the
   * offset after what was read. A line over `limit` bytes is refused: over the size-line
   * limit as a protocol error, over the trailer limit as too large.
   */
  private readLine(data: Buffer, offset: number, limit: number): string | undefined {
    const end = data.indexOf(lf, offset);
    const partial = this.line.length;
    if (partial + (end === -1 ? data.length : end) - offset > limit + 1) {
      throw this.state === readingTrailers
        ? this.tooLarge('headers')
        : this.protocolError(`chunk size line over ${limit} bytes`);
    }
    if (end === -1) {
      this.line += data.toString('latin1', offset);
      this.next = data.length;
      return undefined;
    }
    const text = data.toString('latin1', offset, end);
    const line = partial === 0 ? text : this.line + text;
    this.line = '';
    this.next = end + 1;
    if (line.charCodeAt(line.length - 1) !== cr) {
      throw this.protocolError('line of the chunked body not ended by CRLF');
    }
    return line.slice(0, -1);
  }

  private readChunkSize(data: Buffer, offset: number): number {
    if (this.line === '') {
      // Usual case, read from the bytes: a whole `HEX CRLF` line in this push, no extension.
      let size = 0;
      let position = offset;
      let digit = position < data.length ? hexValue(data[position] as number) : -1;
      while (digit !== -1 && size <= this.bodyLimit) {
        size = size * 16 + digit;
        position++;
        digit = position < data.length ? hexValue(data[position] as number) : -1;
      }
      if (
        position > offset &&
        position - offset <= maxChunkSizeLineBytes &&
        data[position] === cr &&
        data[position + 1] === lf
      ) {
        return this.startChunk(size, position + 2);
      }
    }
    const line = this.readLine(data, offset, maxChunkSizeLineBytes);
    const next = this.next;
    if (line === undefined) {
      return next;
    }
    const allowed = this.bodyLimit - this.received;
    let size = 0;
    let index = 0;
    for (; index < line.length; index++) {
      const digit = hexValue(line.charCodeAt(index));
      if (digit === -1) {
        break;
      }
      size = size * 16 + digit;
      if (size > allowed) {
        throw this.tooLarge('body');
      }
    }
    if (index === 0) {
      throw this.protocolError(`bad chunk size ${JSON.stringify(line.slice(0, 40))}`);
    }
    while (
      index < line.length &&
      (line.charCodeAt(index) === 0x20 || line.charCodeAt(index) === 0x09)
    ) {
      index++;
    }
    if (index < line.length) {
      if (line.charCodeAt(index) !== 0x3b) {
        throw this.protocolError(`bad chunk size ${JSON.stringify(line.slice(0, 40))}`);
      }
      // Extensions (`;name=value`) are ignored, but must be text.
      for (let position = index + 1; position < line.length; position++) {
        if (isControl(line.charCodeAt(position))) {
          throw this.protocolError('control character in a chunk extension');
        }
      }
    }
    return this.startChunk(size, next);
  }

  /** A chunk of `size` bytes starts at `next` (the last chunk when 0). */
  private startChunk(size: number, next: number): number {
    if (size > this.bodyLimit - this.received) {
      throw this.tooLarge('body');
    }
    if (size === 0) {
      this.state = readingTrailers;
    } else {
      this.remaining = size;
      this.state = readingChunkData;
    }
    return next;
  }

  private readChunkData(data: Buffer, offset: number): number {
    const take = Math.min(data.length - offset, this.remaining);
    this.appendBody(data, offset, offset + take);
    this.received += take;
    this.remaining -= take;
    if (this.remaining === 0) {
      this.state = readingChunkCr;
    }
    return offset + take;
  }

  private readChunkCrlf(data: Buffer, offset: number): number {
    const expected = this.state === readingChunkCr ? cr : lf;
    if (data[offset] !== expected) {
      throw this.protocolError('chunk data not followed by CRLF');
    }
    this.state = this.state === readingChunkCr ? readingChunkLf : readingChunkSize;
    return offset + 1;
  }

  private readTrailers(data: Buffer, offset: number): number {
    if (this.trailerBytes === 0 && data[offset] === cr && data[offset + 1] === lf) {
      // Usual case: no trailers, the final CRLF in this push.
      this.trailerBytes = 2;
      this.finishPieces();
      return offset + 2;
    }
    let position = offset;
    while (position < data.length) {
      // The bytes before a line's LF count against the limit before the line is judged, as
      // when they come one read at a time: where the reads were cut never changes the error.
      const end = data.indexOf(lf, position);
      if (this.trailerBytes + (end === -1 ? data.length : end) - position > this.headerLimit) {
        throw this.tooLarge('headers');
      }
      const line = this.readLine(data, position, this.headerLimit);
      this.trailerBytes += this.next - position;
      if (this.trailerBytes > this.headerLimit) {
        throw this.tooLarge('headers');
      }
      position = this.next;
      if (line === '') {
        this.finishPieces();
        return position;
      }
      // A trailer field (or the start of one): read and dropped.
    }
    return position;
  }

  /** Keeps bytes `start` to `end` of `data` as the next piece of the body (see freeSlices). */
  private appendBody(data: Buffer, start: number, end: number): void {
    const length = end - start;
    if (this.pieces.length < freeSlices || (length >= minSliceBytes && 2 * length >= data.length)) {
      this.flushBlock();
      this.pieces.push(start === 0 && end === data.length ? data : data.subarray(start, end));
      return;
    }
    let from = start;
    while (from < end) {
      let block = this.block;
      if (block === undefined || this.blockFill === block.length) {
        this.flushBlock();
        block = Buffer.allocUnsafe(blockBytes);
        this.block = block;
        this.blockStart = 0;
        this.blockFill = 0;
      }
      const take = Math.min(end - from, block.length - this.blockFill);
      if (take <= 16) {
        // A call into C++ costs more than a few bytes copied here.
        let fill = this.blockFill;
        for (let index = from; index < from + take; index++) {
          block[fill++] = data[index] as number;
        }
      } else {
        data.copy(block, this.blockFill, from, from + take);
      }
      this.blockFill += take;
      from += take;
    }
  }

  /** Moves the bytes copied into the block since the last piece into `pieces`. */
  private flushBlock(): void {
    if (this.block !== undefined && this.blockFill > this.blockStart) {
      this.pieces.push(this.block.subarray(this.blockStart, this.blockFill));
      this.blockStart = this.blockFill;
    }
  }

  private finishPieces(): void {
    this.flushBlock();
    this.block = undefined;
    const pieces = this.pieces;
    this.pieces = [];
    this.finish(
      pieces.length === 0
        ? ''
        : pieces.length === 1
          ? (pieces[0] as Buffer).toString('utf8')
          : Buffer.concat(pieces, this.received).toString('utf8'),
    );
  }

  private finish(body: string): void {
    this.body = body;
    this.complete = true;
    this.state = done;
  }
}
