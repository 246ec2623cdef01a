import type {Protocol} from '../model/container-info.js';
import {parseIpAddress} from '../model/ip.js';
import {type ProcReader, readProcFile} from './proc-read.js';

/** A socket bound on this host, read from /proc/net. */
export interface HostSocket {
  readonly protocol: Protocol;
  /** 4 for /proc/net/tcp and udp, 6 for tcp6 and udp6 (IPv4-mapped addresses included). */
  readonly family: 4 | 6;
  /** Canonical address: `0.0.0.0`, `::`, `127.0.0.1`; an IPv4-mapped IPv6 address is shown as IPv4. */
  readonly address: string;
  readonly port: number;
  /** Socket inode: the key that /proc/PID/fd links (`socket:[INODE]`) name. */
  readonly inode: number;
  /** Uid that created the socket; -1 when its field is not a decimal number. */
  readonly uid: number;
}

/** TCP_LISTEN in /proc/net/tcp's `st` column. */
const tcpListen = '0A';
/** TCP_CLOSE, which a bound, unconnected UDP socket reports (what `ss -lu` lists). */
const udpUnconnected = '07';

/**
 * The address of a /proc/net hex field (`0100007F` -> `127.0.0.1`): 8 hex digits (IPv4) or 32
 * (IPv6), each 32-bit word in host order (`littleEndian`: false on a big-endian host). Returns
 * canonical text, an IPv4-mapped IPv6 address as IPv4, or undefined when the field is not 8
 * or 32 hex digits (nothing else: no sign, no `0x`). Never throws.
 */
export function parseProcAddress(hex: string, littleEndian = true): string | undefined {
  if (hex.length !== 8 && hex.length !== 32) {
    return undefined;
  }
  const bytes: number[] = [];
  for (let word = 0; word < hex.length; word += 8) {
    const wordBytes: number[] = [];
    for (let index = word; index < word + 8; index += 2) {
      // Digit by digit: parseInt would take '7G' as 7 and '-1' as -1.
      const high = hexDigit(hex.charCodeAt(index));
      const low = hexDigit(hex.charCodeAt(index + 1));
      if (high < 0 || low < 0) {
        return undefined;
      }
      wordBytes.push(high * 16 + low);
    }
    bytes.push(...(littleEndian ? wordBytes.reverse() : wordBytes));
  }
  if (bytes.length === 4) {
    return bytes.join('.');
  }
  const groups: string[] = [];
  for (let index = 0; index < 16; index += 2) {
    groups.push((((bytes[index] ?? 0) << 8) | (bytes[index + 1] ?? 0)).toString(16));
  }
  return parseIpAddress(groups.join(':'));
}

/**
 * Listening sockets of one /proc/net table (`tcp`, `tcp6`, `udp`, `udp6`): TCP in LISTEN,
 * UDP bound and unconnected, as `ss -ltu` shows them. Lines that do not parse are skipped;
 * the header is recognised by its words, not its position, and columns are split on any run
 * of spaces, so odd widths read the same.
 */
export function parseProcNet(
  text: string,
  protocol: Protocol,
  family: 4 | 6,
  littleEndian = true,
): HostSocket[] {
  const wantedState = protocol === 'tcp' ? tcpListen : udpUnconnected;
  const sockets: HostSocket[] = [];
  // Hand-rolled field scan: a regex or split per line costs ten times more on 2,000 rows.
  let lineStart = 0;
  while (lineStart < text.length) {
    let lineEnd = text.indexOf('\n', lineStart);
    if (lineEnd === -1) {
      lineEnd = text.length;
    }
    const socket = parseRow(text, lineStart, lineEnd, wantedState, protocol, family, littleEndian);
    if (socket !== undefined) {
      sockets.push(socket);
    }
    lineStart = lineEnd + 1;
  }
  return sockets;
}

/** The value of one hex digit's character code, or -1 when it is not one. */
function hexDigit(code: number): number {
  if (code >= 48 && code <= 57) {
    return code - 48;
  }
  const lower = code | 32;
  return lower >= 97 && lower <= 102 ? lower - 87 : -1;
}

/**
 * The unsigned number that text[start, end) spells in `radix` (10 or 16) with nothing else
 * in it, or -1: the kernel writes these fields as bare digits, so a sign, an exponent, a
 * `0x` or a stray letter marks a line that is not a socket row (Number() would take them).
 */
function parseDigits(text: string, start: number, end: number, radix: 10 | 16): number {
  if (start >= end) {
    return -1;
  }
  let value = 0;
  for (let index = start; index < end; index++) {
    const digit = hexDigit(text.charCodeAt(index));
    if (digit < 0 || digit >= radix) {
      return -1;
    }
    value = value * radix + digit;
  }
  return Number.isSafeInteger(value) ? value : -1;
}

/** Field boundaries of the row being read: [start, end) of field i at 2i, 2i+1 (ten fields). */
const bounds = new Int32Array(20);

/** The last address field read and what it parsed to: rows of one table mostly share one. */
let lastHex = '';
let lastAddress: string | undefined;
let lastEndian = true;

/** Whether `code` is the hex digit `upper` (a digit or an upper-case letter) in either case. */
function isHexCharacter(code: number, upper: number): boolean {
  return code === upper || (upper >= 65 && code === upper + 32);
}

/** One row of a table, or undefined when it is not a wanted socket row. */
function parseRow(
  text: string,
  start: number,
  end: number,
  wantedState: string,
  protocol: Protocol,
  family: 4 | 6,
  littleEndian: boolean,
): HostSocket | undefined {
  let count = 0;
  let index = start;
  // sl local rem st tx:rx tr:when retrnsmt uid timeout inode: ten fields are enough.
  while (index < end && count < 20) {
    let code = text.charCodeAt(index);
    while (code === 32 || code === 9) {
      index++;
      if (index >= end) {
        break;
      }
      code = text.charCodeAt(index);
    }
    if (index >= end) {
      break;
    }
    const fieldStart = index;
    while (index < end) {
      code = text.charCodeAt(index);
      if (code === 32 || code === 9) {
        break;
      }
      index++;
    }
    bounds[count++] = fieldStart;
    bounds[count++] = index;
    if (count === 8) {
      // Field 3 is the state (two hex digits, either case): reject most rows before reading
      // further. Field 0 (sl) ends with a colon.
      const stateStart = bounds[6] as number;
      if (
        (bounds[7] as number) - stateStart !== 2 ||
        !isHexCharacter(text.charCodeAt(stateStart), wantedState.charCodeAt(0)) ||
        !isHexCharacter(text.charCodeAt(stateStart + 1), wantedState.charCodeAt(1)) ||
        text.charCodeAt((bounds[1] as number) - 1) !== 58
      ) {
        return undefined;
      }
    }
  }
  if (count < 20) {
    return undefined;
  }
  // ADDRESS:PORT, the address 8 hex digits in tcp/udp and 32 in tcp6/udp6.
  const localStart = bounds[2] as number;
  const localEnd = bounds[3] as number;
  const colon = localStart + (family === 4 ? 8 : 32);
  if (colon >= localEnd || text.charCodeAt(colon) !== 58) {
    return undefined;
  }
  let address: string | undefined;
  if (
    littleEndian === lastEndian &&
    lastHex.length === colon - localStart &&
    text.startsWith(lastHex, localStart)
  ) {
    address = lastAddress;
  } else {
    const hex = text.slice(localStart, colon);
    address = cachedProcAddress(hex, littleEndian);
    lastHex = hex;
    lastAddress = address;
    lastEndian = littleEndian;
  }
  const port = parseDigits(text, colon + 1, localEnd, 16);
  const uid = parseDigits(text, bounds[14] as number, bounds[15] as number, 10);
  const inode = parseDigits(text, bounds[18] as number, bounds[19] as number, 10);
  if (address === undefined || !(port > 0 && port <= 65_535) || inode < 0) {
    return undefined;
  }
  return {protocol, family, address, port, inode, uid};
}

const addressCache = new Map<string, string | undefined>();

/** parseProcAddress, remembered: a host has few distinct listening addresses. */
function cachedProcAddress(hex: string, littleEndian: boolean): string | undefined {
  const key = littleEndian ? hex : `be:${hex}`;
  if (addressCache.has(key)) {
    return addressCache.get(key);
  }
  if (addressCache.size >= 4096) {
    addressCache.clear();
  }
  const address = parseProcAddress(hex, littleEndian);
  addressCache.set(key, address);
  return address;
}

/** True when this machine stores the words of /proc/net addresses little-endian. */
export const isLittleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The four socket tables of /proc/net. */
export const socketTables: ReadonlyArray<{file: string; protocol: Protocol; family: 4 | 6}> = [
  {file: 'tcp', protocol: 'tcp', family: 4},
  {file: 'tcp6', protocol: 'tcp', family: 6},
  {file: 'udp', protocol: 'udp', family: 4},
  {file: 'udp6', protocol: 'udp', family: 6},
];

/**
 * Every listening TCP and bound UDP socket of this network namespace. A table that does not
 * exist (IPv6 disabled) contributes nothing; other read errors reject.
 */
export async function listHostSockets(procRoot = '/proc'): Promise<HostSocket[]> {
  const parts = await Promise.all(
    socketTables.map(async ({file, protocol, family}) =>
      parseProcNet(await readSocketTable(procRoot, file), protocol, family, isLittleEndianHost),
    ),
  );
  return parts.flat();
}

/** '' for a table that does not exist (IPv6 disabled); any other read error is thrown again. */
function emptyWhenAbsent(error: unknown): string {
  if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
    return '';
  }
  throw error;
}

/** The text of one /proc/net socket table; '' when it does not exist (IPv6 disabled). */
export async function readSocketTable(procRoot: string, file: string): Promise<string> {
  try {
    return await readProcFile(`${procRoot}/net/${file}`, 'latin1');
  } catch (error) {
    return emptyWhenAbsent(error);
  }
}

/**
 * readSocketTable through `reader`: undefined when the table holds the same bytes as at the
 * reader's last read (unless `force`; see ProcReader.readUnlessSame).
 */
export async function readSocketTableUnlessSame(
  procRoot: string,
  file: string,
  reader: ProcReader,
  force: boolean,
): Promise<string | undefined> {
  try {
    return await reader.readUnlessSame(`${procRoot}/net/${file}`, 'latin1', force);
  } catch (error) {
    return emptyWhenAbsent(error);
  }
}

/** readSocketTableUnlessSame, read synchronously (a small table, or a one-shot command). */
export function readSocketTableUnlessSameSync(
  procRoot: string,
  file: string,
  reader: ProcReader,
  force: boolean,
): string | undefined {
  try {
    return reader.readUnlessSameSync(`${procRoot}/net/${file}`, 'latin1', force);
  } catch (error) {
    return emptyWhenAbsent(error);
  }
}
