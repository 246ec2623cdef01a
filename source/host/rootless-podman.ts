import {readdir, readFile, readlink} from 'node:fs/promises';
import {isAbsolute, join} from 'node:path';
import {UnsafeFileError} from '../errors/unsafe-file-error.js';
import type {ContainerInfo} from '../model/container-info.js';
import {type HelperResolution, toHelperResolution} from './helper-resolution.js';
import {
  containerConfigFile,
  formatRootlessEndpoint,
  isSameFileVersion,
  parseNetworkNamespace,
  readStorageContainers,
  type StorageContainersCache,
  type StoredContainer,
  toStoredContainerInfo,
} from './podman-storage.js';
import {type PasswdEntry, parsePasswd, parseProcStat, parseStatusUid} from './proc-process.js';
import {formatSkippedFile, readSafeFile, safeFileLimits} from './safe-file.js';

/**
 * The kernel names (comm) of Podman's port helper: `rootlessport`, its `rootlessport-child`,
 * and that name as the kernel truncates it to 15 bytes (`rootlessport-ch`).
 */
const rootlessportNames: ReadonlySet<string> = new Set([
  'rootlessport',
  'rootlessport-child',
  'rootlessport-ch',
]);

/**
 * Whether a process name (comm, without its newline) is Podman's rootless port helper, the
 * process that holds a rootless container's published host ports. Exact names only:
 * `rootlessport2` or `my-rootlessport` are not it.
 */
export function isPodmanRootlessportProcess(name: string): boolean {
  return rootlessportNames.has(name);
}

/** Options of RootlessPodmanResolver. */
export interface RootlessPodmanResolverOptions {
  /** Where procfs is mounted. Default: '/proc'. */
  readonly procRoot?: string;
  /** The passwd file that gives each uid its name and home. Default: '/etc/passwd'. */
  readonly passwdPath?: string;
  /**
   * The current user's environment: `HOME`, `XDG_DATA_HOME` and `XDG_CONFIG_HOME` add storage
   * places for processes of `currentUid` only. Default: process.env.
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The uid whose environment `env` is. Default: process.getuid() (-1 where there is none). */
  readonly currentUid?: number;
}

/** What a helper process showed when it was first read; valid while its start time holds. */
interface CachedProcess {
  readonly startTicks: number;
  readonly uid: number;
  readonly namespaces: readonly string[];
}

/** A network namespace path known to belong to a container. */
interface NamespaceMatch {
  /** Whose storage it was found in: only that user's helper processes match it. */
  readonly uid: number;
  readonly containersDir: string;
  /** The parsed containers.json it came from; a different array means the file changed. */
  readonly containers: readonly StoredContainer[];
  readonly info: ContainerInfo;
}

/** A config.json's network namespace, with the stat facts that tell when to read it again. */
interface CachedNamespace {
  readonly mtimeNs: bigint;
  readonly size: bigint;
  readonly ino: bigint;
  readonly path: string | null;
}

/** A storage driver's containers folder: `vfs-containers`, `overlay-containers`, ... */
const driverContainersDir = /^[a-z0-9_]+-containers$/;

/**
 * Finds which rootless Podman container a `rootlessport` process serves, from files alone (no
 * Podman API): the process's fds include its container's network namespace
 * (`$XDG_RUNTIME_DIR/netns/netns-<uuid>`), and Podman writes that same path into the
 * container's OCI config under the process owner's storage (`<graphroot>/<driver>-containers/
 * <id>/userdata/config.json`). Storage is looked for where Podman keeps it for that owner
 * (their storage.conf's graphroot or rootless_storage_path, else ~/.local/share/containers/
 * storage), in every driver's folder. Run as root it resolves every user's containers; as a
 * user, only that user's own. Every storage.conf, containers.json and config.json is read
 * through the safe read and must be owned by the helper's owner; refused files are reported
 * as warnings of the result.
 *
 * Keeps what it learnt: a process's namespaces while its start time holds, a namespace's
 * container while its containers.json is unchanged (mtime, size, inode).
 */
export class RootlessPodmanResolver {
  readonly options: Readonly<Required<RootlessPodmanResolverOptions>>;
  readonly #processes = new Map<number, CachedProcess>();
  readonly #matches = new Map<string, NamespaceMatch>();
  readonly #storage: StorageContainersCache = new Map();
  readonly #configs = new Map<string, CachedNamespace>();

  constructor(options: RootlessPodmanResolverOptions = {}) {
    this.options = {
      procRoot: options.procRoot ?? '/proc',
      passwdPath: options.passwdPath ?? '/etc/passwd',
      env: options.env ?? process.env,
      currentUid: options.currentUid ?? process.getuid?.() ?? -1,
    };
  }

  /**
   * The container whose rootlessport process is `pid`: a 'match' when the network namespaces
   * the process holds belong to exactly one container of its owner's storage, 'ambiguous'
   * (with every candidate) when they belong to several, 'none' when the process is gone, its
   * fds cannot be read (another user's, when not root), or no container has its namespaces.
   * Skipped storage files are in `warnings`. Does not check the process name (see
   * lookupRootlessPodmanContainer).
   * @throws only the signal's reason, when aborted.
   */
  async resolve(
    pid: number,
    options: {readonly signal?: AbortSignal} = {},
  ): Promise<HelperResolution> {
    const {signal} = options;
    signal?.throwIfAborted();
    const warnings: string[] = [];
    const helper = await this.#readProcess(pid, signal);
    if (helper === null || helper.namespaces.length === 0) {
      return {kind: 'none', warnings};
    }
    const cached = await this.#cachedMatches(helper, warnings, signal);
    if (cached !== null) {
      return toHelperResolution(cached, warnings);
    }
    await this.#scan(helper.uid, warnings, signal);
    return toHelperResolution(this.#matchesOf(helper), warnings);
  }

  /** The containers of a helper's namespaces that its owner's storage has, as last scanned. */
  #matchesOf(helper: CachedProcess): ContainerInfo[] {
    const found: ContainerInfo[] = [];
    for (const namespace of helper.namespaces) {
      const match = this.#matches.get(namespace);
      if (match !== undefined && match.uid === helper.uid) {
        found.push(match.info);
      }
    }
    return found;
  }

  /**
   * The helper's containers from the cache alone, when every namespace it holds has a match
   * whose containers.json is unchanged; else null (scan again: a namespace without a match
   * may be a container the cache does not know yet, and would make the answer ambiguous).
   */
  async #cachedMatches(
    helper: CachedProcess,
    warnings: string[],
    signal: AbortSignal | undefined,
  ): Promise<ContainerInfo[] | null> {
    const found: ContainerInfo[] = [];
    for (const namespace of helper.namespaces) {
      const match = this.#matches.get(namespace);
      if (
        match === undefined ||
        match.uid !== helper.uid ||
        !(await this.#isCurrent(namespace, match, warnings, signal))
      ) {
        return null;
      }
      found.push(match.info);
    }
    return found;
  }

  /**
   * The storage roots (graphroots) where Podman keeps `uid`'s rootless containers, most
   * specific first, de-duplicated; they need not exist.
   * @throws only the signal's reason, when aborted.
   */
  async listStorageRoots(
    uid: number,
    options: {readonly signal?: AbortSignal} = {},
  ): Promise<string[]> {
    const user = (await this.#readPasswd(options.signal)).get(uid);
    return this.#storageRoots(uid, user, options.signal, []);
  }

  async #storageRoots(
    uid: number,
    user: PasswdEntry | undefined,
    signal: AbortSignal | undefined,
    warnings: string[],
  ): Promise<string[]> {
    const {env, currentUid} = this.options;
    const isCurrent = uid === currentUid;
    const homes = new Set<string>();
    if (user !== undefined && user.home !== '') {
      homes.add(user.home);
    }
    if (isCurrent && env.HOME) {
      homes.add(env.HOME);
    }
    const primaryHome = user?.home || (isCurrent ? env.HOME : undefined) || '';
    const facts = {uid, user: user?.name ?? String(uid)};

    const configs: Array<{file: string; home: string}> = [];
    if (isCurrent && env.XDG_CONFIG_HOME) {
      configs.push({
        file: join(env.XDG_CONFIG_HOME, 'containers', 'storage.conf'),
        home: primaryHome,
      });
    }
    for (const home of homes) {
      configs.push({file: join(home, '.config', 'containers', 'storage.conf'), home});
    }
    const roots: string[] = [];
    for (const {file, home} of configs) {
      // The user's own config: it must be theirs, like the storage it points to.
      const text = await readOwnedQuietly(file, uid, safeFileLimits.config, warnings, signal);
      if (text === null) {
        continue;
      }
      // Either key may name the root (rootless_storage_path wins in Podman); look in both.
      const conf = parseStorageConf(text);
      for (const path of [conf.rootlessStoragePath, conf.graphroot]) {
        const expanded = path === null ? null : expandStoragePath(path, {...facts, home});
        if (expanded !== null && isAbsolute(expanded)) {
          roots.push(expanded);
        }
      }
    }
    if (isCurrent && env.XDG_DATA_HOME) {
      roots.push(join(env.XDG_DATA_HOME, 'containers', 'storage'));
    }
    for (const home of homes) {
      roots.push(join(home, '.local', 'share', 'containers', 'storage'));
    }
    return [...new Set(roots)];
  }

  async #readProcess(pid: number, signal: AbortSignal | undefined): Promise<CachedProcess | null> {
    const base = join(this.options.procRoot, String(pid));
    const startTicks = await this.#readStartTicks(base, signal);
    if (startTicks === null) {
      this.#processes.delete(pid);
      return null;
    }
    const cached = this.#processes.get(pid);
    if (cached !== undefined && cached.startTicks === startTicks) {
      return cached;
    }
    this.#processes.delete(pid);
    const uid = parseStatusUid((await readQuietly(join(base, 'status'), signal)) ?? '');
    if (uid === undefined) {
      return null;
    }
    const namespaces = await this.#readNamespaceLinks(join(base, 'fd'), signal);
    // The pid may have been reused while the fds were read: trust them only if it was not.
    if ((await this.#readStartTicks(base, signal)) !== startTicks) {
      return null;
    }
    const helper = {startTicks, uid, namespaces};
    // A helper caught before it opened its namespace is read again next time.
    if (namespaces.length > 0) {
      this.#processes.set(pid, helper);
    }
    return helper;
  }

  async #readStartTicks(base: string, signal: AbortSignal | undefined): Promise<number | null> {
    const text = await readQuietly(join(base, 'stat'), signal);
    return (text === null ? undefined : parseProcStat(text))?.startTicks ?? null;
  }

  async #readNamespaceLinks(fdDir: string, signal: AbortSignal | undefined): Promise<string[]> {
    let fds: string[];
    try {
      fds = await readdir(fdDir);
    } catch (error) {
      rethrowIfAborted(error, signal);
      return [];
    }
    const links = await Promise.all(
      fds.map(async (fd) => {
        try {
          return await readlink(join(fdDir, fd));
        } catch {
          // An fd closed between readdir and readlink.
          return '';
        }
      }),
    );
    signal?.throwIfAborted();
    return [...new Set(links.filter((link) => link.includes('/netns/')))];
  }

  /** Whether a cached match still holds: its containers.json parses to the same array. */
  async #isCurrent(
    namespace: string,
    match: NamespaceMatch,
    warnings: string[],
    signal: AbortSignal | undefined,
  ): Promise<boolean> {
    try {
      const containers = await readStorageContainers(match.containersDir, this.#storage, {
        expectedUid: match.uid,
        signal,
      });
      if (containers === match.containers) {
        return true;
      }
    } catch (error) {
      rethrowIfAborted(error, signal);
      collectWarning(error, warnings);
    }
    this.#matches.delete(namespace);
    return false;
  }

  /** Reads every driver folder of `uid`'s storage roots and records each container's namespace. */
  async #scan(uid: number, warnings: string[], signal: AbortSignal | undefined): Promise<void> {
    const user = (await this.#readPasswd(signal)).get(uid);
    const endpoint = formatRootlessEndpoint(user?.name ?? String(uid));
    for (const root of await this.#storageRoots(uid, user, signal, warnings)) {
      let entries: string[];
      try {
        entries = await readdir(root);
      } catch (error) {
        rethrowIfAborted(error, signal);
        continue;
      }
      for (const entry of entries.filter((name) => driverContainersDir.test(name)).sort()) {
        await this.#scanContainersDir(join(root, entry), uid, endpoint, warnings, signal);
      }
    }
  }

  async #scanContainersDir(
    containersDir: string,
    uid: number,
    endpoint: string,
    warnings: string[],
    signal: AbortSignal | undefined,
  ): Promise<void> {
    // This folder's old matches go, also when it cannot be read now; the ones still true come
    // back below.
    for (const [namespace, match] of this.#matches) {
      if (match.containersDir === containersDir) {
        this.#matches.delete(namespace);
      }
    }
    let containers: readonly StoredContainer[];
    try {
      containers = await readStorageContainers(containersDir, this.#storage, {
        expectedUid: uid,
        signal,
      });
    } catch (error) {
      rethrowIfAborted(error, signal);
      collectWarning(error, warnings);
      return;
    }
    const live = new Set<string>();
    for (const container of containers) {
      const configFile = containerConfigFile(containersDir, container.id);
      live.add(configFile);
      let namespace: string | null;
      try {
        namespace = await this.#readConfigNamespace(configFile, uid, signal);
      } catch (error) {
        rethrowIfAborted(error, signal);
        collectWarning(error, warnings);
        if (error instanceof UnsafeFileError && error.reason === 'timeout') {
          // A folder that stalls once stalls again: one time bound per folder, not per file.
          break;
        }
        continue;
      }
      if (namespace !== null) {
        this.#matches.set(namespace, {
          uid,
          containersDir,
          containers,
          info: toStoredContainerInfo(container, endpoint),
        });
      }
    }
    for (const configFile of this.#configs.keys()) {
      if (configFile.startsWith(`${containersDir}/`) && !live.has(configFile)) {
        this.#configs.delete(configFile);
      }
    }
  }

  /**
   * A container's network namespace from its config.json, read again only when the file
   * changed: Podman rewrites it on every start, with a new namespace, while containers.json
   * may stay as it was. A missing or unreadable file is null.
   * @throws UnsafeFileError when the file is refused; the signal's reason.
   */
  async #readConfigNamespace(
    configFile: string,
    uid: number,
    signal: AbortSignal | undefined,
  ): Promise<string | null> {
    const cached = this.#configs.get(configFile);
    try {
      const {text, stats: facts} = await readSafeFile(configFile, {
        expectedUid: uid,
        maxBytes: safeFileLimits.config,
        signal,
        isUnchanged: (facts) => cached !== undefined && isSameFileVersion(cached, facts),
      });
      if (text === null && cached !== undefined) {
        return cached.path;
      }
      const path = parseNetworkNamespace(text ?? '');
      this.#configs.set(configFile, {
        mtimeNs: facts.mtimeNs,
        size: facts.size,
        ino: facts.ino,
        path,
      });
      return path;
    } catch (error) {
      this.#configs.delete(configFile);
      rethrowIfAborted(error, signal);
      if (error instanceof UnsafeFileError) {
        throw error;
      }
      return null;
    }
  }

  async #readPasswd(signal: AbortSignal | undefined): Promise<Map<number, PasswdEntry>> {
    return parsePasswd((await readQuietly(this.options.passwdPath, signal)) ?? '');
  }
}

/**
 * The rootless Podman container that a port-holding process serves, when that process is
 * Podman's `rootlessport` helper: the resolver's answer ('match', 'ambiguous' or 'none').
 * 'none' when `processName` is not the helper's, or the container cannot be found; a vanished
 * process or an unreadable file is a 'none', never an error.
 * @throws only the signal's reason, when aborted.
 */
export async function lookupRootlessPodmanContainer(
  pid: number,
  processName: string,
  resolver: RootlessPodmanResolver,
  options: {readonly signal?: AbortSignal} = {},
): Promise<HelperResolution> {
  if (!isPodmanRootlessportProcess(processName)) {
    return {kind: 'none', warnings: []};
  }
  return resolver.resolve(pid, options);
}

/** Adds a refused file's warning; other failures (a missing file, junk JSON) stay quiet. */
function collectWarning(error: unknown, warnings: string[]): void {
  if (error instanceof UnsafeFileError) {
    warnings.push(formatSkippedFile(error));
  }
}

function rethrowIfAborted(error: unknown, signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw signal.reason ?? error;
  }
}

/**
 * A file of `uid`'s through the safe read, or null when it is missing or unreadable; a refused
 * file is null plus a warning.
 */
async function readOwnedQuietly(
  file: string,
  uid: number,
  maxBytes: number,
  warnings: string[],
  signal: AbortSignal | undefined,
): Promise<string | null> {
  try {
    return (await readSafeFile(file, {expectedUid: uid, maxBytes, signal})).text;
  } catch (error) {
    rethrowIfAborted(error, signal);
    collectWarning(error, warnings);
    return null;
  }
}

/** A root-owned file's text (/proc, /etc/passwd), or null when it cannot be read. */
async function readQuietly(file: string, signal: AbortSignal | undefined): Promise<string | null> {
  try {
    return await readFile(file, {encoding: 'utf8', signal});
  } catch (error) {
    rethrowIfAborted(error, signal);
    return null;
  }
}

/**
 * The two root keys of a storage.conf's `[storage]` table. A few lines of TOML, not a TOML
 * parser: only `key = "string"` or `key = 'string'` lines count.
 */
function parseStorageConf(text: string): {
  graphroot: string | null;
  rootlessStoragePath: string | null;
} {
  const found = {graphroot: null as string | null, rootlessStoragePath: null as string | null};
  let table = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const header = /^\[\s*([^\]]*?)\s*\]/.exec(line);
    if (header !== null) {
      table = header[1] ?? '';
      continue;
    }
    if (table !== 'storage') {
      continue;
    }
    const entry = /^(graphroot|rootless_storage_path)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)')/.exec(
      line,
    );
    if (entry === null) {
      continue;
    }
    const value = entry[3] ?? unescapeBasicString(entry[2] ?? '');
    if (entry[1] === 'graphroot') {
      found.graphroot = value;
    } else {
      found.rootlessStoragePath = value;
    }
  }
  return found;
}

/** A TOML basic string's escapes are JSON's (bar \U and \e, which no path uses). */
function unescapeBasicString(text: string): string {
  try {
    return JSON.parse(`"${text}"`) as string;
  } catch {
    return text;
  }
}

/** Expands `~`, `$HOME`, `$UID` and `$USER` (also as `${...}`), as containers/storage does. */
function expandStoragePath(
  path: string,
  facts: {home: string; uid: number; user: string},
): string | null {
  const values: Record<string, string> = {
    HOME: facts.home,
    UID: String(facts.uid),
    USER: facts.user,
  };
  if ((path === '~' || path.startsWith('~/')) && facts.home === '') {
    return null;
  }
  const tilde = path === '~' || path.startsWith('~/') ? facts.home + path.slice(1) : path;
  let missing = false;
  const expanded = tilde.replace(
    /\$(?:\{(HOME|UID|USER)\}|(HOME|UID|USER)\b)/g,
    (_whole, braced: string | undefined, bare: string | undefined) => {
      const value = values[braced ?? bare ?? ''] ?? '';
      missing ||= value === '';
      return value;
    },
  );
  return missing ? null : expanded;
}
