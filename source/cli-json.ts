import {type ContainerInfo, shortContainerId} from './model/container-info.js';
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
 * Writes the rows as `nanodock-top --json` prints them: the text that
 * `escapeJsonForTerminal` makes of `[\n` + each `JSON.stringify(toJsonRow(row))` joined by
 * `,\n` + `\n]` (`[]` for no rows), followed by a newline, handed to `write` in chunks of a
 * few thousand rows. Built without a toJsonRow object per row: the JSON of what many rows
 * share (a process's name, user and command line, a container, an address) is made and
 * escaped once and reused. Every string goes through JSON.stringify and escapeJsonForTerminal,
 * so the text is the reference's byte for byte (the tests compare them).
 */
export function writeJsonRows(
  rows: readonly SnapshotRow[],
  write: (chunk: string) => void,
  rowsPerChunk = 4096,
): void {
  if (rows.length === 0) {
    write('[]\n');
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
      json = safeJson({
        id: container.id,
        shortId: shortContainerId(container.id),
        name: container.name,
        image: container.image,
        engine: container.engine,
        endpoint: container.endpoint,
      });
      shared.set(container, json);
    }
    return json;
  };
  const addressesJson = (addresses: readonly string[]): string => {
    if (addresses.length === 1) {
      return `[${string(addresses[0] as string)}]`;
    }
    return `[${addresses.map(string).join(',')}]`;
  };
  const candidatesJson = (candidates: readonly ContainerInfo[]): string =>
    candidates.length === 0
      ? '[]'
      : `[${candidates.map((candidate) => string(candidate.name)).join(',')}]`;

  /**
   * The text from `"process"` to the end of the row, kept per command line (the rows of one
   * process share its argv array) with the fields it was made of: the rows of a process that
   * holds 20,000 sockets make it once.
   */
  const tails = new Map<readonly string[], {readonly row: SnapshotRow; readonly json: string}>();
  const tailJson = (row: SnapshotRow): string => {
    const last = tails.get(row.command);
    if (last !== undefined && isSameTail(last.row, row)) {
      return last.json;
    }
    const json = `,"process":${string(row.process)},"user":${string(row.user)},"uptimeSeconds":${jsonNumber(row.uptimeSeconds)},"command":${commandJson(row.command)},"helper":${string(row.helper)},"untrusted":${string(row.untrusted)},"container":${containerJson(row.container)},"ambiguous":${row.ambiguous},"candidates":${candidatesJson(row.candidates)}}`;
    tails.set(row.command, {row, json});
    return json;
  };
  /** The text up to `"port":` of a row on one address, by protocol and address. */
  const heads = new Map<string, Map<string, string>>();
  const headJson = (row: SnapshotRow): string => {
    if (row.addresses.length !== 1 || row.addresses[0] !== row.address) {
      return `{"protocol":${string(row.protocol)},"address":${string(row.address)},"addresses":${addressesJson(row.addresses)},"port":`;
    }
    let byAddress = heads.get(row.protocol);
    if (byAddress === undefined) {
      byAddress = new Map();
      heads.set(row.protocol, byAddress);
    }
    let json = byAddress.get(row.address);
    if (json === undefined) {
      json = `{"protocol":${string(row.protocol)},"address":${string(row.address)},"addresses":${addressesJson(row.addresses)},"port":`;
      byAddress.set(row.address, json);
    }
    return json;
  };

  let lines: string[] = [];
  for (let index = 0; index < rows.length; index++) {
    const row = rows[index] as SnapshotRow;
    lines.push(
      `${headJson(row)}${jsonNumber(row.port)},"lastPort":${jsonNumber(row.lastPort)},"pids":${jsonPids(row.pids)},"pid":${jsonNumber(row.pid)},"sockets":${jsonNumber(row.sockets ?? 1)}${tailJson(row)}`,
    );
    if (lines.length === rowsPerChunk || index === rows.length - 1) {
      const first = index + 1 === lines.length;
      const last = index === rows.length - 1;
      write(`${first ? '[\n' : ',\n'}${lines.join(',\n')}${last ? '\n]\n' : ''}`);
      lines = [];
    }
  }
}
