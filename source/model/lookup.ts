import type {ContainerInfo, Protocol} from './container-info.js';
import type {ContainerPortMap} from './container-port-map.js';
import {parseHostIp} from './ip.js';
import {findLocalTask, findServicePort, type ServicePort, type SwarmService} from './swarm.js';

/**
 * A Swarm service whose ingress port this is: the routing mesh takes the port on every node
 * of the swarm without a host socket.
 */
export interface PublishedServiceMatch {
  readonly kind: 'service';
  readonly service: SwarmService;
  /** The service's entry for this port (publishMode `ingress`). */
  readonly port: ServicePort;
  /**
   * A task container of the service running on this node (the reporting engine's), when one
   * runs here and the detection listed it; null otherwise (its tasks all run elsewhere).
   */
  readonly container: ContainerInfo | null;
}

/**
 * The answer to "which container published this socket?": one container, none, several, or
 * a Swarm service's ingress port (`service`).
 */
export type PublishedContainerMatch =
  | {readonly kind: 'match'; readonly container: ContainerInfo}
  | {readonly kind: 'not-found'}
  | {readonly kind: 'ambiguous'; readonly candidates: readonly ContainerInfo[]}
  | PublishedServiceMatch;

const notFound: PublishedContainerMatch = {kind: 'not-found'};

function fromCandidates(candidates: readonly ContainerInfo[]): PublishedContainerMatch | undefined {
  if (candidates.length === 0) {
    return undefined;
  }
  const [only] = candidates;
  if (candidates.length === 1 && only !== undefined) {
    return {kind: 'match', container: only};
  }
  return {kind: 'ambiguous', candidates};
}

/**
 * Finds the container that published a host socket. Tries the exact (address, port,
 * protocol) binding, then the any-address binding on that port, then, only when
 * `allowProxyFallback` (the socket is held by a proxy helper that may bind another address),
 * the one container publishing that port and protocol on any address: several such
 * containers give `ambiguous`. `socket.address` may be IPv4, IPv6 or IPv4-mapped IPv6;
 * `0.0.0.0` and `::` mean any address. Every step is an index look-up.
 *
 * When no container publishes the port, a Swarm service (`map.services`) publishing it in
 * ingress mode answers `service`, on any address (the first such service, should two
 * swarms' managers claim it). A port a service publishes in host mode is held by its task
 * container like any published port (docker-proxy on Docker 20.10), so it answers `match`.
 */
export function lookupPublishedContainer(
  map: ContainerPortMap,
  socket: {readonly address: string; readonly port: number},
  protocol: Protocol,
  allowProxyFallback: boolean,
): PublishedContainerMatch {
  // Every step below looks among the bindings on this port: most sockets of a big host have
  // none, and need no address parsed.
  const onPort = map.containersOnPort(socket.port, protocol);
  if (onPort.length === 0) {
    return serviceOnPort(map, socket.port, protocol);
  }
  const parsed = parseHostIp(socket.address);
  const address = parsed === undefined ? socket.address.toLowerCase() : parsed;
  if (address !== null) {
    const exact = fromCandidates(map.getAll(address, socket.port, protocol));
    if (exact !== undefined) {
      return exact;
    }
  }
  const anyAddress = fromCandidates(map.getAll(null, socket.port, protocol));
  if (anyAddress !== undefined) {
    return anyAddress;
  }
  if (!allowProxyFallback) {
    return notFound;
  }
  return fromCandidates(onPort) ?? notFound;
}

/** The ingress answer for a port no container publishes (see lookupPublishedContainer). */
function serviceOnPort(
  map: ContainerPortMap,
  port: number,
  protocol: Protocol,
): PublishedContainerMatch {
  for (const service of map.servicesOnPort(port, protocol)) {
    const entry = findServicePort(service, port, protocol);
    if (entry?.publishMode !== 'ingress') {
      continue;
    }
    const task = findLocalTask(service);
    return {
      kind: 'service',
      service,
      port: entry,
      container: task === undefined ? null : map.taskContainer(task),
    };
  }
  return notFound;
}
