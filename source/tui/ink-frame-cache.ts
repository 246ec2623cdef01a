/**
 * Ink 6 draws every frame from scratch: it splits each line of text into graphemes
 * (Intl.Segmenter), parses its ANSI codes into styled cells, lays the cells on a fresh
 * width x height grid of new objects, then turns every row of the grid back into a string, cell
 * by cell. Its caches live for one frame. On a loaded 2-core VM, at 300 rows, that puts a key
 * 46 ms from the screen at the median, 77 ms at p95 and over 100 ms at worst; with this module,
 * 6 ms, 16 ms and 37 ms (README, Performance: the goal is p95 <= 50 ms, max <= 100 ms).
 *
 * This module keeps that work across frames:
 * - the styled cells and widths of a line are remembered for this frame and the last one, so
 *   an unchanged line is neither segmented nor parsed again, and keeps the same cell objects;
 * - a line that changed is split into characters without Intl.Segmenter where that cannot
 *   change the result: between two printable ASCII characters there is always a grapheme
 *   break, so only the stretches around other characters go through Ink's tokenizer;
 * - a row whose placements (each line written on it: where, and the very same cells) are
 *   those of the last frame's row at that height reuses that row's string, without laying a
 *   single cell; a row that changed is laid on one shared blank cell, not width new ones;
 * - a changed row becomes a string without asking for the codes between neighbours in the same
 *   style (characters in one style share one styles array), which Ink computes cell by cell.
 *
 * The dashboard redraws rarely (when the screen changes), so this code mostly runs cold, in
 * V8's interpreter: doing less per cell matters more than doing it cleverly.
 *
 * It does so by patching two prototypes of Ink's private Output module (found next to Ink's
 * entry point). Frames come out byte for byte as Ink's own (tests draw real dashboard frames and
 * edge cases, wide characters, styles, transformers, overlaps, with Ink before the patch and
 * again after it); frames that clip (overflow="hidden") take Ink's own path. If a future Ink
 * moves or reshapes those internals, nothing is patched and `installInkFrameCache` says why:
 * it patches Ink 6.8.0 only (the release it was verified on) and checks the shapes it relies on
 * first. A test pins the installed Ink so that an upgrade fails loudly rather than silently
 * losing the speed.
 */
import {readFile} from 'node:fs/promises';
import {type StyledChar, tokenize} from '@alcalzone/ansi-tokenize';
import {cellsToString, fastTokens, isPrintableAscii, styledCharsOf} from './styled-cells.js';

/** The per-frame cache methods of Ink's private OutputCaches class. */
interface CacheMethods {
  getStyledChars(line: string): StyledChar[];
  getStringWidth(text: string): number;
  getWidestLine(text: string): number;
}

type CacheKind = keyof CacheMethods;
type Transformer = (line: string, index: number) => string;

/** An operation recorded by Ink's Output (write, clip or unclip). */
interface Operation {
  readonly type: string;
  readonly x?: number;
  readonly y?: number;
  readonly text?: string;
  readonly transformers?: readonly Transformer[];
}

/** The fields of an Ink Output instance this relies on. */
interface OutputInstance {
  readonly width: number;
  readonly height: number;
  readonly operations: readonly Operation[];
  readonly caches: CacheMethods;
}

type OutputGet = (this: OutputInstance) => {output: string; height: number};

interface OutputClass {
  new (options: {width: number; height: number}): OutputInstance;
  prototype: {get: OutputGet};
}

/** Whether the cache is active, and if not, why. */
export type FrameCacheState =
  | {readonly active: true}
  | {readonly active: false; readonly why: string};

const cacheKinds: readonly CacheKind[] = ['getStyledChars', 'getStringWidth', 'getWidestLine'];
type Generation = Record<CacheKind, Map<string, unknown>>;
const newGeneration = (): Generation => ({
  getStyledChars: new Map(),
  getStringWidth: new Map(),
  getWidestLine: new Map(),
});

/** One row of the last frame: the frame width, what was placed on the row, and its text. */
interface RowMemo {
  readonly width: number;
  readonly placements: readonly Placement[];
  readonly text: string;
}

let installed: Promise<FrameCacheState> | undefined;
let current = newGeneration();
let previous = newGeneration();
let rowMemos: RowMemo[] = [];
let counters = {lineHits: 0, lineMisses: 0, rowHits: 0, rowMisses: 0};

/** Ink's empty cell, shared: cells are only read once placed. */
const blankCell: StyledChar = {type: 'char', value: ' ', fullWidth: false, styles: []};

/** Looks `key` up in this frame's and the last frame's results; computes it on a miss. */
function remember<Value>(kind: CacheKind, key: string, compute: () => Value): Value {
  const now = current[kind];
  if (now.has(key)) {
    return now.get(key) as Value;
  }
  let value: Value;
  if (previous[kind].has(key)) {
    counters.lineHits++;
    value = previous[kind].get(key) as Value;
  } else {
    counters.lineMisses++;
    value = compute();
  }
  now.set(key, value);
  return value;
}

/** One line of a write, as placed on a row: where it starts, and its cells (shared across frames). */
interface Placement {
  readonly x: number;
  readonly cells: readonly StyledChar[];
}

/** The placements on each row, in Ink's order: writes in turn, transformers applied per line. */
function placementsByRow(output: OutputInstance): Placement[][] {
  const rows: Placement[][] = Array.from({length: output.height}, () => []);
  for (const {x = 0, y = 0, text, transformers = []} of output.operations) {
    if (!text) {
      continue;
    }
    const lines = text.split('\n');
    for (let index = 0; index < lines.length; index++) {
      const row = rows[y + index];
      if (row === undefined) {
        // Ink stops placing a text at the bottom of the grid.
        break;
      }
      let line = lines[index] as string;
      for (const transformer of transformers) {
        line = transformer(line, index);
      }
      row.push({x, cells: output.caches.getStyledChars(line)});
    }
  }
  return rows;
}

/** Columns a cell takes, as Ink measures it (at least 1); printable ASCII is 1 without asking. */
function cellWidth(character: StyledChar, caches: CacheMethods): number {
  const {value} = character;
  if (value.length === 1 && isPrintableAscii(value.charCodeAt(0))) {
    return 1;
  }
  return Math.max(1, caches.getStringWidth(value));
}

/** One row as Ink draws it: blanks, then each placement over them, wide characters padded. */
function drawRow(width: number, placements: readonly Placement[], caches: CacheMethods): string {
  const row = new Array<StyledChar>(width).fill(blankCell);
  for (const {x, cells} of placements) {
    let offsetX = x;
    for (const character of cells) {
      row[offsetX] = character;
      const columns = cellWidth(character, caches);
      for (let extra = 1; extra < columns; extra++) {
        row[offsetX + extra] = {
          type: 'char',
          value: '',
          fullWidth: false,
          styles: character.styles,
        };
      }
      offsetX += columns;
    }
  }
  // A write past the right edge leaves holes; Ink drops them.
  const cells = row.includes(undefined as unknown as StyledChar)
    ? row.filter((cell) => cell !== undefined)
    : row;
  return cellsToString(cells).trimEnd();
}

function samePlacements(left: readonly Placement[], right: readonly Placement[]): boolean {
  if (left.length !== right.length) {
    return false;
  }
  for (let index = 0; index < left.length; index++) {
    const a = left[index] as Placement;
    const b = right[index] as Placement;
    if (a.x !== b.x || a.cells !== b.cells) {
      return false;
    }
  }
  return true;
}

/**
 * Ink's Output.get for frames without clipping. A row's text follows from the frame width and
 * the placements on it, so a row placed exactly as in the last frame reuses that frame's text.
 */
function cachedGet(this: OutputInstance, inkGet: OutputGet): {output: string; height: number} {
  if (this.operations.some((operation) => operation.type !== 'write')) {
    return inkGet.call(this);
  }
  const memos: RowMemo[] = [];
  const lines = placementsByRow(this).map((placements, y) => {
    const memo = rowMemos[y];
    if (
      memo !== undefined &&
      memo.width === this.width &&
      samePlacements(memo.placements, placements)
    ) {
      counters.rowHits++;
      memos.push(memo);
      return memo.text;
    }
    counters.rowMisses++;
    const text = drawRow(this.width, placements, this.caches);
    memos.push({width: this.width, placements, text});
    return text;
  });
  rowMemos = memos;
  return {output: lines.join('\n'), height: this.height};
}

/** Ends a frame: what it used becomes "the last frame", everything older is dropped. */
function endFrame(): void {
  previous = current;
  current = newGeneration();
}

/** The one Ink release this patch was measured and verified on. */
export const verifiedInkVersion = '6.8.0';

/**
 * Why the patch refuses the Ink whose package.json gives `version`, or null for the verified
 * release. Private internals change without notice, even when their shapes stay: no other
 * version is patched, not even a patch release.
 */
export function refusesInkVersion(version: unknown): string | null {
  return version === verifiedInkVersion
    ? null
    : `Ink ${String(version)} is not the release the frame cache was verified on (${verifiedInkVersion})`;
}

async function install(): Promise<FrameCacheState> {
  let Output: OutputClass;
  try {
    const entry = import.meta.resolve('ink');
    const {version} = JSON.parse(await readFile(new URL('../package.json', entry), 'utf8')) as {
      version?: unknown;
    };
    const refusal = refusesInkVersion(version);
    if (refusal !== null) {
      return {active: false, why: refusal};
    }
    const outputUrl = new URL('output.js', entry);
    Output = ((await import(outputUrl.href)) as {default: OutputClass}).default;
  } catch (error) {
    return {active: false, why: `Ink's output module did not load: ${String(error)}`};
  }
  if (typeof Output !== 'function' || typeof Output.prototype.get !== 'function') {
    return {active: false, why: "Ink's Output class has changed shape"};
  }
  const probe = new Output({width: 0, height: 0});
  const cachePrototype = Object.getPrototypeOf(probe.caches ?? null) as Partial<CacheMethods>;
  if (
    cachePrototype === null ||
    !Array.isArray(probe.operations) ||
    cacheKinds.some((kind) => typeof cachePrototype[kind] !== 'function')
  ) {
    return {active: false, why: "Ink's output caches have changed shape"};
  }
  for (const kind of cacheKinds) {
    const inkMethod = cachePrototype[kind] as (this: unknown, key: string) => unknown;
    const compute =
      kind === 'getStyledChars'
        ? (line: string) => styledCharsOf(fastTokens(line) ?? tokenize(line))
        : inkMethod;
    Object.defineProperty(cachePrototype, kind, {
      configurable: true,
      writable: true,
      value(this: unknown, key: string) {
        return remember(kind, key, () => compute.call(this, key));
      },
    });
  }
  const inkGet = Output.prototype.get;
  Output.prototype.get = function get(this: OutputInstance) {
    try {
      return cachedGet.call(this, inkGet);
    } finally {
      endFrame();
    }
  };
  return {active: true};
}

/**
 * Makes Ink reuse the last frame's work for unchanged lines and rows (see the file comment).
 * Safe to call more than once; resolves whether the cache is active and, if not, why.
 */
export function installInkFrameCache(): Promise<FrameCacheState> {
  installed ??= install();
  return installed;
}

/** How often lines and rows were reused since the last call. */
export function takeInkFrameCacheCounters(): typeof counters {
  const taken = counters;
  counters = {lineHits: 0, lineMisses: 0, rowHits: 0, rowMisses: 0};
  return taken;
}
