import {parsePortFilter, type RowFilter} from './model/filter.js';

/** What the command line asks for. */
export interface CliConfig {
  readonly mode: 'json' | 'once' | 'interactive';
  readonly filter: RowFilter;
  readonly color: boolean;
}

/** The flags meow parsed, as this module reads them. */
export interface CliFlags {
  readonly once: boolean;
  readonly json: boolean;
  readonly port: string | undefined;
  readonly color: boolean;
}

/** Flag names the command accepts (meow's `--no-color` arrives as `color`). */
export const knownFlags: ReadonlySet<string> = new Set([
  'once',
  'json',
  'port',
  'color',
  'help',
  'version',
]);

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
  if (flags.json && flags.once) {
    return '--json and --once are two outputs: pick one';
  }
  const mode = flags.json ? 'json' : flags.once || !environment.isTty ? 'once' : 'interactive';
  return {mode, filter, color: flags.color && !environment.noColorEnv};
}
