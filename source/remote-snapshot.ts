import {type DetectOptions, type EngineScan, scanEngines} from './engine/detect.js';
import {type Endpoint, resolveEndpoints, type SshEndpoint} from './engine/endpoint.js';
import {runOverSsh} from './engine/ssh.js';
import type {ContainerInfo} from './model/container-info.js';
import type {JsonRow} from './model/format.js';
import {joinSnapshot, keepUnchangedRows} from './model/join.js';
import {parseRemoteRows, rowsFromRemote} from './model/remote-rows.js';
import type {SnapshotRow} from './model/snapshot-row.js';
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
  readonly addresses: readonly string[] | undefined;
  /** This nanodock's version: a remote nanodock-top must have the same major and minor. */
  readonly version: string;
  /** Runs a command on the remote. Default: runOverSsh. */
  readonly runRemote?: RunRemote;
  /** Deadline of the remote `nanodock-top --json`, in ms. Default: 20000. */
  readonly hostViewTimeoutMs?: number;
  /**
   * How old the remote's own rows may get before a refresh runs its nanodock-top again, in ms;
   * a `fresh` refresh (an event, a finished action) always does. Default: 10000.
   */
  readonly hostViewMaxAgeMs?: number;
}

/**
 * Deadline of a remote's detection, in ms: an ssh connection and the remote shell's start come
 * first (1-2 s measured in the lab over loopback, with a shell whose startup files are slow).
 */
export const remoteDetectTimeoutMs = 10_000;

/**
 * Default of RemoteSnapshotOptions.hostViewMaxAgeMs: each run of the remote's nanodock-top
 * costs that machine a process start and a full scan (0.3 to 1 s of CPU on a small host), too
 * much for every 2 s tick; its engines are still asked at every tick, over a kept channel.
 */
export const defaultHostViewMaxAgeMs = 10_000;

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
  /** The remote's last rows, and when they came (performance.now()). */
  #lastHostView: {readonly rows: readonly JsonRow[]; readonly at: number} | null = null;
  #lastRows = new Map<string, SnapshotRow>();
  #rows: readonly SnapshotRow[] = [];
  #revision = 0;

  constructor(options: RemoteSnapshotOptions) {
    this.#options = options;
    this.#runRemote = options.runRemote ?? runOverSsh;
  }

  /**
   * The host view's way, found at the first refresh, with its first rows: the remote's
   * nanodock-top, its version, and its `--json`, in one remote command (each command costs an
   * ssh session and a remote shell start: about 1.7 s in the lab, with slow startup files).
   * A version this one cannot read (another major or minor) is not read at all.
   */
  async #firstLook(
    endpoints: readonly Endpoint[],
    signal?: AbortSignal,
  ): Promise<{readonly view: HostView; readonly rows: readonly JsonRow[] | null}> {
    const name = this.#options.name;
    const ssh = endpoints.find((endpoint): endpoint is SshEndpoint => endpoint.kind === 'ssh');
    if (ssh === undefined) {
      const note = `${name}: reached over tcp, so only its containers' published ports are shown (no processes); reach it over ssh for its host view`;
      return {view: {kind: 'ports-only', note}, rows: null};
    }
    const run = await this.#runRemote(
      ssh,
      ['sh', '-c', 'nanodock-top --version && exec nanodock-top --json'],
      {
        timeoutMs: this.#options.hostViewTimeoutMs ?? 20_000,
        signal,
        maxStdoutBytes: maxRemoteJsonBytes,
      },
    );
    const newline = run.stdout.indexOf('\n');
    const theirs = (newline === -1 ? run.stdout : run.stdout.slice(0, newline)).trim();
    if (run.code !== 0 && theirs === '') {
      if (isNotInstalled(run)) {
        const note = `${name} has no nanodock-top on its PATH: rows are its containers' published ports, without processes (install nanodock-top there for its host view)`;
        return {view: {kind: 'ports-only', note}, rows: null};
      }
      throw new Error(
        `nanodock-top --version on ${name} failed (exit ${run.code ?? 'by signal'}): ${run.stderr.trim().slice(0, 200)}`,
      );
    }
    if (!isCompatibleVersion(this.#options.version, theirs)) {
      const note = `${name} runs nanodock-top ${theirs.slice(0, 40)}, this is ${this.#options.version}: install the same version there for its host view; rows are its containers' published ports`;
      return {view: {kind: 'ports-only', note}, rows: null};
    }
    if (run.code !== 0) {
      throw new Error(
        `nanodock-top --json on ${name} failed (exit ${run.code ?? 'by signal'}): ${run.stderr.trim().slice(0, 200)}`,
      );
    }
    return {
      view: {kind: 'remote', endpoint: ssh},
      rows: parseRemoteRows(run.stdout.slice(newline + 1), name),
    };
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

  /** The host view of this refresh: the remote's rows (or null), and notes about it. */
  async #hostViewRows(
    endpoints: readonly Endpoint[],
    fresh: boolean,
    warnings: string[],
    signal: AbortSignal | undefined,
  ): Promise<readonly JsonRow[] | null> {
    let remote: readonly JsonRow[] | null = null;
    try {
      const view = this.#hostView;
      const last = this.#lastHostView;
      const maxAge = this.#options.hostViewMaxAgeMs ?? defaultHostViewMaxAgeMs;
      if (view.kind === 'unknown') {
        const first = await this.#firstLook(endpoints, signal);
        this.#hostView = first.view;
        remote = first.rows;
      } else if (
        view.kind === 'remote' &&
        (fresh || last === null || performance.now() - last.at >= maxAge)
      ) {
        remote = await this.#remoteRows(view.endpoint, signal);
      } else if (view.kind === 'remote' && last !== null) {
        // The remote's own scan costs it a process start and a scan: not at every tick.
        remote = last.rows;
      }
      if (remote !== null && remote !== last?.rows) {
        this.#lastHostView = {rows: remote, at: performance.now()};
      }
      if (this.#hostView.kind === 'ports-only') {
        warnings.push(this.#hostView.note);
      }
    } catch (error) {
      signal?.throwIfAborted();
      warnings.push(`${this.#options.name}: no host view: ${(error as Error).message}`);
    }
    return remote;
  }

  /**
   * One refresh: the engines and the host view, asked together. Before the host view's first
   * rows have come (an ssh session, a remote node start and a scan: seconds), an update with
   * the containers' published ports is sent as soon as the engines answer, marked pending.
   */
  async refresh(
    onUpdate: (snapshot: Snapshot) => void,
    signal?: AbortSignal,
    refreshOptions: {readonly fresh?: boolean; readonly finalOnly?: boolean} = {},
  ): Promise<void> {
    const started = performance.now();
    const options = this.#options;
    const plan = resolveEndpoints({...options, addresses: options.addresses});
    const scanning = scanEngines({
      ...options,
      addresses: options.addresses,
      timeoutMs: options.timeoutMs ?? remoteDetectTimeoutMs,
      signal,
    });
    const viewWarnings: string[] = [];
    let viewDone = false;
    const viewing = this.#hostViewRows(
      plan.endpoints,
      refreshOptions.fresh === true,
      viewWarnings,
      signal,
    ).finally(() => {
      viewDone = true;
    });
    const scan = await scanning;
    signal?.throwIfAborted();
    if (!viewDone && this.#lastHostView === null && refreshOptions.finalOnly !== true) {
      onUpdate(
        this.#snapshot(scan, null, [`${options.name}: reading its host view…`], started, true),
      );
    }
    const remote = await viewing;
    signal?.throwIfAborted();
    onUpdate(this.#snapshot(scan, remote, viewWarnings, started, false));
  }

  /** The snapshot of an engine scan and the remote's rows (null: the containers' ports). */
  #snapshot(
    scan: EngineScan,
    remote: readonly JsonRow[] | null,
    notes: readonly string[],
    started: number,
    pending: boolean,
  ): Snapshot {
    const options = this.#options;
    const warnings = [...notes];
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
          })
        : rowsFromRemote(remote, containers, takenAt, undefined);
    keepUnchangedRows(rows, this.#lastRows);
    const previous = this.#rows;
    if (rows.length !== previous.length || rows.some((row, index) => row !== previous[index])) {
      this.#rows = rows;
      this.#revision++;
      this.#lastRows = new Map(rows.map((row) => [row.key, row]));
    }
    return {
      rows: this.#rows,
      rowsRevision: this.#revision,
      engines: scan.engines,
      enginesPending: pending,
      warnings,
      hostname: options.name,
      takenAt,
      durationMs: performance.now() - started,
      fullHostScan: false,
    };
  }
}
