import {readFileSync} from 'node:fs';
import {parseProcStat} from './proc-process.js';

/** What signalling a host process did. */
export interface SignalReport {
  readonly ok: boolean;
  /** One line for the status bar: what happened, or why not and what to do. */
  readonly message: string;
}

/** The process that was shown: a pid names a process only together with its start time. */
export interface ProcessIdentity {
  readonly pid: number;
  /** Start time in clock ticks after boot (field 22 of /proc/PID/stat); null when unknown. */
  readonly startTicks: number | null;
}

/** Options of signalProcess. */
export interface SignalOptions {
  /** Where procfs is mounted. Default: '/proc'. */
  readonly procRoot?: string;
  /** Sends the signal. Default: process.kill. */
  readonly kill?: (pid: number, signal: NodeJS.Signals) => void;
}

/**
 * The start time of the process now at `pid`, undefined when no process has that pid, or an
 * Error when /proc could not tell.
 */
function readStartTicks(procRoot: string, pid: number): number | undefined | Error {
  let text: string;
  try {
    // Synchronous on purpose: nothing may run between this check and the kill.
    text = readFileSync(`${procRoot}/${pid}/stat`, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ESRCH' ? undefined : (error as Error);
  }
  return parseProcStat(text)?.startTicks ?? new Error(`unreadable ${procRoot}/${pid}/stat`);
}

/**
 * Sends `signal` to the host process `target`, labelled `label` (`NAME (PID)`) in the message.
 * Right before sending, reads /proc/PID/stat again: when no process has the pid any more, or
 * the one that has it started at another time (the pid was reused), nothing is sent. A target
 * whose start time is unknown is refused rather than guessed. Also refuses pid 0 and 1 (the
 * whole group, init) and this process itself. A permission error says how to get the right.
 * Never throws.
 *
 * The check and the kill run back to back with nothing in between, but the kernel could still
 * reuse the pid in that instant; only a pidfd would close that gap, and Node has none.
 */
export function signalProcess(
  target: ProcessIdentity,
  signal: 'SIGTERM' | 'SIGKILL',
  label: string,
  options: SignalOptions = {},
): SignalReport {
  const {pid, startTicks} = target;
  if (!Number.isInteger(pid) || pid <= 1) {
    return {
      ok: false,
      message: `refused: pid ${pid} is ${pid === 1 ? 'init' : 'not a single process'}`,
    };
  }
  if (pid === process.pid) {
    return {ok: false, message: `refused: ${label} is nanodock-top itself (quit with q)`};
  }
  if (startTicks === null) {
    return {
      ok: false,
      message: `refused: the start time of ${label} is unknown, so a process reusing pid ${pid} cannot be ruled out: nothing was sent`,
    };
  }
  const current = readStartTicks(options.procRoot ?? '/proc', pid);
  if (current instanceof Error) {
    return {
      ok: false,
      message: `could not check that ${label} is still the process shown (${current.message}): nothing was sent`,
    };
  }
  if (current === undefined) {
    return {ok: false, message: `${label} has exited: nothing was sent`};
  }
  if (current !== startTicks) {
    return {
      ok: false,
      message: `${label} has exited; pid ${pid} now belongs to another process: nothing was sent`,
    };
  }
  try {
    (options.kill ?? process.kill)(pid, signal);
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
