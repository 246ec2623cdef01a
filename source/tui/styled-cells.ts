/**
 * Pure pieces of the frame cache (ink-frame-cache.ts): a line of text with SGR codes into
 * Ink's styled cells and back, giving exactly what Ink's own tokenizer and
 * styledCharsToString give, with less work per cell.
 */
import {
  type AnsiCode,
  ansiCodesToString,
  diffAnsiCodes,
  reduceAnsiCodesIncremental,
  type StyledChar,
  type Token,
  tokenize,
} from '@alcalzone/ansi-tokenize';

/** The end of an SGR sequence (`ESC [ digits/semicolons m`) starting at `start`, or -1. */
function sgrEnd(line: string, start: number): number {
  if (line.charCodeAt(start + 1) !== 0x5b) {
    return -1;
  }
  for (let index = start + 2; index < line.length; index++) {
    const code = line.charCodeAt(index);
    if (code === 0x6d) {
      return index;
    }
    if (code !== 0x3b && (code < 0x30 || code > 0x39)) {
      return -1;
    }
  }
  return -1;
}

/** Whether a UTF-16 code is printable ASCII (space to `~`): one column, never joined. */
export function isPrintableAscii(code: number): boolean {
  return code >= 0x20 && code <= 0x7e;
}

/**
 * The tokens Ink's tokenizer gives for `line`, found faster, or null when only Ink's tokenizer
 * will do: an escape other than SGR (links, the C1 CSI), or a non-ASCII character right after
 * an SGR sequence. Printable ASCII characters are taken one by one; any other stretch goes to
 * Ink's tokenizer together with the ASCII character on each side of it, since a mark may join
 * the character before it and a prepended character the one after it, while two printable
 * ASCII characters never join.
 */
export function fastTokens(line: string): Token[] | null {
  if (line.includes('\u009B')) {
    return null;
  }
  const tokens: Token[] = [];
  let index = 0;
  while (index < line.length) {
    const code = line.charCodeAt(index);
    if (code === 0x1b) {
      const end = sgrEnd(line, index);
      // Ink's tokenizer drops a mark that follows an SGR sequence (it joins the final m):
      // leave such lines to it rather than guess.
      if (end === -1 || isOther(line, end + 1)) {
        return null;
      }
      tokens.push(...tokenize(line.slice(index, end + 1)));
      index = end + 1;
    } else if (isPrintableAscii(code) && !isOther(line, index + 1)) {
      tokens.push({type: 'char', value: line[index] as string, fullWidth: false});
      index++;
    } else {
      // A stretch of other characters, with the ASCII character before it (this one, when
      // it is ASCII) and the one after it; never across an escape, which always breaks.
      let end = isPrintableAscii(code) ? index + 1 : index;
      for (;;) {
        while (isOther(line, end)) {
          end++;
        }
        if (end < line.length && isPrintableAscii(line.charCodeAt(end))) {
          end++;
          if (isOther(line, end)) {
            // That ASCII character may join the next stretch: keep going.
            continue;
          }
        }
        break;
      }
      tokens.push(...tokenize(line.slice(index, end)));
      index = end;
    }
  }
  return tokens;
}

/** Whether the character at `index` is neither printable ASCII nor an escape (nor the end). */
function isOther(line: string, index: number): boolean {
  if (index >= line.length) {
    return false;
  }
  const code = line.charCodeAt(index);
  return code !== 0x1b && !isPrintableAscii(code);
}

/**
 * Ink's styledCharsFromTokens, except that characters in the same style share one styles array
 * (Ink copies it for each character). Cells are only read, so sharing is safe, and it lets
 * `cellsToString` see at a glance that two neighbours need no codes between them.
 */
export function styledCharsOf(tokens: readonly Token[]): StyledChar[] {
  let styles: AnsiCode[] = [];
  const cells: StyledChar[] = [];
  for (const token of tokens) {
    if (token.type === 'ansi') {
      styles = reduceAnsiCodesIncremental(styles, [token]);
    } else {
      cells.push({type: 'char', value: token.value, fullWidth: token.fullWidth, styles});
    }
  }
  return cells;
}

function sameStyles(left: readonly AnsiCode[], right: readonly AnsiCode[]): boolean {
  if (left === right) {
    return true;
  }
  if (left.length !== right.length) {
    return false;
  }
  for (let index = 0; index < left.length; index++) {
    if (left[index] !== right[index]) {
      return false;
    }
  }
  return true;
}

/**
 * Ink's styledCharsToString, without asking for the codes between two neighbours in the very
 * same style: Ink's diff of a style with itself is always empty, and computing it for every
 * cell (three sets and four arrays each) is most of the cost of a changed row.
 */
export function cellsToString(cells: readonly StyledChar[]): string {
  let text = '';
  for (let index = 0; index < cells.length; index++) {
    const cell = cells[index] as StyledChar;
    if (index === 0) {
      text += ansiCodesToString(cell.styles);
    } else {
      const before = (cells[index - 1] as StyledChar).styles;
      if (!sameStyles(before, cell.styles)) {
        text += ansiCodesToString(diffAnsiCodes(before, cell.styles));
      }
    }
    text += cell.value;
    if (index === cells.length - 1) {
      text += ansiCodesToString(diffAnsiCodes(cell.styles, []));
    }
  }
  return text;
}
