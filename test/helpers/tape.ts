import {setTimeout as sleep} from 'node:timers/promises';
import type {TmuxSession} from './tmux.js';

/**
 * One input step of a VHS tape, as the tmux harness sends it.
 * - `type`: literal text (`send-keys -l`);
 * - `key`: a tmux key name (`Enter`, `PPage`, `C-c`, `M-x`, ...) pressed `repeat` times;
 * - `sleep`: a pause of `ms` milliseconds;
 * - `ignored`: a line that sends nothing here (VHS-only commands such as `Output`, `Set`,
 *   `Hide`, and malformed lines), with the reason.
 */
export type TapeStep =
  | {readonly kind: 'type'; readonly text: string}
  | {readonly kind: 'key'; readonly key: string; readonly repeat: number}
  | {readonly kind: 'sleep'; readonly ms: number}
  | {readonly kind: 'ignored'; readonly line: string; readonly reason: string};

/** A tape line that names a key tmux cannot send (a typo, or a chord no terminal encodes). */
export class TapeKeyError extends Error {
  override readonly name = 'TapeKeyError' as const;
  /** 1-based line number in the tape. */
  readonly lineNumber: number;
  /** The offending line, trimmed. */
  readonly line: string;

  constructor(message: string, lineNumber: number, line: string) {
    super(`tape line ${lineNumber}: ${message}: ${line}`);
    this.lineNumber = lineNumber;
    this.line = line;
  }
}

/** VHS key commands and the tmux key names they press. */
const namedKeys: Readonly<Record<string, string>> = {
  Enter: 'Enter',
  Escape: 'Escape',
  Up: 'Up',
  Down: 'Down',
  Left: 'Left',
  Right: 'Right',
  Backspace: 'BSpace',
  Delete: 'DC',
  Insert: 'IC',
  Tab: 'Tab',
  Space: 'Space',
  PageUp: 'PPage',
  PageDown: 'NPage',
  Home: 'Home',
  End: 'End',
};

/** Keys that take any modifier in tmux (`C-Up`, `S-PPage`, `C-M-Home`). */
const navigationKeys = new Set([
  'Up',
  'Down',
  'Left',
  'Right',
  'PageUp',
  'PageDown',
  'Home',
  'End',
  'Delete',
  'Insert',
]);

/** Punctuation that has a control code (`C-[` is Escape, `C-@` is NUL, ...). */
const controlPunctuation = new Set(['@', '[', '\\', ']', '^', '_', '?']);

/** VHS commands that record, configure or wait, and send no input to the program. */
const vhsOnlyCommands = new Set([
  'Output',
  'Set',
  'Require',
  'Hide',
  'Show',
  'Screenshot',
  'Copy',
  'Paste',
  'Env',
  'Source',
  'Wait',
  'Subtitle',
  'ScrollUp',
  'ScrollDown',
]);

const modifierCodes: Readonly<Record<string, 'C' | 'M' | 'S'>> = {
  Ctrl: 'C',
  Alt: 'M',
  Shift: 'S',
};

const timeUnits: Readonly<Record<string, number>> = {ms: 1, s: 1000, m: 60_000};

type Token =
  | {readonly type: 'word' | 'number' | 'string' | 'regex' | 'punct'; readonly value: string}
  | {readonly type: 'error'; readonly value: string};

const wordPattern = /[A-Za-z0-9._/%-]/;

/**
 * Splits one line the way VHS's lexer does: `#` starts a comment, strings are quoted with
 * `"`, `'` or a backtick, `/.../` is a regex, words are letters then `[A-Za-z0-9._/%-]`,
 * numbers are digits and dots. Unlike VHS, `\"` and `\\` inside double quotes are escapes.
 */
function tokenize(line: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  while (index < line.length) {
    const char = line[index] ?? '';
    if (char === ' ' || char === '\t' || char === '\r') {
      index += 1;
    } else if (char === '#') {
      break;
    } else if (char === '"' || char === "'" || char === '`' || char === '/') {
      let value = '';
      let end = index + 1;
      while (end < line.length && line[end] !== char) {
        if (
          char === '"' &&
          line[end] === '\\' &&
          (line[end + 1] === '"' || line[end + 1] === '\\')
        ) {
          end += 1;
        }
        value += line[end];
        end += 1;
      }
      if (end >= line.length) {
        return [{type: 'error', value: `unterminated ${char === '/' ? 'regex' : 'string'}`}];
      }
      tokens.push({type: char === '/' ? 'regex' : 'string', value});
      index = end + 1;
    } else if (/[0-9]/.test(char) || (char === '.' && /[0-9]/.test(line[index + 1] ?? ''))) {
      let end = index;
      while (end < line.length && /[0-9.]/.test(line[end] ?? '')) {
        end += 1;
      }
      tokens.push({type: 'number', value: line.slice(index, end)});
      index = end;
    } else if (/[A-Za-z.]/.test(char)) {
      let end = index;
      while (end < line.length && wordPattern.test(line[end] ?? '')) {
        end += 1;
      }
      tokens.push({type: 'word', value: line.slice(index, end)});
      index = end;
    } else {
      tokens.push({type: 'punct', value: char});
      index += 1;
    }
  }
  return tokens;
}

/** Milliseconds of `<number> [ms|s|m]` at `tokens[at]` (bare numbers are seconds), or null. */
function readTime(
  tokens: readonly Token[],
  at: number,
): {readonly ms: number; readonly next: number} | null {
  const number = tokens[at];
  if (number?.type !== 'number' || !/^(\d+\.?\d*|\.\d+)$/.test(number.value)) {
    return null;
  }
  const unit = tokens[at + 1];
  const scale = unit?.type === 'word' ? timeUnits[unit.value] : undefined;
  const ms = Math.round(Number(number.value) * (scale ?? 1000));
  return {ms, next: scale === undefined ? at + 1 : at + 2};
}

/** The index after an optional `@<time>` at `tokens[at]`, or null when `@` has no time. */
function skipSpeed(tokens: readonly Token[], at: number): number | null {
  const token = tokens[at];
  if (token?.type !== 'punct' || token.value !== '@') {
    return at;
  }
  return readTime(tokens, at + 1)?.next ?? null;
}

/** The tmux key for a chord of `modifiers` and the key literal `key`, or an error message. */
function chordToTmux(modifiers: ReadonlySet<'C' | 'M' | 'S'>, key: string): string {
  const ctrl = modifiers.has('C');
  const alt = modifiers.has('M');
  const shift = modifiers.has('S');
  const prefix = (withShift: boolean): string =>
    `${ctrl ? 'C-' : ''}${alt ? 'M-' : ''}${withShift && shift ? 'S-' : ''}`;
  const tmuxName = namedKeys[key];
  if (tmuxName !== undefined) {
    if (navigationKeys.has(key)) {
      return `${prefix(true)}${tmuxName}`;
    }
    if (key === 'Tab' && shift && !ctrl && !alt) {
      return 'BTab';
    }
    if (key === 'Space' && !shift) {
      return `${prefix(false)}Space`;
    }
    if (alt && !ctrl && !shift) {
      return `M-${tmuxName}`;
    }
    throw new Error(`tmux 3.3 cannot send this chord (no terminal encoding without extended keys)`);
  }
  if ([...key].length !== 1) {
    throw new Error(`unknown key "${key}"`);
  }
  if (/[A-Za-z]/.test(key)) {
    if (ctrl && shift) {
      throw new Error(
        'tmux 3.3 cannot send Ctrl+Shift+letter (a terminal sends it as Ctrl+letter)',
      );
    }
    const letter = shift ? key.toUpperCase() : ctrl ? key.toLowerCase() : key;
    return `${prefix(false)}${letter}`;
  }
  if (shift) {
    throw new Error(`Shift+${key} is not a key: type the shifted character instead`);
  }
  if (ctrl && !controlPunctuation.has(key)) {
    throw new Error(`Ctrl+${key} has no control code`);
  }
  return `${prefix(false)}${key}`;
}

type LineResult = TapeStep | {readonly kind: 'unknown'; readonly message: string} | null;

function parseLine(line: string): LineResult {
  const tokens = tokenize(line);
  const ignored = (reason: string): TapeStep => ({kind: 'ignored', line, reason});
  const first = tokens[0];
  if (first === undefined) {
    return null;
  }
  if (first.type === 'error') {
    return ignored(first.value);
  }
  if (first.type !== 'word') {
    return ignored('not a VHS command');
  }
  const command = first.value;

  if (vhsOnlyCommands.has(command)) {
    return ignored(`${command} is VHS-only: it sends no input`);
  }

  if (command === 'Type') {
    const start = skipSpeed(tokens, 1);
    if (start === null) {
      return ignored('Type@ needs a time, as in Type@50ms "text"');
    }
    const strings: string[] = [];
    let at = start;
    while (tokens[at]?.type === 'string') {
      strings.push(tokens[at]?.value ?? '');
      at += 1;
    }
    if (strings.length === 0) {
      return ignored('Type needs a quoted string');
    }
    if (at < tokens.length) {
      return ignored('unexpected text after the string');
    }
    // VHS joins several strings with one space.
    return {kind: 'type', text: strings.join(' ')};
  }

  if (command === 'Sleep') {
    const time = readTime(tokens, 1);
    if (time === null || time.next < tokens.length) {
      return ignored('Sleep needs a time, as in Sleep 500ms, Sleep 2s or Sleep 1.5');
    }
    return {kind: 'sleep', ms: time.ms};
  }

  let key: string;
  let at: number;
  if (command in modifierCodes) {
    // Ctrl[+Alt][+Shift]+<key>: the last part is the key, the others must be modifiers.
    const parts: string[] = [];
    at = 1;
    while (tokens[at]?.type === 'punct' && tokens[at]?.value === '+') {
      const part = tokens[at + 1];
      if (part === undefined || part.type === 'error') {
        return ignored(`${command}+ needs a key`);
      }
      parts.push(part.type === 'string' ? `"${part.value}"` : part.value);
      at += 2;
    }
    const last = parts.pop();
    if (last === undefined) {
      return ignored(`${command} needs +<key>, as in ${command}+C`);
    }
    const modifiers = new Set<'C' | 'M' | 'S'>();
    for (const name of [command, ...parts]) {
      const code = modifierCodes[name];
      if (code === undefined) {
        return {kind: 'unknown', message: `"${name}" is not a modifier (Ctrl, Alt, Shift)`};
      }
      modifiers.add(code);
    }
    try {
      key = chordToTmux(modifiers, last);
    } catch (error) {
      return {kind: 'unknown', message: (error as Error).message};
    }
  } else {
    const tmuxName = namedKeys[command];
    if (tmuxName === undefined) {
      return {kind: 'unknown', message: `unknown key or command "${command}"`};
    }
    key = tmuxName;
    const next = skipSpeed(tokens, 1);
    if (next === null) {
      return ignored(`${command}@ needs a time, as in ${command}@100ms`);
    }
    at = next;
  }

  let repeat = 1;
  const count = tokens[at];
  if (count !== undefined) {
    if (count.type !== 'number' || !/^\d+$/.test(count.value) || Number(count.value) < 1) {
      return ignored('a repeat count is a positive integer');
    }
    repeat = Number(count.value);
    at += 1;
  }
  if (at < tokens.length) {
    return ignored('unexpected text after the key');
  }
  return {kind: 'key', key, repeat};
}

/**
 * Parses a VHS tape into the input steps the tmux harness replays. Blank and comment lines
 * yield nothing; VHS-only commands (`Output`, `Set`, `Require`, `Hide`, `Show`, `Wait`,
 * `Screenshot`, ...) and malformed lines yield `ignored` steps with the reason.
 * Keys map to tmux names (Backspace -> BSpace, PageUp -> PPage, PageDown -> NPage,
 * Delete -> DC, Insert -> IC, Ctrl+C -> C-c, Alt+x -> M-x, Shift+Tab -> BTab, Ctrl+Up -> C-Up).
 * `Key[@time] [count]` repeats; `Type[@time] "a" 'b'` types `a b` (the speed is dropped);
 * `Sleep 500ms`, `Sleep 2s`, `Sleep 1.5` (seconds), `Sleep 1m`.
 * Throws TapeKeyError when a line names a key that does not exist or that tmux cannot send.
 */
export function parseTape(text: string): TapeStep[] {
  const steps: TapeStep[] = [];
  const lines = text.split('\n');
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim();
    const result = parseLine(line);
    if (result === null) {
      continue;
    }
    if (result.kind === 'unknown') {
      throw new TapeKeyError(result.message, index + 1, line);
    }
    steps.push(result);
  }
  return steps;
}

/** Options of replayTape. */
export interface ReplayOptions {
  /** Factor applied to every Sleep (0 skips them); default 1. */
  readonly sleepScale?: number;
  /**
   * Called after each step was sent (ignored steps included), awaited before the next:
   * the place for a test's own `waitFor` checks.
   */
  readonly onStep?: (step: TapeStep, index: number) => void | Promise<void>;
}

/**
 * Sends `steps` to the session in order: text with `type`, keys with `send` (repeats in one
 * call), sleeps scaled by `sleepScale`. Rejects with the harness's error when tmux fails.
 */
export async function replayTape(
  session: Pick<TmuxSession, 'send' | 'type'>,
  steps: readonly TapeStep[],
  options: ReplayOptions = {},
): Promise<void> {
  const sleepScale = options.sleepScale ?? 1;
  for (const [index, step] of steps.entries()) {
    if (step.kind === 'type') {
      await session.type(step.text);
    } else if (step.kind === 'key') {
      await session.send(...Array.from({length: step.repeat}, () => step.key));
    } else if (step.kind === 'sleep' && step.ms * sleepScale > 0) {
      await sleep(step.ms * sleepScale);
    }
    await options.onStep?.(step, index);
  }
}
