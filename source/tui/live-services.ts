import {containerLogsOf, containerStatsOf, restartContainerOf} from '../container-ops.js';
import type {DetectOptions} from '../engine/detect.js';
import {watchEngineEvents} from '../engine/events.js';
import {signalProcess} from '../host/signal.js';
import {type CpuCounters, cpuPercentBetween} from '../model/container-stats.js';
import {LiveSnapshot} from '../snapshot.js';
import {stopContainerOf} from '../stop.js';
import {describeTarget} from './pending-action.js';
import type {DashboardServices} from './services.js';
import type {ContainerTarget, PendingAction, StatusMessage} from './types.js';

const outcomeText = {
  stopped: (verb: 'kill' | 'stop') => (verb === 'kill' ? 'killed' : 'stopped'),
  'already-stopped': () => 'was already stopped',
  'not-found': () => 'not found on any engine',
} as const;

/** The container an action names, as the library takes it. */
function containerOf(target: ContainerTarget) {
  return {
    id: target.containerId,
    name: target.name,
    endpoint: target.endpoint,
    engine: target.engine,
  };
}

async function runRestart(target: ContainerTarget, options: DetectOptions): Promise<StatusMessage> {
  const report = await restartContainerOf(containerOf(target), options);
  const name = describeTarget(target);
  switch (report.outcome) {
    case 'restarted':
      return {text: `restarted ${name}`, tone: 'ok'};
    case 'not-found':
      return {text: `${name} ${outcomeText['not-found']()}`, tone: 'error'};
    case 'failed':
      return {
        text: `restart ${name} failed: ${report.error?.message ?? 'no engine answered'}`,
        tone: 'error',
      };
  }
}

async function runContainerAction(
  action: Extract<PendingAction, {kind: 'container'}>,
  options: DetectOptions,
): Promise<StatusMessage> {
  if (action.verb === 'restart') {
    return runRestart(action, options);
  }
  const verb = action.verb;
  const report = await stopContainerOf(containerOf(action), verb === 'kill', options);
  const target = describeTarget(action);
  if (report.outcome === 'failed') {
    return {
      text: `${action.verb} ${target} failed: ${report.error?.message ?? 'no engine answered'}`,
      tone: 'error',
    };
  }
  if (report.outcome === 'stopped') {
    return {text: `${outcomeText.stopped(verb)} ${target}`, tone: 'ok'};
  }
  return {
    text: `${target} ${outcomeText[report.outcome]()}`,
    tone: report.outcome === 'not-found' ? 'error' : 'info',
  };
}

/** Why a stats sample has no figures, for the detail pane. */
const statsProblem = {
  'not-running': () => 'the container is not running',
  'not-found': () => 'not found on its engine',
  failed: (error: Error | null) => error?.message ?? 'no engine answered',
} as const;

/** How old the container list may get while every engine streams its events. */
const containersSafetyAgeMs = 15_000;

/** What the dashboard does to containers, through the engines `options` finds. */
export type ContainerServices = Pick<DashboardServices, 'openLogs' | 'readStats'> & {
  runContainerAction(action: Extract<PendingAction, {kind: 'container'}>): Promise<StatusMessage>;
};

/** The container actions, logs and stats, through the engines `options` finds. */
export function createContainerServices(options: DetectOptions = {}): ContainerServices {
  // The last CPU counters of the container the detail pane shows (one pane at a time).
  let lastCpu: {readonly containerId: string; readonly cpu: CpuCounters} | null = null;
  return {
    runContainerAction: (action) => runContainerAction(action, options),
    openLogs: (target, logOptions) => {
      const stream = containerLogsOf(containerOf(target), {
        ...options,
        follow: true,
        tail: logOptions.tail,
        timestamps: true,
      });
      return {
        close: () => stream.close(),
        async *[Symbol.asyncIterator]() {
          for await (const line of stream) {
            yield {
              // A TTY's one stream reads as stdout.
              stream: line.stream === 'stderr' ? 'stderr' : 'stdout',
              timestamp: line.timestamp,
              text: line.text,
            };
          }
        },
      };
    },
    readStats: async (target, signal) => {
      const report = await containerStatsOf(containerOf(target), {...options, signal});
      if (report.outcome !== 'ok') {
        lastCpu = null;
        return {
          containerId: target.containerId,
          stats: null,
          error: statsProblem[report.outcome](report.error),
        };
      }
      const stats = report.stats;
      // Podman's single sample has no earlier CPU reading: the pane's previous sample is one.
      const earlier = lastCpu?.containerId === target.containerId ? lastCpu.cpu : null;
      let cpuPercent = stats.cpuPercent;
      if (cpuPercent === null && earlier !== null && stats.cpu !== null) {
        cpuPercent = cpuPercentBetween(earlier, stats.cpu);
      }
      lastCpu = stats.cpu === null ? null : {containerId: target.containerId, cpu: stats.cpu};
      return {
        containerId: target.containerId,
        stats: {...stats, cpuPercent},
        error: null,
      };
    },
  };
}

/** A signal to a process of this machine, after the identity shown is checked again. */
export function signalHostProcess(
  action: Extract<PendingAction, {kind: 'process'}>,
): StatusMessage {
  // The identity shown in the prompt: signalProcess re-checks it right before sending.
  const report = signalProcess(
    {pid: action.pid, startTicks: action.startTicks},
    action.signal,
    describeTarget(action),
  );
  return {text: report.message, tone: report.ok ? 'ok' : 'error'};
}

/** The dashboard's services on the real host and engines. */
export function createLiveServices(options: DetectOptions = {}): DashboardServices {
  // Engines whose event stream is up. While every engine that answered has one, a container
  // change arrives as an event, and the engines need asking only now and then (a safety net);
  // otherwise they are asked at every refresh.
  const streaming = new Set<string>();
  const live: LiveSnapshot = new LiveSnapshot({
    ...options,
    containersMaxAgeMs: (): number => {
      const answering = live.engines.filter((report) => report.ok);
      return answering.length > 0 && answering.every((report) => streaming.has(report.endpoint))
        ? containersSafetyAgeMs
        : 0;
    },
  });
  const containers = createContainerServices(options);
  return {
    refresh: (onUpdate, signal, refreshOptions) => live.refresh(onUpdate, signal, refreshOptions),
    runAction: async (action) =>
      action.kind === 'container'
        ? containers.runContainerAction(action)
        : signalHostProcess(action),
    openLogs: containers.openLogs,
    readStats: containers.readStats,
    watchEvents: (onChange) => {
      const watcher = watchEngineEvents({
        ...options,
        onEvent: (event) => {
          // Only this engine is asked again, about this container (the rest is kept).
          live.invalidateContainers(event.endpoint, event.id);
          onChange();
        },
        onStatus: (endpoint, connected) => {
          if (connected) {
            streaming.add(endpoint);
          } else {
            streaming.delete(endpoint);
            // Its events may have been missed while the stream was down.
            live.invalidateContainers(endpoint);
          }
        },
      });
      return () => watcher.close();
    },
  };
}
