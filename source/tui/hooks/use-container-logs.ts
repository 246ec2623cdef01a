import {type Dispatch, useEffect} from 'react';
import {LineRing} from '../../model/line-ring.js';
import {logsCapacity, logsTailLines} from '../logs-pane.js';
import type {DashboardServices} from '../services.js';
import type {AppAction, ContainerTarget, LogLineView} from '../types.js';

/** How often lines that came are handed to the screen, at most: a chatty container costs one frame per tick. */
export const logsFlushMs = 100;

/**
 * Reads the logs of the open pane's container while the pane is open (`session` names it):
 * lines go into a ring of logsCapacity, handed to the reducer at most every logsFlushMs; the
 * end of the stream (the container stopped) or its failure is said once. Closing the pane
 * closes the reader.
 */
export function useContainerLogs(
  services: DashboardServices,
  logs: {readonly session: number; readonly target: ContainerTarget} | null,
  dispatch: Dispatch<AppAction>,
): void {
  const session = logs?.session ?? null;
  const target = logs?.target ?? null;
  useEffect(() => {
    if (session === null || target === null) {
      return;
    }
    const source = services.openLogs(target, {tail: logsTailLines});
    const ring = new LineRing<LogLineView>(logsCapacity);
    let timer: NodeJS.Timeout | undefined;
    let closed = false;
    const flush = (): void => {
      timer = undefined;
      if (!closed) {
        dispatch({type: 'logs-lines', session, lines: ring.toArray(), dropped: ring.dropped});
      }
    };
    void (async () => {
      let end = {text: `${target.name} stopped: no more lines`, isError: false};
      try {
        for await (const line of source) {
          ring.push(line);
          timer ??= setTimeout(flush, logsFlushMs);
        }
      } catch (error) {
        end = {text: `logs failed: ${(error as Error).message}`, isError: true};
      }
      // What came before the end is shown first, then the line that says why it ended.
      clearTimeout(timer);
      flush();
      if (!closed) {
        dispatch({type: 'logs-ended', session, ...end});
      }
    })();
    return () => {
      closed = true;
      clearTimeout(timer);
      source.close();
    };
  }, [services, session, target, dispatch]);
}
