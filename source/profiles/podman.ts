import type {IncomingHttpHeaders} from 'node:http';
import type {HostProcess} from '../host/host-scanner.js';
import {resolveConmonContainer} from '../host/podman-storage.js';
import type {HelperResolution} from '../model/helper.js';
import type {EngineProfile, HelperContext} from './profile.js';

/** Whether an answer comes from Podman's API (libpod), compat endpoints included. */
export function isLibpodAnswer(headers: IncomingHttpHeaders): boolean {
  return (
    headers['libpod-api-version'] !== undefined ||
    /libpod|podman/i.test(String(headers.server ?? ''))
  );
}

/**
 * The container a verified conmon watches: its `-c` id, checked against the storage of the
 * user conmon runs as (a user's conmon is trusted with that user's own containers only).
 */
export function resolveConmon(
  process: HostProcess,
  context: HelperContext,
): Promise<HelperResolution> {
  if (process.uid === null) {
    return Promise.resolve({kind: 'none', warnings: []});
  }
  return resolveConmonContainer(process.argv, {
    ownerUid: process.uid,
    ownerName: process.user ?? undefined,
    cache: context.storageCache,
    signal: context.signal,
  });
}

/**
 * Podman with an API socket: rootful (`/run/podman/podman.sock`) or a user's own service
 * (`$XDG_RUNTIME_DIR/podman/podman.sock`). Each container's ports are held by its `conmon`,
 * which runs as the engine's user and is daemonised (its parent is init); conmon's `-c` names
 * the container, checked against the owner's storage. Podman 4's compat API answers a kill of
 * a stopped container with 500 "container state improper" where Docker says 409.
 */
export const podmanProfile: EngineProfile = {
  id: 'podman',
  engine: 'podman',
  title: 'Podman',
  variables: ['CONTAINER_HOST'],
  sockets: ({runtimeDirs}) => [
    ...runtimeDirs.map((dir) => `${dir}/podman/podman.sock`),
    '/run/podman/podman.sock',
  ],
  recognise: isLibpodAnswer,
  helpers: [
    {
      kind: 'conmon',
      names: ['conmon'],
      executables: ['conmon'],
      owner: 'root',
      parents: null,
      resolve: resolveConmon,
    },
  ],
  listing: 'api',
  ownsEndpoint: (endpoint, engine) =>
    endpoint.startsWith('storage:') ||
    (engine === 'podman' && /^(unix|tcp|npipe|ssh):/.test(endpoint)),
  stop: {
    via: 'api',
    table: {
      stop: {204: 'stopped', 304: 'already-stopped'},
      kill: {204: 'stopped', 304: 'already-stopped', 409: 'already-stopped'},
      readBody: (action, statusCode, body) => {
        if (action !== 'kill' || statusCode !== 500) {
          return undefined;
        }
        try {
          const cause = (JSON.parse(body) as {cause?: unknown} | null)?.cause;
          return cause === 'container state improper' ? 'already-stopped' : undefined;
        } catch {
          return undefined;
        }
      },
    },
  },
  events: 'api-stream',
};
