import {join} from 'node:path';
import {isLibpodAnswer} from './podman.js';
import type {EngineProfile} from './profile.js';

/**
 * Docker Engine, and the engines that speak its API (Docker Desktop, Colima, Rancher
 * Desktop, OrbStack). Its published ports are held on the host by `docker-proxy`, which
 * dockerd starts as root, one per address; the engine's container list says which container
 * publishes each port.
 */
export const dockerProfile: EngineProfile = {
  id: 'docker',
  engine: 'docker',
  title: 'Docker',
  variables: ['DOCKER_HOST', 'DOCKER_CONTEXT'],
  sockets: ({home, runtimeDirs}) => [
    '/var/run/docker.sock',
    // Rootless Docker.
    ...runtimeDirs.map((dir) => `${dir}/docker.sock`),
    join(home, '.docker/desktop/docker.sock'),
    join(home, '.docker/run/docker.sock'),
    join(home, '.colima/default/docker.sock'),
    join(home, '.rd/docker.sock'),
    join(home, '.orbstack/run/docker.sock'),
  ],
  recognise: (headers) =>
    !isLibpodAnswer(headers) &&
    (/docker/i.test(String(headers.server ?? '')) || headers['api-version'] !== undefined),
  helpers: [
    {
      kind: 'docker-proxy',
      names: ['docker-proxy'],
      executables: ['docker-proxy'],
      owner: 'root',
      parents: ['dockerd'],
      resolve: 'published-port',
    },
  ],
  listing: 'api',
  ownsEndpoint: (endpoint, engine) =>
    engine !== 'podman' && /^(unix|tcp|npipe|ssh):/.test(endpoint),
  stop: {
    via: 'api',
    table: {
      stop: {204: 'stopped', 304: 'already-stopped'},
      kill: {204: 'stopped', 304: 'already-stopped', 409: 'already-stopped'},
    },
  },
  events: 'api-stream',
};
