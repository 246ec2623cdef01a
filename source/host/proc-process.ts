/**
 * Pure parsers for /proc/PID files. No I/O here: callers read the text.
 */

/** The fields of /proc/PID/stat that nanodock uses. */
export interface ProcStat {
  /** Process name (comm), up to 15 characters, as the kernel keeps it. */
  readonly comm: string;
  /** Parent pid. */
  readonly ppid: number;
  /** Start time in clock ticks after boot. */
  readonly startTicks: number;
}

/**
 * Parses /proc/PID/stat. The name sits in parentheses and may itself contain spaces and
 * parentheses, so the fields after it are counted from the last ')'.
 */
export function parseProcStat(text: string): ProcStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open === -1 || close < open) {
    return undefined;
  }
  const rest = text.slice(close + 2).split(' ');
  // rest[0] is field 3 (state); ppid is field 4, starttime field 22. Decimal digits only:
  // Number() would take '' for 0 and '0x10' for 16.
  const ppid = rest[1];
  const startTicks = rest[19]?.trimEnd();
  if (!isDecimal(ppid) || !isDecimal(startTicks)) {
    return undefined;
  }
  return {comm: text.slice(open + 1, close), ppid: Number(ppid), startTicks: Number(startTicks)};
}

/** The real uid of /proc/PID/status (`Uid:` line), or undefined. */
export function parseStatusUid(text: string): number | undefined {
  const match = /^Uid:\s+(\d+)/m.exec(text);
  return match ? Number(match[1]) : undefined;
}

/** The argv of /proc/PID/cmdline (NUL-separated; a kernel thread's is empty). */
export function parseCmdline(text: string): string[] {
  const parts = text.split('\0');
  if (parts.at(-1) === '') {
    parts.pop();
  }
  return parts;
}

/** Boot time in Unix seconds from /proc/stat's `btime` line, or undefined. */
export function parseBootTime(text: string): number | undefined {
  const match = /^btime\s+(\d+)/m.exec(text);
  return match ? Number(match[1]) : undefined;
}

/** One /etc/passwd entry: the user's name, primary group and home folder ('' when empty). */
export interface PasswdEntry {
  readonly name: string;
  /** Primary group, or null when the field is not plain decimal digits. */
  readonly gid: number | null;
  readonly home: string;
}

/**
 * User names by uid from /etc/passwd text; the first entry of a uid wins. Comments and
 * malformed lines (no home field, no name, a uid that is not plain decimal digits such as
 * ' ', '0x3e9' or '1e3') are skipped.
 */
export function parsePasswd(text: string): Map<number, PasswdEntry> {
  const users = new Map<number, PasswdEntry>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) {
      continue;
    }
    const [name, , uidText, gidText, , home] = line.split(':');
    if (!name || !isDecimal(uidText) || home === undefined) {
      continue;
    }
    const uid = Number(uidText);
    if (!users.has(uid)) {
      users.set(uid, {name, gid: isDecimal(gidText) ? Number(gidText) : null, home});
    }
  }
  return users;
}

function isDecimal(text: string | undefined): text is string {
  return text !== undefined && /^\d+$/.test(text);
}
