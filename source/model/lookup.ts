import type {ContainerInfo, Protocol} from './container-info.js';
import type {ContainerPortMap} from './container-port-map.js';
import {parseHostIp} from './ip.js';

/** The answer to "which container published this socket?". */
export type PublishedContainerMatch =
  | {readonly kind: 'match'; readonly container: ContainerInfo}
  | {readonly kind: 'not-found'}
  | {readonly kind: 'ambiguous'; readonly candidates: readonly ContainerInfo[]};

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
    return notFound;
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
