import {readdirSync, readFileSync, readlinkSync} from 'node:fs';

/**
 * Test-side /proc reading: which process holds a port or a Unix socket, and what a pid is,
 * so a lab test finds its helper by the port it holds and signals a pid only after checking
 * that it is alive and is the program it expects. Independent of source/host on purpose: a
 * test must not trust the code it checks to tell it which process to signal.
 */

function readText(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

function readLink(file: string): string | null {
  try {
    return readlinkSync(file);
  } catch {
    return null;
  }
}

/** Every pid in /proc. */
function allPids(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
}

/** Pids with an open fd on one of the `socket:[INODE]` inodes. */
function pidsHoldingInodes(inodes: ReadonlySet<string>): number[] {
  const pids: number[] = [];
  if (inodes.size === 0) {
    return pids;
  }
  for (const pid of allPids()) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // gone, or not ours to read
    }
    for (const fd of fds) {
      const match = /^socket:\[(\d+)\]$/.exec(readLink(`/proc/${pid}/fd/${fd}`) ?? '');
      if (match?.[1] !== undefined && inodes.has(match[1])) {
        pids.push(pid);
        break;
      }
    }
  }
  return pids.sort((a, b) => a - b);
}

/** Decodes a /proc/net/tcp* local address (`0100007F:46A0`) into `[ip, port]`. */
function decodeAddress(hex: string): [string, number] {
  const [ipHex = '', portHex = '0'] = hex.split(':');
  const port = Number.parseInt(portHex, 16);
  if (ipHex.length === 8) {
    const bytes = (ipHex.match(/../g) ?? []).map((byte) => Number.parseInt(byte, 16)).reverse();
    return [bytes.join('.'), port];
  }
  // IPv6: four little-endian 32-bit words.
  const words = (ipHex.match(/.{8}/g) ?? []).map((word) =>
    (word.match(/../g) ?? []).reverse().join(''),
  );
  const groups = words.join('').match(/.{4}/g) ?? [];
  const compact = groups.map((group) => group.replace(/^0+(?=.)/, '')).join(':');
  return [compact === '0:0:0:0:0:0:0:0' ? '::' : compact, port];
}

/** Options of listenerPids. */
export interface ListenerQuery {
  /** Default 'tcp' (listening sockets); 'udp' matches unconnected sockets. */
  readonly protocol?: 'tcp' | 'udp';
  /** Only sockets bound to this address (`127.0.0.1`, `0.0.0.0`, `::`); default any. */
  readonly address?: string;
}

/**
 * The pids that hold a listening socket on `port` (from /proc/net/tcp, tcp6 or udp, udp6,
 * inode -> /proc/PID/fd), sorted. Root sees every holder; another user only its own.
 */
export function listenerPids(port: number, query: ListenerQuery = {}): number[] {
  const protocol = query.protocol ?? 'tcp';
  // tcp: 0A is LISTEN; udp: 07 is the unconnected (bound) state.
  const state = protocol === 'tcp' ? '0A' : '07';
  const inodes = new Set<string>();
  for (const file of [`/proc/net/${protocol}`, `/proc/net/${protocol}6`]) {
    for (const line of (readText(file) ?? '').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const [local, st, inode] = [fields[1], fields[3], fields[9]];
      if (local === undefined || st !== state || inode === undefined || inode === '0') {
        continue;
      }
      const [ip, localPort] = decodeAddress(local);
      if (localPort === port && (query.address === undefined || query.address === ip)) {
        inodes.add(inode);
      }
    }
  }
  return pidsHoldingInodes(inodes);
}

/** The pids that hold the listening Unix socket bound to `path` (from /proc/net/unix). */
export function unixSocketHolders(path: string): number[] {
  const inodes = new Set<string>();
  for (const line of (readText('/proc/net/unix') ?? '').split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    // Num RefCount Protocol Flags Type St Inode Path; flags 00010000 is __SO_ACCEPTCON (listening).
    if (fields[7] === path && fields[3] === '00010000' && fields[6] !== undefined) {
      inodes.add(fields[6]);
    }
  }
  return pidsHoldingInodes(inodes);
}

/** What a live process is, as far as a test checks before signalling it. */
export interface ProcessFacts {
  readonly pid: number;
  /** /proc/PID/comm: set by whoever started it, so never enough on its own. */
  readonly comm: string;
  /** /proc/PID/exe target, or null when not readable (another user's, as non-root). */
  readonly exe: string | null;
  /** Real uid from /proc/PID/status. */
  readonly uid: number;
  /** Start time in clock ticks since boot (field 22 of /proc/PID/stat): tells a reused pid. */
  readonly startTicks: number;
  /** The command line. */
  readonly argv: readonly string[];
}

/** The facts of `pid`, or null when it is not alive (or a zombie). */
export function processFacts(pid: number): ProcessFacts | null {
  if (!Number.isInteger(pid) || pid <= 0) {
    return null;
  }
  const stat = readText(`/proc/${pid}/stat`);
  const status = readText(`/proc/${pid}/status`);
  const comm = readText(`/proc/${pid}/comm`);
  if (stat === null || status === null || comm === null) {
    return null;
  }
  // Fields after the comm, which may hold spaces and parentheses: take from the last ')'.
  const after = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (after[0] === 'Z' || after[0] === 'X') {
    return null;
  }
  const uid = /^Uid:\s+(\d+)/m.exec(status)?.[1];
  return {
    pid,
    comm: comm.trim(),
    exe: readLink(`/proc/${pid}/exe`),
    uid: uid === undefined ? -1 : Number(uid),
    startTicks: Number(after[19]),
    argv: (readText(`/proc/${pid}/cmdline`) ?? '').split('\0').filter((arg) => arg !== ''),
  };
}

/** What a test expects a pid to be before it signals it. */
export interface ExpectedProgram {
  /** Exact /proc/PID/exe target. */
  readonly exe: string;
  /**
   * Exact comm, or any of several (a program may rename itself: the CLI sets its title);
   * default the basename of `exe`, cut to 15 characters as the kernel does.
   */
  readonly comm?: string | readonly string[];
  /** The owner's uid, when it matters. */
  readonly uid?: number;
  /** The start time seen when the pid was found: a different one means the pid was reused. */
  readonly startTicks?: number;
}

/** Null when `pid` is alive and is `expected`, else why not (for an error message). */
export function mismatch(pid: number, expected: ExpectedProgram): string | null {
  const facts = processFacts(pid);
  if (facts === null) {
    return `pid ${pid} is not alive`;
  }
  const comms =
    expected.comm === undefined
      ? [(expected.exe.split('/').pop() ?? '').slice(0, 15)]
      : typeof expected.comm === 'string'
        ? [expected.comm]
        : expected.comm;
  if (!comms.includes(facts.comm)) {
    return `pid ${pid} is ${JSON.stringify(facts.comm)}, not ${comms.join(' or ')}`;
  }
  if (facts.exe !== expected.exe) {
    return `pid ${pid} runs ${facts.exe ?? '(unreadable)'}, not ${expected.exe}`;
  }
  if (expected.uid !== undefined && facts.uid !== expected.uid) {
    return `pid ${pid} belongs to uid ${facts.uid}, not ${expected.uid}`;
  }
  if (expected.startTicks !== undefined && facts.startTicks !== expected.startTicks) {
    return `pid ${pid} started at tick ${facts.startTicks}, not ${expected.startTicks} (reused)`;
  }
  return null;
}

/** True when `pid` is alive and is `expected`. */
export function isProgram(pid: number, expected: ExpectedProgram): boolean {
  return mismatch(pid, expected) === null;
}

/**
 * Signals `pid` only if it is alive and is `expected` right now; throws (sending nothing)
 * otherwise, saying what it is instead.
 */
export function signalChecked(
  pid: number,
  signal: NodeJS.Signals,
  expected: ExpectedProgram,
): void {
  const reason = mismatch(pid, expected);
  if (reason !== null) {
    throw new Error(`not sending ${signal}: ${reason}`);
  }
  process.kill(pid, signal);
}

/** The only holder of `port` that is `expected`; throws listing the holders otherwise. */
export function helperOnPort(
  port: number,
  expected: ExpectedProgram,
  query: ListenerQuery = {},
): ProcessFacts {
  const holders = listenerPids(port, query);
  const matching = holders.filter((pid) => isProgram(pid, expected));
  const facts = matching.length === 1 ? processFacts(matching[0] as number) : null;
  if (facts === null) {
    const seen = holders.map((pid) => `${pid} ${processFacts(pid)?.exe ?? '?'}`).join(', ');
    throw new Error(
      `expected one ${expected.exe} holding port ${port}, found ${matching.length} (holders: ${seen || 'none'})`,
    );
  }
  return facts;
}

/** The uid of `user` from /etc/passwd, or null. */
export function uidOf(user: string): number | null {
  const line = (readText('/etc/passwd') ?? '')
    .split('\n')
    .find((entry) => entry.startsWith(`${user}:`));
  const value = line?.split(':')[2];
  return value === undefined ? null : Number(value);
}
