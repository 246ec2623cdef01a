import type {Key} from 'ink';
import {cleanup} from 'ink-testing-library';
import {afterEach, describe, expect, it} from 'vitest';
import {App} from '../../source/tui/app.js';
import {clearScreen} from '../../source/tui/hooks/use-screen-redraw.js';
import {interpretKey} from '../../source/tui/keys.js';
import {initialState, reduce} from '../../source/tui/reducer.js';
import type {DashboardServices} from '../../source/tui/services.js';
import type {AppAction, AppState, Mode} from '../../source/tui/types.js';
import {helpLines} from '../../source/tui/view.js';
import {quietContainerServices} from '../helpers/fake-services.js';
import {lines, renderSized, settle, tick} from '../helpers/ink.js';
import {fakeSnapshot} from '../helpers/snapshot-fixture.js';

afterEach(() => cleanup());

const key = (input: string, flags: Partial<Key> = {}): AppAction => ({
  type: 'key',
  press: {input, key: flags},
});

const base: AppState = reduce(initialState({columns: 100, rows: 20}), {
  type: 'snapshot',
  snapshot: fakeSnapshot(),
});

const services: DashboardServices = {
  refresh: async (onUpdate) => onUpdate(fakeSnapshot()),
  ...quietContainerServices,
  runAction: async () => ({text: 'done', tone: 'ok'}),
  watchEvents: () => () => {},
};

describe('redraw requests in the reducer', () => {
  it('a new terminal size asks for a redraw; the same size does not', () => {
    expect(base.redraws).toBe(0);
    const narrower = reduce(base, {type: 'resize', columns: 80, rows: 20});
    expect(narrower.redraws).toBe(1);
    expect(narrower.columns).toBe(80);
    expect(reduce(narrower, {type: 'resize', columns: 80, rows: 20})).toBe(narrower);
    expect(reduce(narrower, {type: 'resize', columns: 80, rows: 5}).redraws).toBe(2);
    expect(reduce(narrower, {type: 'resize', columns: 120, rows: 20}).redraws).toBe(2);
  });

  it('Ctrl-L asks for a redraw in every mode, and changes nothing else', () => {
    const modes: Mode[] = [
      {kind: 'list'},
      {kind: 'filter', draft: '80'},
      {kind: 'help'},
      {kind: 'detail', key: 'k', label: 'port 1/tcp', containerId: null},
      {kind: 'choose-signal', pid: 1, startTicks: null, name: 'x'},
      {
        kind: 'confirm',
        action: {kind: 'process', pid: 1, startTicks: null, name: 'x', signal: 'SIGTERM'},
      },
    ];
    for (const mode of modes) {
      expect(interpretKey(mode, {input: 'l', key: {ctrl: true}}), mode.kind).toEqual({
        type: 'redraw',
      });
      const state = {...base, mode};
      const after = reduce(state, key('l', {ctrl: true}));
      expect(after).toEqual({...state, redraws: state.redraws + 1});
    }
  });

  it('the help lists ^L', () => {
    expect(helpLines(100, 40).join('\n')).toMatch(/\^L\s+redraw the screen/);
  });
});

describe('the redraw on a terminal (ink-testing-library, stdout marked a TTY)', () => {
  it('Ctrl-L writes a full clear through Ink after the frame, once per burst', async () => {
    const app = await renderSized(<App services={services} color={false} />, 100, 20);
    Object.defineProperty(app.stdout, 'isTTY', {value: true, configurable: true});
    const before = app.frames.length;
    app.stdin.write('\f');
    app.stdin.write('\f');
    await tick(200);
    await settle(app);
    const written = app.frames.slice(before);
    expect(written.filter((frame) => frame.startsWith(clearScreen))).toHaveLength(1);
  });

  it('writes nothing extra to a stream that is not a terminal', async () => {
    const app = await renderSized(<App services={services} color={false} />, 100, 20);
    const before = app.frames.length;
    app.stdin.write('\f');
    await tick(200);
    await settle(app);
    expect(app.frames.slice(before).some((frame) => frame.includes(clearScreen))).toBe(false);
  });
});

describe('a terminal smaller than the dashboard', () => {
  it('under 7 lines or 21 columns: one line that says so, never taller than the terminal', async () => {
    for (const [columns, rows] of [
      [80, 5],
      [80, 2],
      [15, 24],
    ] as const) {
      const app = await renderSized(<App services={services} color={false} />, columns, rows);
      const frame = lines(app.lastFrame());
      expect(frame, `${columns}x${rows}`).toHaveLength(1);
      expect(frame[0]?.length).toBeLessThan(columns);
      cleanup();
    }
    const app = await renderSized(<App services={services} color={false} />, 80, 5);
    expect(app.lastFrame()).toContain('80x5 is too small (21x7 at least) · q quits');
    app.stdout.emit('resize');
    Object.defineProperty(app.stdout, 'rows', {value: 7, configurable: true});
    app.stdout.emit('resize');
    await settle(app);
    expect(lines(app.lastFrame())[0]).toMatch(/^nanodock-top {2}testhost/);
    expect(lines(app.lastFrame())).toHaveLength(6);
  });
});
