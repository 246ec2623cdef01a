import {execFileSync} from 'node:child_process';
import {createHash} from 'node:crypto';
import {mkdirSync, mkdtempSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {describe, expect, it} from 'vitest';
import type {SnapshotRow} from '../source/model/snapshot-row.js';
import {
  collectSnapshot,
  defaultNotAnsweringAfterMs,
  LiveSnapshot,
  type Snapshot,
} from '../source/snapshot.js';
import {stopContainerOf} from '../source/stop.js';
import {
  engineApi,
  lab,
  probeEngine,
  publishScratchContainer,
  removeContainer,
  shouldSkipLab,
  shouldSkipUnlessRoot,
} from './helpers/lab.js';
import {
  type ExpectedProgram,
  isProgram,
  processFacts,
  signalChecked,
  unixSocketHolders,
} from './helpers/proc.js';
import {startSocketProxy} from './helpers/socket-proxy.js';

const isRoot = !shouldSkipUnlessRoot('host-view lab tests');

/** Kills a container of the lab's Docker (SIGKILL), waiting for the engine's answer. */
async function engineKill(id: string): Promise<void> {
  const answer = await engineApi(lab.docker.address, 'POST', `/containers/${id}/kill`);
  expect(answer.status).toBe(204);
}
const skipDocker = await shouldSkipLab('Docker', lab.docker.address);
const skipPodman = await shouldSkipLab('rootful Podman', lab.podman.address);
const bareHome = mkdtempSync(join(tmpdir(), 'nanodock-snapshot-home-'));
const discovery = {env: {}, home: bareHome, uid: 0};
const labScript = fileURLToPath(new URL('../scripts/lab.sh', import.meta.url));

/** Brings the lab back (the Podman service), showing the script's output if it fails. */
function restartLab(): void {
  try {
    execFileSync('bash', [labScript, 'up'], {encoding: 'utf8', stdio: 'pipe', timeout: 120_000});
  } catch (error) {
    const {stdout = '', stderr = ''} = error as {stdout?: string; stderr?: string};
    throw new Error(`lab.sh up failed:\n${stdout.slice(-2000)}\n${stderr.slice(-2000)}`);
  }
}

/**
 * The Podman API service: the one root `podman` process that holds the lab's socket (found by
 * the socket it listens on, not by a pid file that may be stale), with its start time.
 */
function podmanService(): ExpectedProgram & {pid: number} {
  const socket = lab.podman.address.replace(/^unix:\/\//, '');
  const expected = {exe: '/usr/bin/podman', uid: 0} as const;
  const pids = unixSocketHolders(socket).filter((pid) => isProgram(pid, expected));
  const facts = pids.length === 1 ? processFacts(pids[0] as number) : null;
  if (facts === null) {
    throw new Error(
      `expected one root /usr/bin/podman holding ${socket}, found: ${pids.join(', ')}`,
    );
  }
  return {...expected, pid: facts.pid, startTicks: facts.startTicks};
}

function rowOn(
  rows: readonly SnapshotRow[],
  port: number,
  protocol = 'tcp',
): SnapshotRow | undefined {
  return rows.find((row) => row.port === port && row.protocol === protocol);
}

describe.skipIf(skipDocker || skipPodman || !isRoot)(
  'collectSnapshot against the lab (root)',
  () => {
    it('shows the Docker container behind docker-proxy, IPv4 and IPv6 twins as one row', async () => {
      const snapshot = await collectSnapshot(discovery);
      const row = rowOn(snapshot.rows, 18080);
      expect(row).toMatchObject({
        helper: 'docker-proxy',
        process: 'docker-proxy',
        user: 'root',
        addresses: ['0.0.0.0', '::'],
        container: {name: lab.docker.container, image: lab.image, engine: 'docker'},
        ambiguous: false,
      });
      expect(row?.pids).toHaveLength(2);
      expect(rowOn(snapshot.rows, 18081, 'udp')?.container?.name).toBe(lab.docker.container);
      expect(rowOn(snapshot.rows, 18083)?.container?.name).toBe(lab.docker.container);
      expect(
        snapshot.engines
          .filter((engine) => engine.ok)
          .map((engine) => engine.engine)
          .sort(),
      ).toEqual(['docker', 'podman']);
    });

    it('shows the rootful Podman container behind conmon', async () => {
      const snapshot = await collectSnapshot(discovery);
      expect(rowOn(snapshot.rows, 18085)).toMatchObject({
        helper: 'conmon',
        process: 'conmon',
        container: {
          name: lab.podman.container,
          image: lab.podmanImage,
          engine: 'podman',
          endpoint: lab.podman.address,
        },
      });
      expect(rowOn(snapshot.rows, 18086, 'udp')?.container?.name).toBe(lab.podman.container);
    });

    it('shows the rootless Podman container behind rootlessport, with its API socket off', async () => {
      expect(await probeEngine('unix:///run/user/1001/podman/podman.sock')).not.toBeNull();
      const snapshot = await collectSnapshot(discovery);
      expect(rowOn(snapshot.rows, lab.rootless.port)).toMatchObject({
        helper: 'rootlessport',
        process: 'rootlessport',
        user: lab.rootless.user,
        container: {name: lab.rootless.container, image: lab.podmanImage, engine: 'podman'},
      });
    });

    it('still resolves the conmon row with the Podman API service stopped, and kills through root podman', async () => {
      const scratchPort = 18132;
      const scratchId = await publishScratchContainer(
        lab.podman.address,
        lab.podmanImage,
        'nd-no-api-kill',
        scratchPort,
      );
      const {pid, ...service} = podmanService();
      signalChecked(pid, 'SIGTERM', service);
      try {
        await expect.poll(() => probeEngine(lab.podman.address), {timeout: 10_000}).not.toBeNull();
        // Wait until the service is gone, so the restart below starts a new one.
        await expect.poll(() => isProgram(pid, service), {timeout: 10_000}).toBe(false);
        const snapshot = await collectSnapshot(discovery);
        expect(snapshot.engines.find((engine) => engine.endpoint === lab.podman.address)?.ok).toBe(
          false,
        );
        expect(rowOn(snapshot.rows, 18085)).toMatchObject({
          helper: 'conmon',
          container: {name: lab.podman.container, image: lab.podmanImage, engine: 'podman'},
        });
        // With no API to ask, the container found in root's storage is killed by root's podman.
        const scratch = rowOn(snapshot.rows, scratchPort)?.container;
        expect(scratch).toMatchObject({id: scratchId, name: 'nd-no-api-kill'});
        expect(scratch?.endpoint).toMatch(/^storage:/);
        const report = await stopContainerOf(
          scratch as NonNullable<typeof scratch>,
          true,
          discovery,
        );
        expect(report).toMatchObject({outcome: 'stopped', error: null});
        const state = execFileSync(
          'podman',
          ['container', 'inspect', '--format', '{{.State.Status}}', scratchId],
          {cwd: '/', encoding: 'utf8'},
        ).trim();
        expect(state).not.toBe('running');
      } finally {
        restartLab();
        await removeContainer(lab.podman.address, scratchId);
      }
      expect(await probeEngine(lab.podman.address)).toBeNull();
    }, 150_000);
  },
);

/** (protocol, port, pid) triples of `ss -H -ltunp`. */
function ssTriples(): Set<string> {
  const out = execFileSync('ss', ['-H', '-ltunp'], {encoding: 'utf8'});
  const triples = new Set<string>();
  for (const line of out.split('\n')) {
    const fields = line.trim().split(/\s+/);
    const local = fields[4];
    if (!local) {
      continue;
    }
    const port = local.slice(local.lastIndexOf(':') + 1);
    for (const match of line.matchAll(/pid=(\d+)/g)) {
      triples.add(`${fields[0]}/${port}/${match[1]}`);
    }
  }
  return triples;
}

/** The last update of one refresh of `live`: the rows joined with every engine's answer. */
async function finalSnapshot(live: LiveSnapshot): Promise<Snapshot> {
  let shown: Snapshot | undefined;
  await live.refresh((snapshot) => {
    shown = snapshot;
  });
  const snapshot = shown as Snapshot | undefined;
  if (snapshot === undefined || snapshot.enginesPending) {
    throw new Error('no final snapshot');
  }
  return snapshot;
}

const reportOf = (snapshot: Snapshot, address: string) =>
  snapshot.engines.find((report) => report.endpoint === address);

describe.skipIf(skipDocker || !isRoot)('a real Docker that lists ports in another order', () => {
  it('does not join the rows again at each ask when its containers did not change', async () => {
    // Docker keeps a container's ports in a map: nd-web's five ports (ten entries, 0.0.0.0
    // and ::) come in another order at each GET /containers/json. The rows must not be joined
    // again for that: on a host of 300 containers it was a join of every row at every ask.
    // A join makes every row anew; a refresh that finds the same containers keeps the rows of
    // the host's own processes as they were (only rows whose status text moved are new).
    const live = new LiveSnapshot({
      env: {DOCKER_HOST: lab.docker.address},
      home: bareHome,
      uid: 0,
      containersMaxAgeMs: () => 0,
    });
    let joins = 0;
    let hostRow: SnapshotRow | undefined;
    let last: Snapshot | undefined;
    for (let ask = 0; ask < 12; ask++) {
      const snapshot = await finalSnapshot(live);
      last = snapshot;
      expect(snapshot.engines.some((report) => report.ok)).toBe(true);
      const first = snapshot.rows.find((row) => row.container === null);
      if (first !== hostRow) {
        joins++;
      }
      hostRow = first;
    }
    expect(hostRow).toBeDefined();
    // The first ask joins; a process of the host may start or end meanwhile: one more.
    expect(joins).toBeLessThanOrEqual(2);
    const web = (last as Snapshot | undefined)?.rows.filter(
      (row) => row.container?.name === lab.docker.container,
    );
    expect(web?.map((row) => `${row.port}/${row.protocol}`).sort()).toEqual([
      '18080/tcp',
      '18081/udp',
      '18082/tcp',
      '18083/tcp',
      '18084/tcp',
    ]);
  });
});

describe.skipIf(skipDocker || skipPodman || !isRoot)('an event asks only its own engine', () => {
  it("lists Docker again after a Docker event, and keeps rootful Podman's answer as it was", async () => {
    const live = new LiveSnapshot({...discovery, containersMaxAgeMs: () => 60_000});
    const last = (): Promise<Snapshot> => finalSnapshot(live);
    const first = await last();
    const podmanBefore = reportOf(first, lab.podman.address);
    const dockerBefore = reportOf(first, lab.docker.address);
    expect(podmanBefore?.ok).toBe(true);
    expect(dockerBefore?.ok).toBe(true);
    const port = 18_266;
    const id = await publishScratchContainer(lab.docker.address, lab.image, 'nd-event-one', port);
    let removed = false;
    try {
      live.invalidateContainers(lab.docker.address);
      const second = await last();
      // Docker was asked (a new report, the new container's row); Podman was not.
      expect(reportOf(second, lab.docker.address)).not.toBe(dockerBefore);
      expect(reportOf(second, lab.podman.address)).toBe(podmanBefore);
      expect(second.rows.find((row) => row.port === port)?.container?.id).toBe(id);
      expect(second.rows.some((row) => row.container?.name === lab.podman.container)).toBe(true);
      const count = reportOf(second, lab.docker.address)?.containers ?? 0;

      // An event that names the container: Docker is asked about it alone, and the answer
      // takes its place (gone now), the other containers as they were.
      await removeContainer(lab.docker.address, id);
      removed = true;
      live.invalidateContainers(lab.docker.address, id);
      const gone = await last();
      expect(gone.rows.some((row) => row.port === port)).toBe(false);
      expect(reportOf(gone, lab.docker.address)?.containers).toBe(count - 1);
      expect(gone.rows.some((row) => row.container?.name === lab.docker.container)).toBe(true);
      expect(reportOf(gone, lab.podman.address)).toBe(podmanBefore);
      const again = await publishScratchContainer(
        lab.docker.address,
        lab.image,
        'nd-event-one',
        port,
      );
      removed = false;
      live.invalidateContainers(lab.docker.address, again);
      const back = await last();
      expect(back.rows.find((row) => row.port === port)?.container?.id).toBe(again);
      expect(reportOf(back, lab.docker.address)?.containers).toBe(count);
      // What the next whole list says agrees with the patched one.
      live.invalidateContainers(lab.docker.address);
      const whole = await last();
      expect(reportOf(whole, lab.docker.address)?.containers).toBe(count);
      const containerRows = (snapshot: Snapshot): string[] =>
        snapshot.rows
          .filter((row) => row.container !== null)
          .map((row) => `${row.key} ${row.container?.id}`)
          .sort();
      expect(containerRows(whole)).toEqual(containerRows(back));
      // Without an address (a stream that dropped, a failed ping), every engine is asked.
      live.invalidateContainers();
      const third = await last();
      expect(reportOf(third, lab.podman.address)).not.toBe(podmanBefore);
      expect(reportOf(third, lab.podman.address)?.ok).toBe(true);
    } finally {
      if (!removed) {
        await removeContainer(lab.docker.address, 'nd-event-one');
      }
    }
  });
  it('asks again, one refresh later, about a container whose event came before the engine listed it so', async () => {
    // Docker sends kill and die a moment before its list stops showing the container running:
    // a list asked right after the event can still show it. Here the order is made certain:
    // the container is named, asked about while it still runs, and only then killed.
    const live = new LiveSnapshot({...discovery, containersMaxAgeMs: () => 60_000});
    const last = (): Promise<Snapshot> => finalSnapshot(live);
    await last();
    const port = 18_267;
    const id = await publishScratchContainer(lab.docker.address, lab.image, 'nd-event-late', port);
    try {
      live.invalidateContainers(lab.docker.address, id);
      const early = await last();
      expect(early.rows.find((row) => row.port === port)?.container?.id).toBe(id);
      await engineKill(id);
      // No event this time: the second look finds it gone.
      const later = await last();
      expect(later.rows.some((row) => row.container?.id === id)).toBe(false);
    } finally {
      await removeContainer(lab.docker.address, id);
    }
  });

  it('asks rootful Podman about the one container its event named', async () => {
    const live = new LiveSnapshot({...discovery, containersMaxAgeMs: () => 60_000});
    const last = (): Promise<Snapshot> => finalSnapshot(live);
    const first = await last();
    const dockerBefore = reportOf(first, lab.docker.address);
    const count = reportOf(first, lab.podman.address)?.containers ?? 0;
    const port = 18_267;
    const id = await publishScratchContainer(
      lab.podman.address,
      lab.podmanImage,
      'nd-event-two',
      port,
    );
    try {
      live.invalidateContainers(lab.podman.address, id);
      const started = await last();
      expect(started.rows.find((row) => row.port === port)?.container?.id).toBe(id);
      expect(reportOf(started, lab.podman.address)?.containers).toBe(count + 1);
      expect(reportOf(started, lab.docker.address)).toBe(dockerBefore);
      expect(started.rows.some((row) => row.container?.name === lab.podman.container)).toBe(true);
    } finally {
      await removeContainer(lab.podman.address, id);
    }
    live.invalidateContainers(lab.podman.address, id);
    const gone = await last();
    expect(gone.rows.some((row) => row.port === port)).toBe(false);
    expect(reportOf(gone, lab.podman.address)?.containers).toBe(count);
  });
  it('still asks the engines it takes as they were whether they answer at all', async () => {
    // rootful Podman also through a docker context whose socket is a proxy that the test hangs.
    const proxy = await startSocketProxy(lab.podman.address.replace(/^unix:\/\//, ''));
    try {
      const home = mkdtempSync(join(tmpdir(), 'nanodock-proxied-'));
      const meta = join(
        home,
        '.docker/contexts/meta',
        createHash('sha256').update('hung').digest('hex'),
      );
      mkdirSync(meta, {recursive: true});
      writeFileSync(
        join(meta, 'meta.json'),
        JSON.stringify({Name: 'hung', Metadata: {}, Endpoints: {docker: {Host: proxy.address}}}),
      );
      writeFileSync(join(home, '.docker/config.json'), JSON.stringify({currentContext: 'hung'}));
      const live = new LiveSnapshot({env: {}, home, uid: 0, containersMaxAgeMs: () => 60_000});
      const last = (): Promise<Snapshot> => finalSnapshot(live);
      const first = await last();
      expect(reportOf(first, proxy.address)?.ok).toBe(true);
      await proxy.hang();
      // Docker's event (about a container that is not there): only Docker is listed again.
      live.invalidateContainers(lab.docker.address, 'f'.repeat(64));
      const started = performance.now();
      const next = await last();
      expect(next.warnings.join('\n')).toContain(`${proxy.address} not answering`);
      expect(performance.now() - started).toBeLessThan(defaultNotAnsweringAfterMs + 2000);
    } finally {
      await proxy.close();
    }
  });
});

describe.skipIf(!isRoot)('parity with ss (root sees every process)', () => {
  it('the set of (protocol, port, pid) equals what ss -H -ltunp reports at the same moment', async () => {
    let last = '';
    for (let attempt = 0; attempt < 5; attempt++) {
      const before = ssTriples();
      const snapshot = await collectSnapshot({...discovery, timeoutMs: 1000});
      const after = ssTriples();
      if ([...before].sort().join() !== [...after].sort().join()) {
        last = 'ss changed during the scan';
        continue; // the host changed meanwhile: measure again
      }
      const ours = new Set<string>();
      for (const row of snapshot.rows) {
        for (const pid of row.pids) {
          ours.add(`${row.protocol}/${row.port}/${pid}`);
        }
      }
      expect([...ours].sort()).toEqual([...before].sort());
      return;
    }
    throw new Error(`no stable moment to compare in 5 tries: ${last}`);
  });
});
