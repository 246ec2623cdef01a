import {readFile, readlink, stat} from 'node:fs/promises';
import {dirname} from 'node:path';
import type {ExecutableFacts, ProcessTrustFacts} from '../model/helper.js';
import {parseProcStat, parseStatusUid} from './proc-process.js';

/** Group or other may write. */
const writableByOthers = 0o022;

/**
 * A process's executable as the kernel runs it: the path of /proc/PID/exe (a ` (deleted)`
 * suffix dropped: an upgraded binary), and the owner and mode of the running file itself,
 * read through the link so a file swapped in at that path since does not count. Null when
 * the link cannot be read (another user's process, when not root; a kernel thread).
 */
async function readExecutable(procRoot: string, pid: number): Promise<ExecutableFacts | null> {
  try {
    const link = `${procRoot}/${pid}/exe`;
    const [target, file] = await Promise.all([readlink(link), stat(link)]);
    const path = target.endsWith(' (deleted)') ? target.slice(0, -' (deleted)'.length) : target;
    let isReplaceable = (file.mode & writableByOthers) !== 0 || file.uid !== 0;
    if (!isReplaceable) {
      // Whoever can write the folder can put another file under the same name.
      const folder = await stat(dirname(path)).catch(() => null);
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
  } = {},
): Promise<ProcessTrustFacts | null> {
  const procRoot = options.procRoot ?? '/proc';
  let statText: string;
  let statusText: string;
  try {
    [statText, statusText] = await Promise.all([
      readFile(`${procRoot}/${pid}/stat`, 'utf8'),
      readFile(`${procRoot}/${pid}/status`, 'utf8'),
    ]);
  } catch {
    return null;
  }
  const stat = parseProcStat(statText);
  if (stat === undefined) {
    return null;
  }
  const uid = parseStatusUid(statusText) ?? null;
  const executable = await readExecutable(procRoot, pid);
  let parent: ProcessTrustFacts['parent'] = null;
  if (stat.ppid > 0) {
    const parentStat = await readFile(`${procRoot}/${stat.ppid}/stat`, 'utf8')
      .then(parseProcStat)
      .catch(() => undefined);
    if (parentStat !== undefined) {
      parent = {
        pid: stat.ppid,
        name: parentStat.comm,
        executable: await readExecutable(procRoot, stat.ppid),
      };
    }
  }
  return {
    name: stat.comm,
    uid,
    user: uid === null ? null : (options.userName?.(uid) ?? String(uid)),
    executable,
    parent,
  };
}
