import {describe, expect, it} from 'vitest';
import {type FleetHostPlan, FleetSnapshot, type HostSource} from '../../source/fleet.js';
import {layoutColumns} from '../../source/model/columns.js';
import {matchesFilter, parseFilter} from '../../source/model/filter.js';
import type {Snapshot} from '../../source/snapshot.js';
import {fakeRow, fakeSnapshot} from '../helpers/snapshot-fixture.js';

function plan(name: string, kind: FleetHostPlan['kind'], endpoint: string): FleetHostPlan {
  return {name, kind, addresses: [endpoint], endpoints: [endpoint]};
}

/** A host whose refresh answers `snapshot`, after `delayMs` (or never, when null). */
function source(
  snapshot: () => Snapshot,
  delayMs: number | null = 0,
): HostSource & {calls: number} {
  const fake = {
    calls: 0,
    refresh(onUpdate: (snapshot: Snapshot) => void): Promise<void> {
      fake.calls++;
      if (delayMs === null) {
        return new Promise(() => {});
      }
      return new Promise((resolve) =>
        setTimeout(() => {
          onUpdate(snapshot());
          resolve();
        }, delayMs),
      );
    },
  };
  return fake;
}

const local = plan('lab', 'local', 'unix:///var/run/docker.sock');
const remote = plan('srv', 'ssh', 'ssh://root@srv');

describe('FleetSnapshot: several hosts as one list', () => {
  it('marks every row with its host, keys them apart and lists the hosts for the header', async () => {
    const same = [fakeRow(22, {process: 'sshd'})];
    const fleet = new FleetSnapshot([
      {plan: local, source: source(() => fakeSnapshot(same))},
      {plan: remote, source: source(() => fakeSnapshot(same))},
    ]);
    let last: Snapshot | null = null;
    await fleet.refresh((snapshot) => {
      last = snapshot;
    });
    const snapshot = last as unknown as Snapshot;
    expect(snapshot.rows.map((row) => row.host?.name)).toEqual(['lab', 'srv']);
    expect(snapshot.rows[0]?.host?.local).toBe(true);
    expect(snapshot.rows[1]?.host?.local).toBe(false);
    expect(new Set(snapshot.rows.map((row) => row.key)).size).toBe(2);
    expect(snapshot.hosts?.map((host) => [host.name, host.kind, host.waiting])).toEqual([
      ['lab', 'local', false],
      ['srv', 'ssh', false],
    ]);
    // The HOST column appears, and `/` matches the host's name.
    expect(layoutColumns(snapshot.rows, null)[0]?.column.id).toBe('host');
    expect(snapshot.rows.filter((row) => matchesFilter(row, parseFilter('SRV')))).toHaveLength(1);
  });

  it('one host: rows as the host gave them, no HOST column', async () => {
    const rows = [fakeRow(22)];
    const fleet = new FleetSnapshot([{plan: remote, source: source(() => fakeSnapshot(rows))}]);
    let last: Snapshot | null = null;
    await fleet.refresh((snapshot) => {
      last = snapshot;
    });
    expect((last as unknown as Snapshot).rows).toEqual(rows);
    expect(layoutColumns(rows, null)[0]?.column.id).toBe('proto');
  });

  it('a slow host does not hold the others back: the refresh ends without it, its rows come later', async () => {
    const slow = source(() => fakeSnapshot([fakeRow(80)]), 300);
    const fleet = new FleetSnapshot(
      [
        {plan: local, source: source(() => fakeSnapshot([fakeRow(22)]))},
        {plan: remote, source: slow},
      ],
      {waitMs: 50},
    );
    const seen: Snapshot[] = [];
    await fleet.refresh((snapshot) => seen.push(snapshot));
    expect(seen.at(-1)?.rows.map((row) => row.port)).toEqual([22]);
    expect(seen.at(-1)?.warnings).toContain('waiting for srv');
    // A refresh while the slow host is still busy does not ask it twice.
    await fleet.refresh((snapshot) => seen.push(snapshot));
    expect(slow.calls).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(seen.at(-1)?.rows.map((row) => row.port)).toEqual([22, 80]);
    expect(seen.at(-1)?.warnings).not.toContain('waiting for srv');
  });

  it('keeps the marked row objects of a host whose rows did not change (widths are cached on them)', async () => {
    const rows = [fakeRow(22)];
    let revision = 1;
    const fleet = new FleetSnapshot([
      {plan: local, source: source(() => fakeSnapshot(rows, {rowsRevision: 7}))},
      {plan: remote, source: source(() => fakeSnapshot([fakeRow(80)], {rowsRevision: revision++}))},
    ]);
    const seen: Snapshot[] = [];
    await fleet.refresh((snapshot) => seen.push(snapshot));
    await fleet.refresh((snapshot) => seen.push(snapshot));
    const first = seen.at(1)?.rows.find((row) => row.port === 22);
    const later = seen.at(-1)?.rows.find((row) => row.port === 22);
    expect(later).toBe(first);
  });

  it('names the host of an engine for actions, and no host for a container without an engine', () => {
    const fleet = new FleetSnapshot([
      {plan: local, source: source(() => fakeSnapshot())},
      {plan: remote, source: source(() => fakeSnapshot())},
    ]);
    expect(fleet.hostOfEndpoint('ssh://root@srv')).toBe(remote);
    expect(fleet.hostOfEndpoint('unix:///var/run/docker.sock')).toBe(local);
    expect(fleet.hostOfEndpoint('unix:///elsewhere.sock')).toBeUndefined();
    expect(fleet.hostOfEndpoint(null)).toBeUndefined();
  });

  it("prefixes each host's warnings with its name", async () => {
    const fleet = new FleetSnapshot([
      {plan: local, source: source(() => fakeSnapshot([], {warnings: ['engine x failed']}))},
      {
        plan: remote,
        source: source(() => fakeSnapshot([], {warnings: ['srv has no nanodock-top']})),
      },
    ]);
    let last: Snapshot | null = null;
    await fleet.refresh((snapshot) => {
      last = snapshot;
    });
    expect((last as unknown as Snapshot).warnings).toEqual([
      'lab: engine x failed',
      'srv has no nanodock-top',
    ]);
  });
});
