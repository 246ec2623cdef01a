import {mkdtempSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {
  type EngineEvent,
  type EngineEventWatcher,
  type EventStreamOptions,
  watchEngineEvents,
} from '../../source/engine/events.js';
import {
  engineApi,
  lab,
  removeContainer,
  shouldSkipLab,
  startScratchContainer,
} from '../helpers/lab.js';

const skipDocker = await shouldSkipLab('Docker', lab.docker.address);
const skipPodman = await shouldSkipLab('rootful Podman', lab.podman.address);
const skipTls = await shouldSkipLab('TLS Docker', 'unix:///var/run/docker-tls.sock');

/** The TLS engine's own Unix socket, to create containers without going through TLS. */
const tlsSocket = 'unix:///var/run/docker-tls.sock';

/** A home with no docker config, so discovery sees only the lab's sockets. */
const bareHome = mkdtempSync(join(tmpdir(), 'nanodock-events-home-'));

const watchers: EngineEventWatcher[] = [];
const created: Array<{address: string; id: string}> = [];
afterEach(async () => {
  for (const watcher of watchers.splice(0)) {
    watcher.close();
  }
  for (const {address, id} of created.splice(0)) {
    await removeContainer(address, id);
  }
});

/** A watcher that records what it gets; resolves once every endpoint in `expected` connected. */
async function watchUntilConnected(
  options: Pick<EventStreamOptions, 'env' | 'home' | 'uid'>,
  expected: readonly string[],
): Promise<EngineEvent[]> {
  const events: EngineEvent[] = [];
  const connected = new Set<string>();
  watchers.push(
    watchEngineEvents({
      ...options,
      onEvent: (event) => events.push(event),
      onStatus: (endpoint, isConnected) => {
        if (isConnected) {
          connected.add(endpoint);
        }
      },
    }),
  );
  // Events before the subscription is live are not replayed: start containers only after.
  await expect.poll(() => expected.every((endpoint) => connected.has(endpoint))).toBe(true);
  return events;
}

async function scratch(address: string, image: string, name: string): Promise<string> {
  const id = await startScratchContainer(address, image, name);
  created.push({address, id});
  return id;
}

async function kill(address: string, id: string): Promise<void> {
  const answer = await engineApi(address, 'POST', `/containers/${id}/kill`);
  expect(answer.status).toBe(204);
}

const actionsFor = (events: readonly EngineEvent[], id: string): string[] =>
  events.filter((event) => event.id === id).map((event) => event.action);

/** Start and die of a container killed on `address`, seen by a watcher of `watched`. */
async function expectStartAndDie(
  events: EngineEvent[],
  address: string,
  image: string,
  name: string,
  watched: string,
): Promise<string> {
  const before = Date.now();
  const id = await scratch(address, image, name);
  await expect.poll(() => actionsFor(events, id)).toContain('start');
  await kill(address, id);
  await expect.poll(() => actionsFor(events, id)).toContain('die');
  const start = events.find((event) => event.id === id && event.action === 'start');
  expect(start).toMatchObject({endpoint: watched, type: 'container', name});
  // Milliseconds since the epoch, from the engine's clock (the same host's).
  expect(start?.time).toBeGreaterThanOrEqual(before - 2000);
  expect(start?.time).toBeLessThanOrEqual(Date.now() + 2000);
  return id;
}

describe.skipIf(skipDocker)('Docker events (lab engine)', () => {
  it('sees start, kill and die of a container, then destroy when it is removed', async () => {
    const events = await watchUntilConnected({env: {DOCKER_HOST: lab.docker.address}}, [
      lab.docker.address,
    ]);
    const id = await expectStartAndDie(
      events,
      lab.docker.address,
      lab.image,
      'nd-test-events',
      lab.docker.address,
    );
    await removeContainer(lab.docker.address, id);
    await expect.poll(() => actionsFor(events, id)).toContain('destroy');
    // Docker's order for a killed container.
    expect(actionsFor(events, id)).toEqual(['create', 'start', 'kill', 'die', 'destroy']);
  });
});

describe.skipIf(skipPodman)('rootful Podman events (lab engine, compat API)', () => {
  it('sees start, kill and die of a container, then remove (not destroy)', async () => {
    const events = await watchUntilConnected({env: {CONTAINER_HOST: lab.podman.address}}, [
      lab.podman.address,
    ]);
    const id = await expectStartAndDie(
      events,
      lab.podman.address,
      lab.podmanImage,
      'nd-test-pevents',
      lab.podman.address,
    );
    await removeContainer(lab.podman.address, id);
    await expect.poll(() => actionsFor(events, id)).toContain('remove');
    // Podman adds init before start, cleanup after die, and says remove where Docker says destroy.
    const actions = actionsFor(events, id);
    expect(actions).toEqual(expect.arrayContaining(['create', 'init', 'start', 'kill', 'die']));
    expect(actions).not.toContain('destroy');
    expect(actions.indexOf('init')).toBeLessThan(actions.indexOf('start'));
    expect(actions.indexOf('start')).toBeLessThan(actions.indexOf('die'));
  });
});

describe.skipIf(skipTls)('TLS Docker events (lab engine on 127.0.0.1:2376)', () => {
  it('streams over TLS with the client certificate', async () => {
    const events = await watchUntilConnected(
      {
        env: {
          DOCKER_HOST: lab.tls.address,
          DOCKER_TLS_VERIFY: '1',
          DOCKER_CERT_PATH: lab.tls.certs,
        },
      },
      [lab.tls.address],
    );
    await expectStartAndDie(events, tlsSocket, lab.image, 'nd-test-tevents', lab.tls.address);
  });
});

describe.skipIf(skipDocker || skipPodman)('default discovery events (lab)', () => {
  it('one watcher follows Docker and rootful Podman at once', async () => {
    const events = await watchUntilConnected({env: {}, home: bareHome, uid: 0}, [
      lab.docker.address,
      lab.podman.address,
    ]);
    await Promise.all([
      expectStartAndDie(
        events,
        lab.docker.address,
        lab.image,
        'nd-test-mevents',
        lab.docker.address,
      ),
      expectStartAndDie(
        events,
        lab.podman.address,
        lab.podmanImage,
        'nd-test-mpevents',
        lab.podman.address,
      ),
    ]);
  });
});
