import {useStdout} from 'ink';
import {useEffect} from 'react';

/** Erase the whole screen and put the cursor home (ED 2, CUP): what htop and less do on Ctrl-L. */
export const clearScreen = '\u001B[2J\u001B[H';

/** Options of useScreenRedraw. */
export interface ScreenRedrawOptions {
  /**
   * How long after the request the screen is cleared, in ms (default 60): longer than Ink's
   * render throttle (34 ms at its default 30 frames a second), so that the frame written again
   * is the one for the new size, not the one drawn before the resize reached the reducer.
   * Requests within this time are one redraw.
   */
  readonly settleMs?: number;
}

/**
 * Clears the terminal and has Ink write its whole frame again each time `requests` changes
 * (not on mount; nothing when stdout is not a terminal). Ink erases its previous frame by counting the lines it wrote; after the
 * terminal re-wraps those lines (a narrower window) or scrolls them (a frame taller than a
 * tiny window), the count is wrong and lines of the old frame stay on screen. Writing through
 * Ink's own stdout (useStdout().write) makes Ink erase what it knows, let the clear through,
 * and write its last frame whole from the top, with or without incremental rendering.
 */
export function useScreenRedraw(requests: number, options: ScreenRedrawOptions = {}): void {
  const {stdout, write} = useStdout();
  const settleMs = options.settleMs ?? 60;
  // Only a terminal has a screen to clear (tests render to a fake stream).
  const isTerminal = stdout.isTTY === true;
  useEffect(() => {
    if (requests === 0 || !isTerminal) {
      return;
    }
    const timer = setTimeout(() => write(clearScreen), settleMs);
    return () => {
      clearTimeout(timer);
    };
  }, [requests, write, settleMs, isTerminal]);
}
