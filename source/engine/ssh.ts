import {type ChildProcess, spawn, spawnSync} from 'node:child_process';
import {existsSync, mkdtempSync, rmSync} from 'node:fs';
import {lstat, readdir, rmdir} from 'node:fs/promises';
import net from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {Duplex} from 'node:stream';
import {EngineRequestError} from '../errors/engine-request-error.js';
import {ResponseTooLargeError} from '../errors/response-too-large-error.js';
import {SshError, type SshFailure} from '../errors/ssh-error.js';
import type {SshEndpoint} from './endpoint.js';

/**
 * Seconds between ssh's keepalive probes on a master connection (ServerAliveInterval); three
 * unanswered probes end it, so a vanished remote is noticed within about 45 s even on an idle
 * event stream.
 */
export const sshServerAliveSeconds = 15;

/** Most of ssh's stderr kept for an error (the end of it: ssh says why last). */
const maxStderrBytes = 8 * 1024;
/** How often a starting master is checked for its control socket, in ms. */
const readyPollMs = 10;
/** Default cap of runOverSsh's stdout: 16 MiB. */
const defaultMaxStdoutBytes = 16 * 1024 * 1024;

// Each first match wins: ssh prints the host key failure before any authentication.
const stderrFailures: ReadonlyArray<readonly [RegExp, SshFailure]> = [
  [
    /Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|host key .* is not known|No \S+ host key is known/i,
    'host-key',
  ],
  [/Permission denied|Too many authentication failures|no more authentication methods/i, 'auth'],
];

/** The failure ssh's stderr names, or null when it names none of the known ones. */
function failureInStderr(stderr: string): SshFailure | null {
  for (const [pattern, failure] of stderrFailures) {
    if (pattern.test(stderr)) {
      return failure;
    }
  }
  return null;
}

/** Appends to a capped text, keeping its end. */
function appendCapped(text: string, chunk: Buffer): string {
  const joined = text + chunk.toString('utf8');
  return joined.length > maxStderrBytes ? joined.slice(-maxStderrBytes) : joined;
}

/** `-l user -p port -- host`: the destination always after `--`, never read as an option. */
function destinationArgs(endpoint: SshEndpoint): string[] {
  const args: string[] = [];
  if (endpoint.user !== null) {
    args.push('-l', endpoint.user);
  }
  if (endpoint.port !== null) {
    args.push('-p', String(endpoint.port));
  }
  args.push('--', endpoint.host);
  return args;
}

/** ssh expands `%` tokens in ControlPath. */
function escapeTokens(path: string): string {
  return path.replaceAll('%', '%%');
}

/**
 * The argv of ssh for one channel on a remote's master (`controlPath`) running `command` there:
 * never a master itself, never a prompt, never the user's RemoteCommand.
 */
function channelArgs(controlPath: string, endpoint: SshEndpoint, command: string): string[] {
  return [
    '-S',
    escapeTokens(controlPath),
    '-o',
    'ControlMaster=no',
    '-o',
    'BatchMode=yes',
    // A RemoteCommand of the user's config would clash with -N and with our commands.
    '-o',
    'RemoteCommand=none',
    '-T',
    ...destinationArgs(endpoint),
    command,
  ];
}

/**
 * A word for a POSIX remote shell: single-quoted, each `'` written as `'\''`. The remote side
 * of ssh always runs its command through the user's shell, so every argument is quoted.
 */
export function quoteForRemoteShell(word: string): string {
  if (word.includes('\u0000')) {
    throw new TypeError('a remote command argument cannot hold a NUL byte');
  }
  return /^[A-Za-z0-9_./=:@%+,-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** setpriv, where it can give a child a parent-death signal (Linux, util-linux 2.33 or later). */
const setprivPath = '/usr/bin/setpriv';
let deathSignalPrefix: readonly string[] | undefined;

/**
 * What runs a master so that it ends when this process does, even killed by a signal (no
 * 'exit' hook runs then): `setpriv --pdeathsig TERM --` where that works (checked once),
 * else nothing (the exit hook alone ends it).
 */
function masterPrefix(): readonly string[] {
  if (deathSignalPrefix === undefined) {
    const prefix = [setprivPath, '--pdeathsig', 'TERM', '--'];
    deathSignalPrefix =
      process.platform === 'linux' &&
      existsSync(setprivPath) &&
      spawnSync(setprivPath, [...prefix.slice(1), 'true'], {stdio: 'ignore', timeout: 2000})
        .status === 0
        ? prefix
        : [];
  }
  return deathSignalPrefix;
}

type ReadyListener = (error: SshError | null) => void;

/**
 * One ssh connection to a remote, our child (`ssh -N`, ControlMaster): every engine connection
 * is a channel on it, so a request, the event stream and a log share one login. Its control
 * socket (and the Podman form's forwarded socket) lives in a private folder made for it (0700,
 * mkdtemp): no other user can reach the remote through it.
 */
class SshMaster {
  readonly endpoint: SshEndpoint;
  readonly dir: string;
  readonly controlPath: string;
  /** The Podman form's local end of the forwarded engine socket; null for the Docker form. */
  readonly localSocket: string | null;
  readonly child: ChildProcess;
  readonly startedAt = performance.now();
  /** How long it took to be ready, in ms (null until then). */
  readyMs: number | null = null;
  stderr = '';
  /** Set once it has ended: what that means for the connections that used it. */
  error: SshError | null = null;
  #isReady = false;
  #isClosing = false;
  #poll: NodeJS.Timeout | undefined;
  readonly #listeners = new Set<ReadyListener>();

  constructor(endpoint: SshEndpoint) {
    this.endpoint = endpoint;
    this.dir = mkdtempSync(join(tmpdir(), 'nanodock-ssh-'));
    this.controlPath = join(this.dir, 'c');
    this.localSocket = endpoint.remoteSocket === null ? null : join(this.dir, 's');
    const forward =
      endpoint.remoteSocket === null || this.localSocket === null
        ? []
        : [
            '-o',
            'ExitOnForwardFailure=yes',
            '-o',
            'StreamLocalBindMask=0177',
            '-L',
            `${this.localSocket}:${endpoint.remoteSocket}`,
          ];
    // setpriv execs ssh in place: the child's pid is ssh's own.
    const [program = 'ssh', ...prefixArgs] = [...masterPrefix(), 'ssh'];
    this.child = spawn(
      program,
      [
        ...prefixArgs,
        '-N',
        '-o',
        'ControlMaster=yes',
        '-o',
        `ControlPath=${escapeTokens(this.controlPath)}`,
        '-o',
        'ControlPersist=no',
        '-o',
        'BatchMode=yes',
        // A RemoteCommand of the user's config would clash with -N and with our commands.
        '-o',
        'RemoteCommand=none',
        '-o',
        `ServerAliveInterval=${sshServerAliveSeconds}`,
        '-o',
        'ServerAliveCountMax=3',
        ...forward,
        ...destinationArgs(endpoint),
      ],
      {stdio: ['ignore', 'ignore', 'pipe']},
    );
    // A master never keeps this process alive: the connections using it do.
    this.child.unref();
    const stderr = this.child.stderr as net.Socket;
    stderr.unref();
    stderr.on('data', (chunk: Buffer) => {
      this.stderr = appendCapped(this.stderr, chunk);
    });
    this.child.on('error', (error: NodeJS.ErrnoException) => {
      this.#end(
        error.code === 'ENOENT'
          ? new SshError(endpoint.address, 'no-ssh', 'there is no `ssh` program on the PATH', {
              cause: error,
              host: endpoint.host,
            })
          : new SshError(endpoint.address, 'unreachable', `ssh did not start: ${error.message}`, {
              cause: error,
              host: endpoint.host,
            }),
      );
    });
    this.child.on('close', (code: number | null, signal: NodeJS.Signals | null) => {
      this.#end(this.#exitError(code, signal));
    });
    this.#poll = setInterval(() => this.#checkReady(), readyPollMs);
    this.#poll.unref();
  }

  get isReady(): boolean {
    return this.#isReady;
  }

  get isAlive(): boolean {
    return this.error === null;
  }

  /**
   * Calls `listener` once: null when the master is ready, else the SshError of its end.
   * Returns the function that takes the listener back (a caller that gave up): a master still
   * starting that nobody waits for any more is ended, so a hung connect never lingers.
   */
  whenReady(listener: ReadyListener): () => void {
    if (this.error !== null || this.#isReady) {
      const error = this.error;
      queueMicrotask(() => listener(error));
      return () => undefined;
    }
    this.#listeners.add(listener);
    return () => {
      if (this.#listeners.delete(listener) && this.#listeners.size === 0 && !this.#isReady) {
        this.close();
      }
    };
  }

  /** Ends the master (SIGTERM: ssh removes its control socket) and its folder. */
  close(): void {
    if (!this.#isClosing) {
      this.#isClosing = true;
      this.child.kill('SIGTERM');
      this.#end(
        new SshError(this.endpoint.address, 'dropped', 'the ssh connection was closed', {
          host: this.endpoint.host,
        }),
      );
    }
  }

  #checkReady(): void {
    if (
      existsSync(this.controlPath) &&
      (this.localSocket === null || existsSync(this.localSocket))
    ) {
      clearInterval(this.#poll);
      this.#isReady = true;
      this.readyMs = performance.now() - this.startedAt;
      this.#notify(null);
    }
  }

  #notify(error: SshError | null): void {
    const listeners = [...this.#listeners];
    this.#listeners.clear();
    for (const listener of listeners) {
      listener(error);
    }
  }

  #end(error: SshError): void {
    if (this.error !== null) {
      return;
    }
    this.error = error;
    clearInterval(this.#poll);
    if (masters.get(this.endpoint.address) === this) {
      masters.delete(this.endpoint.address);
    }
    rmSync(this.dir, {recursive: true, force: true});
    this.#notify(error);
  }

  #exitError(code: number | null, signal: NodeJS.Signals | null): SshError {
    const {address, host} = this.endpoint;
    const stderr = this.stderr;
    if (this.#isReady || this.#isClosing) {
      return new SshError(
        address,
        'dropped',
        `the ssh connection ended (${signal ?? `exit ${code}`})`,
        {stderr, host},
      );
    }
    const failure = failureInStderr(stderr) ?? 'unreachable';
    const what: Record<SshFailure, string> = {
      'host-key': 'ssh refused the host key',
      auth: 'ssh could not log in',
      timeout: 'ssh timed out connecting',
      unreachable: 'ssh could not connect',
      'no-ssh': 'ssh did not start',
      'no-engine': 'no engine on the remote',
      dropped: 'the ssh connection ended',
    };
    return new SshError(address, failure, `${what[failure]} (${signal ?? `exit ${code}`})`, {
      stderr,
      host,
    });
  }
}

/** Masters by endpoint address (normalised: one per remote, user, port and form). */
const masters = new Map<string, SshMaster>();
let isExitHookSet = false;

/** A private folder older than this and empty is a leftover (10 minutes). */
const leftoverAgeMs = 10 * 60 * 1000;

/**
 * Removes the empty private folders of masters whose process was killed (no exit hook ran:
 * ssh, ended by its parent-death signal, removed its socket but not the folder). Only this
 * user's own, only empty ones (rmdir never removes a file) and only old ones (a master still
 * connecting has an empty folder too). In the background; errors are ignored.
 */
export async function sweepLeftoverFolders(): Promise<void> {
  const base = tmpdir();
  const uid = process.getuid?.();
  for (const name of await readdir(base)) {
    if (!/^nanodock-ssh-[A-Za-z0-9]{6}$/.test(name)) {
      continue;
    }
    const path = join(base, name);
    try {
      const stat = await lstat(path);
      if (
        stat.isDirectory() &&
        stat.uid === uid &&
        Date.now() - stat.mtimeMs > leftoverAgeMs &&
        ![...masters.values()].some((master) => master.dir === path)
      ) {
        await rmdir(path);
      }
    } catch {
      // Not empty, gone meanwhile, or not ours to remove.
    }
  }
}

/** The endpoint's master: the running one, or a new one being started. */
function masterFor(endpoint: SshEndpoint): SshMaster {
  let master = masters.get(endpoint.address);
  if (master === undefined || !master.isAlive) {
    master = new SshMaster(endpoint);
    masters.set(endpoint.address, master);
    if (!isExitHookSet) {
      isExitHookSet = true;
      // Masters are our children: they end with this process, however it exits normally.
      process.once('exit', closeSshConnections);
      sweepLeftoverFolders().catch(() => undefined);
    }
  }
  return master;
}

/** Ends every ssh master connection (and so every channel on them). For tests; exit does it too. */
export function closeSshConnections(): void {
  for (const master of [...masters.values()]) {
    master.close();
  }
  masters.clear();
}

/** How long each live master took to connect, by address, in ms (benches and tests). */
export function sshConnectTimes(): Map<string, number> {
  const times = new Map<string, number>();
  for (const [address, master] of masters) {
    if (master.readyMs !== null) {
      times.set(address, master.readyMs);
    }
  }
  return times;
}

/** The pid of the master ssh of an address, or undefined (tests: they cut it to see a drop). */
export function sshMasterPid(address: string): number | undefined {
  return masters.get(address)?.child.pid;
}

/** Extra no-op methods node:http and our client call on a socket. */
interface SocketLike {
  setKeepAlive(): this;
  setNoDelay(): this;
  setTimeout(): this;
  ref(): this;
  unref(): this;
}

/**
 * One engine connection over ssh, as a Duplex that node:http and the engine client use as a
 * socket: a `docker system dial-stdio` channel on the master (Docker form), or a connection to
 * the master's forwarded socket (Podman form). Usable at once: writes wait for the master. An
 * ssh failure is emitted as an SshError; a connection cut while in use as failure 'dropped'.
 */
export class SshConnection extends Duplex implements SocketLike {
  readonly endpoint: SshEndpoint;
  /** The pid of this connection's own ssh (Docker form), once started (tests cut it). */
  channelPid: number | undefined;
  #master: SshMaster;
  #cancelWait: (() => void) | null;
  #child: ChildProcess | null = null;
  #socket: net.Socket | null = null;
  #pendingWrite: {chunk: Buffer; callback: (error?: Error | null) => void} | null = null;
  #pendingFinal: ((error?: Error | null) => void) | null = null;
  #bytesIn = 0;
  #stderr = '';
  #isRefed = true;

  constructor(endpoint: SshEndpoint) {
    super();
    this.endpoint = endpoint;
    this.#master = masterFor(endpoint);
    this.#cancelWait = this.#master.whenReady((error) => {
      this.#cancelWait = null;
      if (this.destroyed) {
        return;
      }
      if (error !== null) {
        this.#fail(error);
        return;
      }
      try {
        this.#attach();
      } catch (attachError) {
        this.#fail(attachError as Error);
      }
    });
  }

  setKeepAlive(): this {
    return this;
  }

  setNoDelay(): this {
    return this;
  }

  setTimeout(): this {
    return this;
  }

  ref(): this {
    this.#isRefed = true;
    this.#applyRef();
    return this;
  }

  unref(): this {
    this.#isRefed = false;
    this.#applyRef();
    return this;
  }

  override _write(
    chunk: Buffer,
    _encoding: BufferEncoding,
    callback: (error?: Error | null) => void,
  ): void {
    const inner = this.#child?.stdin ?? this.#socket;
    if (inner === null || inner === undefined) {
      this.#pendingWrite = {chunk, callback};
      return;
    }
    // A channel that ended fails the write with EPIPE: its 'close' says why, as an SshError.
    inner.write(chunk, () => callback());
  }

  override _final(callback: (error?: Error | null) => void): void {
    const inner = this.#child?.stdin ?? this.#socket;
    if (inner === null || inner === undefined) {
      this.#pendingFinal = callback;
      return;
    }
    inner.end(() => callback());
  }

  override _read(): void {
    this.#child?.stdout?.resume();
    this.#socket?.resume();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#cancelWait?.();
    this.#cancelWait = null;
    if (this.#child !== null && this.#child.exitCode === null && this.#child.signalCode === null) {
      this.#child.kill('SIGTERM');
    }
    this.#socket?.destroy();
    callback(error);
  }

  /**
   * Ends the connection with `error`, emitted only when someone listens: node:http lets go of
   * a socket's 'error' listener once its answer is complete, and an ssh channel may end
   * after that (an unheard 'error' would end the process).
   */
  #fail(error: Error): void {
    this.destroy(this.listenerCount('error') > 0 ? error : undefined);
  }

  #applyRef(): void {
    const handles = [this.#child?.stdin, this.#child?.stdout, this.#child?.stderr, this.#socket];
    for (const handle of handles) {
      const socket = handle as net.Socket | null | undefined;
      if (this.#isRefed) {
        socket?.ref?.();
      } else {
        socket?.unref?.();
      }
    }
    if (this.#isRefed) {
      this.#child?.ref();
    } else {
      this.#child?.unref();
    }
  }

  #attach(): void {
    if (this.#master.localSocket === null) {
      this.#attachChannel();
    } else {
      this.#attachForward(this.#master.localSocket);
    }
    this.#applyRef();
    const pending = this.#pendingWrite;
    this.#pendingWrite = null;
    if (pending !== null) {
      this._write(pending.chunk, 'utf8', pending.callback);
    }
    const final = this.#pendingFinal;
    this.#pendingFinal = null;
    if (final !== null) {
      this._final(final);
    }
  }

  #onData(chunk: Buffer, source: NodeJS.ReadableStream): void {
    this.#bytesIn += chunk.length;
    if (!this.push(chunk)) {
      source.pause();
    }
  }

  /** Docker form: `docker system dial-stdio` on the remote, over a channel of the master. */
  #attachChannel(): void {
    const endpoint = this.endpoint;
    const child = spawn(
      'ssh',
      channelArgs(this.#master.controlPath, endpoint, 'docker system dial-stdio'),
      {stdio: ['pipe', 'pipe', 'pipe']},
    );
    this.#child = child;
    this.channelPid = child.pid;
    const stdout = child.stdout as net.Socket;
    stdout.on('data', (chunk: Buffer) => this.#onData(chunk, stdout));
    (child.stderr as net.Socket).on('data', (chunk: Buffer) => {
      this.#stderr = appendCapped(this.#stderr, chunk);
    });
    // A write to a channel that ended fails with EPIPE: its end is reported by 'close'.
    child.stdin?.on('error', () => undefined);
    child.on('error', (error) => {
      this.#fail(
        new SshError(endpoint.address, 'no-ssh', `ssh did not start: ${error.message}`, {
          cause: error,
          host: endpoint.host,
        }),
      );
    });
    child.on('close', (code: number | null, signal: NodeJS.Signals | null) => {
      if (this.destroyed) {
        return;
      }
      if (code === 0) {
        this.push(null);
        return;
      }
      this.#fail(this.#channelError(code, signal));
    });
  }

  #channelError(code: number | null, signal: NodeJS.Signals | null): SshError {
    const {address, host} = this.endpoint;
    const how = signal ?? `exit ${code}`;
    const stderr = this.#stderr;
    if (code === 127) {
      return new SshError(address, 'no-engine', `the remote has no \`docker\` command (${how})`, {
        stderr,
        host,
      });
    }
    if (this.#bytesIn === 0 && code !== 255 && signal === null) {
      // dial-stdio ran but reached no engine (it exits 1: "Cannot connect to the Docker daemon").
      return new SshError(address, 'no-engine', `\`docker system dial-stdio\` failed (${how})`, {
        stderr,
        host,
      });
    }
    const failure = this.#bytesIn === 0 ? failureInStderr(stderr) : null;
    return new SshError(
      address,
      failure ?? 'dropped',
      `the ssh connection ended while in use (${how})`,
      {
        stderr: stderr === '' ? this.#master.stderr : stderr,
        host,
      },
    );
  }

  /** Podman form: a connection to the socket the master forwards to the remote engine's. */
  #attachForward(localSocket: string): void {
    const endpoint = this.endpoint;
    const socket = net.connect({path: localSocket});
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => this.#onData(chunk, socket));
    let isEnded = false;
    const ended = (error: Error | null): void => {
      if (isEnded || this.destroyed) {
        return;
      }
      isEnded = true;
      const master = this.#master;
      const settle = (): void => {
        if (this.destroyed) {
          return;
        }
        if (!master.isAlive) {
          this.#fail(
            new SshError(endpoint.address, 'dropped', 'the ssh connection ended while in use', {
              stderr: master.stderr,
              host: endpoint.host,
            }),
          );
        } else if (this.#bytesIn === 0) {
          this.#fail(
            new SshError(
              endpoint.address,
              'no-engine',
              `the remote socket ${endpoint.remoteSocket} did not answer`,
              {
                stderr: master.stderr.split('\n').slice(-3).join('\n'),
                host: endpoint.host,
                fix: `check that the engine runs on ${endpoint.host} with its socket at ${endpoint.remoteSocket}, that this ssh user may open it (rootless Podman: \`systemctl --user enable --now podman.socket\`, socket /run/user/UID/podman/podman.sock), and that sshd allows forwarding`,
              },
            ),
          );
        } else if (error !== null) {
          this.#fail(error);
        } else {
          this.push(null);
        }
      };
      // The master ending closes its forwarded connections, and its own 'close' may come a
      // little after ours: wait for it briefly to tell a dropped connection from an engine's end.
      setTimeout(settle, master.isAlive ? 100 : 0);
    };
    socket.on('end', () => ended(null));
    socket.on('error', (error) => ended(error));
    socket.on('close', () => ended(null));
  }
}

/**
 * Opens an engine connection over ssh: a Duplex to use as a socket (node:http's
 * `createConnection`, or the engine client's own). The first one to a remote starts the ssh
 * master connection; later ones are channels on it. Errors (SshError) are emitted on it.
 */
export function connectSsh(endpoint: SshEndpoint): SshConnection {
  return new SshConnection(endpoint);
}

/** What runOverSsh's command did. */
export interface SshCommandResult {
  /** The remote command's exit code; null when it ended by a signal. */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `argv` on the endpoint's remote over the same ssh master connection as the engine's
 * requests (started if need be), each argument quoted for the remote's POSIX shell. Resolves
 * with the command's exit code and output (127: no such command there). Rejects with SshError
 * (ssh could not connect: `auth`, `host-key`, ...; `timeout` past `timeoutMs`; `dropped`),
 * ResponseTooLargeError past `maxStdoutBytes` (default 16 MiB), EngineRequestError `aborted`
 * when `signal` fires, and TypeError for an empty argv or a NUL byte in it.
 */
export function runOverSsh(
  endpoint: SshEndpoint,
  argv: readonly string[],
  options: {timeoutMs: number; signal?: AbortSignal; maxStdoutBytes?: number},
): Promise<SshCommandResult> {
  if (argv.length === 0) {
    return Promise.reject(new TypeError('runOverSsh needs a command'));
  }
  let command: string;
  try {
    command = argv.map((word) => quoteForRemoteShell(word)).join(' ');
  } catch (error) {
    return Promise.reject(error);
  }
  const maxStdoutBytes = options.maxStdoutBytes ?? defaultMaxStdoutBytes;
  const {address, host} = endpoint;
  return new Promise((resolve, reject) => {
    let child: ChildProcess | null = null;
    let isDone = false;
    const master = masterFor(endpoint);
    const finish = (error: Error | null, result?: SshCommandResult): void => {
      if (isDone) {
        return;
      }
      isDone = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      cancelWait();
      if (child !== null && child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
      }
      if (error === null) {
        resolve(result as SshCommandResult);
      } else {
        reject(error);
      }
    };
    const onAbort = (): void => {
      finish(
        new EngineRequestError(address, 'aborted', 'remote command aborted', {
          cause: options.signal?.reason,
        }),
      );
    };
    const timer = setTimeout(() => {
      finish(
        new SshError(
          address,
          'timeout',
          `no end of the remote command within ${options.timeoutMs} ms`,
          {
            stderr: master.isReady ? '' : master.stderr,
            host,
          },
        ),
      );
    }, options.timeoutMs);
    if (options.signal?.aborted) {
      onAbort();
      return;
    }
    options.signal?.addEventListener('abort', onAbort, {once: true});
    const cancelWait = master.whenReady((masterError) => {
      if (isDone) {
        return;
      }
      if (masterError !== null) {
        finish(masterError);
        return;
      }
      child = spawn('ssh', channelArgs(master.controlPath, endpoint, command), {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const stdout: Buffer[] = [];
      let stdoutBytes = 0;
      let stderr = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        stdoutBytes += chunk.length;
        if (stdoutBytes > maxStdoutBytes) {
          finish(new ResponseTooLargeError(address, 'body', maxStdoutBytes));
          return;
        }
        stdout.push(chunk);
      });
      child.stderr?.on('data', (chunk: Buffer) => {
        stderr = appendCapped(stderr, chunk);
      });
      child.on('error', (error) => {
        finish(
          new SshError(address, 'no-ssh', `ssh did not start: ${error.message}`, {
            cause: error,
            host,
          }),
        );
      });
      child.on('close', (code: number | null) => {
        if (code === 255 && !master.isAlive) {
          finish(
            new SshError(address, 'dropped', 'the ssh connection ended while the command ran', {
              stderr: stderr === '' ? master.stderr : stderr,
              host,
            }),
          );
          return;
        }
        finish(null, {code, stdout: Buffer.concat(stdout).toString('utf8'), stderr});
      });
    });
  });
}
