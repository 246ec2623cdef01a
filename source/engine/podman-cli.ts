import {type ChildProcessByStdio, execFile, spawn} from 'node:child_process';
import type {Readable} from 'node:stream';
import {EngineRequestError} from '../errors/engine-request-error.js';

/** The user whose own Podman runs a command (a rootless engine has no API socket to ask). */
export interface PodmanUser {
  readonly uid: number;
  readonly gid: number;
  readonly name: string;
  readonly home: string;
}

/** What one podman command gave. */
export interface PodmanCliResult {
  /** Exit code; null when it was killed (time limit, abort). */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of runPodman. */
export interface PodmanCliOptions {
  /** Run as this user, with their runtime folder (root only). Default: as this process. */
  readonly user?: PodmanUser;
  /** Kills the command after this long, in ms. Default: 30000. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/**
 * System folders only: a PATH or a podman found in a folder a user can write would let that
 * user choose what root runs.
 */
const systemPath = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Output past this is cut: the commands used here print a word or an id. */
const maxOutputBytes = 1024 * 1024;

/** The clean environment podman runs with: system PATH, the user's HOME and XDG_RUNTIME_DIR. */
function podmanEnv(user: PodmanUser | undefined): Record<string, string> {
  const uid = user?.uid ?? process.getuid?.() ?? 0;
  const env: Record<string, string> = {
    PATH: systemPath,
    HOME: user?.home ?? process.env.HOME ?? '/',
    XDG_RUNTIME_DIR:
      user === undefined && process.env.XDG_RUNTIME_DIR
        ? process.env.XDG_RUNTIME_DIR
        : `/run/user/${uid}`,
    LC_ALL: 'C',
  };
  if (user !== undefined) {
    env.USER = user.name;
    env.LOGNAME = user.name;
  }
  return env;
}

/**
 * Runs `podman ARGS` with a clean environment (system PATH, the user's HOME and
 * XDG_RUNTIME_DIR, nothing inherited), as `options.user` when given, from `/`. Resolves with
 * the exit code and output; rejects with EngineRequestError (`connect`) when podman cannot be
 * started, (`timeout`) past the time limit, (`aborted`) on abort.
 */
export function runPodman(
  args: readonly string[],
  options: PodmanCliOptions = {},
): Promise<PodmanCliResult> {
  const user = options.user;
  const env = podmanEnv(user);
  const timeoutMs = options.timeoutMs ?? 30_000;
  const label = user === undefined ? 'podman' : `podman of ${user.name}`;
  return new Promise((resolve, reject) => {
    execFile(
      'podman',
      [...args],
      {
        cwd: '/',
        env,
        ...(user === undefined ? {} : {uid: user.uid, gid: user.gid}),
        timeout: timeoutMs,
        killSignal: 'SIGKILL',
        maxBuffer: maxOutputBytes,
        signal: options.signal,
        encoding: 'utf8',
      },
      (error, stdout, stderr) => {
        if (error === null) {
          resolve({code: 0, stdout, stderr});
          return;
        }
        const failure = error as NodeJS.ErrnoException & {killed?: boolean; code?: unknown};
        if (options.signal?.aborted) {
          reject(new EngineRequestError(label, 'aborted', `${label}: aborted`, {cause: error}));
        } else if (typeof failure.code === 'number') {
          resolve({code: failure.code, stdout, stderr});
        } else if (failure.killed) {
          reject(
            new EngineRequestError(
              label,
              'timeout',
              `${label} did not finish within ${timeoutMs} ms`,
              {
                cause: error,
              },
            ),
          );
        } else {
          const code = typeof failure.code === 'string' ? failure.code : undefined;
          reject(
            new EngineRequestError(
              label,
              'connect',
              code === 'ENOENT'
                ? `podman is not installed in ${systemPath}`
                : `${label} could not be started: ${error.message}`,
              {cause: error, code},
            ),
          );
        }
      },
    );
  });
}

/** A podman command whose output is read as it comes (`podman logs --follow`). */
export type PodmanProcess = ChildProcessByStdio<null, Readable, Readable>;

/**
 * Starts `podman ARGS` as runPodman does (clean environment, as `options.user` when given,
 * from `/`, stdin closed) but hands its stdout and stderr over as streams, with no time
 * limit: the caller reads, pauses and ends it (an aborted `signal` kills it with SIGTERM).
 * A podman that cannot be started emits 'error' (see describePodmanSpawnError).
 */
export function spawnPodman(
  args: readonly string[],
  options: Pick<PodmanCliOptions, 'user' | 'signal'> = {},
): PodmanProcess {
  const user = options.user;
  return spawn('podman', [...args], {
    cwd: '/',
    env: podmanEnv(user),
    ...(user === undefined ? {} : {uid: user.uid, gid: user.gid}),
    stdio: ['ignore', 'pipe', 'pipe'],
    signal: options.signal,
    killSignal: 'SIGTERM',
  });
}

/** The EngineRequestError for a podman that could not be started (or was aborted). */
export function describePodmanSpawnError(
  error: NodeJS.ErrnoException,
  user: PodmanUser | undefined,
): EngineRequestError {
  const label = user === undefined ? 'podman' : `podman of ${user.name}`;
  if (error.name === 'AbortError') {
    return new EngineRequestError(label, 'aborted', `${label}: aborted`, {cause: error});
  }
  return new EngineRequestError(
    label,
    'connect',
    error.code === 'ENOENT'
      ? `podman is not installed in ${systemPath}`
      : `${label} could not be started: ${error.message}`,
    {cause: error, code: error.code},
  );
}

/** Whether podman's stderr says the container does not exist. */
export function isPodmanNoSuchContainer(stderr: string): boolean {
  return /no such (container|object)/i.test(stderr);
}

/** A failed podman command in one line: `podman stop: <its stderr>`, or its exit code. */
export function podmanFailureText(
  command: string,
  result: {readonly code: number | null; readonly stderr: string},
): string {
  return `${command}: ${result.stderr.trim() || `exit ${result.code}`}`;
}
