import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {ContainerPortMap} from '../../source/model/container-port-map.js';
import {joinSnapshot, withUniqueKeys} from '../../source/model/join.js';
import type {ListenerInput, ProcessInput} from '../../source/model/snapshot-row.js';
import {fakeRow} from '../helpers/snapshot-fixture.js';

function process(pid: number, name: string): ProcessInput {
  return {pid, name, uid: 0, user: 'root', startedAt: 1000, startTicks: 7000 + pid, argv: [name]};
}

function join(listeners: ListenerInput[], processes: ProcessInput[]) {
  return joinSnapshot({
    listeners,
    processes: new Map(processes.map((entry) => [entry.pid, entry])),
    containers: new ContainerPortMap(),
    helpers: new Map(),
    now: 2000,
  });
}

const socket = (port: number, pids: number[], address = '127.0.0.1'): ListenerInput => ({
  protocol: 'tcp',
  address,
  port,
  pids,
});

describe('SO_REUSEPORT sockets (issue 10 item 2)', () => {
  it('joins four sockets of one process on one address and port into one row with a count', () => {
    const rows = join(
      [socket(18240, [700]), socket(18240, [700]), socket(18240, [700]), socket(18240, [700])],
      [process(700, 'python3')],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({port: 18240, pid: 700, pids: [700], sockets: 4});
  });

  it('keeps one row per process when several share the port, keyed by pid', () => {
    const rows = join(
      [socket(18240, [700]), socket(18240, [701]), socket(18240, [700]), socket(18241, [700])],
      [process(700, 'a'), process(701, 'b')],
    );
    expect(rows.map((row) => [row.port, row.pid, row.sockets ?? 1])).toEqual([
      [18240, 700, 2],
      [18240, 701, 1],
      [18241, 700, 1],
    ]);
    expect(new Set(rows.map((row) => row.key)).size).toBe(rows.length);
  });

  it('leaves a single socket without a count', () => {
    expect(join([socket(18240, [700])], [process(700, 'a')])[0]?.sockets).toBeUndefined();
  });

  it('gives every row a unique key, whatever the sockets', () => {
    const listeners = fc.array(
      fc.record({
        protocol: fc.constantFrom('tcp' as const, 'udp' as const),
        address: fc.constantFrom('127.0.0.1', '0.0.0.0', '::'),
        port: fc.integer({min: 18240, max: 18243}),
        pids: fc.array(fc.integer({min: 700, max: 703}), {maxLength: 3}),
      }),
      {maxLength: 40},
    );
    fc.assert(
      fc.property(listeners, (input) => {
        const rows = join(
          input,
          [700, 701, 702, 703].map((pid) => process(pid, `p${pid}`)),
        );
        expect(new Set(rows.map((row) => row.key)).size).toBe(rows.length);
      }),
    );
  });

  it('withUniqueKeys renames later duplicates and keeps the first', () => {
    const rows = withUniqueKeys([
      fakeRow(1, {key: 'x'}),
      fakeRow(2, {key: 'x'}),
      fakeRow(3, {key: 'x#2'}),
      fakeRow(4, {key: 'x'}),
    ]);
    expect(rows.map((row) => row.key)).toEqual(['x', 'x#2', 'x#2#2', 'x#3']);
  });
});
