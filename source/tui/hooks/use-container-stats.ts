import {type Dispatch, useEffect} from 'react';
import type {DashboardServices} from '../services.js';
import type {AppAction, ContainerTarget} from '../types.js';

/**
 * While the detail pane shows a container, reads one stats sample of it at once and then
 * every `intervalMs` (never more than one at a time, never for other rows).
 */
export function useContainerStats(
  services: DashboardServices,
  target: ContainerTarget | null,
  intervalMs: number,
  dispatch: Dispatch<AppAction>,
): void {
  // Named by its parts: a new object for the same container is the same target.
  const id = target?.containerId ?? null;
  const name = target?.name ?? '';
  const endpoint = target?.endpoint ?? null;
  const engine = target?.engine ?? 'unknown';
  useEffect(() => {
    if (id === null) {
      return;
    }
    const target = {containerId: id, name, endpoint, engine};
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const read = async (): Promise<void> => {
      const stats = await services.readStats(target, controller.signal);
      if (!controller.signal.aborted) {
        dispatch({type: 'stats', stats});
        timer = setTimeout(() => void read(), intervalMs);
      }
    };
    void read();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [services, id, name, endpoint, engine, intervalMs, dispatch]);
}
