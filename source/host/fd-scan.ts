import {Worker} from 'node:worker_threads';

/** Socket inodes each process holds, as read from /proc/PID/fd. */
export interface FdScanResult {
  /** pid -> socket inodes it holds (each listed once). Processes holding none are left out. */
  readonly sockets: ReadonlyMap<number, readonly number[]>;
  /** Processes whose fd folder could not be read (another user's, when not root). */
  readonly unreadable: readonly number[];
  /** pid -> how many fds it had, for every process read. */
  readonly fdCounts: ReadonlyMap<number, number>;
  /**
   * Processes not read because they had as many fds as `known` said (scan's `known`): what
   * they held then, they are taken to hold still. Empty without `known`.
   */
  readonly unchanged: readonly number[];
}

/**
 * The worker's code. It does nothing but blocking readdir and readlink calls, which take
 * microseconds each but now and then hang for milliseconds in the kernel: in a worker such a
 * hang never stalls the caller's event loop. Kept as plain JavaScript so that it runs the same
 * from the TypeScript sources under test and from the build.
 */
const workerSource = `
const {parentPort} = require('node:worker_threads');
const {readdirSync, readlinkSync, statSync} = require('node:fs');
parentPort.on('message', ({id, procRoot, pids: listed, known}) => {
  let pids = listed;
  if (pids === null) {
    // A prefetch: the processes as listed now.
    pids = [];
    try {
      for (const entry of readdirSync(procRoot)) {
        const code = entry.charCodeAt(0);
        if (code >= 48 && code <= 57) pids.push(Number(entry));
      }
    } catch (error) {
      parentPort.postMessage({id, error: String(error && error.message)});
      return;
    }
  }
  const sockets = [];
  const unreadable = [];
  const counts = [];
  const unchanged = [];
  // known: pid -> fd count when last read. Linux (6.2 on) gives a fd folder's size as its
  // number of fds: a process with as many fds as then is taken as unchanged (a stat, not a
  // readlink per fd). A size of 0 (older kernels) says nothing: it is read.
  const knownCounts = known === null || known === undefined ? null : new Map();
  if (knownCounts !== null) for (let i = 0; i < known.length; i += 2) knownCounts.set(known[i], known[i + 1]);
  for (const pid of pids) {
    const dir = procRoot + '/' + pid + '/fd';
    const before = knownCounts === null ? undefined : knownCounts.get(pid);
    // Never this process: reading its fd folder opens one more fd, so its counts disagree.
    if (before !== undefined && before > 0 && pid !== process.pid) {
      let size = -1;
      try {
        size = statSync(dir).size;
      } catch {}
      if (size === before) {
        unchanged.push(pid);
        continue;
      }
    }
    let fds;
    try {
      fds = readdirSync(dir);
    } catch (error) {
      if (error.code !== 'ENOENT') unreadable.push(pid);
      continue;
    }
    // A Set: a process may hold tens of thousands of sockets, each listed once.
    const inodes = new Set();
    counts.push(pid, fds.length);
    const prefix = dir + '/';
    for (const fd of fds) {
      let target;
      try {
        target = readlinkSync(prefix + fd);
      } catch {
        continue;
      }
      if (target.startsWith('socket:[')) inodes.add(Number(target.slice(8, -1)));
    }
    if (inodes.size > 0) sockets.push(pid, [...inodes]);
  }
  parentPort.postMessage({id, sockets, unreadable, counts, unchanged, pids: listed === null ? pids : null});
});
`;

interface Pending {
  readonly resolve: (read: {result: FdScanResult; pids: number[] | null}) => void;
  readonly reject: (error: Error) => void;
}

/** A scan the worker began before anyone asked (FdScanner.prefetch). */
export interface FdPrefetch {
  /** The processes it read: every pid listed in procRoot when it began. */
  readonly pids: readonly number[];
  readonly result: FdScanResult;
}

/**
 * Reads /proc/PID/fd links in a worker thread (started on first use, never keeping the process
 * alive). Call close() to stop it.
 */
class FdScanner {
  #worker: Worker | undefined;
  readonly #pending = new Map<number, Pending>();
  #nextId = 0;
  #prefetch:
    | {readonly procRoot: string; readonly startedAt: number; readonly read: Promise<FdPrefetch>}
    | undefined;
  #idleTimer: NodeJS.Timeout | undefined;
  readonly #idleMs: number;

  /**
   * @param idleMs Stop the worker after this long without work; it starts again on demand.
   *   Default: never (a restart costs a new thread's boot, about 50 ms of a core).
   */
  constructor(idleMs = Number.POSITIVE_INFINITY) {
    this.#idleMs = idleMs;
  }

  /**
   * Socket inodes held by each of `pids`. Rejects if the worker fails or `signal` aborts.
   * `known` (pid -> fd count at its last read): a process with as many fds now is not read
   * but listed in `unchanged` (on kernels that give a fd folder's size as its fd count).
   */
  async scan(
    procRoot: string,
    pids: readonly number[],
    signal?: AbortSignal,
    known?: ReadonlyMap<number, number>,
  ): Promise<FdScanResult> {
    if (pids.length === 0) {
      return {sockets: new Map(), unreadable: [], fdCounts: new Map(), unchanged: []};
    }
    return (await this.#post(procRoot, pids, signal, known)).result;
  }

  /**
   * Has the worker list the processes of `procRoot` and read all their fds now, ahead of the
   * first scan (which takes it with takePrefetch): the reads then run while the caller loads
   * the rest of the program. Started once; a later call while one waits does nothing.
   */
  prefetch(procRoot = '/proc'): void {
    if (this.#prefetch !== undefined) {
      return;
    }
    const read = this.#post(procRoot, null, undefined).then(({result, pids}) => ({
      pids: pids ?? [],
      result,
    }));
    read.catch(() => {}); // taken and awaited by a scan, or never
    this.#prefetch = {procRoot, startedAt: performance.now(), read};
  }

  /**
   * The prefetch of `procRoot` begun within `maxAgeMs`, once (undefined when there is none):
   * the processes it listed and what their fds held then. Rejects if `signal` aborts.
   */
  takePrefetch(
    procRoot: string,
    maxAgeMs: number,
    signal?: AbortSignal,
  ): Promise<FdPrefetch> | undefined {
    const prefetch = this.#prefetch;
    this.#prefetch = undefined;
    if (
      prefetch === undefined ||
      prefetch.procRoot !== procRoot ||
      performance.now() - prefetch.startedAt > maxAgeMs
    ) {
      return undefined;
    }
    if (signal === undefined) {
      return prefetch.read;
    }
    return new Promise<FdPrefetch>((resolve, reject) => {
      const onAbort = (): void => {
        reject(signal.reason instanceof Error ? signal.reason : new Error('fd scan aborted'));
      };
      if (signal.aborted) {
        onAbort();
        return;
      }
      signal.addEventListener('abort', onAbort, {once: true});
      prefetch.read.then(resolve, reject).finally(() => {
        signal.removeEventListener('abort', onAbort);
      });
    });
  }

  #post(
    procRoot: string,
    pids: readonly number[] | null,
    signal: AbortSignal | undefined,
    known?: ReadonlyMap<number, number>,
  ): Promise<{result: FdScanResult; pids: number[] | null}> {
    const worker = this.#start();
    clearTimeout(this.#idleTimer);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        this.#pending.delete(id);
        reject(signal?.reason instanceof Error ? signal.reason : new Error('fd scan aborted'));
      };
      if (signal?.aborted) {
        onAbort();
        return;
      }
      signal?.addEventListener('abort', onAbort, {once: true});
      this.#pending.set(id, {
        resolve: (result) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(result);
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      });
      worker.ref();
      worker.postMessage({
        id,
        procRoot,
        pids,
        known: known === undefined ? null : [...known].flat(),
      });
    });
  }

  /**
   * Starts the worker now, so that its boot (about 50 ms of a core) runs while the caller
   * loads the rest of the program; it still never keeps the process alive.
   */
  warm(): void {
    this.#start();
  }

  /** Stops the worker; pending scans reject. */
  close(): void {
    clearTimeout(this.#idleTimer);
    void this.#worker?.terminate();
    this.#worker = undefined;
    this.#prefetch = undefined;
    this.#failAll(new Error('fd scanner closed'));
  }

  #start(): Worker {
    if (this.#worker !== undefined) {
      return this.#worker;
    }
    const worker = new Worker(workerSource, {
      eval: true,
      // It holds a few arrays of numbers: keep its heap (and our RSS) small.
      resourceLimits: {maxOldGenerationSizeMb: 8, maxYoungGenerationSizeMb: 1, codeRangeSizeMb: 4},
    });
    worker.unref();
    worker.on(
      'message',
      (message: {
        id: number;
        error?: string;
        sockets: Array<number | number[]>;
        unreadable: number[];
        counts: number[];
        unchanged: number[];
        pids: number[] | null;
      }) => {
        const pending = this.#pending.get(message.id);
        this.#pending.delete(message.id);
        if (this.#pending.size === 0) {
          worker.unref();
          if (Number.isFinite(this.#idleMs)) {
            // Give the worker's memory back until the next scan (which then waits for a new one).
            this.#idleTimer = setTimeout(() => this.close(), this.#idleMs);
            this.#idleTimer.unref();
          }
        }
        if (message.error !== undefined) {
          pending?.reject(new Error(`cannot list processes: ${message.error}`));
          return;
        }
        const sockets = new Map<number, number[]>();
        for (let index = 0; index < message.sockets.length; index += 2) {
          sockets.set(message.sockets[index] as number, message.sockets[index + 1] as number[]);
        }
        const fdCounts = new Map<number, number>();
        for (let index = 0; index < message.counts.length; index += 2) {
          fdCounts.set(message.counts[index] as number, message.counts[index + 1] as number);
        }
        pending?.resolve({
          result: {sockets, unreadable: message.unreadable, fdCounts, unchanged: message.unchanged},
          pids: message.pids,
        });
      },
    );
    worker.on('error', (error) => {
      this.#worker = undefined;
      this.#failAll(error);
    });
    worker.on('exit', () => {
      if (this.#worker === worker) {
        this.#worker = undefined;
        this.#failAll(new Error('fd scan worker exited'));
      }
    });
    this.#worker = worker;
    return worker;
  }

  #failAll(error: Error): void {
    for (const pending of this.#pending.values()) {
      pending.reject(error);
    }
    this.#pending.clear();
  }
}

/** The process-wide fd scanner: one worker serves every HostScanner. */
export const sharedFdScanner = new FdScanner();
