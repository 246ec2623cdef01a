import {ownerCliUser, profileSockets, routeContainer} from './container-route.js';
import type {DetectOptions} from './engine/detect.js';
import {readEngineKind} from './engine/engine-kind.js';
import type {EngineResponse} from './engine/http.js';
import {isPodmanNoSuchContainer, podmanFailureText, runPodman} from './engine/podman-cli.js';
import {searchEngines} from './engine/search.js';
import {
  type EndpointStopAnswer,
  isNoEngineThere,
  isSafeContainerId,
  minStopTimeoutMs,
  refuseUnsafeId,
  requestStop,
} from './engine/stop.js';
import {NanodockError} from './errors/nanodock-error.js';
import type {ContainerInfo} from './model/container-info.js';
import type {StopAction, StopReport, StopStatusTable} from './model/stop-outcome.js';
import {dockerProfile} from './profiles/docker.js';
import type {EngineProfile} from './profiles/profile.js';
import {profiles} from './profiles/registry.js';

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
  const result = await searchEngines(options, async (endpoint) => {
    const answer = await requestStop(endpoint, id, actionOf(force), tableOf, options);
    return answer.kind === 'outcome' ? {kind: 'found', value: answer.outcome} : answer;
  });
  switch (result.kind) {
    case 'found':
      return {outcome: result.value, endpoint: result.endpoint, error: null};
    case 'not-found':
      return {outcome: 'not-found', endpoint: null, error: null};
    case 'failed':
      return {outcome: 'failed', endpoint: result.endpoint, error: result.error};
  }
}

/** stopContainerWithReport's outcome alone. Never rejects. */
export async function stopContainer(
  id: string,
  force: boolean,
  options: DetectOptions = {},
): Promise<StopReport['outcome']> {
  return (await stopContainerWithReport(id, force, options)).outcome;
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
  const user = await ownerCliUser(container, owner, force ? 'kill' : 'stop');
  if (user instanceof Error) {
    return fail('', user);
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
      return isPodmanNoSuchContainer(inspect.stderr)
        ? {outcome: 'not-found', endpoint, error: null}
        : fail(podmanFailureText('podman container inspect', inspect));
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
    if (isPodmanNoSuchContainer(result.stderr)) {
      return {outcome: 'not-found', endpoint, error: null};
    }
    return fail(podmanFailureText(`podman ${force ? 'kill' : 'stop'}`, result));
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
  for (const endpoint of profileSockets(profile, options)) {
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
  const route = routeContainer(container, options);
  switch (route.kind) {
    case 'search':
      return stopContainerWithReport(container.id, force, options);
    case 'failed':
      return {outcome: 'failed', endpoint: route.endpoint, error: route.error};
    case 'owner-cli':
      return stopWithOwnerCli(container, route.owner, force, options);
    case 'storage': {
      if (route.profile.stop.via !== 'api') {
        return stopWithOwnerCli(container, null, force, options);
      }
      const table = route.profile.stop.table;
      const viaApi = await stopThroughSockets(route.profile, table, container, force, options);
      return viaApi ?? stopWithOwnerCli(container, null, force, options);
    }
    case 'api': {
      const stop = route.profile.stop;
      const table: StopStatusTable = stop.via === 'api' ? stop.table : {stop: {}, kill: {}};
      return reportOf(
        await requestStop(route.endpoint, container.id, actionOf(force), () => table, options),
        route.endpoint.address,
      );
    }
  }
}
