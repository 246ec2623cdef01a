import {chmodSync, rmSync, writeFileSync} from 'node:fs';
import {fileURLToPath} from 'node:url';
import {afterAll, afterEach, describe, expect, it} from 'vitest';
import {planFleet} from '../../source/fleet.js';
import {RemoteSnapshot} from '../../source/remote-snapshot.js';
import type {Snapshot} from '../../source/snapshot.js';
import {runCli} from '../helpers/cli.js';
import {
  isRunning,
  lab,
  publishScratchContainer,
  removeContainer,
  shouldSkipLab,
  shouldSkipSshLab,
  shouldSkipUnlessRoot,
} from '../helpers/lab.js';
import {startTmux, type TmuxSession} from '../helpers/tmux.js';

// Several hosts (--host) against the lab: this machine's Docker and the same Docker reached
// over the lab's sshd (scripts/lab-ssh.sh), whose port 18224 puts /run/nanodock-lab/ssh-top-bin
// on the session's PATH; the tests put a nanodock-top there (this checkout's dist/cli.js).
// Ports 18370-18379.

const root = fileURLToPath(new URL('../..', import.meta.url));
const topBin = '/run/nanodock-lab/ssh-top-bin/nanodock-top';
const withTop = 'ssh://root@nd-lab-ssh-top';
const withoutTop = 'ssh://root@nd-lab-ssh';

const isRoot = !shouldSkipUnlessRoot('fleet lab tests');
const skip =
  !isRoot ||
  (await shouldSkipLab('Docker', lab.docker.address)) ||
  (await shouldSkipSshLab(withTop));

/** Puts a nanodock-top on the remote's PATH: this checkout's, or one that says `version`. */
function installRemoteTop(version?: string): void {
  const body =
    version === undefined ? `exec ${process.execPath} ${root}/dist/cli.js "$@"` : `echo ${version}`;
  writeFileSync(topBin, `#!/bin/sh\n${body}\n`);
  chmodSync(topBin, 0o755);
}

let session: TmuxSession | undefined;
const scratch: string[] = [];
afterEach(async () => {
  await session?.kill();
  session = undefined;
});
afterAll(async () => {
  rmSync(topBin, {force: true});
  for (const id of scratch.splice(0)) {
    await removeContainer(lab.docker.address, id);
  }
});

async function refreshOnce(remote: RemoteSnapshot): Promise<Snapshot> {
  let last: Snapshot | null = null;
  await remote.refresh((snapshot) => {
    last = snapshot;
  });
  if (last === null) {
    throw new Error('no snapshot');
  }
  return last;
}

describe.skipIf(skip)('several hosts against the lab (ssh remote = this machine)', () => {
  it('a remote with nanodock-top: its sockets and processes, joined to the containers listed over ssh', async () => {
    installRemoteTop();
    const remote = new RemoteSnapshot({
      name: 'nd-lab-ssh-top',
      addresses: [withTop],
      version: '0.1.0',
    });
    const snapshot = await refreshOnce(remote);
    const web = snapshot.rows.find((row) => row.port === lab.docker.port && row.protocol === 'tcp');
    expect(snapshot.warnings).toEqual([]);
    // The remote's own scan: the docker-proxy process holding the port...
    expect(web).toMatchObject({process: 'docker-proxy', helper: 'docker-proxy'});
    expect(web?.pid).toBeGreaterThan(0);
    // ...and the container as the ssh engine listed it, so actions go through ssh.
    expect(web?.container).toMatchObject({name: lab.docker.container, endpoint: withTop});
    expect(web?.container?.composeProject).toBe('ndlab');
    expect(web?.startTicks).toBeNull();
  }, 60_000);

  it("a remote without nanodock-top: its containers' published ports, and a note that says why", async () => {
    const remote = new RemoteSnapshot({
      name: 'nd-lab-ssh',
      addresses: [withoutTop],
      version: '0.1.0',
    });
    const snapshot = await refreshOnce(remote);
    expect(snapshot.warnings[0]).toMatch(
      /^nd-lab-ssh has no nanodock-top on its PATH: rows are its containers' published ports/,
    );
    const web = snapshot.rows.find((row) => row.port === lab.docker.port && row.protocol === 'tcp');
    expect(web).toMatchObject({pid: null, process: null});
    expect(web?.container).toMatchObject({name: lab.docker.container, endpoint: withoutTop});
  }, 60_000);

  it('a remote nanodock-top of another version is not read: its ports only, with the versions named', async () => {
    installRemoteTop('9.4.0');
    const remote = new RemoteSnapshot({
      name: 'nd-lab-ssh-top',
      addresses: [withTop],
      version: '0.1.0',
    });
    const snapshot = await refreshOnce(remote);
    expect(snapshot.warnings[0]).toMatch(
      /runs nanodock-top 9\.4\.0, this is 0\.1\.0: install the same version there/,
    );
    expect(snapshot.rows.find((row) => row.port === lab.docker.port)?.pid).toBeNull();
  }, 60_000);

  it("DOCKER_HOST=ssh://… alone: the remote is its own host, never joined to this machine's sockets", async () => {
    const run = await runCli(['--json', '--port', String(lab.docker.port)], {
      DOCKER_HOST: withoutTop,
    });
    expect(run.code).toBe(0);
    const rows = JSON.parse(run.stdout) as {
      pid: number | null;
      container: {name: string; endpoint: string} | null;
    }[];
    // This machine's docker-proxy holds 18080; the remote's container is not said to own it.
    expect(rows).toEqual([
      expect.objectContaining({
        pid: null,
        container: expect.objectContaining({name: lab.docker.container, endpoint: withoutTop}),
      }),
    ]);
    expect(run.stderr).toContain('nd-lab-ssh has no nanodock-top on its PATH');
  }, 60_000);

  it('all-contexts plans the default context as this machine and nd-ssh as a remote', () => {
    const plan = planFleet(['all-contexts'], {hostname: 'here'});
    expect(plan.hosts.find((host) => host.name === 'here')?.kind).toBe('local');
    expect(plan.hosts.find((host) => host.name === 'nd-ssh')).toMatchObject({
      kind: 'ssh',
      endpoints: ['ssh://root@nd-lab-ssh'],
    });
  });

  it('the fleet view in a terminal: a HOST column, both hosts in the header, / by host, and k on a remote container kills it through ssh', async () => {
    installRemoteTop();
    const id = await publishScratchContainer(lab.docker.address, lab.image, 'nd-fleet-k', 18370);
    scratch.push(id);
    const started = performance.now();
    session = await startTmux(
      [
        'node',
        'dist/cli.js',
        '--interval',
        '1s',
        '--port',
        '18370',
        '--host',
        lab.docker.address,
        '--host',
        withTop,
      ],
      {columns: 180, rows: 40, cwd: root},
    );
    const tmux = session;
    const bothRows = (screen: string): string[] =>
      screen.split('\n').filter((line) => /\s18370\s/.test(line) && line.includes('nd-fleet-k'));
    const first = await tmux.waitFor((screen) => bothRows(screen).length === 2, {
      timeoutMs: 30_000,
    });
    console.info(
      `fleet view, two hosts: both hosts' rows on screen after ${Math.round(performance.now() - started)} ms`,
    );
    expect(first).toMatch(/HOST\s+PROTO/);
    expect(first).toContain(`nd-lab-ssh-top: docker ${withTop}`);
    expect(first).toContain(`docker ${lab.docker.address}`);
    expect(bothRows(first).filter((line) => /^\*?\s*nd-lab-ssh-top\s/.test(line))).toHaveLength(1);
    // `/` matches the host: only the remote's rows stay.
    await tmux.send('Escape');
    await tmux.waitFor((screen) => !screen.includes('filter:'));
    await tmux.send('/');
    await tmux.type('nd-lab-ssh-top');
    await tmux.send('Enter');
    const remoteOnly = await tmux.waitFor((screen) => screen.includes('filter: nd-lab-ssh-top'));
    const listed = remoteOnly
      .split('\n')
      .filter((line) => /^[*+ ] \S/.test(line) && !line.includes('HOST'));
    expect(listed.length).toBeGreaterThan(0);
    expect(listed.every((line) => /^[*+ ] nd-lab-ssh-top\s/.test(line))).toBe(true);
    await tmux.send('Escape');
    await tmux.waitFor((screen) => !screen.includes('filter:'));
    await tmux.send('/');
    await tmux.type('=18370');
    await tmux.send('Enter');
    const only = await tmux.waitFor(
      (screen) => screen.includes('filter: =18370') && bothRows(screen).length === 2,
    );
    // The remote row of the scratch container: select it (the two rows tie on the port).
    if (bothRows(only).findIndex((line) => line.includes('nd-lab-ssh-top')) === 1) {
      await tmux.send('j');
    }
    await tmux.send('k');
    await tmux.waitFor((screen) =>
      /Kill container nd-fleet-k \(\w{12}\) on nd-lab-ssh-top\? \[y\/N\]/.test(screen),
    );
    await tmux.send('y');
    await tmux.waitFor(
      (screen) => screen.includes(`killed nd-fleet-k (${id.slice(0, 12)}) on nd-lab-ssh-top`),
      {
        timeoutMs: 30_000,
      },
    );
    expect(await isRunning(lab.docker.address, id)).toBe(false);
    // The remote engine's die event has the remote's host view read again at once (not after
    // its 10 s age): its docker-proxy row for 18370 goes, and this machine's too.
    await tmux.waitFor((screen) => bothRows(screen).length === 0, {timeoutMs: 8000});
  }, 120_000);
});
