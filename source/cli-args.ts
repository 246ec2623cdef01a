/**
 * The command line of nanodock-top, read by a small pure parser of our own.
 *
 * Why not meow or `util.parseArgs`: meow (with its dependencies) takes longer to load than
 * the whole `--version` budget, and it splits `--sort -uptime` into the short flags
 * -u -p -t -i -m -e. Node's `util.parseArgs` costs nothing to load but, in strict mode,
 * refuses a value that starts with '-' as ambiguous, and it silently keeps the last of a
 * repeated flag. Our few flags need neither: here a flag that takes a value takes the next
 * argument whatever it starts with (as getopt does), unless that is a long flag (`--port
 * --json` is a missing value, not the port "--json").
 */

/** The flags given, as cli-config reads them. */
export interface CliFlags {
  readonly once: boolean;
  readonly json: boolean;
  readonly port: string | undefined;
  /** False when `--no-color` was given. */
  readonly color: boolean;
  readonly interval: string | undefined;
  readonly sort: string | undefined;
  /** True when `--group` was given: rows grouped under compose project, container or process. */
  readonly group: boolean;
  /** Every `--host X`, in the order given (the one flag that may be repeated). */
  readonly hosts: readonly string[];
}

/** What a command line asks for, or a one-line reason it is wrong (the caller exits 2). */
/**
 * The output mode the flags ask for: `--json`, `--once`, or the dashboard, which a stdout that
 * is not a terminal (`isTty` false) turns into `--once`. (`--json` with `--once` is refused
 * by resolveCliConfig.)
 */
export function outputMode(
  flags: Pick<CliFlags, 'json' | 'once'>,
  isTty: boolean,
): 'json' | 'once' | 'interactive' {
  return flags.json ? 'json' : flags.once || !isTty ? 'once' : 'interactive';
}

export type ParsedArgs =
  | {readonly kind: 'help'}
  | {readonly kind: 'version'}
  | {readonly kind: 'run'; readonly flags: CliFlags}
  | {readonly kind: 'error'; readonly reason: string};

type FlagId =
  | 'once'
  | 'json'
  | 'noColor'
  | 'group'
  | 'port'
  | 'interval'
  | 'sort'
  | 'host'
  | 'help'
  | 'version';

interface FlagSpec {
  readonly id: FlagId;
  /** Every spelling; the first is the one messages use. */
  readonly names: readonly string[];
  /** For a flag that takes a value: an example of one, for the "needs a value" message. */
  readonly example?: string;
  /** May be given more than once, each value kept (`--host a --host b`). */
  readonly repeatable?: boolean;
}

/** Every flag the command accepts. */
const flagSpecs: readonly FlagSpec[] = [
  {id: 'once', names: ['--once']},
  {id: 'json', names: ['--json']},
  {id: 'noColor', names: ['--no-color']},
  {id: 'group', names: ['--group']},
  {id: 'port', names: ['--port'], example: '--port 8080 or --port 8000-8099'},
  {id: 'interval', names: ['--interval'], example: '--interval 2s'},
  {id: 'sort', names: ['--sort'], example: '--sort port or --sort -uptime'},
  {
    id: 'host',
    names: ['--host', '-H'],
    example: '--host ssh://user@server, --host CONTEXT or --host all-contexts',
    repeatable: true,
  },
  {id: 'help', names: ['--help', '-h']},
  {id: 'version', names: ['--version', '-V', '-v']},
];

function specOf(name: string): FlagSpec | undefined {
  return flagSpecs.find((spec) => spec.names.includes(name));
}

/**
 * Reads `argv` (the arguments after the script). Each flag but `--host` may be given once: a
 * repeated flag is an error rather than last-wins, since `--port 80 --port 443` may as well mean both ports
 * and a script that appends flags should hear about it. `--help` and `--version` win over the
 * other flags, not over a malformed command line.
 */
export function parseCliArgs(argv: readonly string[]): ParsedArgs {
  const values = new Map<FlagId, string | true>();
  const hosts: string[] = [];
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index] as string;
    if (argument === '--') {
      const next = argv[index + 1];
      if (next !== undefined) {
        return {kind: 'error', reason: `unexpected argument "${next}" (flags only; see --help)`};
      }
      break;
    }
    if (!argument.startsWith('-') || argument === '-') {
      return {kind: 'error', reason: `unexpected argument "${argument}" (flags only; see --help)`};
    }
    const equals = argument.startsWith('--') ? argument.indexOf('=') : -1;
    const name = equals === -1 ? argument : argument.slice(0, equals);
    const spec = specOf(name);
    if (spec === undefined) {
      const long = specOf(`-${name}`);
      const hint = long === undefined ? 'see --help' : `did you mean -${name}?`;
      return {kind: 'error', reason: `unknown flag ${name} (${hint})`};
    }
    if (values.has(spec.id) && spec.repeatable !== true) {
      return {
        kind: 'error',
        reason: `${spec.names[0]} given twice (each flag at most once; see --help)`,
      };
    }
    if (spec.example === undefined) {
      if (equals !== -1) {
        return {kind: 'error', reason: `${name} takes no value (got "${argument}")`};
      }
      values.set(spec.id, true);
      continue;
    }
    let value: string;
    if (equals === -1) {
      const next = argv[index + 1];
      if (next === undefined || next.startsWith('--')) {
        return {kind: 'error', reason: `${name} needs a value (${spec.example})`};
      }
      value = next;
      index++;
    } else {
      value = argument.slice(equals + 1);
    }
    values.set(spec.id, value);
    if (spec.id === 'host') {
      hosts.push(value);
    }
  }
  if (values.has('help')) {
    return {kind: 'help'};
  }
  if (values.has('version')) {
    return {kind: 'version'};
  }
  const text = (id: FlagId): string | undefined => {
    const value = values.get(id);
    return typeof value === 'string' ? value : undefined;
  };
  return {
    kind: 'run',
    flags: {
      once: values.has('once'),
      json: values.has('json'),
      port: text('port'),
      color: !values.has('noColor'),
      interval: text('interval'),
      sort: text('sort'),
      group: values.has('group'),
      hosts,
    },
  };
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point.
const controlCharacters = /[\u0000-\u001F\u007F-\u009F]/g;

/**
 * A reason as the one line it is printed as: arguments are quoted in reasons, and a newline
 * or an escape in one is shown as '?' (as the table shows control characters).
 */
export function formatReason(reason: string): string {
  return `nanodock-top: ${reason.replace(controlCharacters, '?')}\n`;
}
