import {createHash} from 'node:crypto';
import {mkdirSync, mkdtempSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {describe, expect, it} from 'vitest';
import {parseEngineAddress, resolveEndpoints} from '../../source/engine/endpoint.js';
import {EndpointConfigError} from '../../source/errors/endpoint-config-error.js';

const emptyHome = mkdtempSync(join(tmpdir(), 'nanodock-home-'));

function writeContext(
  home: string,
  name: string,
  host: string,
  tls?: Record<string, string>,
): void {
  const digest = createHash('sha256').update(name).digest('hex');
  const metaDir = join(home, '.docker/contexts/meta', digest);
  mkdirSync(metaDir, {recursive: true});
  writeFileSync(
    join(metaDir, 'meta.json'),
    JSON.stringify({
      Name: name,
      Metadata: {},
      Endpoints: {docker: {Host: host, SkipTLSVerify: false}},
    }),
  );
  if (tls) {
    const tlsDir = join(home, '.docker/contexts/tls', digest, 'docker');
    mkdirSync(tlsDir, {recursive: true});
    for (const [file, text] of Object.entries(tls)) {
      writeFileSync(join(tlsDir, file), text);
    }
  }
}

describe('parseEngineAddress', () => {
  it('reads unix, tcp (with default ports), IPv6 hosts and npipe', () => {
    expect(parseEngineAddress('unix:///var/run/docker.sock', 'x')).toMatchObject({
      kind: 'socket',
      socketPath: '/var/run/docker.sock',
      address: 'unix:///var/run/docker.sock',
    });
    expect(parseEngineAddress('tcp://127.0.0.1:2375', 'x')).toMatchObject({
      kind: 'tcp',
      host: '127.0.0.1',
      port: 2375,
    });
    expect(parseEngineAddress('tcp://engine.local', 'x')).toMatchObject({port: 2375, tls: null});
    expect(parseEngineAddress('tcp://[::1]:2376', 'x')).toMatchObject({
      host: '::1',
      address: 'tcp://[::1]:2376',
    });
    expect(parseEngineAddress('npipe:////./pipe/docker_engine', 'x')).toMatchObject({
      kind: 'socket',
      socketPath: '\\\\.\\pipe\\docker_engine',
    });
  });

  it('refuses relative sockets and unknown schemes with the source named', () => {
    expect(() => parseEngineAddress('fd://3', 'DOCKER_HOST')).toThrow(
      /DOCKER_HOST: scheme "fd:\/\/"/,
    );
    expect(() => parseEngineAddress('unix://relative.sock', 'DOCKER_HOST')).toThrow(
      EndpointConfigError,
    );
    expect(() => parseEngineAddress('docker.sock', 'DOCKER_HOST')).toThrow(/not an engine address/);
  });
});

describe('resolveEndpoints', () => {
  it('queries DOCKER_HOST alone, before CONTAINER_HOST', () => {
    const plan = resolveEndpoints({
      env: {DOCKER_HOST: 'unix:///tmp/a.sock', CONTAINER_HOST: 'unix:///tmp/b.sock'},
      home: emptyHome,
    });
    expect(plan.exclusive).toBe(true);
    expect(plan.endpoints.map((endpoint) => [endpoint.address, endpoint.source])).toEqual([
      ['unix:///tmp/a.sock', 'DOCKER_HOST'],
    ]);
  });

  it("honours CONTAINER_HOST, Podman's variable", () => {
    const plan = resolveEndpoints({
      env: {CONTAINER_HOST: 'unix:///tmp/b.sock'},
      home: emptyHome,
    });
    expect(plan.endpoints.map((endpoint) => endpoint.source)).toEqual(['CONTAINER_HOST']);
  });

  it('reads TLS files from DOCKER_CERT_PATH when DOCKER_TLS_VERIFY is set, and says which file is missing', () => {
    const certs = mkdtempSync(join(tmpdir(), 'nanodock-certs-'));
    writeFileSync(join(certs, 'ca.pem'), 'CA');
    writeFileSync(join(certs, 'cert.pem'), 'CERT');
    writeFileSync(join(certs, 'key.pem'), 'KEY');
    const plan = resolveEndpoints({
      env: {DOCKER_HOST: 'tcp://127.0.0.1:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certs},
      home: emptyHome,
    });
    const [endpoint] = plan.endpoints;
    expect(endpoint?.kind === 'tcp' && endpoint.tls?.verify).toBe(true);
    expect(endpoint?.kind === 'tcp' && endpoint.tls?.ca?.toString()).toBe('CA');

    const missing = resolveEndpoints({
      env: {
        DOCKER_HOST: 'tcp://127.0.0.1:2376',
        DOCKER_TLS_VERIFY: '1',
        DOCKER_CERT_PATH: emptyHome,
      },
      home: emptyHome,
    });
    expect(missing.endpoints).toEqual([]);
    expect(missing.problems[0]?.error.message).toMatch(/cannot read TLS file .*ca\.pem/);
  });

  it('lists the well-known sockets once each, for this uid and home, profile by profile', () => {
    const plan = resolveEndpoints({env: {}, home: '/home/ann', uid: 1000});
    expect(plan.exclusive).toBe(false);
    expect(plan.endpoints.map((endpoint) => endpoint.address)).toEqual([
      // Docker and the engines that speak its API.
      'unix:///var/run/docker.sock',
      'unix:///run/user/1000/docker.sock',
      'unix:///home/ann/.docker/desktop/docker.sock',
      'unix:///home/ann/.docker/run/docker.sock',
      'unix:///home/ann/.colima/default/docker.sock',
      'unix:///home/ann/.rd/docker.sock',
      'unix:///home/ann/.orbstack/run/docker.sock',
      // Podman: the user's own service, then the rootful one.
      'unix:///run/user/1000/podman/podman.sock',
      'unix:///run/podman/podman.sock',
    ]);
  });

  it('puts the current context (config.json currentContext) first, with its TLS files', () => {
    const home = mkdtempSync(join(tmpdir(), 'nanodock-ctx-'));
    writeContext(home, 'remote', 'tcp://10.9.9.9:2376', {
      'ca.pem': 'CA',
      'cert.pem': 'C',
      'key.pem': 'K',
    });
    writeFileSync(join(home, '.docker/config.json'), JSON.stringify({currentContext: 'remote'}));
    const plan = resolveEndpoints({env: {}, home, uid: 0});
    expect(plan.endpoints[0]).toMatchObject({
      address: 'tcp://10.9.9.9:2376',
      source: 'context "remote"',
    });
    expect(plan.endpoints[0]?.kind === 'tcp' && plan.endpoints[0].tls?.verify).toBe(true);
  });

  it('DOCKER_CONTEXT wins over config.json; "default" adds nothing; a missing context is a problem', () => {
    const home = mkdtempSync(join(tmpdir(), 'nanodock-ctx-'));
    writeContext(home, 'other', 'unix:///tmp/other.sock');
    writeFileSync(join(home, '.docker/config.json'), JSON.stringify({currentContext: 'missing'}));
    expect(resolveEndpoints({env: {DOCKER_CONTEXT: 'other'}, home}).endpoints[0]?.address).toBe(
      'unix:///tmp/other.sock',
    );
    expect(resolveEndpoints({env: {DOCKER_CONTEXT: 'default'}, home}).endpoints[0]?.source).toBe(
      'default',
    );
    const broken = resolveEndpoints({env: {}, home});
    expect(broken.problems[0]?.source).toBe('context "missing"');
    expect(broken.endpoints.length).toBeGreaterThan(0);
  });
});
