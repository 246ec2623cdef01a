import {type Dispatch, useEffect} from 'react';
import type {AppAction, StatusMessage} from '../types.js';

/** How long an info or ok message stays when no key is pressed. */
export const statusExpiryMs = 4000;

/**
 * Clears an info or ok status after statusExpiryMs (a key clears any status sooner, in the
 * reducer). Errors stay until a key; a `progress` status until its action's outcome.
 */
export function useStatusExpiry(status: StatusMessage | null, dispatch: Dispatch<AppAction>): void {
  useEffect(() => {
    if (status === null || status.tone === 'error' || status.tone === 'progress') {
      return;
    }
    const timer = setTimeout(() => dispatch({type: 'status-expired', status}), statusExpiryMs);
    return () => clearTimeout(timer);
  }, [status, dispatch]);
}
