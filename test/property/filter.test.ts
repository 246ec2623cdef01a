import {isDeepStrictEqual} from 'node:util';
import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {
  formatFilter,
  matchesFilter,
  parseFilter,
  parsePortFilter,
  type RowFilter,
} from '../../source/model/filter.js';
import type {HelperKind} from '../../source/model/helper.js';
import type {SnapshotRow} from '../../source/model/snapshot-row.js';
import {fakeContainer, fakeRow} from '../helpers/snapshot-fixture.js';

// Seeded, so a failure replays the same way on every machine; thousands of cases each.
const runs = {seed: 3333, numRuns: 4000} as const;

/** toEqual, with a cheap check first: expect's bookkeeping costs more than the parse. */
function expectEqual<T>(actual: T, expected: T): void {
  if (!isDeepStrictEqual(actual, expected)) {
    expect(actual).toEqual(expected);
  }
}

// ---------------------------------------------------------------------------------------
// The reference: what the `/` prompt promises (README keys table, parseFilter's JSDoc),
// written as plainly as possible: ports are enumerated, text is folded code point by code
// point (no context: a capital sigma is the same letter wherever it stands).
// ---------------------------------------------------------------------------------------

/** A port as typed: one to five decimal digits meaning 1-65535. */
function referencePort(text: string): number | undefined {
  if (!/^[0-9]{1,5}$/.test(text)) {
    return undefined;
  }
  const port = Number(text);
  return port >= 1 && port <= 65_535 ? port : undefined;
}

const fold = (text: string): string =>
  Array.from(text, (char) => char.toLowerCase())
    .join('')
    .replaceAll('ς', 'σ');

/** Whether the row shows while `typed` is in the prompt. */
function referenceShows(typed: string, row: SnapshotRow): boolean {
  const text = typed.trim();
  if (text === '') {
    return true;
  }
  const ports: number[] = [];
  for (let port = row.port; port <= row.lastPort; port++) {
    ports.push(port);
  }
  // Digits not starting with 0: every port that begins with them.
  if (/^[1-9][0-9]*$/.test(text) && referencePort(text) !== undefined) {
    return ports.some((port) => String(port).startsWith(text));
  }
  // =N: that port exactly.
  const exact = /^=\s*([0-9]+)$/.exec(text);
  const exactPort = exact ? referencePort(exact[1] ?? '') : undefined;
  if (exactPort !== undefined) {
    return ports.includes(exactPort);
  }
  // A-B, forwards: any port of the row inside it.
  const range = /^([0-9]+)\s*-\s*([0-9]+)$/.exec(text);
  const from = range ? referencePort(range[1] ?? '') : undefined;
  const to = range ? referencePort(range[2] ?? '') : undefined;
  if (from !== undefined && to !== undefined && from <= to) {
    return ports.some((port) => port >= from && port <= to);
  }
  // Anything else: text, in any of the names a row shows, whatever the case.
  const fields = [row.process, row.user, row.container?.name, row.container?.image, row.helper];
  return fields.some((field) => field != null && fold(field).includes(fold(text)));
}

// ---------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------

/** Names as /proc and engines give them: ASCII mostly, sometimes any text at all. */
const name = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/),
  fc.constantFrom('nginx', 'postgres', 'docker-proxy', 'ΟΔΟΣ', 'Straße', 'İstanbul', 'ǅemal'),
  fc.string({unit: 'grapheme', maxLength: 12}),
  fc.string({unit: 'binary', maxLength: 12}),
);

const row: fc.Arbitrary<SnapshotRow> = fc
  .record({
    port: fc.oneof(
      fc.integer({min: 1, max: 65_535}),
      fc.constantFrom(1, 80, 443, 1808, 8080, 18_080, 65_535),
    ),
    width: fc.oneof(
      {weight: 4, arbitrary: fc.constant(0)},
      {weight: 1, arbitrary: fc.nat({max: 300})},
    ),
    process: fc.option(name, {nil: null}),
    user: fc.option(name, {nil: null}),
    container: fc.option(fc.tuple(name, name), {nil: null}),
    helper: fc.option(
      fc.constantFrom<HelperKind>('docker-proxy', 'conmon', 'rootlessport', 'pasta'),
      {nil: null},
    ),
  })
  .map(({port, width, process, user, container, helper}) =>
    fakeRow(port, {
      lastPort: Math.min(65_535, port + width),
      process,
      user,
      container:
        container === null ? null : fakeContainer(container[0], 'c0ffee', {image: container[1]}),
      helper,
    }),
  );

/** Text shaped like what the prompt parses: digits, '=', '-', blanks, and near misses. */
const portish = fc
  .array(
    fc.oneof(
      fc.constantFrom('=', '-', ' ', '\t', '\u00a0', '0', '00', '+', '.', 'e'),
      fc.integer({min: 0, max: 99_999}).map(String),
      fc.integer({min: 65_530, max: 1_000_000}).map(String),
    ),
    {maxLength: 5},
  )
  .map((parts) => parts.join(''));

const anyText = fc.oneof(
  portish,
  fc.string({unit: 'binary', maxLength: 24}),
  fc.string({unit: 'grapheme', maxLength: 12}),
  // Control characters, lone surrogates, and the blanks trim() knows.
  fc
    .array(
      fc.oneof(
        fc.integer({min: 0, max: 0x1f}).map((code) => String.fromCharCode(code)),
        fc.constantFrom('\u007f', '\u0085', '\u2028', '\ufeff', '\ud800', '\udfff', '\u200b'),
        fc.string({maxLength: 3}),
      ),
      {maxLength: 8},
    )
    .map((parts) => parts.join('')),
);

/** A piece of one of the names a row shows, on code point boundaries. */
function pieceOf(shown: SnapshotRow): fc.Arbitrary<string> {
  const fields = [
    shown.process,
    shown.user,
    shown.container?.name,
    shown.container?.image,
    shown.helper,
  ].filter((field): field is string => typeof field === 'string' && field !== '');
  if (fields.length === 0) {
    return fc.constant('');
  }
  return fc.tuple(fc.constantFrom(...fields), fc.nat(), fc.nat()).map(([field, start, length]) => {
    const points = Array.from(field);
    const from = start % points.length;
    return points.slice(from, from + 1 + (length % (points.length - from))).join('');
  });
}

// ---------------------------------------------------------------------------------------

describe('row filter syntax: properties (seeded)', () => {
  it('regression the properties found: a capital sigma matches wherever it stands', () => {
    // toLowerCase() lowers a word-final Σ to ς: 'ΟΔΟΣ' was 'οδος', and 'Σ' typed alone missed it.
    const greek = fakeRow(8080, {process: 'ΟΔΟΣ', user: 'root'});
    expect(matchesFilter(greek, parseFilter('Σ'))).toBe(true);
    expect(matchesFilter(greek, parseFilter('σ'))).toBe(true);
    expect(matchesFilter(greek, parseFilter('ΟΣ'))).toBe(true);
    expect(matchesFilter(greek, parseFilter('οδος'))).toBe(true);
    expect(matchesFilter(fakeRow(8080, {process: 'σας'}), parseFilter('ΣΑΣ'))).toBe(true);
    expect(matchesFilter(greek, parseFilter('ξ'))).toBe(false);
    // What the prompt shows and reopens with is still what was typed, lowered.
    expect(formatFilter(parseFilter('ΟΔΟΣ'))).toBe('οδος');
  });

  it('never throws on any text, and what it parses formats back to text that parses the same', () => {
    fc.assert(
      fc.property(anyText, row, (text, shown) => {
        const filter = parseFilter(text);
        const formatted = formatFilter(filter);
        expectEqual(parseFilter(formatted), filter);
        // The prompt reopens with `formatted`: it stays put however often that happens.
        expectEqual(formatFilter(parseFilter(formatted)), formatted);
        expectEqual(typeof matchesFilter(shown, filter), 'boolean');
        // Only what the prompt's own syntax names is a port filter.
        if (filter.kind === 'port') {
          expectEqual(
            Number.isInteger(filter.from) && filter.from >= 1 && filter.from <= filter.to,
            true,
          );
          expectEqual(filter.to <= 65_535, true);
        }
        if (filter.kind === 'text') {
          expectEqual(filter.needle, text.trim().toLowerCase());
        }
      }),
      runs,
    );
  });

  it('parses every filter formatted from its fields back to those fields', () => {
    const filter: fc.Arbitrary<RowFilter> = fc.oneof(
      fc.constant({kind: 'none'} as const),
      fc
        .tuple(fc.integer({min: 1, max: 65_535}), fc.integer({min: 1, max: 65_535}))
        .map(([a, b]) => ({kind: 'port', from: Math.min(a, b), to: Math.max(a, b)}) as const),
      fc
        .integer({min: 1, max: 65_535})
        .map((port) => ({kind: 'port-prefix', prefix: String(port)}) as const),
      // Text the prompt keeps as text: not blank, not a port form, already folded.
      anyText
        .map((text) => text.trim().toLowerCase())
        .filter((needle) => needle !== '' && parseFilter(needle).kind === 'text')
        .map((needle) => ({kind: 'text', needle}) as const),
    );
    fc.assert(
      fc.property(filter, (expected) => {
        expectEqual(parseFilter(formatFilter(expected)), expected);
      }),
      runs,
    );
  });

  it('shows a row exactly when a naive reference says it should', () => {
    // Port forms, any text, and pieces of the row's own names in any case (so text matches).
    const typedForRow = row.chain((shown) =>
      fc.tuple(
        fc.oneof(
          portish,
          anyText,
          fc
            .tuple(pieceOf(shown), fc.constantFrom('as-is', 'upper', 'lower'))
            .map(([piece, style]) =>
              style === 'upper'
                ? piece.toUpperCase()
                : style === 'lower'
                  ? piece.toLowerCase()
                  : piece,
            ),
        ),
        fc.constant(shown),
      ),
    );
    fc.assert(
      fc.property(typedForRow, ([text, shown]) => {
        expectEqual(matchesFilter(shown, parseFilter(text)), referenceShows(text, shown));
      }),
      runs,
    );
  });

  it('any piece of a name a row shows, typed as shown or in lower case, keeps that row', () => {
    const case_ = row.chain((shown) =>
      fc.record({shown: fc.constant(shown), piece: pieceOf(shown), lower: fc.boolean()}),
    );
    fc.assert(
      fc.property(case_, ({shown, piece, lower}) => {
        const text = lower ? piece.toLowerCase() : piece;
        const filter = parseFilter(text);
        // Digits are ports by design ('2' is a port prefix, not the 2 in nginx2).
        if (filter.kind === 'text') {
          expectEqual(matchesFilter(shown, filter), true);
        }
      }),
      runs,
    );
  });

  it('--port reads exactly N and A-B (forwards, 1-65535), says what is wrong otherwise, and agrees with the prompt', () => {
    const portText = fc.oneof(
      portish,
      anyText,
      fc
        .tuple(
          fc.integer({min: 0, max: 70_000}),
          fc.integer({min: 0, max: 70_000}),
          fc.constantFrom('-', ' - ', '-  '),
        )
        .map(([a, b, dash]) => `${a}${dash}${b}`),
    );
    fc.assert(
      fc.property(portText, (text) => {
        const parsed = parsePortFilter(text);
        const trimmed = text.trim();
        const single = referencePort(trimmed);
        const range = /^([0-9]+)\s*-\s*([0-9]+)$/.exec(trimmed);
        const from = range ? referencePort(range[1] ?? '') : undefined;
        const to = range ? referencePort(range[2] ?? '') : undefined;
        if (single !== undefined) {
          expectEqual(parsed, {kind: 'port', from: single, to: single});
        } else if (from !== undefined && to !== undefined && from <= to) {
          expectEqual(parsed, {kind: 'port', from, to});
          // The prompt reads a range the same way.
          expectEqual(parseFilter(text), parsed);
        } else {
          // A message that quotes what was given.
          expectEqual(typeof parsed === 'string' && parsed.includes(text), true);
        }
      }),
      runs,
    );
  });
});
