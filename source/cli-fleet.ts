import {existsSync, readFileSync} from 'node:fs';
import type {CliConfig} from './cli-config.js';
import {resolveEndpoints} from './engine/endpoint.js';
import {allContexts, type FleetHostPlan, FleetSnapshot, placeOf, planFleet} from './fleet.js';
import {HostScanner} from './host/host-scanner.js';
import {RemoteSnapshot} from './remote-snapshot.js';
import {LiveSnapshot, type Snapshot} from './snapshot.js';

/** This nanodock's version, from its package.json. */
export function readVersion(): string {
  const manifest = JSON.parse(
    readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
  ) as {
    version: string;
  };
  return manifest.version;
}

/**
 * The hosts `--host` names, or a one-line reason the command line cannot be run (exit 2): a
 * value that names no engine is refused (a typo must not quietly watch less); with
 * `all-contexts`, a context that cannot be read is left out, and said on stderr.
 */
export function fleetHostsOf(
  config: CliConfig,
  warn: (line: string) => void,
): readonly FleetHostPlan[] | string {
  const plan = planFleet(config.hosts);
  const named = plan.problems.filter((problem) => !problem.startsWith(`--host ${allContexts}:`));
  if (named.length > 0) {
    return named.join('; ');
  }
  for (const problem of plan.problems) {
    warn(problem);
  }
  if (plan.hosts.length === 0) {
    return '--host: no engine to watch (no docker context could be read)';
  }
  return plan.hosts;
}

/**
 * The hosts to watch without `--host`, when the environment names another machine: null
 * (this machine, as always) unless DOCKER_HOST, CONTAINER_HOST or the current docker context
 * reaches an engine over ssh or tcp to another host. Its containers must not be joined to
 * this machine's sockets (a remote container publishing 8080 does not own the local 8080):
 * the remote is then a host of its own, shown as --host would show it.
 */
export function environmentHosts(): readonly FleetHostPlan[] | null {
  const plan = resolveEndpoints();
  const remote = plan.endpoints.filter((endpoint) => placeOf(endpoint) !== 'local');
  const first = remote[0];
  if (first === undefined) {
    return null;
  }
  if (plan.exclusive && (first.kind === 'ssh' || first.kind === 'tcp')) {
    // DOCKER_HOST or CONTAINER_HOST: as the environment says (its TLS settings included).
    return [
      {
        name: first.host,
        kind: first.kind,
        addresses: undefined,
        endpoints: [first.address],
      },
    ];
  }
  // A current context on another machine, beside this machine's well-known sockets.
  // The well-known sockets with nothing there are left out, as detection leaves them unsaid.
  const specs = plan.endpoints
    .filter((endpoint) => endpoint.kind !== 'socket' || existsSync(endpoint.socketPath))
    .map((endpoint) => {
      const context = /^context "(.*)"$/.exec(endpoint.source);
      return context?.[1] ?? endpoint.address;
    });
  const hosts = planFleet(specs).hosts;
  return hosts.length === 0 ? null : hosts;
}

/**
 * The hosts a run watches: `--host`'s, else the environment's remote (environmentHosts), else
 * null (this machine, as always); a string is a reason to exit 2. Warnings go to `warn`.
 */
export function hostsToWatch(
  config: CliConfig,
  warn: (line: string) => void,
): readonly FleetHostPlan[] | null | string {
  return config.hosts.length > 0 ? fleetHostsOf(config, warn) : environmentHosts();
}

/**
 * `--once` and `--json` with `--host`: one snapshot of every host, each waited for (a remote's
 * own nanodock-top --json included, up to its deadline).
 */
export async function collectFleetSnapshot(hosts: readonly FleetHostPlan[]): Promise<Snapshot> {
  const version = readVersion();
  const fleet = new FleetSnapshot(
    hosts.map((plan) => ({
      plan,
      source:
        plan.kind === 'local'
          ? new LiveSnapshot({
              addresses: plan.addresses,
              scanner: new HostScanner({blockingReads: true}),
            })
          : new RemoteSnapshot({addresses: plan.addresses, name: plan.name, version}),
    })),
    // One shot: every host is waited for; each has deadlines of its own.
    {waitMs: 120_000},
  );
  let last: Snapshot | null = null;
  await fleet.refresh(
    (snapshot) => {
      last = snapshot;
    },
    undefined,
    {finalOnly: true},
  );
  if (last === null) {
    throw new Error('no host answered');
  }
  return last;
}
