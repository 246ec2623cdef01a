import {existsSync} from 'node:fs';
import {homedir} from 'node:os';
import {join} from 'node:path';
import {type CliFlags, outputMode} from './cli-args.js';
import type {ColumnId} from './model/columns.js';
import {parsePortFilter, type RowFilter} from './model/filter.js';
import {sortColumns} from './model/select.js';

/** What the command line asks for. */
export interface CliConfig {
  readonly mode: 'json' | 'once' | 'interactive';
  readonly filter: RowFilter;
  readonly color: boolean;
  readonly intervalMs: number;
  readonly sort: ColumnId;
  readonly descending: boolean;
  /**
   * `--group`: rows grouped under their compose project, container or process (model/tree.ts).
   * `--once` prints the tree, the dashboard starts grouped; `--json` is unchanged by it (its rows
   * are flat data, and a script that adds the flag should get the same JSON).
   */
  readonly group: boolean;
  /**
   * `--host`: the engines to watch, each a docker context's name, an engine address (unix://,
   * tcp://, ssh://) or `all-contexts`; in the order given, without repeats. Empty: this
   * machine's engines, found as without the flag.
   */
  readonly hosts: readonly string[];
}

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
  // A column's title is its id in capitals: PORT, UPTIME.
  const column = sortColumns.find((id) => id === name);
  if (column === undefined) {
    return `--sort: "${text}" is not a column (${sortColumns.join(', ')}; prefix - for descending)`;
  }
  return {column, descending};
}

/**
 * The configuration for the flags parseCliArgs read, or a one-line reason it is wrong (the caller exits 2).
 * `isTty` is whether stdout is a terminal: without one, the interactive view becomes `--once`.
 */
export function resolveCliConfig(
  flags: CliFlags,
  environment: {readonly isTty: boolean; readonly noColorEnv: boolean},
): CliConfig | string {
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
  const hosts: string[] = [];
  for (const host of flags.hosts) {
    const trimmed = host.trim();
    if (trimmed === '') {
      return '--host: needs a context name, an address like ssh://user@server, or all-contexts';
    }
    if (!hosts.includes(trimmed)) {
      hosts.push(trimmed);
    }
  }
  const mode = outputMode(flags, environment.isTty);
  return {
    mode,
    filter,
    color: flags.color && !environment.noColorEnv,
    intervalMs,
    sort: sort.column,
    descending: sort.descending,
    group: flags.group,
    hosts,
  };
}

/**
 * Whether the environment may name an engine on another machine (DOCKER_HOST or CONTAINER_HOST
 * not a Unix socket, DOCKER_CONTEXT, or a docker config that may set a current context): only
 * then is the fleet's module loaded to look (cli-fleet environmentHosts), which a one-shot
 * run on the usual machine need not pay for.
 */
export function mayNameRemoteEngines(
  env: Record<string, string | undefined> = process.env,
): boolean {
  const named = env.DOCKER_HOST || env.CONTAINER_HOST;
  if (named) {
    return !/^unix:\/\/|^\//i.test(named);
  }
  if (env.DOCKER_CONTEXT) {
    return true;
  }
  let home = '';
  try {
    home = homedir();
  } catch {
    // No home: no ~/.docker either.
  }
  const configDir = env.DOCKER_CONFIG || (home === '' ? '' : join(home, '.docker'));
  return configDir !== '' && existsSync(join(configDir, 'config.json'));
}
