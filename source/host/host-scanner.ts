import {readFileSync, statSync} from 'node:fs';
import {readdir, readFile} from 'node:fs/promises';
import type {Protocol} from '../model/container-info.js';
import {sharedFdScanner} from './fd-scan.js';
import {
  type HostSocket,
  isLittleEndianHost,
  parseProcNet,
  readSocketTable,
  socketTables,
} from './proc-net.js';
import {
  parseBootTime,
  parseCmdline,
  parsePasswd,
  parseProcStat,
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
  /**
   * Start time in clock ticks after boot (field 22 of /proc/PID/stat): with the pid, it names
   * this process and no later one that reuses the pid.
   */
  readonly startTicks: number;
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
  /**
   * Read every process's fds again after this many ms, to catch sockets passed between
   * processes (nothing else makes a known socket change hands). Default: 60000.
   */
  readonly fullScanEveryMs?: number;
  /** Longest stretch of synchronous /proc reads before yielding to the event loop, in ms. Default: 4. */
  readonly sliceMs?: number;
}

/** Clock ticks per second of /proc/PID/stat times: USER_HZ, 100 on every Linux architecture Node runs on. */
const clockTicksPerSecond = 100;

const noPids: readonly number[] = [];

/** Whether a listener of the last scan still describes this socket held by these owners. */
function isSameListener(
  known: HostListener,
  socket: HostSocket,
  owners: readonly number[],
): boolean {
  if (
    known.port !== socket.port ||
    known.address !== socket.address ||
    known.protocol !== socket.protocol ||
    known.pids.length !== owners.length
  ) {
    return false;
  }
  return owners.every((pid) => known.pids.includes(pid));
}

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
  readonly #fullScanEveryMs: number;
  #lastFullScanAt = 0;
  readonly #sliceMs: number;
  /** Owner pids of each listening socket inode seen so far. */
  #owners = new Map<number, number[]>();
  #knownPids = new Set<number>();
  #unreadablePids = new Set<number>();
  #tables = new Map<string, {text: string; sockets: HostSocket[]}>();
  #listeners = new Map<number, HostListener>();
  #last: HostScan | undefined;
  readonly #fdScanner = sharedFdScanner;
  #processCache = new Map<number, CachedProcess>();
  #bootTime: number | undefined;
  #users: {mtimeMs: number; users: Map<number, {name: string; home: string}>} | undefined;

  constructor(options: HostScannerOptions = {}) {
    this.#procRoot = options.procRoot ?? '/proc';
    this.#passwdPath = options.passwdPath ?? '/etc/passwd';
    this.#fullScanEveryMs = options.fullScanEveryMs ?? 60_000;
    this.#sliceMs = options.sliceMs ?? 4;
  }

  /** Scans the host. Rejects only when the socket tables cannot be read, or on abort. */
  async scan(options: {readonly signal?: AbortSignal} = {}): Promise<HostScan> {
    const started = performance.now();
    const {sockets, changed} = await this.#readSocketTables();
    const pids = await this.#listPids();
    const livePids = new Set(pids);
    const newPids = pids.filter((pid) => !this.#knownPids.has(pid));
    const lostPid = pids.length - newPids.length !== this.#knownPids.size;
    const hasNewSocket = changed && sockets.some((socket) => !this.#owners.has(socket.inode));
    const fullScan =
      this.#knownPids.size === 0 ||
      hasNewSocket ||
      performance.now() - this.#lastFullScanAt >= this.#fullScanEveryMs;
    const last = this.#last;
    if (
      !fullScan &&
      last !== undefined &&
      newPids.length === 0 &&
      !lostPid &&
      last.listeners.length === sockets.length &&
      last.listeners.every((listener, index) => listener.inode === sockets[index]?.inode)
    ) {
      // Same listeners, same processes: nothing to read again (uptimes follow from startedAt).
      return {...last, fullScan: false, durationMs: performance.now() - started};
    }
    if (fullScan) {
      const owners = new Map<number, number[]>();
      for (const socket of sockets) {
        owners.set(socket.inode, []);
      }
      this.#unreadablePids = new Set();
      await this.#readFds(pids, owners, options.signal);
      this.#owners = owners;
      this.#lastFullScanAt = performance.now();
    } else if (changed || lostPid || newPids.length > 0) {
      // Keep what is known, minus what is gone; read only the processes that are new
      // (a fork inherits its parent's sockets).
      const owners = new Map<number, number[]>();
      for (const socket of sockets) {
        const known = this.#owners.get(socket.inode);
        const isLive = (pid: number): boolean => livePids.has(pid);
        owners.set(
          socket.inode,
          known === undefined ? [] : known.every(isLive) ? known : known.filter(isLive),
        );
      }
      for (const pid of this.#unreadablePids) {
        if (!livePids.has(pid)) {
          this.#unreadablePids.delete(pid);
        }
      }
      await this.#readFds(newPids, owners, options.signal);
      this.#owners = owners;
    } else {
    }
    this.#knownPids = livePids;
    this.#refreshUsers();

    const processes = new Map<number, HostProcess>();
    const ownerPids = new Set<number>();
    for (const socket of sockets) {
      for (const pid of this.#owners.get(socket.inode) ?? noPids) {
        ownerPids.add(pid);
      }
    }
    await Promise.all(
      [...ownerPids].map(async (pid) => {
        const info = await this.#readProcess(pid);
        if (info !== undefined) {
          processes.set(pid, info);
        }
      }),
    );
    const listeners: HostListener[] = [];
    const previous = this.#listeners;
    this.#listeners = new Map();
    let sliceStart = performance.now();
    for (const socket of sockets) {
      const owners = this.#owners.get(socket.inode) ?? noPids;
      const allAlive = owners.every((pid) => processes.has(pid));
      // Reuse last scan's object when nothing about the socket changed: a steady host
      // then allocates almost nothing per scan.
      const known = previous.get(socket.inode);
      const listener =
        known !== undefined && allAlive && isSameListener(known, socket, owners)
          ? known
          : {...socket, pids: owners.filter((pid) => processes.has(pid)).sort((a, b) => a - b)};
      this.#listeners.set(socket.inode, listener);
      listeners.push(listener);
      if (performance.now() - sliceStart >= this.#sliceMs) {
        await yieldToEventLoop();
        options.signal?.throwIfAborted();
        sliceStart = performance.now();
      }
    }
    for (const pid of this.#processCache.keys()) {
      if (!livePids.has(pid)) {
        this.#processCache.delete(pid);
      }
    }
    this.#last = {
      listeners,
      processes,
      unreadableProcesses: this.#unreadablePids.size,
      fullScan,
      durationMs: performance.now() - started,
    };
    return this.#last;
  }

  /**
   * parseProcNet over a large table, a few hundred rows at a time, yielding between slices:
   * before the JIT warms up, one pass over 2,000 rows would hold the event loop for 30 ms.
   */
  async #parseInSlices(text: string, protocol: Protocol, family: 4 | 6): Promise<HostSocket[]> {
    const sockets: HostSocket[] = [];
    let sliceStart = performance.now();
    let offset = 0;
    while (offset < text.length) {
      let end = offset;
      for (let rows = 0; rows < 200 && end !== -1 && end < text.length; rows++) {
        end = text.indexOf('\n', end + 1);
      }
      const stop = end === -1 ? text.length : end + 1;
      for (const socket of parseProcNet(
        text.slice(offset, stop),
        protocol,
        family,
        isLittleEndianHost,
      )) {
        sockets.push(socket);
      }
      offset = stop;
      if (performance.now() - sliceStart >= this.#sliceMs) {
        await yieldToEventLoop();
        sliceStart = performance.now();
      }
    }
    return sockets;
  }

  /** The four socket tables; a table whose text did not change keeps its parsed sockets. */
  async #readSocketTables(): Promise<{sockets: HostSocket[]; changed: boolean}> {
    let changed = false;
    const parts = await Promise.all(
      socketTables.map(async ({file, protocol, family}) => {
        const text = await readSocketTable(this.#procRoot, file);
        const cached = this.#tables.get(file);
        if (cached !== undefined && cached.text === text) {
          return cached.sockets;
        }
        changed = true;
        const sockets = await this.#parseInSlices(text, protocol, family);
        this.#tables.set(file, {text, sockets});
        return sockets;
      }),
    );
    return {sockets: parts.flat(), changed};
  }

  async #listPids(): Promise<number[]> {
    const pids: number[] = [];
    for (const entry of await readdir(this.#procRoot)) {
      const code = entry.charCodeAt(0);
      if (code >= 48 && code <= 57) {
        pids.push(Number(entry));
      }
    }
    return pids;
  }

  /** Reads the fd links of `pids` (in a worker), adding each to the owners of the sockets it holds. */
  async #readFds(
    pids: readonly number[],
    owners: Map<number, number[]>,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const result = await this.#fdScanner.scan(this.#procRoot, pids, signal);
    for (const pid of result.unreadable) {
      this.#unreadablePids.add(pid);
    }
    for (const [pid, inodes] of result.sockets) {
      for (const inode of inodes) {
        owners.get(inode)?.push(pid);
      }
    }
  }

  async #readProcess(pid: number): Promise<HostProcess | undefined> {
    let stat: ReturnType<typeof parseProcStat>;
    try {
      stat = parseProcStat(await readFile(`${this.#procRoot}/${pid}/stat`, 'utf8'));
    } catch {
      return undefined; // exited
    }
    if (stat === undefined) {
      return undefined;
    }
    let cached = this.#processCache.get(pid);
    if (cached === undefined || cached.startTicks !== stat.startTicks) {
      const [uid, argv] = await Promise.all([this.#readUid(pid), this.#readArgv(pid)]);
      cached = {startTicks: stat.startTicks, uid, argv};
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
      startTicks: stat.startTicks,
      argv: cached.argv,
    };
  }

  async #readUid(pid: number): Promise<number | null> {
    try {
      return parseStatusUid(await readFile(`${this.#procRoot}/${pid}/status`, 'utf8')) ?? null;
    } catch {
      return null;
    }
  }

  async #readArgv(pid: number): Promise<string[]> {
    try {
      return parseCmdline(await readFile(`${this.#procRoot}/${pid}/cmdline`, 'utf8'));
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
