import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {
  formatFilter,
  matchesFilter,
  parseFilter,
  parsePortFilter,
} from '../../source/model/filter.js';
import {fakeRow} from '../helpers/snapshot-fixture.js';

describe('port filter: prefix while typing, = for exact (issue 10 item 10)', () => {
  it('reads digits as a port prefix, =N as an exact port, A-B as a range', () => {
    expect(parseFilter('1808')).toEqual({kind: 'port-prefix', prefix: '1808'});
    expect(parseFilter(' 1808 ')).toEqual({kind: 'port-prefix', prefix: '1808'});
    expect(parseFilter('=1808')).toEqual({kind: 'port', from: 1808, to: 1808});
    expect(parseFilter('= 18080')).toEqual({kind: 'port', from: 18080, to: 18080});
    expect(parseFilter('18080-18084')).toEqual({kind: 'port', from: 18080, to: 18084});
    // Not a port: text, as before (it matches no name, and says nothing false).
    expect(parseFilter('0')).toEqual({kind: 'text', needle: '0'});
    expect(parseFilter('65536')).toEqual({kind: 'text', needle: '65536'});
    expect(parseFilter('=0')).toEqual({kind: 'text', needle: '=0'});
    expect(parseFilter('=web')).toEqual({kind: 'text', needle: '=web'});
  });

  it('keeps --port exact', () => {
    expect(parsePortFilter('1808')).toEqual({kind: 'port', from: 1808, to: 1808});
  });

  it('shows 18080-18084 for 1808, and only 1808 for =1808', () => {
    const ports = [80, 1808, 18080, 18081, 18084, 18090, 28080, 8080];
    const shown = (text: string) =>
      ports.filter((port) => matchesFilter(fakeRow(port), parseFilter(text)));
    expect(shown('1808')).toEqual([1808, 18080, 18081, 18084]);
    expect(shown('=1808')).toEqual([1808]);
    expect(shown('1')).toEqual([1808, 18080, 18081, 18084, 18090]);
    expect(shown('80')).toEqual([80, 8080]);
    expect(shown('18080-18084')).toEqual([18080, 18081, 18084]);
  });

  it('matches a published range row when any of its ports begins with the prefix', () => {
    const range = fakeRow(17990, {lastPort: 18010});
    expect(matchesFilter(range, parseFilter('18'))).toBe(true);
    expect(matchesFilter(range, parseFilter('1800'))).toBe(true);
    expect(matchesFilter(range, parseFilter('18011'))).toBe(false);
    expect(matchesFilter(range, parseFilter('1802'))).toBe(false);
    expect(matchesFilter(range, parseFilter('17'))).toBe(true);
    expect(matchesFilter(range, parseFilter('2'))).toBe(false);
  });

  it('formats a filter as text that parses back to it (what the prompt reopens with)', () => {
    for (const text of ['1808', '=1808', '3000-4000', 'web']) {
      const filter = parseFilter(text);
      expect(parseFilter(formatFilter(filter))).toEqual(filter);
    }
  });

  it('never throws on any string, and a prefix matches exactly the ports that begin with it', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({min: 1, max: 65_535}), (text, port) => {
        const filter = parseFilter(text);
        const matched = matchesFilter(fakeRow(port), filter);
        if (filter.kind === 'port-prefix') {
          expect(matched).toBe(String(port).startsWith(filter.prefix));
        }
        expect(parseFilter(formatFilter(filter))).toEqual(filter);
      }),
      {numRuns: 2000},
    );
    fc.assert(
      fc.property(fc.stringMatching(/^=?\d{0,7}(-\d{0,7})?$/), (text) => {
        expect(() => matchesFilter(fakeRow(8080), parseFilter(text))).not.toThrow();
      }),
    );
  });

  it('matches a range row by prefix as the union of its ports would', () => {
    fc.assert(
      fc.property(
        fc.integer({min: 1, max: 65_535}),
        fc.integer({min: 0, max: 300}),
        fc.integer({min: 1, max: 65_535}),
        (first, width, prefixNumber) => {
          const last = Math.min(65_535, first + width);
          const prefix = String(prefixNumber);
          let expected = false;
          for (let port = first; port <= last; port++) {
            expected ||= String(port).startsWith(prefix);
          }
          const filter = parseFilter(prefix);
          expect(matchesFilter(fakeRow(first, {lastPort: last}), filter)).toBe(expected);
        },
      ),
    );
  });
});
