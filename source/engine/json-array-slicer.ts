/**
 * Splits the text of a JSON array into runs of whole top-level items, so a long body can be
 * parsed a slice at a time (each with JSON.parse) with a look at the clock in between.
 *
 * The slicer only tracks strings and bracket depth; JSON.parse checks each slice. If every
 * slice `s` gives a valid `[s]`, no slice is blank, and the slicer saw the opening and the
 * closing bracket with nothing but white space around them, then the whole text is a valid
 * JSON array whose items are the slices' items in order: an invalid body can never be
 * accepted, whatever the slicer made of it.
 */

const quote = 0x22;
const backslash = 0x5c;
const comma = 0x2c;
const openSquare = 0x5b;
const closeSquare = 0x5d;
const openCurly = 0x7b;
const closeCurly = 0x7d;

/**
 * Deepest nesting accepted inside an item. An engine's container objects nest a handful of
 * levels (NetworkSettings.Networks.NAME.IPAMConfig); JSON.parse of deep nesting runs at about
 * 1 µs a byte, so one item of millions of `[` would hold the thread for seconds past any
 * deadline, as a single slice cannot be cut.
 */
const maxItemDepth = 256;

function isJsonSpace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;
}

/** Thrown for text that cannot be a JSON array; `offset` is where the slicer gave up. */
export class JsonSliceError extends SyntaxError {
  readonly offset: number;

  constructor(message: string, offset: number) {
    super(`${message} at offset ${offset}`);
    this.name = 'JsonSliceError';
    this.offset = offset;
  }
}

export class JsonArraySlicer {
  readonly #text: string;
  #position: number;
  #done = false;

  /** Throws JsonSliceError when `text` does not start (after white space) with `[`. */
  constructor(text: string) {
    this.#text = text;
    let position = 0;
    while (position < text.length && isJsonSpace(text.charCodeAt(position))) {
      position++;
    }
    if (text.charCodeAt(position) !== openSquare) {
      throw new JsonSliceError(
        `expected a JSON array, found ${describeStart(text, position)}`,
        position,
      );
    }
    position++;
    while (position < text.length && isJsonSpace(text.charCodeAt(position))) {
      position++;
    }
    this.#position = position;
    if (text.charCodeAt(position) === closeSquare) {
      this.#finish(position + 1);
    }
  }

  /** Where the next slice starts, in characters from the start of the text. */
  get offset(): number {
    return this.#position;
  }

  /**
   * The next run of whole items (their text, without brackets, joined by commas) that
   * reaches at least `size` characters, or what is left; null when every item was given.
   * Throws JsonSliceError on an unterminated string or array, a stray closing bracket, an
   * empty item, nesting deeper than maxItemDepth, or text after the closing bracket.
   */
  next(size: number): string | null {
    if (this.#done) {
      return null;
    }
    const text = this.#text;
    const start = this.#position;
    const target = start + size;
    let depth = 0;
    let index = start;
    while (index < text.length) {
      const code = text.charCodeAt(index);
      if (code === quote) {
        index = closingQuote(text, index) + 1;
        continue;
      }
      if (code === openSquare || code === openCurly) {
        depth++;
        if (depth > maxItemDepth) {
          throw new JsonSliceError(`nesting deeper than ${maxItemDepth} levels`, index);
        }
      } else if (code === closeSquare || code === closeCurly) {
        if (depth === 0) {
          if (code !== closeSquare) {
            throw new JsonSliceError('unexpected "}"', index);
          }
          this.#finish(index + 1);
          return checkedSlice(text, start, index);
        }
        depth--;
      } else if (code === comma && depth === 0 && index >= target) {
        this.#position = index + 1;
        return checkedSlice(text, start, index);
      }
      index++;
    }
    throw new JsonSliceError('unterminated array', text.length);
  }

  #finish(afterBracket: number): void {
    const text = this.#text;
    let position = afterBracket;
    while (position < text.length && isJsonSpace(text.charCodeAt(position))) {
      position++;
    }
    if (position < text.length) {
      throw new JsonSliceError('text after the end of the array', position);
    }
    this.#done = true;
    this.#position = text.length;
  }
}

/** Index of the quote that closes the string opening at `open`. */
function closingQuote(text: string, open: number): number {
  let candidate = text.indexOf('"', open + 1);
  while (candidate !== -1) {
    let backslashes = 0;
    while (text.charCodeAt(candidate - 1 - backslashes) === backslash) {
      backslashes++;
    }
    if (backslashes % 2 === 0) {
      return candidate;
    }
    candidate = text.indexOf('"', candidate + 1);
  }
  throw new JsonSliceError('unterminated string', open);
}

function checkedSlice(text: string, start: number, end: number): string {
  for (let index = start; index < end; index++) {
    if (!isJsonSpace(text.charCodeAt(index))) {
      return text.slice(start, end);
    }
  }
  throw new JsonSliceError('empty array item', start);
}

function describeStart(text: string, position: number): string {
  if (position >= text.length) {
    return 'nothing';
  }
  const code = text.charCodeAt(position);
  if (code === openCurly) {
    return 'an object';
  }
  if (code === quote) {
    return 'a string';
  }
  return JSON.stringify(text.slice(position, position + 10));
}
