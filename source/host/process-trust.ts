import {readlinkSync, type Stats} from 'node:fs';
import {stat} from 'node:fs/promises';
import {dirname} from 'node:path';
import type {ExecutableFacts, ProcessTrustFacts} from '../model/helper.js';
import {parseProcStat, parseStatusUid} from './proc-process.js';
import {readProcFileSync} from './proc-read.js';

/**
 * What one round of checks read, for the next process of the same round: a host's hundred
 * docker-proxies have one parent (dockerd) and one executable folder. Keep one for a round
 * only: the files may change between rounds.
 */
export class TrustReadCache {
  readonly folders = new Map<string, Promise<Stats | null>>();
  readonly parents = new Map<number, Promise<ProcessTrustFacts['parent']>>();
}

/** Group or other may write. */
const writableByOthers = 0o022;

/**
 * A process's executable as the kernel runs it: the path of /proc/PID/exe (a ` (deleted)`
 * suffix dropped: an upgraded binary), and the owner and mode of the running file itself,
 * read through the link so a file swapped in at that path since does not count. Null when
 * the link cannot be read (another user's process, when not root; a kernel thread).
 */
async function readExecutable(
  procRoot: string,
  pid: number,
  cache: TrustReadCache | undefined,
): Promise<ExecutableFacts | null> {
  try {
    const link = `${procRoot}/${pid}/exe`;
    // The link's text synchronously: procfs makes it from the kernel's own record, never
    // touching the file's filesystem, and a hundred helpers' thread-pool round trips cost
    // more. The file's owner and mode come through the link, from its filesystem: not here.
    const target = readlinkSync(link);
    const file = await stat(link);
    const path = target.endsWith(' (deleted)') ? target.slice(0, -' (deleted)'.length) : target;
    let isReplaceable = (file.mode & writableByOthers) !== 0 || file.uid !== 0;
    if (!isReplaceable) {
      // Whoever can write the folder can put another file under the same name.
      const folder = await statFolder(dirname(path), cache);
      isReplaceable =
        folder === null ||
        folder.uid !== 0 ||
        ((folder.mode & writableByOthers) !== 0 && (folder.mode & 0o1000) === 0);
    }
    return {path, ownerUid: file.uid, isReplaceable};
  } catch {
    return null;
  }
}

/** The stat of a folder, or null; asked once per cache. */
function statFolder(path: string, cache: TrustReadCache | undefined): Promise<Stats | null> {
  let folder = cache?.folders.get(path);
  if (folder === undefined) {
    folder = stat(path).catch(() => null);
    cache?.folders.set(path, folder);
  }
  return folder;
}

/** The name and executable of a process's parent, or null when it is gone; read once per cache. */
function readParent(
  procRoot: string,
  ppid: number,
  cache: TrustReadCache | undefined,
): Promise<ProcessTrustFacts['parent']> {
  let parent = cache?.parents.get(ppid);
  if (parent === undefined) {
    parent = (async () => {
      const parentStat = readStat(procRoot, ppid);
      if (parentStat === undefined) {
        return null;
      }
      return {
        pid: ppid,
        name: parentStat.comm,
        executable: await readExecutable(procRoot, ppid, cache),
      };
    })();
    cache?.parents.set(ppid, parent);
  }
  return parent;
}

/**
 * /proc/PID/stat parsed, or undefined when the process is gone. Read synchronously, as the
 * host scanner reads it: a few microseconds for a small procfs file, where a thread-pool
 * round trip costs more (and a hundred helpers at once queue behind each other).
 */
function readStat(procRoot: string, pid: number): ReturnType<typeof parseProcStat> {
  try {
    return parseProcStat(readProcFileSync(`${procRoot}/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * What judgeHelper needs about `pid`: its name and uid, its executable, and its parent's.
 * Reads /proc only; returns null when the process is gone.
 */
export async function readProcessTrustFacts(
  pid: number,
  options: {
    readonly procRoot?: string;
    /** User names by uid, for messages. */
    readonly userName?: (uid: number) => string | null;
    /** Reads shared with the other processes of one round of checks. */
    readonly cache?: TrustReadCache;
    /**
     * The real uid of this process as the host scan read it (/proc/PID/status costs as much
     * as a stat read): used when the process has this start time (the same process, not a
     * later one under its pid), so its status is not read again.
     */
    readonly known?: {readonly startTicks: number; readonly uid: number | null};
  } = {},
): Promise<ProcessTrustFacts | null> {
  const procRoot = options.procRoot ?? '/proc';
  const cache = options.cache;
  const stat = readStat(procRoot, pid);
  if (stat === undefined) {
    return null;
  }
  let uid: number | null;
  const known = options.known;
  if (known !== undefined && known.uid !== null && known.startTicks === stat.startTicks) {
    uid = known.uid;
  } else {
    try {
      uid = parseStatusUid(readProcFileSync(`${procRoot}/${pid}/status`, 'utf8')) ?? null;
    } catch {
      return null;
    }
  }
  const [executable, parent] = await Promise.all([
    readExecutable(procRoot, pid, cache),
    stat.ppid > 0 ? readParent(procRoot, stat.ppid, cache) : null,
  ]);
  return {
    name: stat.comm,
    uid,
    user: uid === null ? null : (options.userName?.(uid) ?? String(uid)),
    executable,
    parent,
  };
}
