import {createHash} from 'node:crypto';
import {existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {isDeepStrictEqual} from 'node:util';
import fc from 'fast-check';
import {afterAll, describe, expect, it} from 'vitest';
import {
  type Endpoint,
  parseEngineAddress,
  resolveEndpoints,
  type TlsMaterial,
} from '../../source/engine/endpoint.js';
import {EndpointConfigError} from '../../source/errors/endpoint-config-error.js';

// Seeded, so a failure replays the same way on every machine; thousands of cases each, as
// issue 11 asks (resolveEndpoints a thousand: each case writes a docker config folder).
const runs = {seed: 2222, numRuns: 3000} as const;

/**
 * Where the generated files go: tmpfs when there is one. On this machine's disk /tmp,
 * creating and removing a small folder tree costs ~15 ms, twenty times tmpfs's cost.
 */
const scratch = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();

/** toEqual, with a cheap check first: expect's bookkeeping costs more than the parse. */
function expectEqual<T>(actual: T, expected: T): void {
  if (!isDeepStrictEqual(actual, expected)) {
    expect(actual).toEqual(expected);
  }
}

// ---------------------------------------------------------------------------------------
// The reference: engine addresses built from their fields, and what a reader should make
// of them, written without the parser's code.
// ---------------------------------------------------------------------------------------

/** RFC 5952: lower-case hex, no leading zeros, the longest run of 2+ zero groups as '::'. */
function formatIpv6(groups: readonly number[]): string {
  let bestStart = -1;
  let bestLength = 1;
  for (let start = 0; start < 8; start++) {
    let length = 0;
    while (groups[start + length] === 0) {
      length++;
    }
    if (length > bestLength) {
      bestStart = start;
      bestLength = length;
    }
  }
  const text = groups.map((group) => group.toString(16));
  if (bestStart === -1) {
    return text.join(':');
  }
  return `${text.slice(0, bestStart).join(':')}::${text.slice(bestStart + bestLength).join(':')}`;
}

/** A host as the user may write it, and the host the endpoint must name. */
interface HostSpelling {
  readonly written: string;
  readonly host: string;
}

const group = fc.oneof(fc.constant(0), fc.constant(0), fc.integer({min: 0, max: 0xffff}));
const ipv6Host: fc.Arbitrary<HostSpelling> = fc
  .tuple(fc.array(group, {minLength: 8, maxLength: 8}), fc.constantFrom('full', 'short', 'upper'))
  .map(([groups, style]) => {
    const canonical = formatIpv6(groups);
    const written =
      style === 'full'
        ? groups.map((value) => value.toString(16).padStart(4, '0')).join(':')
        : style === 'upper'
          ? canonical.toUpperCase()
          : canonical;
    return {written: `[${written}]`, host: canonical};
  });
const ipv4Host: fc.Arbitrary<HostSpelling> = fc
  .array(fc.integer({min: 0, max: 255}), {minLength: 4, maxLength: 4})
  .map((bytes) => ({written: bytes.join('.'), host: bytes.join('.')}));
// DNS names; the last label starts with a letter (an all-digit one would read as IPv4).
const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/);
const nameHost: fc.Arbitrary<HostSpelling> = fc
  .tuple(
    fc.array(label, {maxLength: 3}),
    fc.stringMatching(/^[a-z]([a-z0-9-]{0,10}[a-z0-9])?$/),
    fc.boolean(),
  )
  .map(([labels, last, upper]) => {
    const host = [...labels, last].join('.');
    return {written: upper ? host.toUpperCase() : host, host};
  });
const hostSpelling = fc.oneof(ipv4Host, ipv6Host, nameHost);

/** A tcp address from its fields, and the endpoint it must give. */
const tcpAddress = fc
  .record({
    scheme: fc.constantFrom('tcp', 'TCP', 'Tcp', 'http', 'https', 'HTTPS'),
    host: hostSpelling,
    port: fc.option(
      fc.oneof(fc.constantFrom(1, 80, 443, 2375, 2376, 65_535), fc.integer({min: 1, max: 65_535})),
      {nil: undefined},
    ),
    zeros: fc.nat({max: 2}),
    slash: fc.boolean(),
  })
  .map(({scheme, host, port, zeros, slash}) => {
    const portText = port === undefined ? '' : `:${'0'.repeat(zeros)}${port}`;
    const address = `${scheme}://${host.written}${portText}${slash ? '/' : ''}`;
    const https = scheme.toLowerCase() === 'https';
    const tls: TlsMaterial | null = https
      ? {ca: undefined, cert: undefined, key: undefined, verify: true}
      : null;
    const finalPort = port ?? (https ? 2376 : 2375);
    const shown = host.host.includes(':') ? `[${host.host}]` : host.host;
    return {
      address,
      expected: {
        kind: 'tcp',
        host: host.host,
        port: finalPort,
        tls,
        address: `tcp://${shown}:${finalPort}`,
      },
    };
  });

/** Path segments: any text but '/' and NUL (a socket path can hold spaces, '?', '#', '%'). */
const segment = fc
  .string({unit: 'grapheme', minLength: 1, maxLength: 12})
  .map((text) => text.replaceAll('/', '_').replaceAll('\0', '_'));
const absolutePath = fc
  .array(segment, {minLength: 1, maxLength: 5})
  .map((segments) => `/${segments.join('/')}`);

const unixAddress = fc
  .tuple(absolutePath, fc.constantFrom('unix://', 'UNIX://', ''))
  .map(([path, prefix]) => ({
    address: `${prefix}${path}`,
    expected: {kind: 'socket', socketPath: path, address: `unix://${path}`},
  }));

const npipeAddress = fc
  .tuple(fc.array(segment, {minLength: 1, maxLength: 3}), fc.constantFrom('npipe:', 'NPIPE:'))
  .map(([segments, scheme]) => {
    const address = `${scheme}////./pipe/${segments.join('/')}`;
    return {
      address,
      expected: {
        kind: 'socket',
        socketPath: `\\\\.\\pipe\\${segments.join('\\')}`,
        address,
      },
    };
  });

const validAddress = fc.oneof(tcpAddress, unixAddress, npipeAddress);

/** Anything: free text, and text that starts like an address and goes wrong after. */
const anyAddress = fc.oneof(
  fc.string({unit: 'binary', maxLength: 60}),
  fc
    .tuple(
      fc.constantFrom('tcp://', 'unix://', 'npipe://', 'https://', 'ssh://', 'fd://', '://', ''),
      fc.oneof(
        fc.string({unit: 'binary', maxLength: 40}),
        fc.stringMatching(/^\[?[0-9a-fA-F:.%]{0,20}\]?(:\d{0,6})?$/),
        fc.stringMatching(/^[a-z0-9.@-]{0,20}(:[0-9a-z]{0,7})?(\/.{0,5})?$/),
      ),
    )
    .map(([scheme, rest]) => scheme + rest),
  validAddress.map((valid) => valid.address),
);

const sourceName = fc.oneof(
  fc.constantFrom('DOCKER_HOST', 'CONTAINER_HOST', 'context "remote"', 'default'),
  fc.string({unit: 'grapheme', maxLength: 20}),
);

/** What a thrown value must be: our typed error, naming the source it was given. */
function checkRefusal(error: unknown, source: string): void {
  expectEqual(error instanceof EndpointConfigError, true);
  const refusal = error as EndpointConfigError;
  expectEqual(refusal.source, source);
  expectEqual(refusal.message.startsWith(`${source}: `), true);
}

/** The invariants of any endpoint parseEngineAddress returns. */
function checkEndpoint(endpoint: Endpoint, source: string): void {
  expectEqual(endpoint.source, source);
  if (endpoint.kind === 'socket') {
    expectEqual(endpoint.socketPath.length > 0, true);
  } else if (endpoint.kind === 'ssh') {
    // An ssh host or user is one argv word that ssh must not read as an option.
    expectEqual(endpoint.host.length > 0 && !endpoint.host.startsWith('-'), true);
    expectEqual(endpoint.user === null || !endpoint.user.startsWith('-'), true);
    expectEqual(endpoint.port === null || (endpoint.port >= 1 && endpoint.port <= 65_535), true);
  } else {
    expectEqual(
      endpoint.host.length > 0 &&
        Number.isInteger(endpoint.port) &&
        endpoint.port >= 0 &&
        endpoint.port <= 65_535,
      true,
    );
  }
  // The address it shows reads back as the same endpoint (stop.ts re-reads it from a row).
  const again = parseEngineAddress(
    endpoint.address,
    source,
    endpoint.kind === 'tcp' ? endpoint.tls : null,
  );
  expectEqual(again, endpoint);
}

describe('parseEngineAddress: properties (seeded)', () => {
  it('reads every address built from fields back to those fields', () => {
    fc.assert(
      fc.property(validAddress, sourceName, ({address, expected}, source) => {
        const endpoint = parseEngineAddress(address, source);
        expectEqual(endpoint, {...expected, source} as Endpoint);
        checkEndpoint(endpoint, source);
      }),
      runs,
    );
  });

  it('on any text returns a sane endpoint or throws EndpointConfigError naming its source', () => {
    fc.assert(
      fc.property(anyAddress, sourceName, (address, source) => {
        let endpoint: Endpoint;
        try {
          endpoint = parseEngineAddress(address, source);
        } catch (error) {
          checkRefusal(error, source);
          return;
        }
        checkEndpoint(endpoint, source);
      }),
      runs,
    );
  });
});

// ---------------------------------------------------------------------------------------
// resolveEndpoints over generated environments and docker config folders
// ---------------------------------------------------------------------------------------

interface ContextSpec {
  readonly name: string;
  /** meta.json's text. */
  readonly meta: string;
  /** The Host it names when meta.json is well formed, else undefined. */
  readonly host: string | undefined;
  readonly skipTlsVerify: boolean;
  /** TLS files in the context's tls folder; undefined: no tls folder. */
  readonly tls: {readonly ca: boolean; readonly cert: boolean} | undefined;
}

const contextName = fc.oneof(
  fc.constantFrom('remote', 'colima', 'default', 'desktop-linux', 'a b', 'ünï"cødé'),
  fc.string({unit: 'grapheme', minLength: 1, maxLength: 16}),
);

const contextSpec: fc.Arbitrary<ContextSpec> = fc
  .record({
    name: contextName,
    host: fc.oneof(
      {weight: 4, arbitrary: validAddress.map((valid) => valid.address)},
      {weight: 1, arbitrary: anyAddress},
    ),
    shape: fc.oneof(
      {weight: 8, arbitrary: fc.constant('good')},
      {weight: 1, arbitrary: fc.constantFrom('not-json', 'no-host', 'host-not-string', 'null')},
    ),
    skipTlsVerify: fc.boolean(),
    tls: fc.option(fc.record({ca: fc.boolean(), cert: fc.boolean()}), {nil: undefined}),
  })
  .map(({name, host, shape, skipTlsVerify, tls}) => {
    const metas: Record<string, string> = {
      good: JSON.stringify({
        Name: name,
        Metadata: {},
        Endpoints: {docker: {Host: host, SkipTLSVerify: skipTlsVerify}},
      }),
      'not-json': '{"Endpoints": {"docker": {"Host": ',
      'no-host': JSON.stringify({Name: name, Endpoints: {}}),
      'host-not-string': JSON.stringify({Endpoints: {docker: {Host: 2375}}}),
      null: 'null',
    };
    return {
      name,
      meta: metas[shape] ?? '',
      host: shape === 'good' && host !== '' ? host : undefined,
      skipTlsVerify,
      tls,
    };
  });

const variableValue = fc.oneof(
  {weight: 6, arbitrary: fc.constant(undefined)},
  {weight: 1, arbitrary: fc.constant('')},
  {weight: 2, arbitrary: validAddress.map((valid) => valid.address)},
  {weight: 1, arbitrary: anyAddress},
);

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;
const scenario = fc.record({
  // Set in a quarter of the cases each (and sometimes empty, which counts as unset), so most
  // cases reach the contexts and the well-known sockets.
  dockerHost: variableValue,
  containerHost: variableValue,
  contexts: fc.array(contextSpec, {minLength: 1, maxLength: 3}),
  /** Which context is current: by DOCKER_CONTEXT, by config.json, or by neither. */
  pick: fc.record({
    how: fc.constantFrom('env', 'env', 'config', 'config', 'none'),
    index: fc.nat({max: 3}),
    other: fc.option(contextName, {nil: undefined}),
  }),
  config: fc.constantFrom('json', 'json', 'not-json', 'not-object', 'absent'),
  dockerConfigVariable: fc.boolean(),
  tlsVerify: fc.option(fc.constantFrom('1', '0', 'yes', ''), {nil: undefined}),
  dockerTls: fc.option(fc.constantFrom('1', ''), {nil: undefined}),
  certFiles: fc.option(fc.record({ca: fc.boolean(), cert: fc.boolean(), key: fc.boolean()}), {
    nil: undefined,
  }),
  xdgRuntime: fc.option(fc.oneof(absolutePath, fc.string({maxLength: 10})), {nil: undefined}),
  home: fc.constantFrom('temp', 'temp', 'temp', 'relative', 'empty', 'slash'),
  uid: fc.oneof(fc.constantFrom(0, 1000), fc.nat({max: 2 ** 31})),
  platform: fc.constantFrom<NodeJS.Platform>('linux', 'linux', 'darwin', 'win32'),
});

describe('resolveEndpoints: properties (seeded)', () => {
  const root = mkdtempSync(join(scratch, 'nanodock-props-endpoint-'));
  afterAll(() => rmSync(root, {recursive: true, force: true}));
  let run = 0;

  it('never throws; refusals are EndpointConfigErrors that name their source; contexts and DOCKER_HOST read back', () => {
    fc.assert(
      fc.property(scenario, (generated) => {
        const base = join(root, String(run++));
        try {
          checkScenario(generated, base);
        } finally {
          rmSync(base, {recursive: true, force: true});
        }
      }),
      {...runs, numRuns: 1000},
    );
  });
});

function checkScenario(generated: Scenario, base: string): void {
  const homes: Record<string, string> = {
    temp: join(base, 'home'),
    relative: 'relative/home',
    empty: '',
    slash: '/',
  };
  const home = homes[generated.home] ?? '';
  // Where ~/.docker is: DOCKER_CONFIG, else HOME/.docker (only a temp home gets files).
  const configDir = generated.dockerConfigVariable
    ? join(base, 'docker-config')
    : generated.home === 'temp'
      ? join(home, '.docker')
      : undefined;

  // The current context's name, and how it was chosen.
  const {how, index, other} = generated.pick;
  // Mostly a context that exists; sometimes one that does not.
  const named = index < 3 ? generated.contexts[index % generated.contexts.length]?.name : other;
  const env: Record<string, string | undefined> = {
    DOCKER_HOST: generated.dockerHost,
    CONTAINER_HOST: generated.containerHost,
    DOCKER_CONTEXT: how === 'env' ? named : undefined,
    DOCKER_CONFIG: generated.dockerConfigVariable ? configDir : undefined,
    DOCKER_TLS_VERIFY: generated.tlsVerify,
    DOCKER_TLS: generated.dockerTls,
    DOCKER_CERT_PATH: generated.certFiles ? join(base, 'certs') : undefined,
    XDG_RUNTIME_DIR: generated.xdgRuntime,
  };
  if (configDir !== undefined) {
    mkdirSync(configDir, {recursive: true});
    // Later contexts of the same name overwrite earlier ones, as the CLI's would.
    const written = new Map<string, ContextSpec>();
    for (const context of generated.contexts) {
      written.set(context.name, context);
    }
    for (const context of written.values()) {
      const digest = createHash('sha256').update(context.name).digest('hex');
      const metaDir = join(configDir, 'contexts', 'meta', digest);
      mkdirSync(metaDir, {recursive: true});
      writeFileSync(join(metaDir, 'meta.json'), context.meta);
      if (context.tls) {
        const tlsDir = join(configDir, 'contexts', 'tls', digest, 'docker');
        mkdirSync(tlsDir, {recursive: true});
        if (context.tls.ca) {
          writeFileSync(join(tlsDir, 'ca.pem'), 'CA');
        }
        if (context.tls.cert) {
          writeFileSync(join(tlsDir, 'cert.pem'), 'CERT');
        }
      }
    }
    const configTexts: Record<string, string | undefined> = {
      json: JSON.stringify({auths: {}, currentContext: how === 'config' ? named : undefined}),
      'not-json': '{"currentContext": "remo',
      'not-object': '"remote"',
      absent: undefined,
    };
    const configText = configTexts[generated.config];
    if (configText !== undefined) {
      writeFileSync(join(configDir, 'config.json'), configText);
    }
  }
  if (generated.certFiles) {
    const certs = join(base, 'certs');
    mkdirSync(certs, {recursive: true});
    for (const file of ['ca', 'cert', 'key'] as const) {
      if (generated.certFiles[file]) {
        writeFileSync(join(certs, `${file}.pem`), file.toUpperCase());
      }
    }
  }

  const plan = resolveEndpoints({
    env,
    home,
    uid: generated.uid,
    platform: generated.platform,
  });

  for (const problem of plan.problems) {
    checkRefusal(problem.error, problem.source);
  }
  // One address named in the environment is queried alone, DOCKER_HOST first.
  const variable = generated.dockerHost
    ? 'DOCKER_HOST'
    : generated.containerHost
      ? 'CONTAINER_HOST'
      : undefined;
  if (variable !== undefined) {
    const value = env[variable] ?? '';
    expectEqual(plan.exclusive, true);
    expectEqual(plan.endpoints.length + plan.problems.length, 1);
    expectEqual(
      [...plan.endpoints, ...plan.problems].map((entry) => entry.source),
      [variable],
    );
    expectEqual(plan.problems[0]?.endpoint ?? value, value);
    const usesTls =
      variable === 'DOCKER_HOST' &&
      /^(tcp|https?):\/\//i.test(value) &&
      Boolean(generated.tlsVerify || generated.dockerTls);
    const endpoint = plan.endpoints[0];
    if (endpoint !== undefined && !usesTls) {
      expectEqual(endpoint, parseEngineAddress(value, variable));
    }
    if (endpoint?.kind === 'tcp' && usesTls) {
      // TLS from DOCKER_CERT_PATH (else the config folder); ca.pem required to verify.
      const verify = Boolean(generated.tlsVerify);
      expectEqual(endpoint.tls?.verify, verify);
      expectEqual(endpoint.tls?.ca?.toString(), generated.certFiles?.ca ? 'CA' : undefined);
      expectEqual(verify && !generated.certFiles?.ca, false);
      expectEqual(endpoint.address, parseEngineAddress(value, variable, endpoint.tls).address);
    }
    return;
  }

  expectEqual(plan.exclusive, false);
  // The current context: DOCKER_CONTEXT, else config.json's currentContext.
  const envName = how === 'env' ? named : undefined;
  const hasConfig = configDir !== undefined && generated.config !== 'absent';
  const contextEndpoints = plan.endpoints.filter((endpoint) => endpoint.source !== 'default');
  if (!envName && hasConfig && generated.config === 'not-json') {
    // An unreadable config.json is a problem that names it.
    expectEqual(contextEndpoints, []);
    expectEqual(
      plan.problems.map((problem) => problem.source),
      [join(configDir ?? '', 'config.json')],
    );
  } else {
    const current =
      envName || (hasConfig && generated.config === 'json' && how === 'config' ? named : undefined);
    if (!current || current === 'default') {
      expectEqual(contextEndpoints, []);
      expectEqual(plan.problems, []);
    } else {
      const source = `context "${current}"`;
      const context =
        configDir === undefined
          ? undefined
          : [...generated.contexts].reverse().find((spec) => spec.name === current);
      const tls = context?.tls;
      let expected: Endpoint | undefined;
      if (context?.host !== undefined && (tls === undefined || context.skipTlsVerify || tls.ca)) {
        const material: TlsMaterial | null =
          tls === undefined ? null : {ca: undefined, cert: undefined, key: undefined, verify: true};
        try {
          expected = parseEngineAddress(context.host, source, material);
        } catch {
          expected = undefined;
        }
      }
      if (expected === undefined) {
        expectEqual(contextEndpoints, []);
        expectEqual(
          plan.problems.map((problem) => problem.source),
          [source],
        );
      } else {
        expectEqual(plan.problems, []);
        const first = plan.endpoints[0];
        expectEqual(first?.source, source);
        expectEqual(first?.address, expected.address);
        if (first?.kind === 'tcp' && tls !== undefined) {
          expectEqual(first.tls?.verify, !context?.skipTlsVerify);
          expectEqual(first.tls?.ca?.toString(), tls.ca ? 'CA' : undefined);
          expectEqual(first.tls?.cert?.toString(), tls.cert ? 'CERT' : undefined);
        }
      }
    }
  }
  // Then the well-known sockets: each once, every one a usable endpoint.
  const addresses = plan.endpoints.map((endpoint) => endpoint.address);
  expectEqual(new Set(addresses).size, addresses.length);
  for (const endpoint of plan.endpoints.filter((entry) => entry.source === 'default')) {
    expectEqual(
      endpoint.kind === 'socket' &&
        (generated.platform === 'win32'
          ? endpoint.socketPath.startsWith('\\\\.\\pipe\\')
          : endpoint.socketPath.startsWith('/')),
      true,
    );
  }
  expectEqual(
    plan.endpoints.some((endpoint) => endpoint.source === 'default'),
    true,
  );
}
