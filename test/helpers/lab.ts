import {execFile} from 'node:child_process';
import {parseEngineAddress} from '../../source/engine/endpoint.js';
import {requestEngine} from '../../source/engine/http.js';

/** Facts of the lab that scripts/lab.sh starts (see its summary). */
export const lab = {
  image: 'nanodock-lab/busybox:latest',
  podmanImage: 'localhost/nanodock-lab/busybox:latest',
  docker: {address: 'unix:///var/run/docker.sock', container: 'nd-web', port: 18080},
  tls: {
    address: 'tcp://127.0.0.1:2376',
    certs: '/etc/nanodock-lab/tls',
    container: 'nd-tls-web',
    port: 18095,
  },
  podman: {address: 'unix:///run/podman/podman.sock', container: 'nd-podman-web', port: 18085},
  rootless: {
    user: 'ndlab',
    uid: 1001,
    xdgRuntimeDir: '/run/user/1001',
    container: 'nd-rootless-web',
    port: 18090,
  },
  /** scripts/lab-swarm.sh: a Swarm manager engine of its own, and a worker joined to it. */
  swarm: {
    address: 'unix:///var/run/docker-swarm.sock',
    workerAddress: 'unix:///var/run/docker-swarm-worker.sock',
    /** Replicated, 2 replicas, ingress 18410 -> 80: no host socket holds 18410. */
    service: 'nd-swarm-web',
    port: 18410,
    replicas: 2,
    /** Replicated, 1 replica, host mode 18411 -> 80: a docker-proxy holds 18411. */
    hostService: 'nd-swarm-host',
    hostPort: 18411,
    /** Tests make their own services named nd-swarm-t-* on ports 18420-18449. */
    testPorts: [18420, 18449],
  },
} as const;

/** The real binaries of the lab's port helpers (Debian's packages). */
export const helperExe = {
  dockerProxy: '/usr/sbin/docker-proxy',
  conmon: '/usr/bin/conmon',
  rootlessport: '/usr/lib/podman/rootlessport',
} as const;

/** What a command run by rootlessPodman answered. */
export interface CommandResult {
  /** Exit code; null when a signal (or the timeout) ended it. */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `podman ARGS` as the lab's rootless user (runuser, its XDG_RUNTIME_DIR, from `/`), as
 * that user would: the rootless engine has no API socket. Never rejects; see `code`.
 */
export function rootlessPodman(
  args: readonly string[],
  timeoutMs = 60_000,
): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(
      'runuser',
      [
        '-u',
        lab.rootless.user,
        '--',
        'env',
        `XDG_RUNTIME_DIR=${lab.rootless.xdgRuntimeDir}`,
        'podman',
        ...args,
      ],
      {cwd: '/', timeout: timeoutMs, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024},
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        resolve({code, stdout, stderr});
      },
    );
  });
}

/** True when CI (or a person) says the lab must be there: then an absent engine fails. */
export const isLabRequired = process.env.NANODOCK_LAB === 'required';

/** Null when the engine at `address` answers /_ping, else the reason it does not. */
export async function probeEngine(address: string): Promise<string | null> {
  try {
    const response = await requestEngine(parseEngineAddress(address, 'lab'), '/_ping', {
      timeoutMs: 2000,
    });
    return response.statusCode === 200
      ? null
      : `${address} answered /_ping with HTTP ${response.statusCode}`;
  } catch (error) {
    return (error as Error).message;
  }
}

/**
 * Whether to skip the lab tests of one engine: never when the lab is required (the tests then
 * fail on their own, with the probe's reason); otherwise when the engine is absent, saying why
 * in one line.
 */
export async function shouldSkipLab(name: string, address: string): Promise<boolean> {
  const reason = await probeEngine(address);
  if (reason === null) {
    return false;
  }
  if (isLabRequired) {
    throw new Error(
      `NANODOCK_LAB=required but the lab's ${name} is not reachable: ${reason}. Run: sudo npm run lab`,
    );
  }
  console.warn(`skipping ${name} lab tests: ${reason} (start it with: sudo npm run lab)`);
  return true;
}

/** Sends a JSON request to a lab engine and returns status and parsed body. */
export async function engineApi(
  address: string,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<{status: number; json: unknown}> {
  const response = await requestEngine(parseEngineAddress(address, 'lab'), path, {
    method,
    timeoutMs: 30_000,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let json: unknown = null;
  try {
    json = response.body === '' ? null : JSON.parse(response.body);
  } catch {
    json = response.body;
  }
  return {status: response.statusCode, json};
}

/**
 * Creates and starts a throwaway container on a lab engine that exits at once on SIGTERM,
 * and returns its id. Removed by removeContainer.
 */
export function startScratchContainer(
  address: string,
  image: string,
  name: string,
): Promise<string> {
  return createScratch(address, name, {
    Image: image,
    Cmd: ['/bin/sh', '-c', 'trap "exit 0" TERM; while :; do sleep 1; done'],
    Labels: {'nanodock.test': '1'},
  });
}

/** Creates and starts a container from `spec` (any older one of that name removed first); its id. */
async function createScratch(address: string, name: string, spec: object): Promise<string> {
  await engineApi(address, 'DELETE', `/containers/${name}?force=true`);
  const created = await engineApi(address, 'POST', `/containers/create?name=${name}`, spec);
  if (created.status !== 201) {
    throw new Error(
      `create ${name} on ${address}: HTTP ${created.status} ${JSON.stringify(created.json)}`,
    );
  }
  const id = (created.json as {Id: string}).Id;
  const started = await engineApi(address, 'POST', `/containers/${id}/start`);
  if (started.status !== 204) {
    await removeContainer(address, id);
    throw new Error(
      `start ${name} on ${address}: HTTP ${started.status} ${JSON.stringify(started.json)}`,
    );
  }
  return id;
}

/** Force-removes a container; ignores one that is already gone. */
export async function removeContainer(address: string, id: string): Promise<void> {
  await engineApi(address, 'DELETE', `/containers/${id}?force=true`);
}

/** Whether the engine lists `id` among its running containers. */
export async function isRunning(address: string, id: string): Promise<boolean> {
  const list = await engineApi(address, 'GET', '/containers/json');
  return (list.json as Array<{Id: string}>).some((container) => container.Id === id);
}

/**
 * Whether tests that must see every process (root) can run: never skips when the lab is
 * required; otherwise says in one line why they skip.
 */
export function shouldSkipUnlessRoot(what: string): boolean {
  if (process.getuid?.() === 0) {
    return false;
  }
  if (isLabRequired) {
    throw new Error(`NANODOCK_LAB=required but ${what} needs root to see every process`);
  }
  console.warn(`skipping ${what}: needs root to see every process (run the suite with sudo)`);
  return true;
}

/**
 * Whether to skip the tests of the rootless Podman engine (it has no API socket to ping: its
 * owner's `podman info` must work). Never skips when the lab is required; then it throws.
 */
export async function shouldSkipRootlessLab(): Promise<boolean> {
  const reason =
    process.getuid?.() === 0
      ? await rootlessPodman(['info', '--format', '{{.Store.GraphDriverName}}'], 30_000).then(
          (result) =>
            result.code === 0
              ? null
              : `podman info as ${lab.rootless.user} failed: ${result.stderr.trim().slice(-300)}`,
        )
      : 'acting as another user needs root';
  if (reason === null) {
    return false;
  }
  if (isLabRequired) {
    throw new Error(
      `NANODOCK_LAB=required but the lab's rootless Podman is not usable: ${reason}. Run: sudo npm run lab`,
    );
  }
  console.warn(`skipping rootless Podman lab tests: ${reason} (start it with: sudo npm run lab)`);
  return true;
}

/** The argv of a command that stops at once on SIGTERM (busybox httpd alone ignores it). */
export const httpdUntilTerm = [
  '/bin/sh',
  '-c',
  'trap "exit 0" TERM; /bin/busybox httpd -f -p 80 & wait',
] as const;

/**
 * Starts a throwaway container that publishes container port 80 on host `port` (on `hostIp`
 * when given) through an engine's API, removing any older one of the same name first, and
 * returns its full id. It stops at once on SIGTERM.
 */
export function publishScratchContainer(
  address: string,
  image: string,
  name: string,
  port: number,
  hostIp?: string,
): Promise<string> {
  return createScratch(address, name, {
    Image: image,
    Cmd: [...httpdUntilTerm],
    ExposedPorts: {'80/tcp': {}},
    HostConfig: {
      PortBindings: {'80/tcp': [{HostPort: String(port), ...(hostIp ? {HostIp: hostIp} : {})}]},
    },
    Labels: {'nanodock.test': '1'},
  });
}

/**
 * Starts a throwaway container of the rootless user publishing container port 80 on host
 * `port` (held by rootlessport), removing any older one of the same name first; returns its
 * full id. It stops at once on SIGTERM.
 */
export async function publishRootlessScratch(name: string, port: number): Promise<string> {
  await rootlessPodman(['rm', '-f', '--ignore', name]);
  const run = await rootlessPodman([
    'run',
    '-d',
    '--name',
    name,
    '--label',
    'nanodock.test=1',
    '-p',
    `${port}:80`,
    lab.podmanImage,
    ...httpdUntilTerm,
  ]);
  const id = run.stdout.trim();
  if (run.code !== 0 || !/^[0-9a-f]{64}$/.test(id)) {
    throw new Error(`podman run ${name} as ${lab.rootless.user}: ${run.stderr.trim()}`);
  }
  return id;
}

/** Whether the rootless user's podman says container `id` is running (false when it is gone). */
export async function isRootlessRunning(id: string): Promise<boolean> {
  const inspect = await rootlessPodman([
    'container',
    'inspect',
    '--format',
    '{{.State.Running}}',
    id,
  ]);
  return inspect.code === 0 && inspect.stdout.trim() === 'true';
}

/** Force-removes a rootless container; ignores one that is already gone. */
export async function removeRootlessContainer(id: string): Promise<void> {
  await rootlessPodman(['rm', '-f', '--ignore', '--time', '0', id]);
}

/**
 * Creates and starts a container running `cmd` on a lab engine (with a terminal when `tty`),
 * any older one of that name removed first; returns its full id. Removed by removeContainer.
 */
export function startCommandContainer(
  address: string,
  image: string,
  name: string,
  cmd: readonly string[],
  tty = false,
): Promise<string> {
  return createScratch(address, name, {
    Image: image,
    Cmd: [...cmd],
    Tty: tty,
    Labels: {'nanodock.test': '1'},
  });
}

/** State.StartedAt of a container of a lab engine. */
export async function startedAtOf(address: string, id: string): Promise<string> {
  const inspect = await engineApi(address, 'GET', `/containers/${id}/json`);
  return (inspect.json as {State: {StartedAt: string}}).State.StartedAt;
}

/** Kills a container of a lab engine (SIGKILL: it is gone at once). */
export async function killContainer(address: string, id: string): Promise<void> {
  await engineApi(address, 'POST', `/containers/${id}/kill`);
}

/**
 * Starts a container of the rootless user running `cmd` (with a terminal when `tty`), any
 * older one of that name removed first; returns its full id.
 */
export async function runRootlessCommand(
  name: string,
  cmd: readonly string[],
  tty = false,
): Promise<string> {
  await rootlessPodman(['rm', '-f', '--ignore', '--time', '0', name]);
  const run = await rootlessPodman([
    'run',
    '-d',
    ...(tty ? ['-t'] : []),
    '--name',
    name,
    '--label',
    'nanodock.test=1',
    lab.podmanImage,
    ...cmd,
  ]);
  const id = run.stdout.trim();
  if (run.code !== 0 || !/^[0-9a-f]{64}$/.test(id)) {
    throw new Error(`podman run ${name} as ${lab.rootless.user}: ${run.stderr.trim()}`);
  }
  return id;
}

/** State.StartedAt of a rootless container, as its podman says it. */
export async function rootlessStartedAt(id: string): Promise<string> {
  const inspect = await rootlessPodman([
    'container',
    'inspect',
    '--format',
    '{{.State.StartedAt}}',
    id,
  ]);
  return inspect.stdout.trim();
}

/**
 * Whether to skip the tests of an engine reached over the lab's sshd (scripts/lab-ssh.sh):
 * as shouldSkipLab, but with 15 s for the ping, since each new ssh session runs root's shell
 * startup files (about a second here) before `docker` starts.
 */
export async function shouldSkipSshLab(address: string): Promise<boolean> {
  const reason = await requestEngine(parseEngineAddress(address, 'lab'), '/_ping', {
    timeoutMs: 15_000,
  }).then(
    (answer) => (answer.statusCode === 200 ? null : `/_ping answered HTTP ${answer.statusCode}`),
    (error: Error) => error.message,
  );
  if (reason === null) {
    return false;
  }
  if (isLabRequired) {
    throw new Error(
      `NANODOCK_LAB=required but ${address} (the lab's sshd) is not usable: ${reason}. Run: sudo npm run lab`,
    );
  }
  console.warn(`skipping tests over ${address}: ${reason} (start the lab with: sudo npm run lab)`);
  return true;
}

/** `docker -H <the lab's Swarm manager> ARGS` (Debian's client); rejects with its stderr. */
export function swarmDocker(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      '/usr/bin/docker',
      ['-H', lab.swarm.address, ...args],
      {cwd: '/', timeout: 60_000, encoding: 'utf8'},
      (error, stdout, stderr) =>
        error ? reject(new Error(stderr || error.message)) : resolve(stdout),
    );
  });
}
