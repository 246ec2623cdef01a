import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {
  parseContainerList,
  parseContainersJson,
  readContainerList,
  wholeParseChars,
} from '../../source/engine/parse-containers.js';
import type {Protocol} from '../../source/model/container-info.js';
import {ContainerPortMap} from '../../source/model/container-port-map.js';

// ---------------------------------------------------------------------------------------
// The reference: a naive expansion of the body, written without the parser's code.
// ---------------------------------------------------------------------------------------

/** Host address spellings and what each one means: an address, any address (null), or invalid. */
const hostIps: ReadonlyArray<readonly [unknown, string | null | 'invalid']> = [
  ['', null],
  [' ', null],
  ['0.0.0.0', null],
  ['::', null],
  ['0:0:0:0:0:0:0:0', null],
  [null, null],
  ['127.0.0.1', '127.0.0.1'],
  [' 127.0.0.1 ', '127.0.0.1'],
  ['\t127.0.0.1\n', '127.0.0.1'],
  ['10.0.0.1', '10.0.0.1'],
  ['::1', '::1'],
  [' ::1', '::1'],
  ['0:0:0:0:0:0:0:1', '::1'],
  ['::ffff:127.0.0.1', '127.0.0.1'],
  ['::FFFF:7f00:1', '127.0.0.1'],
  ['2001:DB8::1', '2001:db8::1'],
  ['2001:db8:0:0:0:0:0:1', '2001:db8::1'],
  ['256.1.1.1', 'invalid'],
  ['01.2.3.4', 'invalid'],
  ['1.2.3', 'invalid'],
  ['localhost', 'invalid'],
  [':::', 'invalid'],
  ['1::2::3', 'invalid'],
  ['::1%', 'invalid'],
  ['::g', 'invalid'],
  [42, 'invalid'],
  [true, 'invalid'],
  [{}, 'invalid'],
  [['127.0.0.1'], 'invalid'],
];
const hostIpMeaning = new Map<string, string | null | 'invalid'>(
  hostIps.map(([raw, meaning]) => [JSON.stringify(raw), meaning]),
);

interface RefEntry {
  readonly hostIp: string | null;
  readonly port: number;
  readonly lastPort: number;
  readonly protocol: Protocol;
  readonly containerPort: number | null;
}

interface RefContainer {
  readonly id: string;
  readonly entries: readonly RefEntry[];
}

type Json = Record<string, unknown>;

const isJsonObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isValidPort = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65_535;

function refProtocols(value: unknown): Protocol[] {
  if (value === undefined || value === null || value === '') {
    return ['tcp'];
  }
  if (typeof value !== 'string') {
    return [];
  }
  const found: Protocol[] = [];
  for (const word of value.split(',')) {
    const name = word.trim().toLowerCase();
    if ((name === 'tcp' || name === 'udp') && !found.includes(name)) {
      found.push(name);
    }
  }
  return found;
}

/** The entries of one `Ports` item: Docker's shape when it has PublicPort, else libpod's. */
function refEntries(entry: unknown): RefEntry[] {
  if (!isJsonObject(entry)) {
    return [];
  }
  const docker = 'PublicPort' in entry;
  if (!docker && !('host_port' in entry)) {
    return [];
  }
  const port = docker ? entry.PublicPort : entry.host_port;
  if (!isValidPort(port)) {
    return [];
  }
  const rawIp = docker ? entry.IP : entry.host_ip;
  const hostIp = rawIp === undefined ? null : hostIpMeaning.get(JSON.stringify(rawIp));
  if (hostIp === undefined) {
    throw new Error(`test bug: no meaning for host address ${JSON.stringify(rawIp)}`);
  }
  if (hostIp === 'invalid') {
    return [];
  }
  let lastPort = port;
  const range = docker ? undefined : entry.range;
  if (range !== undefined && range !== null && range !== 0) {
    if (!isValidPort(range) || port + range - 1 > 65_535) {
      return [];
    }
    lastPort = port + range - 1;
  }
  const inner = docker ? entry.PrivatePort : entry.container_port;
  const containerPort = isValidPort(inner) ? inner : null;
  return refProtocols(docker ? entry.Type : entry.protocol).map((protocol) => ({
    hostIp,
    port,
    lastPort,
    protocol,
    containerPort,
  }));
}

const sameEntry = (a: RefEntry, b: RefEntry): boolean =>
  a.hostIp === b.hostIp &&
  a.port === b.port &&
  a.lastPort === b.lastPort &&
  a.protocol === b.protocol &&
  a.containerPort === b.containerPort;

/**
 * How a container named twice in one list counts: `keep` (what a list's port index does:
 * both keep their entries, lookups see the container once, by id) or `fold`
 * (ContainerPortMap.fromContainers: the later one is left out entirely).
 */
type Repeats = 'keep' | 'fold';

/**
 * The containers of a parsed body that publish something, in order. An entry equal to the
 * one just before it (Docker's 0.0.0.0 and :: twins) is one entry.
 */
function reference(items: unknown, repeats: Repeats): RefContainer[] {
  if (!Array.isArray(items)) {
    return [];
  }
  const seen = new Set<string>();
  const containers: RefContainer[] = [];
  for (const item of items) {
    if (!isJsonObject(item)) {
      continue;
    }
    const id = typeof item.Id === 'string' ? item.Id : '';
    const entries: RefEntry[] = [];
    for (const entry of Array.isArray(item.Ports) ? item.Ports : []) {
      for (const expanded of refEntries(entry)) {
        const previous = entries[entries.length - 1];
        if (previous === undefined || !sameEntry(previous, expanded)) {
          entries.push(expanded);
        }
      }
    }
    if (entries.length === 0 || (repeats === 'fold' && id !== '' && seen.has(id))) {
      continue;
    }
    if (id !== '') {
      seen.add(id);
    }
    containers.push({id, entries});
  }
  return containers;
}

const covers = (entry: RefEntry, port: number, protocol: Protocol): boolean =>
  entry.protocol === protocol && entry.port <= port && port <= entry.lastPort;

/** Ids of the containers with an entry that `holds`, each id once (id-less ones each count). */
function distinctIds(containers: readonly RefContainer[], holds: (entry: RefEntry) => boolean) {
  const found: string[] = [];
  for (const {id, entries} of containers) {
    if (entries.some(holds) && (id === '' || !found.includes(id))) {
      found.push(id);
    }
  }
  return found;
}

const refOnPort = (containers: readonly RefContainer[], port: number, protocol: Protocol) =>
  distinctIds(containers, (entry) => covers(entry, port, protocol));

const refGetAll = (
  containers: readonly RefContainer[],
  hostIp: string | null,
  port: number,
  protocol: Protocol,
) => distinctIds(containers, (entry) => entry.hostIp === hostIp && covers(entry, port, protocol));

/** Ports worth asking about: each port the body names, one either side of each range edge. */
function samplePorts(items: unknown, random: readonly number[]): number[] {
  const ports = new Set<number>(random);
  const add = (port: number): void => {
    for (const near of [port - 1, port, port + 1]) {
      if (near >= 1 && near <= 65_535) {
        ports.add(near);
      }
    }
  };
  for (const item of Array.isArray(items) ? items : []) {
    if (!isJsonObject(item) || !Array.isArray(item.Ports)) {
      continue;
    }
    for (const entry of item.Ports) {
      if (!isJsonObject(entry)) {
        continue;
      }
      for (const port of [entry.PublicPort, entry.host_port]) {
        if (typeof port === 'number' && Number.isInteger(port)) {
          add(port);
          if (typeof entry.range === 'number' && Number.isInteger(entry.range)) {
            add(port + entry.range - 1);
          }
        }
      }
    }
  }
  return [...ports];
}

/** Checks every lookup of `map` on the sampled ports against the reference. */
function checkAgainstReference(
  map: ContainerPortMap,
  body: string,
  random: readonly number[],
  repeats: Repeats = 'keep',
) {
  const items: unknown = JSON.parse(body);
  const expected = reference(items, repeats);
  const ids = (containers: readonly {id: string}[]): string[] => containers.map(({id}) => id);
  // Every address an entry has, any address, and one that no entry has.
  const queriedHostIps = [
    ...new Set<string | null>([
      null,
      '10.9.9.9',
      ...expected.flatMap(({entries}) => entries.map(({hostIp}) => hostIp)),
    ]),
  ];
  // Plain comparisons, and one expect for all: a few hundred thousand lookups per test.
  const mismatches: string[] = [];
  const check = (what: string, actual: readonly string[], wanted: string[]) => {
    if (actual.length !== wanted.length || actual.some((id, index) => id !== wanted[index])) {
      mismatches.push(`${what}: got ${JSON.stringify(actual)}, expected ${JSON.stringify(wanted)}`);
    }
  };
  for (const port of samplePorts(items, random)) {
    for (const protocol of ['tcp', 'udp'] as const) {
      const where = `${protocol}/${port}`;
      check(
        `containersOnPort ${where}`,
        ids(map.containersOnPort(port, protocol)),
        refOnPort(expected, port, protocol),
      );
      for (const hostIp of queriedHostIps) {
        const all = refGetAll(expected, hostIp, port, protocol);
        check(`getAll ${where} on ${hostIp}`, ids(map.getAll(hostIp, port, protocol)), all);
        const first = map.get(hostIp, port, protocol);
        check(`get ${where} on ${hostIp}`, first === undefined ? [] : [first.id], all.slice(0, 1));
      }
    }
  }
  expect(mismatches).toEqual([]);
  const entries = expected.flatMap(({id, entries}) => entries.map((entry) => ({id, ...entry})));
  expect(
    [...map.ranges()].map(([range, container]) => ({
      id: container.id,
      hostIp: range.hostIp,
      port: range.port,
      lastPort: range.lastPort,
      protocol: range.protocol,
      containerPort: (range as {containerPort?: number | null}).containerPort ?? null,
    })),
  ).toEqual(entries);
  expect(map.rangeCount).toBe(entries.length);
  expect(map.size).toBe(entries.reduce((sum, entry) => sum + entry.lastPort - entry.port + 1, 0));
  expect(ids(map.containers())).toEqual(ids(expected));
}

// ---------------------------------------------------------------------------------------
// Generators.
// ---------------------------------------------------------------------------------------

/** Omits the key when the value is undefined (as an engine would). */
const optional = <T>(arbitrary: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> =>
  fc.option(arbitrary, {nil: undefined, freq: 5});

const portValue = fc.oneof(
  {weight: 4, arbitrary: fc.integer({min: 8000, max: 8100})},
  {weight: 2, arbitrary: fc.integer({min: 1, max: 65_535})},
  {weight: 2, arbitrary: fc.integer({min: 62_000, max: 65_535})},
  {
    weight: 2,
    arbitrary: fc.constantFrom<unknown>(1, 2, 65_534, 65_535, 0, -1, 65_536, 1.5, '80', null),
  },
);
const rangeValue = fc.oneof(
  {weight: 4, arbitrary: fc.integer({min: 0, max: 3000})},
  {weight: 2, arbitrary: fc.integer({min: 0, max: 20})},
  {
    weight: 1,
    arbitrary: fc.constantFrom<unknown>(0, 1, 2, null, -1, 1.5, '10', 65_535, 65_536, true),
  },
);
const protocolValue = fc.constantFrom<unknown>(
  'tcp',
  'tcp',
  'udp',
  'udp',
  'tcp,udp',
  'udp,tcp',
  'TCP',
  ' udp ',
  'tcp,sctp',
  'sctp',
  'garbage',
  '',
  null,
  5,
  ['tcp'],
);
const hostIpValue = fc.constantFrom(...hostIps.map(([raw]) => raw));
const innerPort = fc.constantFrom<unknown>(80, 443, 53, 0, null, 'x');

const dockerPort = fc.record(
  {
    IP: hostIpValue,
    PrivatePort: innerPort,
    PublicPort: portValue,
    Type: protocolValue,
  },
  {requiredKeys: []},
);
const libpodPort = fc.record(
  {
    host_ip: hostIpValue,
    container_port: innerPort,
    host_port: portValue,
    range: rangeValue,
    protocol: protocolValue,
  },
  {requiredKeys: ['host_port']},
);
const garbagePort = fc.oneof(
  fc.constant(null),
  fc.integer(),
  fc.string({maxLength: 5}),
  fc.constant({}),
  fc.array(fc.integer(), {maxLength: 3}),
  fc.record({PublicPort: portValue, host_port: portValue, range: rangeValue}),
);

const idValue = fc.oneof(
  {weight: 4, arbitrary: fc.constantFrom<unknown>('a1', 'b2', 'c3', 'd4')},
  {weight: 4, arbitrary: fc.stringMatching(/^[0-9a-f]{12}$/)},
  {weight: 1, arbitrary: fc.constantFrom<unknown>('', 7, null)},
);

/**
 * Port lists where some entries are followed by their twin on `::` (Docker lists a port
 * bound to any address once per family): a tuple whose number is 0 gets a twin.
 */
function withTwins(entries: ReadonlyArray<readonly [unknown, number]>): unknown[] {
  return entries.flatMap(([entry, twin]) => {
    if (twin !== 0 || !isJsonObject(entry)) {
      return [entry];
    }
    const key = 'PublicPort' in entry || !('host_port' in entry) ? 'IP' : 'host_ip';
    return [entry, {...entry, [key]: '::'}];
  });
}

function containerOf(port: fc.Arbitrary<unknown>, label: fc.Arbitrary<string> = fc.constant('')) {
  return fc
    .record({
      Id: optional(idValue),
      Names: fc.constantFrom<unknown>(['/web'], ['/db', '/db2'], [], undefined),
      Image: fc.constantFrom<unknown>('nginx', '', undefined),
      Ports: fc.oneof(
        {
          weight: 8,
          arbitrary: fc.array(fc.tuple(port, fc.nat({max: 3})), {maxLength: 6}).map(withTwins),
        },
        {weight: 1, arbitrary: fc.constantFrom<unknown>(null, 'x', {}, undefined)},
      ),
      pad: label,
    })
    .map(({pad, ...item}) => (pad === '' ? item : {...item, Labels: {pad}}));
}

const dockerContainer = containerOf(fc.oneof({weight: 9, arbitrary: dockerPort}, garbagePort));
const libpodContainer = containerOf(fc.oneof({weight: 9, arbitrary: libpodPort}, garbagePort));
const mixedContainer = containerOf(fc.oneof(dockerPort, libpodPort, garbagePort));
const garbageItem = fc.oneof(
  fc.constant(null),
  fc.integer(),
  fc.string({maxLength: 8}),
  fc.array(fc.integer(), {maxLength: 3}),
  fc.jsonValue({maxDepth: 2}),
);

const listOf = (container: fc.Arbitrary<unknown>) =>
  fc.array(fc.oneof({weight: 9, arbitrary: container}, garbageItem), {maxLength: 12});

const randomPorts = fc.array(fc.integer({min: 1, max: 65_535}), {minLength: 50, maxLength: 50});

// ---------------------------------------------------------------------------------------
// Properties.
// ---------------------------------------------------------------------------------------

describe('parseContainersJson against a naive reference', () => {
  const shapes = {
    'Docker-shaped': dockerContainer,
    'libpod-shaped': libpodContainer,
    'mixed-shape': mixedContainer,
  };
  for (const [shape, container] of Object.entries(shapes)) {
    it(`${shape} lists: never throws, and every lookup matches the reference`, () => {
      fc.assert(
        fc.property(listOf(container), randomPorts, (items, random) => {
          const body = JSON.stringify(items);
          const map = parseContainersJson(body);
          checkAgainstReference(map, body, random);
        }),
        {seed: 42, numRuns: 2000},
      );
    });
  }

  it('ContainerPortMap.fromContainers folds a container named twice: lookups match the reference', () => {
    fc.assert(
      fc.property(listOf(mixedContainer), randomPorts, (items, random) => {
        const body = JSON.stringify(items);
        const containers = parseContainerList(
          JSON.stringify((items as unknown[]).filter(isJsonObject)),
        );
        checkAgainstReference(ContainerPortMap.fromContainers(containers), body, random, 'fold');
      }),
      {seed: 42, numRuns: 1000},
    );
  });

  it('never throws on text that is not a container list, and gives an empty map', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({unit: 'binary', maxLength: 30}),
          fc.jsonValue({maxDepth: 3}).map((value) => JSON.stringify(value) ?? ''),
        ),
        (text) => {
          const map = parseContainersJson(text);
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch {
            parsed = undefined;
          }
          if (!Array.isArray(parsed)) {
            expect(map.size).toBe(0);
            expect(map.rangeCount).toBe(0);
          }
        },
      ),
      {seed: 42, numRuns: 1000},
    );
  });

  it('the reference itself: trimmed, mapped and compressed addresses, ranges, protocols', () => {
    const body = JSON.stringify([
      {
        Id: 'x',
        Ports: [
          {host_ip: ' 127.0.0.1 ', host_port: 65_530, range: 6, protocol: 'tcp,udp'},
          {host_ip: '::ffff:127.0.0.1', host_port: 65_530, range: 7},
          {IP: '0:0:0:0:0:0:0:1', PublicPort: 80, Type: 'sctp'},
          {IP: '0:0:0:0:0:0:0:1', PublicPort: 81, Type: 'UDP'},
        ],
      },
      {Id: 'x', Ports: [{PublicPort: 82}]},
    ]);
    const first: RefContainer = {
      id: 'x',
      entries: [
        {hostIp: '127.0.0.1', port: 65_530, lastPort: 65_535, protocol: 'tcp', containerPort: null},
        {hostIp: '127.0.0.1', port: 65_530, lastPort: 65_535, protocol: 'udp', containerPort: null},
        {hostIp: '::1', port: 81, lastPort: 81, protocol: 'udp', containerPort: null},
      ],
    };
    const second: RefContainer = {
      id: 'x',
      entries: [{hostIp: null, port: 82, lastPort: 82, protocol: 'tcp', containerPort: null}],
    };
    expect(reference(JSON.parse(body), 'fold')).toEqual([first]);
    expect(reference(JSON.parse(body), 'keep')).toEqual([first, second]);
    expect(refOnPort([first, second], 82, 'tcp')).toEqual(['x']);
    expect(refOnPort([first, second, second], 82, 'tcp')).toEqual(['x']);
    expect(
      refOnPort(
        [
          {...first, id: ''},
          {...second, id: ''},
        ],
        82,
        'tcp',
      ),
    ).toEqual(['']);
    expect(refGetAll([first, second], '127.0.0.1', 65_535, 'udp')).toEqual(['x']);
    checkAgainstReference(
      ContainerPortMap.fromContainers(parseContainerList(body)),
      body,
      [1],
      'fold',
    );
    checkAgainstReference(parseContainersJson(body), body, [1]);
  });
});

describe('readContainerList on bodies long enough to be parsed in slices', () => {
  it('gives the same lookups as the reference and as parseContainersJson', async () => {
    const padded = fc.oneof(
      containerOf(fc.oneof(dockerPort, libpodPort), fc.constant('p'.repeat(40_000))),
      containerOf(fc.oneof(dockerPort, libpodPort, garbagePort), fc.constant('q'.repeat(9_000))),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(padded, {minLength: 40, maxLength: 160}),
        randomPorts,
        async (items, random) => {
          let body = JSON.stringify(items);
          while (body.length <= wholeParseChars) {
            body = JSON.stringify([...(JSON.parse(body) as unknown[]), ...items]);
          }
          const list = await readContainerList(
            body,
            {endpoint: 'unix:///fake.sock', engine: 'podman'},
            {deadline: performance.now() + 60_000, timeoutMs: 60_000},
          );
          const parsed = JSON.parse(body) as unknown[];
          expect(list.count).toBe(parsed.length);
          expect(list.containers).toHaveLength(parsed.length);
          const map = ContainerPortMap.fromIndexes([list.index]);
          checkAgainstReference(map, body, random);
          checkAgainstReference(parseContainersJson(body), body, random);
          expect(map.size).toBe(parseContainersJson(body).size);
        },
      ),
      {seed: 42, numRuns: 5},
    );
  });
});
