import {describe, expect, it} from 'vitest';
import type {ContainerInfo, Protocol} from '../../source/model/container-info.js';
import {ContainerPortMap, type PortKey} from '../../source/model/container-port-map.js';
import {lookupPublishedContainer} from '../../source/model/lookup.js';
import {fakeContainer} from '../helpers/snapshot-fixture.js';

function container(id: string): ContainerInfo {
  return fakeContainer(id, id);
}

function key(hostIp: string | null, port: number, protocol: Protocol = 'tcp'): PortKey {
  return {hostIp, port, protocol};
}

const web = container('web');
const local = container('local');
const six = container('six');
const dns = container('dns');
const a = container('a');
const b = container('b');
const map = new ContainerPortMap([
  [key(null, 8080), web],
  [key('127.0.0.1', 8080), local],
  [key('::1', 9000), six],
  [key('127.0.0.1', 5353, 'udp'), dns],
  [key('127.0.0.1', 7000), a],
  [key('127.0.0.2', 7000), b],
  [key('127.0.0.1', 7100), a],
  [key('::1', 7100), a],
]);

describe('lookupPublishedContainer', () => {
  it('prefers the exact binding, then the any-address binding', () => {
    expect(lookupPublishedContainer(map, {address: '127.0.0.1', port: 8080}, 'tcp', false)).toEqual(
      {
        kind: 'match',
        container: local,
      },
    );
    expect(lookupPublishedContainer(map, {address: '10.0.0.5', port: 8080}, 'tcp', false)).toEqual({
      kind: 'match',
      container: web,
    });
    expect(lookupPublishedContainer(map, {address: '0.0.0.0', port: 8080}, 'tcp', false)).toEqual({
      kind: 'match',
      container: web,
    });
    expect(lookupPublishedContainer(map, {address: '::', port: 8080}, 'tcp', false)).toEqual({
      kind: 'match',
      container: web,
    });
  });

  it('matches an IPv4-mapped IPv6 socket to the IPv4 binding', () => {
    expect(
      lookupPublishedContainer(map, {address: '::ffff:127.0.0.1', port: 8080}, 'tcp', false),
    ).toEqual({
      kind: 'match',
      container: local,
    });
  });

  it('matches IPv6 in any spelling', () => {
    expect(
      lookupPublishedContainer(map, {address: '0:0:0:0:0:0:0:1', port: 9000}, 'tcp', false),
    ).toEqual({
      kind: 'match',
      container: six,
    });
  });

  it('keeps protocols apart', () => {
    expect(
      lookupPublishedContainer(map, {address: '127.0.0.1', port: 5353}, 'udp', false).kind,
    ).toBe('match');
    expect(
      lookupPublishedContainer(map, {address: '127.0.0.1', port: 5353}, 'tcp', true).kind,
    ).toBe('not-found');
  });

  it('uses the port-only fallback only when allowed', () => {
    expect(lookupPublishedContainer(map, {address: '0.0.0.0', port: 9000}, 'tcp', false).kind).toBe(
      'not-found',
    );
    expect(lookupPublishedContainer(map, {address: '0.0.0.0', port: 9000}, 'tcp', true)).toEqual({
      kind: 'match',
      container: six,
    });
  });

  it('one container on several addresses is still one match; several containers are ambiguous', () => {
    expect(lookupPublishedContainer(map, {address: '10.1.1.1', port: 7100}, 'tcp', true)).toEqual({
      kind: 'match',
      container: a,
    });
    const result = lookupPublishedContainer(map, {address: '10.1.1.1', port: 7000}, 'tcp', true);
    expect(result.kind).toBe('ambiguous');
    expect(result.kind === 'ambiguous' && result.candidates).toEqual([a, b]);
  });

  it('reports two containers claiming one exact key as ambiguous instead of hiding one', () => {
    const twin = container('twin');
    const clash = new ContainerPortMap([
      [key(null, 80), web],
      [key(null, 80), twin],
    ]);
    expect(clash.size).toBe(2);
    expect(clash.get(null, 80, 'tcp')).toBe(web);
    expect(lookupPublishedContainer(clash, {address: '0.0.0.0', port: 80}, 'tcp', false).kind).toBe(
      'ambiguous',
    );
  });

  it('returns not-found on an empty map', () => {
    expect(
      lookupPublishedContainer(new ContainerPortMap(), {address: '::1', port: 1}, 'tcp', true).kind,
    ).toBe('not-found');
  });
});

describe('ContainerPortMap', () => {
  it('iterates its entries in order and counts them', () => {
    expect(map.size).toBe(8);
    expect([...map][0]).toEqual([key(null, 8080), web]);
  });

  it('builds from containers, folding a container that a second address of the same engine reports again', () => {
    const port = {hostIp: null, port: 1, lastPort: 1, protocol: 'tcp' as const, containerPort: 80};
    const same = {...container('same'), ports: [port]};
    const other = {...container('other'), ports: [{...port, port: 2}]};
    const map = ContainerPortMap.fromContainers([same, {...same}, other]);
    expect(map.size).toBe(2);
    expect(map.containers().map((item) => item.id)).toEqual(['same', 'other']);
    expect([...map][0]).toEqual([port, same]);
  });
});
