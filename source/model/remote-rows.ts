import {InvalidJsonError} from '../errors/invalid-json-error.js';
import type {ContainerInfo, EngineKind, Protocol} from './container-info.js';
import type {JsonContainer, JsonRow} from './format.js';
import type {HelperKind} from './helper.js';
import type {RowHost, SnapshotRow} from './snapshot-row.js';

/** Most rows accepted from a remote `nanodock-top --json` (a busy host has about 20,000). */
export const maxRemoteRows = 200_000;

const protocols: ReadonlySet<string> = new Set(['tcp', 'udp']);
const helperKinds: ReadonlySet<string> = new Set([
  'docker-proxy',
  'conmon',
  'rootlessport',
  'pasta',
]);
const engineKinds: ReadonlySet<string> = new Set(['docker', 'podman', 'unknown']);

type Reader = (value: unknown, where: string) => unknown;

function fail(where: string, what: string, source: string): never {
  throw new InvalidJsonError(`${where}: ${what}`, {endpoint: source});
}

function isPort(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 65_535;
}

function isPid(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) > 0;
}

function stringOrNull(value: unknown): value is string | null {
  return value === null || typeof value === 'string';
}

function stringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((entry) => typeof entry === 'string');
}

/** The container of a row as the JSON names it, checked field by field. */
function readContainer(value: unknown, where: string, source: string): JsonContainer | null {
  if (value === null) {
    return null;
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    fail(where, 'container is not an object or null', source);
  }
  const record = value as Record<string, unknown>;
  for (const field of ['id', 'shortId', 'name', 'image', 'engine'] as const) {
    if (typeof record[field] !== 'string') {
      fail(where, `container.${field} is not a string`, source);
    }
  }
  if (!stringOrNull(record.endpoint)) {
    fail(where, 'container.endpoint is not a string or null', source);
  }
  return {
    id: record.id as string,
    shortId: record.shortId as string,
    name: record.name as string,
    image: record.image as string,
    engine: engineKinds.has(record.engine as string) ? (record.engine as string) : 'unknown',
    endpoint: record.endpoint as string | null,
  };
}

/** One row of the JSON, checked: a wrong type anywhere is an error, never a guess. */
const readRow: (source: string) => Reader = (source) => (value, where) => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(where, 'not an object', source);
  }
  const row = value as Record<string, unknown>;
  if (!protocols.has(row.protocol as string)) {
    fail(where, `protocol ${JSON.stringify(row.protocol)} is not tcp or udp`, source);
  }
  if (typeof row.address !== 'string' || !stringList(row.addresses)) {
    fail(where, 'address or addresses is not text', source);
  }
  if (!isPort(row.port) || !isPort(row.lastPort) || (row.lastPort as number) < row.port) {
    fail(where, 'port or lastPort is not a port', source);
  }
  if (!Array.isArray(row.pids) || !row.pids.every(isPid) || !(row.pid === null || isPid(row.pid))) {
    fail(where, 'pids or pid is not a process id', source);
  }
  if (!stringOrNull(row.process) || !stringOrNull(row.user) || !stringOrNull(row.untrusted)) {
    fail(where, 'process, user or untrusted is not text or null', source);
  }
  if (
    !(
      row.uptimeSeconds === null ||
      (typeof row.uptimeSeconds === 'number' && row.uptimeSeconds >= 0)
    )
  ) {
    fail(where, 'uptimeSeconds is not a number of seconds or null', source);
  }
  if (!stringList(row.command) || !stringList(row.candidates)) {
    fail(where, 'command or candidates is not a list of text', source);
  }
  if (!(row.helper === null || helperKinds.has(row.helper as string))) {
    fail(where, `helper ${JSON.stringify(row.helper)} is not a known helper`, source);
  }
  if (typeof row.ambiguous !== 'boolean') {
    fail(where, 'ambiguous is not true or false', source);
  }
  const sockets = row.sockets === undefined ? 1 : row.sockets;
  if (!Number.isInteger(sockets) || (sockets as number) < 1) {
    fail(where, 'sockets is not a count', source);
  }
  return {
    protocol: row.protocol as Protocol,
    address: row.address as string,
    addresses: row.addresses as string[],
    port: row.port as number,
    lastPort: row.lastPort as number,
    pids: row.pids as number[],
    pid: row.pid as number | null,
    sockets: sockets as number,
    process: row.process as string | null,
    user: row.user as string | null,
    uptimeSeconds: row.uptimeSeconds as number | null,
    command: row.command as string[],
    helper: row.helper as HelperKind | null,
    untrusted: row.untrusted as string | null,
    container: readContainer(row.container, where, source),
    ambiguous: row.ambiguous as boolean,
    candidates: row.candidates as string[],
  } satisfies JsonRow;
};

/**
 * The rows of a `nanodock-top --json` run on another machine (`source` names it, for errors).
 * Every field is checked: the text comes over the network from a program we did not run,
 * and a row that is not what the format says is refused with where and what, never guessed.
 */
export function parseRemoteRows(text: string, source: string): JsonRow[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new InvalidJsonError(
      `nanodock-top --json output is not JSON (${(error as Error).message})`,
      {
        cause: error,
        endpoint: source,
      },
    );
  }
  if (!Array.isArray(parsed)) {
    throw new InvalidJsonError('nanodock-top --json output is not a JSON array', {
      endpoint: source,
    });
  }
  if (parsed.length > maxRemoteRows) {
    throw new InvalidJsonError(
      `nanodock-top --json gave ${parsed.length} rows, more than ${maxRemoteRows}`,
      {
        endpoint: source,
      },
    );
  }
  const read = readRow(source);
  return parsed.map((value, index) => read(value, `row ${index + 1}`) as JsonRow);
}

/**
 * A container that a remote row names but this side's engines did not list (another engine of
 * that machine, say): what the row says, with no engine address. The remote's text never
 * chooses an engine to act on: an action on this container finds no engine and says so.
 */
function containerFromJson(json: JsonContainer): ContainerInfo {
  return {
    id: json.id,
    name: json.name,
    names: [json.name],
    image: json.image,
    state: null,
    status: null,
    command: null,
    created: null,
    labels: {},
    composeProject: null,
    ports: [],
    endpoint: null,
    engine: json.engine as EngineKind,
  };
}

/**
 * Rows of the host view from a remote machine's JSON rows. Each row's container becomes the
 * one this side's engines listed under the same id (reached through the ssh connection, so
 * actions go there), else the row's own description of it. `takenAt` is when the remote
 * answered (ms since the epoch): start times are counted back from it.
 */
export function rowsFromRemote(
  rows: readonly JsonRow[],
  containers: ReadonlyMap<string, ContainerInfo>,
  takenAt: number,
  host: RowHost | undefined,
): SnapshotRow[] {
  const seen = new Map<string, number>();
  const now = takenAt / 1000;
  return rows.map((row) => {
    const base = `${row.protocol}|${row.address}|${row.port}|${row.pid ?? row.container?.id ?? ''}`;
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    const json = row.container;
    const container = json === null ? null : (containers.get(json.id) ?? containerFromJson(json));
    const candidates = row.candidates.flatMap((name) => {
      const found = [...containers.values()].find((entry) => entry.name === name);
      return found === undefined ? [] : [found];
    });
    return {
      key: count === 0 ? base : `${base}|${count}`,
      protocol: row.protocol,
      address: row.address,
      addresses: row.addresses,
      port: row.port,
      lastPort: row.lastPort,
      ...(row.sockets > 1 ? {sockets: row.sockets} : {}),
      pids: row.pids,
      pid: row.pid,
      process: row.process,
      user: row.user,
      uptimeSeconds: row.uptimeSeconds,
      startedAt: row.uptimeSeconds === null ? null : Math.floor(now - row.uptimeSeconds),
      // Another machine's process: no start ticks, so nothing here can signal it.
      startTicks: null,
      command: row.command,
      helper: row.helper,
      untrusted: row.untrusted,
      container,
      ambiguous: row.ambiguous,
      candidates,
      ...(host === undefined ? {} : {host}),
    };
  });
}
