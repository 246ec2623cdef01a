import {describe, expect, it} from 'vitest';
import type {ContainerInfo, Protocol} from '../../source/model/container-info.js';
import {ContainerPortMap} from '../../source/model/container-port-map.js';
import type {HelperFinding, HelperKind} from '../../source/model/helper.js';
import {joinSnapshot, keepUnchangedRows} from '../../source/model/join.js';
import type {ListenerInput, ProcessInput, SnapshotRow} from '../../source/model/snapshot-row.js';
import {fakeContainer} from '../helpers/snapshot-fixture.js';

function container(id: string, ports: Array<[string | null, number, Protocol?]>): ContainerInfo {
  return fakeContainer(`name-${id}`, id, {
    ports: ports.map(([hostIp, port, protocol = 'tcp']) => ({
      hostIp,
      port,
      lastPort: port,
      protocol,
      containerPort: 80,
    })),
  });
}

function process(pid: number, name: string, argv: string[] = [name]): ProcessInput {
  return {pid, name, uid: 0, user: 'root', startedAt: 1000, startTicks: 7000 + pid, argv};
}

const helperNames: Record<string, HelperKind> = {
  'docker-proxy': 'docker-proxy',
  conmon: 'conmon',
  rootlessport: 'rootlessport',
  pasta: 'pasta',
};

/** Every helper-named process as verified, with the containers resolved from the host. */
function trusted(
  processes: ReadonlyMap<number, ProcessInput>,
  resolved: ReadonlyMap<number, ContainerInfo> = new Map(),
): Map<number, HelperFinding> {
  const findings = new Map<number, HelperFinding>();
  for (const [pid, {name}] of processes) {
    const kind = helperNames[name];
    if (kind !== undefined) {
      const container = resolved.get(pid);
      findings.set(pid, {
        kind,
        untrusted: null,
        resolution: container === undefined ? null : {kind: 'match', container, warnings: []},
      });
    }
  }
  return findings;
}

function listener(
  address: string,
  port: number,
  pids: number[],
  protocol: Protocol = 'tcp',
): ListenerInput {
  return {protocol, address, port, pids};
}

const web = container('aaaa', [
  [null, 8080],
  [null, 8080],
]);
const db = container('bbbb', [['127.0.0.1', 5432]]);
const ghost = container('cccc', [[null, 9000, 'udp']]);
const map = ContainerPortMap.fromContainers([web, db, ghost]);
const proxyArgv = (hostIp: string): string[] => [
  '/usr/sbin/docker-proxy',
  '-proto',
  'tcp',
  '-host-ip',
  hostIp,
  '-host-port',
  '8080',
  '-container-ip',
  '172.17.0.2',
  '-container-port',
  '80',
];

describe('joinSnapshot', () => {
  const processes = new Map<number, ProcessInput>([
    [10, process(10, 'docker-proxy', proxyArgv('0.0.0.0'))],
    [11, process(11, 'docker-proxy', proxyArgv('::'))],
    [20, process(20, 'postgres')],
    [30, process(30, 'nginx')],
    [31, process(31, 'nginx')],
  ]);
  const rows = joinSnapshot({
    listeners: [
      listener('0.0.0.0', 8080, [10]),
      listener('::', 8080, [11]),
      listener('127.0.0.1', 5432, [20]),
      listener('0.0.0.0', 80, [30, 31]),
      listener('::', 80, [30, 31]),
    ],
    processes,
    containers: map,
    helpers: trusted(processes),
    now: 1060,
  });

  it('folds docker-proxy IPv4 and IPv6 twins into one row with both addresses and pids', () => {
    const proxy = rows.filter((row) => row.port === 8080);
    expect(proxy).toHaveLength(1);
    expect(proxy[0]).toMatchObject({
      addresses: ['0.0.0.0', '::'],
      pids: [10, 11],
      pid: 10,
      startTicks: 7010,
      helper: 'docker-proxy',
      process: 'docker-proxy',
      uptimeSeconds: 60,
      container: web,
      ambiguous: false,
    });
  });

  it('keeps distinct binds of other processes distinct, each with all its pids', () => {
    const nginx = rows.filter((row) => row.port === 80);
    expect(nginx.map((row) => [row.address, row.pids, row.helper])).toEqual([
      ['0.0.0.0', [30, 31], null],
      ['::', [30, 31], null],
    ]);
    expect(new Set(nginx.map((row) => row.key)).size).toBe(2);
  });

  it('matches a non-helper by exact address only', () => {
    expect(rows.find((row) => row.port === 5432)?.container).toBe(db);
  });

  it('lists a published port that no visible process holds, with no pid', () => {
    const orphan = rows.find((row) => row.port === 9000);
    expect(orphan).toMatchObject({
      protocol: 'udp',
      pid: null,
      pids: [],
      process: null,
      container: ghost,
      address: '0.0.0.0',
    });
  });

  it('sorts by port and gives every row a unique key', () => {
    expect(rows.map((row) => row.port)).toEqual([80, 80, 5432, 8080, 9000]);
    expect(new Set(rows.map((row) => row.key)).size).toBe(rows.length);
  });

  it('collapses docker-proxy twins by their target even when no engine answered', () => {
    const alone = joinSnapshot({
      listeners: [listener('0.0.0.0', 8080, [10]), listener('::', 8080, [11])],
      processes,
      containers: new ContainerPortMap(),
      helpers: trusted(processes),
      now: 1060,
    });
    expect(alone).toHaveLength(1);
    expect(alone[0]).toMatchObject({
      container: null,
      addresses: ['0.0.0.0', '::'],
      helper: 'docker-proxy',
    });
  });

  it('uses a helper container resolved without the engine (conmon id, rootlessport netns)', () => {
    const stored = {
      ...container('dddd', []),
      endpoint: 'rootless:ndlab',
      engine: 'podman' as const,
    };
    const helperProcesses = new Map([[40, process(40, 'rootlessport')]]);
    const rootless = joinSnapshot({
      listeners: [listener('::', 18090, [40])],
      processes: helperProcesses,
      containers: new ContainerPortMap(),
      helpers: trusted(helperProcesses, new Map([[40, stored]])),
      now: 1060,
    });
    expect(rootless[0]).toMatchObject({helper: 'rootlessport', container: stored});
  });

  it('prefers the engine record over the storage record for the same id', () => {
    const storage = {
      ...web,
      labels: {},
      image: '',
      endpoint: 'storage:/var/lib/containers/storage/overlay-containers',
    };
    const conmon = new Map([[50, process(50, 'conmon')]]);
    const joined = joinSnapshot({
      listeners: [listener('0.0.0.0', 7777, [50])],
      processes: conmon,
      containers: map,
      helpers: trusted(conmon, new Map([[50, storage]])),
      now: 1060,
    });
    expect(joined.find((row) => row.port === 7777)?.container).toBe(web);
  });

  it('says ambiguous when a helper port is published by several containers on other addresses', () => {
    const twoOnPort = ContainerPortMap.fromContainers([
      container('e1', [['10.0.0.1', 6000]]),
      container('e2', [['10.0.0.2', 6000]]),
    ]);
    const pasta = new Map([[60, process(60, 'pasta')]]);
    const [row] = joinSnapshot({
      listeners: [listener('0.0.0.0', 6000, [60])],
      processes: pasta,
      containers: twoOnPort,
      helpers: trusted(pasta),
      now: 1060,
    }).filter((candidate) => candidate.pid === 60);
    expect(row).toMatchObject({ambiguous: true, container: null, helper: 'pasta'});
    expect(row?.candidates.map((candidate) => candidate.id)).toEqual(['e1', 'e2']);
  });

  it('never takes a rootless container for the engine record of the same id', () => {
    const stored = {...web, endpoint: 'rootless:ndlab', engine: 'podman' as const, labels: {}};
    const own = new Map([[41, {...process(41, 'conmon'), uid: 1001, user: 'ndlab'}]]);
    const [row] = joinSnapshot({
      listeners: [listener('127.0.0.1', 18099, [41])],
      processes: own,
      containers: map,
      helpers: trusted(own, new Map([[41, stored]])),
      now: 1060,
    }).filter((candidate) => candidate.pid === 41);
    expect(row?.container).toBe(stored);
  });

  it('shows an untrusted helper as a plain process with the reason, resolved to nothing', () => {
    const fake = new Map([[70, {...process(70, 'docker-proxy', proxyArgv('0.0.0.0')), uid: 1001}]]);
    const reason = 'named docker-proxy, but /usr/bin/python3 run by ndlab: not trusted';
    const rows = joinSnapshot({
      listeners: [listener('0.0.0.0', 8080, [70])],
      processes: fake,
      containers: map,
      helpers: new Map([[70, {kind: 'docker-proxy', untrusted: reason, resolution: null}]]),
      now: 1060,
    });
    expect(rows.find((row) => row.pid === 70)).toMatchObject({
      helper: null,
      untrusted: reason,
      container: null,
    });
    // The container's port still has its row, with no holder.
    expect(rows.find((row) => row.pid === null && row.port === 8080)?.container).toBe(web);
  });

  it("never lets another user's process stand for a root engine's container", () => {
    const user = new Map([[80, {...process(80, 'python3'), uid: 1001, user: 'ndlab'}]]);
    const rows = joinSnapshot({
      listeners: [listener('127.0.0.1', 5432, [80])],
      processes: user,
      containers: map,
      helpers: new Map(),
      now: 1060,
    });
    expect(rows.find((row) => row.pid === 80)?.container).toBeNull();
    expect(rows.find((row) => row.pid === null && row.port === 5432)?.container).toBe(db);
  });

  it('lets a user process stand for a container of their own rootless engine', () => {
    const own = fakeContainer('mine', 'ffff', {
      endpoint: 'unix:///run/user/1001/podman/podman.sock',
      engine: 'podman',
      ports: [
        {hostIp: '127.0.0.1', port: 5555, lastPort: 5555, protocol: 'tcp', containerPort: 80},
      ],
    });
    const user = new Map([[81, {...process(81, 'rootlesskit'), uid: 1001, user: 'ndlab'}]]);
    const [row] = joinSnapshot({
      listeners: [listener('127.0.0.1', 5555, [81])],
      processes: user,
      containers: ContainerPortMap.fromContainers([own]),
      helpers: new Map(),
      now: 1060,
    });
    expect(row?.container).toBe(own);
  });

  it('says ambiguous when a rootlessport holds the namespaces of two containers', () => {
    const a = {...container('r1', []), endpoint: 'rootless:ndlab'};
    const b = {...container('r2', []), endpoint: 'rootless:ndlab'};
    const port = new Map([[90, {...process(90, 'rootlessport'), uid: 1001, user: 'ndlab'}]]);
    const [row] = joinSnapshot({
      listeners: [listener('::', 18091, [90])],
      processes: port,
      containers: new ContainerPortMap(),
      helpers: new Map([
        [
          90,
          {
            kind: 'rootlessport',
            untrusted: null,
            resolution: {kind: 'ambiguous', candidates: [a, b], warnings: []},
          },
        ],
      ]),
      now: 1060,
    });
    expect(row).toMatchObject({ambiguous: true, container: null, helper: 'rootlessport'});
  });
});

describe('keepUnchangedRows', () => {
  const processes = new Map<number, ProcessInput>([
    [10, process(10, 'docker-proxy', proxyArgv('0.0.0.0'))],
    [11, process(11, 'docker-proxy', proxyArgv('::'))],
    [20, process(20, 'postgres')],
  ]);
  const listeners = [
    listener('0.0.0.0', 8080, [10]),
    listener('::', 8080, [11]),
    listener('127.0.0.1', 5432, [20]),
  ];
  const join = (containers: ContainerPortMap, now: number, from = listeners): SnapshotRow[] =>
    joinSnapshot({listeners: from, processes, containers, helpers: trusted(processes), now});
  const byKey = (rows: readonly SnapshotRow[]): Map<string, SnapshotRow> =>
    new Map(rows.map((row) => [row.key, row]));

  it('keeps the earlier object of every row whose fields are the same, uptime aside', () => {
    const before = join(map, 1060);
    const after = keepUnchangedRows(join(map, 1090), byKey(before));
    expect(after).toHaveLength(before.length);
    after.forEach((row, index) => {
      expect(row).toBe(before[index]);
    });
    // The uptime is the one of the join that made the row; its start time gives it now.
    expect(after.find((row) => row.port === 5432)?.uptimeSeconds).toBe(60);
  });

  it('takes the new row when anything else moved', () => {
    const before = join(map, 1060);
    const moved = [listener('0.0.0.0', 8080, [10]), listener('127.0.0.1', 5432, [20, 21])];
    // Another record of the same container (a fresh list) is another container object.
    const relisted = ContainerPortMap.fromContainers([web, db, {...ghost}]);
    const after = keepUnchangedRows(join(relisted, 1060, moved), byKey(before));
    const proxy = after.find((row) => row.port === 8080);
    expect(proxy?.addresses).toEqual(['0.0.0.0']); // one twin left
    expect(before).not.toContain(proxy);
    const postgres = after.find((row) => row.port === 5432);
    expect(postgres?.pids).toEqual([20, 21]);
    expect(before).not.toContain(postgres);
    // A container's record changed (a list patch) while its port row stayed: a new row.
    const published = after.find((row) => row.pids.length === 0 && row.port === 9000);
    expect(published).toBeDefined();
    expect(before).not.toContain(published);
  });

  it('compares every field a row has: a change of any one of them makes a new row', () => {
    const [row] = join(map, 1060).filter((each) => each.port === 5432) as [SnapshotRow];
    const changes: Partial<SnapshotRow>[] = [
      {protocol: 'udp'},
      {address: '::1'},
      {addresses: ['::1']},
      {lastPort: 5433},
      {sockets: 2},
      {pids: [21]},
      {pid: 21},
      {process: 'other'},
      {user: 'nobody'},
      {startedAt: 999},
      {startTicks: 1},
      {command: ['other']},
      {helper: 'conmon'},
      {untrusted: 'not root'},
      {container: web},
      {ambiguous: true},
      {candidates: [db]},
    ];
    for (const change of changes) {
      const [kept] = keepUnchangedRows([{...row, ...change}], byKey([row]));
      expect(kept, JSON.stringify(change)).not.toBe(row);
    }
    const [same] = keepUnchangedRows([{...row, uptimeSeconds: 999}], byKey([row]));
    expect(same).toBe(row);
  });
});
