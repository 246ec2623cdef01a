import type {ContainerInfo} from '../../source/model/container-info.js';
import type {SnapshotRow} from '../../source/model/snapshot-row.js';
import type {Snapshot} from '../../source/snapshot.js';

/** A container for UI tests. */
export function fakeContainer(
  name: string,
  id: string,
  extra: Partial<ContainerInfo> = {},
): ContainerInfo {
  return {
    id,
    name,
    names: [name],
    image: `${name}-image:1`,
    state: 'running',
    status: 'Up 1 hour',
    command: null,
    created: null,
    labels: {'com.docker.compose.project': 'shop', tier: 'web'},
    composeProject: 'shop',
    ports: [],
    endpoint: 'unix:///var/run/docker.sock',
    engine: 'docker',
    ...extra,
  };
}

/** A docker-proxy row of `container` on `port`, as the join makes for a published port. */
export function fakeContainerRow(port: number, container: ContainerInfo): SnapshotRow {
  return fakeRow(port, {
    key: `c|${container.id}|tcp|${port}`,
    process: 'docker-proxy',
    helper: 'docker-proxy',
    container,
  });
}

let nextRevision = 1;

/** A row for UI tests. */
export function fakeRow(port: number, extra: Partial<SnapshotRow> = {}): SnapshotRow {
  return {
    key: `s|tcp|0.0.0.0|${port}|${1000 + port}`,
    protocol: 'tcp',
    address: '0.0.0.0',
    addresses: ['0.0.0.0'],
    port,
    lastPort: port,
    pids: [1000 + port],
    pid: 1000 + port,
    process: `svc${port}`,
    user: 'root',
    uptimeSeconds: 120,
    startedAt: null,
    startTicks: 5000 + port,
    command: [`svc${port}`, '--listen'],
    helper: null,
    untrusted: null,
    container: null,
    ambiguous: false,
    candidates: [],
    ...extra,
  };
}

/** The lab-like rows: a host process, a docker-proxy row with its container, a plain one. */
export function fakeSnapshot(
  rows?: readonly SnapshotRow[],
  extra: Partial<Snapshot> = {},
): Snapshot {
  const web = fakeContainer('web', 'a1b2c3d4e5f6a7b8c9d0');
  return {
    // Each fake snapshot its own revision: the reducer then compares its rows one by one.
    rowsRevision: nextRevision++,
    rows: rows ?? [
      fakeRow(22, {process: 'sshd'}),
      fakeRow(5432, {process: 'postgres', user: 'postgres'}),
      fakeRow(18080, {
        key: 'c|docker-proxy|a1b2|tcp|18080',
        addresses: ['0.0.0.0', '::'],
        pids: [501, 502],
        pid: 501,
        process: 'docker-proxy',
        helper: 'docker-proxy',
        container: web,
      }),
    ],
    engines: [
      {
        endpoint: 'unix:///var/run/docker.sock',
        source: 'default',
        engine: 'docker',
        ok: true,
        containers: 1,
        durationMs: 3,
        error: null,
      },
    ],
    enginesPending: false,
    warnings: [],
    hostname: 'testhost',
    takenAt: 0,
    durationMs: 12,
    fullHostScan: true,
    ...extra,
  };
}
