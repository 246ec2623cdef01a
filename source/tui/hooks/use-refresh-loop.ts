import {type Dispatch, useCallback, useEffect, useRef} from 'react';
import type {DashboardServices} from '../services.js';
import type {AppAction} from '../types.js';

/**
 * Refreshes every `intervalMs` while not paused; each tick has its own AbortSignal and a tick
 * that is superseded (pause, unmount) is aborted, its late results dropped. Returns
 * `refreshNow`, for engine events and finished actions (a fresh refresh): asked while a tick
 * runs, it runs one right after that tick instead of aborting it, or events coming faster
 * than a refresh takes would abort every refresh and the screen would never change.
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
    let isRunning = false;
    let isAskedAgain = false;
    const tick = async (fresh: boolean): Promise<void> => {
      clearTimeout(timer);
      controller?.abort();
      const current = new AbortController();
      controller = current;
      isRunning = true;
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
        isRunning = false;
        if (isAskedAgain) {
          isAskedAgain = false;
          void tick(true);
        } else {
          timer = setTimeout(() => void tick(false), options.intervalMs);
        }
      }
    };
    trigger.current = () => {
      if (isRunning) {
        isAskedAgain = true;
      } else {
        void tick(true);
      }
    };
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
