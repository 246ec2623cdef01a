import {afterEach, describe, expect, it} from 'vitest';
import {HostScanner} from '../source/host/host-scanner.js';
import {LiveSnapshot, type Snapshot} from '../source/snapshot.js';
import {answerJson, type FakeEngine, startFakeEngine} from './helpers/fake-engine.js';

let engine: FakeEngine | undefined;
afterEach(async () => {
  await engine?.close();
  engine = undefined;
});

describe('LiveSnapshot', () => {
  it('shows the host rows at once while a frozen engine is still being asked', async () => {
    engine = await startFakeEngine(() => {
      // Accepts, reads the request, never answers.
    });
    const live = new LiveSnapshot({
      env: {DOCKER_HOST: `unix://${engine.socketPath}`},
      timeoutMs: 1500,
    });
    const updates: Array<{at: number; snapshot: Snapshot}> = [];
    const started = performance.now();
    await live.refresh((snapshot) => updates.push({at: performance.now() - started, snapshot}));
    expect(updates).toHaveLength(2);
    const [first, last] = updates;
    expect(first?.snapshot.enginesPending).toBe(true);
    expect(first?.snapshot.rows.length).toBeGreaterThan(0);
    expect(first?.at).toBeLessThan(1000);
    expect(last?.snapshot.enginesPending).toBe(false);
    expect(last?.snapshot.warnings.join('\n')).toMatch(/no complete answer within 1500 ms/);
  });

  it('finalOnly reports only the rows joined with the answer of the detection', async () => {
    engine = await startFakeEngine(() => {
      // Accepts, reads the request, never answers.
    });
    const live = new LiveSnapshot({
      env: {DOCKER_HOST: `unix://${engine.socketPath}`},
      timeoutMs: 400,
    });
    const updates: Snapshot[] = [];
    await live.refresh((snapshot) => updates.push(snapshot), undefined, {finalOnly: true});
    expect(updates).toHaveLength(1);
    expect(updates[0]?.enginesPending).toBe(false);
    expect(updates[0]?.rows.length).toBeGreaterThan(0);
    expect(updates[0]?.warnings.join('\n')).toMatch(/no complete answer within 400 ms/);
  });

  it('asks the engines again only when the list is too old or was invalidated', async () => {
    let requests = 0;
    engine = await startFakeEngine((socket, head) => {
      // The list requests (a cached list is still pinged: GET /_ping).
      if (head.startsWith('GET /containers/json')) {
        requests++;
      }
      answerJson(socket, 200, '[]');
    });
    const live = new LiveSnapshot({
      env: {DOCKER_HOST: `unix://${engine.socketPath}`},
      containersMaxAgeMs: () => 60_000,
    });
    await live.refresh(() => {});
    await live.refresh(() => {});
    expect(requests).toBe(1);
    live.invalidateContainers();
    await live.refresh(() => {});
    expect(requests).toBe(2);
    expect(live.engines[0]?.ok).toBe(true);
  });

  it('reads the socket tables fresh, once, when a refresh lists the containers again', async () => {
    engine = await startFakeEngine((socket) => {
      answerJson(socket, 200, '[]');
    });
    /** The host scans of each refresh: whether each read the tables whatever their cues. */
    const scans: boolean[] = [];
    class CountingScanner extends HostScanner {
      override scan(options: Parameters<HostScanner['scan']>[0] = {}) {
        scans.push(options.fresh === true);
        return super.scan(options);
      }
    }
    const live = new LiveSnapshot({
      env: {DOCKER_HOST: `unix://${engine.socketPath}`},
      containersMaxAgeMs: () => 60_000,
      scanner: new CountingScanner(),
    });
    await live.refresh(() => {}); // the first list
    expect(scans).toEqual([true]);
    await live.refresh(() => {}); // the list cached: the tables' own cues decide
    expect(scans).toEqual([true, false]);
    live.invalidateContainers(); // an engine event: the list is asked again
    await live.refresh(() => {});
    expect(scans).toEqual([true, false, true]);
  });
});
