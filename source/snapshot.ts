import {hostname} from 'node:os';
import {
  awaitScan,
  type DetectOptions,
  type EngineAnswer,
  maxPatchIds,
  type StartDetectionOptions,
  startDetection,
} from './engine/detect.js';
import {type Endpoint, resolveEndpoints} from './engine/endpoint.js';
import {pingEngine} from './engine/ping.js';
import {EngineRequestError} from './errors/engine-request-error.js';
import {type HostProcess, type HostScan, HostScanner} from './host/host-scanner.js';
import type {StorageContainersCache} from './host/podman-storage.js';
import {readProcessTrustFacts, TrustReadCache} from './host/process-trust.js';
import {RootlessPodmanResolver} from './host/rootless-podman.js';
import type {ContainerInfo, EngineKind} from './model/container-info.js';
import {ContainerPortMap, type EngineReport} from './model/container-port-map.js';
import {type HelperFinding, type HelperVerdict, judgeHelper} from './model/helper.js';
import {joinSnapshot, keepUnchangedRows} from './model/join.js';
import type {SnapshotRow} from './model/snapshot-row.js';
import type {HelperContext} from './profiles/profile.js';
import {helperSpecs} from './profiles/registry.js';

/** One host of a view of several (`--host A --host B`), as the header shows it. */
export interface HostSummary {
  readonly name: string;
  /** `local`: this machine; else how it is reached. */
  readonly kind: 'local' | 'ssh' | 'tcp';
  /** Its engines at its last snapshot (empty before its first). */
  readonly engines: readonly EngineReport[];
  /** True until its first snapshot has come. */
  readonly waiting: boolean;
}

/** Everything the host view shows at one moment. */
export interface Snapshot {
  /** Rows in port order. */
  readonly rows: readonly SnapshotRow[];
  /** Every engine address tried, with what it gave (absent default sockets included). */
  readonly engines: readonly EngineReport[];
  /** Problems worth telling the user, each one line with what to do. */
  readonly warnings: readonly string[];
  readonly hostname: string;
  /** When the snapshot was taken (ms since the epoch). */
  readonly takenAt: number;
  /** How long collecting it took, in ms. */
  readonly durationMs: number;
  /** Whether the host scan read every process's fds this time. */
  readonly fullHostScan: boolean;
  /** True while the container detection of this refresh is still running (rows use the last list). */
  readonly enginesPending: boolean;
  /**
   * Changes whenever the rows change. A LiveSnapshot keeps the rows of a refresh that changed
   * nothing (same revision, same array), and after a change every row that did not (the same
   * object): a row's `uptimeSeconds` is as of the snapshot that made it, and `startedAt` gives
   * the uptime at any later time (uptimeAt).
   */
  readonly rowsRevision: number;
  /** The hosts of a view of several (FleetSnapshot), in the order given; absent for one. */
  readonly hosts?: readonly HostSummary[];
}

/** Options of collectSnapshot. */
export interface SnapshotOptions extends DetectOptions {
  /** Reuse a scanner across refreshes for cheap steady-state scans. Default: a fresh one. */
  readonly scanner?: HostScanner;
  /** Reuse a resolver across refreshes (it caches per pid and netns). Default: a fresh one. */
  readonly resolver?: RootlessPodmanResolver;
  /** Reuse parsed Podman storage files across refreshes. Default: a fresh cache. */
  readonly storageCache?: StorageContainersCache;
  /**
   * LiveSnapshot: how old the container list may get before a refresh asks the engines again,
   * asked at each refresh. Default: 0 (every refresh). A live view that watches the engines'
   * events (and calls invalidateContainers on each) can afford seconds.
   */
  readonly containersMaxAgeMs?: () => number;
  /** Where procfs is mounted, for the helper checks (the scanner has its own). Default: '/proc'. */
  readonly procRoot?: string;
  /**
   * LiveSnapshot: how long an engine that answered before may leave a question (a ping while
   * its container list is cached, or a detection) unanswered before the snapshot says it is
   * not answering, in ms. Default: 2000.
   */
  readonly notAnsweringAfterMs?: number;
}

/** Default of SnapshotOptions.notAnsweringAfterMs. */
export const defaultNotAnsweringAfterMs = 2000;

/**
 * True for a well-known socket where no engine lives: not worth a warning. An engine named by
 * the user (DOCKER_HOST, a context) that is missing is a failure.
 */
export function isAbsentEngine(report: EngineReport): boolean {
  return (
    !report.ok &&
    report.source === 'default' &&
    report.error instanceof EngineRequestError &&
    report.error.failure === 'connect' &&
    (report.error.code === 'ENOENT' || report.error.code === 'ECONNREFUSED')
  );
}

/** The kernel names of every profile's helpers: only processes under one of these are checked. */
const helperNames: ReadonlySet<string> = new Set(helperSpecs.flatMap((spec) => spec.names));

/**
 * Verdicts by pid, kept while the process lives (same start time): a helper's executable,
 * owner and parent do not change under it, and a busy host has hundreds of docker-proxies.
 */
type VerdictCache = Map<
  number,
  {readonly startedAt: number | null; readonly verdict: HelperVerdict<HelperSpecOf> | null}
>;
type HelperSpecOf = (typeof helperSpecs)[number];

/**
 * Checks every helper-named process against the profiles' rules (judgeHelper: executable,
 * owner, parent) and resolves the trusted ones that each profile resolves from the host.
 */
async function findHelpers(
  scan: HostScan,
  context: HelperContext,
  procRoot: string,
  verdicts: VerdictCache,
): Promise<Map<number, HelperFinding>> {
  const found = new Map<number, HelperFinding>();
  const cache = new TrustReadCache();
  for (const pid of verdicts.keys()) {
    if (!scan.processes.has(pid)) {
      verdicts.delete(pid);
    }
  }
  /** Notes a helper's finding: at once, or once its resolution from the host is made. */
  const settle = (
    process: HostProcess,
    verdict: HelperVerdict<HelperSpecOf> | null,
  ): Promise<void> | undefined => {
    if (verdict === null) {
      return undefined;
    }
    if (!verdict.trusted) {
      found.set(process.pid, {kind: verdict.kind, untrusted: verdict.reason, resolution: null});
      return undefined;
    }
    const resolve = verdict.rule.resolve;
    if (resolve === 'published-port') {
      found.set(process.pid, {kind: verdict.kind, untrusted: null, resolution: null});
      return undefined;
    }
    return resolve(process, context).then((resolution) => {
      for (const warning of resolution?.warnings ?? []) {
        context.warn(warning);
      }
      found.set(process.pid, {kind: verdict.kind, untrusted: null, resolution});
    });
  };
  // A helper judged before (same pid, same start) is settled without a promise: under churn
  // a host has hundreds of docker-proxies, and only the new ones need reads.
  const pending: Promise<void>[] = [];
  for (const process of scan.processes.values()) {
    if (!helperNames.has(process.name)) {
      continue;
    }
    const cached = verdicts.get(process.pid);
    if (cached !== undefined && cached.startedAt === process.startedAt) {
      const settling = settle(process, cached.verdict);
      if (settling !== undefined) {
        pending.push(settling);
      }
      continue;
    }
    pending.push(
      (async () => {
        const facts = await readProcessTrustFacts(process.pid, {
          procRoot,
          userName: (uid) => (uid === process.uid ? process.user : null),
          cache,
          known: process,
        });
        if (facts === null) {
          return; // exited since the scan
        }
        const verdict = judgeHelper(facts, helperSpecs);
        verdicts.set(process.pid, {startedAt: process.startedAt, verdict});
        await settle(process, verdict);
      })(),
    );
  }
  await Promise.all(pending);
  return found;
}

const emptyScan: HostScan = {
  listeners: [],
  processes: new Map(),
  unreadableProcesses: 0,
  fullScan: false,
  durationMs: 0,
};

interface HostPart {
  readonly scan: HostScan;
  readonly helpers: ReadonlyMap<number, HelperFinding>;
  readonly warnings: readonly string[];
  readonly startedAt: number;
}

/** What a detection may take from the last one (see LiveSnapshot's #staleEngines). */
type DetectionBasis = Pick<StartDetectionOptions, 'reuse' | 'changed'>;

/**
 * A snapshot source for a live view. Each refresh scans the host, joins it at once with the
 * newest container list there is, and joins again when the detection it is waiting for
 * lands: a slow or frozen engine delays only its own containers, never the host rows. A
 * detection still running when the next refresh starts is shared, not started twice.
 */
export class LiveSnapshot {
  readonly #options: SnapshotOptions;
  readonly #scanner: HostScanner;
  readonly #resolver: RootlessPodmanResolver;
  readonly #storageCache: StorageContainersCache;
  readonly #procRoot: string;
  readonly #verdicts: VerdictCache = new Map();
  #containers: ContainerPortMap | null = null;
  #detection: Promise<ContainerPortMap> | null = null;
  #detectedAt = 0;
  #lastHost:
    | {
        scan: HostScan;
        helpers: ReadonlyMap<number, HelperFinding>;
        warnings: readonly string[];
      }
    | undefined;
  /** The host's name does not change while we run; asking costs a system call per refresh. */
  readonly #hostname = hostname();
  #isStale = false;
  /**
   * Engines an event said changed since the last detection began (invalidateContainers with
   * an address), with the containers it named (null: any): the next detection asks these
   * engines only, for those containers only, and takes the others' last answers.
   */
  readonly #staleEngines = new Map<string, Set<string> | null>();
  /**
   * Containers an event named, asked about once more at the next detection. An engine sends
   * `kill` and `die` a moment before its list stops showing the container as running (seen
   * with Docker 20.10: a list asked right after `die` still has it), so the first answer to an
   * event can be the state before it; the second look, a refresh later, sees it settled.
   */
  #secondLooks = new Map<string, ReadonlySet<string>>();
  /** Each address's answer at the last detection (empty before the first, or after a failed one). */
  #answers: ReadonlyMap<string, EngineAnswer> = new Map();
  readonly #containersMaxAgeMs: () => number;
  readonly #notAnsweringAfterMs: number;
  /** Pings still waiting for an answer, by engine address, with when each was sent. */
  readonly #pings = new Map<string, {readonly since: number; readonly done: Promise<void>}>();
  /** Engines that left their last question unanswered, by address: silent since when. */
  readonly #silent = new Map<string, number>();
  #endpoints: readonly Endpoint[] | null = null;
  #detectionStartedAt = 0;
  /** The map joined while no detection has landed yet. */
  readonly #noContainers = new ContainerPortMap();
  /** The last join's inputs and rows: an unchanged host and container list is not joined again. */
  #lastRows:
    | {
        readonly listeners: HostScan['listeners'];
        readonly processes: HostScan['processes'];
        readonly helpers: ReadonlyMap<number, HelperFinding>;
        /** The containers (containersText tells a detection that found the same list). */
        readonly map: ContainerPortMap;
        readonly rows: readonly SnapshotRow[];
        readonly revision: number;
      }
    | undefined;
  /** The engines that already answered the running detection: not the ones it waits for. */
  #detectionAnswered: ReadonlySet<string> = new Set();
  /** Each engine's kind as last recognised: a report that timed out has none of its own. */
  readonly #kinds = new Map<string, EngineKind>();

  constructor(options: SnapshotOptions = {}) {
    this.#options = options;
    this.#scanner = options.scanner ?? new HostScanner();
    this.#resolver = options.resolver ?? new RootlessPodmanResolver();
    this.#storageCache = options.storageCache ?? new Map();
    this.#procRoot = options.procRoot ?? '/proc';
    this.#containersMaxAgeMs = options.containersMaxAgeMs ?? (() => 0);
    this.#notAnsweringAfterMs = options.notAnsweringAfterMs ?? defaultNotAnsweringAfterMs;
  }

  /**
   * Refreshes: calls `onUpdate` with the host joined to the newest containers (marked
   * `enginesPending` when their detection is still running), then again once it lands.
   * Rejects only on abort; nothing is reported after an abort. `finalOnly`: no update while
   * the detection runs, only the rows joined with its answer (a one-shot caller throws the
   * others away, and on a big host each join costs tens of milliseconds).
   */
  async refresh(
    onUpdate: (snapshot: Snapshot) => void,
    signal?: AbortSignal,
    options: {readonly fresh?: boolean; readonly finalOnly?: boolean} = {},
  ): Promise<void> {
    const isCurrent =
      this.#containers !== null &&
      !this.#isStale &&
      performance.now() - this.#detectedAt < this.#containersMaxAgeMs() &&
      // An engine not answering (a ping past the mark): its list is asked for again.
      this.#silentEngines().size === 0;
    let detection = this.#detection;
    let isListing = false;
    if (detection === null) {
      if (
        isCurrent &&
        this.#containers !== null &&
        this.#staleEngines.size === 0 &&
        this.#secondLooks.size === 0
      ) {
        detection = Promise.resolve(this.#containers);
        // The list is cached (events keep it current): still ask each engine whether it
        // answers at all, or a hung engine with its event stream open would look healthy.
        this.#pingEngines();
      } else {
        // Only engines that sent events changed: the others' lists are taken as they were
        // (with 300 containers on one engine, an event on another cost a list of 300).
        const basis = isCurrent ? this.#reusableAnswers() : {};
        detection = this.#startDetection(basis);
        isListing = true;
        // The engines whose answers are taken as they were are not asked: ask each whether it
        // answers at all, as when the whole list is cached.
        if (basis.reuse !== undefined) {
          this.#pingEngines(
            new Set([...basis.reuse.keys()].filter((address) => !basis.changed?.has(address))),
          );
        }
      }
    }
    let settled = false;
    void detection.then(() => {
      settled = true;
    });
    // Containers are listed again (events said some changed, or the list is old): their
    // proxies may have opened or closed sockets, so the tables are read now, rather than
    // read again after the list came (#containersMoved below), which under churn was a
    // second host scan at most ticks.
    const isFreshScan = options.fresh === true || isListing;
    let host = await this.#scanHost(signal, isFreshScan);
    signal?.throwIfAborted();
    // A detection that lands within a moment is joined at once: one update (one frame) per
    // refresh, instead of host rows with the old containers and then again with the new ones.
    if (!settled && options.finalOnly !== true) {
      await settledWithin(detection, detectionGraceMs);
    }
    if (!settled && options.finalOnly === true) {
      await detection;
      signal?.throwIfAborted();
    } else if (!settled) {
      onUpdate(this.#join(host, true));
      if (await this.#isSilentBefore(detection, this.#detectionStartedAt)) {
        signal?.throwIfAborted();
        onUpdate(this.#join(host, true));
      }
      await detection;
      signal?.throwIfAborted();
    }
    if (!isFreshScan && this.#containersMoved()) {
      // Containers started or stopped: their proxies' sockets opened and closed, maybe in
      // pairs that leave the kernel's socket counts (the scanner's cue) where they were.
      host = await this.#scanHost(signal, true);
      signal?.throwIfAborted();
    }
    onUpdate(this.#join(host, false));
    const pings = [...this.#pings.values()];
    const oldest = Math.min(...pings.map((ping) => ping.since));
    if (pings.length > 0) {
      await this.#isSilentBefore(Promise.all(pings.map((ping) => ping.done)), oldest);
      // Whether the mark passed or a ping failed at it, show who is silent now.
      if (this.#silentEngines().size > 0) {
        signal?.throwIfAborted();
        onUpdate(this.#join(host, false));
      }
    }
  }

  /**
   * Waits for `answer` or for notAnsweringAfterMs after `since`, whichever is first: true when
   * the time ran out (a snapshot taken now says who is not answering).
   */
  async #isSilentBefore(answer: Promise<unknown>, since: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const silence = new Promise<boolean>((resolve) => {
      // A few ms late on purpose: a timer may fire a little before performance.now() says
      // its time has come, and the snapshot taken then must already count the engine silent.
      timer = setTimeout(
        () => resolve(true),
        Math.max(0, since + this.#notAnsweringAfterMs - performance.now()) + 5,
      );
    });
    try {
      return await Promise.race([answer.then(() => false), silence]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Pings every engine that answered the last detection and has no ping waiting (of `only`,
   * when given).
   */
  #pingEngines(only?: ReadonlySet<string>): void {
    this.#endpoints ??= resolveEndpoints(this.#options).endpoints;
    for (const report of this.#containers?.engines ?? []) {
      const address = report.endpoint;
      const endpoint = this.#endpoints.find((candidate) => candidate.address === address);
      if (
        !report.ok ||
        endpoint === undefined ||
        this.#pings.has(address) ||
        (only !== undefined && !only.has(address))
      ) {
        continue;
      }
      const since = performance.now();
      const done = pingEngine(endpoint, {timeoutMs: this.#notAnsweringAfterMs})
        .then(
          () => {
            this.#silent.delete(address);
          },
          (error: unknown) => {
            // Ask for the containers again at the next refresh, whatever the failure; only
            // an engine that leaves the question unanswered is "not answering".
            this.#isStale = true;
            if (isTimeout(error) && !this.#silent.has(address)) {
              this.#silent.set(address, since);
            }
          },
        )
        .finally(() => {
          this.#pings.delete(address);
        });
      this.#pings.set(address, {since, done});
    }
  }

  /** Engines not answering now, by address: since when. */
  #silentEngines(): Map<string, number> {
    const now = performance.now();
    const silent = new Map(this.#silent);
    for (const [address, ping] of this.#pings) {
      if (now - ping.since >= this.#notAnsweringAfterMs && !silent.has(address)) {
        silent.set(address, ping.since);
      }
    }
    if (this.#detection !== null && now - this.#detectionStartedAt >= this.#notAnsweringAfterMs) {
      // A detection still running past the mark: the engines that answered the last one
      // and have not answered this one.
      for (const report of this.#containers?.engines ?? []) {
        if (
          report.ok &&
          !silent.has(report.endpoint) &&
          !this.#detectionAnswered.has(report.endpoint)
        ) {
          silent.set(report.endpoint, this.#detectionStartedAt);
        }
      }
    }
    return silent;
  }

  /**
   * Marks the container list out of date (an engine reported a container event): the next
   * refresh asks the engines again, whatever containersMaxAgeMs says. With `endpoint` (the
   * engine whose event it was), only that engine is asked; the others' last answers stand
   * while they are younger than containersMaxAgeMs and every engine answers.
   */
  invalidateContainers(endpoint?: string, containerId?: string): void {
    if (endpoint === undefined) {
      this.#isStale = true;
      return;
    }
    const ids = this.#staleEngines.get(endpoint);
    if (ids === undefined && containerId !== undefined) {
      this.#staleEngines.set(endpoint, new Set([containerId]));
    } else if (ids !== undefined && ids !== null && containerId !== undefined) {
      ids.add(containerId);
    } else {
      this.#staleEngines.set(endpoint, null);
    }
  }

  /**
   * What the next detection may take from the last one: the answers of the engines that
   * answered, and for those whose events named a few containers, the ids to ask about.
   */
  #reusableAnswers(): DetectionBasis {
    const reuse = new Map<string, EngineAnswer>();
    const changed = new Map<string, readonly string[]>();
    for (const [address, answer] of this.#answers) {
      const named = this.#staleEngines.get(address);
      const again = this.#secondLooks.get(address);
      const ids =
        named === null
          ? null
          : named === undefined && again === undefined
            ? undefined
            : new Set([...(named ?? []), ...(again ?? [])]);
      if (!answer.report.ok || ids === null || (ids !== undefined && ids.size > maxPatchIds)) {
        continue;
      }
      reuse.set(address, answer);
      if (ids !== undefined) {
        changed.set(address, [...ids]);
      }
    }
    return {reuse, changed};
  }

  /** What each engine address gave at the last detection (empty before the first). */
  get engines(): readonly EngineReport[] {
    return this.#containers?.engines ?? [];
  }

  /** Starts a detection: of every engine, or only as `basis` allows (see #staleEngines). */
  #startDetection(basis: DetectionBasis): Promise<ContainerPortMap> {
    const reuse = basis.reuse;
    this.#isStale = false;
    // The containers events named get their second look at the next detection; those on
    // their second look now are done. A whole list (no reuse) needs none.
    const firstLooks = new Map<string, ReadonlySet<string>>();
    if (reuse !== undefined) {
      for (const [address, ids] of this.#staleEngines) {
        if (ids !== null && basis.changed?.has(address) === true) {
          firstLooks.set(address, ids);
        }
      }
    }
    this.#secondLooks = new Map();
    this.#staleEngines.clear();
    const handle = startDetection({
      ...this.#options,
      signal: undefined,
      reuse,
      changed: basis.changed,
    });
    const previous = this.#containers?.engines ?? [];
    this.#detectionStartedAt = handle.startedAt;
    this.#detectionAnswered = handle.answered;
    const detection = awaitScan(handle).then(({map, answers}) => {
      this.#answers = answers;
      for (const report of map.engines) {
        if (report.engine !== 'unknown') {
          this.#kinds.set(report.endpoint, report.engine);
        }
        if (report.ok) {
          this.#silent.delete(report.endpoint);
        } else if (
          isTimeout(report.error) &&
          !this.#silent.has(report.endpoint) &&
          previous.some((before) => before.ok && before.endpoint === report.endpoint)
        ) {
          this.#silent.set(report.endpoint, handle.startedAt);
        }
      }
      this.#containers = map;
      for (const [address, ids] of firstLooks) {
        const pending = this.#secondLooks.get(address);
        this.#secondLooks.set(address, pending === undefined ? ids : new Set([...pending, ...ids]));
      }
      if (reuse === undefined) {
        // The age that containersMaxAgeMs bounds is the age of the oldest list in use.
        this.#detectedAt = performance.now();
      }
      this.#detection = null;
      return map;
    });
    this.#detection = detection;
    return detection;
  }

  async #scanHost(signal: AbortSignal | undefined, fresh: boolean): Promise<HostPart> {
    const startedAt = performance.now();
    const warnings: string[] = [];
    let scan = emptyScan;
    try {
      scan = await this.#scanner.scan({signal, fresh});
    } catch (error) {
      signal?.throwIfAborted();
      warnings.push(`host sockets could not be read: ${(error as Error).message}`);
    }
    if (scan.unreadableProcesses > 0) {
      warnings.push(
        `${scan.unreadableProcesses} processes could not be inspected (not root): their sockets show no owner; run with sudo to see them`,
      );
    }
    // The scanner hands back the same listeners when nothing changed: the same helper
    // processes then hold the same containers, so nothing needs resolving again.
    const previous = this.#lastHost;
    if (
      previous !== undefined &&
      previous.scan.listeners === scan.listeners &&
      scan.listeners.length > 0
    ) {
      warnings.push(...previous.warnings);
      this.#lastHost = {...previous, scan};
      return {scan, helpers: previous.helpers, warnings, startedAt};
    }
    const helperWarnings: string[] = [];
    const helpers = await findHelpers(
      scan,
      {
        storageCache: this.#storageCache,
        rootless: this.#resolver,
        signal,
        warn: (message) => {
          if (!helperWarnings.includes(message)) {
            helperWarnings.push(message);
          }
        },
      },
      this.#procRoot,
      this.#verdicts,
    );
    signal?.throwIfAborted();
    warnings.push(...helperWarnings);
    this.#lastHost = {scan, helpers, warnings: helperWarnings};
    return {scan, helpers, warnings, startedAt};
  }

  #join(host: HostPart, enginesPending: boolean): Snapshot {
    const containers = this.#containers ?? this.#noContainers;
    const warnings = [...host.warnings];
    const silent = this.#silentEngines();
    const now = performance.now();
    let engines = containers.engines;
    if (silent.size > 0) {
      // First in the header: an engine that stopped answering is the news.
      warnings.unshift(
        ...[...silent].map(([address, since]) => {
          const kind = this.#kinds.get(address);
          const seconds = Math.max(1, Math.floor((now - since) / 1000));
          return `${kind ?? 'engine'} ${address} not answering (${seconds} s)`;
        }),
      );
      engines = engines.map((report) =>
        silent.has(report.endpoint) && report.ok
          ? {
              ...report,
              ok: false,
              error: new EngineRequestError(report.endpoint, 'timeout', 'not answering'),
            }
          : report,
      );
    }
    if (this.#containers !== null) {
      // The verdict first: the header has one line for all of it.
      if (!containers.engines.some((report) => report.ok)) {
        warnings.unshift(
          'no container engine answered: showing host sockets only (start Docker or Podman, or set DOCKER_HOST)',
        );
      }
      for (const report of containers.engines) {
        if (!report.ok && !isAbsentEngine(report) && !silent.has(report.endpoint)) {
          warnings.push(
            `engine ${report.endpoint} (${report.source}): ${report.error?.message ?? 'failed'}`,
          );
        }
      }
      warnings.push(...swarmWarnings(containers.engines));
    }
    const takenAt = Date.now();
    const {rows, revision} = this.#rows(host, containers, takenAt / 1000);
    return {
      rows,
      rowsRevision: revision,
      engines,
      enginesPending,
      warnings,
      hostname: this.#hostname,
      takenAt,
      durationMs: performance.now() - host.startedAt,
      fullHostScan: host.scan.fullScan,
    };
  }

  /** Whether the newest container list differs from the one the last rows were joined with. */
  #containersMoved(): boolean {
    const last = this.#lastRows;
    const containers = this.#containers;
    if (last === undefined || containers === null || last.map === containers) {
      return false;
    }
    return containersText(last.map) !== containersText(containers);
  }

  /**
   * The rows of this host and container list: joined again only when either changed (the
   * scanner and the helper check hand back the same objects when nothing did); otherwise the
   * last rows as they are, uptimes included (a refresh that changes nothing costs nothing per
   * row; `startedAt` gives the uptime at any time).
   */
  #rows(
    host: HostPart,
    containers: ContainerPortMap,
    now: number,
  ): {rows: readonly SnapshotRow[]; revision: number} {
    const last = this.#lastRows;
    const sameHost =
      last !== undefined &&
      last.listeners === host.scan.listeners &&
      last.processes === host.scan.processes &&
      last.helpers === host.helpers;
    if (sameHost && last.map === containers) {
      return {rows: last.rows, revision: last.revision};
    }
    // A detection that found the same containers gives a new map of equal content. Its text
    // is made only then: under churn the host has changed too, and the rows are joined anyway.
    if (sameHost && containersText(last.map) === containersText(containers)) {
      // The same containers; only status texts ("Up 5 minutes") may have moved. The rows of
      // containers whose status did take the new record (the detail pane shows it); every
      // other row stays the same object, so a big host is not joined or laid out again.
      const rows = withFreshStatus(last.rows, containers);
      const revision = rows === last.rows ? last.revision : last.revision + 1;
      this.#lastRows = {...last, map: containers, rows, revision};
      return {rows, revision};
    }
    const joined = joinSnapshot({
      listeners: host.scan.listeners,
      processes: host.scan.processes,
      containers,
      helpers: host.helpers,
      now,
    });
    // Rows the change did not touch stay the objects the screen already measured.
    const rows =
      last === undefined
        ? joined
        : keepUnchangedRows(joined, new Map(last.rows.map((row) => [row.key, row])));
    const revision = (last?.revision ?? 0) + 1;
    this.#lastRows = {
      listeners: host.scan.listeners,
      processes: host.scan.processes,
      helpers: host.helpers,
      map: containers,
      rows,
      revision,
    };
    return {rows, revision};
  }
}

/**
 * Everything of a container list that the join uses, as one text: all but the status text,
 * which moves by the minute ("Up 5 minutes") while nothing else does (withFreshStatus). A
 * container's ports are taken in a fixed order: Docker keeps them in a map and lists them
 * in another order at each ask, and a host of 300 containers was joined again (20,000 rows)
 * at every detection for that alone.
 */
function containersText(map: ContainerPortMap): string {
  let text = containerTexts.get(map);
  if (text === undefined) {
    text = JSON.stringify(
      map.containers().map((container) => ({
        ...container,
        status: null,
        ports:
          container.ports.length < 2
            ? container.ports
            : container.ports.map((port) => JSON.stringify(port)).sort(),
      })),
    );
    if (map.services.length > 0) {
      // A Swarm service scaled or moved changes its rows, with the same containers publishing.
      text += JSON.stringify(map.services);
    }
    containerTexts.set(map, text);
  }
  return text;
}

/**
 * What the engines said of Swarm that the user should hear: a worker lists no services (its
 * ingress ports are then shown by no row). A Swarm question that failed stays in the report
 * (EngineReport.swarmError), not the header: an engine that lists its containers but answers
 * no `/info` (a Docker-compatible proxy, a test double) would say so at every refresh, about
 * a feature it may not have.
 */
export function swarmWarnings(engines: readonly EngineReport[]): string[] {
  const warnings: string[] = [];
  for (const report of engines) {
    if (report.swarm?.role === 'worker') {
      warnings.push(
        `engine ${report.endpoint} is a Swarm worker: ${report.swarm.reason} (watch a manager for its services' ports)`,
      );
    }
  }
  return warnings;
}

/** containersText per map (a map never changes once built). */
const containerTexts = new WeakMap<ContainerPortMap, string>();

/** A container's identity across two lists of one engine. */
const containerKey = (container: ContainerInfo): string =>
  `${container.endpoint ?? ''}|${container.id}`;

/**
 * `rows` with each container's record replaced by its record in `map` where only that
 * record's status text differs; `rows` itself when no row needs it.
 */
export function withFreshStatus(
  rows: readonly SnapshotRow[],
  map: ContainerPortMap,
): readonly SnapshotRow[] {
  const fresh = new Map<string, ContainerInfo>();
  for (const container of map.containers()) {
    fresh.set(containerKey(container), container);
  }
  let changed = false;
  const next = rows.map((row) => {
    const container = row.container;
    if (container === null) {
      return row;
    }
    const record = fresh.get(containerKey(container));
    if (record === undefined || record.status === container.status) {
      return row;
    }
    changed = true;
    return {...row, container: record};
  });
  return changed ? next : rows;
}

/**
 * How long after the host scan a refresh waits for a running detection before it shows the
 * host rows with the containers it has: a local engine answers well within it, a slow or hung
 * one delays the host rows by no more than this.
 */
const detectionGraceMs = 150;

/** Resolves when `promise` settles or after `ms`, whichever is first. */
async function settledWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      promise.then(
        () => {},
        () => {},
      ),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function isTimeout(error: unknown): boolean {
  return error instanceof EngineRequestError && error.failure === 'timeout';
}

/**
 * Runs container detection and the host scan concurrently and joins them into rows. Never
 * rejects for an engine or a host-scan failure: those become `engines` reports and
 * `warnings`, and whatever could be read is still shown. Rejects only on abort.
 */
export async function collectSnapshot(options: SnapshotOptions = {}): Promise<Snapshot> {
  let last: Snapshot | undefined;
  await new LiveSnapshot(options).refresh(
    (snapshot) => {
      last = snapshot;
    },
    options.signal,
    {finalOnly: true},
  );
  if (last === undefined) {
    throw new Error('no snapshot was taken');
  }
  return last;
}
