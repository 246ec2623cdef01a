import {type DetectOptions, scanEngines} from './engine/detect.js';
import {type Endpoint, resolveEndpoints, type SshEndpoint} from './engine/endpoint.js';
import {runOverSsh} from './engine/ssh.js';
import type {ContainerInfo} from './model/container-info.js';
import type {EngineReport} from './model/container-port-map.js';
import type {JsonRow} from './model/format.js';
import {joinSnapshot, keepUnchangedRows} from './model/join.js';
import {parseRemoteRows, rowsFromRemote} from './model/remote-rows.js';
import type {RowHost, SnapshotRow} from './model/snapshot-row.js';
import {isAbsentEngine, type Snapshot, swarmWarnings} from './snapshot.js';

/** What running a command on the remote gave (engine/ssh.ts runOverSsh). */
export interface RemoteRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs argv on the machine of an ssh engine, over its connection. */
export type RunRemote = (
  endpoint: SshEndpoint,
  argv: readonly string[],
  options: {
    readonly timeoutMs: number;
    readonly signal?: AbortSignal;
    readonly maxStdoutBytes?: number;
  },
) => Promise<RemoteRun>;

/** Options of RemoteSnapshot. */
export interface RemoteSnapshotOptions extends DetectOptions {
  /** The host's name, as the HOST column and the notes show it. */
  readonly name: string;
  /** Its engines' addresses (or context names): EndpointOptions.addresses. */
  readonly addresses: readonly string[];
  /** This nanodock's version: a remote nanodock-top must have the same major and minor. */
  readonly version: string;
  /** What rows are marked with, in a view of several hosts; undefined in a view of one. */
  readonly rowHost?: RowHost;
  /** Runs a command on the remote. Default: runOverSsh. */
  readonly runRemote?: RunRemote;
  /** Deadline of the remote `nanodock-top --json`, in ms. Default: 20000. */
  readonly hostViewTimeoutMs?: number;
}

/** Largest `nanodock-top --json` output read from a remote (20,000 rows are about 12 MB). */
const maxRemoteJsonBytes = 64 * 1024 * 1024;

/** Whether two versions have the same major and minor (0.1.0 and 0.1.4 write the same JSON). */
export function isCompatibleVersion(ours: string, theirs: string): boolean {
  const parts = (version: string): string[] =>
    /^(\d+)\.(\d+)\.\d+/.exec(version.trim())?.slice(1, 3) ?? [];
  const [a, b] = [parts(ours), parts(theirs)];
  return a.length === 2 && a[0] === b[0] && a[1] === b[1];
}

/**
 * How the host view of a remote is had: its own `nanodock-top --json` over ssh, or only its
 * containers' published ports, with why.
 */
type HostView =
  | {readonly kind: 'unknown'}
  | {readonly kind: 'remote'; readonly endpoint: SshEndpoint}
  | {readonly kind: 'ports-only'; readonly note: string};

/** The one line said about a command the remote shell could not find or run. */
function isNotInstalled(run: RemoteRun): boolean {
  return run.code === 127 || /command not found|not found|No such file/i.test(run.stderr);
}

/**
 * A snapshot source for another machine, reached through its engines' addresses (ssh, or tcp).
 * Its containers come from its engines, asked from here; its listening sockets and their
 * processes from `nanodock-top --json` run there over the same ssh connection, when an
 * installed one of a compatible version answers. Otherwise its rows are the containers'
 * published ports with no process, and a note says why. Never signals anything itself.
 */
export class RemoteSnapshot {
  readonly #options: RemoteSnapshotOptions;
  readonly #runRemote: RunRemote;
  #hostView: HostView = {kind: 'unknown'};
  #engines: readonly EngineReport[] = [];
  #lastRows = new Map<string, SnapshotRow>();
  #rows: readonly SnapshotRow[] = [];
  #revision = 0;

  constructor(options: RemoteSnapshotOptions) {
    this.#options = options;
    this.#runRemote = options.runRemote ?? runOverSsh;
  }

  /** Each engine's report at the last refresh. */
  get engines(): readonly EngineReport[] {
    return this.#engines;
  }

  /** Nothing is cached between refreshes: every refresh asks the engines (events only hurry it). */
  invalidateContainers(_endpoint?: string, _id?: string): void {}

  /** The host view's way, found once: the remote's nanodock-top and its version. */
  async #findHostView(endpoints: readonly Endpoint[], signal?: AbortSignal): Promise<HostView> {
    const name = this.#options.name;
    const ssh = endpoints.find((endpoint): endpoint is SshEndpoint => endpoint.kind === 'ssh');
    if (ssh === undefined) {
      return {
        kind: 'ports-only',
        note: `${name}: reached over tcp, so only its containers' published ports are shown (no processes); reach it over ssh for its host view`,
      };
    }
    const run = await this.#runRemote(ssh, ['nanodock-top', '--version'], {
      timeoutMs: this.#options.timeoutMs ?? 10_000,
      signal,
    });
    if (run.code !== 0) {
      if (isNotInstalled(run)) {
        return {
          kind: 'ports-only',
          note: `${name} has no nanodock-top on its PATH: rows are its containers' published ports, without processes (install nanodock-top there for its host view)`,
        };
      }
      throw new Error(
        `nanodock-top --version on ${name} failed (exit ${run.code ?? 'by signal'}): ${run.stderr.trim().slice(0, 200)}`,
      );
    }
    const theirs = run.stdout.trim();
    if (!isCompatibleVersion(this.#options.version, theirs)) {
      return {
        kind: 'ports-only',
        note: `${name} runs nanodock-top ${theirs.slice(0, 40)}, this is ${this.#options.version}: install the same version there for its host view; rows are its containers' published ports`,
      };
    }
    return {kind: 'remote', endpoint: ssh};
  }

  /** The remote's own rows, from its `nanodock-top --json`. */
  async #remoteRows(endpoint: SshEndpoint, signal?: AbortSignal): Promise<readonly JsonRow[]> {
    const run = await this.#runRemote(endpoint, ['nanodock-top', '--json'], {
      timeoutMs: this.#options.hostViewTimeoutMs ?? 20_000,
      signal,
      maxStdoutBytes: maxRemoteJsonBytes,
    });
    // Exit 1 with rows is `--port` matching nothing; no filter is given here, so 0 is the rule.
    if (run.code !== 0) {
      throw new Error(
        `nanodock-top --json on ${this.#options.name} failed (exit ${run.code ?? 'by signal'}): ${run.stderr.trim().slice(0, 200)}`,
      );
    }
    return parseRemoteRows(run.stdout, this.#options.name);
  }

  /** One refresh: the engines and the host view, asked together; one update when both are in. */
  async refresh(
    onUpdate: (snapshot: Snapshot) => void,
    signal?: AbortSignal,
    _options: {readonly fresh?: boolean; readonly finalOnly?: boolean} = {},
  ): Promise<void> {
    const started = performance.now();
    const options = this.#options;
    const warnings: string[] = [];
    const plan = resolveEndpoints({...options, addresses: options.addresses});
    const scanning = scanEngines({...options, addresses: options.addresses, signal});
    let remote: readonly JsonRow[] | null = null;
    try {
      if (this.#hostView.kind === 'unknown') {
        this.#hostView = await this.#findHostView(plan.endpoints, signal);
      }
      const view = this.#hostView;
      if (view.kind === 'remote') {
        remote = await this.#remoteRows(view.endpoint, signal);
      } else if (view.kind === 'ports-only') {
        warnings.push(view.note);
      }
    } catch (error) {
      signal?.throwIfAborted();
      warnings.push(`${options.name}: no host view: ${(error as Error).message}`);
    }
    const scan = await scanning;
    signal?.throwIfAborted();
    this.#engines = scan.engines;
    if (!scan.engines.some((report) => report.ok)) {
      warnings.unshift(`${options.name}: no container engine answered`);
    }
    for (const report of scan.engines) {
      if (!report.ok && !isAbsentEngine(report)) {
        warnings.push(
          `engine ${report.endpoint} (${report.source}): ${report.error?.message ?? 'failed'}`,
        );
      }
    }
    warnings.push(...swarmWarnings(scan.engines));
    const takenAt = Date.now();
    const containers = new Map<string, ContainerInfo>();
    for (const container of scan.map.containers()) {
      containers.set(container.id, container);
    }
    const rows =
      remote === null
        ? joinSnapshot({
            listeners: [],
            processes: new Map(),
            containers: scan.map,
            helpers: new Map(),
            now: takenAt / 1000,
          }).map((row) => (options.rowHost === undefined ? row : {...row, host: options.rowHost}))
        : rowsFromRemote(remote, containers, takenAt, options.rowHost);
    keepUnchangedRows(rows, this.#lastRows);
    const previous = this.#rows;
    if (rows.length !== previous.length || rows.some((row, index) => row !== previous[index])) {
      this.#rows = rows;
      this.#revision++;
      this.#lastRows = new Map(rows.map((row) => [row.key, row]));
    }
    onUpdate({
      rows: this.#rows,
      rowsRevision: this.#revision,
      engines: scan.engines,
      enginesPending: false,
      warnings,
      hostname: options.name,
      takenAt,
      durationMs: performance.now() - started,
      fullHostScan: false,
    });
  }
}
