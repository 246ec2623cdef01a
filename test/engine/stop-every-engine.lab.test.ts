import {mkdtempSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import type {SnapshotRow} from '../../source/model/snapshot-row.js';
import {collectSnapshot, type SnapshotOptions} from '../../source/snapshot.js';
import {stopContainerOf} from '../../source/stop.js';
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

/**
 * Kill and stop through the library on each of the lab's four engines, the container found
 * the way the dashboard finds it: by the port it publishes, in collectSnapshot's rows. Root
 * only: the rows of other users' helpers (rootlessport of ndlab) need every process visible.
 */

/** The TLS engine's own Unix socket: the same daemon, for setting up and checking. */
const tlsSocket = 'unix:///var/run/docker-tls.sock';
/** A home with no docker config, so discovery sees only what each case names. */
const bareHome = mkdtempSync(join(tmpdir(), 'nanodock-stop-home-'));

interface EngineCase {
  readonly name: string;
  /** Discovery that sees this engine (and what collectSnapshot and stopContainerOf get). */
  readonly options: SnapshotOptions;
  /** The `endpoint` the container's row must carry. */
  readonly endpoint: string;
  /** Host ports of the kill and the stop scratch containers (18100-18199). */
  readonly ports: {readonly kill: number; readonly stop: number};
  readonly skip: boolean;
  start(name: string, port: number): Promise<string>;
  isRunning(id: string): Promise<boolean>;
  remove(id: string): Promise<void>;
}

const isRoot = !shouldSkipUnlessRoot('stop and kill on every lab engine');

const cases: EngineCase[] = [
  {
    name: 'Docker (unix socket)',
    options: {env: {DOCKER_HOST: lab.docker.address}, home: bareHome},
    endpoint: lab.docker.address,
    ports: {kill: 18100, stop: 18101},
    skip: (await shouldSkipLab('Docker', lab.docker.address)) || !isRoot,
    start: (name, port) => publishScratchContainer(lab.docker.address, lab.image, name, port),
    isRunning: (id) => isRunning(lab.docker.address, id),
    remove: (id) => removeContainer(lab.docker.address, id),
  },
  {
    name: 'Docker over TLS (tcp://127.0.0.1:2376)',
    options: {
      env: {DOCKER_HOST: lab.tls.address, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: lab.tls.certs},
      home: bareHome,
    },
    endpoint: lab.tls.address,
    ports: {kill: 18102, stop: 18103},
    skip: (await shouldSkipLab('TLS Docker', tlsSocket)) || !isRoot,
    start: (name, port) => publishScratchContainer(tlsSocket, lab.image, name, port, '127.0.0.1'),
    isRunning: (id) => isRunning(tlsSocket, id),
    remove: (id) => removeContainer(tlsSocket, id),
  },
  {
    name: 'Podman rootful (API socket)',
    options: {env: {DOCKER_HOST: lab.podman.address}, home: bareHome},
    endpoint: lab.podman.address,
    ports: {kill: 18104, stop: 18105},
    skip: (await shouldSkipLab('rootful Podman', lab.podman.address)) || !isRoot,
    start: (name, port) => publishScratchContainer(lab.podman.address, lab.podmanImage, name, port),
    isRunning: (id) => isRunning(lab.podman.address, id),
    remove: (id) => removeContainer(lab.podman.address, id),
  },
  {
    name: `Podman rootless (user ${lab.rootless.user}, no API socket)`,
    // No engine named: the rootless engine has no API, its row comes from rootlessport.
    options: {env: {}, home: bareHome, uid: 0},
    endpoint: `rootless:${lab.rootless.user}`,
    ports: {kill: 18106, stop: 18107},
    skip: (await shouldSkipRootlessLab()) || !isRoot,
    start: (name, port) => publishRootlessScratch(name, port),
    isRunning: (id) => isRootlessRunning(id),
    remove: (id) => removeRootlessContainer(id),
  },
];

/** Scratch containers to remove after each test, whatever happened: [engine case, id]. */
const scratch: Array<[EngineCase, string]> = [];
afterEach(async () => {
  for (const [engine, id] of scratch.splice(0)) {
    await engine.remove(id);
  }
});

/** The row of `port` once collectSnapshot shows a container on it (waits for the helper). */
async function rowOfPort(engine: EngineCase, port: number): Promise<SnapshotRow> {
  let row: SnapshotRow | undefined;
  await expect
    .poll(
      async () => {
        const snapshot = await collectSnapshot(engine.options);
        row = snapshot.rows.find(
          (candidate) => candidate.port === port && candidate.protocol === 'tcp',
        );
        return row?.container?.id ?? null;
      },
      {timeout: 15_000, interval: 250},
    )
    .not.toBeNull();
  return row as SnapshotRow;
}

for (const engine of cases) {
  describe.skipIf(engine.skip)(`stopContainerOf on ${engine.name} (lab)`, () => {
    it('kill: the row of its port is the scratch container; killed, then already-stopped', async () => {
      const name = `nd-test-kill-${engine.ports.kill}`;
      const id = await engine.start(name, engine.ports.kill);
      scratch.push([engine, id]);
      const row = await rowOfPort(engine, engine.ports.kill);
      expect(row.container).toMatchObject({id, name, endpoint: engine.endpoint});
      const container = row.container as NonNullable<SnapshotRow['container']>;

      const report = await stopContainerOf(container, true, engine.options);
      expect(report).toMatchObject({outcome: 'stopped', error: null});
      await expect.poll(() => engine.isRunning(id), {timeout: 10_000}).toBe(false);
      expect((await stopContainerOf(container, true, engine.options)).outcome).toBe(
        'already-stopped',
      );
    }, 60_000);

    it('stop (force false): the row of its port is the scratch container; stopped', async () => {
      const name = `nd-test-stop-${engine.ports.stop}`;
      const id = await engine.start(name, engine.ports.stop);
      scratch.push([engine, id]);
      const row = await rowOfPort(engine, engine.ports.stop);
      expect(row.container).toMatchObject({id, name, endpoint: engine.endpoint});
      const container = row.container as NonNullable<SnapshotRow['container']>;

      const report = await stopContainerOf(container, false, engine.options);
      expect(report).toMatchObject({outcome: 'stopped', error: null});
      await expect.poll(() => engine.isRunning(id), {timeout: 10_000}).toBe(false);
      expect((await stopContainerOf(container, false, engine.options)).outcome).toBe(
        'already-stopped',
      );
    }, 60_000);
  });
}
