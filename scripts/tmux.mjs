// tmux helpers shared by the scripts that drive nanodock-top in a real terminal
// (screenshot.mjs, bench-tui.mjs). The tests have their own typed harness in
// test/helpers/tmux.ts; scripts run as plain JavaScript and cannot import it.
import {execFile} from 'node:child_process';
import {writeFileSync} from 'node:fs';

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
