import {readFileSync, statSync} from 'node:fs';
import {readdir} from 'node:fs/promises';
import type {Protocol} from '../model/container-info.js';
import {isSameList} from '../model/same-list.js';
import {type FdPrefetch, type FdScanResult, sharedFdScanner} from './fd-scan.js';
import {
  type HostSocket,
  isLittleEndianHost,
  parseProcNet,
  readSocketTableUnlessSame,
  readSocketTableUnlessSameSync,
  socketTables,
} from './proc-net.js';
import {
  parseBootTime,
  parseCmdline,
  parsePasswd,
  parseProcStat,
  parseStatusUid,
} from './proc-process.js';
import {ProcReader, readProcFileSync} from './proc-read.js';

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
  /**
   * How long the socket tables may go unread while the kernel's socket counters stay put, in
   * ms. Default: 100 times the last read's cost, at least 5 s and at most 30 s.
   */
  readonly tablesMaxAgeMs?: number;
  /**
   * How often a parent with many fds is read again for a new child's new socket, in ms.
   * Default: 10000.
   */
  readonly parentReadEveryMs?: number;
  /** Longest stretch of synchronous /proc reads before yielding to the event loop, in ms. Default: 4. */
  readonly sliceMs?: number;
  /**
   * Read and parse the socket tables in one go, blocking the event loop (tens of milliseconds
   * on a host with 20,000 listeners): for a one-shot command with nothing else to run, where
   * it costs less than a thread-pool round trip per 4 KiB page that procfs hands out per
   * read. Default: false.
   */
  readonly blockingReads?: boolean;
}

/**
 * How old a prefetch of the fd worker may be for the first scan to take it: a socket that an
 * older process opened after its fds were read is found only at the next full scan, so the
 * reads must be of now (a one-shot command takes it within a few hundred milliseconds).
 */
const prefetchMaxAgeMs = 1000;

/** Clock ticks per second of /proc/PID/stat times: USER_HZ, 100 on every Linux architecture Node runs on. */
const clockTicksPerSecond = 100;

const noPids: readonly number[] = [];

/**
 * A process with more fds than this is not read again as the parent of every new process
 * holding a new socket (dockerd holds about 1,800 with 300 containers, and every container
 * start makes it a parent: 1.4 s of reads a minute under churn)…
 */
const cheapParentFds = 256;
/** …but at most this often, in ms (by default); a read put off is made at the first scan after it. */
const defaultParentReadEveryMs = 10_000;
/**
 * Such a parent found holding no listener is read half as often after each read, down to
 * once in this many ms: it has no listener to hand down. The full scan (every minute) reads
 * it anyway when its fd count moved.
 */
const maxParentReadEveryMs = 60_000;

/** Whether every socket of `sockets` has the same holders in `before` and `after`. */
function isSameOwners(
  before: ReadonlyMap<number, readonly number[]>,
  after: ReadonlyMap<number, readonly number[]>,
  sockets: readonly HostSocket[],
): boolean {
  for (const socket of sockets) {
    const a = before.get(socket.inode);
    const b = after.get(socket.inode);
    if (a === b) {
      continue;
    }
    if (a === undefined || b === undefined || a.length !== b.length) {
      return false;
    }
    if (!a.every((pid) => b.includes(pid))) {
      return false;
    }
  }
  return true;
}

/** Whether `listeners` and `processes` are the very objects of `last`, in the same order. */
function isSameScan(
  last: HostScan,
  listeners: readonly HostListener[],
  processes: ReadonlyMap<number, HostProcess>,
): boolean {
  if (last.processes.size !== processes.size || !isSameList(last.listeners, listeners)) {
    return false;
  }
  for (const [pid, process] of processes) {
    if (last.processes.get(pid) !== process) {
      return false;
    }
  }
  return true;
}

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

/**
 * While the kernel's socket counters stay put, the socket tables are read again after this
 * many times their last read's cost (a read then costs at most 0.5 % of a core: at 19,900
 * listeners, one read of 3 MB every 14 s; at 1 % they were a third of the idle cost there)…
 */
const readAgeFactor = 200;
/**
 * …but not sooner than this, in ms (on a small host a read costs a few ms: reading at every
 * 1 s tick cost 0.5 % of a core with 300 containers, for a change that no count, process or
 * engine event announced)…
 */
const readAgeFloorMs = 5000;
/** …and never later than this, in ms. */
const readAgeLimitMs = 30_000;

/** Tables whose last read took at most this long (ms) are read again for a new process. */
const cheapTablesMs = 20;
/**
 * A socket table of at most this many bytes at its last read is read synchronously: the four
 * tables of 300 containers (100 KB) block for about 3 ms, and read asynchronously (a file
 * handle, a thread-pool trip per 4 KiB) they cost the process 4.3-4.8 ms of CPU against
 * 2.4-2.8 ms; churn reads them at every refresh. A larger one (20,000 sockets: 3 MB, 40-70
 * ms) is read without blocking the keys.
 */
const syncTableBytes = 256 * 1024;

/**
 * Every process's fds are read at least this often, in ms; the full scans between read only
 * the processes whose fd count moved (a socket passed between processes moves both counts,
 * unless each also closed another fd since).
 */
const fdReadAllEveryMs = 600_000;

/**
 * fds read in the first batch of a search for a new socket's holder among older processes;
 * each batch after reads twice as many, up to lastSearchBatchFds.
 */
const firstSearchBatchFds = 128;
const lastSearchBatchFds = 2000;

/**
 * The kernel's counts of TCP and UDP sockets in use (IPv4 and IPv6) as one string, or
 * undefined when /proc/net/sockstat cannot be read. A listener opened or closed moves them.
 */
function readSocketCounters(procRoot: string): string | undefined {
  try {
    const text = `${readProcFileSync(`${procRoot}/net/sockstat`, 'latin1')}${readSockstat6(procRoot)}`;
    let counters = '';
    for (const match of text.matchAll(/^(TCP6?|UDP6?): inuse (\d+)/gm)) {
      counters += `${match[1]}=${match[2]} `;
    }
    return counters === '' ? undefined : counters;
  } catch {
    return undefined;
  }
}

/**
 * The kernel's count of tasks and the last pid it gave out (/proc/loadavg, fields 4 and 5),
 * as one string, or undefined when unreadable. A process or thread made moves the last pid;
 * one that ended (with none made) moves the count: the same cue, the same set of processes.
 */
function readTaskCue(procRoot: string): string | undefined {
  try {
    const fields = readProcFileSync(`${procRoot}/loadavg`, 'latin1').trim().split(' ');
    const tasks = fields[3]?.split('/')[1];
    const lastPid = fields[4];
    return tasks === undefined || lastPid === undefined ? undefined : `${tasks} ${lastPid}`;
  } catch {
    return undefined;
  }
}

function readSockstat6(procRoot: string): string {
  try {
    return readProcFileSync(`${procRoot}/net/sockstat6`, 'latin1');
  } catch {
    return ''; // IPv6 disabled
  }
}

/** Whether two parses of a table found the same sockets (each inode names one socket). */
function isSameSockets(a: readonly HostSocket[], b: readonly HostSocket[]): boolean {
  return a.length === b.length && a.every((socket, index) => socket.inode === b[index]?.inode);
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

interface CachedProcess {
  readonly startTicks: number;
  readonly uid: number | null;
  readonly argv: readonly string[];
  /** The last HostProcess made of it, reused while its name and parent stay the same. */
  shown: HostProcess | undefined;
}

/**
 * Scans listening sockets and their owner processes from /proc, keeping what it learnt for the
 * next scan, so that a scan costs what changed, not what there is. fd links are read in a
 * worker thread; the rest is read synchronously in slices of `sliceMs`, yielding between
 * them, so the event loop never stalls.
 *
 * A steady-state scan reads the kernel's socket counters, lists /proc, and reads the fds of
 * new processes only; when nothing that holds a listener changed it hands back the last
 * scan's objects. The socket tables are read when the counters moved (and now and then
 * regardless, see #readSocketTables). A socket inode not seen before is looked for in the new
 * processes, their parents, the processes started since the listing, and then in the older
 * processes, the latest started first (then fewest fds), until it has a holder. Every
 * `fullScanEveryMs` the processes whose fd count moved are read again (every process every 10
 * minutes), for sockets passed between processes.
 */
export class HostScanner {
  readonly #procRoot: string;
  readonly #passwdPath: string;
  readonly #fullScanEveryMs: number;
  #lastFullScanAt = 0;
  #lastReadAllAt = 0;
  readonly #sliceMs: number;
  readonly #tablesMaxAgeMs: number | undefined;
  readonly #blockingReads: boolean;
  /** Owner pids of each listening socket inode seen so far. */
  #owners = new Map<number, readonly number[]>();
  #knownPids = new Set<number>();
  /** When each process was first listed (ms), for processes listed after the first scan. */
  #seenAt = new Map<number, number>();
  #unreadablePids = new Set<number>();
  /** Each table's parsed sockets (its reader tells an unchanged table: #tableReaders). */
  #tables = new Map<string, HostSocket[]>();
  /** One reader per table, keeping its last bytes to tell an unchanged table at once. */
  readonly #tableReaders = new Map<string, ProcReader>();
  /** The sockets of the last table read, and when it was done, its cost and the counters then. */
  #sockets: HostSocket[] | undefined;
  #tablesReadAt = 0;
  #tablesReadMs = 0;
  #counters: string | undefined;
  #listeners = new Map<number, HostListener>();
  #last: HostScan | undefined;
  readonly #fdScanner = sharedFdScanner;
  #processCache = new Map<number, CachedProcess>();
  /** How many fds each process had when its fds were last read. */
  #fdCounts = new Map<number, number>();
  /**
   * When each process was last read as the parent of a new socket's holder (ms), and, for a
   * parent with many fds, how often it is read now (#noteParentRead; absent: the default).
   */
  #parentReads = new Map<number, {at: number; everyMs?: number}>();
  /** Parents whose read was put off (cheapParentFds), read once parentReadEveryMs has passed. */
  #owedParents = new Set<number>();
  /** The last listing of /proc and the task cue it was made under (readTaskCue). */
  #listing: {readonly cue: string; readonly pids: number[]} | undefined;
  readonly #parentReadEveryMs: number;
  #bootTime: number | undefined;
  #users: {mtimeMs: number; users: Map<number, {name: string; home: string}>} | undefined;

  constructor(options: HostScannerOptions = {}) {
    this.#procRoot = options.procRoot ?? '/proc';
    this.#passwdPath = options.passwdPath ?? '/etc/passwd';
    this.#fullScanEveryMs = options.fullScanEveryMs ?? 60_000;
    this.#sliceMs = options.sliceMs ?? 4;
    this.#tablesMaxAgeMs = options.tablesMaxAgeMs;
    this.#parentReadEveryMs = options.parentReadEveryMs ?? defaultParentReadEveryMs;
    this.#blockingReads = options.blockingReads ?? false;
  }

  /**
   * Scans the host. Rejects only when the socket tables cannot be read, or on abort.
   * `fresh`: read the socket tables now, whatever the read budget says (after an action or an
   * engine event, when a change is expected).
   */
  async scan(
    options: {readonly signal?: AbortSignal; readonly fresh?: boolean} = {},
  ): Promise<HostScan> {
    const started = performance.now();
    const signal = options.signal;
    const isFirst = this.#knownPids.size === 0;
    // The first scan reads every process's fds whatever the tables say: the worker may have
    // begun that already (FdScanner.prefetch, while the program loaded); else start it now,
    // so the worker reads links while this thread reads and parses the tables.
    const prefetched = isFirst ? this.#takePrefetch(signal) : undefined;
    const listing =
      prefetched === undefined
        ? this.#listPids()
        : prefetched.then((prefetch) =>
            prefetch === undefined ? this.#listPids() : [...prefetch.pids],
          );
    const firstFds = isFirst
      ? (prefetched ?? Promise.resolve(undefined)).then(
          async (prefetch) =>
            prefetch?.result ?? this.#fdScanner.scan(this.#procRoot, await listing, signal),
        )
      : undefined;
    listing.catch(() => {}); // awaited below; a table failure must not leave it unhandled
    firstFds?.catch(() => {});
    // Later scans list the processes first: a new process is how a listener usually comes (a
    // service restarted), so it is a cue to read the tables, as the socket counts are.
    // Only while the tables are cheap to read: on a host with 20,000 listeners a read costs
    // 165 ms, and short-lived processes (a shell, a cron job) would have it read at every tick.
    const listed = isFirst ? undefined : await listing;
    const hasNewPid =
      this.#tablesReadMs <= cheapTablesMs &&
      (listed?.some((pid) => !this.#knownPids.has(pid)) ?? false);
    const {sockets, changed} = await this.#readSocketTables(
      isFirst || options.fresh === true || hasNewPid,
    );
    const pids = listed ?? (await listing);
    const livePids = new Set(pids);
    const newPids = pids.filter((pid) => !this.#knownPids.has(pid));
    const lostPid = pids.length - newPids.length !== this.#knownPids.size;
    let fullScan = isFirst || performance.now() - this.#lastFullScanAt >= this.#fullScanEveryMs;
    const last = this.#last;
    let ownersChanged = changed;
    // Parents whose read was put off (cheapParentFds) and is due now; a full scan reads all.
    const owed = fullScan ? [] : this.#takeOwedParentsDue(livePids);
    if (fullScan) {
      ownersChanged =
        (await this.#readAllOwners(sockets, pids, livePids, isFirst, firstFds, signal)) || changed;
    } else if (changed || lostPid || newPids.length > 0 || owed.length > 0) {
      const update = await this.#updateOwners(sockets, livePids, newPids, owed, changed, signal);
      ownersChanged = ownersChanged || update.ownersChanged;
      fullScan = fullScan || update.fullScan;
    }
    if (!isFirst && (newPids.length > 0 || livePids.size > pids.length)) {
      // The new processes, and those found late (started after the listing: #readLateHolders).
      const now = performance.now();
      for (const pid of livePids) {
        if (!this.#knownPids.has(pid) && !this.#seenAt.has(pid)) {
          this.#seenAt.set(pid, now);
        }
      }
    }
    if (lostPid) {
      for (const pid of this.#seenAt.keys()) {
        if (!livePids.has(pid)) {
          this.#seenAt.delete(pid);
        }
      }
    }
    this.#knownPids = livePids;
    if (!ownersChanged && !fullScan && last !== undefined) {
      // Same listeners, same owners (processes came and went, none holding a listener):
      // nothing to read again (uptimes follow from startedAt).
      return {
        ...last,
        unreadableProcesses: this.#unreadablePids.size,
        fullScan: false,
        durationMs: performance.now() - started,
      };
    }
    this.#refreshUsers();

    const processes = await this.#readOwnerProcesses(
      sockets,
      fullScan ? undefined : last?.processes,
      signal,
    );
    const listeners = await this.#makeListeners(sockets, processes, signal);
    for (const pid of this.#processCache.keys()) {
      if (!livePids.has(pid)) {
        this.#processCache.delete(pid);
      }
    }
    for (const pid of this.#fdCounts.keys()) {
      if (!livePids.has(pid)) {
        this.#fdCounts.delete(pid);
      }
    }
    for (const pid of this.#parentReads.keys()) {
      if (!livePids.has(pid)) {
        this.#parentReads.delete(pid);
      }
    }
    if (last !== undefined && isSameScan(last, listeners, processes)) {
      // A full scan that found what the last one did (the same objects, reused above): the
      // last scan's lists, so that nothing downstream is joined again.
      return {
        ...last,
        unreadableProcesses: this.#unreadablePids.size,
        fullScan,
        durationMs: performance.now() - started,
      };
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

  /**
   * A full scan's owners: every process's fds read (or, between two reads of all, only those
   * whose fd count moved), and the late holders. True when the owners changed.
   */
  async #readAllOwners(
    sockets: readonly HostSocket[],
    pids: readonly number[],
    livePids: Set<number>,
    isFirst: boolean,
    firstFds: Promise<FdScanResult | undefined> | undefined,
    signal: AbortSignal | undefined,
  ): Promise<boolean> {
    const owners = new Map<number, readonly number[]>();
    for (const socket of sockets) {
      owners.set(socket.inode, noPids);
    }
    this.#unreadablePids = new Set();
    // Every process is read at the first scan and every fdReadAllEveryMs; between, a
    // process with as many fds as at its last read is taken to hold what it held then.
    const readAll = isFirst || performance.now() - this.#lastReadAllAt >= fdReadAllEveryMs;
    const result =
      (await firstFds) ??
      (await this.#fdScanner.scan(
        this.#procRoot,
        pids,
        signal,
        readAll ? undefined : this.#fdCounts,
      ));
    const lastCounts = this.#fdCounts;
    this.#fdCounts = new Map();
    this.#owedParents.clear();
    this.#noteFdCounts(result);
    this.#addOwners(result, owners);
    if (result.unchanged.length > 0) {
      this.#keepOwners(result.unchanged, lastCounts, owners);
    }
    for (const pid of (await this.#readLateHolders(owners, livePids, signal)).late) {
      livePids.add(pid);
    }
    const ownersChanged = !isSameOwners(this.#owners, owners, sockets);
    this.#owners = owners;
    this.#lastFullScanAt = performance.now();
    if (readAll) {
      this.#lastReadAllAt = this.#lastFullScanAt;
    }
    return ownersChanged;
  }

  /**
   * The owners between full scans: what is known, minus what is gone, plus what the new
   * processes and due parents hold, and the holders of new sockets (#findNewOwners).
   * `fullScan`: true when that search read every process.
   */
  async #updateOwners(
    sockets: readonly HostSocket[],
    livePids: ReadonlySet<number>,
    newPids: readonly number[],
    owed: readonly number[],
    changed: boolean,
    signal: AbortSignal | undefined,
  ): Promise<{ownersChanged: boolean; fullScan: boolean}> {
    let ownersChanged = false;
    let fullScan = false;
    // Keep what is known, minus what is gone; read only the processes that are new
    // (a fork inherits its parent's sockets).
    const owners = new Map<number, readonly number[]>();
    const isLive = (pid: number): boolean => livePids.has(pid);
    for (const socket of sockets) {
      const known = this.#owners.get(socket.inode);
      if (known === undefined) {
        owners.set(socket.inode, noPids);
      } else if (known.every(isLive)) {
        owners.set(socket.inode, known);
      } else {
        owners.set(socket.inode, known.filter(isLive));
        ownersChanged = true;
      }
    }
    for (const pid of this.#unreadablePids) {
      if (!livePids.has(pid)) {
        this.#unreadablePids.delete(pid);
      }
    }
    const result = await this.#fdScanner.scan(this.#procRoot, newPids, signal);
    this.#noteFdCounts(result);
    if (this.#addOwners(result, owners)) {
      ownersChanged = true;
    }
    if (owed.length > 0) {
      const parents = await this.#fdScanner.scan(this.#procRoot, owed, signal);
      this.#noteFdCounts(parents);
      if (this.#addOwners(parents, owners)) {
        ownersChanged = true;
      }
      for (const pid of owed) {
        this.#noteParentRead(pid, parents, owners);
      }
    }
    if (changed) {
      const search = await this.#findNewOwners(sockets, owners, newPids, result, signal);
      if (search.addedOwner) {
        ownersChanged = true;
      }
      if (search.readAll) {
        fullScan = true;
        this.#lastFullScanAt = performance.now();
      }
    }
    this.#owners = owners;
    return {ownersChanged, fullScan};
  }

  /**
   * The processes holding `sockets`: a holder already known (`known`: the last scan's, none
   * at a full scan, when names and parents may have changed) and still listed is the same
   * process (its sockets would have gone with it); only new holders are read. In slices of
   * sliceMs.
   */
  async #readOwnerProcesses(
    sockets: readonly HostSocket[],
    known: ReadonlyMap<number, HostProcess> | undefined,
    signal: AbortSignal | undefined,
  ): Promise<Map<number, HostProcess>> {
    const processes = new Map<number, HostProcess>();
    const ownerPids = new Set<number>();
    for (const socket of sockets) {
      for (const pid of this.#owners.get(socket.inode) ?? noPids) {
        ownerPids.add(pid);
      }
    }
    let sliceStart = performance.now();
    for (const pid of ownerPids) {
      const info = known?.get(pid) ?? this.#readProcess(pid);
      if (info !== undefined) {
        processes.set(pid, info);
      }
      if (performance.now() - sliceStart >= this.#sliceMs) {
        await yieldToEventLoop();
        signal?.throwIfAborted();
        sliceStart = performance.now();
      }
    }
    return processes;
  }

  /**
   * A listener per socket, with its live holders; last scan's object where nothing about the
   * socket changed (a steady host then allocates almost nothing per scan). In slices.
   */
  async #makeListeners(
    sockets: readonly HostSocket[],
    processes: ReadonlyMap<number, HostProcess>,
    signal: AbortSignal | undefined,
  ): Promise<HostListener[]> {
    let sliceStart = performance.now();
    const listeners: HostListener[] = [];
    const previous = this.#listeners;
    this.#listeners = new Map();
    for (let index = 0; index < sockets.length; index++) {
      const socket = sockets[index] as HostSocket;
      const owners = this.#owners.get(socket.inode) ?? noPids;
      const allAlive = owners.every((pid) => processes.has(pid));
      // Reuse last scan's object when nothing about the socket changed: a steady host
      // then allocates almost nothing per scan.
      const known = previous.get(socket.inode);
      let listener: HostListener;
      if (known !== undefined && allAlive && isSameListener(known, socket, owners)) {
        listener = known;
      } else {
        const pids =
          allAlive && owners.length <= 1
            ? owners
            : owners.filter((pid) => processes.has(pid)).sort((a, b) => a - b);
        listener = {
          protocol: socket.protocol,
          family: socket.family,
          address: socket.address,
          port: socket.port,
          inode: socket.inode,
          uid: socket.uid,
          pids,
        };
      }
      this.#listeners.set(socket.inode, listener);
      listeners.push(listener);
      // The clock every 256 sockets: reading it costs more than a step of this loop.
      if ((index & 255) === 255 && performance.now() - sliceStart >= this.#sliceMs) {
        await yieldToEventLoop();
        signal?.throwIfAborted();
        sliceStart = performance.now();
      }
    }
    return listeners;
  }

  /**
   * The four socket tables; a table whose text did not change keeps its parsed sockets.
   *
   * Reading them costs kernel time in proportion to the sockets (64 ms for 20,000 listeners
   * here), so they are read when the kernel's counts of sockets in use (/proc/net/sockstat and
   * sockstat6, per protocol) moved since the last read, which a listener opened or closed does;
   * when a new process appeared (the scan passes that cue as `fresh`); and, with the counts
   * unchanged, once `readAgeFactor` times the last read's cost has passed (between
   * readAgeFloorMs and readAgeLimitMs), since a listener closed and another opened by the
   * same processes between two scans leave the counts where they were. `fresh` reads them now.
   */
  async #readSocketTables(fresh: boolean): Promise<{sockets: HostSocket[]; changed: boolean}> {
    const counters = readSocketCounters(this.#procRoot);
    const sinceRead = performance.now() - this.#tablesReadAt;
    const due =
      fresh ||
      counters === undefined ||
      counters !== this.#counters ||
      sinceRead >=
        (this.#tablesMaxAgeMs ??
          Math.min(readAgeLimitMs, Math.max(readAgeFloorMs, this.#tablesReadMs * readAgeFactor)));
    if (!due && this.#sockets !== undefined) {
      return {sockets: this.#sockets, changed: false};
    }
    const started = performance.now();
    let changed = false;
    const parts = await Promise.all(
      socketTables.map(async ({file, protocol, family}) => {
        const cached = this.#tables.get(file);
        // One-shot commands read synchronously (nothing else to run); the dashboard reads a
        // small table synchronously (syncTableBytes) and a large one without blocking.
        const blocking = this.#blockingReads;
        let reader = this.#tableReaders.get(file);
        if (reader === undefined) {
          reader = new ProcReader();
          this.#tableReaders.set(file, reader);
        }
        // Nothing cached (a first read, or one whose scan was aborted): read it anew.
        const force = cached === undefined;
        const text =
          blocking || (reader.lastLength > 0 && reader.lastLength <= syncTableBytes)
            ? readSocketTableUnlessSameSync(this.#procRoot, file, reader, force)
            : await readSocketTableUnlessSame(this.#procRoot, file, reader, force);
        if (cached !== undefined && text === undefined) {
          return cached;
        }
        if (text === undefined) {
          // Cannot be: with nothing cached the reader reads anew (force).
          throw new Error(`socket table ${file} was not read`);
        }
        const sockets = blocking
          ? parseProcNet(text, protocol, family, isLittleEndianHost)
          : await this.#parseInSlices(text, protocol, family);
        if (cached !== undefined && isSameSockets(cached, sockets)) {
          // Connections came and went; the listening sockets are the same.
          return cached;
        }
        changed = true;
        this.#tables.set(file, sockets);
        return sockets;
      }),
    );
    this.#tablesReadAt = performance.now();
    this.#tablesReadMs = this.#tablesReadAt - started;
    this.#counters = counters;
    if (changed || this.#sockets === undefined) {
      this.#sockets = parts.flat();
    }
    return {sockets: this.#sockets, changed};
  }

  /**
   * The prefetch of this procRoot the fd worker began (FdScanner.prefetch), if any and
   * recent; undefined (and a scan of its own) when there is none or it failed.
   */
  #takePrefetch(signal: AbortSignal | undefined): Promise<FdPrefetch | undefined> | undefined {
    return this.#fdScanner
      .takePrefetch(this.#procRoot, prefetchMaxAgeMs, signal)
      ?.catch(() => undefined);
  }

  /**
   * Sockets with no holder yet (after a full read, or a new socket's search) may be held by a process that started after
   * the processes were listed (and bound its socket before the tables were read: docker-proxy
   * does, within milliseconds of a container start; the listing may be a prefetch from while
   * the program loaded): lists them again and reads the ones not read yet. Returns their pids.
   */
  async #readLateHolders(
    owners: Map<number, readonly number[]>,
    read: ReadonlySet<number>,
    signal: AbortSignal | undefined,
  ): Promise<{late: number[]; addedOwner: boolean}> {
    let unowned = false;
    for (const holders of owners.values()) {
      if (holders.length === 0) {
        unowned = true;
        break;
      }
    }
    if (!unowned) {
      return {late: [], addedOwner: false};
    }
    const late = (await this.#listPids()).filter((pid) => !read.has(pid));
    let addedOwner = false;
    if (late.length > 0) {
      const result = await this.#fdScanner.scan(this.#procRoot, late, signal);
      this.#noteFdCounts(result);
      addedOwner = this.#addOwners(result, owners);
    }
    return {late, addedOwner};
  }

  async #listPids(): Promise<number[]> {
    // Listing /proc costs the kernel a walk of every task (6.7 ms for 1,300 processes here):
    // when no task was made or ended since the last listing, that listing still holds.
    const cue = readTaskCue(this.#procRoot);
    if (cue !== undefined && this.#listing?.cue === cue) {
      return this.#listing.pids;
    }
    const pids: number[] = [];
    for (const entry of await readdir(this.#procRoot)) {
      const code = entry.charCodeAt(0);
      if (code >= 48 && code <= 57) {
        pids.push(Number(entry));
      }
    }
    this.#listing = cue === undefined ? undefined : {cue, pids};
    return pids;
  }

  /**
   * Finds the holders of listening sockets seen for the first time. New processes were read
   * already; a new socket they hold may also be held by the parent they inherited it from, so
   * those parents are read. A new socket no new process holds was opened (or received) by an
   * older process: processes are read, the latest started first (then fewest fds), until every
   * such socket has a holder, and all of them when one has none (a socket held by no process we
   * can see).
   */
  async #findNewOwners(
    sockets: readonly HostSocket[],
    owners: Map<number, readonly number[]>,
    newPids: readonly number[],
    newRead: FdScanResult,
    signal: AbortSignal | undefined,
  ): Promise<{addedOwner: boolean; readAll: boolean}> {
    const wanted = new Set<number>();
    const fresh = new Set<number>();
    for (const socket of sockets) {
      if (!this.#owners.has(socket.inode)) {
        fresh.add(socket.inode);
        if ((owners.get(socket.inode) ?? noPids).length === 0) {
          wanted.add(socket.inode);
        }
      }
    }
    if (fresh.size === 0) {
      return {addedOwner: false, readAll: false};
    }
    const isNew = new Set(newPids);
    const parents = new Set<number>();
    for (const [pid, inodes] of newRead.sockets) {
      if (inodes.some((inode) => fresh.has(inode))) {
        const parent = this.#parentOf(pid);
        if (parent !== undefined && parent > 0 && !isNew.has(parent)) {
          parents.add(parent);
        }
      }
    }
    let addedOwner = false;
    const read = async (pids: readonly number[]): Promise<FdScanResult> => {
      const result = await this.#fdScanner.scan(this.#procRoot, pids, signal);
      this.#noteFdCounts(result);
      if (this.#addOwners(result, owners)) {
        addedOwner = true;
      }
      return result;
    };
    const now = performance.now();
    const readParents = new Set<number>();
    const bigParents: number[] = [];
    for (const pid of parents) {
      const cheap = (this.#fdCounts.get(pid) ?? 0) <= cheapParentFds;
      if (cheap || this.#isParentDue(pid, now)) {
        readParents.add(pid);
        if (!cheap) {
          bigParents.push(pid);
        }
        this.#noteParentReadAt(pid, now);
        this.#owedParents.delete(pid);
      } else {
        this.#owedParents.add(pid);
      }
    }
    if (readParents.size > 0) {
      const result = await read([...readParents]);
      for (const pid of bigParents) {
        this.#noteParentRead(pid, result, owners);
      }
    }
    for (const inode of wanted) {
      if ((owners.get(inode) ?? noPids).length > 0) {
        wanted.delete(inode);
      }
    }
    if (wanted.size === 0) {
      return {addedOwner, readAll: false};
    }
    // A holder may have started after this scan listed the processes and bound its socket
    // before the tables were read (docker-proxy does, within milliseconds of a container
    // start): list them again and read the ones not seen yet. Before the older processes:
    // under churn that is where the holder is, and the older ones are all the host's fds.
    const seen = new Set([...this.#knownPids, ...newPids]);
    const late = await this.#readLateHolders(owners, seen, signal);
    if (late.addedOwner) {
      addedOwner = true;
      for (const inode of wanted) {
        if ((owners.get(inode) ?? noPids).length > 0) {
          wanted.delete(inode);
        }
      }
      if (wanted.size === 0) {
        return {addedOwner, readAll: false};
      }
    }
    // Newest first, then fewest fds: a new socket's holder is most often a process that
    // started a moment ago and was read before it bound (docker-proxy, read as a new process
    // just before it took its port, keeps its fd count: a pipe it closed, the socket it
    // opened). The first batches are small, so that holder costs a few processes' reads, not
    // the host's 1,300.
    const counts = this.#fdCounts;
    const seenAt = this.#seenAt;
    const candidates = [...this.#knownPids]
      .filter((pid) => !isNew.has(pid) && !readParents.has(pid))
      .sort(
        (a, b) =>
          (seenAt.get(b) ?? 0) - (seenAt.get(a) ?? 0) ||
          (counts.get(a) ?? 0) - (counts.get(b) ?? 0),
      );
    let index = 0;
    let batchFds = firstSearchBatchFds;
    while (index < candidates.length && wanted.size > 0) {
      const batch: number[] = [];
      let fds = 0;
      while (index < candidates.length) {
        const pid = candidates[index] as number;
        const count = counts.get(pid) ?? 0;
        if (batch.length > 0 && fds + count > batchFds) {
          break;
        }
        batch.push(pid);
        fds += count;
        index++;
      }
      // Then larger batches, up to about 2,000 fds: few round trips to the worker.
      batchFds = Math.min(batchFds * 2, lastSearchBatchFds);
      await read(batch);
      for (const inode of wanted) {
        if ((owners.get(inode) ?? noPids).length > 0) {
          wanted.delete(inode);
        }
      }
    }
    return {addedOwner, readAll: index >= candidates.length && wanted.size > 0};
  }

  /**
   * What `pids` held at the last scan, added to `owners` (for the sockets still listed), and
   * their fd counts kept: processes a full scan did not read, their fd count unchanged.
   */
  #keepOwners(
    pids: readonly number[],
    lastCounts: ReadonlyMap<number, number>,
    owners: Map<number, readonly number[]>,
  ): void {
    const kept = new Set(pids);
    const held = new Map<number, number[]>();
    for (const [inode, holders] of this.#owners) {
      for (const pid of holders) {
        if (kept.has(pid)) {
          let inodes = held.get(pid);
          if (inodes === undefined) {
            inodes = [];
            held.set(pid, inodes);
          }
          inodes.push(inode);
        }
      }
    }
    this.#addOwners({sockets: held, unreadable: [], fdCounts: new Map(), unchanged: []}, owners);
    for (const pid of pids) {
      const count = lastCounts.get(pid);
      if (count !== undefined) {
        this.#fdCounts.set(pid, count);
      }
    }
  }

  /** The parents whose put-off read is due and who still run; no longer owed, read now. */
  #takeOwedParentsDue(livePids: ReadonlySet<number>): number[] {
    const now = performance.now();
    const due: number[] = [];
    for (const pid of this.#owedParents) {
      if (!livePids.has(pid)) {
        this.#owedParents.delete(pid);
        this.#parentReads.delete(pid);
      } else if (this.#isParentDue(pid, now)) {
        due.push(pid);
        this.#owedParents.delete(pid);
        this.#noteParentReadAt(pid, now);
      }
    }
    return due;
  }

  /** Whether a parent with many fds is due to be read again (#noteParentRead). */
  #isParentDue(pid: number, now: number): boolean {
    const read = this.#parentReads.get(pid);
    return read === undefined || now - read.at >= (read.everyMs ?? this.#parentReadEveryMs);
  }

  /** Notes that a parent is read now, keeping the pace #noteParentRead set for it. */
  #noteParentReadAt(pid: number, now: number): void {
    const read = this.#parentReads.get(pid);
    if (read === undefined) {
      this.#parentReads.set(pid, {at: now});
    } else {
      read.at = now;
    }
  }

  /**
   * After a read of a parent with many fds: one that holds a listener is read at the usual
   * pace; one that holds none (dockerd, the parent of every docker-proxy, 1,800 fds with 300
   * containers) half as often each time, down to once in maxParentReadEveryMs.
   */
  #noteParentRead(
    pid: number,
    result: FdScanResult,
    owners: ReadonlyMap<number, readonly number[]>,
  ): void {
    const read = this.#parentReads.get(pid);
    if (read === undefined) {
      return; // noted when its read began (#noteParentReadAt); gone since
    }
    const holdsListener = (result.sockets.get(pid) ?? noPids).some((inode) => owners.has(inode));
    const every = read.everyMs ?? this.#parentReadEveryMs;
    read.everyMs = holdsListener
      ? undefined
      : Math.min(every * 2, Math.max(maxParentReadEveryMs, this.#parentReadEveryMs));
  }

  /** The parent pid of a process, from /proc/PID/stat; undefined when it exited. */
  #parentOf(pid: number): number | undefined {
    try {
      return parseProcStat(readProcFileSync(`${this.#procRoot}/${pid}/stat`, 'utf8'))?.ppid;
    } catch {
      return undefined;
    }
  }

  /** Remembers how many fds each process read had (the search for a new socket's holder reads small ones first). */
  #noteFdCounts(result: FdScanResult): void {
    for (const [pid, count] of result.fdCounts) {
      this.#fdCounts.set(pid, count);
    }
  }

  /**
   * Adds what an fd scan found to the owners of the listening sockets; true when any socket got
   * an owner it did not have.
   */
  #addOwners(result: FdScanResult, owners: Map<number, readonly number[]>): boolean {
    let added = false;
    for (const pid of result.unreadable) {
      this.#unreadablePids.add(pid);
    }
    for (const [pid, inodes] of result.sockets) {
      // One list for every socket that only this process holds (a server may hold 20,000).
      let alone: readonly number[] | undefined;
      for (const inode of inodes) {
        const known = owners.get(inode);
        if (known !== undefined && !known.includes(pid)) {
          if (known.length === 0) {
            alone ??= [pid];
            owners.set(inode, alone);
          } else {
            // A copy: the list may be the last scan's, which its listeners still describe.
            owners.set(inode, [...known, pid]);
          }
          added = true;
        }
      }
    }
    return added;
  }

  /**
   * The process behind `pid`, from /proc/PID/stat (read synchronously: a few microseconds for
   * a small procfs file, where a thread-pool round trip costs more); its uid and command line
   * are read once per process (same pid and start time). Undefined when it exited.
   */
  #readProcess(pid: number): HostProcess | undefined {
    let stat: ReturnType<typeof parseProcStat>;
    try {
      stat = parseProcStat(readProcFileSync(`${this.#procRoot}/${pid}/stat`, 'utf8'));
    } catch {
      return undefined; // exited
    }
    if (stat === undefined) {
      return undefined;
    }
    let cached = this.#processCache.get(pid);
    if (cached === undefined || cached.startTicks !== stat.startTicks) {
      cached = {
        startTicks: stat.startTicks,
        uid: this.#readUid(pid),
        argv: this.#readArgv(pid),
        shown: undefined,
      };
      this.#processCache.set(pid, cached);
    }
    const user = cached.uid === null ? null : (this.#userName(cached.uid) ?? String(cached.uid));
    const shown = cached.shown;
    if (
      shown !== undefined &&
      shown.name === stat.comm &&
      shown.ppid === stat.ppid &&
      shown.user === user
    ) {
      return shown;
    }
    const bootTime = this.#readBootTime();
    const process: HostProcess = {
      pid,
      name: stat.comm,
      ppid: stat.ppid,
      uid: cached.uid,
      user,
      startedAt: bootTime === undefined ? null : bootTime + stat.startTicks / clockTicksPerSecond,
      startTicks: stat.startTicks,
      argv: cached.argv,
    };
    cached.shown = process;
    return process;
  }

  #readUid(pid: number): number | null {
    try {
      return parseStatusUid(readProcFileSync(`${this.#procRoot}/${pid}/status`, 'latin1')) ?? null;
    } catch {
      return null;
    }
  }

  #readArgv(pid: number): string[] {
    try {
      return parseCmdline(readProcFileSync(`${this.#procRoot}/${pid}/cmdline`, 'utf8'));
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
