import {readFile} from 'node:fs/promises';
import {homedir} from 'node:os';
import type {DetectOptions} from './engine/detect.js';
import {type Endpoint, parseEngineAddress, resolveEndpoints} from './engine/endpoint.js';
import type {PodmanUser} from './engine/podman-cli.js';
import {NanodockError} from './errors/nanodock-error.js';
import {parsePasswd} from './host/proc-process.js';
import type {ContainerInfo} from './model/container-info.js';
import {rootlessEndpointPrefix} from './profiles/podman-rootless.js';
import type {EngineProfile} from './profiles/profile.js';
import {profileOfEndpoint} from './profiles/registry.js';

/** A full container id: what the owner's own `podman` is given, never a name or a prefix. */
export const fullIdPattern = /^[0-9a-f]{64}$/;

/** The engine a container came from, as a request can reach it (with its TLS material). */
export function findEndpoint(address: string, options: DetectOptions): Endpoint | Error {
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

/** The user named `name` in /etc/passwd (root-owned, so a user cannot fake it), or null. */
export async function readUser(name: string): Promise<PodmanUser | null> {
  const users = parsePasswd(await readFile('/etc/passwd', 'utf8').catch(() => ''));
  for (const [uid, user] of users) {
    if (user.name === name && user.gid !== null) {
      return {uid, gid: user.gid, name, home: user.home};
    }
  }
  return null;
}

/**
 * Who runs the owner's own `podman` for an action on `container` (`verb`: "stop", "read the
 * logs of"...): the owner when root acts for another user, undefined for this process itself;
 * an Error (with whose container it is) when the id is not a full id, the owner is unknown,
 * or a user other than root would act for someone else.
 */
export async function ownerCliUser(
  container: Pick<ContainerInfo, 'id' | 'name'>,
  owner: string | null,
  verb: string,
): Promise<PodmanUser | undefined | Error> {
  if (!fullIdPattern.test(container.id)) {
    return new NanodockError(
      `refused: ${container.name} has no full container id to act on (${container.id})`,
    );
  }
  if (owner === null) {
    return undefined;
  }
  const found = await readUser(owner);
  if (found === null) {
    return new NanodockError(
      `${container.name} belongs to user ${owner}, who is not in /etc/passwd`,
    );
  }
  const myUid = process.getuid?.() ?? 0;
  if (found.uid === myUid) {
    return undefined;
  }
  if (myUid !== 0) {
    return new NanodockError(
      `${container.name} belongs to user ${owner}'s rootless Podman: run nanodock-top as ${owner}, or with sudo, to ${verb} it`,
    );
  }
  return found;
}

/** Where an action on a known container goes: the container's own engine, and how to reach it. */
export type ContainerRoute =
  /** No engine known (a bare body): ask every engine found. */
  | {readonly kind: 'search'}
  /** Its engine's API. */
  | {readonly kind: 'api'; readonly profile: EngineProfile; readonly endpoint: Endpoint}
  /** The owner's own `podman` (a rootless engine without an API); `owner` null: this process's. */
  | {readonly kind: 'owner-cli'; readonly owner: string | null}
  /** Found in root's Podman storage without the API: its API sockets, else root's `podman`. */
  | {readonly kind: 'storage'; readonly profile: EngineProfile}
  | {readonly kind: 'failed'; readonly endpoint: string; readonly error: Error};

/** The route to the engine that reported `container` (see ContainerRoute). Never throws. */
export function routeContainer(
  container: Pick<ContainerInfo, 'endpoint' | 'engine'>,
  options: DetectOptions,
): ContainerRoute {
  const address = container.endpoint;
  if (address === null) {
    return {kind: 'search'};
  }
  const profile = profileOfEndpoint(address, container.engine);
  if (profile === undefined) {
    return {
      kind: 'failed',
      endpoint: address,
      error: new NanodockError(`no engine profile knows ${address}`),
    };
  }
  if (profile.stop.via === 'owner-cli') {
    const owner = address.startsWith(rootlessEndpointPrefix)
      ? address.slice(rootlessEndpointPrefix.length)
      : null;
    return {kind: 'owner-cli', owner};
  }
  if (address.startsWith('storage:')) {
    return {kind: 'storage', profile};
  }
  const endpoint = findEndpoint(address, options);
  return endpoint instanceof Error
    ? {kind: 'failed', endpoint: address, error: endpoint}
    : {kind: 'api', profile, endpoint};
}

/** The API sockets of `profile` for this process's user, to try for a container found in storage. */
export function profileSockets(profile: EngineProfile, options: DetectOptions): Endpoint[] {
  const uid = process.getuid?.() ?? 0;
  const home = options.home ?? homedir();
  return profile
    .sockets({uid, home, runtimeDirs: [`/run/user/${uid}`]})
    .map((path) => parseEngineAddress(`unix://${path}`, 'default'));
}
