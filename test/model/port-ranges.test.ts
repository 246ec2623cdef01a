import {describe, expect, it} from 'vitest';
import {parseContainerList, parseContainersJson} from '../../source/engine/parse-containers.js';
import type {ContainerInfo, Protocol, PublishedPort} from '../../source/model/container-info.js';
import {
  ContainerPortMap,
  PortIndex,
  type PortRange,
} from '../../source/model/container-port-map.js';
import {matchesFilter, parsePortFilter, type RowFilter} from '../../source/model/filter.js';
import type {HelperFinding} from '../../source/model/helper.js';
import {joinSnapshot} from '../../source/model/join.js';
import {lookupPublishedContainer} from '../../source/model/lookup.js';
import type {ProcessInput, SnapshotRow} from '../../source/model/snapshot-row.js';
import {fakeContainer} from '../helpers/snapshot-fixture.js';

/** One libpod `Ports` entry as the engine sends it. */
interface LibpodPort {
  host_ip?: unknown;
  host_port: unknown;
  container_port?: unknown;
  range?: unknown;
  protocol?: unknown;
}

/** A libpod `GET /containers/json` body: one item per [id, ports]. */
function libpodBody(items: ReadonlyArray<readonly [string, readonly LibpodPort[]]>): string {
  return JSON.stringify(
    items.map(([id, ports]) => ({
      Id: id,
      Names: [`name-${id}`],
      Image: 'docker.io/library/nginx:latest',
      State: 'running',
      Ports: ports.map((port) => ({container_port: 80, protocol: 'tcp', ...port})),
    })),
  );
}

function libpodMap(items: ReadonlyArray<readonly [string, readonly LibpodPort[]]>) {
  return parseContainersJson(libpodBody(items), {
    endpoint: 'unix:///run/podman.sock',
    engine: 'podman',
  });
}

/** A container publishing `port`..`lastPort` on each [hostIp, port, lastPort, protocol]. */
function rangeContainer(
  id: string,
  ports: ReadonlyArray<readonly [string | null, number, number, Protocol?]>,
): ContainerInfo {
  return fakeContainer(`name-${id}`, id, {
    ports: ports.map(
      ([hostIp, port, lastPort, protocol = 'tcp']): PublishedPort => ({
        hostIp,
        port,
        lastPort,
        protocol,
        containerPort: port,
      }),
    ),
  });
}

/** The key fields of a stored entry (ranges() yields the PublishedPort itself). */
const span = ({hostIp, port, lastPort, protocol}: PortRange): PortRange => ({
  hostIp,
  port,
  lastPort,
  protocol,
});

const ids = (containers: readonly ContainerInfo[]): string[] => containers.map(({id}) => id);

function candidateIds(map: ContainerPortMap, address: string, port: number, protocol: Protocol) {
  const result = lookupPublishedContainer(map, {address, port}, protocol, true);
  switch (result.kind) {
    case 'match':
      return {kind: result.kind, ids: [result.container.id]};
    case 'ambiguous':
      return {kind: result.kind, ids: ids(result.candidates)};
    case 'not-found':
      return {kind: result.kind, ids: []};
    case 'service':
      return {kind: result.kind, ids: result.container === null ? [] : [result.container.id]};
  }
}

describe('a published range answers for each of its ports and no other', () => {
  const maps = {
    built: ContainerPortMap.fromContainers([rangeContainer('aaaa', [[null, 10_000, 10_010]])]),
    parsed: libpodMap([['aaaa', [{host_port: 10_000, range: 11}]]]),
  };

  for (const [how, map] of Object.entries(maps)) {
    it(`${how}: first, middle and last port, not port-1 nor last+1`, () => {
      for (const port of [10_000, 10_005, 10_010]) {
        expect(map.get(null, port, 'tcp')?.id, `port ${port}`).toBe('aaaa');
        expect(ids(map.getAll(null, port, 'tcp')), `port ${port}`).toEqual(['aaaa']);
        expect(ids(map.containersOnPort(port, 'tcp')), `port ${port}`).toEqual(['aaaa']);
        expect(candidateIds(map, '0.0.0.0', port, 'tcp')).toEqual({kind: 'match', ids: ['aaaa']});
      }
      for (const port of [9999, 10_011]) {
        expect(map.get(null, port, 'tcp'), `port ${port}`).toBeUndefined();
        expect(map.getAll(null, port, 'tcp'), `port ${port}`).toEqual([]);
        expect(map.containersOnPort(port, 'tcp'), `port ${port}`).toEqual([]);
        expect(candidateIds(map, '0.0.0.0', port, 'tcp').kind).toBe('not-found');
      }
      expect(map.containersOnPort(10_005, 'udp')).toEqual([]);
      expect(map.size).toBe(11);
      expect(map.rangeCount).toBe(1);
    });
  }

  it('keeps the range as one PublishedPort with lastPort = host_port + range - 1', () => {
    const [container] = parseContainerList(
      libpodBody([['aaaa', [{host_port: 10_000, range: 11}]]]),
    );
    expect(container?.ports).toEqual([
      {hostIp: null, port: 10_000, lastPort: 10_010, protocol: 'tcp', containerPort: 80},
    ]);
  });

  it('a range ending at 65535 is kept, and answers for 65535', () => {
    const map = libpodMap([
      ['edge', [{host_port: 65_500, range: 36}]],
      ['last', [{host_port: 65_535, range: 1, protocol: 'udp'}]],
    ]);
    expect([...map.ranges()].map(([range]) => [range.port, range.lastPort])).toEqual([
      [65_500, 65_535],
      [65_535, 65_535],
    ]);
    expect(map.get(null, 65_535, 'tcp')?.id).toBe('edge');
    expect(map.get(null, 65_500, 'tcp')?.id).toBe('edge');
    expect(map.get(null, 65_499, 'tcp')).toBeUndefined();
    expect(map.get(null, 65_535, 'udp')?.id).toBe('last');
    expect(map.size).toBe(37);
  });

  it('a libpod range that would cross 65535 is skipped; the other entries stay', () => {
    const body = libpodBody([
      [
        'over',
        [
          {host_port: 65_500, range: 37},
          {host_port: 65_535, range: 2},
          {host_port: 1, range: 65_536},
          {host_port: 8080},
        ],
      ],
    ]);
    const [container] = parseContainerList(body);
    expect(container?.ports.map(({port, lastPort}) => [port, lastPort])).toEqual([[8080, 8080]]);
    const map = parseContainersJson(body);
    expect(map.containersOnPort(65_535, 'tcp')).toEqual([]);
    expect(map.containersOnPort(65_500, 'tcp')).toEqual([]);
    expect(map.size).toBe(1);
  });

  it('range 0 and range 1 mean a single port', () => {
    const map = libpodMap([
      ['zero', [{host_port: 7000, range: 0}]],
      ['one', [{host_port: 7100, range: 1}]],
    ]);
    expect([...map.ranges()].map(([range, container]) => [container.id, span(range)])).toEqual([
      ['zero', {hostIp: null, port: 7000, lastPort: 7000, protocol: 'tcp'}],
      ['one', {hostIp: null, port: 7100, lastPort: 7100, protocol: 'tcp'}],
    ]);
    expect(map.size).toBe(2);
    expect(map.rangeCount).toBe(2);
    expect(map.get(null, 7000, 'tcp')?.id).toBe('zero');
    expect(map.get(null, 7001, 'tcp')).toBeUndefined();
    expect(map.get(null, 7100, 'tcp')?.id).toBe('one');
    expect(map.get(null, 7101, 'tcp')).toBeUndefined();
    expect(map.get(null, 6999, 'tcp')).toBeUndefined();
  });

  it('a negative, fractional or non-numeric range is skipped', () => {
    const [container] = parseContainerList(
      libpodBody([
        [
          'bad',
          [
            {host_port: 7000, range: -1},
            {host_port: 7001, range: 1.5},
            {host_port: 7002, range: '3'},
            {host_port: 7003, range: null},
          ],
        ],
      ]),
    );
    expect(container?.ports.map(({port, lastPort}) => [port, lastPort])).toEqual([[7003, 7003]]);
  });
});

describe('ranges and lookups of several containers', () => {
  it('overlapping ranges of two containers are ambiguous, in insertion order', () => {
    const map = libpodMap([
      ['late', [{host_port: 5000, range: 101}]],
      ['early', [{host_port: 4950, range: 101}]],
    ]);
    // 'early' starts first but was listed second: candidates follow the list.
    for (const port of [5000, 5025, 5050]) {
      expect(candidateIds(map, '0.0.0.0', port, 'tcp')).toEqual({
        kind: 'ambiguous',
        ids: ['late', 'early'],
      });
      expect(ids(map.getAll(null, port, 'tcp'))).toEqual(['late', 'early']);
      expect(map.get(null, port, 'tcp')?.id).toBe('late');
    }
    expect(candidateIds(map, '0.0.0.0', 4999, 'tcp')).toEqual({kind: 'match', ids: ['early']});
    expect(candidateIds(map, '0.0.0.0', 5051, 'tcp')).toEqual({kind: 'match', ids: ['late']});
    expect(candidateIds(map, '0.0.0.0', 4949, 'tcp').kind).toBe('not-found');
    expect(candidateIds(map, '0.0.0.0', 5101, 'tcp').kind).toBe('not-found');
  });

  it('a range nested inside a wider one, and many overlapping ranges, all answer', () => {
    const containers = Array.from({length: 40}, (_, index) =>
      rangeContainer(`c${index}`, [[null, 1000 + index * 10, 1000 + index * 10 + 200]]),
    );
    const map = ContainerPortMap.fromContainers(containers);
    for (let port = 990; port <= 1600; port += 7) {
      const expected = containers
        .filter((container) => {
          const range = container.ports[0] as PublishedPort;
          return range.port <= port && port <= range.lastPort;
        })
        .map(({id}) => id);
      expect(ids(map.containersOnPort(port, 'tcp')), `port ${port}`).toEqual(expected);
    }
  });

  it('a range of one container and a single port of another on the same port are ambiguous', () => {
    const map = libpodMap([
      ['single', [{host_port: 8080}]],
      ['range', [{host_port: 8000, range: 100}]],
    ]);
    expect(candidateIds(map, '0.0.0.0', 8080, 'tcp')).toEqual({
      kind: 'ambiguous',
      ids: ['single', 'range'],
    });
    expect(candidateIds(map, '0.0.0.0', 8081, 'tcp')).toEqual({kind: 'match', ids: ['range']});
    const reversed = ContainerPortMap.fromContainers([
      rangeContainer('range', [[null, 8000, 8099]]),
      rangeContainer('single', [[null, 8080, 8080]]),
    ]);
    expect(candidateIds(reversed, '0.0.0.0', 8080, 'tcp')).toEqual({
      kind: 'ambiguous',
      ids: ['range', 'single'],
    });
  });

  it('one container publishing a range on 0.0.0.0 and on :: is one match', () => {
    const map = libpodMap([
      [
        'dual',
        [
          {host_ip: '0.0.0.0', host_port: 3000, range: 10},
          {host_ip: '::', host_port: 3000, range: 10},
          {host_ip: '', host_port: 3005, range: 2},
        ],
      ],
    ]);
    // Adjacent twins (0.0.0.0 then ::) may be folded into one entry; every entry is "any address".
    expect([...map.ranges()].every(([range]) => range.hostIp === null)).toBe(true);
    expect(ids(map.getAll(null, 3005, 'tcp'))).toEqual(['dual']);
    expect(ids(map.containersOnPort(3005, 'tcp'))).toEqual(['dual']);
    for (const address of ['0.0.0.0', '::', '127.0.0.1', '::1']) {
      expect(candidateIds(map, address, 3005, 'tcp'), address).toEqual({
        kind: 'match',
        ids: ['dual'],
      });
    }
    const pairs = [...map].filter(([key]) => key.port === 3005);
    expect(new Set(pairs.map(([, container]) => container.id))).toEqual(new Set(['dual']));
  });

  it('IPv6 host addresses of a range are canonical, in any spelling', () => {
    const map = libpodMap([
      ['loop6', [{host_ip: '0:0:0:0:0:0:0:1', host_port: 9000, range: 5}]],
      ['doc6', [{host_ip: '2001:DB8::0:1', host_port: 9000, range: 5}]],
      ['mapped', [{host_ip: '::ffff:127.0.0.1', host_port: 9100, range: 5}]],
      ['spaced', [{host_ip: ' ::1 ', host_port: 9200, range: 5}]],
    ]);
    expect([...map.ranges()].map(([range]) => range.hostIp)).toEqual([
      '::1',
      '2001:db8::1',
      '127.0.0.1',
      '::1',
    ]);
    expect(ids(map.getAll('::1', 9004, 'tcp'))).toEqual(['loop6']);
    expect(map.getAll('::1', 9005, 'tcp')).toEqual([]);
    expect(map.getAll(null, 9002, 'tcp')).toEqual([]);
    expect(ids(map.containersOnPort(9002, 'tcp'))).toEqual(['loop6', 'doc6']);
    expect(candidateIds(map, '0:0:0:0:0:0:0:1', 9002, 'tcp')).toEqual({
      kind: 'match',
      ids: ['loop6'],
    });
    expect(candidateIds(map, '2001:db8:0:0:0:0:0:1', 9003, 'tcp')).toEqual({
      kind: 'match',
      ids: ['doc6'],
    });
    expect(candidateIds(map, '127.0.0.1', 9102, 'tcp')).toEqual({kind: 'match', ids: ['mapped']});
    expect(candidateIds(map, '::ffff:127.0.0.1', 9104, 'tcp')).toEqual({
      kind: 'match',
      ids: ['mapped'],
    });
    expect(map.get('::1', 9204, 'tcp')?.id).toBe('spaced');
  });

  it('keeps tcp and udp apart; "tcp,udp" gives both', () => {
    const map = libpodMap([
      ['both', [{host_port: 6000, range: 10, protocol: 'tcp,udp'}]],
      ['udp', [{host_port: 6100, range: 10, protocol: 'udp'}]],
      ['tcp', [{host_port: 6200, range: 10, protocol: 'tcp'}]],
    ]);
    expect([...map.ranges()].map(([range, c]) => `${c.id}:${range.protocol}`)).toEqual([
      'both:tcp',
      'both:udp',
      'udp:udp',
      'tcp:tcp',
    ]);
    expect(ids(map.containersOnPort(6005, 'tcp'))).toEqual(['both']);
    expect(ids(map.containersOnPort(6005, 'udp'))).toEqual(['both']);
    expect(ids(map.containersOnPort(6105, 'udp'))).toEqual(['udp']);
    expect(map.containersOnPort(6105, 'tcp')).toEqual([]);
    expect(ids(map.containersOnPort(6205, 'tcp'))).toEqual(['tcp']);
    expect(map.containersOnPort(6205, 'udp')).toEqual([]);
    expect(candidateIds(map, '0.0.0.0', 6105, 'tcp').kind).toBe('not-found');
    expect(map.size).toBe(40);
    expect(map.rangeCount).toBe(4);
  });
});

describe('size, rangeCount, iteration and ranges()', () => {
  it('a 1-65535 range has size 65535 and rangeCount 1', () => {
    const map = libpodMap([['all', [{host_port: 1, range: 65_535}]]]);
    expect(map.size).toBe(65_535);
    expect(map.rangeCount).toBe(1);
    expect(map.get(null, 1, 'tcp')?.id).toBe('all');
    expect(map.get(null, 32_768, 'tcp')?.id).toBe('all');
    expect(map.get(null, 65_535, 'tcp')?.id).toBe('all');
    expect(map.get(null, 65_535, 'udp')).toBeUndefined();
  });

  it('200 wide ranges stay 200 (or 400) stored entries', () => {
    const items = Array.from(
      {length: 200},
      (_, index) =>
        [
          `wide${index}`,
          [{host_port: 1 + index, range: 65_000, protocol: index % 2 === 0 ? 'tcp' : 'tcp,udp'}],
        ] as const,
    );
    const map = libpodMap(items);
    expect(map.rangeCount).toBe(300);
    expect(map.size).toBe(300 * 65_000);
    expect(map.containers()).toHaveLength(200);
    expect(map.containersOnPort(30_000, 'tcp')).toHaveLength(200);
    expect(map.containersOnPort(30_000, 'udp')).toHaveLength(100);
    expect(ids(map.containersOnPort(1, 'tcp'))).toEqual(['wide0']);
    expect(ids(map.containersOnPort(65_199, 'tcp'))).toEqual(['wide199']);
    expect(map.containersOnPort(65_200, 'tcp')).toEqual([]);

    const tcpOnly = libpodMap(items.map(([id]) => [id, [{host_port: 100, range: 65_000}]]));
    expect(tcpOnly.rangeCount).toBe(200);
    const both = libpodMap(
      items.map(([id]) => [id, [{host_port: 100, range: 65_000, protocol: 'tcp,udp'}]]),
    );
    expect(both.rangeCount).toBe(400);
    expect(both.size).toBe(400 * 65_000);
  });

  it('iteration yields each port of a range in order; ranges() yields each entry once', () => {
    const map = ContainerPortMap.fromContainers([
      rangeContainer('a', [
        [null, 100, 103],
        ['127.0.0.1', 50, 50, 'udp'],
      ]),
      rangeContainer('b', [['::1', 200, 202]]),
    ]);
    expect(
      [...map].map(
        ([key, container]) => `${container.id} ${key.hostIp} ${key.port}/${key.protocol}`,
      ),
    ).toEqual([
      'a null 100/tcp',
      'a null 101/tcp',
      'a null 102/tcp',
      'a null 103/tcp',
      'a 127.0.0.1 50/udp',
      'b ::1 200/tcp',
      'b ::1 201/tcp',
      'b ::1 202/tcp',
    ]);
    expect([...map.ranges()].map(([range, container]) => [container.id, span(range)])).toEqual([
      ['a', {hostIp: null, port: 100, lastPort: 103, protocol: 'tcp'}],
      ['a', {hostIp: '127.0.0.1', port: 50, lastPort: 50, protocol: 'udp'}],
      ['b', {hostIp: '::1', port: 200, lastPort: 202, protocol: 'tcp'}],
    ]);
    expect(map.size).toBe(8);
    expect(map.rangeCount).toBe(3);
    expect([...map]).toHaveLength(map.size);
  });

  it('iteration of a wide range is lazy: the first pairs come without walking the rest', () => {
    const map = libpodMap([['all', [{host_port: 1, range: 65_535}]]]);
    const iterator = map[Symbol.iterator]();
    expect(iterator.next().value?.[0].port).toBe(1);
    expect(iterator.next().value?.[0].port).toBe(2);
  });
});

describe('fromIndexes with two indexes sharing a container id', () => {
  const shared = rangeContainer('shared', [
    [null, 4000, 4009],
    ['127.0.0.1', 22, 22],
  ]);
  const sharedAgain = {...shared, endpoint: 'unix:///second.sock'};
  const other = rangeContainer('other', [[null, 4005, 4005]]);

  function joined(): ContainerPortMap {
    const first = new PortIndex();
    first.addContainer(shared);
    const second = new PortIndex();
    second.addContainer(sharedAgain);
    second.addContainer(other);
    return ContainerPortMap.fromIndexes([first, second]);
  }

  it('counts the shared container once in size, rangeCount, containers() and iteration', () => {
    const map = joined();
    expect(map.size).toBe(12);
    expect(map.rangeCount).toBe(3);
    expect(map.containers()).toEqual([shared, other]);
    const pairs = [...map];
    expect(pairs).toHaveLength(12);
    expect(pairs.filter(([, container]) => container.id === 'shared')).toHaveLength(11);
    expect(pairs.every(([, container]) => container !== sharedAgain)).toBe(true);
    expect([...map.ranges()].map(([, container]) => container)).toEqual([shared, shared, other]);
  });

  it('lookups see the shared container once, as the earlier index has it', () => {
    const map = joined();
    expect(map.containersOnPort(4003, 'tcp')).toEqual([shared]);
    expect(map.getAll(null, 4003, 'tcp')).toEqual([shared]);
    expect(map.containersOnPort(4005, 'tcp')).toEqual([shared, other]);
    expect(map.getAll('127.0.0.1', 22, 'tcp')).toEqual([shared]);
    expect(map.get('127.0.0.1', 22, 'tcp')).toBe(shared);
    expect(candidateIds(map, '127.0.0.1', 4009, 'tcp')).toEqual({kind: 'match', ids: ['shared']});
  });

  it('a later index cannot answer for a container an earlier index holds, even on ports only it lists', () => {
    const first = new PortIndex();
    first.addContainer(rangeContainer('dup', [[null, 80, 80]]));
    const later = {
      ...rangeContainer('dup', [
        [null, 81, 81],
        [null, 90, 95],
      ]),
      endpoint: 'x',
    };
    const second = new PortIndex();
    second.addContainer(later);
    const map = ContainerPortMap.fromIndexes([first, second]);
    expect(map.containersOnPort(81, 'tcp')).toEqual([]);
    expect(map.get(null, 92, 'tcp')).toBeUndefined();
    expect(map.size).toBe(1);
    expect([...map].map(([key]) => key.port)).toEqual([80]);
  });
});

describe('a number that is not a port', () => {
  it('never reads as another protocol key', () => {
    const map = ContainerPortMap.fromContainers([
      rangeContainer('udp1', [[null, 1, 1, 'udp']]),
      rangeContainer('tcp1', [[null, 1, 3, 'tcp']]),
    ]);
    expect(map.containersOnPort(65_537, 'tcp')).toEqual([]);
    expect(map.containersOnPort(65_536, 'tcp')).toEqual([]);
    expect(map.containersOnPort(0, 'udp')).toEqual([]);
    expect(map.containersOnPort(1.5, 'tcp')).toEqual([]);
    expect(map.containersOnPort(-1, 'tcp')).toEqual([]);
    expect(ids(map.containersOnPort(2, 'tcp'))).toEqual(['tcp1']);
  });
});

describe('join: a published range that no socket holds', () => {
  const range = rangeContainer('ranged', [[null, 10_000, 10_010]]);
  const map = ContainerPortMap.fromContainers([range]);
  const root: ProcessInput = {
    pid: 4242,
    name: 'server',
    uid: 0,
    user: 'root',
    startedAt: 1000,
    startTicks: 9000,
    argv: ['server'],
  };
  const join = (listeners: Array<{address: string; port: number}>): SnapshotRow[] =>
    joinSnapshot({
      listeners: listeners.map(({address, port}) => ({
        protocol: 'tcp',
        address,
        port,
        pids: [root.pid],
      })),
      processes: new Map([[root.pid, root]]),
      containers: map,
      helpers: new Map<number, HelperFinding>(),
      now: 2000,
    });
  const spans = (rows: readonly SnapshotRow[]) =>
    rows.map((row) => ({
      port: row.port,
      lastPort: row.lastPort,
      container: row.container?.id ?? null,
      pid: row.pid,
    }));
  const portFilter = (text: string): RowFilter => {
    const filter = parsePortFilter(text);
    if (typeof filter === 'string') {
      throw new Error(filter);
    }
    return filter;
  };

  it('is one row from port to lastPort', () => {
    const rows = join([]);
    expect(spans(rows)).toEqual([{port: 10_000, lastPort: 10_010, container: 'ranged', pid: null}]);
    const [row] = rows as [SnapshotRow];
    expect(row.address).toBe('0.0.0.0');
    for (const text of ['10000', '10005', '10010', '9000-10000', '10010-20000', '1-65535']) {
      expect(matchesFilter(row, portFilter(text)), text).toBe(true);
    }
    for (const text of ['9999', '10011', '1-9999', '10011-65535']) {
      expect(matchesFilter(row, portFilter(text)), text).toBe(false);
    }
  });

  it('with one port in the middle held by a socket, is two rows around it', () => {
    const rows = join([{address: '0.0.0.0', port: 10_004}]);
    expect(spans(rows)).toEqual([
      {port: 10_000, lastPort: 10_003, container: 'ranged', pid: null},
      {port: 10_004, lastPort: 10_004, container: 'ranged', pid: 4242},
      {port: 10_005, lastPort: 10_010, container: 'ranged', pid: null},
    ]);
    const [before, held, after] = rows as [SnapshotRow, SnapshotRow, SnapshotRow];
    const filter = portFilter('10002');
    expect(matchesFilter(before, filter)).toBe(true);
    expect(matchesFilter(held, filter)).toBe(false);
    expect(matchesFilter(after, filter)).toBe(false);
    expect(matchesFilter(after, portFilter('10007'))).toBe(true);
    expect(matchesFilter(held, portFilter('10004'))).toBe(true);
  });

  it('held at its first and last port, is one row between', () => {
    const rows = join([
      {address: '0.0.0.0', port: 10_000},
      {address: '0.0.0.0', port: 10_010},
    ]);
    expect(spans(rows)).toEqual([
      {port: 10_000, lastPort: 10_000, container: 'ranged', pid: 4242},
      {port: 10_001, lastPort: 10_009, container: 'ranged', pid: null},
      {port: 10_010, lastPort: 10_010, container: 'ranged', pid: 4242},
    ]);
  });
});
