import {fileURLToPath} from 'node:url';
import {afterAll, afterEach, describe, expect, it} from 'vitest';
import {runCli} from '../helpers/cli.js';
import {lab, shouldSkipLab, shouldSkipUnlessRoot, swarmDocker} from '../helpers/lab.js';
import {startTmux, type TmuxSession} from '../helpers/tmux.js';

// Swarm services in the dashboard, against the lab's Swarm engines (scripts/lab-swarm.sh): the
// manager's ingress ports as rows, a service's tasks in its details, k on its local task, and
// what a worker says. This file's own service: port 18430.

const root = fileURLToPath(new URL('../..', import.meta.url));
const isRoot = !shouldSkipUnlessRoot('Swarm dashboard lab tests');
const skipManager = !isRoot || (await shouldSkipLab('Swarm manager', lab.swarm.address));
const skipWorker = skipManager || (await shouldSkipLab('Swarm worker', lab.swarm.workerAddress));

const docker = swarmDocker;

const service = `nd-swarm-t-ui-${process.pid}`;
let session: TmuxSession | undefined;
afterEach(async () => {
  await session?.kill();
  session = undefined;
});
afterAll(async () => {
  await docker(['service', 'rm', service]).catch(() => undefined);
});

describe.skipIf(skipManager)('Swarm services in the dashboard (lab manager)', () => {
  it('--once: an ingress port is a row with the service and its replicas, held by no process', async () => {
    const run = await runCli([
      '--once',
      '--host',
      lab.swarm.address,
      '--port',
      String(lab.swarm.port),
    ]);
    expect(run.code).toBe(0);
    const line = run.stdout.split('\n').find((text) => text.includes(String(lab.swarm.port)));
    expect(line).toMatch(
      new RegExp(
        `tcp\\s+0\\.0\\.0\\.0\\s+${lab.swarm.port}\\s+-\\s+\\(swarm\\) \\S+\\s+-\\s+nd-swarm-web 2/2`,
      ),
    );
    const json = await runCli([
      '--json',
      '--host',
      lab.swarm.address,
      '--port',
      String(lab.swarm.port),
    ]);
    expect(JSON.parse(json.stdout)).toEqual([
      expect.objectContaining({
        port: lab.swarm.port,
        pid: null,
        container: expect.objectContaining({name: expect.stringMatching(/^nd-swarm-web\./)}),
      }),
    ]);
  }, 60_000);

  it('Enter lists the tasks and nodes; k kills the task container on this node, and Swarm replaces it', async () => {
    const port = 18430;
    await docker(['service', 'rm', service]).catch(() => undefined);
    await docker([
      'service',
      'create',
      '-d',
      '--name',
      service,
      '--replicas',
      '1',
      '--publish',
      `${port}:80`,
      '--stop-grace-period',
      '1s',
      lab.image,
      '/bin/busybox',
      'httpd',
      '-f',
      '-p',
      '80',
    ]);
    session = await startTmux(
      [
        'node',
        'dist/cli.js',
        '--interval',
        '1s',
        '--host',
        lab.swarm.address,
        '--port',
        String(port),
      ],
      {columns: 160, rows: 30, cwd: root},
    );
    const tmux = session;
    await tmux.waitFor((screen) => screen.includes(`${service} 1/1`), {timeoutMs: 60_000});
    await tmux.send('Enter');
    const details = await tmux.waitFor((screen) => screen.includes('tasks:'));
    expect(details).toContain(`service: ${service}`);
    expect(details).toContain('routing mesh: no host socket');
    expect(details).toMatch(/#1 running on \S+ \(this node\) · container \w{12}/);
    const container = /container (\w{12})/.exec(details.slice(details.indexOf('tasks:')))?.[1];
    await tmux.send('Escape');
    await tmux.send('k');
    await tmux.waitFor((screen) =>
      new RegExp(`Kill container ${service}\\.1\\.\\w+ \\(${container}\\)\\? \\[y/N\\]`).test(
        screen,
      ),
    );
    await tmux.send('y');
    await tmux.waitFor((screen) => screen.includes(`killed ${service}.1.`), {timeoutMs: 30_000});
    // Swarm starts a new task in its place: the row comes back to 1/1 with another container.
    await tmux.send('Enter');
    await tmux.waitFor(
      (screen) =>
        /#1 running on \S+ \(this node\) · container (\w{12})/.test(screen) &&
        !screen.includes(`container ${container}`),
      {timeoutMs: 60_000},
    );
  }, 150_000);
});

describe.skipIf(skipWorker)('a Swarm worker in the dashboard', () => {
  it('says it cannot list services, and how to see them', async () => {
    const run = await runCli(['--once', '--host', lab.swarm.workerAddress]);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(
      /is a Swarm worker: .*only managers list services.*watch a manager for its services' ports/,
    );
    expect(run.stdout).not.toContain(String(lab.swarm.port));
  }, 60_000);
});
