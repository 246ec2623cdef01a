import {type ChildProcess, execFileSync, spawn} from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest';
import {
  engineApi,
  helperExe,
  lab,
  publishScratchContainer,
  removeContainer,
  rootlessPodman,
  shouldSkipLab,
  shouldSkipUnlessRoot,
} from './helpers/lab.js';
import {
  type ExpectedProgram,
  listenerPids,
  mismatch,
  processFacts,
  signalChecked,
} from './helpers/proc.js';
import {startTmux, type TmuxSession} from './helpers/tmux.js';

/**
 * A hostile local user against root's nanodock-top (issue 8, problems 2 and 3). As the lab's
 * unprivileged user, fake helpers (python3 run through symlinks named conmon, docker-proxy,
 * rootlessport and pasta: the kernel takes the comm from the link's name, /proc/PID/exe still
 * says python3) listen on 127.0.0.1 with command lines naming real containers. Root's
 * `--json` must never resolve their ports to a container, and must mark them untrusted. Then
 * hostile storage files (a FIFO, a link to /dev/zero, a 1 GB sparse file) where the fake
 * conmon's bundle points: `--json` stays fast and small, the dashboard stays responsive.
 * Root only; the lab must be up.
 */

const root = fileURLToPath(new URL('..', import.meta.url));
const user = lab.rootless.user;
const uid = lab.rootless.uid;
const isRoot = !shouldSkipUnlessRoot('trust tests (a hostile user against root)');
const skip =
  (await shouldSkipLab('Docker', lab.docker.address)) ||
  (await shouldSkipLab('rootful Podman', lab.podman.address)) ||
  !isRoot;

/** Where the fake conmon's bundle points: the user's own home, so the user owns every file. */
const fakeHome = `/home/${user}/fake`;
const fakeBundle = `${fakeHome}/x/c/userdata`;
const bareHome = mkdtempSync(join(tmpdir(), 'nanodock-trust-home-'));
const python = realpathSync('/usr/bin/python3');

/** Fake helpers' ports (none published by a container, but `shadow`). */
const ports = {
  conmon: 18120,
  dockerProxy: 18121,
  /** A Docker container publishes this port on 127.0.0.2 only; the fake holds 127.0.0.1. */
  shadow: 18122,
  rootlessport: 18123,
  pasta: 18124,
} as const;

/** The name (comm) of the fake on each port. */
const fakeName: Record<keyof typeof ports, string> = {
  conmon: 'conmon',
  dockerProxy: 'docker-proxy',
  shadow: 'docker-proxy',
  rootlessport: 'rootlessport',
  pasta: 'pasta',
};

/** Listens on FAKE_ADDR:FAKE_PORT, optionally holds FAKE_OPEN open (a netns file), sleeps. */
const fakeScript = `import os, socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((os.environ["FAKE_ADDR"], int(os.environ["FAKE_PORT"])))
s.listen(8)
held = []
if os.environ.get("FAKE_OPEN"):
    held.append(os.open(os.environ["FAKE_OPEN"], os.O_RDONLY))
print("ready", flush=True)
while True:
    time.sleep(3600)
`;

interface Fake {
  readonly name: string;
  readonly port: number;
  /** The fake's own pid, alive, found by the port it holds; with what it must still be. */
  readonly pid: number;
  readonly expected: ExpectedProgram;
  readonly runuser: ChildProcess;
}

let dir = '';
const fakes: Fake[] = [];
let shadowContainer: string | null = null;

/** Runs `argv` as the unprivileged user (runuser), for files that user must own. */
function asUser(...argv: string[]): void {
  execFileSync('runuser', ['-u', user, '--', ...argv], {cwd: '/', stdio: 'pipe', timeout: 10_000});
}

/**
 * Starts `DIR/NAME SCRIPT ARGS` as the user, listening on 127.0.0.1:PORT; resolves once it is
 * listening, with its pid found by the port it holds (not by its name).
 */
async function startFake(
  name: string,
  port: number,
  args: readonly string[],
  open?: string,
): Promise<Fake> {
  const runuser = spawn(
    'runuser',
    [
      '-u',
      user,
      '--',
      'env',
      'FAKE_ADDR=127.0.0.1',
      `FAKE_PORT=${port}`,
      ...(open ? [`FAKE_OPEN=${open}`] : []),
      join(dir, name),
      join(dir, 'fake.py'),
      ...args,
    ],
    {cwd: '/', stdio: ['ignore', 'pipe', 'pipe']},
  );
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`fake ${name}: no "ready" in 10 s: ${output}`)),
      10_000,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('ready')) {
        clearTimeout(timer);
        resolve();
      }
    };
    runuser.stdout?.on('data', onData);
    runuser.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    runuser.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`fake ${name} exited (${code}): ${output}`));
    });
  });
  runuser.removeAllListeners('exit');
  const expected = {exe: python, comm: name, uid};
  const pids = listenerPids(port, {address: '127.0.0.1'}).filter(
    (pid) => mismatch(pid, expected) === null,
  );
  const facts = pids.length === 1 ? processFacts(pids[0] as number) : null;
  if (facts === null) {
    throw new Error(
      `fake ${name}: expected one ${python} named ${name} on 127.0.0.1:${port}, found ${pids.join(', ')}`,
    );
  }
  const fake = {
    name,
    port,
    pid: facts.pid,
    expected: {...expected, startTicks: facts.startTicks},
    runuser,
  };
  fakes.push(fake);
  return fake;
}

/** Stops a fake: only its own pid, and only while it is still that fake. */
async function stopFake(fake: Fake): Promise<void> {
  if (mismatch(fake.pid, fake.expected) === null) {
    signalChecked(fake.pid, 'SIGTERM', fake.expected);
  }
  if (fake.runuser.exitCode === null && fake.runuser.signalCode === null) {
    await new Promise((resolve) => {
      const timer = setTimeout(resolve, 5000);
      fake.runuser.once('exit', () => {
        clearTimeout(timer);
        resolve(undefined);
      });
    });
  }
}

interface JsonRow {
  readonly port: number;
  readonly address: string;
  readonly addresses: readonly string[];
  readonly process: string | null;
  readonly container: {readonly id: string; readonly name: string} | null;
  readonly untrusted?: string | null;
}

interface CliRun {
  readonly ms: number;
  /** Peak resident memory in KiB (`/usr/bin/time -f %M`), or null when time gave none. */
  readonly maxRssKb: number | null;
  /** True when the CLI had to be killed after `limitMs`. */
  readonly timedOut: boolean;
  readonly stdout: string;
  readonly stderr: string;
}

/** The CLI as root: node, named nanodock-top once it set its title. */
const theCli: ExpectedProgram = {
  exe: realpathSync(process.execPath),
  comm: ['node', 'nanodock-top'],
  uid: 0,
};

/** Root's environment with a bare HOME and no engine named: the default discovery. */
function cliEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {...process.env, HOME: bareHome};
  for (const key of ['DOCKER_HOST', 'DOCKER_CONTEXT', 'CONTAINER_HOST', 'CONTAINER_CONNECTION']) {
    delete env[key];
  }
  return env;
}

/**
 * Runs `node dist/cli.js --json` as root under `/usr/bin/time`, killing the CLI (its own pid,
 * checked) if it has not finished after `limitMs`.
 */
function runJson(limitMs = 10_000): Promise<CliRun> {
  const started = performance.now();
  const child = spawn('/usr/bin/time', ['-f', 'maxrss=%M', 'node', 'dist/cli.js', '--json'], {
    cwd: root,
    env: cliEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    // time's only child is the CLI: signal that pid, once it is checked to be node.
    const timePid = child.pid ?? 0;
    const children = (() => {
      try {
        return readFileSync(`/proc/${timePid}/task/${timePid}/children`, 'utf8')
          .trim()
          .split(/\s+/);
      } catch {
        return [];
      }
    })();
    for (const pid of children.map(Number).filter((pid) => pid > 0)) {
      if (mismatch(pid, theCli) === null) {
        signalChecked(pid, 'SIGKILL', theCli);
      }
    }
  }, limitMs);
  return new Promise((resolve) => {
    child.on('close', () => {
      clearTimeout(timer);
      const rss = /maxrss=(\d+)/.exec(stderr)?.[1];
      resolve({
        ms: performance.now() - started,
        maxRssKb: rss === undefined ? null : Number(rss),
        timedOut,
        stdout,
        stderr,
      });
    });
  });
}

function rowsOf(run: CliRun): JsonRow[] {
  return JSON.parse(run.stdout) as JsonRow[];
}

function rowAt(rows: readonly JsonRow[], port: number, address = '127.0.0.1'): JsonRow | undefined {
  return rows.find((row) => row.port === port && row.addresses.includes(address));
}

describe.skipIf(skip)('a hostile local user against root (lab, root)', () => {
  let podmanId = '';
  let rootlessNetns = '';

  beforeAll(async () => {
    const inspect = await engineApi(
      lab.podman.address,
      'GET',
      `/containers/${lab.podman.container}/json`,
    );
    podmanId = (inspect.json as {Id: string}).Id;
    expect(podmanId).toMatch(/^[0-9a-f]{64}$/);
    const sandbox = await rootlessPodman([
      'inspect',
      '--format',
      '{{.NetworkSettings.SandboxKey}}',
      lab.rootless.container,
    ]);
    rootlessNetns = sandbox.stdout.trim();

    // The user's own folder of fakes: symlinks to python3 named like the helpers.
    dir = mkdtempSync(join(tmpdir(), 'nanodock-fakes-'));
    chownSync(dir, uid, uid);
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, 'fake.py'), fakeScript, {mode: 0o644});
    chownSync(join(dir, 'fake.py'), uid, uid);
    for (const name of ['conmon', 'docker-proxy', 'rootlessport', 'pasta']) {
      asUser('ln', '-s', '/usr/bin/python3', join(dir, name));
    }
    rmSync(fakeHome, {recursive: true, force: true});
    asUser('mkdir', '-p', fakeBundle);

    // A Docker container publishing `shadow` on 127.0.0.2 only.
    shadowContainer = await publishScratchContainer(
      lab.docker.address,
      lab.image,
      'nd-trust-shadow',
      ports.shadow,
      '127.0.0.2',
    );
    const shadowInspect = await engineApi(
      lab.docker.address,
      'GET',
      `/containers/${shadowContainer}/json`,
    );
    const shadowIp = (shadowInspect.json as {NetworkSettings: {IPAddress: string}}).NetworkSettings
      .IPAddress;

    await startFake('conmon', ports.conmon, [
      '--api-version',
      '1',
      '-c',
      podmanId,
      '-u',
      podmanId,
      '-r',
      '/usr/bin/runc',
      '-b',
      fakeBundle,
      '-n',
      lab.podman.container,
    ]);
    const proxyArgs = (port: number, containerIp: string) => [
      '-proto',
      'tcp',
      '-host-ip',
      '127.0.0.1',
      '-host-port',
      String(port),
      '-container-ip',
      containerIp,
      '-container-port',
      '80',
    ];
    await startFake('docker-proxy', ports.dockerProxy, proxyArgs(ports.dockerProxy, '172.17.0.2'));
    await startFake('docker-proxy', ports.shadow, proxyArgs(ports.shadow, shadowIp));
    // The fakes of the rootless helpers hold the rootless container's network namespace open,
    // as the real ones do: only their binary gives them away.
    await startFake('rootlessport', ports.rootlessport, [], rootlessNetns || undefined);
    await startFake(
      'pasta',
      ports.pasta,
      ['--config-net', '-t', `${ports.pasta}-${ports.pasta}:80`, '--netns', rootlessNetns],
      rootlessNetns || undefined,
    );
  }, 90_000);

  afterAll(async () => {
    for (const fake of fakes.splice(0)) {
      await stopFake(fake);
    }
    if (shadowContainer !== null) {
      await removeContainer(lab.docker.address, shadowContainer);
    }
    rmSync(fakeHome, {recursive: true, force: true});
    if (dir !== '') {
      rmSync(dir, {recursive: true, force: true});
    }
  });

  it('--json never resolves a fake helper to a container, and says it is not trusted', async () => {
    const run = await runJson();
    expect(run.timedOut).toBe(false);
    const rows = rowsOf(run);
    const found = Object.entries(ports).map(([kind, port]) => {
      const row = rowAt(rows, port);
      return {
        kind,
        port,
        process: row?.process,
        container: row?.container?.name ?? null,
        untrusted: row?.untrusted,
      };
    });
    expect(found).toEqual(
      Object.entries(ports).map(([kind, port]) => ({
        kind,
        port,
        process: fakeName[kind as keyof typeof ports],
        container: null,
        untrusted: expect.stringMatching(/trust/i),
      })),
    );
    // The real container behind 127.0.0.2 is still shown as what it is.
    expect(rowAt(rows, ports.shadow, '127.0.0.2')?.container?.id).toBe(shadowContainer);
  }, 30_000);

  it('the real docker-proxy binary run by the user is not trusted either (right binary, wrong owner)', async () => {
    const port = 18125;
    // docker-proxy reports readiness on fd 3; give it one. It only connects on an incoming
    // connection, and none is made.
    const proxy = spawn(
      'runuser',
      [
        '-u',
        user,
        '--',
        'sh',
        '-c',
        `exec ${helperExe.dockerProxy} -proto tcp -host-ip 127.0.0.1 -host-port ${port} -container-ip 127.0.0.1 -container-port 1 3>/dev/null`,
      ],
      {cwd: '/', stdio: 'ignore'},
    );
    const expected = {exe: helperExe.dockerProxy, comm: 'docker-proxy', uid};
    try {
      await expect
        .poll(() => listenerPids(port, {address: '127.0.0.1'}).length, {timeout: 10_000})
        .toBe(1);
      const row = rowAt(rowsOf(await runJson()), port);
      expect(row).toMatchObject({process: 'docker-proxy', container: null});
      expect(row?.untrusted).toBe(
        `docker-proxy runs as ${user}, which no engine's docker-proxy does: not trusted`,
      );
    } finally {
      for (const pid of listenerPids(port, {address: '127.0.0.1'})) {
        const facts = processFacts(pid);
        if (facts !== null && mismatch(pid, expected) === null) {
          signalChecked(pid, 'SIGTERM', {...expected, startTicks: facts.startTicks});
        }
      }
      proxy.kill();
    }
  }, 30_000);

  describe.each([
    ['containers.json', `${fakeHome}/x/containers.json`],
    ['config.json', `${fakeBundle}/config.json`],
  ])('a hostile %s where the fake conmon points', (_file, path) => {
    let session: TmuxSession | undefined;
    afterEach(async () => {
      await session?.kill();
      session = undefined;
      rmSync(path, {force: true});
    });

    it.each([
      ['a FIFO', ['mkfifo', path]],
      ['a symlink to /dev/zero', ['ln', '-s', '/dev/zero', path]],
      ['a 1 GB sparse file', ['truncate', '-s', '1G', path]],
    ])(
      '%s: --json returns in under 5 s under 200 MB, and q exits the dashboard',
      async (_kind, make) => {
        asUser(...make);
        const run = await runJson();
        const facts = `--json took ${Math.round(run.ms)} ms, peak RSS ${run.maxRssKb} KiB`;
        expect({timedOut: run.timedOut, fast: run.ms < 5000}, facts).toEqual({
          timedOut: false,
          fast: true,
        });
        expect(run.maxRssKb, facts).not.toBeNull();
        expect(run.maxRssKb, facts).toBeLessThan(200 * 1024);
        expect(rowsOf(run).length).toBeGreaterThan(0);

        session = await startTmux(['node', 'dist/cli.js'], {
          columns: 120,
          rows: 30,
          cwd: root,
          env: {HOME: bareHome},
        });
        const tmux = session;
        await tmux.waitFor((text) => /^[* ] (tcp|udp) /m.test(text), {
          timeoutMs: 10_000,
          message: 'rows on screen',
        });
        await tmux.send('q');
        await expect.poll(() => tmux.exitCode(), {timeout: 2000, interval: 50}).toBe(0);
      },
      60_000,
    );
  });

  describe('hostile files behind a trusted helper: the rootless user steers root through their storage.conf', () => {
    const configDir = `/home/${user}/.config/containers`;
    const storageConf = `${configDir}/storage.conf`;
    const evilRoot = `/home/${user}/evil-storage`;
    const evilFile = `${evilRoot}/vfs-containers/containers.json`;
    let saved: string | null = null;

    beforeAll(() => {
      saved = existsSync(storageConf) ? readFileSync(storageConf, 'utf8') : null;
      asUser('mkdir', '-p', configDir, `${evilRoot}/vfs-containers`);
    });
    afterEach(() => {
      rmSync(storageConf, {force: true});
      rmSync(evilFile, {force: true});
    });
    afterAll(() => {
      rmSync(evilRoot, {recursive: true, force: true});
      if (saved !== null) {
        writeFileSync(storageConf, saved);
        chownSync(storageConf, uid, uid);
      }
    });

    /** --json is quick and small, and the real rootless container still resolves. */
    async function expectUnharmed(): Promise<CliRun> {
      const run = await runJson();
      const facts = `--json took ${Math.round(run.ms)} ms, peak RSS ${run.maxRssKb} KiB`;
      expect({timedOut: run.timedOut, fast: run.ms < 5000}, facts).toEqual({
        timedOut: false,
        fast: true,
      });
      expect(run.maxRssKb, facts).toBeLessThan(200 * 1024);
      const row = rowsOf(run).find((candidate) => candidate.port === lab.rootless.port);
      expect(row?.container?.name).toBe(lab.rootless.container);
      return run;
    }

    it('a FIFO as storage.conf is skipped with a warning', async () => {
      asUser('mkfifo', storageConf);
      const run = await expectUnharmed();
      expect(run.stderr).toContain(`skipped ${storageConf}: a FIFO, not a regular file`);
    }, 30_000);

    it.each([
      ['a FIFO', ['mkfifo', evilFile], 'a FIFO, not a regular file'],
      ['a symlink to /dev/zero', ['ln', '-s', '/dev/zero', evilFile], 'a symbolic link'],
      ['a 1 GB sparse file', ['truncate', '-s', '1G', evilFile], 'over the limit'],
    ])(
      '%s as the containers.json its storage.conf names is skipped',
      async (_kind, make, why) => {
        asUser(
          'sh',
          '-c',
          `printf '[storage]\\nrootless_storage_path = "${evilRoot}"\\n' > ${storageConf}`,
        );
        asUser(...make);
        const run = await expectUnharmed();
        expect(run.stderr).toContain(`skipped ${evilFile}: `);
        expect(run.stderr).toContain(why);
      },
      30_000,
    );
  });
});
