import {readFile} from 'node:fs/promises';
import {homedir} from 'node:os';
import type {DetectOptions} from './engine/detect.js';
import {type Endpoint, parseEngineAddress, resolveEndpoints} from './engine/endpoint.js';
import {readEngineKind} from './engine/engine-kind.js';
import type {EngineResponse} from './engine/http.js';
import {type PodmanUser, runPodman} from './engine/podman-cli.js';
import {
  type EndpointStopAnswer,
  isNoEngineThere,
  isSafeContainerId,
  minStopTimeoutMs,
  refuseUnsafeId,
  requestStop,
} from './engine/stop.js';
import {NanodockError} from './errors/nanodock-error.js';
import {parsePasswd} from './host/proc-process.js';
import type {ContainerInfo} from './model/container-info.js';
import type {StopAction, StopReport, StopStatusTable} from './model/stop-outcome.js';
import {dockerProfile} from './profiles/docker.js';
import {rootlessEndpointPrefix} from './profiles/podman-rootless.js';
import type {EngineProfile} from './profiles/profile.js';
import {profileOfEndpoint, profiles} from './profiles/registry.js';

/** The status table of the engine kind that answered (Docker's for an unknown one). */
function tableOf(response: EngineResponse): StopStatusTable {
  const kind = readEngineKind(response.headers);
  const profile = profiles.find(
    (candidate) => candidate.engine === kind && candidate.stop.via === 'api',
  );
  const stop = (profile ?? dockerProfile).stop;
  return stop.via === 'api' ? stop.table : {stop: {}, kill: {}};
}

const actionOf = (force: boolean): StopAction => (force ? 'kill' : 'stop');

function reportOf(answer: EndpointStopAnswer, endpoint: string): StopReport {
  switch (answer.kind) {
    case 'outcome':
      return {outcome: answer.outcome, endpoint, error: null};
    case 'not-found':
      return {outcome: 'not-found', endpoint, error: null};
    case 'failed':
      return {outcome: 'failed', endpoint, error: answer.error};
  }
}

/**
 * Stops (`force` false: `POST /containers/ID/stop`, the engine's grace period, then SIGKILL)
 * or kills (`force` true: `POST /containers/ID/kill`) a container by id, asking each engine
 * found in turn: a 404 passes to the next. `not-found` only when every engine said 404;
 * `failed` when an engine failed or none could be reached, with the reason in `error`. An
 * unsafe id is refused as `not-found` before any request. Each request waits at least 15 s.
 * When the container is known (a row of the host view), stopContainerOf goes straight to its
 * own engine instead.
 */
export async function stopContainerWithReport(
  id: string,
  force: boolean,
  options: DetectOptions = {},
): Promise<StopReport> {
  if (!isSafeContainerId(id)) {
    return refuseUnsafeId(id);
  }
  const plan = resolveEndpoints(options);
  let firstFailure: {endpoint: string | null; error: Error} | null =
    plan.problems[0] === undefined ? null : {endpoint: null, error: plan.problems[0].error};
  let unreachable: {endpoint: string; error: Error} | null = null;
  let notFoundCount = 0;
  for (const endpoint of plan.endpoints) {
    const answer = await requestStop(endpoint, id, actionOf(force), tableOf, options);
    if (answer.kind === 'outcome') {
      return reportOf(answer, endpoint.address);
    }
    if (answer.kind === 'not-found') {
      notFoundCount++;
      continue;
    }
    if (options.signal?.aborted) {
      return reportOf(answer, endpoint.address);
    }
    if (isNoEngineThere(answer) && !plan.exclusive) {
      // No engine at this well-known address: it cannot hold the container.
      unreachable ??= {endpoint: endpoint.address, error: answer.error};
      continue;
    }
    // A 500 from one engine does not prove the container lives there; keep asking.
    firstFailure ??= {endpoint: endpoint.address, error: answer.error};
  }
  if (firstFailure === null && notFoundCount > 0) {
    return {outcome: 'not-found', endpoint: null, error: null};
  }
  const failure = firstFailure ?? unreachable;
  return {
    outcome: 'failed',
    endpoint: failure?.endpoint ?? null,
    error: failure?.error ?? new NanodockError('no container engine to ask'),
  };
}

/** stopContainerWithReport's outcome alone. Never rejects. */
export async function stopContainer(
  id: string,
  force: boolean,
  options: DetectOptions = {},
): Promise<StopReport['outcome']> {
  return (await stopContainerWithReport(id, force, options)).outcome;
}

/** The engine a container came from, as a request can reach it (with its TLS material). */
function findEndpoint(address: string, options: DetectOptions): Endpoint | Error {
  const known = resolveEndpoints(options).endpoints.find(
    (endpoint) => endpoint.address === address,
  );
  if (known !== undefined) {
    return known;
  }
  try {
    const endpoint = parseEngineAddress(address, 'container');
    if (endpoint.kind === 'tcp') {
      // Its TLS material came with the configuration that found it, which is gone.
      return new NanodockError(
        `${address} is no longer among the configured engines (DOCKER_HOST or the docker context changed)`,
      );
    }
    return endpoint;
  } catch (error) {
    return error as Error;
  }
}

const fullId = /^[0-9a-f]{64}$/;

async function readUser(name: string): Promise<PodmanUser | null> {
  const users = parsePasswd(await readFile('/etc/passwd', 'utf8').catch(() => ''));
  for (const [uid, user] of users) {
    if (user.name === name && user.gid !== null) {
      return {uid, gid: user.gid, name, home: user.home};
    }
  }
  return null;
}

/**
 * Stop or kill through the container owner's own `podman`, by full id: the state is read
 * first (gone: `not-found`; not running: `already-stopped`), then the command runs. Root acts
 * as the owner; any other user only for themselves.
 */
async function stopWithOwnerCli(
  container: Pick<ContainerInfo, 'id' | 'name' | 'endpoint'>,
  owner: string | null,
  force: boolean,
  options: DetectOptions,
): Promise<StopReport> {
  const endpoint = container.endpoint ?? 'podman';
  const fail = (message: string, cause?: unknown): StopReport => ({
    outcome: 'failed',
    endpoint,
    error: cause instanceof Error && message === '' ? cause : new NanodockError(message, {cause}),
  });
  if (!fullId.test(container.id)) {
    return fail(`refused: ${container.name} has no full container id to act on (${container.id})`);
  }
  const myUid = process.getuid?.() ?? 0;
  let user: PodmanUser | undefined;
  if (owner !== null) {
    const found = await readUser(owner);
    if (found === null) {
      return fail(`${container.name} belongs to user ${owner}, who is not in /etc/passwd`);
    }
    if (found.uid !== myUid) {
      if (myUid !== 0) {
        return fail(
          `${container.name} belongs to user ${owner}'s rootless Podman: run nanodock-top as ${owner}, or with sudo, to ${force ? 'kill' : 'stop'} it`,
        );
      }
      user = found;
    }
  }
  const cli = {
    user,
    signal: options.signal,
    timeoutMs: Math.max(minStopTimeoutMs, options.timeoutMs ?? 0) + 5000,
  };
  try {
    const inspect = await runPodman(
      ['container', 'inspect', '--format', '{{.State.Status}}', container.id],
      cli,
    );
    if (inspect.code !== 0) {
      return /no such (container|object)/i.test(inspect.stderr)
        ? {outcome: 'not-found', endpoint, error: null}
        : fail(`podman container inspect: ${inspect.stderr.trim() || `exit ${inspect.code}`}`);
    }
    const state = inspect.stdout.trim();
    if (state !== 'running' && state !== 'paused') {
      return {outcome: 'already-stopped', endpoint, error: null};
    }
    const result = await runPodman(
      force ? ['kill', container.id] : ['stop', '--time', '10', container.id],
      cli,
    );
    if (result.code === 0) {
      return {outcome: 'stopped', endpoint, error: null};
    }
    if (/state improper|not running/i.test(result.stderr)) {
      return {outcome: 'already-stopped', endpoint, error: null};
    }
    if (/no such (container|object)/i.test(result.stderr)) {
      return {outcome: 'not-found', endpoint, error: null};
    }
    return fail(
      `podman ${force ? 'kill' : 'stop'}: ${result.stderr.trim() || `exit ${result.code}`}`,
    );
  } catch (error) {
    return fail('', error);
  }
}

/** Through the profile's API sockets, for a container found in root's storage (no listing API answered then). */
async function stopThroughSockets(
  profile: EngineProfile,
  table: StopStatusTable,
  container: Pick<ContainerInfo, 'id' | 'name' | 'endpoint'>,
  force: boolean,
  options: DetectOptions,
): Promise<StopReport | null> {
  const uid = process.getuid?.() ?? 0;
  const home = options.home ?? homedir();
  for (const path of profile.sockets({uid, home, runtimeDirs: [`/run/user/${uid}`]})) {
    const endpoint = parseEngineAddress(`unix://${path}`, 'default');
    const answer = await requestStop(endpoint, container.id, actionOf(force), () => table, options);
    if (!isNoEngineThere(answer)) {
      return reportOf(answer, endpoint.address);
    }
  }
  return null;
}

/**
 * Stops (`force` false) or kills (`force` true) a container through the engine that reported
 * it, and only that one: its API for Docker and Podman, read with that engine kind's status
 * table; for a rootless Podman without an API (`rootless:USER`), the owner's own `podman`,
 * run as that user (root only; a user may act on their own containers, and another user's are
 * refused with whose they are). A container found in root's Podman storage without the API
 * goes through the Podman socket, else root's `podman`. By full id; never by signalling a
 * helper process. Never rejects.
 */
export async function stopContainerOf(
  container: Pick<ContainerInfo, 'id' | 'name' | 'endpoint' | 'engine'>,
  force: boolean,
  options: DetectOptions = {},
): Promise<StopReport> {
  if (!isSafeContainerId(container.id)) {
    return refuseUnsafeId(container.id);
  }
  const address = container.endpoint;
  if (address === null) {
    return stopContainerWithReport(container.id, force, options);
  }
  const profile = profileOfEndpoint(address, container.engine);
  if (profile === undefined) {
    return {
      outcome: 'failed',
      endpoint: address,
      error: new NanodockError(`no engine profile knows ${address}`),
    };
  }
  if (profile.stop.via === 'owner-cli') {
    const owner = address.startsWith(rootlessEndpointPrefix)
      ? address.slice(rootlessEndpointPrefix.length)
      : null;
    return stopWithOwnerCli(container, owner, force, options);
  }
  if (address.startsWith('storage:')) {
    const viaApi = await stopThroughSockets(profile, profile.stop.table, container, force, options);
    return viaApi ?? stopWithOwnerCli(container, null, force, options);
  }
  const endpoint = findEndpoint(address, options);
  if (endpoint instanceof Error) {
    return {outcome: 'failed', endpoint: address, error: endpoint};
  }
  const table = profile.stop.table;
  return reportOf(
    await requestStop(endpoint, container.id, actionOf(force), () => table, options),
    address,
  );
}
