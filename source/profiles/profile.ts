import type {IncomingHttpHeaders} from 'node:http';
import type {HostProcess} from '../host/host-scanner.js';
import type {StorageContainersCache} from '../host/podman-storage.js';
import type {RootlessPodmanResolver} from '../host/rootless-podman.js';
import type {EngineKind} from '../model/container-info.js';
import type {HelperResolution, HelperRule} from '../model/helper.js';
import type {StopStatusTable} from '../model/stop-outcome.js';

/** The engine kinds nanodock knows, one profile each. */
export type ProfileId = 'docker' | 'podman' | 'podman-rootless';

/** What discovery knows about the user it looks for engines for. */
export interface DiscoveryContext {
  readonly uid: number;
  readonly home: string;
  /** `/run/user/UID`, and XDG_RUNTIME_DIR when it differs. */
  readonly runtimeDirs: readonly string[];
}

/** Shared, reused state for helper resolution across refreshes. */
export interface HelperContext {
  readonly storageCache: StorageContainersCache;
  readonly rootless: RootlessPodmanResolver;
  readonly signal: AbortSignal | undefined;
  /** Collects one-line problems worth showing (an unsafe storage file skipped). */
  readonly warn: (message: string) => void;
}

/** A helper process of an engine: how it is recognised and verified, and how it leads to its container. */
export interface HelperSpec extends HelperRule {
  /**
   * How a verified helper is resolved: `published-port` when the join matches it to the
   * container publishing its port (the engine's list has it); otherwise a resolver that reads
   * the host (conmon's container id in storage, rootlessport's network namespace).
   */
  readonly resolve:
    | 'published-port'
    | ((process: HostProcess, context: HelperContext) => Promise<HelperResolution>);
}

/** How an engine stops and kills a container. */
export type StopSpec =
  /** Through the engine's API (`POST /containers/ID/stop|kill`), read with this status table. */
  | {readonly via: 'api'; readonly table: StopStatusTable}
  /**
   * Through the container owner's own `podman` command (no API socket to ask), as that user
   * with their XDG_RUNTIME_DIR. Only root may act for another user.
   */
  | {readonly via: 'owner-cli'};

/**
 * Everything nanodock knows about one kind of engine, in one place. The snapshot, discovery,
 * detection, stop and the event watcher read these; adding an engine kind is one new profile
 * plus its line in registry.ts (see the README's checklist).
 */
export interface EngineProfile {
  readonly id: ProfileId;
  /** The kind stamped on its containers. */
  readonly engine: EngineKind;
  readonly title: string;
  /** Environment variables that name one of its engines (queried alone when set). */
  readonly variables: readonly string[];
  /** Well-known API sockets for one user, most common first (none for an engine without an API). */
  readonly sockets: (context: DiscoveryContext) => readonly string[];
  /** Whether an API answer's headers come from this kind of engine. */
  readonly recognise: (headers: IncomingHttpHeaders) => boolean;
  /** Processes that hold host ports for its containers. */
  readonly helpers: readonly HelperSpec[];
  /** Where its running containers come from: its API, or storage files alone. */
  readonly listing: 'api' | 'storage';
  /** Whether this profile's engine reported a container with this `endpoint` (for actions). */
  readonly ownsEndpoint: (endpoint: string, engine: EngineKind) => boolean;
  readonly stop: StopSpec;
  /**
   * How container changes are noticed: its API's event stream (watchEngineEvents, on every
   * API engine found), or the next host scan (a helper appearing or going away).
   */
  readonly events: 'api-stream' | 'host-scan';
}
