import {type BigIntStats, constants} from 'node:fs';
import {type FileHandle, lstat, open} from 'node:fs/promises';
import {UnsafeFileError} from '../errors/unsafe-file-error.js';

/** Size caps for the files nanodock reads from other users' folders. */
export const safeFileLimits = {
  /** Podman's `<driver>-containers/containers.json`: one entry per container. */
  storageContainers: 32 * 1024 * 1024,
  /** A container's OCI `config.json`, a user's `storage.conf`. */
  config: 1024 * 1024,
} as const;

/** Options of readSafeFile. */
export interface SafeReadOptions {
  /** The uid that must own the file: the user whose data it is. Required. */
  readonly expectedUid: number;
  /** The largest size read, in bytes; a larger file is refused unread. Required. */
  readonly maxBytes: number;
  /** Time bound for the open, the checks and the read together, in ms. Default: 2000. */
  readonly timeoutMs?: number;
  /** Abandons the read. Default: none. */
  readonly signal?: AbortSignal;
  /**
   * Called with the opened file's facts once every check passed: true skips the read (the
   * caller's cached parse of this version stands) and the result's `text` is null.
   * Default: always read.
   */
  readonly isUnchanged?: (stats: BigIntStats) => boolean;
}

/** What readSafeFile read: the text (null when `isUnchanged` said so) and the fd's facts. */
export interface SafeFile {
  readonly text: string | null;
  readonly stats: BigIntStats;
}

const defaultTimeoutMs = 2000;

/**
 * O_NONBLOCK: opening a FIFO (swapped in after the lstat) must not wait for a writer; it does
 * not change reads of a regular file. O_NOCTTY: a terminal device never becomes ours.
 */
const openFlags =
  constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY;

/** What a non-regular file is, for a warning a person reads. */
function describeKind(stats: {
  isSymbolicLink(): boolean;
  isFIFO(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
  isSocket(): boolean;
  isDirectory(): boolean;
}): string {
  if (stats.isSymbolicLink()) return 'a symbolic link';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  if (stats.isDirectory()) return 'a folder';
  return 'not a regular file';
}

/** The refusal for a file's facts, or null when it may be read. */
function checkFacts(
  path: string,
  stats: BigIntStats,
  options: SafeReadOptions,
): UnsafeFileError | null {
  if (stats.isSymbolicLink()) {
    return new UnsafeFileError(path, 'symlink', 'a symbolic link, not followed');
  }
  if (!stats.isFile()) {
    return new UnsafeFileError(path, 'not-regular', `${describeKind(stats)}, not a regular file`);
  }
  if (stats.uid !== BigInt(options.expectedUid)) {
    return new UnsafeFileError(
      path,
      'owner',
      `owned by uid ${stats.uid}, expected uid ${options.expectedUid}`,
    );
  }
  if ((stats.mode & BigInt(constants.S_IWOTH)) !== 0n) {
    return new UnsafeFileError(path, 'writable', 'writable by every user');
  }
  if (stats.size > BigInt(options.maxBytes)) {
    return new UnsafeFileError(
      path,
      'size',
      `${stats.size} bytes, over the limit of ${options.maxBytes} bytes`,
    );
  }
  return null;
}

/**
 * Reads at most `maxBytes + 1` bytes (the one over tells a file that grew past the cap after
 * the fstat), stopping early once the caller gave up.
 */
async function readBounded(
  handle: FileHandle,
  path: string,
  size: bigint,
  maxBytes: number,
  isAbandoned: () => boolean,
): Promise<string> {
  let buffer = Buffer.allocUnsafe(Math.min(Math.max(Number(size) + 1, 4096), maxBytes + 1));
  let total = 0;
  for (;;) {
    if (total === buffer.length) {
      if (buffer.length > maxBytes) {
        throw new UnsafeFileError(path, 'size', `over the limit of ${maxBytes} bytes`);
      }
      const grown = Buffer.allocUnsafe(Math.min(buffer.length * 2, maxBytes + 1));
      buffer.copy(grown, 0, 0, total);
      buffer = grown;
    }
    if (isAbandoned()) {
      throw new UnsafeFileError(path, 'timeout', 'read abandoned');
    }
    const {bytesRead} = await handle.read(buffer, total, buffer.length - total, total);
    if (bytesRead === 0) {
      return buffer.toString('utf8', 0, total);
    }
    total += bytesRead;
  }
}

async function readChecked(
  path: string,
  options: SafeReadOptions,
  isAbandoned: () => boolean,
): Promise<SafeFile> {
  // A first look that opens nothing: a FIFO, a device or a link is refused before any open
  // (opening a device can have effects of its own).
  const refusal = checkFacts(path, await lstat(path, {bigint: true}), options);
  if (refusal !== null) {
    throw refusal;
  }
  if (isAbandoned()) {
    // The caller stopped waiting while the lstat was stuck: open nothing.
    throw new UnsafeFileError(path, 'timeout', 'read abandoned');
  }
  let handle: FileHandle;
  try {
    handle = await open(path, openFlags);
  } catch (error) {
    // O_NOFOLLOW: the path was swapped for a link after the lstat.
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') {
      throw new UnsafeFileError(path, 'symlink', 'a symbolic link, not followed', {cause: error});
    }
    throw error;
  }
  try {
    // The facts of what was opened, not of the path: nothing can be swapped in between.
    const stats = await handle.stat({bigint: true});
    const late = checkFacts(path, stats, options);
    if (late !== null) {
      throw late;
    }
    if (options.isUnchanged?.(stats) === true) {
      return {text: null, stats};
    }
    const text = await readBounded(handle, path, stats.size, options.maxBytes, isAbandoned);
    return {text, stats};
  } finally {
    // Closed only after its last operation settled, so a reused fd number is never touched.
    await handle.close();
  }
}

/**
 * Reads a file that another user may have written, safely: the last path component is never
 * followed (O_NOFOLLOW), only a regular file owned by `expectedUid`, not writable by every user
 * and at most `maxBytes` long is read, and the whole read is bounded by `timeoutMs`. The checks
 * run on the opened fd (fstat), so the path cannot be swapped between check and read.
 *
 * Folders on the way to the file are not checked: the owner check on the fd makes the text
 * something `expectedUid` could have written at any path anyway.
 *
 * @returns the text (UTF-8) and the fd's facts; text is null when `isUnchanged` returned true.
 * @throws UnsafeFileError when the file is refused or the time bound passed (the promise
 * settles then; an operation stuck in the kernel closes its fd when it returns); the fs error
 * as is (ENOENT, EACCES, ...); the signal's reason when aborted.
 */
export async function readSafeFile(path: string, options: SafeReadOptions): Promise<SafeFile> {
  const {signal, timeoutMs = defaultTimeoutMs} = options;
  signal?.throwIfAborted();
  let isSettled = false;
  const work = readChecked(path, options, () => isSettled);
  return new Promise<SafeFile>((resolve, reject) => {
    const settle = (action: () => void): void => {
      if (isSettled) {
        return;
      }
      isSettled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      action();
    };
    const onAbort = (): void => settle(() => reject(signal?.reason));
    const timer = setTimeout(
      () =>
        settle(() =>
          reject(new UnsafeFileError(path, 'timeout', `no answer within ${timeoutMs} ms`)),
        ),
      timeoutMs,
    );
    signal?.addEventListener('abort', onAbort, {once: true});
    work.then(
      (file) => settle(() => resolve(file)),
      (error: unknown) => settle(() => reject(error)),
    );
  });
}

/** The one-line warning for a refused file: `skipped PATH: a FIFO, not a regular file`. */
export function formatSkippedFile(error: UnsafeFileError): string {
  return `skipped ${error.message}`;
}
