import {mkdtempSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {afterEach, describe, expect, it} from 'vitest';
import {shouldSkipUnlessRoot} from '../helpers/lab.js';
import {type LabEngine, labEngines} from '../helpers/lab-engines.js';
import {startTmux, type TmuxSession} from '../helpers/tmux.js';

/**
 * `k` and `s` in the built dashboard, on a container of each of the lab's four engines, the
 * way a user does it: `/`, the port, Enter, then the key and `y`. Root only (it kills).
 */

const root = fileURLToPath(new URL('../..', import.meta.url));
/** A HOME with no docker config or contexts: the dashboard sees only what each case names. */
const bareHome = mkdtempSync(join(tmpdir(), 'nanodock-actions-home-'));
const isRoot = !shouldSkipUnlessRoot('dashboard actions on every lab engine');

interface EngineCase extends LabEngine {
  /** Host ports of the kill and the stop scratch containers. */
  readonly ports: {readonly kill: number; readonly stop: number};
}

const cases: EngineCase[] = (await labEngines(isRoot)).map((engine, index) => ({
  ...engine,
  ports: {kill: 18110 + 2 * index, stop: 18111 + 2 * index},
}));

let session: TmuxSession | undefined;
const scratch: Array<[EngineCase, string]> = [];
afterEach(async () => {
  await session?.kill();
  session = undefined;
  for (const [engine, id] of scratch.splice(0)) {
    await engine.remove(id);
  }
});

const tableRows = (screen: string): string[] =>
  screen.split('\n').filter((line) => /^[* ] (tcp|udp) /.test(line));

/** The bottom line once an action has answered: the outcome, whatever it is. */
const answered = (name: string) => (screen: string) =>
  screen.includes(`killed ${name}`) ||
  screen.includes(`stopped ${name}`) ||
  screen.includes('not found on any engine') ||
  screen.includes('was already stopped') ||
  / failed: /.test(screen);

/**
 * Starts the dashboard, filters it to `port` (`/`, the port, Enter) and waits until the one
 * row shows the container `name`.
 */
async function dashboardOn(engine: EngineCase, port: number, name: string): Promise<TmuxSession> {
  session = await startTmux(['node', 'dist/cli.js', '--interval', '1s'], {
    columns: 120,
    rows: 30,
    cwd: root,
    env: {HOME: bareHome, ...engine.env},
  });
  const tmux = session;
  // Type only once the app reads keys: before raw mode the terminal would echo them.
  await tmux.waitFor((text) => text.includes('PROTO'), {timeoutMs: 15_000, message: 'first frame'});
  await tmux.send('/');
  await tmux.type(String(port));
  await tmux.send('Enter');
  await tmux.waitFor((text) => text.includes(`filter: ${port}`), {message: 'filter kept'});
  await tmux.waitFor(
    (text) => {
      const rows = tableRows(text);
      return rows.length === 1 && rows[0]?.includes(name) === true;
    },
    {timeoutMs: 15_000, message: `the row of ${port} showing ${name}`},
  );
  return tmux;
}

for (const engine of cases) {
  describe.skipIf(engine.skip)(`nanodock-top k and s on ${engine.name} (tmux, lab)`, () => {
    it('/ port Enter, k, y: the container is killed, and the status line says so', async () => {
      const port = engine.ports.kill;
      const name = `nd-tui-kill-${port}`;
      const id = await engine.start(name, port);
      scratch.push([engine, id]);
      const tmux = await dashboardOn(engine, port, name);
      await tmux.send('k');
      await tmux.waitFor(
        (text) => text.includes(`Kill container ${name} (${id.slice(0, 12)})? [y/N]`),
        {
          message: 'kill prompt',
        },
      );
      await tmux.send('y');
      const screen = await tmux.waitFor(answered(name), {
        timeoutMs: 20_000,
        message: 'kill outcome',
      });
      expect(screen).toContain(`killed ${name} (${id.slice(0, 12)})`);
      await expect.poll(() => engine.isRunning(id), {timeout: 10_000}).toBe(false);
      await tmux.waitFor((text) => !tableRows(text).some((line) => line.includes(name)), {
        timeoutMs: 10_000,
        message: 'row gone',
      });
    }, 90_000);

    it('/ port Enter, s, y: the container is stopped, and the status line says so', async () => {
      const port = engine.ports.stop;
      const name = `nd-tui-stop-${port}`;
      const id = await engine.start(name, port);
      scratch.push([engine, id]);
      const tmux = await dashboardOn(engine, port, name);
      await tmux.send('s');
      await tmux.waitFor((text) => text.includes(`Stop container ${name} (${id.slice(0, 12)})`), {
        message: 'stop prompt',
      });
      await tmux.send('y');
      const screen = await tmux.waitFor(answered(name), {
        timeoutMs: 25_000,
        message: 'stop outcome',
      });
      expect(screen).toContain(`stopped ${name} (${id.slice(0, 12)})`);
      await expect.poll(() => engine.isRunning(id), {timeout: 10_000}).toBe(false);
    }, 90_000);
  });
}
