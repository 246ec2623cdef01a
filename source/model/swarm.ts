import type {Protocol} from './container-info.js';

/**
 * One task of a Swarm service (a replica, or a global service's copy on one node), as the
 * manager's `GET /tasks` describes it.
 */
export interface SwarmTask {
  /** Task id. */
  readonly id: string;
  /** Replica number of a replicated service; null for a global service's task. */
  readonly slot: number | null;
  /** Id of the node the task is assigned to ("" while not yet assigned). */
  readonly nodeId: string;
  /** Host name of that node, from `GET /nodes`; null when the node is not listed. */
  readonly nodeName: string | null;
  /** Current state: `new`, `pending`, `assigned`, `preparing`, `starting`, `running`, `failed`... */
  readonly state: string;
  /** The state the orchestrator wants for it: `running`, `shutdown`... */
  readonly desiredState: string;
  /** Full id of its container, once the node made one; null before. */
  readonly containerId: string | null;
  /** True when the task is assigned to the node whose engine reported it. */
  readonly onThisNode: boolean;
  /** The engine's word on the task: its error when it has one, else its status message. */
  readonly message: string;
}

/** One port a Swarm service publishes. */
export interface ServicePort {
  readonly protocol: Protocol;
  /** Port published on the nodes. */
  readonly publishedPort: number;
  /** Port inside the task containers. */
  readonly targetPort: number;
  /**
   * `ingress`: the routing mesh takes the port on every node, with no host socket (nothing
   * in /proc/net shows it). `host`: each task's node publishes it as a plain container port,
   * held by a host socket (docker-proxy on Docker 20.10) of the task container.
   */
  readonly publishMode: 'ingress' | 'host';
}

/** A Swarm service, as a manager reports it, with its tasks. */
export interface SwarmService {
  readonly id: string;
  readonly name: string;
  /** Image reference of its containers, without the `@sha256:...` digest the manager pins. */
  readonly image: string;
  /** `replicated` (a number of replicas) or `global` (one task per eligible node). */
  readonly mode: 'replicated' | 'global';
  /**
   * Tasks in state `running`, and how many the service wants: the replica count of a
   * replicated service; for a global one, the eligible nodes as the orchestrator sees them
   * (nodes up, holding a task it wants running: placement constraints and drained nodes
   * already applied).
   */
  readonly replicas: {readonly running: number; readonly desired: number};
  /** Ports it publishes (ports the manager has not published yet, or sctp, are left out). */
  readonly ports: readonly ServicePort[];
  /** Its tasks that the orchestrator wants running, in the manager's order. */
  readonly tasks: readonly SwarmTask[];
  /** Names of the nodes where its tasks run (state `running`), each once, in task order. */
  readonly nodes: readonly string[];
  /** Address of the engine (a manager) that reported it. */
  readonly endpoint: string;
  /** Service labels (`Spec.Labels`) with string values. */
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * What an engine in a Swarm said about it. A manager lists the services; a worker cannot
 * (its engine refuses `GET /services`), and `reason` says so. A node that is in a swarm but
 * cannot act (pending, locked, in error) is reported as `worker` too, with that state in
 * `reason`: either way, no service list comes from this engine.
 */
export type SwarmReport =
  | {
      readonly role: 'manager';
      readonly nodeId: string;
      /** Host name of this node (`GET /nodes`); "" when the manager does not list it. */
      readonly nodeName: string;
      readonly services: readonly SwarmService[];
    }
  | {
      readonly role: 'worker';
      readonly nodeId: string;
      /** Host name of this node (`GET /info` Name), or "". */
      readonly nodeName: string;
      /** Why it cannot list services, e.g. "a worker node: only managers list services". */
      readonly reason: string;
    };

const noServices: readonly SwarmService[] = [];

/** The services of `services` publishing `port` with `protocol`, in either publish mode. */
export function selectServicesOnPort(
  services: readonly SwarmService[],
  port: number,
  protocol: Protocol,
): readonly SwarmService[] {
  let found: SwarmService[] | null = null;
  for (const service of services) {
    if (findServicePort(service, port, protocol) !== undefined) {
      found ??= [];
      found.push(service);
    }
  }
  return found ?? noServices;
}

/** The port entry of `service` publishing `port` with `protocol`, if any. */
export function findServicePort(
  service: SwarmService,
  port: number,
  protocol: Protocol,
): ServicePort | undefined {
  for (const entry of service.ports) {
    if (entry.publishedPort === port && entry.protocol === protocol) {
      return entry;
    }
  }
  return undefined;
}

/**
 * The task of `service` running on the reporting engine's own node with a container, if any
 * (the first, when several replicas share the node).
 */
export function findLocalTask(service: SwarmService): SwarmTask | undefined {
  for (const task of service.tasks) {
    if (task.onThisNode && task.state === 'running' && task.containerId !== null) {
      return task;
    }
  }
  return undefined;
}

/** The services of every manager report in `reports`, each service id once, in order. */
export function joinSwarmServices(
  reports: readonly (SwarmReport | null | undefined)[],
): readonly SwarmService[] {
  let services: SwarmService[] | null = null;
  let seen: Set<string> | null = null;
  for (const report of reports) {
    if (report?.role !== 'manager' || report.services.length === 0) {
      continue;
    }
    services ??= [];
    seen ??= new Set();
    for (const service of report.services) {
      // One swarm reached at two addresses (or two managers of it) lists each service twice.
      if (!seen.has(service.id)) {
        seen.add(service.id);
        services.push(service);
      }
    }
  }
  return services ?? noServices;
}
