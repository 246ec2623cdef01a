import {describe, expect, it} from 'vitest';
import {ContainerPortMap, type EngineReport} from '../../source/model/container-port-map.js';
import {formatContainer, formatProcess} from '../../source/model/format.js';
import {joinSnapshot, keepUnchangedRows} from '../../source/model/join.js';
import type {SwarmService} from '../../source/model/swarm.js';
import {initialState, reduce} from '../../source/tui/reducer.js';
import type {AppAction} from '../../source/tui/types.js';
import {detailText} from '../../source/tui/view.js';
import {fakeContainer, fakeSnapshot} from '../helpers/snapshot-fixture.js';

const taskContainer = fakeContainer('web.1.x', 'c'.repeat(64));

function service(onThisNode: boolean, running = 2): SwarmService {
  return {
    id: 's'.repeat(25),
    name: 'web',
    image: 'nginx:1',
    mode: 'replicated',
    replicas: {running, desired: 2},
    ports: [
      {protocol: 'tcp', publishedPort: 8080, targetPort: 80, publishMode: 'ingress'},
      {protocol: 'tcp', publishedPort: 8081, targetPort: 81, publishMode: 'host'},
    ],
    tasks: [
      {
        id: 't1',
        slot: 1,
        nodeId: 'n1',
        nodeName: 'lab',
        state: 'running',
        desiredState: 'running',
        containerId: taskContainer.id,
        onThisNode,
        message: 'started',
      },
      {
        id: 't2',
        slot: 2,
        nodeId: 'n2',
        nodeName: 'other',
        state: 'running',
        desiredState: 'running',
        containerId: 'd'.repeat(64),
        onThisNode: false,
        message: '',
      },
    ],
    nodes: ['lab', 'other'],
    endpoint: 'unix:///var/run/docker-swarm.sock',
    labels: {},
  };
}

function mapWith(services: SwarmService): ContainerPortMap {
  const report: EngineReport = {
    endpoint: 'unix:///var/run/docker-swarm.sock',
    source: 'DOCKER_HOST',
    engine: 'docker',
    ok: true,
    containers: 1,
    durationMs: 1,
    error: null,
    swarm: {role: 'manager', nodeId: 'n1', nodeName: 'lab', services: [services]},
  };
  return new ContainerPortMap([], [report], [taskContainer]);
}

const join = (map: ContainerPortMap) =>
  joinSnapshot({listeners: [], processes: new Map(), containers: map, helpers: new Map(), now: 0});

describe('Swarm services as rows', () => {
  it('an ingress port is a row of its own with the service, replicas and the local task container', () => {
    const rows = join(mapWith(service(true)));
    const row = rows.find((entry) => entry.service !== undefined);
    expect(row).toMatchObject({port: 8080, pid: null, container: taskContainer});
    expect(formatContainer(row ?? (rows[0] as never))).toBe('web 2/2');
    expect(formatProcess(row ?? (rows[0] as never))).toBe('(swarm) lab,other');
    // The host-mode port is held by its task container's own socket: no service row for it.
    expect(rows.filter((entry) => entry.service !== undefined).map((entry) => entry.port)).toEqual([
      8080,
    ]);
  });

  it('Enter shows the service, its nodes and every task', () => {
    const row = join(mapWith(service(true))).find((entry) => entry.service !== undefined) as never;
    const text = detailText(row).join('\n');
    expect(text).toContain('service: web');
    expect(text).toContain('replicas 2/2 running');
    expect(text).toContain('nodes: lab, other');
    expect(text).toContain('#1 running on lab (this node)');
    expect(text).toContain('#2 running on other');
    expect(text).toContain('container: web.1.x');
  });

  it('k acts on the local task container; with none here it explains why nothing is done', () => {
    const run = (rows: ReturnType<typeof join>, ...actions: AppAction[]) =>
      [{type: 'snapshot', snapshot: fakeSnapshot(rows)} as AppAction, ...actions].reduce(
        reduce,
        initialState({columns: 120, rows: 20}),
      );
    const k: AppAction = {type: 'key', press: {input: 'k', key: {}}};
    const here = run(join(mapWith(service(true))), k);
    expect(here.mode).toMatchObject({kind: 'confirm', action: {containerId: taskContainer.id}});
    const elsewhere = run(join(mapWith(service(false))), k);
    expect(elsewhere.mode.kind).toBe('list');
    expect(elsewhere.status?.text).toMatch(
      /service web has no task on this node: nothing here to kill/,
    );
  });

  it('a scaled service is a changed row; an unchanged one keeps its object', () => {
    const first = join(mapWith(service(true)));
    const same = keepUnchangedRows(
      join(mapWith(service(true))),
      new Map(first.map((row) => [row.key, row])),
    );
    const scaled = keepUnchangedRows(
      join(mapWith(service(true, 1))),
      new Map(first.map((row) => [row.key, row])),
    );
    const key = first.find((row) => row.service !== undefined)?.key;
    expect(same.find((row) => row.key === key)).toBe(first.find((row) => row.key === key));
    expect(scaled.find((row) => row.key === key)).not.toBe(first.find((row) => row.key === key));
  });
});
