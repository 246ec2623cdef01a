import {describe, expect, it} from 'vitest';
import {InvalidJsonError} from '../../source/errors/invalid-json-error.js';
import {toJsonRow} from '../../source/model/format.js';
import {parseRemoteRows, rowsFromRemote} from '../../source/model/remote-rows.js';
import {fakeContainer, fakeContainerRow, fakeRow} from '../helpers/snapshot-fixture.js';

const web = fakeContainer('web', 'a'.repeat(64));
const jsonText = JSON.stringify([
  toJsonRow(fakeRow(22, {process: 'sshd'})),
  toJsonRow(fakeContainerRow(18080, web)),
]);

describe('parseRemoteRows: a remote nanodock-top --json, checked field by field', () => {
  it('reads the rows this version writes', () => {
    const rows = parseRemoteRows(jsonText, 'srv');
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({port: 22, process: 'sshd', pid: 1022, container: null});
    expect(rows[1]?.container).toMatchObject({id: web.id, name: 'web', engine: 'docker'});
  });

  it.each([
    ['not JSON', '[{'],
    ['not an array', '{"rows": []}'],
    ['a row that is not an object', '[1]'],
    ['a bad protocol', JSON.stringify([{...toJsonRow(fakeRow(1)), protocol: 'sctp'}])],
    ['a port out of range', JSON.stringify([{...toJsonRow(fakeRow(1)), port: 70_000}])],
    ['a pid that is text', JSON.stringify([{...toJsonRow(fakeRow(1)), pids: ['1']}])],
    ['an unknown helper', JSON.stringify([{...toJsonRow(fakeRow(1)), helper: 'evil'}])],
    [
      'a container without an id',
      JSON.stringify([{...toJsonRow(fakeRow(1)), container: {name: 'x'}}]),
    ],
    ['a lastPort below the port', JSON.stringify([{...toJsonRow(fakeRow(100)), lastPort: 99}])],
  ])('refuses %s with InvalidJsonError naming the host', (_what, text) => {
    expect(() => parseRemoteRows(text, 'srv')).toThrow(InvalidJsonError);
    expect(() => parseRemoteRows(text, 'srv')).toThrow(/^srv: /);
  });
});

describe("rowsFromRemote: the remote rows bound to this side's own container list", () => {
  const host = {name: 'srv', local: false};

  it('takes the container this side listed under the same id (its engine is ours to act through)', () => {
    const ours = {...web, endpoint: 'ssh://root@srv'};
    const rows = rowsFromRemote(
      parseRemoteRows(jsonText, 'srv'),
      new Map([[web.id, ours]]),
      1_000_000,
      host,
    );
    expect(rows[1]?.container).toBe(ours);
    expect(rows[1]?.host).toBe(host);
    expect(rows[0]?.host).toBe(host);
  });

  it('a container this side did not list has no engine: the remote text never picks one to act on', () => {
    const rows = rowsFromRemote(parseRemoteRows(jsonText, 'srv'), new Map(), 1_000_000, host);
    expect(rows[1]?.container).toMatchObject({id: web.id, name: 'web', endpoint: null});
  });

  it('has no start ticks (no process of another machine is signalled) and counts start times back', () => {
    const rows = rowsFromRemote(parseRemoteRows(jsonText, 'srv'), new Map(), 1_000_000, undefined);
    expect(rows[0]).toMatchObject({startTicks: null, startedAt: 1000 - 120, uptimeSeconds: 120});
    expect(rows[0]?.host).toBeUndefined();
  });

  it('gives rows with the same socket keys of their own', () => {
    const twice = JSON.stringify([toJsonRow(fakeRow(22)), toJsonRow(fakeRow(22))]);
    const rows = rowsFromRemote(parseRemoteRows(twice, 'srv'), new Map(), 0, undefined);
    expect(new Set(rows.map((row) => row.key)).size).toBe(2);
  });
});
