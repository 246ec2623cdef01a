import {resolveConmon} from './podman.js';
import type {EngineProfile} from './profile.js';

/** The endpoint of a user's rootless Podman found without its API: `rootless:USER`. */
export const rootlessEndpointPrefix = 'rootless:';

/**
 * A user's rootless Podman with no API socket: nothing to ask, so containers come from the
 * user's storage files, found from the helpers that hold the ports. `rootlessport` (and its
 * child) holds the ports and the container's network namespace, which names the container in
 * its config.json; `conmon` runs as the user too; `pasta` is Podman 5's port forwarder. Each
 * runs as the container's owner, so each is trusted only with that owner's own containers.
 * Stop and kill go through the owner's own `podman`.
 */
export const podmanRootlessProfile: EngineProfile = {
  id: 'podman-rootless',
  engine: 'podman',
  title: 'Podman (rootless, no API)',
  variables: [],
  sockets: () => [],
  recognise: () => false,
  helpers: [
    {
      kind: 'rootlessport',
      // `rootlessport-child` runs inside the namespace and holds no host port.
      names: ['rootlessport', 'rootlessport-ch', 'rootlessport-child'],
      executables: ['rootlessport'],
      owner: 'user',
      parents: null,
      resolve: (process, context) =>
        context.rootless.resolve(process.pid, {signal: context.signal}),
    },
    {
      kind: 'conmon',
      names: ['conmon'],
      executables: ['conmon'],
      owner: 'user',
      parents: null,
      resolve: resolveConmon,
    },
    {
      kind: 'pasta',
      names: ['pasta', 'pasta.avx2'],
      executables: ['pasta', 'pasta.avx2', 'passt', 'passt.avx2'],
      owner: 'user',
      parents: null,
      resolve: 'published-port',
    },
  ],
  listing: 'storage',
  ownsEndpoint: (endpoint) => endpoint.startsWith(rootlessEndpointPrefix),
  stop: {via: 'owner-cli'},
  events: 'host-scan',
};
