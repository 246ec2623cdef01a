import {describe, expect, it} from 'vitest';
import {isSameScreen} from '../../source/tui/screen-diff.js';
import {fakeRow, fakeSnapshot} from '../helpers/snapshot-fixture.js';

// 10:00:03 UTC on some day: the uptimes' 10 s clock steps at :00, :10, ...
const shownAt = Date.UTC(2026, 11, 1, 10, 0, 3);
const nextAt = shownAt + 4000; // 10:00:07, the same step

describe('isSameScreen', () => {
  it('takes a row object it showed, past its first minute, as drawing the same line', () => {
    const old = fakeRow(80, {startedAt: shownAt / 1000 - 3600});
    const rows = [old, fakeRow(81)];
    const shown = fakeSnapshot(rows, {takenAt: shownAt});
    expect(isSameScreen(shown, fakeSnapshot([...rows], {takenAt: nextAt}))).toBe(true);
  });

  it('compares a young row second by second, even as the same object', () => {
    const young = fakeRow(80, {startedAt: shownAt / 1000 - 20});
    const shown = fakeSnapshot([young], {takenAt: shownAt});
    expect(isSameScreen(shown, fakeSnapshot([young], {takenAt: nextAt}))).toBe(false);
    expect(isSameScreen(shown, fakeSnapshot([young], {takenAt: shownAt + 300}))).toBe(true);
  });

  it('compares rows made anew by what they show', () => {
    const startedAt = shownAt / 1000 - 3600;
    const shown = fakeSnapshot([fakeRow(80, {startedAt})], {takenAt: shownAt});
    expect(isSameScreen(shown, fakeSnapshot([fakeRow(80, {startedAt})], {takenAt: nextAt}))).toBe(
      true,
    );
    expect(
      isSameScreen(
        shown,
        fakeSnapshot([fakeRow(80, {startedAt, process: 'other'})], {takenAt: nextAt}),
      ),
    ).toBe(false);
  });

  it('sees a step of the uptimes clock, for the same row objects too', () => {
    const rows = [fakeRow(80, {startedAt: shownAt / 1000 - 3600})];
    const shown = fakeSnapshot(rows, {takenAt: shownAt});
    expect(isSameScreen(shown, fakeSnapshot(rows, {takenAt: shownAt + 8000}))).toBe(false);
  });
});
