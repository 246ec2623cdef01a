import {describe, expect, it} from 'vitest';
import {eventRefreshDueAt} from '../../source/tui/hooks/use-engine-events.js';

describe('eventRefreshDueAt', () => {
  const never = Number.NEGATIVE_INFINITY;

  it('follows a lone event by the debounce', () => {
    expect(eventRefreshDueAt(5000, 5000, never, 150, 1000)).toBe(5150);
  });

  it('moves with each event of a burst', () => {
    expect(eventRefreshDueAt(5100, 5000, never, 150, 1000)).toBe(5250);
  });

  it('fires by one spacing after the first pending event when events never pause', () => {
    // Events every 100 ms from t=5000: the debounce alone would wait forever.
    expect(eventRefreshDueAt(5900, 5000, never, 150, 1000)).toBe(6000);
    expect(eventRefreshDueAt(5990, 5000, never, 150, 1000)).toBe(6000);
  });

  it('keeps refreshes a spacing apart', () => {
    // The last refresh was at 4900: the next one no sooner than 5900.
    expect(eventRefreshDueAt(5000, 5000, 4900, 150, 1000)).toBe(5900);
    // Long after the last refresh, only the debounce counts.
    expect(eventRefreshDueAt(9000, 9000, 4900, 150, 1000)).toBe(9150);
  });

  it('churn of one event every 500 ms gives one refresh a second', () => {
    let last = never;
    let pendingSince: number | null = null;
    let due: number | null = null;
    const fired: number[] = [];
    for (let now = 0; now <= 10_000; now += 10) {
      if (due !== null && now >= due) {
        fired.push(now);
        last = now;
        pendingSince = null;
        due = null;
      }
      if (now % 500 === 0) {
        pendingSince ??= now;
        due = eventRefreshDueAt(now, pendingSince, last, 150, 1000);
      }
    }
    expect(fired.length).toBeGreaterThanOrEqual(9);
    expect(fired.length).toBeLessThanOrEqual(11);
    for (let index = 1; index < fired.length; index++) {
      expect((fired[index] ?? 0) - (fired[index - 1] ?? 0)).toBeGreaterThanOrEqual(1000);
    }
  });
});
