import type {ContainerInfo} from './model/container-info.js';
import {toJsonContainer} from './model/format.js';
import type {SnapshotRow} from './model/snapshot-row.js';

/**
 * Characters JSON.stringify leaves raw that a terminal acts on without showing them: DEL and
 * the C1 controls (U+0080-U+009F; U+009B is a CSI on some terminals), every format character
 * (Unicode Cf: the bidi marks, embeddings, overrides and isolates, zero-width spaces and
 * joiners, the byte order mark, tag characters) and the line and paragraph separators: the
 * same set the views show as '?' (model/columns.ts, printable). JSON.stringify already escapes
 * C0 controls and lone surrogates.
 */
const unsafeCharacters = /[\u007F-\u009F\p{Cf}\p{Zl}\p{Zp}]/gu;

/** Any character past printable ASCII: text without one has none of the above. */
const beyondAscii = /[^ -~\t\n\r]/;

/**
 * `json` (JSON.stringify's output) with each such character written as \uXXXX escapes (a
 * character beyond U+FFFF, such as a tag character, as its surrogate pair, as JSON writes
 * them): still valid JSON that parses back to the same strings, and safe to print on a
 * terminal. Outside strings JSON text is ASCII, and no escape sequence of JSON contains such a
 * character, so each one found is a character of a string.
 */
export function escapeJsonForTerminal(json: string): string {
  if (!beyondAscii.test(json)) {
    return json; // the common case, found by a scan much cheaper than the one below
  }
  return json.replace(unsafeCharacters, (character) => {
    let escaped = '';
    for (let index = 0; index < character.length; index++) {
      escaped += `\\u${character.charCodeAt(index).toString(16).padStart(4, '0')}`;
    }
    return escaped;
  });
}

/** JSON text of `value` (a string, array or object of plain data), safe for terminals. */
function safeJson(value: unknown): string {
  return escapeJsonForTerminal(JSON.stringify(value));
}

/** JSON of a number as JSON.stringify writes it: `null` for NaN and the infinities. */
function jsonNumber(value: number | null): string {
  return value === null || !Number.isFinite(value) ? 'null' : String(value);
}

/** A pid list: most rows have one pid, or none. */
function jsonPids(pids: readonly number[]): string {
  if (pids.length === 0) {
    return '[]';
  }
  if (pids.length === 1) {
    return `[${jsonNumber(pids[0] as number)}]`;
  }
  return `[${pids.map(jsonNumber).join(',')}]`;
}

/** Whether two rows write the same text from `"process"` on (tailJson). */
function isSameTail(a: SnapshotRow, b: SnapshotRow): boolean {
  return (
    a.process === b.process &&
    a.user === b.user &&
    Object.is(a.uptimeSeconds, b.uptimeSeconds) &&
    a.command === b.command &&
    a.helper === b.helper &&
    a.untrusted === b.untrusted &&
    a.container === b.container &&
    a.ambiguous === b.ambiguous &&
    a.candidates.length === 0 &&
    b.candidates.length === 0
  );
}

/**
 * Bytes written into buffers of a fixed size, each handed on once full (never reused). Plain
 * Uint8Arrays, not Buffers: set() between Buffers runs several times slower until the JIT
 * has warmed up, and this runs once.
 */
class ByteWriter {
  #buffer: Uint8Array;
  #position = 0;
  readonly #size: number;
  readonly #write: (chunk: Uint8Array) => void;

  constructor(size: number, write: (chunk: Uint8Array) => void) {
    this.#size = size;
    this.#write = write;
    this.#buffer = new Uint8Array(size);
  }

  bytes(bytes: Uint8Array): void {
    if (this.#position + bytes.length > this.#buffer.length) {
      this.#next(bytes.length);
    }
    if (bytes.length <= 32) {
      // A short piece (a key, a separator) byte by byte: set() costs a call into the runtime
      // each time, several times the copy of a few bytes (20,000 rows write 140,000 pieces).
      const buffer = this.#buffer;
      let position = this.#position;
      for (let index = 0; index < bytes.length; index++) {
        buffer[position++] = bytes[index] as number;
      }
      this.#position = position;
      return;
    }
    this.#buffer.set(bytes, this.#position);
    this.#position += bytes.length;
  }

  /** Text of ASCII characters only (numbers, `null`). */
  ascii(text: string): void {
    if (this.#position + text.length > this.#buffer.length) {
      this.#next(text.length);
    }
    for (let index = 0; index < text.length; index++) {
      this.#buffer[this.#position++] = text.charCodeAt(index);
    }
  }

  /** A number as JSON.stringify writes it. */
  number(value: number | null): void {
    if (value === null || !Number.isSafeInteger(value) || value < 0) {
      this.ascii(jsonNumber(value));
      return;
    }
    let digits = 1;
    for (let rest = value; rest >= 10; rest = Math.floor(rest / 10)) {
      digits++;
    }
    if (this.#position + digits > this.#buffer.length) {
      this.#next(digits);
    }
    let rest = value;
    for (let index = this.#position + digits - 1; index >= this.#position; index--) {
      this.#buffer[index] = 48 + (rest % 10);
      rest = Math.floor(rest / 10);
    }
    this.#position += digits;
  }

  /** Hands on what was written. */
  end(): void {
    if (this.#position > 0) {
      this.#write(this.#buffer.subarray(0, this.#position));
    }
    this.#position = 0;
  }

  #next(room: number): void {
    this.end();
    this.#buffer = new Uint8Array(Math.max(this.#size, room));
  }
}

const encoder = new TextEncoder();
const utf8 = (text: string): Uint8Array => encoder.encode(text);
const open = utf8('[\n');
const between = utf8(',\n');
const close = utf8('\n]\n');
const lastPortKey = utf8(',"lastPort":');
const pidsKey = utf8(',"pids":');
const pidKey = utf8(',"pid":');
const socketsKey = utf8(',"sockets":');
const onePidKey = utf8(',"pids":[');
const afterOnePidKey = utf8('],"pid":');

/**
 * Writes the rows as `nanodock-top --json` prints them: the UTF-8 bytes of the text that
 * `escapeJsonForTerminal` makes of `[\n` + each `JSON.stringify(toJsonRow(row))` joined by
 * `,\n` + `\n]` (`[]` for no rows), followed by a newline, handed to `write` in buffers of
 * about `chunkBytes` (each a new one: the caller may keep it). Built without a toJsonRow
 * object per row: the JSON of what many rows share (a process's name, user and command line,
 * a container, an address) is made, escaped and encoded once and copied for each row. Every
 * string goes through JSON.stringify and escapeJsonForTerminal, so the text is the
 * reference's byte for byte (the tests compare them).
 */
export function writeJsonRows(
  rows: readonly SnapshotRow[],
  write: (chunk: Uint8Array) => void,
  chunkBytes = 1 << 20,
): void {
  const out = new ByteWriter(chunkBytes, write);
  if (rows.length === 0) {
    out.bytes(utf8('[]\n'));
    out.end();
    return;
  }
  /** JSON of strings that repeat across rows (addresses, names, users, helper kinds). */
  const strings = new Map<string, string>();
  const string = (value: string | null): string => {
    if (value === null) {
      return 'null';
    }
    let json = strings.get(value);
    if (json === undefined) {
      json = safeJson(value);
      strings.set(value, json);
    }
    return json;
  };
  /** JSON of arrays and records shared by rows (a process's argv, a container), by identity. */
  const shared = new Map<object, string>();
  const commandJson = (command: readonly string[]): string => {
    if (command.length === 0) {
      return '[]';
    }
    let json = shared.get(command);
    if (json === undefined) {
      json = safeJson(command);
      shared.set(command, json);
    }
    return json;
  };
  const containerJson = (container: ContainerInfo | null): string => {
    if (container === null) {
      return 'null';
    }
    let json = shared.get(container);
    if (json === undefined) {
      json = safeJson(toJsonContainer(container));
      shared.set(container, json);
    }
    return json;
  };
  const addressesJson = (addresses: readonly string[]): string =>
    `[${addresses.map(string).join(',')}]`;
  const candidatesJson = (candidates: readonly ContainerInfo[]): string =>
    `[${candidates.map((candidate) => string(candidate.name)).join(',')}]`;

  /**
   * The bytes from `"process"` to the end of the row, kept per command line (the rows of one
   * process share its argv array) with the row they were made of: the rows of a process that
   * holds 20,000 sockets make them once.
   */
  const tails = new Map<
    readonly string[],
    {readonly row: SnapshotRow; readonly bytes: Uint8Array}
  >();
  const tail = (row: SnapshotRow): Uint8Array => {
    const last = tails.get(row.command);
    if (last !== undefined && isSameTail(last.row, row)) {
      return last.bytes;
    }
    const bytes = utf8(
      `,"process":${string(row.process)},"user":${string(row.user)},"uptimeSeconds":${jsonNumber(row.uptimeSeconds)},"command":${commandJson(row.command)},"helper":${string(row.helper)},"untrusted":${string(row.untrusted)},"container":${containerJson(row.container)},"ambiguous":${row.ambiguous},"candidates":${candidatesJson(row.candidates)}}`,
    );
    tails.set(row.command, {row, bytes});
    return bytes;
  };
  // In a view of several hosts each row names its host first.
  const headText = (row: SnapshotRow): string =>
    `{${row.host === undefined ? '' : `"host":${string(row.host.name)},`}"protocol":${string(row.protocol)},"address":${string(row.address)},"addresses":${addressesJson(row.addresses)},"port":`;
  /** The bytes up to `"port":` of a row on one address, by protocol and address. */
  const heads = new Map<string, Map<string, Uint8Array>>();
  const head = (row: SnapshotRow): Uint8Array => {
    if (row.addresses.length !== 1 || row.addresses[0] !== row.address || row.host !== undefined) {
      return utf8(headText(row));
    }
    let byAddress = heads.get(row.protocol);
    if (byAddress === undefined) {
      byAddress = new Map();
      heads.set(row.protocol, byAddress);
    }
    let bytes = byAddress.get(row.address);
    if (bytes === undefined) {
      bytes = utf8(headText(row));
      byAddress.set(row.address, bytes);
    }
    return bytes;
  };

  out.bytes(open);
  for (let index = 0; index < rows.length; index++) {
    const row = rows[index] as SnapshotRow;
    if (index > 0) {
      out.bytes(between);
    }
    out.bytes(head(row));
    out.number(row.port);
    out.bytes(lastPortKey);
    out.number(row.lastPort);
    if (row.pids.length === 1) {
      out.bytes(onePidKey);
      out.number(row.pids[0] as number);
      out.bytes(afterOnePidKey);
    } else {
      out.bytes(pidsKey);
      out.ascii(jsonPids(row.pids));
      out.bytes(pidKey);
    }
    out.number(row.pid);
    out.bytes(socketsKey);
    out.number(row.sockets ?? 1);
    out.bytes(tail(row));
  }
  out.bytes(close);
  out.end();
}
