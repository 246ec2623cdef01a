import {describe, expect, it} from 'vitest';
import {
  formatUptime,
  isUptimeStepCrossed,
  shownUptimeAt,
  uptimeStepSeconds,
} from '../../source/model/format.js';
import {initialState, reduce} from '../../source/tui/reducer.js';
import type {AppState} from '../../source/tui/types.js';
import {fakeRow, fakeSnapshot} from '../helpers/snapshot-fixture.js';

/** A row started at `startedAt` (Unix seconds). */
const startedRow = (port: number, startedAt: number) =>
  fakeRow(port, {startedAt, uptimeSeconds: null});

describe('shown uptimes', () => {
  it('count seconds exactly under a minute, then follow a clock that steps every 10 s', () => {
    const row = startedRow(80, 1000);
    expect(shownUptimeAt(row, 1000 + 59)).toBe(59);
    // 61 s old at 1061; the stepped clock says 1060 (60 s): one minute.
    expect(formatUptime(shownUptimeAt(row, 1061))).toBe('1m');
    // 119 s old at 1119: the clock says 1110 (110 s), still 1m; at 1120 it moves on.
    expect(formatUptime(shownUptimeAt(row, 1119))).toBe('1m');
    expect(formatUptime(shownUptimeAt(row, 1120))).toBe('2m');
    // Never behind the exact figure by a step or more, never under a minute once past it.
    for (let now = 1060; now < 5000; now += 0.5) {
      const shown = shownUptimeAt(row, now) ?? 0;
      const exact = Math.floor(now - 1000);
      expect(shown).toBeLessThanOrEqual(exact);
      expect(shown).toBeGreaterThan(exact - uptimeStepSeconds);
      expect(shown).toBeGreaterThanOrEqual(60);
    }
  });

  it('are the row figure without a time or a start time', () => {
    expect(shownUptimeAt(fakeRow(80, {uptimeSeconds: 500}))).toBe(500);
    expect(shownUptimeAt(fakeRow(80, {uptimeSeconds: 500, startedAt: null}), 9999)).toBe(500);
  });

  it('step from one 10 s window to the next', () => {
    expect(isUptimeStepCrossed(10_000, 19_999)).toBe(false);
    expect(isUptimeStepCrossed(19_999, 20_000)).toBe(true);
  });
});

describe('an idle screen of rows whose minutes end at different seconds', () => {
  it('redraws once per 10 s step at most, not once per row minute', () => {
    // 30 rows started a second apart, all over a minute old: their shown minutes roll over at
    // 30 different seconds of each minute.
    const rows = Array.from({length: 30}, (_, index) => startedRow(1000 + index, 10_000 + index));
    let state: AppState = initialState({columns: 120, rows: 40});
    let frames = 0;
    // Ticks a second apart, 10 minutes, each with the same rows (same revision).
    const first = fakeSnapshot(rows, {takenAt: 10_200_000});
    state = reduce(state, {type: 'snapshot', snapshot: first});
    const redraws: number[] = [];
    for (let second = 1; second <= 600; second++) {
      const takenAt = 10_200_000 + second * 1000;
      const next = reduce(state, {
        type: 'snapshot',
        snapshot: {...first, takenAt},
      });
      if (next !== state) {
        frames++;
        redraws.push(takenAt);
      }
      state = next;
    }
    // One a step (60 in 10 minutes): the uptimes and the header's refresh time together.
    expect(frames).toBe(60);
    for (const at of redraws) {
      expect(at % (uptimeStepSeconds * 1000)).toBe(0);
    }
  });
});
