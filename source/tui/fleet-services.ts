import type {DetectOptions} from '../engine/detect.js';
import {watchEngineEvents} from '../engine/events.js';
import {type FleetHostPlan, FleetSnapshot} from '../fleet.js';
import {RemoteSnapshot, type RunRemote} from '../remote-snapshot.js';
import {createContainerServices, createLiveServices, signalHostProcess} from './live-services.js';
import {describeTarget} from './pending-action.js';
import type {DashboardServices} from './services.js';
import type {ContainerTarget, StatusMessage} from './types.js';

/** Options of createFleetServices. */
export interface FleetServicesOptions extends DetectOptions {
  /** This nanodock's version, which a remote's nanodock-top must match (major and minor). */
  readonly version: string;
  /** Runs a command on an ssh remote. Default: the ssh connection's own (runOverSsh). */
  readonly runRemote?: RunRemote;
}

/** How long after an event or action a remote's host view is read at every refresh, in ms. */
const lookWindowMs = 3000;

/** Another machine's services: its RemoteSnapshot, its engines' events and container actions. */
function createRemoteServices(
  plan: FleetHostPlan,
  options: FleetServicesOptions,
): DashboardServices {
  const hostOptions = {...options, addresses: plan.addresses};
  const remote = new RemoteSnapshot({...hostOptions, name: plan.name});
  const containers = createContainerServices(hostOptions);
  // The remote's own scan runs again at once only after an event of its own engines or an
  // action through them: a fresh refresh for another host's event (or this machine's) waits
  // for its age (hostViewMaxAgeMs). After one, at least twice and for 3 s: an engine says
  // `die` (and an action returns) a moment before the container's proxy has closed its
  // sockets, so the first scan after it can still show them.
  let looksLeft = 0;
  let lookUntil = 0;
  const lookAgain = (): void => {
    looksLeft = 2;
    lookUntil = performance.now() + lookWindowMs;
  };
  return {
    refresh: (onUpdate, signal, refreshOptions) => {
      const fresh = looksLeft > 0 || performance.now() < lookUntil;
      looksLeft = Math.max(0, looksLeft - 1);
      return remote.refresh(onUpdate, signal, {...refreshOptions, fresh});
    },
    runAction: async (action) => {
      if (action.kind !== 'container') {
        return {
          text: `${describeTarget(action)} runs on ${plan.name}: nanodock-top signals processes of this machine only`,
          tone: 'error',
        };
      }
      const message = await containers.runContainerAction(action);
      lookAgain();
      return message;
    },
    openLogs: containers.openLogs,
    readStats: containers.readStats,
    watchEvents: (onChange) => {
      // Each refresh of a remote asks its engines again: an event hurries the next one, and
      // has it run the remote's own scan too.
      const watcher = watchEngineEvents({
        ...hostOptions,
        onEvent: () => {
          lookAgain();
          onChange();
        },
      });
      return () => watcher.close();
    },
  };
}

/**
 * The dashboard's services over several hosts (`--host`): this machine's engines (one
 * LiveSnapshot, its sockets and processes scanned here) and each remote's (RemoteSnapshot),
 * shown as one list. An action goes to the host whose engine listed the container; a
 * container no watched engine listed is refused, never guessed at.
 */
export function createFleetServices(
  hosts: readonly FleetHostPlan[],
  options: FleetServicesOptions,
): DashboardServices {
  const members = hosts.map((plan) => ({
    plan,
    services:
      plan.kind === 'local'
        ? createLiveServices({...options, addresses: plan.addresses})
        : createRemoteServices(plan, options),
  }));
  const fleet = new FleetSnapshot(
    members.map(({plan, services}) => ({plan, source: {refresh: services.refresh}})),
  );
  const servicesOf = (target: ContainerTarget): DashboardServices | StatusMessage => {
    const plan = fleet.hostOfEndpoint(target.endpoint);
    const member = members.find((entry) => entry.plan === plan);
    return (
      member?.services ?? {
        text: `${describeTarget(target)}: no watched engine lists it (its engine ${target.endpoint ?? 'is unknown'}), so nothing is done`,
        tone: 'error',
      }
    );
  };
  const isMessage = (value: DashboardServices | StatusMessage): value is StatusMessage =>
    'tone' in value;
  return {
    refresh: (onUpdate, signal, refreshOptions) => fleet.refresh(onUpdate, signal, refreshOptions),
    runAction: async (action) => {
      if (action.kind === 'process') {
        // The reducer offers a signal only on this machine's rows.
        const local = members.find((member) => member.plan.kind === 'local');
        return local === undefined
          ? {text: 'no host of this view is this machine: no process is signalled', tone: 'error'}
          : signalHostProcess(action);
      }
      const services = servicesOf(action);
      return isMessage(services) ? services : services.runAction(action);
    },
    openLogs: (target, logOptions) => {
      const services = servicesOf(target);
      if (isMessage(services)) {
        const text = services.text;
        return {
          close: () => {},
          // biome-ignore lint/correctness/useYield: the logs cannot be read; the iteration throws at once.
          async *[Symbol.asyncIterator]() {
            throw new Error(text);
          },
        };
      }
      return services.openLogs(target, logOptions);
    },
    readStats: async (target, signal) => {
      const services = servicesOf(target);
      return isMessage(services)
        ? {containerId: target.containerId, stats: null, error: services.text}
        : services.readStats(target, signal);
    },
    watchEvents: (onChange) => {
      const stops = members.map((member) => member.services.watchEvents(onChange));
      return () => {
        for (const stop of stops) {
          stop();
        }
      };
    },
  };
}
