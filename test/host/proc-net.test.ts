import {readFileSync} from 'node:fs';
import {describe, expect, it} from 'vitest';
import {listHostSockets, parseProcAddress, parseProcNet} from '../../source/host/proc-net.js';

const fixtures = new URL('../fixtures/proc/', import.meta.url);

describe('parseProcAddress', () => {
  it('reads little-endian IPv4 and IPv6 words', () => {
    expect(parseProcAddress('0100007F')).toBe('127.0.0.1');
    expect(parseProcAddress('00000000')).toBe('0.0.0.0');
    expect(parseProcAddress('0101A8C0')).toBe('192.168.1.1');
    expect(parseProcAddress('00000000000000000000000000000000')).toBe('::');
    expect(parseProcAddress('00000000000000000000000001000000')).toBe('::1');
    expect(parseProcAddress('B80D0120000000000000000001000000')).toBe('2001:db8::1');
  });

  it('shows an IPv4-mapped IPv6 address as IPv4', () => {
    expect(parseProcAddress('0000000000000000FFFF00000100007F')).toBe('127.0.0.1');
  });

  it('reads big-endian words when told to', () => {
    expect(parseProcAddress('7F000001', false)).toBe('127.0.0.1');
  });

  it('refuses odd lengths and non-hex', () => {
    expect(parseProcAddress('0100007')).toBeUndefined();
    expect(parseProcAddress('ZZ00007F')).toBeUndefined();
  });
});

describe('parseProcNet', () => {
  const text = (name: string): string => readFileSync(new URL(`net/${name}`, fixtures), 'utf8');

  it('keeps TCP LISTEN sockets only, with address, port, inode and uid', () => {
    expect(parseProcNet(text('tcp'), 'tcp', 4)).toEqual([
      {protocol: 'tcp', family: 4, address: '127.0.0.1', port: 2376, inode: 50203, uid: 0},
      {protocol: 'tcp', family: 4, address: '0.0.0.0', port: 18082, inode: 50333, uid: 0},
      {protocol: 'tcp', family: 4, address: '192.168.1.1', port: 22, inode: 777, uid: 0},
    ]);
  });

  it('reads tcp6 with any, loopback, mapped and global addresses', () => {
    expect(
      parseProcNet(text('tcp6'), 'tcp', 6).map((socket) => [
        socket.address,
        socket.port,
        socket.uid,
      ]),
    ).toEqual([
      ['::', 18090, 1001],
      ['::1', 80, 0],
      ['127.0.0.1', 8081, 0],
      ['2001:db8::1', 443, 0],
    ]);
  });

  it('keeps bound, unconnected UDP sockets and skips connected ones and port 0', () => {
    expect(parseProcNet(text('udp'), 'udp', 4)).toEqual([
      {protocol: 'udp', family: 4, address: '0.0.0.0', port: 18081, inode: 49970, uid: 0},
    ]);
    expect(parseProcNet(text('udp6'), 'udp', 6)).toEqual([
      {protocol: 'udp', family: 6, address: '::', port: 18081, inode: 49980, uid: 0},
    ]);
  });

  it('reads rows whatever the column widths (wide sl numbers, tabs, trailing spaces)', () => {
    const odd =
      '  sl local\n123456:\t0100007F:0050   00000000:0000\t0A 0:0 0:0 0   42   0   9999 1 0\n';
    expect(parseProcNet(odd, 'tcp', 4)).toEqual([
      {protocol: 'tcp', family: 4, address: '127.0.0.1', port: 80, inode: 9999, uid: 42},
    ]);
  });

  it('reads a whole fake procfs, missing tables counting as empty', async () => {
    const sockets = await listHostSockets(new URL('.', fixtures).pathname.replace(/\/$/, ''));
    expect(sockets.length).toBe(9);
    expect(await listHostSockets('/nonexistent-proc')).toEqual([]);
  });
});
