import {EventEmitter} from 'node:events';

/**
 * Writing only the lines that changed.
 *
 * Ink 6 redraws the whole frame on every update (erase every line, write every line: 2.5 KB for
 * one `j` at 120x30). Its `incrementalRendering` option rewrites only changed lines, but in Ink
 * 6.8.0 it loses a line per frame when the frame is shorter than the terminal (it moves the
 * cursor up one line too few: the frame creeps down the screen and leaves stale lines above),
 * and a frame as tall as the terminal is cleared and redrawn whole on every update anyway.
 *
 * So Ink runs with its public `debug` option, under which each update is written to stdout as
 * the whole frame, in one write, with no cursor codes; Ink is handed this stream as stdout. It
 * keeps the last frame's lines and writes to the real terminal, with absolute cursor positions,
 * only the lines that differ. The screen is the alternate screen, owned whole by the dashboard.
 */

/** Begin and end synchronized update: a terminal that knows them shows the lines at once. */
const beginSync = '\u001B[?2026h';
const endSync = '\u001B[?2026l';
const hideCursor = '\u001B[?25l';
const clearScreen = '\u001B[H\u001B[2J';

/** Clear-screen codes (ED 2 and 3, cursor home, RIS) at the start of a write. */
const leadingClears = new RegExp(`^(?:${'\u001B'}(?:\\[[23]?J|\\[H|\\[1;1H|c))+`);

/** Moves to the start of 1-based `row` and erases the line (before writing, so that a line
 * filling the last column is not cut by an erase in the terminal's pending-wrap state). */
const startLine = (row: number): string => `\u001B[${row}H\u001B[2K`;

/**
 * What to write to turn a screen showing `previous` (null: unknown, so clear it) into one
 * showing `next`: each line that differs, at its row, never below row `rows`. '' when nothing
 * changed.
 */
export function formatFrameUpdate(
  previous: readonly string[] | null,
  next: readonly string[],
  rows: number,
): string {
  const parts: string[] = [];
  if (previous === null) {
    parts.push(clearScreen);
  }
  const known = previous ?? [];
  const height = Math.min(Math.max(next.length, known.length), Math.max(1, rows));
  for (let index = 0; index < height; index++) {
    const line = next[index];
    if (line === known[index] && previous !== null) {
      continue;
    }
    if (line === undefined) {
      parts.push(startLine(index + 1));
    } else if (line !== '' || previous !== null) {
      parts.push(startLine(index + 1) + line);
    }
  }
  return parts.length === 0 ? '' : beginSync + hideCursor + parts.join('') + endSync;
}

/** The terminal as Ink needs it: size, resize events and write. */
export type TerminalStream = Pick<NodeJS.WriteStream, 'columns' | 'rows' | 'isTTY' | 'write'> &
  Pick<EventEmitter, 'on' | 'off'>;

/** A stdout for Ink (in debug mode) that writes only changed lines to `terminal`. */
export interface LineDiffStdout {
  /** Give this to Ink's render as `stdout`, with `debug: true`. */
  readonly stdout: NodeJS.WriteStream;
  /** Stops following the terminal's resize events. */
  close(): void;
}

/**
 * Wraps `terminal`. Each write is one whole frame from Ink (an empty write is not a frame: Ink
 * writes '' when it erases zero lines). A resize forgets the screen, since the terminal may have
 * reflowed or scrolled it, so the frame after a resize is drawn whole on a cleared screen.
 */
export function createLineDiffStdout(terminal: TerminalStream): LineDiffStdout {
  let shown: string[] | null = null;
  const events = new EventEmitter();
  const onResize = (): void => {
    shown = null;
    events.emit('resize');
  };
  terminal.on('resize', onResize);
  // Size is read through, at each use (Object.assign would copy today's values).
  Object.defineProperties(events, {
    isTTY: {value: true},
    columns: {get: () => terminal.columns},
    rows: {get: () => terminal.rows},
  });
  const stdout = Object.assign(events, {
    write(chunk: string | Uint8Array): boolean {
      const frame = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      if (frame === '') {
        return true;
      }
      // A clear in front of the frame (useStdout().write of a clear under debug arrives as
      // clear + frame, in one write): draw the frame whole on a cleared screen.
      const cleared = frame.replace(leadingClears, '');
      if (cleared !== frame) {
        if (cleared === '') {
          // A clear alone: Ink under debug keeps no last frame to write after it
          // (useStdout().write of Ctrl-L's clear), so the last frame is drawn again here.
          if (shown !== null) {
            terminal.write(formatFrameUpdate(null, shown, terminal.rows || shown.length));
          }
          return true;
        }
        shown = null;
      }
      const lines = cleared.split('\n');
      const update = formatFrameUpdate(shown, lines, terminal.rows || lines.length);
      shown = lines;
      return update === '' ? true : terminal.write(update);
    },
  });
  return {
    stdout: stdout as unknown as NodeJS.WriteStream,
    close() {
      terminal.off('resize', onResize);
    },
  };
}
