import {readFileSync} from 'node:fs';
import {describe, expect, it} from 'vitest';
import {
  parseContainerList,
  parseContainersJson,
  parseContainersJsonStrict,
} from '../../source/engine/parse-containers.js';
import {InvalidJsonError} from '../../source/errors/invalid-json-error.js';
import type {ContainerPortMap, PortKey} from '../../source/model/container-port-map.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8');
const dockerBody = fixture('docker-containers.json');
const libpodBody = fixture('libpod-containers.json');

function keysOf(map: ContainerPortMap, name: string): PortKey[] {
  return [...map]
    .filter(([, container]) => container.name === name)
    .map(([key]) => ({hostIp: key.hostIp, port: key.port, protocol: key.protocol}));
}

describe('parseContainersJsonStrict on a Docker body', () => {
  const map = parseContainersJsonStrict(dockerBody, {
    endpoint: 'unix:///var/run/docker.sock',
    engine: 'docker',
  });

  it('keeps tcp, udp in any case, missing Type as tcp, IPv6; skips ports with no PublicPort and sctp; the 0.0.0.0 and :: twins are one key', () => {
    expect(keysOf(map, 'web')).toEqual([
      {hostIp: null, port: 8080, protocol: 'tcp'},
      {hostIp: '127.0.0.1', port: 5353, protocol: 'udp'},
      {hostIp: '::1', port: 6000, protocol: 'tcp'},
    ]);
  });

  it('reads the container facts and stamps where they came from', () => {
    const web = map.get(null, 8080, 'tcp');
    expect(web).toMatchObject({
      id: '4f3c2b1a0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b',
      name: 'web',
      names: ['web'],
      image: 'nginx:1.25',
      state: 'running',
      status: 'Up 3 minutes',
      command: "nginx -g 'daemon off;'",
      created: 1_700_000_000,
      composeProject: 'shop',
      labels: {'com.docker.compose.project': 'shop', 'com.docker.compose.service': 'web'},
      endpoint: 'unix:///var/run/docker.sock',
      engine: 'docker',
    });
    expect(web?.ports).toContainEqual({
      hostIp: '127.0.0.1',
      port: 5353,
      lastPort: 5353,
      protocol: 'udp',
      containerPort: 53,
    });
  });

  it('keeps JSON escapes in names intact, trims white space around a name and skips the empty first name', () => {
    const db = map.get('127.0.0.1', 15432, 'tcp');
    expect(db?.name).toBe('db\u00e9"quoted"\\slash');
    expect(db?.labels).toEqual({});
    expect(db?.composeProject).toBeNull();
  });

  it('skips one malformed port entry (bad IP, port out of range, port 0, not an object) and keeps the rest', () => {
    expect(keysOf(map, 'db\u00e9"quoted"\\slash')).toEqual([
      {hostIp: '127.0.0.1', port: 15432, protocol: 'tcp'},
    ]);
  });

  it('names a container by image, then short id, then "container"', () => {
    expect(map.get(null, 7001, 'tcp')?.name).toBe('c1c1c1c1c1c1');
    expect(map.get(null, 7002, 'tcp')?.name).toBe('container');
  });

  it('has the right size and lists containers without ports only in the full list', () => {
    expect(map.size).toBe(6);
    const all = parseContainerList(dockerBody);
    expect(all.map((container) => container.name)).toContain('noports');
    expect(map.containers().map((container) => container.name)).not.toContain('noports');
  });
});

describe('what the Rust crate does too', () => {
  const parse = (containers: unknown[]) => parseContainersJsonStrict(JSON.stringify(containers));

  it('a name or image that is only white space falls back like an empty one', () => {
    const map = parse([
      {Id: 'abcdef0123456789', Names: ['  ', '/ '], Image: ' \t', Ports: [{PublicPort: 80}]},
      {Id: 'b', Names: [' /spaced '], Image: 'img', Ports: [{PublicPort: 81}]},
    ]);
    expect(map.get(null, 80, 'tcp')?.name).toBe('abcdef012345');
    expect(map.get(null, 80, 'tcp')?.image).toBe('');
    expect(map.get(null, 81, 'tcp')?.name).toBe('spaced');
  });

  it('an IP with white space around it is trimmed; a blank one means any address', () => {
    const map = parse([
      {
        Id: 'a',
        Ports: [
          {IP: ' 127.0.0.1 ', PublicPort: 80},
          {IP: '  ', PublicPort: 81},
        ],
      },
      {Id: 'b', Ports: [{host_ip: '\t::1 ', host_port: 82, container_port: 1, protocol: 'tcp'}]},
    ]);
    expect(map.get('127.0.0.1', 80, 'tcp')?.id).toBe('a');
    expect(map.get(null, 81, 'tcp')?.id).toBe('a');
    expect(map.get('::1', 82, 'tcp')?.id).toBe('b');
  });

  it('an IPv6 zone is dropped (fe80::1%eth0 is fe80::1); a bare % makes the entry invalid', () => {
    const map = parse([
      {
        Id: 'a',
        Ports: [
          {IP: 'fe80::1%eth0', PublicPort: 80},
          {IP: 'fe80::1%', PublicPort: 81},
        ],
      },
    ]);
    expect(map.get('fe80::1', 80, 'tcp')?.id).toBe('a');
    expect(map.get(null, 81, 'tcp')).toBeUndefined();
    expect(map.size).toBe(1);
  });

  it('a blank compose project label is no project; the Podman label is the fallback', () => {
    const map = parse([
      {Id: 'a', Labels: {'com.docker.compose.project': ' '}, Ports: [{PublicPort: 80}]},
      {
        Id: 'b',
        Labels: {'com.docker.compose.project': '', 'io.podman.compose.project': ' pods '},
        Ports: [{PublicPort: 81}],
      },
    ]);
    expect(map.get(null, 80, 'tcp')?.composeProject).toBeNull();
    expect(map.get(null, 81, 'tcp')?.composeProject).toBe('pods');
  });
});

describe('Podman libpod port fields', () => {
  const map = parseContainersJsonStrict(libpodBody, {endpoint: null, engine: 'podman'});

  it('keeps a range as one entry that answers for each of its ports', () => {
    expect(keysOf(map, 'podweb').filter((key) => key.port >= 18000 && key.port < 18010)).toEqual([
      {hostIp: null, port: 18000, protocol: 'tcp'},
      {hostIp: null, port: 18001, protocol: 'tcp'},
      {hostIp: null, port: 18002, protocol: 'tcp'},
    ]);
    const podweb = map.get(null, 18002, 'tcp');
    expect(podweb?.ports[0]).toEqual({
      hostIp: null,
      port: 18000,
      lastPort: 18002,
      protocol: 'tcp',
      containerPort: 80,
    });
    expect(map.get(null, 18000, 'tcp')).toBe(podweb);
    expect(map.get(null, 18003, 'tcp')).toBeUndefined();
  });

  it('reads "tcp,udp" as both protocols and skips a range past 65535 and sctp', () => {
    expect(map.get('127.0.0.1', 18053, 'tcp')?.name).toBe('podweb');
    expect(map.get('127.0.0.1', 18053, 'udp')?.name).toBe('podweb');
    expect(map.get(null, 65535, 'tcp')).toBeUndefined();
    expect(map.get(null, 18100, 'tcp')).toBeUndefined();
    expect(map.get(null, 18000, 'tcp')?.composeProject).toBe('pods');
  });
});

describe('invalid bodies', () => {
  it.each([
    ['not JSON', '[{"Id": "x"'],
    ['an object', '{"message": "page not found"}'],
    ['null', 'null'],
    ['an array of strings', '["a"]'],
    ['an empty body', ''],
  ])(
    'strict parse throws InvalidJsonError for %s; best effort gives an empty map',
    (_label, body) => {
      expect(() => parseContainersJsonStrict(body)).toThrow(InvalidJsonError);
      expect(parseContainersJson(body).size).toBe(0);
    },
  );

  it('keeps the JSON.parse error as cause and names the endpoint', () => {
    try {
      parseContainersJsonStrict('[oops', {endpoint: 'unix:///x.sock', engine: 'unknown'});
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidJsonError);
      expect((error as InvalidJsonError).name).toBe('InvalidJsonError');
      expect((error as InvalidJsonError).endpoint).toBe('unix:///x.sock');
      expect((error as InvalidJsonError).cause).toBeInstanceOf(SyntaxError);
      expect((error as Error).message).toMatch(
        /^unix:\/\/\/x\.sock: container list is not valid JSON/,
      );
    }
  });

  it('best effort skips items that are not objects and keeps the others', () => {
    const map = parseContainersJson(
      '[1, "x", null, {"Id":"a","Names":["/ok"],"Ports":[{"PublicPort":1,"PrivatePort":1}]}]',
    );
    expect(map.get(null, 1, 'tcp')?.name).toBe('ok');
  });

  it('an empty array is a valid, empty list', () => {
    expect(parseContainersJsonStrict('[]').size).toBe(0);
  });
});
