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
  // rest[0] is field 3 (state); ppid is field 4, starttime field 22.
  const ppid = Number(rest[1]);
  const startTicks = Number(rest[19]);
  if (!Number.isFinite(ppid) || !Number.isFinite(startTicks)) {
    return undefined;
  }
  return {comm: text.slice(open + 1, close), ppid, startTicks};
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

/** One /etc/passwd entry. */
export interface PasswdUser {
  readonly name: string;
  /** Primary group, or null when the field is not a number. */
  readonly gid: number | null;
  readonly home: string;
}

/** User names by uid from /etc/passwd text; malformed lines are skipped. */
export function parsePasswd(text: string): Map<number, PasswdUser> {
  const users = new Map<number, PasswdUser>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) {
      continue;
    }
    const fields = line.split(':');
    const uid = Number(fields[2]);
    if (
      fields.length >= 6 &&
      fields[0] &&
      fields[2] !== '' &&
      Number.isInteger(uid) &&
      !users.has(uid)
    ) {
      const gid = Number(fields[3]);
      users.set(uid, {
        name: fields[0],
        gid: fields[3] !== '' && Number.isInteger(gid) ? gid : null,
        home: fields[5] ?? '',
      });
    }
  }
  return users;
}
