import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {JsonArraySlicer, JsonSliceError} from '../../source/engine/json-array-slicer.js';

/**
 * The items of `text` as readContainerList gets them: slice after slice, each parsed as
 * `[slice]`. `sizes` are used in turn (cycled) as the size of each slice.
 */
function sliceItems(text: string, sizes: readonly number[]): unknown[] {
  const slicer = new JsonArraySlicer(text);
  const items: unknown[] = [];
  for (let call = 0; ; call++) {
    const size = sizes[call % sizes.length] ?? 1;
    const slice = slicer.next(size);
    if (slice === null) {
      break;
    }
    const parsed: unknown = JSON.parse(`[${slice}]`);
    expect(Array.isArray(parsed)).toBe(true);
    items.push(...(parsed as unknown[]));
  }
  // Once done, the slicer stays done.
  expect(slicer.next(1)).toBeNull();
  return items;
}

/** The slices themselves, for checks on their length. */
function slices(text: string, size: number): string[] {
  const slicer = new JsonArraySlicer(text);
  const found: string[] = [];
  for (let slice = slicer.next(size); slice !== null; slice = slicer.next(size)) {
    found.push(slice);
  }
  return found;
}

/** What JSON.parse makes of `text`: its value, or 'rejected'. */
function parseWhole(text: string): {ok: true; value: unknown} | {ok: false} {
  try {
    return {ok: true, value: JSON.parse(text)};
  } catch {
    return {ok: false};
  }
}

const everySize = (text: string): number[] =>
  Array.from({length: Math.max(1, text.length)}, (_, index) => index + 1);

const validArrays: Record<string, string> = {
  'strings with commas, brackets, braces':
    '["a,b", ",", "[", "]", "{", "}", "[1,2]", "{\\"a\\":1}"]',
  'escaped backslashes and quotes': String.raw`["a\\", "\"", "\\\"", "\\\\", ",\",", "\"]", "x\\\\\"y"]`,
  'unicode escapes and raw unicode': String.raw`["\u005d", "\u0022", "\u005c", "é", "🐳", "\u2028"]`,
  'nested arrays and objects': '[[1,[2,[3,[]]]],{"a":{"b":[{"c":"]}"}]}},[],{},[[],[{}]]]',
  'whitespace everywhere':
    ' \n\t[ \r\n 1 , [ 2 , [ ] ] ,\t{ "a" : [ 1 , { } ] , "b" : "x" } \n, "s p a c e" , null\t]\r\n ',
  'scalars of each kind': '[0,-1,1.5e10,-0.0,true,false,null,"",""]',
  'a single item': '[{"Id":"abc","Names":["/n"],"Ports":[]}]',
  'docker-like items': JSON.stringify(
    Array.from({length: 6}, (_, index) => ({
      Id: `${index}`.repeat(10),
      Names: [`/c${index}`],
      Labels: {'a,b': '[x]', quote: '"', slash: '\\'},
      Ports: [{IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8000 + index, Type: 'tcp'}],
    })),
    null,
    2,
  ),
};

describe('JsonArraySlicer on valid arrays', () => {
  for (const [what, text] of Object.entries(validArrays)) {
    it(`${what}: every slice size gives the items of JSON.parse`, () => {
      const expected = JSON.parse(text) as unknown[];
      for (const size of everySize(text)) {
        expect(sliceItems(text, [size]), `size ${size}`).toEqual(expected);
      }
      // Sizes that change from one slice to the next.
      expect(sliceItems(text, [1, 7, 3, 50, 2])).toEqual(expected);
    });
  }

  it('each slice but the last reaches the size asked for', () => {
    const text = validArrays['docker-like items'] as string;
    for (const size of [1, 10, 100, 400, 1000]) {
      const found = slices(text, size);
      expect(found.length).toBeGreaterThan(0);
      for (const slice of found.slice(0, -1)) {
        expect(slice.length).toBeGreaterThanOrEqual(size);
      }
    }
    // A size past the text gives one slice of everything.
    expect(slices(text, text.length + 1)).toHaveLength(1);
  });

  it('an empty array gives no slice at all', () => {
    for (const text of ['[]', '[ ]', ' [\n\t] ', '\r\n[\r\n]\r\n']) {
      const slicer = new JsonArraySlicer(text);
      expect(slicer.next(1), JSON.stringify(text)).toBeNull();
      expect(slicer.next(1000)).toBeNull();
      expect(sliceItems(text, [1])).toEqual([]);
    }
  });

  it('offset moves past each slice and ends at the end of the text', () => {
    const text = '[1,2,3]';
    const slicer = new JsonArraySlicer(text);
    expect(slicer.offset).toBe(1);
    expect(slicer.next(1)).toBe('1');
    expect(slicer.offset).toBe(3);
    expect(slicer.next(1)).toBe('2');
    expect(slicer.next(1)).toBe('3');
    expect(slicer.offset).toBe(text.length);
    expect(slicer.next(1)).toBeNull();
  });
});

describe('JsonArraySlicer on invalid text', () => {
  const notArrays = ['', '   ', '{}', '{"a":[1]}', '1', '"[]"', 'null', 'x[]', '\uFEFF[]', ']'];
  it('text that does not start with "[" throws JsonSliceError at construction', () => {
    for (const text of notArrays) {
      expect(() => new JsonArraySlicer(text), JSON.stringify(text)).toThrow(JsonSliceError);
    }
  });

  it('a JsonSliceError is a SyntaxError with the offset where the slicer gave up', () => {
    let caught: unknown;
    try {
      new JsonArraySlicer('  {"a":1}');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SyntaxError);
    expect(caught).toBeInstanceOf(JsonSliceError);
    expect((caught as JsonSliceError).offset).toBe(2);
    expect((caught as JsonSliceError).message).toContain('at offset 2');
  });

  /** Structural faults the slicer itself sees, whatever the slice size. */
  const sliceErrors: Record<string, string> = {
    'unterminated string': '["abc]',
    'unterminated string after an escaped quote': String.raw`["abc\"]`,
    'unterminated string in a later item': '[1, 2, "x]',
    'unterminated array': '[1,2',
    'unterminated nested array': '[[1,2]',
    'unterminated object': '[{"a":1}',
    'stray } at the top level': '[1}',
    'stray } after an item': '[1,2}]',
    'text after ]': '[1] x',
    'a second array after ]': '[1][2]',
    'a second empty array after ]': '[] []',
    'a comma after ]': '[1],',
    'an extra ]': '[1]]',
  };
  for (const [what, text] of Object.entries(sliceErrors)) {
    it(`${what}: throws JsonSliceError for every slice size`, () => {
      expect(() => JSON.parse(text)).toThrow(SyntaxError);
      for (const size of everySize(text)) {
        expect(() => sliceItems(text, [size]), `size ${size}`).toThrow(JsonSliceError);
      }
    });
  }

  /** Faults that may be left to JSON.parse of a slice, depending on where slices fall. */
  const parseErrors: Record<string, string> = {
    'trailing comma': '[1,]',
    'trailing comma and space': '[1, \n]',
    'empty item': '[1,,2]',
    'empty first item': '[,1]',
    'only a comma': '[,]',
    'blank item': '[1, ,2]',
    'two items without a comma': '[1 2]',
    'mismatched brackets': '[[1},2]',
    'mismatched braces': '[{"a":1],2]',
    'an object key without a value': '[{"a"}]',
    'a single-quoted string': "['a']",
    'a leading zero': '[01]',
    'a bare word': '[tru]',
    'a raw newline in a string': '["a\nb"]',
    'a comment': '[1 /* x */]',
    NaN: '[NaN]',
  };
  for (const [what, text] of Object.entries(parseErrors)) {
    it(`${what}: rejected for every slice size`, () => {
      expect(() => JSON.parse(text)).toThrow(SyntaxError);
      for (const size of everySize(text)) {
        expect(() => sliceItems(text, [size]), `size ${size}`).toThrow(SyntaxError);
      }
    });
  }

  it('an empty item is a JsonSliceError when slices fall around it', () => {
    expect(() => sliceItems('[1,]', [1])).toThrow(JsonSliceError);
    expect(() => sliceItems('[1, ,2]', [1])).toThrow(JsonSliceError);
  });
});

/** Characters that matter to the slicer or to JSON, mixed into random text. */
const jsonish = fc.constantFrom(
  '[',
  ']',
  '{',
  '}',
  ',',
  ':',
  '"',
  '\\',
  '\\"',
  '\\\\',
  ' ',
  '\n',
  '\t',
  '\r',
  '\u00a0',
  '\uFEFF',
  '\u2028',
  '0',
  '1',
  '-',
  '.',
  'e',
  'a',
  'true',
  'null',
  '"x"',
  '"a,b"',
  '[]',
  '{}',
  '🐳',
  '\u0000',
);

/** Valid array text, stringified with or without indentation. */
const arrayText = fc
  .tuple(
    fc.array(fc.jsonValue({maxDepth: 4}), {maxLength: 12}),
    fc.constantFrom<undefined | number | string>(undefined, 0, 1, 2, '\t', ' \r\n'),
  )
  .map(([items, indent]) => {
    if (typeof indent === 'string') {
      // JSON.stringify accepts only its own indent; put odd white space around tokens instead.
      return JSON.stringify(items, null, 1).replaceAll('\n', `\n${indent}`);
    }
    return JSON.stringify(items, null, indent);
  });

/** One edit of a text: insert, delete, replace or duplicate at some position. */
const edit = fc.tuple(
  fc.constantFrom('insert', 'delete', 'replace', 'duplicate'),
  fc.double({min: 0, max: 1, noNaN: true}),
  fc.string({unit: jsonish, maxLength: 3}),
);

function applyEdit(text: string, [kind, where, piece]: [string, number, string]): string {
  const at = Math.min(text.length, Math.floor(where * (text.length + 1)));
  switch (kind) {
    case 'insert':
      return text.slice(0, at) + piece + text.slice(at);
    case 'delete':
      return text.slice(0, at) + text.slice(at + 1 + piece.length);
    case 'replace':
      return text.slice(0, at) + piece + text.slice(at + Math.max(1, piece.length));
    default:
      return text.slice(0, at) + text.slice(at, at + 1 + piece.length * 3) + text.slice(at);
  }
}

/** Random text: arbitrary unicode, JSON-ish soup, or valid arrays with a few edits. */
const anyText = fc.oneof(
  fc.string({unit: 'binary', maxLength: 40}),
  fc.string({unit: 'binary', maxLength: 40}).map((text) => `[${text}]`),
  fc.string({unit: jsonish, maxLength: 40}),
  fc.string({unit: jsonish, maxLength: 40}).map((text) => `[${text}]`),
  fc
    .tuple(arrayText, fc.array(edit, {minLength: 1, maxLength: 3}))
    .map(([text, edits]) => edits.reduce(applyEdit, text)),
);

const sliceSizes = fc.array(fc.integer({min: 1, max: 64}), {minLength: 1, maxLength: 5});

describe('JsonArraySlicer properties', () => {
  it('any JSON array, with or without indentation, sliced at any sizes gives its items', () => {
    fc.assert(
      fc.property(arrayText, sliceSizes, (text, sizes) => {
        expect(sliceItems(text, sizes)).toEqual(JSON.parse(text));
      }),
      {seed: 42, numRuns: 2000},
    );
  });

  it('never accepts text JSON.parse rejects, and gives exactly the items of any array it accepts', () => {
    let accepted = 0;
    let rejected = 0;
    fc.assert(
      fc.property(anyText, sliceSizes, (text, sizes) => {
        const whole = parseWhole(text);
        let items: unknown[] | undefined;
        let failure: unknown;
        try {
          items = sliceItems(text, sizes);
        } catch (error) {
          failure = error;
        }
        if (items === undefined) {
          rejected++;
          // Failures are syntax errors (the slicer's or JSON.parse's), never anything else.
          expect(failure).toBeInstanceOf(SyntaxError);
          // A valid array is never turned down either.
          expect(whole.ok && Array.isArray(whole.value)).toBe(false);
          return;
        }
        accepted++;
        expect(whole.ok).toBe(true);
        expect(whole.ok && whole.value).toEqual(items);
      }),
      {seed: 42, numRuns: 4000},
    );
    // The generator reaches both sides.
    expect(accepted).toBeGreaterThan(100);
    expect(rejected).toBeGreaterThan(100);
  });
});
