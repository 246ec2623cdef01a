import {readFileSync} from 'node:fs';
import {styledCharsFromTokens, styledCharsToString, tokenize} from '@alcalzone/ansi-tokenize';
import chalk from 'chalk';
import {Box, renderToString, Text, Transform} from 'ink';
import type {ReactNode} from 'react';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {Screen} from '../../source/tui/components/screen.js';
import {
  installInkFrameCache,
  refusesInkVersion,
  takeInkFrameCacheCounters,
  verifiedInkVersion,
} from '../../source/tui/ink-frame-cache.js';
import {initialState, reduce} from '../../source/tui/reducer.js';
import {cellsToString, fastTokens, styledCharsOf} from '../../source/tui/styled-cells.js';
import type {AppState} from '../../source/tui/types.js';
import {fakeContainer, fakeRow, fakeSnapshot} from '../helpers/snapshot-fixture.js';

/** Renders `node` with the cache twice, and how many rows each render drew or reused. */
function renderCached(node: ReactNode, columns: number) {
  takeInkFrameCacheCounters();
  const first = renderToString(node, {columns});
  const firstCounters = takeInkFrameCacheCounters();
  const again = renderToString(node, {columns});
  return {first, firstCounters, again};
}

/** Ink's Output class, found as installInkFrameCache finds it. */
async function inkOutputClass(): Promise<{prototype: {get: unknown}}> {
  const outputUrl = new URL('output.js', import.meta.resolve('ink'));
  return ((await import(outputUrl.href)) as {default: {prototype: {get: unknown}}}).default;
}

function dashboard(columns: number, rows: number, color: boolean, port = 0): ReactNode {
  const many = fakeSnapshot([
    ...fakeSnapshot().rows,
    ...Array.from({length: 30}, (_, index) =>
      fakeRow(19_100 + index, {
        key: `c|docker-proxy|b${index}|tcp|${19_100 + index}`,
        process: 'docker-proxy',
        helper: 'docker-proxy',
        container: fakeContainer(`bench-${index}`, `f${index}`.padEnd(20, '0')),
        uptimeSeconds: 30 + index * 7 + port,
      }),
    ),
  ]);
  let state: AppState = initialState({columns, rows, intervalMs: 1000});
  state = reduce(state, {type: 'snapshot', snapshot: many});
  state = reduce(state, {type: 'move', by: 1});
  return <Screen state={state} color={color} />;
}

const dashboardSizes = [
  [120, 40, true],
  [120, 30, false],
  [60, 15, true],
  [40, 10, false],
] as const;

function tricky(): ReactNode {
  return (
    <Box flexDirection="column" width={30}>
      <Text color="yellow" backgroundColor="blue">
        名前 コンテナ 🐳 web ✔︎ 🇩🇪 end
      </Text>
      <Text bold underline inverse>
        bold <Text color="red">red inside</Text> after
      </Text>
      <Transform transform={(line, index) => `${index}:${line.toUpperCase()}`}>
        <Text>first line{'\n'}second line</Text>
      </Transform>
      <Box borderStyle="round" borderColor="green" paddingX={1}>
        <Text wrap="wrap">a long text that wraps inside a bordered box, twice over</Text>
      </Box>
      <Box height={2}>
        <Box position="absolute">
          <Text>underneath underneath</Text>
        </Box>
        <Box position="absolute" marginLeft={4}>
          <Text color="cyan">OVER</Text>
        </Box>
      </Box>
      <Text wrap="truncate-end">{'x'.repeat(80)}</Text>
    </Box>
  );
}

function clipped(): ReactNode {
  return (
    <Box width={12} height={2} overflow="hidden" flexDirection="column">
      <Text>0123456789abcdefghij</Text>
      <Text>second</Text>
      <Text>third, cut off</Text>
    </Box>
  );
}

describe('the Ink frame cache', () => {
  // Ink colours through chalk, which sees no terminal under vitest: force colours on, so the
  // styles are really compared.
  const level = chalk.level;
  /** The frames as Ink itself draws them: rendered before the cache is installed. */
  let ink: {dashboards: string[]; moved: string; tricky: string; clipped: string};
  beforeAll(async () => {
    chalk.level = 3;
    const Output = await inkOutputClass();
    const inkGet = Output.prototype.get;
    ink = {
      dashboards: dashboardSizes.map(([columns, rows, color]) =>
        renderToString(dashboard(columns, rows, color), {columns}),
      ),
      moved: renderToString(dashboard(120, 40, true, 3600), {columns: 120}),
      tricky: renderToString(tricky(), {columns: 30}),
      clipped: renderToString(clipped(), {columns: 20}),
    };
    expect(await installInkFrameCache()).toEqual({active: true});
    // Vitest runs each test file in a process of its own: nothing patched Ink before this
    // file did, so the frames above are Ink's own.
    expect(Output.prototype.get).not.toBe(inkGet);
  });
  afterAll(() => {
    chalk.level = level;
  });

  it('is active on the Ink version this package pins (an Ink upgrade must revisit it)', () => {
    const pinned = JSON.parse(readFileSync('package.json', 'utf8')).dependencies.ink;
    const installed = JSON.parse(readFileSync('node_modules/ink/package.json', 'utf8')).version;
    expect(pinned).toBe('6.8.0');
    expect(installed).toBe('6.8.0');
  });

  it('refuses every Ink but the verified release, patch releases and pre-releases included', () => {
    expect(verifiedInkVersion).toBe('6.8.0');
    expect(refusesInkVersion('6.8.0')).toBeNull();
    for (const other of ['6.8.1', '6.9.0', '6.7.0', '7.0.0', '6.8.0-beta.1', '', undefined, 680]) {
      expect(refusesInkVersion(other)).toMatch(
        /is not the release the frame cache was verified on/,
      );
    }
  });

  it('draws dashboard frames byte for byte as Ink does, in colour and without', () => {
    dashboardSizes.forEach(([columns, rows, color], index) => {
      const own = ink.dashboards[index] as string;
      const {first, firstCounters, again} = renderCached(dashboard(columns, rows, color), columns);
      // The first render at a new size draws its rows; the second reuses them.
      expect(firstCounters.rowMisses).toBeGreaterThan(5);
      expect(first).toBe(own);
      expect(again).toBe(own);
      expect(own.split('\n').length).toBeGreaterThan(5);
      // Helper rows are yellow when in colour.
      expect(own.includes('\u001B[33m')).toBe(color);
    });
  });

  it('reuses unchanged rows and lines, and redraws the changed ones', () => {
    renderToString(dashboard(120, 40, true), {columns: 120});
    takeInkFrameCacheCounters();
    renderToString(dashboard(120, 40, true), {columns: 120});
    const same = takeInkFrameCacheCounters();
    expect(same.lineMisses).toBe(0);
    expect(same.rowMisses).toBe(0);
    expect(same.rowHits).toBeGreaterThan(30);

    // Every bench row's uptime moves: those rows change, the header and titles do not.
    const moved = renderToString(dashboard(120, 40, true, 3600), {columns: 120});
    const changed = takeInkFrameCacheCounters();
    expect(changed.rowMisses).toBeGreaterThan(20);
    expect(changed.rowHits).toBeGreaterThan(0);
    expect(moved).toBe(ink.moved);
  });

  it('matches Ink on wide characters, styles, transformers, overlaps, borders and wrapping', () => {
    const {first, firstCounters, again} = renderCached(tricky(), 30);
    expect(firstCounters.rowMisses).toBeGreaterThan(5);
    expect(first).toBe(ink.tricky);
    expect(again).toBe(ink.tricky);
    expect(ink.tricky).toContain('🐳');
    expect(ink.tricky).toContain('\u001B[');
  });

  it('leaves clipped frames (overflow hidden) to Ink and still matches', () => {
    const {first, firstCounters, again} = renderCached(clipped(), 20);
    expect(first).toBe(ink.clipped);
    expect(again).toBe(ink.clipped);
    expect(ink.clipped.split('\n')).toHaveLength(2);
    const counters = takeInkFrameCacheCounters();
    expect(
      firstCounters.rowHits + firstCounters.rowMisses + counters.rowHits + counters.rowMisses,
    ).toBe(0);
  });
});

describe('fastTokens', () => {
  const samples = [
    '',
    'plain ascii row 0.0.0.0:18080 -> nd-web',
    '\u001B[32mgreen\u001B[39m and \u001B[1;4;38;5;208mcompound\u001B[0m',
    '\u001B[38;2;1;2;3mtrue colour\u001B[39m',
    'image nanodock-lab/busybox:lat… ▲ PORT',
    'e\u0301 combining after ascii, a\u0301\u0301 twice, \u0301a\u0301 around',
    '1\uFE0F\u20E3 keycap, ✔︎ text, 🐳 whale, 👩‍👩‍👧 family, 🇩🇪🇫🇷 flags',
    '名前 コンテナ wide, ﾊﾝｶｸ half',
    '\u0600123 prepend, x\u200Dy zwj, tab\there, cr\rhere',
    'bad escape \u001B[12;x and \u001B]8;;http://x\u0007link\u001B]8;;\u0007',
    'c1 \u009B31m csi',
    '\u001B[31m名\u001B[39me\u0301\u001B[1m\u0301\u001B[22m',
  ];

  it('gives exactly the tokens of Ink’s tokenizer, or leaves the line to it', () => {
    for (const line of samples) {
      const fast = fastTokens(line);
      if (fast !== null) {
        expect(fast, JSON.stringify(line)).toEqual(tokenize(line));
      }
    }
    expect(fastTokens(samples[1] as string)).not.toBeNull();
    expect(fastTokens(samples[4] as string)).not.toBeNull();
    expect(fastTokens(samples[9] as string)).toBeNull();
    expect(fastTokens(samples[10] as string)).toBeNull();
    expect(fastTokens(samples[11] as string)).toBeNull();
    expect(fastTokens('\u001B[31m x名\u001B[39m')).not.toBeNull();
  });

  it('agrees with Ink’s tokenizer, cells and row strings on 5,000 random mixes of tricky pieces', () => {
    const pieces = [
      'a',
      'Z',
      ' ',
      '…',
      '▲',
      '名',
      '\u0301',
      '\u200D',
      '\uFE0F',
      '🐳',
      '🇩',
      '🇪',
      '\u0600',
      '\t',
      '\u001B[31m',
      '\u001B[1;4m',
      '\u001B[39m',
      '\u001B[0m',
      '\u001B[2m',
      '\u001B[22m',
      '\u001B[7m',
      '\u001B[38;5;208m',
      '\u001B[',
      'm',
      '1',
      ';',
    ];
    let seed = 42;
    const next = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed;
    };
    let fast = 0;
    for (let round = 0; round < 5000; round++) {
      const line = Array.from({length: next() % 12}, () => pieces[next() % pieces.length]).join('');
      const tokens = fastTokens(line);
      if (tokens !== null) {
        fast++;
        expect(tokens, JSON.stringify(line)).toEqual(tokenize(line));
      }
      const inkCells = styledCharsFromTokens(tokenize(line));
      const cells = styledCharsOf(tokenize(line));
      expect(cells, JSON.stringify(line)).toEqual(inkCells);
      expect(cellsToString(cells), JSON.stringify(line)).toBe(styledCharsToString(inkCells));
      expect(cellsToString(inkCells), JSON.stringify(line)).toBe(styledCharsToString(inkCells));
    }
    expect(fast).toBeGreaterThan(2000);
  });
});
