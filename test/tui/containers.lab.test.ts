import {fileURLToPath} from 'node:url';
import {afterAll, afterEach, describe, expect, it} from 'vitest';
import {
  engineApi,
  isRunning,
  lab,
  removeContainer,
  shouldSkipLab,
  shouldSkipUnlessRoot,
} from '../helpers/lab.js';
import {startTmux, type TmuxSession} from '../helpers/tmux.js';

// Containers as first-class rows in a real terminal: the tree, tags and a bulk kill, the logs
// pane, restart and the detail pane's stats, against the lab's Docker. Ports 18320-18339.

const root = fileURLToPath(new URL('../..', import.meta.url));
const isRoot = !shouldSkipUnlessRoot('terminal lab tests');
const skip = (await shouldSkipLab('Docker', lab.docker.address)) || !isRoot;

let session: TmuxSession | undefined;
const scratch: string[] = [];
afterEach(async () => {
  await session?.kill();
  session = undefined;
});
afterAll(async () => {
  for (const id of scratch.splice(0)) {
    await removeContainer(lab.docker.address, id);
  }
});

/** Prints `line N` every 0.2 s and `oops N` on stderr every 5th; serves `ports` (busybox httpd, in the background). */
const chatty = [
  '/bin/sh',
  '-c',
  'trap "exit 0" TERM; /bin/busybox httpd -p 80; i=0; while true; do echo line $i; if [ $((i % 5)) = 0 ]; then echo oops $i >&2; fi; i=$((i+1)); sleep 0.2; done',
];

async function startScratch(
  name: string,
  ports: readonly number[],
  labels: Record<string, string> = {},
): Promise<string> {
  await engineApi(lab.docker.address, 'DELETE', `/containers/${name}?force=true`);
  const created = await engineApi(lab.docker.address, 'POST', `/containers/create?name=${name}`, {
    Image: lab.image,
    Cmd: chatty,
    ExposedPorts: Object.fromEntries(ports.map((_, index) => [`${80 + index}/tcp`, {}])),
    HostConfig: {
      PortBindings: Object.fromEntries(
        ports.map((port, index) => [`${80 + index}/tcp`, [{HostPort: String(port)}]]),
      ),
    },
    Labels: {'nanodock.test': '1', ...labels},
  });
  const id = (created.json as {Id: string}).Id;
  scratch.push(id);
  const started = await engineApi(lab.docker.address, 'POST', `/containers/${id}/start`);
  expect(started.status).toBe(204);
  return id;
}

async function start(args: string[]): Promise<TmuxSession> {
  session = await startTmux(['node', 'dist/cli.js', '--interval', '1s', ...args], {
    columns: 160,
    rows: 40,
    cwd: root,
  });
  return session;
}

async function filterTo(tmux: TmuxSession, text: string): Promise<void> {
  await tmux.send('/');
  await tmux.type(text);
  await tmux.send('Enter');
  await tmux.waitFor((screen) => screen.includes(`filter: ${text}`));
}

const short = (id: string): string => id.slice(0, 12);

describe.skipIf(skip)('containers as rows in a real terminal (tmux) against the lab', () => {
  it('--group shows project -> container -> ports; - and + close and open; Space on the project tags both; k kills them after one prompt', async () => {
    const project = {'com.docker.compose.project': 'ndgrp'};
    const a = await startScratch('nd-grp-a', [18320, 18321], project);
    const b = await startScratch('nd-grp-b', [18322], project);
    const tmux = await start(['--group']);
    await tmux.waitFor((screen) => screen.includes('nd-grp-b'), {timeoutMs: 20_000});
    await filterTo(tmux, 'ndgrp');
    const tree = await tmux.waitFor(
      (screen) =>
        /▾ .*ndgrp/.test(screen) &&
        screen.includes(`nd-grp-a  ${short(a)}`) &&
        screen.includes(`nd-grp-b  ${short(b)}`) &&
        screen.includes('18321'),
    );
    const lines = tree.split('\n');
    const projectAt = lines.findIndex((line) => /▾ .*ndgrp/.test(line));
    const aAt = lines.findIndex((line) => line.includes(`nd-grp-a  ${short(a)}`));
    const portsOfA = lines.slice(aAt + 1, aAt + 3).join('\n');
    expect(projectAt).toBeGreaterThanOrEqual(0);
    expect(aAt).toBeGreaterThan(projectAt);
    expect(portsOfA).toContain('18320');
    expect(portsOfA).toContain('18321');
    // The first line is the project: - closes it, + opens it again.
    await tmux.send('g', '-');
    const closed = await tmux.waitFor((screen) => /▸ .*ndgrp/.test(screen));
    expect(closed).not.toContain('18321');
    await tmux.send('+');
    await tmux.waitFor((screen) => /▾ .*ndgrp/.test(screen) && screen.includes('18321'));
    await tmux.send('Space');
    await tmux.waitFor((screen) => screen.includes('2 tagged'));
    await tmux.send('k');
    await tmux.waitFor((screen) =>
      screen.includes(`Kill 2 containers: nd-grp-a (${short(a)}), nd-grp-b (${short(b)})? [y/N]`),
    );
    await tmux.send('y');
    await tmux.waitFor(
      (screen) =>
        screen.includes(`killed nd-grp-a (${short(a)})`) &&
        screen.includes(`killed nd-grp-b (${short(b)})`),
      {timeoutMs: 20_000},
    );
    expect(await isRunning(lab.docker.address, a)).toBe(false);
    expect(await isRunning(lab.docker.address, b)).toBe(false);
    // Their tags go with them.
    await tmux.waitFor((screen) => !screen.includes('tagged'), {timeoutMs: 10_000});
  }, 90_000);

  it('t toggles the tree and back, keeping the selection on the same row', async () => {
    const id = await startScratch('nd-grp-t', [18323, 18324]);
    const tmux = await start([]);
    await tmux.waitFor((screen) => screen.includes('nd-grp-t'), {timeoutMs: 20_000});
    await filterTo(tmux, '1832');
    await tmux.send('G');
    await tmux.send('t');
    const tree = await tmux.waitFor((screen) => screen.includes(`▾ nd-grp-t  ${short(id)}`));
    expect(tree).toMatch(/docker\s+running\s+.*2 ports/);
    await tmux.send('Enter');
    // Enter on a row opens its details (the row, not the group, kept the selection).
    await tmux.waitFor((screen) => screen.includes('tcp port 18324'));
  }, 60_000);

  it('l shows the logs following, stderr marked, / searches, and says when the container stopped', async () => {
    const id = await startScratch('nd-logs-tui', [18325]);
    const tmux = await start(['--port', '18325']);
    await tmux.waitFor((screen) => screen.includes('nd-logs-tui'), {timeoutMs: 20_000});
    await tmux.send('l');
    const logs = await tmux.waitFor(
      (screen) =>
        screen.includes(`logs of nd-logs-tui (${short(id)}) · following`) &&
        /line \d+/.test(screen),
      {timeoutMs: 15_000},
    );
    expect(logs).toMatch(/\d\d:\d\d:\d\d ! oops \d+/);
    expect(logs).toMatch(/\d\d:\d\d:\d\d {3}line \d+/);
    // New lines come while it follows.
    const last = (screen: string): number =>
      Math.max(...[...screen.matchAll(/line (\d+)/g)].map((match) => Number(match[1])));
    const before = last(logs);
    await tmux.waitFor((screen) => last(screen) > before + 3, {timeoutMs: 10_000});
    await tmux.send('/');
    await tmux.type('oops');
    await tmux.send('Enter');
    const searched = await tmux.waitFor((screen) => screen.includes('search "oops"'));
    const body = searched.split('\n').filter((line) => /^\d\d:\d\d:\d\d /.test(line));
    expect(body.length).toBeGreaterThan(0);
    expect(body.every((line) => line.includes('oops'))).toBe(true);
    await engineApi(lab.docker.address, 'POST', `/containers/${id}/kill`);
    await tmux.waitFor((screen) => screen.includes('nd-logs-tui stopped: no more lines'), {
      timeoutMs: 15_000,
    });
    await tmux.send('Escape', 'Escape');
    await tmux.waitFor((screen) => screen.includes('PROTO'));
  }, 60_000);

  it('r restarts after y; Enter shows the container resources from a stats sample', async () => {
    const id = await startScratch('nd-restart-tui', [18326]);
    const before = (await engineApi(lab.docker.address, 'GET', `/containers/${id}/json`)).json as {
      State: {StartedAt: string};
    };
    const tmux = await start(['--port', '18326']);
    await tmux.waitFor((screen) => screen.includes('nd-restart-tui'), {timeoutMs: 20_000});
    await tmux.send('Enter');
    await tmux.waitFor((screen) => /resources: cpu [\d.]+% · memory [\d.]+\w*B/.test(screen), {
      timeoutMs: 15_000,
    });
    await tmux.send('Escape');
    await tmux.send('r');
    await tmux.waitFor((screen) =>
      screen.includes(`Restart container nd-restart-tui (${short(id)})? [y/N]`),
    );
    await tmux.send('y');
    await tmux.waitFor((screen) => screen.includes(`restarted nd-restart-tui (${short(id)})`), {
      timeoutMs: 30_000,
    });
    const after = (await engineApi(lab.docker.address, 'GET', `/containers/${id}/json`)).json as {
      State: {StartedAt: string; Running: boolean};
    };
    expect(after.State.Running).toBe(true);
    expect(after.State.StartedAt).not.toBe(before.State.StartedAt);
  }, 60_000);
});
