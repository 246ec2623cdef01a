import {readdir, readFile, readlink, stat} from 'node:fs/promises';
import {isAbsolute, join} from 'node:path';
import type {ContainerInfo} from '../model/container-info.js';
import {
  isSameFileVersion,
  parseNetworkNamespace,
  readStorageContainers,
  type StorageContainersCache,
  type StoredContainer,
} from './podman-storage.js';

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

interface PasswdEntry {
  readonly name: string;
  readonly home: string;
}

/** What a helper process showed when it was first read; valid while its start time holds. */
interface CachedProcess {
  readonly startTicks: string;
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
 * user, only that user's own.
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
   * The container whose rootlessport process is `pid`, or null when the process is gone, its
   * fds cannot be read (another user's, when not root), or no container in its owner's storage
   * has its network namespace. Does not check the process name (see
   * lookupRootlessPodmanContainer).
   * @throws only the signal's reason, when aborted.
   */
  async resolve(
    pid: number,
    options: {readonly signal?: AbortSignal} = {},
  ): Promise<ContainerInfo | null> {
    const {signal} = options;
    signal?.throwIfAborted();
    const helper = await this.#readProcess(pid, signal);
    if (helper === null || helper.namespaces.length === 0) {
      return null;
    }
    for (const namespace of helper.namespaces) {
      const match = this.#matches.get(namespace);
      if (
        match !== undefined &&
        match.uid === helper.uid &&
        (await this.#isCurrent(namespace, match, signal))
      ) {
        return match.info;
      }
    }
    await this.#scan(helper.uid, signal);
    for (const namespace of helper.namespaces) {
      const match = this.#matches.get(namespace);
      if (match !== undefined && match.uid === helper.uid) {
        return match.info;
      }
    }
    return null;
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
    return this.#storageRoots(uid, user, options.signal);
  }

  async #storageRoots(
    uid: number,
    user: PasswdEntry | undefined,
    signal: AbortSignal | undefined,
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
      const text = await readQuietly(file, signal);
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
    if (uid === null) {
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

  async #readStartTicks(base: string, signal: AbortSignal | undefined): Promise<string | null> {
    const text = await readQuietly(join(base, 'stat'), signal);
    return text === null ? null : parseStartTicks(text);
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
    signal: AbortSignal | undefined,
  ): Promise<boolean> {
    try {
      const containers = await readStorageContainers(match.containersDir, this.#storage, {signal});
      if (containers === match.containers) {
        return true;
      }
    } catch (error) {
      rethrowIfAborted(error, signal);
    }
    this.#matches.delete(namespace);
    return false;
  }

  /** Reads every driver folder of `uid`'s storage roots and records each container's namespace. */
  async #scan(uid: number, signal: AbortSignal | undefined): Promise<void> {
    const user = (await this.#readPasswd(signal)).get(uid);
    const endpoint = `rootless:${user?.name ?? uid}`;
    for (const root of await this.#storageRoots(uid, user, signal)) {
      let entries: string[];
      try {
        entries = await readdir(root);
      } catch (error) {
        rethrowIfAborted(error, signal);
        continue;
      }
      for (const entry of entries.filter((name) => driverContainersDir.test(name)).sort()) {
        await this.#scanContainersDir(join(root, entry), uid, endpoint, signal);
      }
    }
  }

  async #scanContainersDir(
    containersDir: string,
    uid: number,
    endpoint: string,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    let containers: readonly StoredContainer[];
    try {
      containers = await readStorageContainers(containersDir, this.#storage, {signal});
    } catch (error) {
      rethrowIfAborted(error, signal);
      return;
    }
    // This folder's old matches go; the ones still true come back below.
    for (const [namespace, match] of this.#matches) {
      if (match.containersDir === containersDir) {
        this.#matches.delete(namespace);
      }
    }
    const live = new Set<string>();
    for (const container of containers) {
      const configFile = join(containersDir, container.id, 'userdata', 'config.json');
      live.add(configFile);
      const namespace = await this.#readConfigNamespace(configFile, signal);
      if (namespace !== null) {
        this.#matches.set(namespace, {
          uid,
          containersDir,
          containers,
          info: toContainerInfo(container, endpoint),
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
   * may stay as it was.
   */
  async #readConfigNamespace(
    configFile: string,
    signal: AbortSignal | undefined,
  ): Promise<string | null> {
    try {
      const facts = await stat(configFile, {bigint: true});
      const cached = this.#configs.get(configFile);
      if (cached !== undefined && isSameFileVersion(cached, facts)) {
        return cached.path;
      }
      const path = parseNetworkNamespace(await readFile(configFile, {encoding: 'utf8', signal}));
      this.#configs.set(configFile, {
        mtimeNs: facts.mtimeNs,
        size: facts.size,
        ino: facts.ino,
        path,
      });
      return path;
    } catch (error) {
      rethrowIfAborted(error, signal);
      this.#configs.delete(configFile);
      return null;
    }
  }

  async #readPasswd(signal: AbortSignal | undefined): Promise<Map<number, PasswdEntry>> {
    return parsePasswd((await readQuietly(this.options.passwdPath, signal)) ?? '');
  }
}

/**
 * The rootless Podman container that a port-holding process serves, when that process is
 * Podman's `rootlessport` helper. Returns null when `processName` is not the helper's, or the
 * container cannot be found; a vanished process or an unreadable file is a null, never an
 * error.
 * @throws only the signal's reason, when aborted.
 */
export async function lookupRootlessPodmanContainer(
  pid: number,
  processName: string,
  resolver: RootlessPodmanResolver,
  options: {readonly signal?: AbortSignal} = {},
): Promise<ContainerInfo | null> {
  if (!isPodmanRootlessportProcess(processName)) {
    return null;
  }
  return resolver.resolve(pid, options);
}

function toContainerInfo(container: StoredContainer, endpoint: string): ContainerInfo {
  return {
    id: container.id,
    name: container.name,
    names: container.names,
    image: container.image,
    state: 'running',
    status: null,
    command: null,
    created: container.created === null ? null : Math.floor(container.created / 1000),
    labels: {},
    composeProject: null,
    ports: [],
    endpoint,
    engine: 'podman',
  };
}

function rethrowIfAborted(error: unknown, signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw signal.reason ?? error;
  }
}

/** A file's text, or null when it cannot be read (gone, a folder, permission denied). */
async function readQuietly(file: string, signal: AbortSignal | undefined): Promise<string | null> {
  try {
    return await readFile(file, {encoding: 'utf8', signal});
  } catch (error) {
    rethrowIfAborted(error, signal);
    return null;
  }
}

/** Field 22 of /proc/PID/stat (start time in clock ticks), read after the `(comm)` that may hold spaces. */
function parseStartTicks(text: string): string | null {
  const fields = text
    .slice(text.lastIndexOf(')') + 1)
    .trim()
    .split(/\s+/);
  // Field 3 (state) is the first after the comm, so field 22 is at index 19.
  const ticks = fields[19];
  return ticks !== undefined && /^\d+$/.test(ticks) ? ticks : null;
}

/** The real uid of a /proc/PID/status text, or null. */
function parseStatusUid(text: string): number | null {
  const match = /^Uid:\s+(\d+)/m.exec(text);
  return match?.[1] === undefined ? null : Number(match[1]);
}

function parsePasswd(text: string): Map<number, PasswdEntry> {
  const users = new Map<number, PasswdEntry>();
  for (const line of text.split('\n')) {
    const [name, , uid, , , home] = line.split(':');
    if (name && uid !== undefined && /^\d+$/.test(uid) && !users.has(Number(uid))) {
      users.set(Number(uid), {name, home: home ?? ''});
    }
  }
  return users;
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
