import {Worker} from 'node:worker_threads';

/** Socket inodes each process holds, as read from /proc/PID/fd. */
export interface FdScanResult {
  /** pid -> socket inodes it holds (each listed once). Processes holding none are left out. */
  readonly sockets: ReadonlyMap<number, readonly number[]>;
  /** Processes whose fd folder could not be read (another user's, when not root). */
  readonly unreadable: readonly number[];
  /** pid -> how many fds it had, for every process read. */
  readonly fdCounts: ReadonlyMap<number, number>;
}

/**
 * The worker's code. It does nothing but blocking readdir and readlink calls, which take
 * microseconds each but now and then hang for milliseconds in the kernel: in a worker such a
 * hang never stalls the caller's event loop. Kept as plain JavaScript so that it runs the same
 * from the TypeScript sources under test and from the build.
 */
const workerSource = `
const {parentPort} = require('node:worker_threads');
const {readdirSync, readlinkSync} = require('node:fs');
parentPort.on('message', ({id, procRoot, pids}) => {
  const sockets = [];
  const unreadable = [];
  const counts = [];
  for (const pid of pids) {
    const dir = procRoot + '/' + pid + '/fd';
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
  parentPort.postMessage({id, sockets, unreadable, counts});
});
`;

interface Pending {
  readonly resolve: (result: FdScanResult) => void;
  readonly reject: (error: Error) => void;
}

/**
 * Reads /proc/PID/fd links in a worker thread (started on first use, never keeping the process
 * alive). Call close() to stop it.
 */
class FdScanner {
  #worker: Worker | undefined;
  readonly #pending = new Map<number, Pending>();
  #nextId = 0;
  #idleTimer: NodeJS.Timeout | undefined;
  readonly #idleMs: number;

  /**
   * @param idleMs Stop the worker after this long without work; it starts again on demand.
   *   Default: never (a restart costs a new thread's boot, about 50 ms of a core).
   */
  constructor(idleMs = Number.POSITIVE_INFINITY) {
    this.#idleMs = idleMs;
  }

  /** Socket inodes held by each of `pids`. Rejects if the worker fails or `signal` aborts. */
  scan(procRoot: string, pids: readonly number[], signal?: AbortSignal): Promise<FdScanResult> {
    if (pids.length === 0) {
      return Promise.resolve({sockets: new Map(), unreadable: [], fdCounts: new Map()});
    }
    const worker = this.#start();
    clearTimeout(this.#idleTimer);
    const id = this.#nextId++;
    return new Promise<FdScanResult>((resolve, reject) => {
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
      worker.postMessage({id, procRoot, pids});
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
        sockets: Array<number | number[]>;
        unreadable: number[];
        counts: number[];
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
        const sockets = new Map<number, number[]>();
        for (let index = 0; index < message.sockets.length; index += 2) {
          sockets.set(message.sockets[index] as number, message.sockets[index + 1] as number[]);
        }
        const fdCounts = new Map<number, number>();
        for (let index = 0; index < message.counts.length; index += 2) {
          fdCounts.set(message.counts[index] as number, message.counts[index + 1] as number);
        }
        pending?.resolve({sockets, unreadable: message.unreadable, fdCounts});
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
