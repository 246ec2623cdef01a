import {type Dispatch, useCallback, useEffect, useRef} from 'react';
import type {DashboardServices} from '../services.js';
import type {AppAction} from '../types.js';

/**
 * Refreshes every `intervalMs` while not paused; each tick has its own AbortSignal and a tick
 * that is superseded (refresh now, pause, unmount) is aborted, its late results dropped.
 * Returns `refreshNow`, for engine events and finished actions (a fresh refresh).
 */
export function useRefreshLoop(
  services: DashboardServices,
  dispatch: Dispatch<AppAction>,
  options: {readonly paused: boolean; readonly intervalMs: number},
): () => void {
  const trigger = useRef<() => void>(() => {});
  useEffect(() => {
    if (options.paused) {
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    let controller: AbortController | undefined;
    let disposed = false;
    const tick = async (fresh: boolean): Promise<void> => {
      clearTimeout(timer);
      controller?.abort();
      const current = new AbortController();
      controller = current;
      try {
        await services.refresh(
          (snapshot) => {
            if (!current.signal.aborted) {
              dispatch({type: 'snapshot', snapshot});
            }
          },
          current.signal,
          {fresh},
        );
      } catch (error) {
        if (!current.signal.aborted) {
          dispatch({type: 'refresh-failed', message: (error as Error).message});
        }
      }
      if (!disposed && !current.signal.aborted) {
        timer = setTimeout(() => void tick(false), options.intervalMs);
      }
    };
    trigger.current = () => void tick(true);
    void tick(false);
    return () => {
      disposed = true;
      clearTimeout(timer);
      controller?.abort();
      trigger.current = () => {};
    };
  }, [services, dispatch, options.paused, options.intervalMs]);
  return useCallback(() => trigger.current(), []);
}
