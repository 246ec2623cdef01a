import {type ColumnId, columns} from './model/columns.js';
import {parsePortFilter, type RowFilter} from './model/filter.js';

/** What the command line asks for. */
export interface CliConfig {
  readonly mode: 'json' | 'once' | 'interactive';
  readonly filter: RowFilter;
  readonly color: boolean;
  readonly intervalMs: number;
  readonly sort: ColumnId;
  readonly descending: boolean;
}

/** The flags meow parsed, as this module reads them. */
export interface CliFlags {
  readonly once: boolean;
  readonly json: boolean;
  readonly port: string | undefined;
  readonly color: boolean;
  readonly interval: string | undefined;
  readonly sort: string | undefined;
}

/** Flag names the command accepts (meow's `--no-color` arrives as `color`). */
export const knownFlags: ReadonlySet<string> = new Set([
  'once',
  'json',
  'port',
  'color',
  'interval',
  'sort',
  'help',
  'version',
]);

/** Shortest and longest refresh interval accepted, in ms. */
const intervalBounds = {min: 100, max: 3_600_000} as const;

/** Milliseconds of `500ms`, `2s`, `1.5s`, `1m` or a bare number of seconds; a reason when not one. */
function parseInterval(text: string): number | string {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!match) {
    return `--interval: "${text}" is not a duration like 500ms, 2s or 1m`;
  }
  const unit = match[2] ?? 's';
  const ms = Math.round(Number(match[1]) * (unit === 'ms' ? 1 : unit === 's' ? 1000 : 60_000));
  if (ms < intervalBounds.min || ms > intervalBounds.max) {
    return `--interval: ${text} is out of range (100ms to 1h)`;
  }
  return ms;
}

/** The column of `--sort NAME` (`-NAME` sorts descending); a reason when unknown. */
function parseSort(text: string): {column: ColumnId; descending: boolean} | string {
  const descending = text.startsWith('-');
  const name = (descending ? text.slice(1) : text).toLowerCase();
  const column = columns.find(
    (candidate) => candidate.id === name || candidate.title.toLowerCase() === name,
  );
  if (column === undefined) {
    return `--sort: "${text}" is not a column (${columns.map((candidate) => candidate.id).join(', ')}; prefix - for descending)`;
  }
  return {column: column.id, descending};
}

/**
 * The configuration for a command line, or a one-line reason it is wrong (the caller exits 2).
 * `isTty` is whether stdout is a terminal: without one, the interactive view becomes `--once`.
 */
export function resolveCliConfig(
  flags: CliFlags,
  unknown: readonly string[],
  input: readonly string[],
  environment: {readonly isTty: boolean; readonly noColorEnv: boolean},
): CliConfig | string {
  if (unknown.length > 0) {
    return `unknown flag ${unknown.map((name) => (name.length === 1 ? `-${name}` : `--${name}`)).join(', ')} (see --help)`;
  }
  if (input.length > 0) {
    return `unexpected argument "${input[0]}" (flags only; see --help)`;
  }
  let filter: RowFilter = {kind: 'none'};
  if (flags.port !== undefined) {
    const parsed = parsePortFilter(flags.port);
    if (typeof parsed === 'string') {
      return `--port: ${parsed}`;
    }
    filter = parsed;
  }
  const intervalMs = flags.interval === undefined ? 2000 : parseInterval(flags.interval);
  if (typeof intervalMs === 'string') {
    return intervalMs;
  }
  const sort =
    flags.sort === undefined ? {column: 'port' as const, descending: false} : parseSort(flags.sort);
  if (typeof sort === 'string') {
    return sort;
  }
  if (flags.json && flags.once) {
    return '--json and --once are two outputs: pick one';
  }
  const mode = flags.json ? 'json' : flags.once || !environment.isTty ? 'once' : 'interactive';
  return {
    mode,
    filter,
    color: flags.color && !environment.noColorEnv,
    intervalMs,
    sort: sort.column,
    descending: sort.descending,
  };
}
