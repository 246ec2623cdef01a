import {shortContainerId} from '../model/container-info.js';
import type {Batch, ContainerTarget, ContainerVerb, PendingAction, StatusMessage} from './types.js';

/**
 * `NAME (SHORT_ID)` for a container, `NAME (PID)` for a process; `… on HOST` for a container
 * of another host, in a view of several.
 */
export function describeTarget(action: PendingAction | ContainerTarget): string {
  return 'pid' in action
    ? `${action.name} (${action.pid})`
    : `${action.name} (${shortContainerId(action.containerId)})${action.host === undefined ? '' : ` on ${action.host}`}`;
}

/** The key of `inProgress` a running action is shown under: the container id, or `pid:N`. */
export function actionKey(action: PendingAction): string {
  return action.kind === 'container' ? action.containerId : `pid:${action.pid}`;
}

const progressWords: Record<ContainerVerb, string> = {
  kill: 'killing',
  stop: 'stopping',
  restart: 'restarting',
};

/** What the row and the status line say while the action runs: `killing`, `sending SIGTERM`. */
export function progressWord(action: PendingAction): string {
  return action.kind === 'container' ? progressWords[action.verb] : `sending ${action.signal}`;
}

const questionVerbs: Record<ContainerVerb, string> = {
  kill: 'Kill',
  stop: 'Stop',
  restart: 'Restart',
};

/** The y/N question of a pending action. */
export function questionOf(action: PendingAction): string {
  return action.kind === 'container'
    ? `${questionVerbs[action.verb]} container ${describeTarget(action)}? [y/N]`
    : `Send ${action.signal} to ${describeTarget(action)}? [y/N]`;
}

/** The y/N question of a bulk action, naming every container: `Kill 3 containers: a (id), …? [y/N]`. */
export function questionOfMany(verb: ContainerVerb, targets: readonly ContainerTarget[]): string {
  const noun = targets.length === 1 ? 'container' : 'containers';
  return `${questionVerbs[verb]} ${targets.length} ${noun}: ${targets.map(describeTarget).join(', ')}? [y/N]`;
}

/**
 * A bulk action's status line: each outcome so far, then how many are still running; an
 * error tone when any failed, `progress` while some run.
 */
export function summarizeBatch(batch: Batch): StatusMessage {
  const running = batch.total - batch.outcomes.length;
  const parts = batch.outcomes.map((outcome) => outcome.text);
  if (running > 0) {
    parts.push(`${running} of ${batch.total} still ${progressWords[batch.verb]}…`);
  }
  const failed = batch.outcomes.some((outcome) => outcome.tone === 'error');
  return {
    text: parts.join(' · '),
    tone: failed ? 'error' : running > 0 ? 'progress' : 'ok',
  };
}
