import {readFileSync} from 'node:fs';
import {describe, expect, it} from 'vitest';
import {parseEngineEvent} from '../../source/engine/events.js';
import {
  parseSwarmInfo,
  parseSwarmReport,
  readNonManager,
  type SwarmInfo,
} from '../../source/engine/swarm.js';
import {InvalidJsonError} from '../../source/errors/invalid-json-error.js';
import {
  findLocalTask,
  joinSwarmServices,
  type SwarmReport,
  selectServicesOnPort,
} from '../../source/model/swarm.js';

/** Bodies captured from the lab's Swarm engines (scripts/lab-swarm.sh), Docker 20.10.24. */
const fixture = (name: string): string =>
  readFileSync(new URL(`../fixtures/swarm-${name}.json`, import.meta.url), 'utf8');

const address = 'unix:///var/run/docker-swarm.sock';
const managerId = 't7bhy9od8442tqvv8zhyj27yo';
const bodies = {services: fixture('services'), tasks: fixture('tasks'), nodes: fixture('nodes')};

function managerInfo(): SwarmInfo {
  const info = parseSwarmInfo(fixture('info'), address);
  if (info === null) {
    throw new Error('the captured manager /info has no Swarm');
  }
  return info;
}

function services(report: SwarmReport) {
  if (report.role !== 'manager') {
    throw new Error(`expected a manager report, got ${report.role}`);
  }
  return report.services;
}

/** A JSON array of one object, `base` with `patch` over it. */
function withFirst(body: string, patch: (item: Record<string, unknown>) => void): string {
  const items = JSON.parse(body) as Record<string, unknown>[];
  patch(items[0] as Record<string, unknown>);
  return JSON.stringify([items[0]]);
}

describe('parseSwarmInfo', () => {
  it('a manager: active, control available, its node id and host name', () => {
    expect(managerInfo()).toEqual({
      state: 'active',
      nodeId: managerId,
      isManager: true,
      hostName: 'vm',
      error: '',
    });
  });

  it('a worker: active without control; it reports that it cannot list services', () => {
    const info = parseSwarmInfo(fixture('worker-info'));
    expect(info).toMatchObject({state: 'active', isManager: false});
    expect(readNonManager(info as SwarmInfo)).toEqual({
      role: 'worker',
      nodeId: 'wi8fe24dtjbx0cv6xpovgbuoc',
      nodeName: 'vm',
      reason: 'a worker node: only managers list services',
    });
  });

  it('not in a swarm (inactive), or no Swarm object at all (Podman): null', () => {
    const inactive = JSON.stringify({
      Name: 'vm',
      Swarm: {NodeID: '', LocalNodeState: 'inactive', ControlAvailable: false},
    });
    expect(readNonManager(parseSwarmInfo(inactive) as SwarmInfo)).toBeNull();
    expect(parseSwarmInfo(JSON.stringify({Name: 'vm'}))).toBeNull();
  });

  it('a locked node says so', () => {
    const locked = JSON.stringify({
      Name: 'vm',
      Swarm: {NodeID: 'n1', LocalNodeState: 'locked', ControlAvailable: false},
    });
    expect(readNonManager(parseSwarmInfo(locked) as SwarmInfo)).toMatchObject({
      role: 'worker',
      reason: 'the swarm node is locked: it lists no services',
    });
  });

  it.each([
    ['not JSON', '{"Swarm":', /the info body is not JSON/],
    ['an array', '[]', /the info body is not a JSON object/],
    ['Swarm a string', '{"Swarm":"active"}', /Swarm is not an object with a LocalNodeState/],
    ['no LocalNodeState', '{"Swarm":{"NodeID":"x"}}', /Swarm is not an object/],
  ])('malformed /info (%s): InvalidJsonError', (_name, body, message) => {
    expect(() => parseSwarmInfo(body, address)).toThrow(InvalidJsonError);
    expect(() => parseSwarmInfo(body, address)).toThrow(message);
  });
});

describe('parseSwarmReport on captured bodies', () => {
  it('the manager, its node name and both lab services', () => {
    const report = parseSwarmReport(bodies, managerInfo(), address);
    expect(report).toMatchObject({role: 'manager', nodeId: managerId, nodeName: 'vm'});
    expect(services(report).map((service) => service.name)).toEqual([
      'nd-swarm-web',
      'nd-swarm-host',
    ]);
  });

  it('nd-swarm-web: replicated, 2/2, ingress 18410 -> 80, tasks on this node with containers', () => {
    const [web] = services(parseSwarmReport(bodies, managerInfo(), address));
    expect(web).toMatchObject({
      id: '8hqo83x4ghp6rpoyu4rcra8sj',
      image: 'nanodock-lab/busybox:latest',
      mode: 'replicated',
      replicas: {running: 2, desired: 2},
      ports: [{protocol: 'tcp', publishedPort: 18410, targetPort: 80, publishMode: 'ingress'}],
      nodes: ['vm'],
      endpoint: address,
      labels: {'nanodock.lab': '1'},
    });
    expect(web?.tasks.map((task) => task.slot)).toEqual([1, 2]);
    expect(web?.tasks[0]).toEqual({
      id: '138n4c3jmxy23rywldfqlmtvn',
      slot: 1,
      nodeId: managerId,
      nodeName: 'vm',
      state: 'running',
      desiredState: 'running',
      containerId: 'e057779bacb2b047fec4beadfd87848ac66973cffda75f0b335b2519338c7e29',
      onThisNode: true,
      message: 'started',
    });
    expect(web && findLocalTask(web)?.id).toBe('138n4c3jmxy23rywldfqlmtvn');
  });

  it('nd-swarm-host: a host-mode port', () => {
    const [, host] = services(parseSwarmReport(bodies, managerInfo(), address));
    expect(host?.ports).toEqual([
      {protocol: 'tcp', publishedPort: 18411, targetPort: 80, publishMode: 'host'},
    ]);
    expect(host?.replicas).toEqual({running: 1, desired: 1});
  });

  it('a task on another node is not on this one; its node name comes from /nodes', () => {
    const otherInfo = {...managerInfo(), nodeId: 'wi8fe24dtjbx0cv6xpovgbuoc'};
    const [web] = services(parseSwarmReport(bodies, otherInfo, address));
    expect(web?.tasks.every((task) => !task.onThisNode && task.nodeName === 'vm')).toBe(true);
    expect(web && findLocalTask(web)).toBeUndefined();
  });

  it('a global service: desired is its tasks wanted running on nodes not down', () => {
    const global = withFirst(bodies.services, (service) => {
      (service.Spec as Record<string, unknown>).Mode = {Global: {}};
    });
    const tasks = JSON.parse(bodies.tasks) as Record<string, unknown>[];
    const starting = {
      ...tasks[0],
      ID: 'starting1',
      NodeID: 'wi8fe24dtjbx0cv6xpovgbuoc',
      Slot: 0,
      Status: {State: 'preparing', Message: 'preparing'},
    };
    const onDownNode = {...tasks[0], ID: 'gone1', NodeID: 'down1'};
    const nodes = JSON.parse(bodies.nodes) as Record<string, unknown>[];
    nodes.push({ID: 'down1', Description: {Hostname: 'old'}, Status: {State: 'down'}});
    const [service] = services(
      parseSwarmReport(
        {
          services: global,
          tasks: JSON.stringify([tasks[0], starting, onDownNode]),
          nodes: JSON.stringify(nodes),
        },
        managerInfo(),
        address,
      ),
    );
    expect(service).toMatchObject({mode: 'global', replicas: {running: 1, desired: 2}});
    expect(service?.tasks.map((task) => [task.id, task.slot])).toEqual([
      ['138n4c3jmxy23rywldfqlmtvn', 1],
      ['starting1', null],
      ['gone1', 1],
    ]);
  });

  it('a task that failed carries its error; a digest-pinned image is shown without it', () => {
    const service = withFirst(bodies.services, (item) => {
      const template = (item.Spec as {TaskTemplate: {ContainerSpec: {Image: string}}}).TaskTemplate;
      template.ContainerSpec.Image = 'busybox:1.36@sha256:0123';
    });
    const tasks = withFirst(bodies.tasks, (task) => {
      task.Status = {State: 'rejected', Err: 'No such image: busybox:1.36', Message: 'preparing'};
    });
    const [parsed] = services(
      parseSwarmReport({services: service, tasks, nodes: bodies.nodes}, managerInfo(), address),
    );
    expect(parsed?.image).toBe('busybox:1.36');
    expect(parsed?.tasks[0]).toMatchObject({
      state: 'rejected',
      containerId: null,
      message: 'No such image: busybox:1.36',
    });
    expect(parsed?.replicas).toEqual({running: 0, desired: 2});
  });

  it('ports: udp kept; sctp and unpublished entries left out; Spec ports before Endpoint is set', () => {
    const service = withFirst(bodies.services, (item) => {
      item.Endpoint = {};
      (item.Spec as Record<string, unknown>).EndpointSpec = {
        Ports: [
          {Protocol: 'udp', TargetPort: 53, PublishedPort: 18453, PublishMode: 'ingress'},
          {Protocol: 'sctp', TargetPort: 9, PublishedPort: 18409},
          {Protocol: 'tcp', TargetPort: 81},
        ],
      };
    });
    const [parsed] = services(
      parseSwarmReport({...bodies, services: service}, managerInfo(), address),
    );
    expect(parsed?.ports).toEqual([
      {protocol: 'udp', publishedPort: 18453, targetPort: 53, publishMode: 'ingress'},
    ]);
  });

  it.each([
    ['services not JSON', {services: '[{'}, /the service list is not JSON/],
    ['tasks an object', {tasks: '{}'}, /the task list is not a JSON array \(got object\)/],
    ['a node without ID', {nodes: '[{"Spec":{}}]'}, /the node list item 0 is not an object/],
    ['a service null', {services: '[null]'}, /the service list item 0/],
    [
      'a service with no mode',
      {services: '[{"ID":"s1","Spec":{"Name":"x","Mode":{}}}]'},
      /service s1 has no mode/,
    ],
  ])('malformed bodies (%s): InvalidJsonError naming the engine', (_name, patch, message) => {
    const parse = () => parseSwarmReport({...bodies, ...patch}, managerInfo(), address);
    expect(parse).toThrow(InvalidJsonError);
    expect(parse).toThrow(message);
    expect(parse).toThrow(address);
  });
});

describe('selectServicesOnPort and joinSwarmServices', () => {
  const report = parseSwarmReport(bodies, managerInfo(), address);

  it('finds a service by published port and protocol, in either mode', () => {
    const all = services(report);
    expect(selectServicesOnPort(all, 18410, 'tcp').map((service) => service.name)).toEqual([
      'nd-swarm-web',
    ]);
    expect(selectServicesOnPort(all, 18411, 'tcp').map((service) => service.name)).toEqual([
      'nd-swarm-host',
    ]);
    expect(selectServicesOnPort(all, 18410, 'udp')).toEqual([]);
    expect(selectServicesOnPort(all, 80, 'tcp')).toEqual([]);
  });

  it('joins manager reports, each service once; workers and non-swarm engines add nothing', () => {
    const worker = readNonManager(parseSwarmInfo(fixture('worker-info')) as SwarmInfo);
    const joined = joinSwarmServices([null, report, worker, undefined, report]);
    expect(joined.map((service) => service.name)).toEqual(['nd-swarm-web', 'nd-swarm-host']);
    expect(joinSwarmServices([null, worker])).toEqual([]);
  });
});

describe('Swarm events (parseEngineEvent with types)', () => {
  // A line of Docker 20.10's /events on the lab manager, after `docker service scale`.
  const scaled = {
    Type: 'service',
    Action: 'update',
    Actor: {
      ID: 'u42m5h04chzt6v7n1ldyqb0bu',
      Attributes: {name: 'nd-swarm-t-ev', 'replicas.new': '2', 'replicas.old': '1'},
    },
    scope: 'swarm',
    time: 1_796_000_000,
    timeNano: 1_796_000_000_000_000_000,
  };

  it('a service event is delivered only when asked for', () => {
    expect(parseEngineEvent(scaled, address)).toBeNull();
    expect(parseEngineEvent(scaled, address, ['container', 'service'])).toEqual({
      endpoint: address,
      type: 'service',
      action: 'update',
      id: 'u42m5h04chzt6v7n1ldyqb0bu',
      name: 'nd-swarm-t-ev',
      time: 1_796_000_000_000,
    });
    expect(parseEngineEvent({...scaled, Type: 'node'}, address, ['service'])).toBeNull();
  });
});
