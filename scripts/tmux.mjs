// tmux helpers shared by the scripts that drive nanodock-top in a real terminal
// (screenshot.mjs, bench-tui.mjs, bench-scale.mjs, soak.mjs). The tests have their own typed
// harness in test/helpers/tmux.ts; scripts run as plain JavaScript and cannot import it.
import {execFile} from 'node:child_process';
import {writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';

/** Runs one tmux command on the private server at `socket`; resolves stdout, rejects with tmux's stderr. */
export function runTmux(socket, args, env = process.env) {
  return new Promise((resolve, reject) => {
    execFile('tmux', ['-S', socket, ...args], {env, timeout: 10_000}, (error, stdout, stderr) => {
      if (error) reject(new Error(`tmux ${args.join(' ')}: ${stderr.trim() || error.message}`));
      else resolve(stdout);
    });
  });
}

/** Writes a config for a private server: no status line, panes stay readable after exit, xterm-256color. */
export function writeTmuxConfig(path) {
  writeFileSync(
    path,
    [
      'set -g status off',
      'set -g remain-on-exit on',
      'set -g remain-on-exit-format ""',
      'set -g default-terminal xterm-256color',
      '',
    ].join('\n'),
  );
}

/**
 * This process's environment for a program in the terminal, plus `extra`: without CI (Ink would
 * print only its last frame), a user's own tmux variables, or COLUMNS/LINES that would
 * contradict the pane.
 */
export function terminalEnv(extra = {}) {
  const env = {...process.env, ...extra};
  for (const key of ['CI', 'CONTINUOUS_INTEGRATION', 'TMUX', 'TMUX_PANE', 'COLUMNS', 'LINES']) {
    delete env[key];
  }
  return env;
}

/**
 * Starts `command` (argv, no shell) in a detached `columns`x`lines` session named `label` on a
 * private server whose socket and config live in `workDir` (the caller removes it after
 * `endSession`), with no status line, TERM=xterm-256color and `env` on top of this process's
 * environment (terminalEnv). Resolves {label, socket, startedAt} (performance.now()).
 */
export async function startSession({
  workDir,
  label,
  command,
  cwd,
  columns = 120,
  lines = 30,
  env = {},
}) {
  const socket = join(workDir, `${label}.sock`);
  const config = join(workDir, `${label}.tmux.conf`);
  writeTmuxConfig(config);
  const paneEnv = {...env, TERM: 'xterm-256color'};
  const startedAt = performance.now();
  await runTmux(
    socket,
    [
      '-f',
      config,
      'new-session',
      '-d',
      '-s',
      label,
      '-x',
      String(columns),
      '-y',
      String(lines),
      '-c',
      cwd,
      ...Object.entries(paneEnv).flatMap(([key, value]) => ['-e', `${key}=${value}`]),
      '--',
      ...command,
    ],
    terminalEnv(paneEnv),
  );
  return {label, socket, startedAt};
}

/** Stops a session's private server (nothing when it is gone already). */
export async function endSession(session) {
  await runTmux(session.socket, ['kill-server']).catch(() => {});
}

/** The pane's text, trailing blank lines cut; `styled` keeps its escape sequences. */
export async function capturePane(session, styled = false) {
  const args = ['capture-pane', '-p', ...(styled ? ['-e'] : []), '-t', session.label];
  return (await runTmux(session.socket, args)).replace(/\n+$/, '');
}

/** The pane's process: {pid, dead, status} (status is tmux's text, '' while it runs). */
export async function paneState(session) {
  const format = '#{pane_pid}|#{pane_dead}|#{pane_dead_status}';
  const out = await runTmux(session.socket, ['display', '-p', '-t', session.label, format]);
  const [pid, dead, status] = out.trim().split('|');
  return {pid: Number(pid), dead: dead === '1', status};
}

/**
 * Captures the pane every `everyMs` (fixed ticks from the start, so a slow capture does not
 * stretch the period) until `predicate(screen)` holds: resolves {screen, ms}. Throws with the
 * last screen when the program exits or `timeoutMs` passes.
 */
export async function waitForScreen(session, predicate, {timeoutMs = 30_000, everyMs = 50} = {}) {
  const started = performance.now();
  for (let poll = 1; ; poll++) {
    const screen = await capturePane(session);
    if (predicate(screen)) return {screen, ms: performance.now() - started};
    const state = await paneState(session);
    if (state.dead || performance.now() - started > timeoutMs) {
      const why = state.dead ? `exited (status ${state.status})` : `no match in ${timeoutMs} ms`;
      throw new Error(`${session.label}: ${why}; screen:\n${screen}`);
    }
    await sleep(Math.max(0, started + poll * everyMs - performance.now()));
  }
}
