import type {EngineKind} from '../../source/model/container-info.js';
import {
  isRootlessRunning,
  isRunning,
  killContainer,
  lab,
  publishRootlessScratch,
  publishScratchContainer,
  removeContainer,
  removeRootlessContainer,
  rootlessPodman,
  rootlessStartedAt,
  runRootlessCommand,
  shouldSkipLab,
  shouldSkipRootlessLab,
  startCommandContainer,
  startedAtOf,
} from './lab.js';

/** The TLS engine's own Unix socket: the same daemon, for setting up and checking. */
const tlsSocket = 'unix:///var/run/docker-tls.sock';

/** One of the lab's four engines, as the kill-and-stop tests drive it. */
export interface LabEngine {
  readonly name: string;
  /** The environment that makes discovery see this engine (and only it, for the API ones). */
  readonly env: Readonly<Record<string, string>>;
  /** The `endpoint` its containers' rows carry. */
  readonly endpoint: string;
  /** True when the engine is missing (and the lab is not required) or the test is not root. */
  readonly skip: boolean;
  /** Starts a scratch container publishing container port 80 on host `port`; its id. */
  start(name: string, port: number): Promise<string>;
  isRunning(id: string): Promise<boolean>;
  remove(id: string): Promise<void>;
  /** The kind its containers' rows carry. */
  readonly engine?: EngineKind;
  /** Starts a container running `cmd` (with a terminal when `tty`); its full id. */
  runCommand?(name: string, cmd: readonly string[], tty?: boolean): Promise<string>;
  /** State.StartedAt of a container, as the engine writes it. */
  startedAt?(id: string): Promise<string>;
  /** Kills a container at once (SIGKILL). */
  kill?(id: string): Promise<void>;
}

/** The lab's four engines: Docker, Docker over TLS, rootful Podman, rootless Podman (no API). */
export async function labEngines(isRoot: boolean): Promise<LabEngine[]> {
  return [
    {
      name: 'Docker (unix socket)',
      env: {DOCKER_HOST: lab.docker.address},
      endpoint: lab.docker.address,
      skip: (await shouldSkipLab('Docker', lab.docker.address)) || !isRoot,
      start: (name, port) => publishScratchContainer(lab.docker.address, lab.image, name, port),
      isRunning: (id) => isRunning(lab.docker.address, id),
      remove: (id) => removeContainer(lab.docker.address, id),
      engine: 'docker',
      runCommand: (name, cmd, tty) =>
        startCommandContainer(lab.docker.address, lab.image, name, cmd, tty),
      startedAt: (id) => startedAtOf(lab.docker.address, id),
      kill: (id) => killContainer(lab.docker.address, id),
    },
    {
      name: 'Docker over TLS (tcp://127.0.0.1:2376)',
      env: {DOCKER_HOST: lab.tls.address, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: lab.tls.certs},
      endpoint: lab.tls.address,
      skip: (await shouldSkipLab('TLS Docker', tlsSocket)) || !isRoot,
      start: (name, port) => publishScratchContainer(tlsSocket, lab.image, name, port, '127.0.0.1'),
      isRunning: (id) => isRunning(tlsSocket, id),
      remove: (id) => removeContainer(tlsSocket, id),
      engine: 'docker',
      runCommand: (name, cmd, tty) => startCommandContainer(tlsSocket, lab.image, name, cmd, tty),
      startedAt: (id) => startedAtOf(tlsSocket, id),
      kill: (id) => killContainer(tlsSocket, id),
    },
    {
      name: 'Podman rootful (API socket)',
      env: {DOCKER_HOST: lab.podman.address},
      endpoint: lab.podman.address,
      skip: (await shouldSkipLab('rootful Podman', lab.podman.address)) || !isRoot,
      start: (name, port) =>
        publishScratchContainer(lab.podman.address, lab.podmanImage, name, port),
      isRunning: (id) => isRunning(lab.podman.address, id),
      remove: (id) => removeContainer(lab.podman.address, id),
      engine: 'podman',
      runCommand: (name, cmd, tty) =>
        startCommandContainer(lab.podman.address, lab.podmanImage, name, cmd, tty),
      startedAt: (id) => startedAtOf(lab.podman.address, id),
      kill: (id) => killContainer(lab.podman.address, id),
    },
    {
      name: `Podman rootless (user ${lab.rootless.user}, no API socket)`,
      // No engine named: the rootless engine has no API, its rows come from rootlessport.
      env: {},
      endpoint: `rootless:${lab.rootless.user}`,
      skip: (await shouldSkipRootlessLab()) || !isRoot,
      start: (name, port) => publishRootlessScratch(name, port),
      isRunning: (id) => isRootlessRunning(id),
      remove: (id) => removeRootlessContainer(id),
      engine: 'podman',
      runCommand: (name, cmd, tty) => runRootlessCommand(name, cmd, tty),
      startedAt: (id) => rootlessStartedAt(id),
      kill: async (id) => {
        await rootlessPodman(['kill', id]);
      },
    },
  ];
}
