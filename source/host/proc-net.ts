import {readFile} from 'node:fs/promises';
import type {Protocol} from '../model/container-info.js';
import {parseIpAddress} from '../model/ip.js';

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
  /** Uid that created the socket. */
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
 * or 32 hex digits. Never throws.
 */
export function parseProcAddress(hex: string, littleEndian = true): string | undefined {
  if (hex.length !== 8 && hex.length !== 32) {
    return undefined;
  }
  const bytes: number[] = [];
  for (let word = 0; word < hex.length; word += 8) {
    const chunk = hex.slice(word, word + 8);
    const wordBytes: number[] = [];
    for (let index = 0; index < 8; index += 2) {
      const value = Number.parseInt(chunk.slice(index, index + 2), 16);
      if (Number.isNaN(value)) {
        return undefined;
      }
      wordBytes.push(value);
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

function isBlank(code: number): boolean {
  return code === 32 || code === 9;
}

/** Field boundaries of one row: fields[i] = [start, end) of the i-th blank-separated field. */
function parseRow(
  text: string,
  start: number,
  end: number,
  wantedState: string,
  protocol: Protocol,
  family: 4 | 6,
  littleEndian: boolean,
): HostSocket | undefined {
  const bounds: number[] = [];
  let index = start;
  // sl local rem st tx:rx tr:when retrnsmt uid timeout inode: ten fields are enough.
  while (index < end && bounds.length < 20) {
    while (index < end && isBlank(text.charCodeAt(index))) {
      index++;
    }
    if (index >= end) {
      break;
    }
    const fieldStart = index;
    while (index < end && !isBlank(text.charCodeAt(index))) {
      index++;
    }
    bounds.push(fieldStart, index);
    if (bounds.length === 8) {
      // Field 3 is the state: reject most rows before reading further.
      const state = text.slice(bounds[6], bounds[7]).toUpperCase();
      if (state !== wantedState || text.charCodeAt((bounds[1] ?? 0) - 1) !== 58) {
        return undefined;
      }
    }
  }
  if (bounds.length < 20) {
    return undefined;
  }
  const local = text.slice(bounds[2], bounds[3]);
  const colon = local.indexOf(':');
  const address = cachedProcAddress(local.slice(0, colon), littleEndian);
  const port = Number.parseInt(local.slice(colon + 1), 16);
  const uid = Number(text.slice(bounds[14], bounds[15]));
  const inode = Number(text.slice(bounds[18], bounds[19]));
  if (address === undefined || !(port > 0 && port <= 65_535) || !Number.isInteger(inode)) {
    return undefined;
  }
  return {protocol, family, address, port, inode, uid: Number.isInteger(uid) ? uid : -1};
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

/** The text of one /proc/net socket table; '' when it does not exist (IPv6 disabled). */
export async function readSocketTable(procRoot: string, file: string): Promise<string> {
  try {
    return await readFile(`${procRoot}/net/${file}`, 'latin1');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return '';
    }
    throw error;
  }
}
