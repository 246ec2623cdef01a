import {execFile} from 'node:child_process';
import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';

/** A program running in a real terminal: a detached tmux session on a private tmux server. */
export interface TmuxSession {
  /** The tmux session name (also the private server's label). */
  readonly name: string;
  /**
   * Sends keys by tmux key name (`Up`, `Down`, `PPage`, `NPage`, `Home`, `End`, `Enter`,
   * `Escape`, `BSpace`, `Tab`, `C-c`, `M-x`, ...), in order, in one `send-keys`. A string that
   * is not a key name is typed as its characters. Throws when tmux fails (e.g. server gone).
   */
  send(...keys: string[]): Promise<void>;
  /** Types `text` literally (`send-keys -l`): no key names, no tmux escapes. */
  type(text: string): Promise<void>;
  /** The visible screen as plain text: lines joined by `\n`, trailing blank lines trimmed. */
  screen(): Promise<string>;
  /** The visible screen with its SGR escapes (`capture-pane -p -e`). */
  screenWithEscapes(): Promise<string>;
  /** Where the cursor is: 0-based column and line of the visible screen (as `screen()` lines). */
  cursor(): Promise<{readonly column: number; readonly line: number}>;
  /**
   * Polls the screen every 50 ms until `predicate` holds and returns that screen. Throws,
   * with `message` and the last screen in the error, after `timeoutMs` (default 10 s), or at
   * once when the program has exited and its final screen does not match.
   */
  waitFor(
    predicate: (screen: string) => boolean,
    options?: {readonly timeoutMs?: number; readonly message?: string},
  ): Promise<string>;
  /** Resizes the terminal (`resize-window`); the program gets SIGWINCH. */
  resize(columns: number, rows: number): Promise<void>;
  /** The path of the pane's terminal (`/dev/pts/N`): what is written there shows on screen. */
  paneTty(): Promise<string>;
  /** True while the program runs (false once it exited or the session was killed). */
  isAlive(): Promise<boolean>;
  /**
   * The program's exit status once it exited: its code, or 128 + N when signal N ended it (as
   * a shell reports it). Null while it runs or when the session is gone.
   */
  exitCode(): Promise<number | null>;
  /** Kills the private tmux server (and with it the program) and removes its temp dir. */
  kill(): Promise<void>;
}

/** Options of startTmux. */
export interface StartTmuxOptions {
  /** Terminal width in cells. */
  readonly columns: number;
  /** Terminal height in lines. */
  readonly rows: number;
  /**
   * Extra environment of the program, on top of this process's minus CI, TMUX, TMUX_PANE,
   * COLUMNS, LINES, FORCE_COLOR and NO_COLOR (set them here to pass them). Default none.
   */
  readonly env?: Record<string, string>;
  /** Working directory of the program; default this process's. */
  readonly cwd?: string;
}

/**
 * Variables not passed into the terminal unless `env` sets them: `CI` makes Ink render only
 * its last frame, the tmux ones belong to a user's own tmux, `COLUMNS`/`LINES` would
 * contradict the pane, and the colour switches of the test run would change what is drawn.
 */
const droppedEnv = [
  'CI',
  'CONTINUOUS_INTEGRATION',
  'TMUX',
  'TMUX_PANE',
  'COLUMNS',
  'LINES',
  'FORCE_COLOR',
  'NO_COLOR',
];

/**
 * tmux reads an argument ending in `;` as a command separator, even from argv; `\;` at the end
 * stands for a literal `;`.
 */
function escapeArgument(argument: string): string {
  return argument.endsWith(';') ? `${argument.slice(0, -1)}\\;` : argument;
}

let sessionCount = 0;

/**
 * Starts `command` (argv, run without a shell) in a detached tmux session of `columns` x
 * `rows` on a private server (its own socket in a temp dir, no user config), with
 * TERM=xterm-256color, no status line, and `remain-on-exit` so the final screen and exit
 * status stay readable after the program quits. Throws when tmux cannot start the session.
 */
export async function startTmux(
  command: string[],
  options: StartTmuxOptions,
): Promise<TmuxSession> {
  if (command.length === 0) {
    throw new Error('startTmux: empty command');
  }
  sessionCount += 1;
  const name = `nd-${process.pid}-${sessionCount}`;
  const directory = await mkdtemp(join(tmpdir(), 'nd-tmux-'));
  const socket = join(directory, 'sock');
  const config = join(directory, 'tmux.conf');
  await writeFile(
    config,
    [
      'set -g remain-on-exit on',
      // The default format adds a "Pane is dead (...)" line, which can scroll the final screen.
      'set -g remain-on-exit-format ""',
      'set -g status off',
      'set -g default-terminal xterm-256color',
      '',
    ].join('\n'),
  );

  const env: NodeJS.ProcessEnv = {...process.env, ...options.env};
  for (const key of droppedEnv) {
    if (!(options.env && key in options.env)) {
      delete env[key];
    }
  }

  const tmux = (args: string[]): Promise<string> =>
    new Promise((resolve, reject) => {
      execFile(
        'tmux',
        ['-S', socket, ...args],
        {env, timeout: 10_000, maxBuffer: 16 * 1024 * 1024},
        (error, stdout, stderr) => {
          if (error) {
            reject(
              new Error(`tmux ${args.join(' ')}: ${stderr.trim() || error.message}`, {
                cause: error,
              }),
            );
            return;
          }
          resolve(stdout);
        },
      );
    });

  let paneId: string;
  try {
    const created = await tmux([
      '-f',
      config,
      'new-session',
      '-d',
      '-P',
      '-F',
      '#{pane_id}',
      '-s',
      name,
      '-x',
      String(options.columns),
      '-y',
      String(options.rows),
      '-c',
      options.cwd ?? process.cwd(),
      '--',
      ...command.map(escapeArgument),
    ]);
    paneId = created.trim();
  } catch (error) {
    await rm(directory, {recursive: true, force: true});
    throw error;
  }

  const capture = async (flags: string[]): Promise<string> => {
    const text = await tmux(['capture-pane', '-p', ...flags, '-t', paneId]);
    return text.replace(/\n+$/, '');
  };

  const readPane = async (): Promise<{dead: boolean; status: string; signal: string} | null> => {
    try {
      const out = await tmux([
        'display-message',
        '-p',
        '-t',
        paneId,
        '#{pane_dead}|#{pane_dead_status}|#{pane_dead_signal}',
      ]);
      const [dead = '', status = '', signal = ''] = out.trim().split('|');
      return {dead: dead === '1', status, signal};
    } catch {
      return null;
    }
  };

  /**
   * `{exited, status, signal}` of the pane, or null when the server or pane is gone.
   * tmux 3.3 sets #{pane_dead} at the terminal's EOF, before it has reaped the program; and
   * here it misses the program's SIGCHLD about one time in four, leaving a zombie and no status
   * for good. Any other child of the server that exits makes it reap every zombie, so a
   * `run-shell true` nudges it. The program counts as exited once its status (or signal) is
   * known, and by then tmux has read all its output.
   */
  const paneState = async (): Promise<{
    exited: boolean;
    status: string;
    signal: string;
  } | null> => {
    let state = await readPane();
    for (
      let attempt = 0;
      state?.dead && state.status === '' && state.signal === '' && attempt < 5;
      attempt++
    ) {
      await tmux(['run-shell', 'true']).catch(() => {});
      state = await readPane();
    }
    if (state === null) {
      return null;
    }
    const {dead, status, signal} = state;
    return {exited: dead && (status !== '' || signal !== ''), status, signal};
  };

  const session: TmuxSession = {
    name,
    async send(...keys) {
      if (keys.length > 0) {
        await tmux(['send-keys', '-t', paneId, '--', ...keys.map(escapeArgument)]);
      }
    },
    async type(text) {
      if (text !== '') {
        await tmux(['send-keys', '-t', paneId, '-l', '--', escapeArgument(text)]);
      }
    },
    screen: () => capture([]),
    screenWithEscapes: () => capture(['-e']),
    async cursor() {
      const out = await tmux(['display-message', '-p', '-t', paneId, '#{cursor_x},#{cursor_y}']);
      const [column = '', line = ''] = out.trim().split(',');
      return {column: Number(column), line: Number(line)};
    },
    async waitFor(predicate, waitOptions = {}) {
      const timeoutMs = waitOptions.timeoutMs ?? 10_000;
      const deadline = Date.now() + timeoutMs;
      let last = '';
      for (;;) {
        last = await capture([]);
        if (predicate(last)) {
          return last;
        }
        let reason: string | null = null;
        const state = await paneState();
        if (state === null) {
          reason = 'the tmux session is gone';
        } else if (state.exited) {
          // The program may have drawn and exited since the capture above. tmux can mark the
          // pane dead (its child reaped) before it has read the program's last output from the
          // terminal, so the final screen gets half a second to arrive, then the wait fails.
          const settled = Date.now() + 500;
          for (;;) {
            last = await capture([]);
            if (predicate(last)) {
              return last;
            }
            if (Date.now() >= settled) {
              break;
            }
            await sleep(50);
          }
          reason = `the program exited (${state.signal ? `signal ${state.signal}` : `status ${state.status}`})`;
        } else if (Date.now() >= deadline) {
          reason = `timed out after ${timeoutMs} ms`;
        }
        if (reason !== null) {
          throw new Error(
            `${waitOptions.message ?? 'waitFor'}: ${reason}; last screen:\n${last}\n--- end of screen`,
          );
        }
        await sleep(50);
      }
    },
    async resize(columns, rows) {
      await tmux(['resize-window', '-t', paneId, '-x', String(columns), '-y', String(rows)]);
    },
    async paneTty() {
      return (await tmux(['display-message', '-p', '-t', paneId, '#{pane_tty}'])).trim();
    },
    async isAlive() {
      const state = await paneState();
      return state !== null && !state.exited;
    },
    async exitCode() {
      const state = await paneState();
      if (state === null || !state.exited) {
        return null;
      }
      return state.signal === '' ? Number(state.status) : 128 + Number(state.signal);
    },
    async kill() {
      await tmux(['kill-server']).catch(() => {});
      await rm(directory, {recursive: true, force: true});
    },
  };
  return session;
}
