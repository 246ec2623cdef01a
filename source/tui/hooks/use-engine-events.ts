import {useEffect} from 'react';
import type {DashboardServices} from '../services.js';

/** The longest gap between event-driven refreshes: no more than one a second. */
const maxSpacingMs = 1000;

/**
 * When the refresh for an event that arrives `now` is due. Events come in bursts (a stop is
 * kill + die + stop), so the refresh follows the last of a burst by `debounceMs`; a stream
 * that never pauses (churn) still gets one by `spacingMs` after the first event it waits for;
 * and refreshes are at least `spacingMs` apart, so churn costs about what the refresh
 * interval already costs instead of a refresh and a frame per burst.
 */
export function eventRefreshDueAt(
  now: number,
  firstPendingAt: number,
  lastRefreshAt: number,
  debounceMs: number,
  spacingMs: number,
): number {
  return Math.max(
    lastRefreshAt + spacingMs,
    Math.min(now + debounceMs, firstPendingAt + spacingMs),
  );
}

/**
 * Refreshes soon after an engine reports a container event (eventRefreshDueAt): within
 * `debounceMs` of a quiet moment, at most once per `spacingMs` (the refresh interval, capped
 * at a second).
 */
export function useEngineEvents(
  services: DashboardServices,
  refreshNow: () => void,
  intervalMs: number,
  debounceMs = 150,
): void {
  useEffect(() => {
    const spacingMs = Math.min(intervalMs, maxSpacingMs);
    let timer: NodeJS.Timeout | undefined;
    let firstPendingAt: number | null = null;
    let lastRefreshAt = Number.NEGATIVE_INFINITY;
    const unsubscribe = services.watchEvents(() => {
      const now = performance.now();
      firstPendingAt ??= now;
      const dueAt = eventRefreshDueAt(now, firstPendingAt, lastRefreshAt, debounceMs, spacingMs);
      clearTimeout(timer);
      timer = setTimeout(
        () => {
          firstPendingAt = null;
          lastRefreshAt = performance.now();
          refreshNow();
        },
        Math.max(0, dueAt - now),
      );
    });
    return () => {
      clearTimeout(timer);
      unsubscribe();
    };
  }, [services, refreshNow, intervalMs, debounceMs]);
}
