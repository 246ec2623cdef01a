import {EventEmitter} from 'node:events';
import {describe, expect, it} from 'vitest';
import {createLineDiffStdout, formatFrameUpdate} from '../../source/tui/line-diff-stdout.js';

const sync = (body: string): string => `\u001B[?2026h\u001B[?25l${body}\u001B[?2026l`;
const at = (row: number, text: string): string => `\u001B[${row}H\u001B[2K${text}`;

describe('formatFrameUpdate', () => {
  it('clears the screen and writes every non-empty line when the screen is unknown', () => {
    expect(formatFrameUpdate(null, ['head', '', 'row'], 30)).toBe(
      sync(`\u001B[H\u001B[2J${at(1, 'head')}${at(3, 'row')}`),
    );
  });

  it('writes only the lines that changed, at their rows', () => {
    const before = ['head', 'a', '\u001B[7mb\u001B[27m', 'c', 'foot'];
    const after = ['head', 'a', 'b', '\u001B[7mc\u001B[27m', 'foot'];
    expect(formatFrameUpdate(before, after, 30)).toBe(
      sync(at(3, 'b') + at(4, '\u001B[7mc\u001B[27m')),
    );
  });

  it('writes nothing when nothing changed', () => {
    expect(formatFrameUpdate(['a', 'b'], ['a', 'b'], 30)).toBe('');
  });

  it('erases the lines a shorter frame no longer covers', () => {
    expect(formatFrameUpdate(['a', 'b', 'c'], ['a'], 30)).toBe(sync(at(2, '') + at(3, '')));
  });

  it('never writes below the last row of the terminal', () => {
    const update = formatFrameUpdate(['a'], ['a', 'b', 'c', 'd'], 3);
    expect(update).toBe(sync(at(2, 'b') + at(3, 'c')));
  });
});

/** A terminal that records what is written to it. */
function fakeTerminal(columns = 120, rows = 30) {
  const events = new EventEmitter();
  const written: string[] = [];
  const terminal = Object.assign(events, {
    columns,
    rows,
    isTTY: true as const,
    write(chunk: string | Uint8Array) {
      written.push(String(chunk));
      return true;
    },
  });
  return {terminal, written};
}

describe('createLineDiffStdout', () => {
  it('turns whole frames into the lines that changed, and ignores empty writes', () => {
    const {terminal, written} = fakeTerminal();
    const {stdout} = createLineDiffStdout(terminal as unknown as NodeJS.WriteStream);
    stdout.write('head\nrow 1\nrow 2');
    stdout.write('');
    stdout.write('head\nrow 1\nrow 2!');
    expect(written).toHaveLength(2);
    expect(written[1]).toBe(sync(at(3, 'row 2!')));
  });

  it('passes the size through, and after a resize clears and writes the next frame whole', () => {
    const {terminal, written} = fakeTerminal();
    const {stdout, close} = createLineDiffStdout(terminal as unknown as NodeJS.WriteStream);
    let resized = 0;
    stdout.on('resize', () => resized++);
    stdout.write('head\nrow');
    terminal.columns = 80;
    terminal.rows = 24;
    terminal.emit('resize');
    expect(resized).toBe(1);
    expect([stdout.columns, stdout.rows]).toEqual([80, 24]);
    stdout.write('head\nrow');
    expect(written[1]).toBe(sync(`\u001B[H\u001B[2J${at(1, 'head')}${at(2, 'row')}`));
    close();
    terminal.emit('resize');
    expect(resized).toBe(1);
  });
});

describe('a clear written in front of a frame', () => {
  it('is taken as "draw the frame whole on a cleared screen", not as part of its first line', () => {
    const {terminal, written} = fakeTerminal();
    const {stdout} = createLineDiffStdout(terminal as unknown as NodeJS.WriteStream);
    stdout.write('head\nrow');
    for (const clear of ['\u001B[2J', '\u001B[2J\u001B[3J\u001B[H', '\u001Bc']) {
      stdout.write(`${clear}head\nrow`);
      expect(written.at(-1)).toBe(sync(`\u001B[H\u001B[2J${at(1, 'head')}${at(2, 'row')}`));
    }
  });
});

describe('a clear written alone', () => {
  it('draws the last frame again on a cleared screen (Ink under debug sends no frame after it)', () => {
    const {terminal, written} = fakeTerminal();
    const {stdout} = createLineDiffStdout(terminal as unknown as NodeJS.WriteStream);
    stdout.write('\u001B[2J\u001B[H');
    expect(written).toHaveLength(0);
    stdout.write('head\nrow');
    stdout.write('\u001B[2J\u001B[H');
    expect(written).toHaveLength(2);
    expect(written[1]).toBe(sync(`\u001B[H\u001B[2J${at(1, 'head')}${at(2, 'row')}`));
    // The screen is known again: the next frame writes only what changed.
    stdout.write('head\nrow!');
    expect(written[2]).toBe(sync(at(2, 'row!')));
  });
});
