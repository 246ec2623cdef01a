// Types of load-fixture.mjs for the tests that import it (the scripts are plain JavaScript).

/** Facts of the fixture: names, ports and image. */
export declare const load: {
  readonly socketPath: string;
  readonly image: string;
  readonly prefix: string;
  readonly basePort: number;
  readonly maxContainers: number;
  readonly listenerBase: number;
  readonly maxListeners: number;
};

/** Options of the engine calls: the Docker socket and a per-call deadline. */
export interface DockerOptions {
  /** Default /var/run/docker.sock. */
  readonly socketPath?: string;
  /** Default 60,000 ms. */
  readonly timeoutMs?: number;
}

/** One nd-load-* container as the engine lists it. */
export interface LoadContainer {
  readonly id: string;
  readonly name: string;
  readonly state: string;
  readonly ports: ReadonlyArray<{readonly PublicPort?: number; readonly IP?: string}>;
}

export declare function containerName(index: number): string;
export declare function containerPort(index: number): number;
export declare function dockerApi(
  method: string,
  path: string,
  body?: unknown,
  options?: DockerOptions,
): Promise<{status: number; json: unknown}>;
export declare function mapBounded<T, R>(
  items: readonly T[],
  concurrency: number,
  worker: (item: T, index: number) => Promise<R>,
): Promise<R[]>;
export declare function listLoadContainers(options?: DockerOptions): Promise<LoadContainer[]>;
export declare function upContainers(
  count: number,
  options?: DockerOptions & {
    /** Default 4. */
    readonly concurrency?: number;
    readonly onProgress?: (done: number, total: number) => void;
  },
): Promise<{created: number; started: number; kept: number; ms: number}>;
export declare function downContainers(
  options?: DockerOptions & {readonly concurrency?: number},
): Promise<{removed: number; ms: number}>;
export declare function churnContainers(
  seconds: number,
  options?: DockerOptions & {
    /** Default 1. */
    readonly perSecond?: number;
    /** Default 11. */
    readonly seed?: number;
    /** Stop-start cycles at once; default 8. */
    readonly maxInFlight?: number;
    readonly signal?: AbortSignal;
  },
): Promise<{stops: number; starts: number; ms: number; lateTicks: number; maxCycleMs: number}>;

/** A running holder of listening sockets. */
export interface Listeners {
  readonly pid: number;
  readonly count: number;
  readonly first: number;
  readonly last: number;
  /** Kills the holder; resolves once it has exited. */
  stop(): Promise<void>;
}
export declare function startListeners(
  count: number,
  options?: {readonly timeoutMs?: number},
): Promise<Listeners>;
