import {mkdtempSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {describe, expect, it} from 'vitest';
import {HostScanner} from '../source/host/host-scanner.js';
import {ContainerPortMap} from '../source/model/container-port-map.js';
import {LiveSnapshot, type Snapshot, withFreshStatus} from '../source/snapshot.js';
import {initialState, reduce} from '../source/tui/reducer.js';
import {layoutFor, rowLine} from '../source/tui/view.js';
import {fakeProc} from './helpers/fake-proc.js';
import {fakeContainer, fakeRow, fakeSnapshot} from './helpers/snapshot-fixture.js';

async function lastOf(live: LiveSnapshot): Promise<Snapshot> {
  let last: Snapshot | undefined;
  await live.refresh((snapshot) => {
    last = snapshot;
  });
  if (last === undefined) {
    throw new Error('no snapshot');
  }
  return last;
}

describe('LiveSnapshot: a refresh that changes nothing does no work per row', () => {
  it('keeps the rows and their revision until the host or the containers change', async () => {
    const proc = fakeProc();
    proc.listen(1001, 8080);
    proc.process(10, 1, [1001]);
    proc.write();
    const live = new LiveSnapshot({
      // No engine at all: every refresh asks again (age 0) and gets an equal, empty list.
      env: {
        DOCKER_HOST: `unix://${join(mkdtempSync(join(tmpdir(), 'nd-no-engine-')), 'none.sock')}`,
      },
      containersMaxAgeMs: () => 0,
      scanner: new HostScanner({procRoot: proc.root, passwdPath: '/dev/null'}),
      procRoot: proc.root,
    });
    const first = await lastOf(live);
    expect(first.rows.map((row) => row.port)).toEqual([8080]);
    const second = await lastOf(live);
    expect(second.rowsRevision).toBe(first.rowsRevision);
    expect(second.rows).toBe(first.rows);
    expect(second.takenAt).toBeGreaterThanOrEqual(first.takenAt);

    proc.listen(1002, 9090);
    proc.process(11, 1, [1002]);
    proc.write();
    const third = await lastOf(live);
    expect(third.rowsRevision).not.toBe(first.rowsRevision);
    expect(third.rows.map((row) => row.port)).toEqual([8080, 9090]);
    // startedAt is the process's start (btime + ticks / 100): uptimes follow from it at any time.
    expect(third.rows[1]?.startedAt).toBe(1_700_000_000 + 5);
  });
});

describe('reducer: a snapshot with the shown revision', () => {
  const startedAt = 1_800_000_000;
  const rows = [
    fakeRow(80, {startedAt, uptimeSeconds: 30}),
    fakeRow(443, {startedAt: startedAt - 3600, uptimeSeconds: 3630}),
  ];
  const shown = fakeSnapshot(rows, {takenAt: (startedAt + 30) * 1000, durationMs: 10});
  const state = reduce(initialState({columns: 120, rows: 30}), {type: 'snapshot', snapshot: shown});

  it('changes nothing when the header and the visible uptimes read the same', () => {
    // 30 s -> 30 s: within the same shown second (taken 400 ms later).
    const next = {...shown, takenAt: shown.takenAt + 400};
    expect(reduce(state, {type: 'snapshot', snapshot: next})).toBe(state);
  });

  it('keeps the rows the list was made of, and shows uptimes as of the new time', () => {
    const next = {...shown, rows: [...rows], takenAt: shown.takenAt + 5000};
    const after = reduce(state, {type: 'snapshot', snapshot: next});
    expect(after).not.toBe(state);
    expect(after.snapshot?.rows).toBe(rows);
    expect(after.snapshot?.takenAt).toBe(next.takenAt);
    const placed = layoutFor(rows, 119);
    const line = rowLine(
      rows[0] ?? fakeRow(1),
      placed,
      {},
      119,
      (after.snapshot?.takenAt ?? 0) / 1000,
    );
    expect(line).toMatch(/ 35s *$/);
  });

  it('compares row by row when the revision differs', () => {
    const next = fakeSnapshot(rows, {takenAt: shown.takenAt + 400, durationMs: 10});
    expect(next.rowsRevision).not.toBe(shown.rowsRevision);
    // Same rows, same shown uptimes: still the same screen.
    expect(reduce(state, {type: 'snapshot', snapshot: next})).toBe(state);
  });
});

describe('withFreshStatus: a detection whose only change is a status text', () => {
  const ports = [
    {hostIp: null, port: 8080, lastPort: 8080, protocol: 'tcp' as const, containerPort: 80},
  ];
  const web = fakeContainer('web', 'a1', {status: 'Up 5 minutes', ports});
  const db = fakeContainer('db', 'b2', {status: 'Up 2 hours', ports: []});
  const rows = [fakeRow(8080, {container: web}), fakeRow(22), fakeRow(5432, {container: db})];

  it('keeps the very rows when no status moved', () => {
    const map = ContainerPortMap.fromContainers([{...web}, {...db}]);
    expect(withFreshStatus(rows, map)).toBe(rows);
  });

  it('gives the rows of a container whose status moved its new record, and keeps the others', () => {
    const later = {...web, status: 'Up 6 minutes'};
    const map = ContainerPortMap.fromContainers([later, {...db}]);
    const next = withFreshStatus(rows, map);
    expect(next).not.toBe(rows);
    expect(next[0]?.container).toBe(later);
    expect(next[0]?.port).toBe(8080);
    expect(next[1]).toBe(rows[1]);
    expect(next[2]).toBe(rows[2]);
  });
});
