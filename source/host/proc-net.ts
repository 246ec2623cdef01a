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

/** The address of a /proc/net hex field: 8 hex digits (IPv4) or 32 (IPv6), each 32-bit word in host order. */
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
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    // sl local rem st tx:rx tr:when retrnsmt uid timeout inode ...
    if (
      fields.length < 10 ||
      !fields[0]?.endsWith(':') ||
      fields[3]?.toUpperCase() !== wantedState
    ) {
      continue;
    }
    const [addressHex, portHex] = (fields[1] ?? '').split(':');
    const address = parseProcAddress(addressHex ?? '', littleEndian);
    const port = Number.parseInt(portHex ?? '', 16);
    const uid = Number(fields[7]);
    const inode = Number(fields[9]);
    if (address === undefined || !Number.isInteger(port) || port <= 0 || !Number.isInteger(inode)) {
      continue;
    }
    sockets.push({protocol, family, address, port, inode, uid: Number.isInteger(uid) ? uid : -1});
  }
  return sockets;
}

const tables: ReadonlyArray<{file: string; protocol: Protocol; family: 4 | 6}> = [
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
  const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  const parts = await Promise.all(
    tables.map(async ({file, protocol, family}) => {
      try {
        return parseProcNet(
          await readFile(`${procRoot}/net/${file}`, 'latin1'),
          protocol,
          family,
          littleEndian,
        );
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
          return [];
        }
        throw error;
      }
    }),
  );
  return parts.flat();
}
