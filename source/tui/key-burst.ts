import type {KeyPress} from './types.js';

/** The flags of one character of a burst of input. */
function flagsOf(char: string): KeyPress['key'] {
  if (char === '\r' || char === '\n') {
    return {return: true};
  }
  if (char === '\u007F' || char === '\b') {
    return {backspace: true};
  }
  return {};
}

/**
 * The single key presses of a burst of typed text (a paste, fast typing) that Ink handed over
 * as one input, so "/8080⏎" reads exactly as if typed slowly; undefined when `press` is one
 * key (or a chord: Ctrl, Meta, Escape sequences are never split).
 */
export function splitKeyBurst(press: KeyPress): KeyPress[] | undefined {
  const {input, key} = press;
  if (input.length <= 1 || key.ctrl || key.meta || key.escape) {
    return undefined;
  }
  return [...input].map((char) => ({input: char === '\r' ? '' : char, key: flagsOf(char)}));
}
