import {type Dispatch, useEffect} from 'react';
import {actionKey} from '../pending-action.js';
import type {DashboardServices} from '../services.js';
import type {AppAction, QueuedAction} from '../types.js';

/**
 * Runs confirmed actions as they are queued. The refresh loop keeps running meanwhile (a
 * stop can take the engine's 10 s grace); the outcome goes to the status line and a refresh
 * follows it.
 */
export function useActionRunner(
  services: DashboardServices,
  queue: readonly QueuedAction[],
  dispatch: Dispatch<AppAction>,
  refreshNow: () => void,
): void {
  useEffect(() => {
    for (const {id, action, batch} of queue) {
      dispatch({type: 'action-started', id});
      const key = actionKey(action);
      void services.runAction(action).then((status) => {
        dispatch({type: 'action-finished', id, key, status, batch});
        refreshNow();
      });
    }
  }, [services, queue, dispatch, refreshNow]);
}
