import {execFile} from 'node:child_process';
import {mkdtempSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {
  churnContainers,
  containerName,
  containerPort,
  downContainers,
  type Listeners,
  load,
  startListeners,
  upContainers,
} from '../../scripts/load-fixture.mjs';
import {HostScanner} from '../../source/host/host-scanner.js';
import type {SnapshotRow} from '../../source/model/snapshot-row.js';
import {collectSnapshot, LiveSnapshot, type Snapshot} from '../../source/snapshot.js';
import {builtCli} from '../helpers/cli.js';
import {lab, shouldSkipLab, shouldSkipUnlessRoot} from '../helpers/lab.js';

// Issue 11, load: 300 Docker containers with published ports (600 docker-proxy processes),
// churn over them, and 19,900 listening sockets in one process. Every row is checked against
// what `docker ps` and `ss` say at the same moment, not against our own code.

const isRoot = !shouldSkipUnlessRoot('load lab tests');
const skipDocker = await shouldSkipLab('Docker', lab.docker.address);
const discovery = {env: {}, home: mkdtempSync(join(tmpdir(), 'nanodock-load-home-')), uid: 0};
const containerCount = 300;
const churnSeconds = 30;
const listenerCount = load.maxListeners;

/** Runs a program to its end; resolves stdout and how long it took. Rejects on failure. */
function run(file: string, args: readonly string[]): Promise<{stdout: string; ms: number}> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      {encoding: 'utf8', maxBuffer: 512 * 1024 * 1024, timeout: 120_000},
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${file} ${args.join(' ')}: ${error.message} ${stderr}`));
        else resolve({stdout, ms: performance.now() - started});
      },
    );
  });
}

/** The rows of the built CLI's `--json` (a fresh process, as a script would run it). */
async function cliRows(): Promise<{rows: SnapshotRow[]; ms: number}> {
  const {stdout, ms} = await run(process.execPath, [builtCli, '--json']);
  return {rows: JSON.parse(stdout) as SnapshotRow[], ms};
}

/** `docker ps` (the real CLI): the running nd-load-* containers by the host port they publish. */
async function dockerPs(): Promise<Map<number, {id: string; name: string}>> {
  const {stdout} = await run('docker', [
    'ps',
    '--no-trunc',
    '--filter',
    `name=${load.prefix}`,
    '--format',
    '{{.ID}}\t{{.Names}}\t{{.Ports}}',
  ]);
  const byPort = new Map<number, {id: string; name: string}>();
  for (const line of stdout.split('\n')) {
    const [id = '', name = '', ports = ''] = line.split('\t');
    if (!name.startsWith(load.prefix)) continue;
    for (const match of ports.matchAll(/:(\d+)->80\/tcp/g)) {
      byPort.set(Number(match[1]), {id, name});
    }
  }
  return byPort;
}

/** `ss -H -ltnp`: the pids holding each listening TCP socket, by `address port` ([::] as ::). */
async function ssListeners(): Promise<{byAddress: Map<string, number[]>; ms: number}> {
  const {stdout, ms} = await run('ss', ['-H', '-ltnp']);
  const byAddress = new Map<string, number[]>();
  for (const line of stdout.split('\n')) {
    const local = line.trim().split(/\s+/)[3];
    const match = local === undefined ? null : /^\[?(.*?)\]?:(\d+)$/.exec(local);
    if (match === null) continue;
    const key = `${match[1] === '*' ? '0.0.0.0' : match[1]} ${match[2]}`;
    const pids = [...line.matchAll(/pid=(\d+)/g)].map((pid) => Number(pid[1]));
    byAddress.set(
      key,
      [...new Set([...(byAddress.get(key) ?? []), ...pids])].sort((a, b) => a - b),
    );
  }
  return {byAddress, ms};
}

/** A seeded pick of `count` of `items` (xorshift32), the same on every run. */
function sample<T>(items: readonly T[], count: number, seed = 11): T[] {
  let state = seed;
  const pool = [...items];
  const picked: T[] = [];
  while (picked.length < count && pool.length > 0) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    const [item] = pool.splice((state >>> 0) % pool.length, 1);
    picked.push(item as T);
  }
  return picked;
}

/**
 * Every published nd-load port is exactly one TCP row naming the container docker ps names on
 * it (full id too), its IPv4 and IPv6 docker-proxy twins as one row whose pids are those ss
 * shows on both addresses; no other row names an nd-load container.
 */
function expectRowsMatch(
  rows: readonly SnapshotRow[],
  ps: ReadonlyMap<number, {id: string; name: string}>,
  ss: ReadonlyMap<string, number[]>,
): void {
  expect(ps.size).toBe(containerCount);
  for (let index = 0; index < containerCount; index++) {
    const port = containerPort(index);
    const owner = ps.get(port);
    expect(owner?.name, `docker ps on ${port}`).toBe(containerName(index));
    const onPort = rows.filter((row) => row.protocol === 'tcp' && row.port === port);
    expect(
      onPort,
      `rows on ${port}: ${JSON.stringify(onPort.map((row) => ({key: row.key, pids: row.pids, process: row.process, container: row.container?.name ?? null})))}`,
    ).toHaveLength(1);
    const [row] = onPort as [SnapshotRow];
    const proxies = [...(ss.get(`0.0.0.0 ${port}`) ?? []), ...(ss.get(`:: ${port}`) ?? [])];
    expect(proxies, `ss on ${port}`).toHaveLength(2);
    expect({
      port,
      name: row.container?.name,
      id: row.container?.id,
      helper: row.helper,
      addresses: [...row.addresses].sort(),
      pids: [...row.pids].sort((a, b) => a - b),
    }).toEqual({
      port,
      name: owner?.name,
      id: owner?.id,
      helper: 'docker-proxy',
      addresses: ['0.0.0.0', '::'],
      pids: proxies.sort((a, b) => a - b),
    });
  }
  const named = rows.filter((row) => row.container?.name.startsWith(load.prefix));
  expect(named).toHaveLength(containerCount);
}

/** A row naming nd-load-I is on port 19500+I: true at every moment, churn or not. */
function misplacedRows(rows: readonly SnapshotRow[]): string[] {
  return rows
    .filter((row) => row.container?.name.startsWith(load.prefix))
    .filter((row) => {
      const index = Number(row.container?.name.slice(load.prefix.length));
      return row.port !== containerPort(index);
    })
    .map((row) => `${row.port} -> ${row.container?.name}`);
}

describe.skipIf(skipDocker || !isRoot)('load: 300 Docker containers with published ports', () => {
  beforeAll(async () => {
    const up = await upContainers(containerCount, {concurrency: 4});
    console.log(
      `load: ${containerCount} containers up in ${(up.ms / 1000).toFixed(1)} s (${up.created} created, ${up.started} started, ${up.kept} kept)`,
    );
  }, 900_000);
  afterAll(async () => {
    const down = await downContainers({concurrency: 4});
    console.log(`load: ${down.removed} containers removed in ${(down.ms / 1000).toFixed(1)} s`);
  }, 600_000);

  it('--json: each of the 300 ports is one row naming the container docker ps shows there, held by the pids ss shows', async () => {
    const {rows, ms} = await cliRows();
    const [ps, ss] = await Promise.all([dockerPs(), ssListeners()]);
    expectRowsMatch(rows, ps, ss.byAddress);
    console.log(`load: --json with ${rows.length} rows in ${ms.toFixed(0)} ms`);
  }, 180_000);

  it('the library snapshot agrees with docker ps and ss on all 300', async () => {
    const snapshot = await collectSnapshot(discovery);
    const [ps, ss] = await Promise.all([dockerPs(), ssListeners()]);
    expectRowsMatch(snapshot.rows, ps, ss.byAddress);
    // Other people's tests share the host and may cause warnings of their own: only the lab
    // Docker's report is this test's business.
    const docker = snapshot.engines.find((engine) => engine.endpoint === lab.docker.address);
    expect(docker).toMatchObject({ok: true, engine: 'docker', error: null});
    expect(docker?.containers).toBeGreaterThanOrEqual(containerCount);
  }, 180_000);

  it(`after ${churnSeconds} s of churn (one stop and one start a second), a live snapshot refreshed every second still matches docker ps and ss`, async () => {
    const live = new LiveSnapshot({...discovery, scanner: new HostScanner()});
    const latest = async (): Promise<Snapshot> => {
      let last: Snapshot | undefined;
      await live.refresh((snapshot) => {
        last = snapshot;
      });
      if (last === undefined) throw new Error('refresh reported nothing');
      return last;
    };
    await latest();
    const controller = new AbortController();
    const churn = churnContainers(churnSeconds, {perSecond: 1, signal: controller.signal});
    let isChurning = true;
    const stopped = (): void => {
      isChurning = false;
    };
    churn.then(stopped, stopped);
    const misplaced: string[] = [];
    let refreshes = 0;
    try {
      while (isChurning) {
        misplaced.push(...misplacedRows((await latest()).rows));
        refreshes++;
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    } finally {
      // A failed refresh ends the churn early; every container is started again either way.
      controller.abort();
      await churn.catch(() => undefined);
    }
    const result = await churn;
    console.log(
      `load: churn ${result.stops} stops, ${result.starts} starts in ${(result.ms / 1000).toFixed(1)} s (longest stop+start ${(result.maxCycleMs / 1000).toFixed(1)} s, ${result.lateTicks} ticks late); ${refreshes} live refreshes`,
    );
    expect(result.stops).toBe(churnSeconds);
    expect(misplaced).toEqual([]);
    // The point is rows seen while containers come and go, not refresh speed (bench-scale.mjs).
    expect(refreshes).toBeGreaterThanOrEqual(3);
    // Every container runs again: the steady scan and a fresh --json both see the new proxies.
    const after = await latest();
    const {rows} = await cliRows();
    const [ps, ss] = await Promise.all([dockerPs(), ssListeners()]);
    expectRowsMatch(after.rows, ps, ss.byAddress);
    expectRowsMatch(rows, ps, ss.byAddress);
  }, 300_000);
});

describe.skipIf(!isRoot)('load: 19,900 listening sockets in one process', () => {
  let listeners: Listeners | undefined;
  beforeAll(async () => {
    const started = performance.now();
    listeners = await startListeners(listenerCount);
    console.log(
      `load: ${listeners.count} listeners on 127.0.0.1:${listeners.first}-${listeners.last} (pid ${listeners.pid}) in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
  }, 180_000);
  afterAll(async () => {
    await listeners?.stop();
  });

  /** The helper's sockets as ss lists them: `127.0.0.1 PORT` keys held by its pid. */
  const helperSockets = (ss: ReadonlyMap<string, number[]>, pid: number): string[] =>
    [...ss].filter(([, pids]) => pids.includes(pid)).map(([key]) => key);

  it('--json has one row per socket ss lists for the helper, and sampled rows name its pid', async () => {
    const helper = listeners as Listeners;
    const {rows, ms} = await cliRows();
    const ss = await ssListeners();
    const held = helperSockets(ss.byAddress, helper.pid);
    expect(held).toHaveLength(listenerCount);
    const ours = rows.filter((row) => row.pids.includes(helper.pid));
    expect(ours).toHaveLength(held.length);
    expect(new Set(ours.map((row) => `${row.address} ${row.port}`))).toEqual(new Set(held));
    const byPort = new Map(ours.map((row) => [row.port, row]));
    for (const key of sample(held, 300)) {
      const port = Number(key.split(' ')[1]);
      expect(byPort.get(port), `row on ${port}`).toMatchObject({
        protocol: 'tcp',
        address: '127.0.0.1',
        pids: [helper.pid],
        pid: helper.pid,
        process: 'node',
        user: 'root',
        container: null,
      });
    }
    console.log(
      `load: --json with ${rows.length} rows in ${ms.toFixed(0)} ms; ss -H -ltnp ${ss.ms.toFixed(0)} ms (${(ms / ss.ms).toFixed(1)}x)`,
    );
  }, 180_000);

  it('the library snapshot has the same rows for the helper as ss', async () => {
    const helper = listeners as Listeners;
    const snapshot = await collectSnapshot(discovery);
    const ss = await ssListeners();
    const held = helperSockets(ss.byAddress, helper.pid);
    const ours = snapshot.rows.filter((row) => row.pids.includes(helper.pid));
    expect(new Set(ours.map((row) => `${row.address} ${row.port}`))).toEqual(new Set(held));
    expect(ours).toHaveLength(listenerCount);
  }, 180_000);
});
