import {describe, expect, it} from 'vitest';
import {parseHostIp, parseIpAddress} from '../../source/model/ip.js';

describe('parseIpAddress', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['0.0.0.0', '0.0.0.0'],
    ['255.255.255.255', '255.255.255.255'],
    ['::', '::'],
    ['::1', '::1'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['FE80:0000:0000:0000:0202:B3FF:FE1E:8329', 'fe80::202:b3ff:fe1e:8329'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8::', '2001:db8::'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
    ['::ffff:127.0.0.1', '127.0.0.1'],
    ['::FFFF:7f00:1', '127.0.0.1'],
    ['0:0:0:0:0:ffff:10.1.2.3', '10.1.2.3'],
  ])('%s -> %s', (input, expected) => {
    expect(parseIpAddress(input)).toBe(expected);
  });

  it.each([
    '',
    '256.0.0.1',
    '1.2.3',
    '1.2.3.4.5',
    '01.2.3.4',
    'localhost',
    '1::2::3',
    '1:2:3:4:5:6:7:8:9',
    '12345::',
    '::g',
    ':::',
    '1.2.3.4:80',
  ])('rejects %j', (input) => {
    expect(parseIpAddress(input)).toBeUndefined();
  });
});

describe('parseHostIp', () => {
  it('reads empty, 0.0.0.0, :: and their mapped spelling as any address', () => {
    expect(parseHostIp('')).toBeNull();
    expect(parseHostIp(undefined)).toBeNull();
    expect(parseHostIp(null)).toBeNull();
    expect(parseHostIp('0.0.0.0')).toBeNull();
    expect(parseHostIp('::')).toBeNull();
    expect(parseHostIp('0:0:0:0:0:0:0:0')).toBeNull();
    expect(parseHostIp('::ffff:0.0.0.0')).toBeNull();
  });

  it('keeps a specific address canonical and refuses garbage', () => {
    expect(parseHostIp('::1')).toBe('::1');
    expect(parseHostIp('::ffff:192.168.1.1')).toBe('192.168.1.1');
    expect(parseHostIp('not-an-ip')).toBeUndefined();
  });
});
