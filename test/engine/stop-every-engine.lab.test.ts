import {mkdtempSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import type {SnapshotRow} from '../../source/model/snapshot-row.js';
import {collectSnapshot, type SnapshotOptions} from '../../source/snapshot.js';
import {stopContainerOf} from '../../source/stop.js';
import {shouldSkipUnlessRoot} from '../helpers/lab.js';
import {type LabEngine, labEngines} from '../helpers/lab-engines.js';

/**
 * Kill and stop through the library on each of the lab's four engines, the container found
 * the way the dashboard finds it: by the port it publishes, in collectSnapshot's rows. Root
 * only: the rows of other users' helpers (rootlessport of ndlab) need every process visible.
 */

/** A home with no docker config, so discovery sees only what each case names. */
const bareHome = mkdtempSync(join(tmpdir(), 'nanodock-stop-home-'));

interface EngineCase extends LabEngine {
  /** Discovery that sees this engine (and what collectSnapshot and stopContainerOf get). */
  readonly options: SnapshotOptions;
  /** Host ports of the kill and the stop scratch containers. */
  readonly ports: {readonly kill: number; readonly stop: number};
}

const isRoot = !shouldSkipUnlessRoot('stop and kill on every lab engine');
const cases: EngineCase[] = (await labEngines(isRoot)).map((engine, index) => ({
  ...engine,
  options: {env: {...engine.env}, home: bareHome, uid: 0},
  ports: {kill: 18100 + 2 * index, stop: 18101 + 2 * index},
}));

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
