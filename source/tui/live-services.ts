import type {DetectOptions} from '../engine/detect.js';
import {watchEngineEvents} from '../engine/events.js';
import {signalProcess} from '../host/signal.js';
import {LiveSnapshot} from '../snapshot.js';
import {stopContainerOf} from '../stop.js';
import {describeTarget} from './pending-action.js';
import type {DashboardServices} from './services.js';
import type {PendingAction, StatusMessage} from './types.js';

const outcomeText = {
  stopped: (verb: 'kill' | 'stop') => (verb === 'kill' ? 'killed' : 'stopped'),
  'already-stopped': () => 'was already stopped',
  'not-found': () => 'not found on any engine',
} as const;

async function runContainerAction(
  action: Extract<PendingAction, {kind: 'container'}>,
  options: DetectOptions,
): Promise<StatusMessage> {
  const report = await stopContainerOf(
    {id: action.containerId, name: action.name, endpoint: action.endpoint, engine: action.engine},
    action.verb === 'kill',
    options,
  );
  const target = describeTarget(action);
  if (report.outcome === 'failed') {
    return {
      text: `${action.verb} ${target} failed: ${report.error?.message ?? 'no engine answered'}`,
      tone: 'error',
    };
  }
  if (report.outcome === 'stopped') {
    return {text: `${outcomeText.stopped(action.verb)} ${target}`, tone: 'ok'};
  }
  return {
    text: `${target} ${outcomeText[report.outcome]()}`,
    tone: report.outcome === 'not-found' ? 'error' : 'info',
  };
}

/** How old the container list may get while every engine streams its events. */
const containersSafetyAgeMs = 15_000;

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
  return {
    refresh: (onUpdate, signal, refreshOptions) => live.refresh(onUpdate, signal, refreshOptions),
    runAction: async (action) => {
      if (action.kind === 'container') {
        return runContainerAction(action, options);
      }
      // The identity shown in the prompt: signalProcess re-checks it right before sending.
      const report = signalProcess(
        {pid: action.pid, startTicks: action.startTicks},
        action.signal,
        describeTarget(action),
      );
      return {text: report.message, tone: report.ok ? 'ok' : 'error'};
    },
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
