import {describe, expect, it} from 'vitest';
import {formatFilter, matchesFilter, parseFilter} from '../../source/model/filter.js';
import {fakeRow} from '../helpers/snapshot-fixture.js';

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
});
