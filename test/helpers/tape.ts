import {setTimeout as sleep} from 'node:timers/promises';
import type {TmuxSession} from './tmux.js';

/**
 * One step of a VHS tape, as the tmux harness replays it.
 * - `type`: literal text (`send-keys -l`);
 * - `key`: a tmux key name (`Enter`, `PPage`, `C-c`, `M-x`, ...) pressed `repeat` times;
 * - `sleep`: a pause of `ms` milliseconds;
 * - `wait`: poll until `pattern` matches the current line (`Wait`, `Wait+Line`: the line the
 *   cursor is on) or the whole screen (`Wait+Screen`), failing after `timeoutMs`;
 * - `hide` / `show`: VHS stops / resumes recording; the steps between them (the tape's set-up)
 *   are replayed all the same, as VHS runs them;
 * - `ignored`: a line that sends nothing here (VHS-only commands such as `Output`, `Set`,
 *   `Screenshot`, and malformed lines), with the reason.
 */
export type TapeStep =
  | {readonly kind: 'type'; readonly text: string}
  | {readonly kind: 'key'; readonly key: string; readonly repeat: number}
  | {readonly kind: 'sleep'; readonly ms: number}
  | TapeWait
  | {readonly kind: 'hide'}
  | {readonly kind: 'show'}
  | {readonly kind: 'ignored'; readonly line: string; readonly reason: string};

/** A `Wait[+Line|+Screen][@time] [/regex/]` line, with the tape's defaults filled in. */
export interface TapeWait {
  readonly kind: 'wait';
  /** `line`: the line the cursor is on (VHS's default); `screen`: every visible line. */
  readonly scope: 'line' | 'screen';
  /** The regex (VHS's `WaitPattern`, by default `/>$/`, when the line names none). */
  readonly pattern: RegExp;
  /** From `@time`, else `Set WaitTimeout`, else VHS's default of 15 s. */
  readonly timeoutMs: number;
  /** The tape line, trimmed, and its 1-based number: for the timeout message. */
  readonly line: string;
  readonly lineNumber: number;
}

/** A tape line the replay cannot follow: where it is and what it says. */
abstract class TapeLineError extends Error {
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

/** A tape line that names a key tmux cannot send (a typo, or a chord no terminal encodes). */
export class TapeKeyError extends TapeLineError {
  override readonly name = 'TapeKeyError' as const;
}

/**
 * A `Wait` line (or a `Set WaitTimeout` / `Set WaitPattern` line) that VHS would refuse: an
 * unknown scope, a time that is not positive, a regex that does not compile. The replay must
 * follow every wait, so such a line is an error, never skipped.
 */
export class TapeWaitError extends TapeLineError {
  override readonly name = 'TapeWaitError' as const;
}

/** VHS's defaults: `Set WaitTimeout 15s`, and a bare `Wait` looks for its prompt `> `. */
export const defaultWaitTimeoutMs = 15_000;
export const defaultWaitPattern = />$/;

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

/** VHS commands that record or configure, and send no input to the program. */
const vhsOnlyCommands = new Set([
  'Output',
  'Set',
  'Require',
  'Screenshot',
  'Copy',
  'Paste',
  'Env',
  'Source',
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
 * An unterminated string or regex ends the line with an `error` token.
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
        tokens.push({type: 'error', value: `unterminated ${char === '/' ? 'regex' : 'string'}`});
        return tokens;
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

/**
 * A Go (RE2) regex from a tape as a JavaScript RegExp, or why it cannot be one. A leading
 * `(?i)`, `(?m)` or `(?s)` becomes the flag of that name and `(?P<name>` becomes `(?<name>`;
 * the rest of the simple syntax tapes use is the same in both.
 */
function compileTapeRegex(source: string): RegExp | string {
  let body = source;
  let flags = '';
  const inline = /^\(\?([A-Za-z]+)\)/.exec(body);
  if (inline !== null) {
    const letters = inline[1] ?? '';
    const unsupported = [...letters].filter((flag) => !'ims'.includes(flag));
    if (unsupported.length > 0) {
      return `the regex flag ${unsupported.join('')} has no JavaScript equivalent (use i, m or s)`;
    }
    flags = [...new Set(letters)].join('');
    body = body.slice(inline[0].length);
  }
  try {
    return new RegExp(body.replaceAll('(?P<', '(?<'), flags);
  } catch (error) {
    return `invalid regex /${source}/: ${(error as Error).message}`;
  }
}

/** The wait settings in force at a point of the tape (`Set WaitTimeout`, `Set WaitPattern`). */
interface WaitSettings {
  timeoutMs: number;
  pattern: RegExp;
}

type LineResult =
  | TapeStep
  | {readonly kind: 'bad-key'; readonly message: string}
  | {readonly kind: 'bad-wait'; readonly message: string}
  | null;

/** `Wait[+Line|+Screen][@time] [/regex/]`, as VHS's parser reads it. */
function parseWait(
  tokens: readonly Token[],
  line: string,
  lineNumber: number,
  settings: WaitSettings,
): LineResult {
  const bad = (message: string): LineResult => ({kind: 'bad-wait', message});
  let at = 1;
  let scope: 'line' | 'screen' = 'line';
  if (tokens[at]?.type === 'punct' && tokens[at]?.value === '+') {
    const name = tokens[at + 1];
    if (name?.type !== 'word' || (name.value !== 'Line' && name.value !== 'Screen')) {
      return bad('Wait+ takes Line or Screen, as in Wait+Screen /ready/');
    }
    scope = name.value === 'Line' ? 'line' : 'screen';
    at += 2;
  }
  let timeoutMs = settings.timeoutMs;
  if (tokens[at]?.type === 'punct' && tokens[at]?.value === '@') {
    const time = readTime(tokens, at + 1);
    if (time === null || time.ms <= 0) {
      return bad('Wait@ needs a positive time, as in Wait@10s');
    }
    timeoutMs = time.ms;
    at = time.next;
  }
  let pattern = settings.pattern;
  const regex = tokens[at];
  if (regex !== undefined) {
    if (regex.type === 'error') {
      return bad(regex.value);
    }
    if (regex.type !== 'regex') {
      return bad('Wait takes a /regex/');
    }
    const compiled = compileTapeRegex(regex.value);
    if (typeof compiled === 'string') {
      return bad(compiled);
    }
    pattern = compiled;
    at += 1;
  }
  if (at < tokens.length) {
    return bad('unexpected text after the regex');
  }
  return {kind: 'wait', scope, pattern, timeoutMs, line, lineNumber};
}

/** `Set WaitTimeout <time>` and `Set WaitPattern /regex/`: they change the waits that follow. */
function parseWaitSetting(
  tokens: readonly Token[],
  line: string,
  settings: WaitSettings,
): LineResult {
  const setting = tokens[1]?.value;
  if (setting === 'WaitTimeout') {
    const time = readTime(tokens, 2);
    if (time === null || time.ms <= 0 || time.next < tokens.length) {
      return {kind: 'bad-wait', message: 'Set WaitTimeout needs a positive time, as in 20s'};
    }
    settings.timeoutMs = time.ms;
  } else {
    const value = tokens[2];
    if ((value?.type !== 'regex' && value?.type !== 'string') || tokens.length > 3) {
      return {kind: 'bad-wait', message: 'Set WaitPattern needs a /regex/'};
    }
    const compiled = compileTapeRegex(value.value);
    if (typeof compiled === 'string') {
      return {kind: 'bad-wait', message: compiled};
    }
    settings.pattern = compiled;
  }
  return {kind: 'ignored', line, reason: `${setting} applies to the Wait lines after it`};
}

function parseLine(line: string, lineNumber: number, settings: WaitSettings): LineResult {
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

  if (command === 'Wait') {
    return parseWait(tokens, line, lineNumber, settings);
  }
  if (
    command === 'Set' &&
    (tokens[1]?.value === 'WaitTimeout' || tokens[1]?.value === 'WaitPattern')
  ) {
    return parseWaitSetting(tokens, line, settings);
  }
  if (command === 'Hide' || command === 'Show') {
    return tokens.length === 1
      ? {kind: command === 'Hide' ? 'hide' : 'show'}
      : ignored(`${command} takes nothing after it`);
  }
  const error = tokens.find((token) => token.type === 'error');
  if (error !== undefined) {
    return ignored(error.value);
  }

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
        return {kind: 'bad-key', message: `"${name}" is not a modifier (Ctrl, Alt, Shift)`};
      }
      modifiers.add(code);
    }
    try {
      key = chordToTmux(modifiers, last);
    } catch (error) {
      return {kind: 'bad-key', message: (error as Error).message};
    }
  } else {
    const tmuxName = namedKeys[command];
    if (tmuxName === undefined) {
      return {kind: 'bad-key', message: `unknown key or command "${command}"`};
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
 * Parses a VHS tape into the steps the tmux harness replays. Blank and comment lines
 * yield nothing; VHS-only commands (`Output`, `Set`, `Require`, `Screenshot`, ...) and
 * malformed lines yield `ignored` steps with the reason.
 * Keys map to tmux names (Backspace -> BSpace, PageUp -> PPage, PageDown -> NPage,
 * Delete -> DC, Insert -> IC, Ctrl+C -> C-c, Alt+x -> M-x, Shift+Tab -> BTab, Ctrl+Up -> C-Up).
 * `Key[@time] [count]` repeats; `Type[@time] "a" 'b'` types `a b` (the speed is dropped);
 * `Sleep 500ms`, `Sleep 2s`, `Sleep 1.5` (seconds), `Sleep 1m`.
 * `Wait[+Line|+Screen][@time] [/regex/]` waits (scope Line, regex `Set WaitPattern`, else
 * `/>$/`, timeout `Set WaitTimeout`, else 15 s, as in VHS); `Hide` and `Show` are steps too.
 * Throws TapeKeyError when a line names a key that does not exist or that tmux cannot send,
 * and TapeWaitError for a Wait (or wait setting) that VHS would refuse.
 */
export function parseTape(text: string): TapeStep[] {
  const steps: TapeStep[] = [];
  const settings: WaitSettings = {timeoutMs: defaultWaitTimeoutMs, pattern: defaultWaitPattern};
  const lines = text.split('\n');
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim();
    const result = parseLine(line, index + 1, settings);
    if (result === null) {
      continue;
    }
    if (result.kind === 'bad-key') {
      throw new TapeKeyError(result.message, index + 1, line);
    }
    if (result.kind === 'bad-wait') {
      throw new TapeWaitError(result.message, index + 1, line);
    }
    steps.push(result);
  }
  return steps;
}

/** Options of replayTape. */
export interface ReplayOptions {
  /** Factor applied to every Sleep (0 skips them); default 1. Waits are never scaled. */
  readonly sleepScale?: number;
  /** How often a Wait reads the screen, in ms; default 50. */
  readonly pollMs?: number;
  /**
   * Called after each step was done (a Wait once it matched; ignored steps included), awaited
   * before the next: the place for a test's own checks.
   */
  readonly onStep?: (step: TapeStep, index: number) => void | Promise<void>;
}

/** The part of a tmux session a replay uses. */
export type ReplaySession = Pick<TmuxSession, 'send' | 'type' | 'screen' | 'cursor'>;

/** The text a Wait looks at: the whole screen, or the line the cursor is on (VHS's "Line"). */
async function waitedText(session: ReplaySession, scope: TapeWait['scope']): Promise<string> {
  if (scope === 'screen') {
    return session.screen();
  }
  const {line} = await session.cursor();
  const screen = await session.screen();
  return screen.split('\n')[line] ?? '';
}

/** How a Wait line reads in the tape, for messages: `Wait+Screen@20s /ready/`. */
function describeWait(step: TapeWait): string {
  const scope = step.scope === 'screen' ? '+Screen' : '';
  return `Wait${scope} ${step.pattern}`;
}

/**
 * Polls until the step's regex matches, as VHS does. Throws, with the tape line, the regex,
 * the text it last looked at and the whole screen, after the step's timeout.
 */
async function replayWait(session: ReplaySession, step: TapeWait, pollMs: number): Promise<void> {
  const started = Date.now();
  for (;;) {
    const text = await waitedText(session, step.scope);
    if (step.pattern.test(text)) {
      return;
    }
    if (Date.now() - started >= step.timeoutMs) {
      const screen = await session.screen();
      const looked =
        step.scope === 'screen' ? '' : `; the cursor's line was ${JSON.stringify(text)}`;
      throw new Error(
        `tape line ${step.lineNumber}: ${describeWait(step)} did not match within ${step.timeoutMs} ms${looked}; last screen:\n${screen}\n--- end of screen`,
      );
    }
    await sleep(pollMs);
  }
}

/**
 * Replays `steps` in the session in order: text with `type`, keys with `send` (repeats in one
 * call), sleeps scaled by `sleepScale`, and each Wait by polling the screen until its regex
 * matches (the line the cursor is on, or the whole screen), failing with the screen when it
 * times out. Hide and Show send nothing: the hidden set-up runs like any other step. Rejects
 * with the harness's error when tmux fails.
 */
export async function replayTape(
  session: ReplaySession,
  steps: readonly TapeStep[],
  options: ReplayOptions = {},
): Promise<void> {
  const sleepScale = options.sleepScale ?? 1;
  const pollMs = options.pollMs ?? 50;
  for (const [index, step] of steps.entries()) {
    if (step.kind === 'type') {
      await session.type(step.text);
    } else if (step.kind === 'key') {
      await session.send(...Array.from({length: step.repeat}, () => step.key));
    } else if (step.kind === 'sleep' && step.ms * sleepScale > 0) {
      await sleep(step.ms * sleepScale);
    } else if (step.kind === 'wait') {
      await replayWait(session, step, pollMs);
    }
    await options.onStep?.(step, index);
  }
}
