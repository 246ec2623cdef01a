import {createHash} from 'node:crypto';
import {mkdirSync, mkdtempSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {
  listDockerContexts,
  parseEngineAddress,
  resolveEndpoints,
} from '../../source/engine/endpoint.js';
import {quoteForRemoteShell} from '../../source/engine/ssh.js';
import {EndpointConfigError} from '../../source/errors/endpoint-config-error.js';
import {SshError} from '../../source/errors/ssh-error.js';

describe('parseEngineAddress: ssh', () => {
  it.each([
    [
      'ssh://host',
      {user: null, host: 'host', port: null, remoteSocket: null, address: 'ssh://host'},
    ],
    [
      'SSH://me@host.example:2222',
      {user: 'me', host: 'host.example', port: 2222, address: 'ssh://me@host.example:2222'},
    ],
    [
      'ssh://root@10.0.0.2/',
      {host: '10.0.0.2', remoteSocket: null, address: 'ssh://root@10.0.0.2'},
    ],
    [
      'ssh://core@host/run/user/1000/podman/podman.sock',
      {
        user: 'core',
        remoteSocket: '/run/user/1000/podman/podman.sock',
        address: 'ssh://core@host/run/user/1000/podman/podman.sock',
      },
    ],
    ['ssh://[::1]:22', {host: '::1', port: 22, address: 'ssh://[::1]:22'}],
    ['ssh://u@[fe80::1]', {user: 'u', host: 'fe80::1', port: null, address: 'ssh://u@[fe80::1]'}],
    ['ssh://nd_lab-ssh.x', {host: 'nd_lab-ssh.x'}],
  ])('reads %s', (address, expected) => {
    const endpoint = parseEngineAddress(address, 'DOCKER_HOST');
    expect(endpoint).toMatchObject({kind: 'ssh', source: 'DOCKER_HOST', ...expected});
    // The shown address reads back as the same endpoint.
    expect(parseEngineAddress(endpoint.address, 'again')).toMatchObject({
      ...endpoint,
      source: 'again',
    });
  });

  it.each([
    // ssh option injection: a host or user that ssh would read as an option.
    ['ssh://-oProxyCommand=touch\u0024{IFS}/tmp/x', /host must be/],
    ['ssh://-oProxyCommand=sh', /host must be/],
    ['ssh://-p22@host', /user name/],
    ['ssh://-oProxyCommand=x@host', /user name/],
    ['ssh://root@-host', /host must be/],
    // a second argument, a shell word, a config token
    ['ssh://host other', /host must be/],
    ['ssh://host\tx', /host must be/],
    ['ssh://user name@host', /user name/],
    ['ssh://us;er@host', /user name/],
    ['ssh://ho$(id)st', /host must be/],
    ['ssh://host%h', /host must be/],
    ['ssh://host`id`', /host must be/],
    ["ssh://ho'st", /host must be/],
    ['ssh://host\nProxyCommand x', /host must be/],
    ['ssh://user:secret@host', /password/],
    ['ssh://a@b@host', /user name/],
    ['ssh://', /names no host/],
    ['ssh://user@', /names no host/],
    ['ssh://host:0', /port/],
    ['ssh://host:65536', /port/],
    ['ssh://host:+22', /port/],
    ['ssh://host:', /port/],
    ['ssh://[nothex]:22', /IPv6/],
    ['ssh://[::1', /IPv6/],
    ['ssh://host/run/a:b.sock', /remote socket/],
    ['ssh://host/run/a b.sock', /remote socket/],
    ['ssh://host/../etc/shadow', /remote socket/],
    ['ssh://host/x?y', /remote socket/],
    ['ssh://host//run/$(id).sock', /remote socket/],
    ['ssh://host?x=1', /host must be/],
  ])('refuses %j', (address, reason) => {
    let thrown: unknown;
    try {
      parseEngineAddress(address, 'DOCKER_HOST');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(EndpointConfigError);
    expect((thrown as EndpointConfigError).source).toBe('DOCKER_HOST');
    expect((thrown as Error).message).toMatch(reason);
  });
});

describe('quoteForRemoteShell', () => {
  it.each([
    ['nanodock-top', 'nanodock-top'],
    ['--json', '--json'],
    ['a b', "'a b'"],
    ["it's", "'it'\\''s'"],
    ['$(rm -rf /)', "'$(rm -rf /)'"],
    ['', "''"],
    ['a;b', "'a;b'"],
  ])('quotes %j as %s', (word, quoted) => {
    expect(quoteForRemoteShell(word)).toBe(quoted);
  });

  it('refuses a NUL byte', () => {
    expect(() => quoteForRemoteShell('a\u0000b')).toThrow(TypeError);
  });
});

describe('SshError', () => {
  it('says what failed, what ssh said, and the fix', () => {
    const error = new SshError('ssh://root@box', 'auth', 'ssh could not log in (exit 255)', {
      stderr: 'root@box: Permission denied (publickey).\n',
      host: 'box',
    });
    expect(error).toMatchObject({
      name: 'SshError',
      address: 'ssh://root@box',
      failure: 'auth',
      stderr: 'root@box: Permission denied (publickey).',
    });
    expect(error.message).toMatch(/^ssh:\/\/root@box: ssh could not log in/);
    expect(error.message).toMatch(/Permission denied/);
    expect(error.message).toMatch(/ssh-add/);
    expect(new SshError('ssh://h', 'host-key', 'x', {host: 'h'}).message).toMatch(/ssh-keyscan h/);
    expect(new SshError('ssh://h', 'no-engine', 'x', {host: 'h'}).message).toMatch(
      /ssh:\/\/user@h\/run\/podman\/podman.sock/,
    );
  });
});

function writeContext(home: string, name: string, host: string): void {
  const digest = createHash('sha256').update(name).digest('hex');
  const metaDir = join(home, '.docker/contexts/meta', digest);
  mkdirSync(metaDir, {recursive: true});
  writeFileSync(
    join(metaDir, 'meta.json'),
    JSON.stringify({Name: name, Metadata: {}, Endpoints: {docker: {Host: host}}}),
  );
}

describe('resolveEndpoints: addresses', () => {
  const home = mkdtempSync(join(tmpdir(), 'nanodock-addresses-'));
  writeContext(home, 'remote', 'ssh://me@box:2222');
  writeContext(home, 'local', 'unix:///var/run/docker.sock');

  it('queries exactly the addresses and contexts named, in order, ignoring DOCKER_HOST', () => {
    const plan = resolveEndpoints({
      env: {DOCKER_HOST: 'tcp://10.0.0.1:2375', DOCKER_CONTEXT: 'local'},
      home,
      addresses: ['ssh://root@a', 'remote', '/run/podman/podman.sock', 'ssh://root@a'],
    });
    expect(plan.exclusive).toBe(true);
    expect(plan.problems).toEqual([]);
    expect(plan.endpoints.map((endpoint) => [endpoint.address, endpoint.source])).toEqual([
      ['ssh://root@a', 'addresses'],
      ['ssh://me@box:2222', 'context "remote"'],
      ['unix:///run/podman/podman.sock', 'addresses'],
    ]);
  });

  it('reads `default` as the local default and reports what cannot be used', () => {
    const plan = resolveEndpoints({
      env: {},
      home,
      platform: 'linux',
      addresses: ['default', 'missing', '-oProxyCommand=x', 'ssh://-oProxyCommand=x'],
    });
    expect(plan.endpoints.map((endpoint) => endpoint.address)).toEqual([
      'unix:///var/run/docker.sock',
    ]);
    expect(plan.problems.map((problem) => [problem.endpoint, problem.source])).toEqual([
      ['missing', 'context "missing"'],
      ['-oProxyCommand=x', 'context "-oProxyCommand=x"'],
      ['ssh://-oProxyCommand=x', 'addresses'],
    ]);
    for (const problem of plan.problems) {
      expect(problem.error).toBeInstanceOf(EndpointConfigError);
    }
  });

  it('lists the docker contexts, default first, with the current one marked', () => {
    writeFileSync(join(home, '.docker/config.json'), JSON.stringify({currentContext: 'remote'}));
    const broken = join(home, '.docker/contexts/meta', 'f'.repeat(64));
    mkdirSync(broken, {recursive: true});
    writeFileSync(join(broken, 'meta.json'), '{not json');
    expect(listDockerContexts({env: {}, home, platform: 'linux'})).toEqual([
      {name: 'default', address: 'unix:///var/run/docker.sock', current: false, error: null},
      {name: 'f'.repeat(64), address: '', current: false, error: expect.any(Error)},
      {name: 'local', address: 'unix:///var/run/docker.sock', current: false, error: null},
      {name: 'remote', address: 'ssh://me@box:2222', current: true, error: null},
    ]);
    // DOCKER_HOST makes the default context the current one, as for the docker CLI.
    const withHost = listDockerContexts({env: {DOCKER_HOST: 'ssh://x'}, home, platform: 'linux'});
    expect(withHost[0]).toEqual({name: 'default', address: 'ssh://x', current: true, error: null});
    expect(withHost.filter((entry) => entry.current)).toHaveLength(1);
  });
});

describe('parseEngineAddress: ssh, any text', () => {
  // Each part becomes one argv word of `ssh` after `--`: none may read as an option, hold
  // white space, a quote, a shell or ssh_config token, or (the socket) a `:` of `-L`.
  const safeWord = /^[A-Za-z0-9_:][A-Za-z0-9_.:-]*$/;
  it('gives parts ssh cannot read as options, or refuses with EndpointConfigError', () => {
    const piece = fc.oneof(
      fc.string({unit: 'binary', maxLength: 12}),
      fc.constantFrom('-', '-o', '@', ':', '/', '[', ']', ' ', '%', '$', "'", '..', '\n', '22'),
      fc.stringMatching(/^[a-z0-9.-]{1,8}$/),
    );
    fc.assert(
      fc.property(fc.array(piece, {maxLength: 6}), (pieces) => {
        const address = `ssh://${pieces.join('')}`;
        let endpoint: ReturnType<typeof parseEngineAddress>;
        try {
          endpoint = parseEngineAddress(address, 'P');
        } catch (error) {
          expect(error).toBeInstanceOf(EndpointConfigError);
          return;
        }
        if (endpoint.kind !== 'ssh') {
          throw new Error(`not an ssh endpoint: ${address}`);
        }
        expect(endpoint.host).toMatch(safeWord);
        if (endpoint.user !== null) {
          expect(endpoint.user).toMatch(safeWord);
        }
        if (endpoint.remoteSocket !== null) {
          expect(endpoint.remoteSocket).toMatch(/^\/[A-Za-z0-9_.+@=,~/-]+$/);
          expect(endpoint.remoteSocket.split('/')).not.toContain('..');
        }
        expect(parseEngineAddress(endpoint.address, 'P')).toEqual(endpoint);
      }),
      {numRuns: 2000, seed: 13},
    );
  });
});
