import {describe, expect, it} from 'vitest';
import {formatTable} from '../../source/model/columns.js';
import {formatPort, formatPublishedPort, toJsonRow} from '../../source/model/format.js';
import {fakeRow} from '../helpers/snapshot-fixture.js';

describe('ports as the screen writes them', () => {
  it('a single port is its number, a range is first-last', () => {
    expect(formatPort({port: 8080, lastPort: 8080})).toBe('8080');
    expect(formatPort({port: 10_000, lastPort: 20_000})).toBe('10000-20000');
  });

  it('a published entry shows address, host ports, container ports and protocol', () => {
    expect(
      formatPublishedPort({
        hostIp: null,
        port: 8080,
        lastPort: 8080,
        protocol: 'tcp',
        containerPort: 80,
      }),
    ).toBe('*:8080->80/tcp');
    expect(
      formatPublishedPort({
        hostIp: '::1',
        port: 9000,
        lastPort: 9002,
        protocol: 'udp',
        containerPort: 90,
      }),
    ).toBe('::1:9000-9002->90-92/udp');
    expect(
      formatPublishedPort({
        hostIp: '127.0.0.1',
        port: 5,
        lastPort: 6,
        protocol: 'tcp',
        containerPort: null,
      }),
    ).toBe('127.0.0.1:5-6->?/tcp');
  });

  it('a range row keeps its whole range in the PORT column and in --json', () => {
    const row = fakeRow(10_000, {lastPort: 20_000});
    const [header, line] = formatTable([row], 120);
    expect(header).toMatch(/PORT/);
    expect(line).toContain('10000-20000');
    expect(toJsonRow(row)).toMatchObject({port: 10_000, lastPort: 20_000});
    expect(toJsonRow(fakeRow(80))).toMatchObject({port: 80, lastPort: 80});
  });
});
