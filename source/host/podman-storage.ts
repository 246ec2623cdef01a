import {basename, dirname, join} from 'node:path';
import {NanodockError} from '../errors/nanodock-error.js';
import {UnsafeFileError} from '../errors/unsafe-file-error.js';
import {type ContainerInfo, shortContainerId} from '../model/container-info.js';
import {type HelperResolution, toHelperResolution} from './helper-resolution.js';
import {formatSkippedFile, readSafeFile, safeFileLimits} from './safe-file.js';

/** One container as Podman's storage (`<graphroot>/<driver>-containers/containers.json`) lists it. */
export interface StoredContainer {
  /** Full container id. */
  readonly id: string;
  /** Every name storage lists (Podman keeps one). */
  readonly names: readonly string[];
  /** First name, else the metadata's name, else the short id. */
  readonly name: string;
  /** Image reference from the metadata (`image-name`), else the image id, else ''. */
  readonly image: string;
  /** Creation time in Unix milliseconds, or null. */
  readonly created: number | null;
}

/** The stat facts that tell whether a containers.json changed, and what it held then. */
export interface CachedStorageContainers {
  readonly mtimeNs: bigint;
  readonly size: bigint;
  /** Podman rewrites containers.json by rename, so a new inode means a new file. */
  readonly ino: bigint;
  readonly containers: readonly StoredContainer[];
}

/** Parsed containers.json files by path; pass one to readStorageContainers to reuse it. */
export type StorageContainersCache = Map<string, CachedStorageContainers>;

/** What a conmon command line says about its container. */
export interface ConmonArgs {
  /** `-c` / `--cid`. */
  readonly id: string;
  /** `-n` / `--name`, or null. */
  readonly name: string | null;
  /** `-b` / `--bundle`: `<graphroot>/<driver>-containers/<id>/userdata` under Podman, or null. */
  readonly bundle: string | null;
}

/** Options of the storage reads: whose files they must be. */
export interface StorageReadOptions {
  /**
   * The uid that must own the files read (the owner of the helper process whose data they
   * are). Required: a file of anyone else is refused (UnsafeFileError).
   */
  readonly expectedUid: number;
  /** Abandons the read. Default: none. */
  readonly signal?: AbortSignal;
}

/** Options of resolveConmonContainer. */
export interface ConmonResolveOptions {
  /**
   * The conmon process's real uid (/proc/PID/status). Its storage files must be owned by this
   * uid; for any uid but 0 the container must be listed there, and belongs to that user's
   * rootless engine. Required.
   */
  readonly ownerUid: number;
  /** The owner's user name, for the `rootless:NAME` endpoint. Default: the uid as text. */
  readonly ownerName?: string;
  /** Reuses parsed containers.json files across calls. Default: none (read every time). */
  readonly cache?: StorageContainersCache;
  /** Abandons the storage read. Default: none. */
  readonly signal?: AbortSignal;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const nonEmptyString = (value: unknown): string | null =>
  typeof value === 'string' && value !== '' ? value : null;

/** Ids end up in paths (`<dir>/<id>/userdata`): refuse anything that could leave the folder. */
const safeId = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/**
 * Whether a file is the version a cache read: same mtime, size and inode (Podman replaces
 * its files by rename, so the inode changes even when mtime and size do not).
 */
export function isSameFileVersion(
  cached: {readonly mtimeNs: bigint; readonly size: bigint; readonly ino: bigint},
  facts: {readonly mtimeNs: bigint; readonly size: bigint; readonly ino: bigint},
): boolean {
  return cached.mtimeNs === facts.mtimeNs && cached.size === facts.size && cached.ino === facts.ino;
}

/** Whether `id` can name a folder under a storage containers folder. */
function isSafeStorageId(id: string): boolean {
  return safeId.test(id);
}

function parseMetadata(value: unknown): Record<string, unknown> {
  if (typeof value !== 'string') {
    return isRecord(value) ? value : {};
  }
  // The metadata is JSON inside a JSON string; one broken entry must not hide the others.
  try {
    const parsed: unknown = JSON.parse(value);
    return isRecord(parsed) ? parsed : {};
  } catch {
    return {};
  }
}

function parseCreated(
  entry: Record<string, unknown>,
  metadata: Record<string, unknown>,
): number | null {
  const created = nonEmptyString(entry.created);
  if (created !== null) {
    const ms = Date.parse(created);
    if (Number.isFinite(ms)) {
      return ms;
    }
  }
  // Podman writes `created-at` in Unix seconds.
  const seconds = metadata['created-at'];
  return typeof seconds === 'number' && Number.isFinite(seconds) && seconds > 0
    ? seconds * 1000
    : null;
}

/**
 * The containers of a Podman storage `containers.json` text, in file order. Entries without a
 * usable id (missing, or one that is not a safe folder name) are skipped; a broken metadata
 * string only loses what it would add.
 * @throws NanodockError when the text is not JSON or not a JSON array.
 */
export function parseStorageContainers(text: string): StoredContainer[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new NanodockError(`containers.json is not JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (!Array.isArray(parsed)) {
    throw new NanodockError('containers.json is not a JSON array');
  }
  const containers: StoredContainer[] = [];
  for (const entry of parsed) {
    if (!isRecord(entry)) {
      continue;
    }
    const id = nonEmptyString(entry.id);
    if (id === null || !isSafeStorageId(id)) {
      continue;
    }
    const metadata = parseMetadata(entry.metadata);
    const names = Array.isArray(entry.names)
      ? entry.names.filter((name): name is string => typeof name === 'string' && name !== '')
      : [];
    containers.push({
      id,
      names,
      name: names[0] ?? nonEmptyString(metadata.name) ?? shortContainerId(id),
      image: nonEmptyString(metadata['image-name']) ?? nonEmptyString(entry.image) ?? '',
      created: parseCreated(entry, metadata),
    });
  }
  return containers;
}

/**
 * Reads `<containersDir>/containers.json` through the safe read (a regular file owned by
 * `expectedUid`, at most 32 MiB, within 2 s). With a cache, the file is parsed again only when
 * its mtime, size or inode changed; otherwise the same array is returned. The cache is
 * consulted only after the opened file passed every check.
 * @throws UnsafeFileError when the file is refused; the fs error (ENOENT, EACCES) as is; the
 * signal's reason when aborted; NanodockError naming the file when it is not a JSON array.
 */
export async function readStorageContainers(
  containersDir: string,
  cache: StorageContainersCache | undefined,
  options: StorageReadOptions,
): Promise<readonly StoredContainer[]> {
  const file = join(containersDir, 'containers.json');
  const cached = cache?.get(file);
  const {text, stats: facts} = await readSafeFile(file, {
    expectedUid: options.expectedUid,
    maxBytes: safeFileLimits.storageContainers,
    signal: options.signal,
    isUnchanged: (facts) => cached !== undefined && isSameFileVersion(cached, facts),
  });
  if (text === null && cached !== undefined) {
    return cached.containers;
  }
  let containers: StoredContainer[];
  try {
    containers = parseStorageContainers(text ?? '');
  } catch (error) {
    throw new NanodockError(`${file}: ${(error as Error).message}`, {cause: error});
  }
  // The fstat from before the read: if the file changed in between, the next call sees a new
  // mtime and reads again, so the cache never keeps a stale parse.
  cache?.set(file, {mtimeNs: facts.mtimeNs, size: facts.size, ino: facts.ino, containers});
  return containers;
}

/** `<containersDir>/<id>/userdata/config.json`, the OCI config Podman writes for a container. */
export function containerConfigFile(containersDir: string, id: string): string {
  return join(containersDir, id, 'userdata', 'config.json');
}

/** The `network` namespace path of an OCI config.json text, or null. Never throws. */
export function parseNetworkNamespace(text: string): string | null {
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isRecord(config) || !isRecord(config.linux) || !Array.isArray(config.linux.namespaces)) {
    return null;
  }
  for (const namespace of config.linux.namespaces) {
    if (isRecord(namespace) && namespace.type === 'network') {
      return nonEmptyString(namespace.path);
    }
  }
  return null;
}

/** conmon options (GLib) that take a value, so their values are skipped, never read as flags. */
const conmonValueOptions = new Set([
  '-c',
  '--cid',
  '-u',
  '--cuuid',
  '-n',
  '--name',
  '-r',
  '--runtime',
  '-b',
  '--bundle',
  '-0',
  '--persist-dir',
  '-p',
  '--container-pidfile',
  '-P',
  '--conmon-pidfile',
  '-l',
  '--log-path',
  '-T',
  '--timeout',
  '--restore',
  '--restore-arg',
  '--runtime-opt',
  '--runtime-arg',
  '--pidfile',
  '--exec-process-spec',
  '--exit-dir',
  '--exit-command',
  '--exit-command-arg',
  '--log-size-max',
  '--log-global-size-max',
  '--socket-dir-path',
  '--log-level',
  '--log-tag',
  '--log-label',
  '--sdnotify-socket',
  '--seccomp-notify-socket',
  '--seccomp-notify-plugins',
]);

const conmonFields: Record<string, keyof ConmonArgs> = {
  '-c': 'id',
  '--cid': 'id',
  '-n': 'name',
  '--name': 'name',
  '-b': 'bundle',
  '--bundle': 'bundle',
};

/**
 * Reads the container id, name and bundle from a conmon command line (argv[0] included or not).
 * Values of every option are skipped, so `--exit-command-arg -n` is never taken for a name;
 * `--opt=value` works too; the last occurrence wins, as in GLib. Returns null without an id;
 * never throws.
 */
export function parseConmonArgs(argv: readonly string[]): ConmonArgs | null {
  const found: {id?: string; name?: string; bundle?: string} = {};
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index] ?? '';
    if (arg === '--') {
      break;
    }
    let option = arg;
    let value: string | undefined;
    const equals = arg.indexOf('=');
    if (arg.startsWith('--') && equals > 0) {
      option = arg.slice(0, equals);
      value = arg.slice(equals + 1);
    } else if (conmonValueOptions.has(arg)) {
      value = argv[index + 1];
      index++;
    }
    const field = conmonFields[option];
    if (field !== undefined && value !== undefined && value !== '') {
      found[field] = value;
    }
  }
  if (found.id === undefined) {
    return null;
  }
  return {id: found.id, name: found.name ?? null, bundle: found.bundle ?? null};
}

/** The endpoint of `user`'s rootless Podman engine: `rootless:NAME`. */
export function formatRootlessEndpoint(user: string): string {
  return `rootless:${user}`;
}

/**
 * The user whose rootless Podman engine an endpoint names (`rootless:ndlab` -> 'ndlab'), or
 * null for any other endpoint (an API address, `storage:<dir>` of root's storage, null).
 */
export function parseRootlessEndpoint(endpoint: string | null): string | null {
  return endpoint?.startsWith('rootless:') === true && endpoint.length > 'rootless:'.length
    ? endpoint.slice('rootless:'.length)
    : null;
}

/**
 * A running container as storage knows it, as a ContainerInfo of `endpoint`. `name`, when
 * given (conmon's `-n`), replaces storage's names. The one place storage becomes a
 * ContainerInfo, for conmon and rootlessport alike.
 */
export function toStoredContainerInfo(
  container: StoredContainer,
  endpoint: string | null,
  overrides: {readonly name?: string | null} = {},
): ContainerInfo {
  const name = overrides.name ?? null;
  return {
    id: container.id,
    name: name ?? container.name,
    names: name === null ? [...container.names] : [name],
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

/** The containers folder of a bundle laid out as Podman does (`<dir>/<id>/userdata`), or null. */
function bundleContainersDir(args: ConmonArgs): string | null {
  if (args.bundle === null) {
    return null;
  }
  const bundle = args.bundle.replace(/\/+$/, '');
  const containerDir = dirname(bundle);
  return basename(bundle) === 'userdata' && basename(containerDir) === args.id
    ? dirname(containerDir)
    : null;
}

/**
 * The container a conmon process watches, from its command line plus Podman's storage (the
 * image lives in `containers.json` two folders above the bundle, `<dir>/<id>/userdata`),
 * read only through the safe read with `ownerUid` as the expected owner. Works with the
 * Podman API down.
 *
 * Root's conmon (its command line is root's own): a 'match' even when storage cannot be read
 * (image '' then), endpoint `storage:<containersDir>` (null without a Podman bundle). Any
 * other owner's conmon: a 'match' only when its `-c` id is listed in a containers.json that
 * owner owns, endpoint `rootless:NAME` (the same engine identity as its rootlessport), else
 * 'none'. A command line without a usable id is 'none'. Skipped files are in `warnings`.
 * @throws only the signal's reason.
 */
export async function resolveConmonContainer(
  argv: readonly string[],
  options: ConmonResolveOptions,
): Promise<HelperResolution> {
  const warnings: string[] = [];
  const args = parseConmonArgs(argv);
  if (args === null || !isSafeStorageId(args.id)) {
    return {kind: 'none', warnings};
  }
  const containersDir = bundleContainersDir(args);
  let stored: StoredContainer | undefined;
  if (containersDir !== null) {
    try {
      const containers = await readStorageContainers(containersDir, options.cache, {
        expectedUid: options.ownerUid,
        signal: options.signal,
      });
      stored = containers.find((container) => container.id === args.id);
    } catch (error) {
      if (options.signal?.aborted) {
        throw options.signal.reason ?? error;
      }
      if (error instanceof UnsafeFileError) {
        warnings.push(formatSkippedFile(error));
      }
    }
  }
  const isRootsOwn = options.ownerUid === 0;
  if (!isRootsOwn && stored === undefined) {
    // A user's conmon names whatever it likes: only that user's own storage vouches for it.
    return {kind: 'none', warnings};
  }
  const endpoint = isRootsOwn
    ? containersDir === null
      ? null
      : `storage:${containersDir}`
    : formatRootlessEndpoint(options.ownerName ?? String(options.ownerUid));
  const bare: StoredContainer = {
    id: args.id,
    names: [],
    name: shortContainerId(args.id),
    image: '',
    created: null,
  };
  return toHelperResolution(
    [toStoredContainerInfo(stored ?? bare, endpoint, {name: args.name})],
    warnings,
  );
}
