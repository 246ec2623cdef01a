import {describe, expect, it} from 'vitest';
import {parseProcAddress, parseProcNet} from '../../source/host/proc-net.js';

describe('/proc/net parsers: properties (seeded)', () => {
  it('regressions the properties found: a field the kernel writes as digits holds only digits', () => {
    // parseInt read '7G' as 7 and '-1' as -1; Number() read '1e3', '0x10' and '-1'.
    expect(parseProcAddress('0100007G')).toBeUndefined();
    expect(parseProcAddress('-100007F')).toBeUndefined();
    expect(parseProcAddress('+100007F')).toBeUndefined();
    expect(parseProcAddress('0x00007F')).toBeUndefined();
    expect(parseProcAddress(' 100007F')).toBeUndefined();
    const row = (local: string, uid: string, inode: string): string =>
      `   0: ${local} 00000000:0000 0A 00000000:00000000 00:00000000 00000000 ${uid} 0 ${inode} 1`;
    expect(parseProcNet(row('0100007F:0050', '0', '-1'), 'tcp', 4)).toEqual([]);
    expect(parseProcNet(row('0100007F:0050', '0', '1e3'), 'tcp', 4)).toEqual([]);
    expect(parseProcNet(row('0100007F:0050', '0', '0x10'), 'tcp', 4)).toEqual([]);
    expect(parseProcNet(row('0100007F:0050zz', '0', '7'), 'tcp', 4)).toEqual([]);
    expect(parseProcNet(row('0100007F:+050', '0', '7'), 'tcp', 4)).toEqual([]);
    // An address of the other family's width is not a row of this table.
    expect(parseProcNet(row('0100007F:0050', '0', '7'), 'tcp', 6)).toEqual([]);
    expect(parseProcNet(row(`${'0'.repeat(32)}:0050`, '0', '7'), 'tcp', 4)).toEqual([]);
    // A uid that is not a decimal number reads as unknown (-1), as a missing one did.
    expect(parseProcNet(row('0100007F:0050', '1e3', '7'), 'tcp', 4)).toEqual([
      {protocol: 'tcp', family: 4, address: '127.0.0.1', port: 80, inode: 7, uid: -1},
    ]);
  });
});
