import {shortContainerId} from '../model/container-info.js';
import type {PendingAction} from './types.js';

/** `NAME (SHORT_ID)` for a container action, `NAME (PID)` for a process. */
export function describeTarget(action: PendingAction): string {
  return action.kind === 'container'
    ? `${action.name} (${shortContainerId(action.containerId)})`
    : `${action.name} (${action.pid})`;
}

/** The key of `inProgress` a running action is shown under: the container id, or `pid:N`. */
export function actionKey(action: PendingAction): string {
  return action.kind === 'container' ? action.containerId : `pid:${action.pid}`;
}
