import {execFileSync} from 'node:child_process';
import {createHash} from 'node:crypto';
import {cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {detectContainers} from '../../source/engine/detect.js';
import {parseEngineAddress, resolveEndpoints} from '../../source/engine/endpoint.js';
import {
  closeIdleEngineConnections,
  engineConnectionsOpened,
  requestEngine,
  tlsHandshakeCounts,
} from '../../source/engine/http.js';
import {pingEngine} from '../../source/engine/ping.js';
import {DaemonNotFoundError} from '../../source/errors/daemon-not-found-error.js';
import type {ContainerInfo} from '../../source/model/container-info.js';
import type {ContainerPortMap} from '../../source/model/container-port-map.js';
import {lookupPublishedContainer} from '../../source/model/lookup.js';
import {stopContainer, stopContainerWithReport} from '../../source/stop.js';
import {
  isRunning,
  lab,
  removeContainer,
  shouldSkipLab,
  startScratchContainer,
} from '../helpers/lab.js';

const skipDocker = await shouldSkipLab('Docker', lab.docker.address);
const skipPodman = await shouldSkipLab('rootful Podman', lab.podman.address);
const skipTls = await shouldSkipLab('TLS Docker', `unix:///var/run/docker-tls.sock`);

/** A home with no docker config, so discovery sees only the lab's sockets. */
const bareHome = mkdtempSync(join(tmpdir(), 'nanodock-lab-home-'));

function portsOf(map: ContainerPortMap, name: string): string[] {
  return [...map]
    .filter(([, container]) => container.name === name)
    .map(([key]) => `${key.hostIp ?? '*'}:${key.port}/${key.protocol}`)
    .sort();
}

function containerNamed(map: ContainerPortMap, name: string): ContainerInfo | undefined {
  return map.containers().find((container) => container.name === name);
}

describe.skipIf(skipDocker)('Docker (lab engine)', () => {
  it('finds nd-web with its name, image, engine, TCP port, UDP port and port range', async () => {
    const map = await detectContainers({env: {DOCKER_HOST: lab.docker.address}});
    const web = containerNamed(map, lab.docker.container);
    expect(web).toMatchObject({
      image: lab.image,
      engine: 'docker',
      endpoint: lab.docker.address,
      state: 'running',
    });
    expect(web?.id).toMatch(/^[0-9a-f]{64}$/);
    expect(web?.labels['nanodock.lab']).toBe('1');
    expect(web?.composeProject).toBe('ndlab');
    // Docker 20.10 lists each published port once per address family (0.0.0.0 and ::).
    expect(new Set(portsOf(map, lab.docker.container))).toEqual(
      new Set(['*:18080/tcp', '*:18081/udp', '*:18082/tcp', '*:18083/tcp', '*:18084/tcp']),
    );
    expect(
      lookupPublishedContainer(map, {address: '0.0.0.0', port: 18083}, 'tcp', false),
    ).toMatchObject({
      kind: 'match',
      container: {name: lab.docker.container},
    });
    expect(lookupPublishedContainer(map, {address: '::', port: 18081}, 'udp', false).kind).toBe(
      'match',
    );
    expect(map.engines).toEqual([
      expect.objectContaining({
        endpoint: lab.docker.address,
        source: 'DOCKER_HOST',
        ok: true,
        engine: 'docker',
      }),
    ]);
  });

  it('stop: stopped, then already-stopped; the engine no longer lists it as running', async () => {
    const id = await startScratchContainer(lab.docker.address, lab.image, 'nd-test-stop');
    try {
      const env = {DOCKER_HOST: lab.docker.address};
      expect(await stopContainer(id, false, {env})).toBe('stopped');
      expect(await isRunning(lab.docker.address, id)).toBe(false);
      expect(await stopContainer(id, false, {env})).toBe('already-stopped');
    } finally {
      await removeContainer(lab.docker.address, id);
    }
  });

  it('kill: stopped, then already-stopped', async () => {
    const id = await startScratchContainer(lab.docker.address, lab.image, 'nd-test-kill');
    try {
      const env = {DOCKER_HOST: lab.docker.address};
      const report = await stopContainerWithReport(id, true, {env});
      expect(report).toEqual({outcome: 'stopped', endpoint: lab.docker.address, error: null});
      expect(await stopContainer(id, true, {env})).toBe('already-stopped');
    } finally {
      await removeContainer(lab.docker.address, id);
    }
  });

  it('an unknown id is not-found', async () => {
    expect(
      await stopContainer('0000deadbeef0000', true, {env: {DOCKER_HOST: lab.docker.address}}),
    ).toBe('not-found');
  });
});

describe.skipIf(skipPodman)('rootful Podman (lab engine)', () => {
  it('finds nd-podman-web with its image, TCP and UDP ports, as a podman engine', async () => {
    const map = await detectContainers({env: {CONTAINER_HOST: lab.podman.address}});
    const web = containerNamed(map, lab.podman.container);
    expect(web).toMatchObject({
      image: lab.podmanImage,
      engine: 'podman',
      endpoint: lab.podman.address,
    });
    expect(portsOf(map, lab.podman.container)).toEqual(['*:18085/tcp', '*:18086/udp']);
  });

  it('stop and kill: stopped, then already-stopped', async () => {
    const env = {CONTAINER_HOST: lab.podman.address};
    const stopId = await startScratchContainer(
      lab.podman.address,
      lab.podmanImage,
      'nd-test-pstop',
    );
    const killId = await startScratchContainer(
      lab.podman.address,
      lab.podmanImage,
      'nd-test-pkill',
    );
    try {
      expect(await stopContainer(stopId, false, {env})).toBe('stopped');
      expect(await stopContainer(stopId, false, {env})).toBe('already-stopped');
      expect(await stopContainer(killId, true, {env})).toBe('stopped');
      expect(await stopContainer(killId, true, {env})).toBe('already-stopped');
    } finally {
      await removeContainer(lab.podman.address, stopId);
      await removeContainer(lab.podman.address, killId);
    }
  });
});

describe.skipIf(skipDocker || skipPodman)('default discovery (lab)', () => {
  it('merges Docker and rootful Podman and reports each engine', async () => {
    const map = await detectContainers({env: {}, home: bareHome, uid: 0});
    expect(containerNamed(map, lab.docker.container)?.engine).toBe('docker');
    expect(containerNamed(map, lab.podman.container)?.engine).toBe('podman');
    const answered = map.engines.filter((engine) => engine.ok).map((engine) => engine.endpoint);
    expect(answered).toEqual(expect.arrayContaining([lab.docker.address, lab.podman.address]));
    const missing = map.engines.find((engine) => engine.endpoint.endsWith('/.rd/docker.sock'));
    expect(missing?.error?.message).toContain('ENOENT');
  });

  it('an unknown id is not-found only after every engine said so', async () => {
    const report = await stopContainerWithReport('nanodock-no-such-container', false, {
      env: {},
      home: bareHome,
      uid: 0,
    });
    expect(report).toEqual({outcome: 'not-found', endpoint: null, error: null});
  });
});

describe.skipIf(skipTls)('TLS Docker (lab engine on 127.0.0.1:2376)', () => {
  const tlsEnv = {
    DOCKER_HOST: lab.tls.address,
    DOCKER_TLS_VERIFY: '1',
    DOCKER_CERT_PATH: lab.tls.certs,
  };

  it('is reached through DOCKER_HOST + DOCKER_TLS_VERIFY + DOCKER_CERT_PATH', async () => {
    const map = await detectContainers({env: tlsEnv});
    expect(portsOf(map, lab.tls.container)).toEqual(['127.0.0.1:18095/tcp']);
    expect(containerNamed(map, lab.tls.container)).toMatchObject({
      image: lab.image,
      endpoint: lab.tls.address,
    });
    expect(
      lookupPublishedContainer(map, {address: '::ffff:127.0.0.1', port: 18095}, 'tcp', false).kind,
    ).toBe('match');
  });

  it('resumes its TLS session on the next connection; another CA gets no session of it', async () => {
    const before = tlsHandshakeCounts();
    const [endpoint] = resolveEndpoints({env: tlsEnv}).endpoints;
    if (endpoint === undefined) throw new Error('no endpoint');
    for (let round = 0; round < 4; round++) {
      // A connection per request (pings keep theirs: see below).
      await requestEngine(endpoint, '/_ping', {timeoutMs: 5000});
    }
    const after = tlsHandshakeCounts();
    // At most one full handshake (none when an earlier test left a session), then resumed.
    expect(after.full - before.full).toBeLessThanOrEqual(1);
    expect(after.resumed - before.resumed).toBeGreaterThanOrEqual(3);
    // A CA that did not sign the engine's certificate: a session made with the right one must
    // not carry this connection past the check.
    const other = mkdtempSync(join(tmpdir(), 'nanodock-other-ca-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=other-ca',
        '-keyout',
        join(other, 'ca-key.pem'),
        '-out',
        join(other, 'ca.pem'),
      ],
      {stdio: 'ignore'},
    );
    for (const file of ['cert.pem', 'key.pem']) {
      cpSync(join(lab.tls.certs, file), join(other, file));
    }
    const [wrong] = resolveEndpoints({env: {...tlsEnv, DOCKER_CERT_PATH: other}}).endpoints;
    if (wrong === undefined) throw new Error('no endpoint');
    await expect(pingEngine(wrong, {timeoutMs: 5000})).rejects.toThrow(/TLS failed/);
    rmSync(other, {recursive: true, force: true});
  });

  it('pings over one kept connection: no connect and no handshake after the first', async () => {
    closeIdleEngineConnections();
    const [endpoint] = resolveEndpoints({env: tlsEnv}).endpoints;
    if (endpoint === undefined) throw new Error('no endpoint');
    const opened = engineConnectionsOpened();
    const handshakes = tlsHandshakeCounts();
    for (let round = 0; round < 5; round++) {
      await pingEngine(endpoint, {timeoutMs: 5000});
    }
    expect(engineConnectionsOpened() - opened).toBe(1);
    const after = tlsHandshakeCounts();
    expect(after.full + after.resumed - handshakes.full - handshakes.resumed).toBe(1);
    closeIdleEngineConnections();
  });

  it('refuses a plain connection with a clear error', async () => {
    await expect(detectContainers({env: {DOCKER_HOST: lab.tls.address}})).rejects.toThrow(
      DaemonNotFoundError,
    );
  });

  describe('a docker context pointing at it', () => {
    let home = '';
    beforeAll(() => {
      home = mkdtempSync(join(tmpdir(), 'nanodock-context-'));
      const digest = createHash('sha256').update('lab-tls').digest('hex');
      const meta = join(home, '.docker/contexts/meta', digest);
      const tls = join(home, '.docker/contexts/tls', digest, 'docker');
      mkdirSync(meta, {recursive: true});
      mkdirSync(tls, {recursive: true});
      writeFileSync(
        join(meta, 'meta.json'),
        JSON.stringify({
          Name: 'lab-tls',
          Metadata: {},
          Endpoints: {docker: {Host: lab.tls.address, SkipTLSVerify: false}},
        }),
      );
      for (const file of ['ca.pem', 'cert.pem', 'key.pem']) {
        cpSync(join(lab.tls.certs, file), join(tls, file));
      }
      writeFileSync(join(home, '.docker/config.json'), JSON.stringify({currentContext: 'lab-tls'}));
    });
    afterAll(() => {});

    it('is an endpoint of default discovery, named by its context', async () => {
      const map = await detectContainers({env: {}, home, uid: 0});
      const web = containerNamed(map, lab.tls.container);
      expect(web?.endpoint).toBe(lab.tls.address);
      expect(map.engines[0]).toMatchObject({source: 'context "lab-tls"', ok: true});
    });

    it('DOCKER_CONTEXT selects it too', async () => {
      const map = await detectContainers({env: {DOCKER_CONTEXT: 'lab-tls'}, home, uid: 0});
      expect(containerNamed(map, lab.tls.container)).toBeDefined();
    });
  });
});

describe('pings keep one connection per engine (lab engines)', () => {
  const engines = [
    {name: 'Docker', address: lab.docker.address, skip: skipDocker},
    {name: 'rootful Podman', address: lab.podman.address, skip: skipPodman},
  ];
  for (const engine of engines) {
    it.skipIf(engine.skip)(`${engine.name}: five pings, one connection`, async () => {
      closeIdleEngineConnections();
      const endpoint = parseEngineAddress(engine.address, 'lab');
      const opened = engineConnectionsOpened();
      for (let round = 0; round < 5; round++) {
        await pingEngine(endpoint, {timeoutMs: 5000});
      }
      expect(engineConnectionsOpened() - opened).toBe(1);
      // Other requests still have a connection each, and leave the kept one alone.
      await requestEngine(endpoint, '/_ping', {timeoutMs: 5000});
      await pingEngine(endpoint, {timeoutMs: 5000});
      expect(engineConnectionsOpened() - opened).toBe(2);
      closeIdleEngineConnections();
    });
  }
});
