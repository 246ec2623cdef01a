import {existsSync, readFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath, pathToFileURL} from 'node:url';
import {isSameList} from '../model/same-list.js';

/**
 * The one patch of Ink's internals (README, Performance: "Ink's frame"), for Ink 6.8.0 only.
 *
 * To draw a frame Ink lays every line written into a grid of one object per cell and prints
 * the grid row by row (`Output#get`): it turns each line into styled characters (tokenize),
 * makes a new blank object for each of the screen's cells, and writes every row back to text
 * comparing the styles of each pair of neighbouring cells. Its caches live for one frame. So
 * a frame costs as much as the whole screen, even when one row changed: under churn (300
 * containers, one start and stop a second, 120x30) Ink's frame work was ~17 % of the
 * dashboard's main thread plus the garbage it leaves.
 *
 * Kept across frames here: the styled characters of each line (two bounded generations) and
 * the text of each grid row, which is reused when the row holds the very same cell objects as
 * in the last frame. The styled characters and the one shared blank cell are only read after
 * they are made (Output places them in its grid and prints them), never changed, so sharing
 * them between frames shows the same. A frame with a clip (a Box with `overflow`, which the
 * dashboard never draws) goes to Ink's own code.
 */
export const inkVersionPatched = '6.8.0';

/** Lines of styled characters kept per generation (a 30-line screen writes ~35). */
const generationSize = 64;
/** Character widths kept (the dashboard shows few distinct characters). */
const maxWidths = 4096;

/** ansi-tokenize's styled character, as Ink's Output holds them. */
interface StyledChar {
  readonly type: 'char';
  readonly value: string;
  readonly fullWidth: boolean;
  readonly styles: readonly AnsiCode[];
}

interface AnsiCode {
  readonly type: 'ansi';
  readonly code: string;
  readonly endCode: string;
}

interface Tokenizer {
  readonly ansiCodesToString: (codes: readonly AnsiCode[]) => string;
  readonly diffAnsiCodes: (from: readonly AnsiCode[], to: readonly AnsiCode[]) => AnsiCode[];
}

interface OutputCaches {
  getStyledChars(line: string): readonly StyledChar[];
  getStringWidth(text: string): number;
}

type Operation =
  | {
      readonly type: 'write';
      readonly x: number;
      readonly y: number;
      readonly text: string;
      readonly transformers: readonly ((line: string, index: number) => string)[];
    }
  | {readonly type: 'clip' | 'unclip'};

interface OutputInstance {
  readonly width: number;
  readonly height: number;
  readonly operations: readonly Operation[];
  readonly caches: OutputCaches;
}

type Get = (this: OutputInstance) => {output: string; height: number};

let installed = false;

/** Ink's own Output#get, kept when patched (the tests compare frames with it). */
export const inkOriginals: {get?: Get} = {};

/**
 * Installs the frame caches, once. Returns whether they are in place: on any other Ink
 * version, or if 6.8.0's files are not as expected, nothing is changed.
 */
export async function installInkOutputCache(): Promise<boolean> {
  if (installed) {
    return true;
  }
  try {
    const entry = import.meta.resolve('ink');
    const inkRoot = fileURLToPath(new URL('..', entry));
    const manifest = JSON.parse(readFileSync(join(inkRoot, 'package.json'), 'utf8')) as {
      version?: unknown;
    };
    if (manifest.version !== inkVersionPatched) {
      return false;
    }
    const tokenizer = await importInkDependency(inkRoot, '@alcalzone/ansi-tokenize');
    if (
      typeof tokenizer?.ansiCodesToString !== 'function' ||
      typeof tokenizer.diffAnsiCodes !== 'function'
    ) {
      return false;
    }
    // The same module Ink's renderer imports (one module per URL).
    const module = (await import(new URL('output.js', entry).href)) as {
      default?: new (options: {width: number; height: number}) => OutputInstance;
    };
    const Output = module.default;
    if (typeof Output !== 'function') {
      return false;
    }
    const outputPrototype = Output.prototype as unknown as {get?: Get};
    const caches = new Output({width: 0, height: 0}).caches;
    const cachesPrototype =
      typeof caches === 'object' && caches !== null
        ? (Object.getPrototypeOf(caches) as Partial<OutputCaches> | null)
        : null;
    const originalGet = outputPrototype.get;
    const originalStyledChars = cachesPrototype?.getStyledChars;
    const originalWidth = cachesPrototype?.getStringWidth;
    if (
      cachesPrototype === null ||
      cachesPrototype === undefined ||
      typeof originalGet !== 'function' ||
      typeof originalStyledChars !== 'function' ||
      typeof originalWidth !== 'function'
    ) {
      return false;
    }
    inkOriginals.get = originalGet;
    cachesPrototype.getStyledChars = sharedStyledChars(originalStyledChars);
    outputPrototype.get = cachedGet(originalGet, originalWidth, tokenizer as Tokenizer);
    installed = true;
    return true;
  } catch {
    return false;
  }
}

/** A package Ink depends on, the copy Ink itself loads (Node's folder walk from Ink's). */
async function importInkDependency(
  inkRoot: string,
  name: string,
): Promise<Partial<Tokenizer> | undefined> {
  for (let folder = inkRoot; ; folder = dirname(folder)) {
    const root = join(folder, 'node_modules', name);
    if (existsSync(join(root, 'package.json'))) {
      const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
        exports?: {'.'?: {import?: unknown}};
      };
      const file = manifest.exports?.['.']?.import;
      return typeof file === 'string'
        ? ((await import(pathToFileURL(join(root, file)).href)) as Partial<Tokenizer>)
        : undefined;
    }
    if (dirname(folder) === folder) {
      return undefined;
    }
  }
}

/** getStyledChars with lines kept across frames (two bounded generations). */
export function sharedStyledChars<T>(
  original: (this: OutputCaches, line: string) => T,
  size = generationSize,
): (this: OutputCaches, line: string) => T {
  let current = new Map<string, T>();
  let older = new Map<string, T>();
  return function (this: OutputCaches, line: string): T {
    let chars = current.get(line);
    if (chars !== undefined) {
      return chars;
    }
    chars = older.get(line);
    if (chars === undefined) {
      chars = original.call(this, line);
    }
    if (current.size >= size) {
      older = current;
      current = new Map();
    }
    current.set(line, chars);
    return chars;
  };
}

const noStyles: readonly AnsiCode[] = [];

/** Whether two style lists set the same codes in the same order (then no code goes between). */
function isSameStyles(a: readonly AnsiCode[], b: readonly AnsiCode[]): boolean {
  if (a === b) {
    return true;
  }
  if (a.length !== b.length) {
    return false;
  }
  for (let index = 0; index < a.length; index++) {
    const x = a[index] as AnsiCode;
    const y = b[index] as AnsiCode;
    if (x.code !== y.code || x.endCode !== y.endCode) {
      return false;
    }
  }
  return true;
}

/**
 * The text of one grid row: each cell's character, with the codes that change the style
 * between neighbours (ansi-tokenize's own diff) and those that end it after the last; cells
 * of equal styles need no diff, which is most of them.
 */
export function rowText(cells: readonly StyledChar[], tokenizer: Tokenizer): string {
  let text = '';
  let styles = noStyles;
  for (const cell of cells) {
    if (!isSameStyles(styles, cell.styles)) {
      text += tokenizer.ansiCodesToString(tokenizer.diffAnsiCodes(styles, cell.styles));
      styles = cell.styles;
    }
    text += cell.value;
  }
  if (styles.length > 0) {
    text += tokenizer.ansiCodesToString(tokenizer.diffAnsiCodes(styles, noStyles));
  }
  return text;
}

/** Output#get with the grid's blank cell shared and rows' text kept across frames. */
function cachedGet(
  original: Get,
  stringWidth: (this: OutputCaches, text: string) => number,
  tokenizer: Tokenizer,
): Get {
  const blank: StyledChar = Object.freeze({
    type: 'char',
    value: ' ',
    fullWidth: false,
    styles: Object.freeze([]) as readonly AnsiCode[],
  });
  const widths = new Map<string, number>();
  let lastRows: {readonly cells: readonly StyledChar[]; readonly text: string}[] = [];
  return function (this: OutputInstance) {
    for (const operation of this.operations) {
      if (operation.type !== 'write') {
        return original.call(this);
      }
    }
    const grid: StyledChar[][] = [];
    for (let y = 0; y < this.height; y++) {
      grid.push(new Array<StyledChar>(this.width).fill(blank));
    }
    for (const operation of this.operations) {
      if (operation.type !== 'write' || operation.text === '') {
        continue;
      }
      const lines = operation.text.split('\n');
      let row = operation.y;
      for (let index = 0; index < lines.length; index++) {
        const cells = grid[row];
        if (cells === undefined) {
          continue; // below the frame, as Ink skips it
        }
        let line = lines[index] as string;
        for (const transformer of operation.transformers) {
          line = transformer(line, index);
        }
        let x = operation.x;
        for (const character of this.caches.getStyledChars(line)) {
          cells[x] = character;
          let width = widths.get(character.value);
          if (width === undefined) {
            width = Math.max(1, stringWidth.call(this.caches, character.value));
            if (widths.size >= maxWidths) {
              widths.clear();
            }
            widths.set(character.value, width);
          }
          // A wide character's other cells are empty, in its style.
          for (let extra = 1; extra < width; extra++) {
            cells[x + extra] = {
              type: 'char',
              value: '',
              fullWidth: false,
              styles: character.styles,
            };
          }
          x += width;
        }
        row++;
      }
    }
    const rows: {readonly cells: readonly StyledChar[]; readonly text: string}[] = [];
    const texts: string[] = [];
    for (let y = 0; y < grid.length; y++) {
      // Cells past a wide character at the edge may leave holes: they print nothing.
      const cells = (grid[y] as StyledChar[]).filter((cell) => cell !== undefined);
      const last = lastRows[y];
      const text =
        last !== undefined && isSameList(last.cells, cells)
          ? last.text
          : rowText(cells, tokenizer).trimEnd();
      rows.push({cells, text});
      texts.push(text);
    }
    lastRows = rows;
    return {output: texts.join('\n'), height: grid.length};
  };
}
