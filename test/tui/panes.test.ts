import type {Key} from 'ink';
import stringWidth from 'string-width';
import {describe, expect, it} from 'vitest';
import {formatPublishedPorts} from '../../source/model/format.js';
import {paneLayout} from '../../source/tui/pane.js';
import {initialState, reduce} from '../../source/tui/reducer.js';
import type {AppAction, AppState} from '../../source/tui/types.js';
import {detailLines, helpLines, helpText, wrapLine} from '../../source/tui/view.js';
import {fakeContainer, fakeRow, fakeSnapshot} from '../helpers/snapshot-fixture.js';

const key = (input: string, flags: Partial<Key> = {}): AppAction => ({
  type: 'key',
  press: {input, key: flags},
});
const run = (state: AppState, ...actions: AppAction[]): AppState => actions.reduce(reduce, state);

const longCommand = [
  '/usr/bin/conmon',
  '--api-version',
  '1',
  '-c',
  'd6bd4b3fd443e23df2d2afe369fc1978ae048926be45ba4f66eaf11cd3be0623',
  '--exit-dir',
  '/run/libpod/exits',
  '--log-level',
  'warning',
  '--the-very-end',
];
const web = fakeContainer('nd-web', 'a1'.repeat(32), {
  image: 'nanodock-lab/busybox:latest',
  ports: [
    {hostIp: null, port: 18080, lastPort: 18080, protocol: 'tcp', containerPort: 80},
    {hostIp: null, port: 18080, lastPort: 18080, protocol: 'tcp', containerPort: 80},
    {hostIp: null, port: 18081, lastPort: 18081, protocol: 'udp', containerPort: 81},
    {hostIp: null, port: 18081, lastPort: 18081, protocol: 'udp', containerPort: 81},
    {hostIp: '127.0.0.1', port: 18082, lastPort: 18082, protocol: 'tcp', containerPort: 82},
  ],
  labels: Object.fromEntries(
    Array.from({length: 12}, (_, index) => [`com.example.label-${index}`, `value-${index}`]),
  ),
});
const webRow = fakeRow(18080, {
  key: 'web|18080',
  addresses: ['0.0.0.0', '::'],
  process: 'docker-proxy',
  helper: 'docker-proxy',
  command: longCommand,
  container: web,
});

describe('wrapLine', () => {
  it('keeps a line that fits; breaks a long one at spaces with continuations indented', () => {
    expect(wrapLine('short', 20)).toEqual(['short']);
    expect(wrapLine('command: alpha beta gamma delta epsilon', 20)).toEqual([
      'command: alpha beta',
      '  gamma delta',
      '  epsilon',
    ]);
    expect(wrapLine('  key=one two three four five', 14)).toEqual([
      '  key=one two',
      '    three four',
      '    five',
    ]);
  });

  it('breaks inside a word that does not fit, never wider than asked, wide characters whole', () => {
    const lines = wrapLine(`id: ${'0123456789'.repeat(5)}`, 20);
    expect(lines.join('').replace(/ /g, '')).toBe(`id:${'0123456789'.repeat(5)}`);
    for (const line of lines) {
      expect(stringWidth(line)).toBeLessThanOrEqual(20);
    }
    const wide = wrapLine('数据库服务进程数据库服务进程', 9);
    for (const line of wide) {
      expect(stringWidth(line)).toBeLessThanOrEqual(9);
    }
    expect(wide.join('').replace(/ /g, '')).toBe('数据库服务进程数据库服务进程');
  });

  it('shows invisible and control characters as ?', () => {
    expect(wrapLine('cmd\u202Eevil \u001B[2J', 40)).toEqual(['cmd?evil ?[2J']);
  });
});

describe('published ports in the details: twins are one line', () => {
  it('folds the 0.0.0.0 and :: entries of a port into one *:PORT line', () => {
    expect(formatPublishedPorts(web.ports)).toEqual([
      '*:18080->80/tcp',
      '*:18081->81/udp',
      '127.0.0.1:18082->82/tcp',
    ]);
    const text = detailLines(webRow, 100, 80).join('\n');
    expect(text.match(/18080->80\/tcp/g)).toHaveLength(1);
    expect(text).toContain('  *:18081->81/udp');
  });
});

describe('panes wrap, scroll and always say how to close', () => {
  it('the detail pane wraps the command line: every word is on screen somewhere', () => {
    const lines = detailLines(webRow, 60, 200);
    for (const line of lines) {
      expect(stringWidth(line)).toBe(60);
    }
    // Words longer than the width are broken inside; with the breaks taken out, all is there.
    const text = lines.join('').replace(/\s+/g, '');
    for (const word of longCommand) {
      expect(text).toContain(word);
    }
    expect(lines.at(-1)?.trim()).toBe('Esc or Enter closes');
  });

  it('the bottom line gives the position and keeps the close hint at any width', () => {
    const lines = helpLines(79, 18);
    expect(lines).toHaveLength(18);
    expect(lines[0]?.trim()).toBe('nanodock-top keys');
    expect(lines.at(-1)).toMatch(
      /^lines 1-16 of \d+ · ↑↓ PgUp PgDn Home End · Esc, Enter or \? closes/,
    );
    expect(helpLines(30, 18).at(-1)?.trim()).toBe('Esc, Enter or ? closes');
    expect(helpLines(79, 200).at(-1)?.trim()).toBe('Esc, Enter or ? closes');
  });

  it('help at 80x24 reaches its last line with End, and PgDn stops there', () => {
    const help = run(initialState({columns: 80, rows: 24}), key('?'));
    const layout = paneLayout(help);
    expect(layout?.maxScroll).toBeGreaterThan(0);
    const atEnd = run(help, key('', {end: true}));
    expect(atEnd.paneScroll).toBe(layout?.maxScroll);
    const lines = helpLines(79, 19, atEnd.paneScroll);
    expect(lines.at(-2)?.trim()).toBe(helpText().at(-1)?.trim());
    expect(lines.at(-1)).toMatch(/lines \d+-(\d+) of \1 /);
    expect(run(atEnd, key('', {pageDown: true}))).toBe(atEnd);
    expect(run(atEnd, key('j'))).toBe(atEnd);
    let paged = help;
    for (let press = 0; press < 10; press++) {
      paged = run(paged, key('', {pageDown: true}));
    }
    expect(paged.paneScroll).toBe(layout?.maxScroll);
  });

  it('scrolls within bounds: up at the top and down at the bottom do nothing; Home goes back', () => {
    const state = run(
      initialState({columns: 60, rows: 16}),
      {type: 'snapshot', snapshot: fakeSnapshot([webRow])},
      key('', {return: true}),
    );
    expect(state.mode.kind).toBe('detail');
    const layout = paneLayout(state);
    expect(layout?.maxScroll).toBeGreaterThan(3);
    expect(run(state, key('', {upArrow: true}))).toBe(state);
    const down = run(state, key('', {downArrow: true}), key('j'));
    expect(down.paneScroll).toBe(2);
    expect(run(down, key('', {upArrow: true})).paneScroll).toBe(1);
    expect(run(down, key('G')).paneScroll).toBe(layout?.maxScroll);
    expect(run(down, key('G'), key('g')).paneScroll).toBe(0);
    expect(run(down, key('G'), key('', {home: true})).paneScroll).toBe(0);
    expect(run(down, key(' ')).paneScroll).toBeGreaterThan(2);
    // Closing and opening again starts at the top; the list's keys are the list's again.
    const reopened = run(down, key('', {escape: true}), key('', {return: true}));
    expect(reopened.paneScroll).toBe(0);
    // A narrower terminal wraps into more lines; the bound follows.
    const narrow = run(state, {type: 'resize', columns: 40, rows: 16});
    expect(paneLayout(narrow)?.maxScroll).toBeGreaterThan(layout?.maxScroll ?? 0);
  });

  it('a pane as short as 3 lines still shows its title, a line and the hint', () => {
    const lines = detailLines(webRow, 40, 3, 2);
    expect(lines).toHaveLength(3);
    expect(lines.at(-1)).toContain('Esc or Enter closes');
  });
});
