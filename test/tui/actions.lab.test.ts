import {mkdtempSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {afterEach, describe, expect, it} from 'vitest';
import {
  isRootlessRunning,
  isRunning,
  lab,
  publishRootlessScratch,
  publishScratchContainer,
  removeContainer,
  removeRootlessContainer,
  shouldSkipLab,
  shouldSkipRootlessLab,
  shouldSkipUnlessRoot,
} from '../helpers/lab.js';
import {startTmux, type TmuxSession} from '../helpers/tmux.js';

/**
 * `k` and `s` in the built dashboard, on a container of each of the lab's four engines, the
 * way a user does it: `/`, the port, Enter, then the key and `y`. Root only (it kills).
 */

const root = fileURLToPath(new URL('../..', import.meta.url));
const tlsSocket = 'unix:///var/run/docker-tls.sock';
/** A HOME with no docker config or contexts: the dashboard sees only what each case names. */
const bareHome = mkdtempSync(join(tmpdir(), 'nanodock-actions-home-'));
const isRoot = !shouldSkipUnlessRoot('dashboard actions on every lab engine');

interface EngineCase {
  readonly name: string;
  /** Environment of the dashboard: which engines it discovers. */
  readonly env: Record<string, string>;
  /** Host ports of the kill and the stop scratch containers. */
  readonly ports: {readonly kill: number; readonly stop: number};
  readonly skip: boolean;
  start(name: string, port: number): Promise<string>;
  isRunning(id: string): Promise<boolean>;
  remove(id: string): Promise<void>;
}

const cases: EngineCase[] = [
  {
    name: 'Docker (unix socket)',
    env: {},
    ports: {kill: 18110, stop: 18111},
    skip: (await shouldSkipLab('Docker', lab.docker.address)) || !isRoot,
    start: (name, port) => publishScratchContainer(lab.docker.address, lab.image, name, port),
    isRunning: (id) => isRunning(lab.docker.address, id),
    remove: (id) => removeContainer(lab.docker.address, id),
  },
  {
    name: 'Docker over TLS (tcp://127.0.0.1:2376)',
    env: {DOCKER_HOST: lab.tls.address, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: lab.tls.certs},
    ports: {kill: 18112, stop: 18113},
    skip: (await shouldSkipLab('TLS Docker', tlsSocket)) || !isRoot,
    start: (name, port) => publishScratchContainer(tlsSocket, lab.image, name, port, '127.0.0.1'),
    isRunning: (id) => isRunning(tlsSocket, id),
    remove: (id) => removeContainer(tlsSocket, id),
  },
  {
    name: 'Podman rootful (API socket)',
    env: {},
    ports: {kill: 18114, stop: 18115},
    skip: (await shouldSkipLab('rootful Podman', lab.podman.address)) || !isRoot,
    start: (name, port) => publishScratchContainer(lab.podman.address, lab.podmanImage, name, port),
    isRunning: (id) => isRunning(lab.podman.address, id),
    remove: (id) => removeContainer(lab.podman.address, id),
  },
  {
    name: `Podman rootless (user ${lab.rootless.user}, no API socket)`,
    env: {},
    ports: {kill: 18116, stop: 18117},
    skip: (await shouldSkipRootlessLab()) || !isRoot,
    start: (name, port) => publishRootlessScratch(name, port),
    isRunning: (id) => isRootlessRunning(id),
    remove: (id) => removeRootlessContainer(id),
  },
];

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
