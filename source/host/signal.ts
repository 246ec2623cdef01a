/** What signalling a host process did. */
export interface SignalReport {
  readonly ok: boolean;
  /** One line for the status bar: what happened, or why not and what to do. */
  readonly message: string;
}

/**
 * Sends `signal` to a host process. Refuses pid 0 and 1 (the whole group, init) and this
 * process itself, without sending anything. A permission error says how to get the right.
 * Never throws.
 */
export function signalProcess(
  pid: number,
  signal: 'SIGTERM' | 'SIGKILL',
  label: string,
  kill: (pid: number, signal: NodeJS.Signals) => void = process.kill,
): SignalReport {
  if (!Number.isInteger(pid) || pid <= 1) {
    return {
      ok: false,
      message: `refused: pid ${pid} is ${pid === 1 ? 'init' : 'not a single process'}`,
    };
  }
  if (pid === process.pid) {
    return {ok: false, message: `refused: ${label} is nanodock-top itself (quit with q)`};
  }
  try {
    kill(pid, signal);
    return {ok: true, message: `sent ${signal} to ${label}`};
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EPERM') {
      return {
        ok: false,
        message: `permission denied signalling ${label}: it belongs to another user (run nanodock-top as that user, or with sudo)`,
      };
    }
    if (code === 'ESRCH') {
      return {ok: false, message: `${label} has already exited`};
    }
    return {ok: false, message: `could not signal ${label}: ${(error as Error).message}`};
  }
}
