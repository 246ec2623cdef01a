import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterAll, afterEach, describe, expect, it} from 'vitest';
import {containerLogsOf} from '../../source/container-ops.js';
import {detectContainers} from '../../source/engine/detect.js';
import {parseEngineAddress, type SshEndpoint} from '../../source/engine/endpoint.js';
import {
  type EngineEvent,
  type EngineEventWatcher,
  watchEngineEvents,
} from '../../source/engine/events.js';
import {
  closeIdleEngineConnections,
  engineConnectionsOpened,
  requestEngine,
} from '../../source/engine/http.js';
import {
  closeSshConnections,
  runOverSsh,
  sshConnectTimes,
  sshMasterPid,
  sweepLeftoverFolders,
} from '../../source/engine/ssh.js';
import {DaemonNotFoundError} from '../../source/errors/daemon-not-found-error.js';
import {EngineRequestError} from '../../source/errors/engine-request-error.js';
import {SshError} from '../../source/errors/ssh-error.js';
import {lookupPublishedContainer} from '../../source/model/lookup.js';
import {stopContainer, stopContainerOf} from '../../source/stop.js';
import {engineApi, lab, removeContainer, shouldSkipLab, shouldSkipSshLab} from '../helpers/lab.js';

/** What scripts/lab-ssh.sh sets up (its summary). */
const sshLab = {
  docker: 'ssh://root@nd-lab-ssh',
  podman: 'ssh://root@nd-lab-ssh/run/podman/podman.sock',
  context: 'nd-ssh',
  noDocker: 'ssh://nd-lab-ssh-nodocker',
  wrongKey: 'ssh://nd-lab-ssh-wrongkey',
  unknownHost: 'ssh://nd-lab-ssh-unknownhost',
} as const;

/**
 * Private folders as a killed process leaves them (empty, old), and two that must stay (one
 * holding a file, one new): made before this process starts its first master, which sweeps.
 */
const leftovers = (() => {
  const old = new Date(Date.now() - 60 * 60 * 1000);
  const make = (suffix: string, isOld: boolean, file: boolean): string => {
    const path = join(tmpdir(), `nanodock-ssh-${suffix}`);
    mkdirSync(path, {mode: 0o700, recursive: true});
    if (file) {
      writeFileSync(join(path, 'keep'), '');
    }
    if (isOld) {
      utimesSync(path, old, old);
    }
    return path;
  };
  return {
    emptyOld: make('tstEmp', true, false),
    fullOld: make('tstFul', true, true),
    emptyNew: make('tstNew', false, false),
  };
})();

const skipSsh =
  (await shouldSkipLab('Docker', lab.docker.address)) || (await shouldSkipSshLab(sshLab.docker));

const sshExe = '/usr/bin/ssh';
const watchers: EngineEventWatcher[] = [];
const created: string[] = [];

afterEach(async () => {
  for (const watcher of watchers.splice(0)) {
    watcher.close();
  }
  for (const id of created.splice(0)) {
    await removeContainer(lab.docker.address, id);
  }
});

afterAll(() => {
  closeIdleEngineConnections();
  closeSshConnections();
  for (const path of Object.values(leftovers)) {
    rmSync(path, {recursive: true, force: true});
  }
});

/** Starts `nd-ssh-NAME` (busybox httpd) on the local Docker publishing `port`; its id. */
function startHttpd(name: string, port: number): Promise<string> {
  return startContainer(name, port, ['/bin/busybox', 'httpd', '-f', '-p', '80']);
}

/** Starts `nd-ssh-NAME` running `cmd` on the local Docker, publishing `port`; its id. */
async function startContainer(name: string, port: number, cmd: readonly string[]): Promise<string> {
  const full = `nd-ssh-${name}`;
  await engineApi(lab.docker.address, 'DELETE', `/containers/${full}?force=true`);
  const answer = await engineApi(lab.docker.address, 'POST', `/containers/create?name=${full}`, {
    Image: lab.image,
    Cmd: [...cmd],
    ExposedPorts: {'80/tcp': {}},
    HostConfig: {PortBindings: {'80/tcp': [{HostPort: String(port)}]}},
    Labels: {'nanodock.test': '1'},
  });
  expect(answer.status).toBe(201);
  const id = (answer.json as {Id: string}).Id;
  created.push(id);
  expect((await engineApi(lab.docker.address, 'POST', `/containers/${id}/start`)).status).toBe(204);
  return id;
}

/** The ssh processes that are this process's children and match `pattern`, checked by exe. */
function ownSshChildren(pattern: RegExp): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry)) {
      continue;
    }
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\u0000');
      if (
        parent === process.pid &&
        readlinkSync(`/proc/${entry}/exe`) === sshExe &&
        pattern.test(argv.join(' '))
      ) {
        pids.push(Number(entry));
      }
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}

/** Kills `pid` after checking it is still our own ssh (a pid may be reused). */
function killOwnSsh(pid: number, pattern: RegExp): void {
  expect(ownSshChildren(pattern)).toContain(pid);
  process.kill(pid, 'SIGKILL');
}

/** A watcher of the Docker engine over ssh recording its events and statuses. */
function watchOverSsh(): {
  events: EngineEvent[];
  statuses: Array<{connected: boolean; error: Error | null}>;
} {
  const events: EngineEvent[] = [];
  const statuses: Array<{connected: boolean; error: Error | null}> = [];
  watchers.push(
    watchEngineEvents({
      addresses: [sshLab.docker],
      minRetryMs: 100,
      maxRetryMs: 500,
      timeoutMs: 10_000,
      onEvent: (event) => events.push(event),
      onStatus: (_endpoint, connected, error) => statuses.push({connected, error}),
    }),
  );
  return {events, statuses};
}

/** A new ssh channel runs the remote's `docker` (about a second here): polls wait longer. */
const wait = {timeout: 10_000};

const actionsOf = (events: readonly EngineEvent[], id: string): string[] =>
  events.filter((event) => event.id === id).map((event) => event.action);

describe.skipIf(skipSsh)('engines over ssh (scripts/lab-ssh.sh)', () => {
  it('finds nd-web and its port 18080 via DOCKER_HOST, the nd-ssh context and addresses', async () => {
    for (const options of [
      {env: {DOCKER_HOST: sshLab.docker}},
      {env: {DOCKER_CONTEXT: sshLab.context}},
      {env: {}, addresses: [sshLab.docker]},
      {env: {}, addresses: [sshLab.context]},
    ]) {
      const map = await detectContainers({...options, timeoutMs: 10_000});
      // A context is asked first, beside the well-known sockets; the others name it alone.
      const first = map.engines[0];
      expect([first?.endpoint, first?.ok]).toEqual([sshLab.docker, true]);
      if (options.env.DOCKER_CONTEXT === undefined) {
        expect(map.engines).toHaveLength(1);
      }
      const match = lookupPublishedContainer(map, {address: '0.0.0.0', port: 18080}, 'tcp', false);
      expect(match.kind).toBe('match');
      if (match.kind === 'match') {
        expect(match.container.name).toBe(lab.docker.container);
        expect(match.container.endpoint).toBe(sshLab.docker);
        expect(match.container.engine).toBe('docker');
      }
    }
  });

  it('sweeps only the empty, old private folders a killed process left', async () => {
    // The first master of a process starts a sweep in the background; this one is awaited,
    // so the test does not depend on which file of the run started this process's first.
    await sweepLeftoverFolders();
    expect(existsSync(leftovers.emptyOld)).toBe(false);
    expect(existsSync(leftovers.fullOld)).toBe(true);
    expect(existsSync(leftovers.emptyNew)).toBe(true);
  });

  it('reuses one ssh connection: later requests cost a channel, not a login', async () => {
    closeIdleEngineConnections();
    closeSshConnections();
    const endpoint = parseEngineAddress(sshLab.docker, 'test') as SshEndpoint;
    const unix = parseEngineAddress(lab.docker.address, 'test');
    const time = async (run: () => Promise<unknown>): Promise<number> => {
      const started = performance.now();
      await run();
      return performance.now() - started;
    };
    const ping = (target = endpoint) => requestEngine(target, '/_ping', {timeoutMs: 15_000});
    const first = await time(ping);
    const kept = await time(ping);
    closeIdleEngineConnections();
    const channel = await time(ping);
    const viaUnix = await time(() => ping(unix as never));
    const login = sshConnectTimes().get(sshLab.docker) ?? Number.NaN;
    console.info(
      `ssh: first request ${first.toFixed(0)} ms (login ${login.toFixed(0)} ms), new channel ${channel.toFixed(0)} ms, kept-alive request ${kept.toFixed(1)} ms; unix socket ${viaUnix.toFixed(1)} ms`,
    );
    // One master for all of it.
    expect(ownSshChildren(/ControlMaster=yes/)).toHaveLength(1);
    expect(kept).toBeLessThan(first);
    expect(channel).toBeLessThan(first);
    // A refresh that asks and pings at once keeps both channels for the next one.
    await Promise.all([ping(), ping()]);
    const opened = engineConnectionsOpened();
    await Promise.all([ping(), ping()]);
    expect(engineConnectionsOpened()).toBe(opened);
  });

  it('lists the rootful Podman through the Podman form (a forwarded socket)', async () => {
    const map = await detectContainers({addresses: [sshLab.podman], timeoutMs: 10_000});
    const names = map.containers().map((container) => container.name);
    expect(names).toContain(lab.podman.container);
    const match = lookupPublishedContainer(
      map,
      {address: '0.0.0.0', port: lab.podman.port},
      'tcp',
      false,
    );
    expect(match.kind === 'match' && match.container.engine).toBe('podman');
    expect(match.kind === 'match' && match.container.endpoint).toBe(sshLab.podman);
  });

  it('reads a log through ssh: the followed stream is a channel too', async () => {
    const id = await startContainer('logs', 18353, [
      '/bin/sh',
      '-c',
      'echo one; echo two >&2; trap "exit 0" TERM; while :; do sleep 1; done',
    ]);
    const logs = containerLogsOf(
      {id, name: 'nd-ssh-logs', endpoint: sshLab.docker, engine: 'docker'},
      {follow: true, tail: 10, addresses: [sshLab.docker]},
    );
    const lines: string[] = [];
    const reading = (async () => {
      for await (const line of logs) {
        lines.push(line.text);
      }
    })();
    // stdout and stderr are stored apart: their order between them is the engine's.
    await expect.poll(() => [...lines].sort(), wait).toEqual(['one', 'two']);
    expect(logs.endpoint).toBe(sshLab.docker);
    logs.close();
    await reading;
  });

  it('runs a remote command over the same connection, its arguments quoted', async () => {
    const endpoint = parseEngineAddress(sshLab.docker, 'test') as SshEndpoint;
    const result = await runOverSsh(endpoint, ['printf', '%s|', "it's", '$(id)', 'a b'], {
      timeoutMs: 10_000,
    });
    expect(result).toEqual({code: 0, stdout: "it's|$(id)|a b|", stderr: ''});
    const missing = await runOverSsh(endpoint, ['nanodock-no-such-command'], {timeoutMs: 10_000});
    expect(missing.code).toBe(127);
    await expect(runOverSsh(endpoint, ['sleep', '5'], {timeoutMs: 300})).rejects.toMatchObject({
      name: 'SshError',
      failure: 'timeout',
    });
  });

  it('delivers events through ssh, and kills through it (stopContainerOf, stopContainer)', async () => {
    const {events, statuses} = watchOverSsh();
    await expect.poll(() => statuses.some((status) => status.connected), wait).toBe(true);
    const id = await startHttpd('events', 18350);
    await expect.poll(() => actionsOf(events, id), wait).toContain('start');
    const report = await stopContainerOf(
      {id, name: 'nd-ssh-events', endpoint: sshLab.docker, engine: 'docker'},
      true,
      {env: {DOCKER_HOST: sshLab.docker}},
    );
    expect(report).toMatchObject({outcome: 'stopped', endpoint: sshLab.docker, error: null});
    await expect.poll(() => actionsOf(events, id), wait).toContain('die');

    const second = await startHttpd('kill', 18351);
    expect(await stopContainer(second, true, {addresses: [sshLab.docker]})).toBe('stopped');
    await expect.poll(() => actionsOf(events, second), wait).toContain('kill');
  });

  it('reports a dropped event stream as SshError "dropped", then reconnects', async () => {
    const {events, statuses} = watchOverSsh();
    await expect.poll(() => statuses.filter((status) => status.connected).length, wait).toBe(1);
    // Cut the channel's own ssh (the stream's alone: kept-alive ones are let go first); the
    // master lives on.
    closeIdleEngineConnections();
    await expect.poll(() => ownSshChildren(/dial-stdio/)).toHaveLength(1);
    const [channel] = ownSshChildren(/dial-stdio/);
    killOwnSsh(channel as number, /dial-stdio/);
    await expect.poll(() => statuses.length, wait).toBe(2);
    expect(statuses[1]?.connected).toBe(false);
    expect(statuses[1]?.error).toBeInstanceOf(SshError);
    expect(statuses[1]?.error).toMatchObject({failure: 'dropped', address: sshLab.docker});
    await expect.poll(() => statuses.length, wait).toBe(3);
    expect(statuses[2]?.connected).toBe(true);

    // Cut the master: every channel on it ends, and a new master is started.
    const master = sshMasterPid(sshLab.docker);
    expect(master).toBeDefined();
    killOwnSsh(master as number, /ControlMaster=yes/);
    await expect.poll(() => statuses.length, wait).toBe(4);
    expect(statuses[3]?.error).toMatchObject({name: 'SshError', failure: 'dropped'});
    await expect.poll(() => statuses.length, wait).toBe(5);
    expect(statuses[4]?.connected).toBe(true);
    expect(sshMasterPid(sshLab.docker)).not.toBe(master);

    const id = await startHttpd('after-drop', 18352);
    await expect.poll(() => actionsOf(events, id), wait).toContain('start');
  });

  it.each([
    [sshLab.wrongKey, 'auth', /ssh-add/],
    [sshLab.unknownHost, 'host-key', /ssh-keyscan/],
    [sshLab.noDocker, 'no-engine', /docker.* not on the remote PATH/],
    ['ssh://root@nd-lab-ssh/run/nanodock-no-such.sock', 'no-engine', /may open it/],
  ] as const)('%s fails as %s, with the fix in its message', async (address, failure, fix) => {
    const endpoint = parseEngineAddress(address, 'test');
    const error = await requestEngine(endpoint, '/_ping', {timeoutMs: 10_000}).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(SshError);
    expect(error).toMatchObject({failure, address});
    expect((error as Error).message).toMatch(fix);
    // Detection reports the same error as it is.
    const detection = await detectContainers({addresses: [address], timeoutMs: 10_000}).catch(
      (caught: unknown) => caught,
    );
    expect(detection).toBeInstanceOf(DaemonNotFoundError);
    expect((detection as DaemonNotFoundError).attempts[0]?.error).toMatchObject({
      name: 'SshError',
      failure,
    });
  });

  it('holds the request deadline when ssh hangs, and ends the hung connection', async () => {
    // A server that accepts and never says a word: ssh waits for its banner forever.
    const silent = net.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as net.AddressInfo).port;
    const address = `ssh://root@127.0.0.1:${port}`;
    try {
      const started = performance.now();
      const error = await requestEngine(parseEngineAddress(address, 'test'), '/_ping', {
        timeoutMs: 800,
      }).catch((caught: unknown) => caught);
      const took = performance.now() - started;
      expect(error).toBeInstanceOf(EngineRequestError);
      expect(error).toMatchObject({failure: 'timeout', endpoint: address});
      expect(took).toBeLessThan(2000);
      // Nobody waits for that connection any more: its ssh is ended.
      await expect.poll(() => sshMasterPid(address)).toBeUndefined();
      await expect.poll(() => ownSshChildren(new RegExp(`-p ${port}\\b`))).toEqual([]);
    } finally {
      silent.close();
    }
  });
});
