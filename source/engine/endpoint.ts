import {createHash} from 'node:crypto';
import {existsSync, readdirSync, readFileSync, realpathSync} from 'node:fs';
import {homedir} from 'node:os';
import {join} from 'node:path';
import type {EndpointAttempt} from '../errors/daemon-not-found-error.js';
import {EndpointConfigError} from '../errors/endpoint-config-error.js';
import {profiles} from '../profiles/registry.js';

/** TLS material for a tcp engine, read from DOCKER_CERT_PATH or a context's tls folder. */
export interface TlsMaterial {
  readonly ca: Buffer | undefined;
  readonly cert: Buffer | undefined;
  readonly key: Buffer | undefined;
  /** Verify the engine's certificate (DOCKER_TLS_VERIFY, or a context without SkipTLSVerify). */
  readonly verify: boolean;
}

interface EndpointBase {
  /** The address as a URL: `unix:///var/run/docker.sock`, `tcp://127.0.0.1:2376`. */
  readonly address: string;
  /** Where it came from: `DOCKER_HOST`, `CONTAINER_HOST`, `context "name"`, `default`. */
  readonly source: string;
}

/** An engine on a Unix socket (or a Windows named pipe, which node:http reaches the same way). */
export interface SocketEndpoint extends EndpointBase {
  readonly kind: 'socket';
  readonly socketPath: string;
}

/** An engine on TCP, with TLS when `tls` is set. */
export interface TcpEndpoint extends EndpointBase {
  readonly kind: 'tcp';
  readonly host: string;
  readonly port: number;
  readonly tls: TlsMaterial | null;
}

/**
 * An engine on another machine, reached with this machine's `ssh` program (so ~/.ssh/config,
 * the agent and known_hosts apply). Docker form `ssh://[user@]host[:port]`: each connection
 * runs `docker system dial-stdio` there. Podman form `ssh://[user@]host[:port]/path.sock`:
 * ssh forwards that remote Unix socket. `user` and `port` are null when not written (ssh's
 * config then decides).
 */
export interface SshEndpoint extends EndpointBase {
  readonly kind: 'ssh';
  readonly user: string | null;
  readonly host: string;
  readonly port: number | null;
  /** The remote engine socket of the Podman form; null for the Docker form. */
  readonly remoteSocket: string | null;
}

/** A place a container engine may answer. */
export type Endpoint = SocketEndpoint | TcpEndpoint | SshEndpoint;

/** The addresses to query, from resolveEndpoints. */
export interface EndpointPlan {
  /** Addresses to query, in order, without duplicates. */
  readonly endpoints: readonly Endpoint[];
  /** True when one address was named (DOCKER_HOST, CONTAINER_HOST) and is queried alone. */
  readonly exclusive: boolean;
  /** Addresses that could not even be tried (bad URL, missing context, unreadable TLS files). */
  readonly problems: readonly EndpointAttempt[];
}

/** What endpoint discovery reads; every field defaults to this process's own. */
export interface EndpointOptions {
  /** Environment to read DOCKER_HOST and friends from. Default: process.env. */
  readonly env?: Record<string, string | undefined>;
  /** Home folder for ~/.docker. Default: os.homedir(), or '' when this user has none. */
  readonly home?: string;
  /** User id for /run/user/UID. Default: process.getuid(). */
  readonly uid?: number;
  /** Platform, for the Windows named pipe default. Default: process.platform. */
  readonly platform?: NodeJS.Platform;
  /**
   * Query exactly these (exclusive: DOCKER_HOST, contexts and the well-known sockets are not
   * read), in order: each an engine address (`unix://`, `tcp://`, `ssh://`, an absolute socket
   * path) or a docker context name (`default` is the local default). Default: discover.
   */
  readonly addresses?: readonly string[];
}

function readTlsFolder(folder: string, verify: boolean, source: string): TlsMaterial {
  const read = (name: string, required: boolean): Buffer | undefined => {
    const path = join(folder, name);
    if (!required && !existsSync(path)) {
      return undefined;
    }
    try {
      return readFileSync(path);
    } catch (error) {
      throw new EndpointConfigError(
        source,
        `cannot read TLS file ${path}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
  };
  return {
    ca: read('ca.pem', verify),
    cert: read('cert.pem', false),
    key: read('key.pem', false),
    verify,
  };
}

/**
 * Parses an engine address (`unix:///path`, `tcp://host:port`, `npipe:////./pipe/name`,
 * `http://`, `https://`, `ssh://[user@]host[:port][/remote/socket]`) into an Endpoint.
 * Throws EndpointConfigError for anything else, and for an ssh address that could be read as
 * an ssh option or a second argument (a leading `-`, spaces, control characters, quotes).
 */
export function parseEngineAddress(
  address: string,
  source: string,
  tls: TlsMaterial | null = null,
): Endpoint {
  const schemeEnd = address.indexOf('://');
  if (schemeEnd === -1) {
    if (address.startsWith('/')) {
      return {kind: 'socket', socketPath: address, address: `unix://${address}`, source};
    }
    throw new EndpointConfigError(
      source,
      `"${address}" is not an engine address (expected unix:// or tcp://)`,
    );
  }
  const scheme = address.slice(0, schemeEnd).toLowerCase();
  const rest = address.slice(schemeEnd + 3);
  if (scheme === 'unix') {
    if (!rest.startsWith('/')) {
      throw new EndpointConfigError(source, `"${address}" needs an absolute socket path`);
    }
    return {kind: 'socket', socketPath: rest, address: `unix://${rest}`, source};
  }
  if (scheme === 'npipe') {
    const pipe = rest.replaceAll('/', '\\');
    if (pipe === '') {
      throw new EndpointConfigError(source, `"${address}" names no pipe`);
    }
    return {kind: 'socket', socketPath: pipe, address, source};
  }
  if (scheme === 'tcp' || scheme === 'http' || scheme === 'https') {
    let url: URL;
    try {
      url = new URL(`http://${rest}`);
    } catch (error) {
      throw new EndpointConfigError(source, `"${address}" is not a valid tcp address`, {
        cause: error,
      });
    }
    if (url.hostname === '') {
      throw new EndpointConfigError(source, `"${address}" names no host`);
    }
    const useTls =
      tls ??
      (scheme === 'https' ? {ca: undefined, cert: undefined, key: undefined, verify: true} : null);
    const written = writtenPort(url, rest);
    const port = written === undefined ? (useTls ? 2376 : 2375) : written;
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    const shown = host.includes(':') ? `[${host}]` : host;
    return {kind: 'tcp', host, port, tls: useTls, address: `tcp://${shown}:${port}`, source};
  }
  if (scheme === 'ssh') {
    return parseSshAddress(address, rest, source);
  }
  throw new EndpointConfigError(
    source,
    `scheme "${scheme}://" is not supported (use unix://, tcp:// or ssh://)`,
  );
}

// What an ssh address may hold. Each part later becomes one argv element of `ssh` (never a
// shell word on this side), after `--`; the host and user still must not start with `-`, and
// spaces, quotes, `%` and control characters are refused, so that nothing can be read as an
// option, a second argument, a ssh_config token (`%h`) or a word of the remote shell.
const sshUserPattern = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;
const sshHostPattern = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,252}$/;
const sshIpv6Pattern = /^[0-9A-Fa-f:.]{2,45}$/;
// The remote socket goes into `-L local:remote`: no `:`.
const sshSocketPattern = /^\/[A-Za-z0-9_.+@=,~/-]{1,1023}$/;

function parseSshAddress(address: string, rest: string, source: string): SshEndpoint {
  const refuse = (why: string): never => {
    throw new EndpointConfigError(source, `"${address}" is not a usable ssh address: ${why}`);
  };
  const slash = rest.indexOf('/');
  const authority = slash === -1 ? rest : rest.slice(0, slash);
  const path = slash === -1 ? '' : rest.slice(slash);
  const at = authority.lastIndexOf('@');
  const user = at === -1 ? null : authority.slice(0, at);
  const hostPort = authority.slice(at + 1);
  if (user !== null && !sshUserPattern.test(user)) {
    refuse(
      user.includes(':')
        ? 'a password in the address is not supported (use a key)'
        : 'the user name must be letters, digits, `.`, `_`, `-`, not starting with `-`',
    );
  }
  let host: string;
  let portText: string | undefined;
  if (hostPort.startsWith('[')) {
    const close = hostPort.indexOf(']');
    host = close === -1 ? '' : hostPort.slice(1, close);
    const after = close === -1 ? '' : hostPort.slice(close + 1);
    if (close === -1 || !sshIpv6Pattern.test(host) || !(after === '' || after.startsWith(':'))) {
      refuse('a bracketed host must be an IPv6 address');
    }
    portText = after === '' ? undefined : after.slice(1);
  } else {
    const colon = hostPort.indexOf(':');
    host = colon === -1 ? hostPort : hostPort.slice(0, colon);
    portText = colon === -1 ? undefined : hostPort.slice(colon + 1);
    if (!sshHostPattern.test(host)) {
      refuse(
        host === ''
          ? 'it names no host'
          : 'the host must be a name or an address (letters, digits, `.`, `_`, `-`, not starting with `-`)',
      );
    }
  }
  let port: number | null = null;
  if (portText !== undefined) {
    port = /^[0-9]{1,5}$/.test(portText) ? Number(portText) : 0;
    if (port < 1 || port > 65_535) {
      refuse('the port must be a number from 1 to 65535');
    }
  }
  let remoteSocket: string | null = null;
  if (path !== '' && path !== '/') {
    if (!sshSocketPattern.test(path) || path.split('/').includes('..')) {
      refuse(
        'the remote socket must be an absolute path of letters, digits and `._+@=,~/-` (no `:`, `..`, spaces, `?` or `#`)',
      );
    }
    remoteSocket = path;
  }
  const shownHost = host.includes(':') ? `[${host}]` : host;
  const normalised = `ssh://${user === null ? '' : `${user}@`}${shownHost}${port === null ? '' : `:${port}`}${remoteSocket ?? ''}`;
  return {kind: 'ssh', user, host, port, remoteSocket, address: normalised, source};
}

/**
 * The port written in a tcp address, or undefined when none is. An http URL drops `:80` as
 * its scheme's default, so an empty port is asked again of https, whose default is 443.
 */
function writtenPort(url: URL, rest: string): number | undefined {
  if (url.port !== '') {
    return Number(url.port);
  }
  const https = new URL(`https://${rest}`).port;
  return https === '' ? undefined : Number(https);
}

function dockerConfigDir(env: Record<string, string | undefined>, home: string): string {
  return env.DOCKER_CONFIG || join(home, '.docker');
}

/** The current context's name: `DOCKER_CONTEXT`, else `currentContext` in config.json. */
function currentContextName(
  configDir: string,
  env: Record<string, string | undefined>,
): string | undefined {
  let name = env.DOCKER_CONTEXT;
  if (!name) {
    const configPath = join(configDir, 'config.json');
    if (!existsSync(configPath)) {
      return undefined;
    }
    let config: unknown;
    try {
      config = JSON.parse(readFileSync(configPath, 'utf8'));
    } catch (error) {
      throw new EndpointConfigError(
        configPath,
        `cannot read docker config: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
    const current = (config as {currentContext?: unknown} | null)?.currentContext;
    name = typeof current === 'string' ? current : undefined;
  }
  return name;
}

/**
 * The endpoint of the current docker context: `DOCKER_CONTEXT`, else `currentContext` in
 * config.json. Returns null for the `default` context or when none is set; throws
 * EndpointConfigError when the named context cannot be read.
 */
function readDockerContext(env: Record<string, string | undefined>, home: string): Endpoint | null {
  const configDir = dockerConfigDir(env, home);
  const name = currentContextName(configDir, env);
  if (!name || name === 'default') {
    return null;
  }
  return readNamedContext(configDir, name);
}

/** The endpoint of the docker context `name` (not `default`); throws EndpointConfigError. */
function readNamedContext(configDir: string, name: string): Endpoint {
  // Any name is safe here: only its digest names a folder.
  const source = `context "${name}"`;
  const digest = createHash('sha256').update(name).digest('hex');
  const metaPath = join(configDir, 'contexts', 'meta', digest, 'meta.json');
  let meta: unknown;
  try {
    meta = JSON.parse(readFileSync(metaPath, 'utf8'));
  } catch (error) {
    throw new EndpointConfigError(source, `cannot read ${metaPath}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const docker = (meta as {Endpoints?: {docker?: {Host?: unknown; SkipTLSVerify?: unknown}}} | null)
    ?.Endpoints?.docker;
  if (typeof docker?.Host !== 'string' || docker.Host === '') {
    throw new EndpointConfigError(source, `${metaPath} has no Endpoints.docker.Host`);
  }
  const tlsFolder = join(configDir, 'contexts', 'tls', digest, 'docker');
  const tls = existsSync(tlsFolder)
    ? readTlsFolder(tlsFolder, docker.SkipTLSVerify !== true, source)
    : null;
  return parseEngineAddress(docker.Host, source, tls);
}

function hostFromVariable(
  env: Record<string, string | undefined>,
  home: string,
  variable: 'DOCKER_HOST' | 'CONTAINER_HOST',
): Endpoint {
  const address = env[variable] ?? '';
  let tls: TlsMaterial | null = null;
  if (variable === 'DOCKER_HOST' && /^(tcp|https?):\/\//i.test(address)) {
    const verify = Boolean(env.DOCKER_TLS_VERIFY);
    if (verify || env.DOCKER_TLS) {
      tls = readTlsFolder(env.DOCKER_CERT_PATH || dockerConfigDir(env, home), verify, variable);
    }
  }
  return parseEngineAddress(address, variable, tls);
}

function identity(endpoint: Endpoint): string {
  if (endpoint.kind !== 'socket') {
    return endpoint.address;
  }
  // Most well-known sockets do not exist: a stat is cheaper than a realpath that throws.
  if (!existsSync(endpoint.socketPath)) {
    return `socket:${endpoint.socketPath}`;
  }
  try {
    return `socket:${realpathSync(endpoint.socketPath)}`;
  } catch {
    return `socket:${endpoint.socketPath}`;
  }
}

/**
 * This user's home, or '' when there is none to find (no HOME and a uid without a passwd
 * entry, as in a container run with an arbitrary uid: os.homedir() throws). The docker CLI
 * reads its config from `.docker` then too.
 */
function homeOrEmpty(): string {
  try {
    return homedir();
  } catch {
    return '';
  }
}

/** Dedupes endpoints that name one engine (a symlinked socket, the same address twice). */
function uniqueEndpoints(candidates: readonly Endpoint[]): Endpoint[] {
  const seen = new Set<string>();
  const endpoints: Endpoint[] = [];
  for (const candidate of candidates) {
    const key = identity(candidate);
    if (!seen.has(key)) {
      seen.add(key);
      endpoints.push(candidate);
    }
  }
  return endpoints;
}

/** The local default engine: DOCKER_HOST when set, else the platform's Docker socket or pipe. */
function defaultContextEndpoint(
  env: Record<string, string | undefined>,
  home: string,
  platform: NodeJS.Platform,
): Endpoint {
  if (env.DOCKER_HOST) {
    return hostFromVariable(env, home, 'DOCKER_HOST');
  }
  return platform === 'win32'
    ? parseEngineAddress('npipe:////./pipe/docker_engine', 'context "default"')
    : parseEngineAddress('unix:///var/run/docker.sock', 'context "default"');
}

/** EndpointOptions.addresses: each an engine address or a docker context name, alone. */
function resolveAddresses(
  addresses: readonly string[],
  env: Record<string, string | undefined>,
  home: string,
  platform: NodeJS.Platform,
): EndpointPlan {
  const problems: EndpointAttempt[] = [];
  const candidates: Endpoint[] = [];
  for (const entry of addresses) {
    const isAddress = entry.includes('://') || entry.startsWith('/');
    const source = isAddress ? 'addresses' : `context "${entry}"`;
    try {
      candidates.push(
        isAddress
          ? parseEngineAddress(entry, source)
          : entry === 'default'
            ? defaultContextEndpoint(env, home, platform)
            : readNamedContext(dockerConfigDir(env, home), entry),
      );
    } catch (error) {
      problems.push({endpoint: entry, source, error: error as Error});
    }
  }
  return {endpoints: uniqueEndpoints(candidates), exclusive: true, problems};
}

/** One docker context, from listDockerContexts. */
export interface DockerContextEntry {
  /** Its name (`default` for the local default). */
  readonly name: string;
  /** Its engine address, normalised (`ssh://root@box`); '' when it could not be read. */
  readonly address: string;
  /** Whether it is the current one (DOCKER_HOST means default, else DOCKER_CONTEXT, else config.json). */
  readonly current: boolean;
  /** Why it cannot be used (unreadable meta.json, no Host, a bad address); null when usable. */
  readonly error: Error | null;
}

/**
 * The docker contexts of ~/.docker (or DOCKER_CONFIG): `default` first (the local default:
 * DOCKER_HOST or the platform's socket), then each of contexts/meta/* by name. Never throws:
 * a context that cannot be read is listed with its `error` (named by its folder when its name
 * is unreadable); an unreadable config.json is the `error` of `default`.
 */
export function listDockerContexts(options: EndpointOptions = {}): DockerContextEntry[] {
  const env = options.env ?? process.env;
  const home = options.home ?? homeOrEmpty();
  const platform = options.platform ?? process.platform;
  const configDir = dockerConfigDir(env, home);
  let currentName: string | undefined;
  let currentError: Error | null = null;
  try {
    // As the docker CLI: DOCKER_HOST means the default context, whatever else is set.
    currentName = env.DOCKER_HOST ? 'default' : currentContextName(configDir, env);
  } catch (error) {
    currentError = error as Error;
  }
  currentName ||= 'default';
  let defaultAddress = '';
  let defaultError: Error | null = currentError;
  try {
    defaultAddress = defaultContextEndpoint(env, home, platform).address;
  } catch (error) {
    defaultError = error as Error;
  }
  const entries: DockerContextEntry[] = [];
  const metaDir = join(configDir, 'contexts', 'meta');
  let folders: string[] = [];
  try {
    folders = readdirSync(metaDir).filter((folder) => /^[0-9a-f]{64}$/.test(folder));
  } catch {
    // No contexts folder: only the default context.
  }
  for (const folder of folders) {
    let name = folder;
    try {
      const meta = JSON.parse(readFileSync(join(metaDir, folder, 'meta.json'), 'utf8')) as {
        Name?: unknown;
      } | null;
      if (typeof meta?.Name !== 'string') {
        throw new EndpointConfigError(`context folder ${folder}`, 'meta.json has no Name');
      }
      name = meta.Name;
      if (createHash('sha256').update(name).digest('hex') !== folder) {
        throw new EndpointConfigError(`context "${name}"`, `is stored under another name's folder`);
      }
      const endpoint = readNamedContext(configDir, name);
      entries.push({name, address: endpoint.address, current: name === currentName, error: null});
    } catch (error) {
      entries.push({name, address: '', current: name === currentName, error: error as Error});
    }
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return [
    {
      name: 'default',
      address: defaultAddress,
      current: currentName === 'default',
      error: defaultError,
    },
    ...entries.filter((entry) => entry.name !== 'default'),
  ];
}

/**
 * Where to look for engines. With `addresses`, exactly those (exclusive). Else `DOCKER_HOST`,
 * else `CONTAINER_HOST`, is queried alone (exclusive). Otherwise: the current docker context,
 * then the well-known sockets of Docker, rootless Docker, rootless and rootful Podman, Docker
 * Desktop, Colima, Rancher Desktop and OrbStack, each once (symlinked sockets are folded).
 * Never throws: addresses that cannot be used are returned as `problems`.
 */
export function resolveEndpoints(options: EndpointOptions = {}): EndpointPlan {
  const env = options.env ?? process.env;
  const home = options.home ?? homeOrEmpty();
  const platform = options.platform ?? process.platform;
  const problems: EndpointAttempt[] = [];
  if (options.addresses !== undefined) {
    return resolveAddresses(options.addresses, env, home, platform);
  }
  for (const variable of ['DOCKER_HOST', 'CONTAINER_HOST'] as const) {
    const value = env[variable];
    if (value) {
      try {
        return {endpoints: [hostFromVariable(env, home, variable)], exclusive: true, problems};
      } catch (error) {
        problems.push({endpoint: value, source: variable, error: error as Error});
        return {endpoints: [], exclusive: true, problems};
      }
    }
  }
  // Read only now: process.getuid() costs more than the whole DOCKER_HOST path above.
  const uid = options.uid ?? process.getuid?.() ?? 0;
  const candidates: Endpoint[] = [];
  try {
    const context = readDockerContext(env, home);
    if (context !== null) {
      candidates.push(context);
    }
  } catch (error) {
    const source = error instanceof EndpointConfigError ? error.source : 'docker context';
    problems.push({
      endpoint: env.DOCKER_CONTEXT ?? 'docker context',
      source,
      error: error as Error,
    });
  }
  const socket = (socketPath: string): Endpoint =>
    parseEngineAddress(`unix://${socketPath}`, 'default');
  if (platform === 'win32') {
    candidates.push(parseEngineAddress('npipe:////./pipe/docker_engine', 'default'));
    candidates.push(parseEngineAddress('npipe:////./pipe/podman-machine-default', 'default'));
  } else {
    const runtimeDirs = [`/run/user/${uid}`];
    const xdgRuntime = env.XDG_RUNTIME_DIR;
    if (xdgRuntime && xdgRuntime !== runtimeDirs[0] && xdgRuntime.startsWith('/')) {
      runtimeDirs.push(xdgRuntime);
    }
    const context = {uid, home, runtimeDirs};
    // Engines that list containers from storage files have no socket to ask.
    for (const profile of profiles.filter((candidate) => candidate.listing === 'api')) {
      // A relative or empty HOME gives relative socket paths, which name no engine: skipped.
      for (const path of profile.sockets(context).filter((entry) => entry.startsWith('/'))) {
        candidates.push(socket(path));
      }
    }
  }
  return {endpoints: uniqueEndpoints(candidates), exclusive: false, problems};
}
