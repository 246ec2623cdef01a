import {readdirSync, readFileSync, readlinkSync, statSync} from 'node:fs';
import {type HostSocket, listHostSockets} from './proc-net.js';
import {
  parseBootTime,
  parseCmdline,
  parsePasswd,
  parseProcStat,
  parseSocketLink,
  parseStatusUid,
} from './proc-process.js';

/** A process that holds a listening socket. */
export interface HostProcess {
  readonly pid: number;
  /** Kernel process name (comm). */
  readonly name: string;
  readonly ppid: number;
  /** Real uid, or null when /proc/PID/status could not be read. */
  readonly uid: number | null;
  /** User name for the uid (from /etc/passwd), else the uid as text, else null. */
  readonly user: string | null;
  /** Start time in Unix seconds, or null. */
  readonly startedAt: number | null;
  /** Command line; empty for kernel threads or when unreadable. */
  readonly argv: readonly string[];
}

/** A listening socket and every process that holds it (sorted pids; empty when none could be seen). */
export interface HostListener extends HostSocket {
  readonly pids: readonly number[];
}

/** One scan of the host. */
export interface HostScan {
  readonly listeners: readonly HostListener[];
  /** The owning processes, by pid. */
  readonly processes: ReadonlyMap<number, HostProcess>;
  /** Processes whose fds could not be read (another user's, when not root). */
  readonly unreadableProcesses: number;
  /** True when every process's fds were read this time (first scan, new sockets, or the periodic check). */
  readonly fullScan: boolean;
  /** Wall time of the scan in milliseconds. */
  readonly durationMs: number;
}

/** Options of HostScanner. */
export interface HostScannerOptions {
  /** Where procfs is mounted. Default: '/proc'. */
  readonly procRoot?: string;
  /** The passwd file for user names. Default: '/etc/passwd'. */
  readonly passwdPath?: string;
  /** Read every process's fds at least every this many scans, to catch sockets passed between processes. Default: 15. */
  readonly fullScanEvery?: number;
  /** Longest stretch of synchronous /proc reads before yielding to the event loop, in ms. Default: 4. */
  readonly sliceMs?: number;
}

/** Clock ticks per second of /proc/PID/stat times: USER_HZ, 100 on every Linux architecture Node runs on. */
const clockTicksPerSecond = 100;

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

interface CachedProcess {
  readonly startTicks: number;
  readonly uid: number | null;
  readonly argv: readonly string[];
}

/**
 * Scans listening sockets and their owner processes from /proc, keeping what it learnt for the
 * next scan. Reads are synchronous (a readlink costs microseconds; the thread pool would cost
 * more) but cut into slices of `sliceMs`, yielding between them, so the event loop never
 * stalls. A steady-state scan reads the socket tables, lists /proc, and reads the fds of new
 * processes only; a socket inode it has not seen yet (a new listener, in a new or an old
 * process) triggers a full fd scan, so no listener is missed.
 */
export class HostScanner {
  readonly #procRoot: string;
  readonly #passwdPath: string;
  readonly #fullScanEvery: number;
  readonly #sliceMs: number;
  /** Owner pids of each listening socket inode seen so far. */
  #owners = new Map<number, number[]>();
  #knownPids = new Set<number>();
  #scansSinceFull = 0;
  #processCache = new Map<number, CachedProcess>();
  #bootTime: number | undefined;
  #users: {mtimeMs: number; users: Map<number, {name: string; home: string}>} | undefined;

  constructor(options: HostScannerOptions = {}) {
    this.#procRoot = options.procRoot ?? '/proc';
    this.#passwdPath = options.passwdPath ?? '/etc/passwd';
    this.#fullScanEvery = options.fullScanEvery ?? 15;
    this.#sliceMs = options.sliceMs ?? 4;
  }

  /** Scans the host. Rejects only when the socket tables cannot be read, or on abort. */
  async scan(options: {readonly signal?: AbortSignal} = {}): Promise<HostScan> {
    const started = performance.now();
    const sockets = await listHostSockets(this.#procRoot);
    const pids = this.#listPids();
    const inodes = new Set(sockets.map((socket) => socket.inode));
    const hasNewSocket = sockets.some((socket) => !this.#owners.has(socket.inode));
    const fullScan =
      this.#knownPids.size === 0 || hasNewSocket || this.#scansSinceFull + 1 >= this.#fullScanEvery;
    const livePids = new Set(pids);
    let unreadable = 0;
    if (fullScan) {
      const owners = new Map<number, number[]>();
      for (const inode of inodes) {
        owners.set(inode, []);
      }
      unreadable = await this.#readFds(pids, owners, options.signal);
      this.#owners = owners;
      this.#scansSinceFull = 0;
    } else {
      // Keep what is known, minus what is gone; read only the processes that are new.
      const owners = new Map<number, number[]>();
      for (const inode of inodes) {
        owners.set(
          inode,
          (this.#owners.get(inode) ?? []).filter((pid) => livePids.has(pid)),
        );
      }
      const newPids = pids.filter((pid) => !this.#knownPids.has(pid));
      unreadable = await this.#readFds(newPids, owners, options.signal);
      this.#owners = owners;
      this.#scansSinceFull++;
    }
    this.#knownPids = livePids;
    this.#refreshUsers();

    const processes = new Map<number, HostProcess>();
    const listeners: HostListener[] = [];
    for (const socket of sockets) {
      const pids = [...new Set(this.#owners.get(socket.inode) ?? [])].sort((a, b) => a - b);
      const alive = pids.filter((pid) => {
        if (!processes.has(pid)) {
          const info = this.#readProcess(pid);
          if (info !== undefined) {
            processes.set(pid, info);
          }
        }
        return processes.has(pid);
      });
      listeners.push({...socket, pids: alive});
    }
    for (const pid of this.#processCache.keys()) {
      if (!livePids.has(pid)) {
        this.#processCache.delete(pid);
      }
    }
    return {
      listeners,
      processes,
      unreadableProcesses: unreadable,
      fullScan,
      durationMs: performance.now() - started,
    };
  }

  #listPids(): number[] {
    const pids: number[] = [];
    for (const entry of readdirSync(this.#procRoot)) {
      const code = entry.charCodeAt(0);
      if (code >= 48 && code <= 57) {
        pids.push(Number(entry));
      }
    }
    return pids;
  }

  /** Reads the fd links of `pids`, adding each to the owners of the socket inodes it holds. */
  async #readFds(
    pids: readonly number[],
    owners: Map<number, number[]>,
    signal: AbortSignal | undefined,
  ): Promise<number> {
    let unreadable = 0;
    let sliceStart = performance.now();
    for (const pid of pids) {
      const dir = `${this.#procRoot}/${pid}/fd`;
      let fds: string[];
      try {
        fds = readdirSync(dir);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
          unreadable++;
        }
        continue;
      }
      for (const fd of fds) {
        let target: string;
        try {
          target = readlinkSync(`${dir}/${fd}`);
        } catch {
          continue; // closed meanwhile
        }
        const inode = parseSocketLink(target);
        if (inode !== undefined) {
          owners.get(inode)?.push(pid);
        }
        if (performance.now() - sliceStart >= this.#sliceMs) {
          await yieldToEventLoop();
          signal?.throwIfAborted();
          sliceStart = performance.now();
        }
      }
    }
    return unreadable;
  }

  #readProcess(pid: number): HostProcess | undefined {
    let stat: ReturnType<typeof parseProcStat>;
    try {
      stat = parseProcStat(readFileSync(`${this.#procRoot}/${pid}/stat`, 'utf8'));
    } catch {
      return undefined; // exited
    }
    if (stat === undefined) {
      return undefined;
    }
    let cached = this.#processCache.get(pid);
    if (cached === undefined || cached.startTicks !== stat.startTicks) {
      cached = {startTicks: stat.startTicks, uid: this.#readUid(pid), argv: this.#readArgv(pid)};
      this.#processCache.set(pid, cached);
    }
    const bootTime = this.#readBootTime();
    return {
      pid,
      name: stat.comm,
      ppid: stat.ppid,
      uid: cached.uid,
      user: cached.uid === null ? null : (this.#userName(cached.uid) ?? String(cached.uid)),
      startedAt: bootTime === undefined ? null : bootTime + stat.startTicks / clockTicksPerSecond,
      argv: cached.argv,
    };
  }

  #readUid(pid: number): number | null {
    try {
      return parseStatusUid(readFileSync(`${this.#procRoot}/${pid}/status`, 'utf8')) ?? null;
    } catch {
      return null;
    }
  }

  #readArgv(pid: number): string[] {
    try {
      return parseCmdline(readFileSync(`${this.#procRoot}/${pid}/cmdline`, 'utf8'));
    } catch {
      return [];
    }
  }

  #readBootTime(): number | undefined {
    if (this.#bootTime === undefined) {
      try {
        this.#bootTime = parseBootTime(readFileSync(`${this.#procRoot}/stat`, 'utf8'));
      } catch {
        return undefined;
      }
    }
    return this.#bootTime;
  }

  /** Reads /etc/passwd again when it changed since the last scan. */
  #refreshUsers(): void {
    try {
      const {mtimeMs} = statSync(this.#passwdPath);
      if (this.#users?.mtimeMs !== mtimeMs) {
        this.#users = {mtimeMs, users: parsePasswd(readFileSync(this.#passwdPath, 'utf8'))};
      }
    } catch {
      this.#users = undefined;
    }
  }

  #userName(uid: number): string | undefined {
    return this.#users?.users.get(uid)?.name;
  }
}

/** One scan with a fresh scanner (a full fd scan). */
export function scanHost(
  options: HostScannerOptions & {readonly signal?: AbortSignal} = {},
): Promise<HostScan> {
  return new HostScanner(options).scan({signal: options.signal});
}
