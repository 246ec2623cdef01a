import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {LineRing} from '../../source/model/line-ring.js';

describe('LineRing', () => {
  it('keeps everything until full, then the newest capacity items, counting the dropped', () => {
    const ring = new LineRing<string>(3);
    expect(ring.toArray()).toEqual([]);
    expect(ring.at(0)).toBeUndefined();
    ring.push('a');
    ring.push('b');
    expect(ring.toArray()).toEqual(['a', 'b']);
    expect(ring.dropped).toBe(0);
    for (const item of ['c', 'd', 'e']) {
      ring.push(item);
    }
    expect(ring.toArray()).toEqual(['c', 'd', 'e']);
    expect(ring.length).toBe(3);
    expect(ring.dropped).toBe(2);
    expect([ring.at(0), ring.at(2), ring.at(-1), ring.at(-3), ring.at(3), ring.at(-4)]).toEqual([
      'c',
      'e',
      'e',
      'c',
      undefined,
      undefined,
    ]);
    ring.clear();
    expect([ring.length, ring.dropped, ring.toArray()]).toEqual([0, 0, []]);
  });

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => new LineRing(0)).toThrow(RangeError);
    expect(() => new LineRing(1.5)).toThrow(RangeError);
  });

  it('property: equals the last capacity items of everything pushed', () => {
    fc.assert(
      fc.property(
        fc.integer({min: 1, max: 20}),
        fc.array(fc.integer(), {maxLength: 100}),
        (capacity, items) => {
          const ring = new LineRing<number>(capacity);
          for (const item of items) {
            ring.push(item);
          }
          expect(ring.toArray()).toEqual(items.slice(-capacity));
          expect(ring.dropped).toBe(Math.max(0, items.length - capacity));
          expect(ring.at(-1)).toBe(items.at(-1));
        },
      ),
    );
  });
});
