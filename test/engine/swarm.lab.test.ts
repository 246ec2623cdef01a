import {mkdtempSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {detectContainers} from '../../source/engine/detect.js';
import {parseEngineAddress} from '../../source/engine/endpoint.js';
import {type EngineEvent, watchEngineEvents} from '../../source/engine/events.js';
import {readSwarm} from '../../source/engine/swarm.js';
import {lookupPublishedContainer} from '../../source/model/lookup.js';
import type {SwarmReport, SwarmService} from '../../source/model/swarm.js';
import {lab, shouldSkipLab, swarmDocker} from '../helpers/lab.js';

const skipManager = await shouldSkipLab('Swarm manager', lab.swarm.address);
const skipWorker = skipManager || (await shouldSkipLab('Swarm worker', lab.swarm.workerAddress));

const manager = parseEngineAddress(lab.swarm.address, 'lab');
/** A home with no docker config: detection sees DOCKER_HOST only. */
const bareHome = mkdtempSync(join(tmpdir(), 'nanodock-swarm-home-'));
const onManager = {env: {DOCKER_HOST: lab.swarm.address}, home: bareHome, timeoutMs: 5000};

const docker = swarmDocker;

async function managerReport(): Promise<Extract<SwarmReport, {role: 'manager'}>> {
  const report = await readSwarm(manager, {timeoutMs: 5000});
  if (report?.role !== 'manager') {
    throw new Error(`the lab's swarm engine is not a manager: ${JSON.stringify(report)}`);
  }
  return report;
}

/** Polls the manager until `name` exists and `done` holds for it (no sleeps in place of a condition). */
async function waitForService(
  name: string,
  done: (service: SwarmService) => boolean,
  timeoutMs = 60_000,
): Promise<SwarmService> {
  const deadline = Date.now() + timeoutMs;
  let last: SwarmService | undefined;
  while (Date.now() < deadline) {
    last = (await managerReport()).services.find((service) => service.name === name);
    if (last !== undefined && done(last)) {
      return last;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`service ${name} never got there; last: ${JSON.stringify(last?.replicas)}`);
}

const testServices: string[] = [];
afterAll(async () => {
  for (const name of testServices) {
    await docker(['service', 'rm', name]).catch(() => undefined);
  }
});

describe.skipIf(skipManager)('Swarm manager (lab-swarm.sh)', () => {
  it('readSwarm: a manager listing nd-swarm-web (ingress 18410, 2/2 on this node) and nd-swarm-host', async () => {
    const report = await managerReport();
    expect(report.nodeName).not.toBe('');
    const web = report.services.find((service) => service.name === lab.swarm.service);
    expect(web).toMatchObject({
      mode: 'replicated',
      replicas: {running: lab.swarm.replicas, desired: lab.swarm.replicas},
      ports: [
        {protocol: 'tcp', publishedPort: lab.swarm.port, targetPort: 80, publishMode: 'ingress'},
      ],
      endpoint: lab.swarm.address,
      image: lab.image,
    });
    expect(web?.tasks.filter((task) => task.onThisNode && task.state === 'running')).toHaveLength(
      2,
    );
    expect(web?.nodes).toEqual([report.nodeName]);
    const host = report.services.find((service) => service.name === lab.swarm.hostService);
    expect(host?.ports).toEqual([
      {protocol: 'tcp', publishedPort: lab.swarm.hostPort, targetPort: 80, publishMode: 'host'},
    ]);
  });

  it('detection (DOCKER_HOST = the manager): the services and their ports are in the map', async () => {
    const map = await detectContainers(onManager);
    expect(map.engines).toHaveLength(1);
    expect(map.engines[0]).toMatchObject({ok: true, engine: 'docker', swarmError: null});
    expect(map.engines[0]?.swarm?.role).toBe('manager');
    expect(map.servicesOnPort(lab.swarm.port, 'tcp').map((service) => service.name)).toEqual([
      lab.swarm.service,
    ]);
    expect(map.servicesOnPort(lab.swarm.port, 'udp')).toEqual([]);
    // The ingress port has no container binding: only the service knows it.
    expect(map.containersOnPort(lab.swarm.port, 'tcp')).toEqual([]);
  });

  it('lookup of 18410 answers the service with a task container of this node', async () => {
    const map = await detectContainers(onManager);
    const answer = lookupPublishedContainer(
      map,
      {address: '0.0.0.0', port: lab.swarm.port},
      'tcp',
      false,
    );
    expect(answer.kind).toBe('service');
    if (answer.kind !== 'service') {
      return;
    }
    expect(answer.service.name).toBe(lab.swarm.service);
    expect(answer.port.publishMode).toBe('ingress');
    expect(answer.container?.name).toMatch(/^nd-swarm-web\.[12]\./);
    expect(answer.container?.labels['com.docker.swarm.service.name']).toBe(lab.swarm.service);
    expect(answer.container?.endpoint).toBe(lab.swarm.address);
  });

  it('lookup of the host-mode port 18411 answers its task container, a plain match', async () => {
    const map = await detectContainers(onManager);
    const answer = lookupPublishedContainer(
      map,
      {address: '0.0.0.0', port: lab.swarm.hostPort},
      'tcp',
      false,
    );
    expect(answer.kind === 'match' && answer.container.name).toMatch(/^nd-swarm-host\.1\./);
  });

  it('scaling a service shows in readSwarm and in detection; service events say so', async () => {
    const name = `nd-swarm-t-scale-${process.pid}`;
    const port = lab.swarm.testPorts[0];
    await docker(['service', 'rm', name]).catch(() => undefined);
    testServices.push(name);
    const events: EngineEvent[] = [];
    const watcher = watchEngineEvents({
      ...onManager,
      types: ['service'],
      onEvent: (event) => events.push(event),
    });
    try {
      await docker([
        'service',
        'create',
        '-d',
        '--no-resolve-image',
        '--name',
        name,
        '--replicas',
        '1',
        '--publish',
        `published=${port},target=80`,
        '--label',
        'nanodock.test=1',
        lab.image,
        '/bin/busybox',
        'httpd',
        '-f',
        '-p',
        '80',
      ]);
      const one = await waitForService(name, (service) => service.replicas.running === 1);
      expect(one.replicas).toEqual({running: 1, desired: 1});
      await docker(['service', 'scale', '-d', `${name}=3`]);
      const three = await waitForService(name, (service) => service.replicas.running === 3);
      expect(three.replicas).toEqual({running: 3, desired: 3});
      expect(three.tasks.map((task) => task.slot).sort()).toEqual([1, 2, 3]);
      const map = await detectContainers(onManager);
      const found = map.servicesOnPort(port, 'tcp');
      expect(found.map((service) => service.replicas)).toEqual([{running: 3, desired: 3}]);
      await docker(['service', 'scale', '-d', `${name}=1`]);
      const back = await waitForService(name, (service) => service.tasks.length === 1);
      expect(back.replicas.desired).toBe(1);
      const deadline = Date.now() + 10_000;
      while (!events.some((event) => event.action === 'update') && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(events.map((event) => [event.type, event.action, event.name])).toEqual(
        expect.arrayContaining([
          ['service', 'create', name],
          ['service', 'update', name],
        ]),
      );
    } finally {
      watcher.close();
    }
  });
});

describe.skipIf(skipWorker)('Swarm worker (lab-swarm.sh)', () => {
  it('says it cannot list services', async () => {
    const report = await readSwarm(parseEngineAddress(lab.swarm.workerAddress, 'lab'), {
      timeoutMs: 5000,
    });
    expect(report).toMatchObject({
      role: 'worker',
      reason: 'a worker node: only managers list services',
    });
    expect(report?.nodeId).not.toBe('');
  });

  it('detection of the worker reports it in the engine report, with no services', async () => {
    const map = await detectContainers({...onManager, env: {DOCKER_HOST: lab.swarm.workerAddress}});
    expect(map.engines[0]?.swarm?.role).toBe('worker');
    expect(map.services).toEqual([]);
  });
});
