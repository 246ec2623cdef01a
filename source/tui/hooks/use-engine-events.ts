import {useEffect} from 'react';
import type {DashboardServices} from '../services.js';

/**
 * Refreshes soon after an engine reports a container event: events come in bursts (a stop
 * is kill + die + stop), so one refresh follows the last of a burst by `debounceMs`.
 */
export function useEngineEvents(
  services: DashboardServices,
  refreshNow: () => void,
  debounceMs = 150,
): void {
  useEffect(() => {
    let timer: NodeJS.Timeout | undefined;
    const unsubscribe = services.watchEvents(() => {
      clearTimeout(timer);
      timer = setTimeout(refreshNow, debounceMs);
    });
    return () => {
      clearTimeout(timer);
      unsubscribe();
    };
  }, [services, refreshNow, debounceMs]);
}
