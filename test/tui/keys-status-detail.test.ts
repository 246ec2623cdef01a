import type {Key} from 'ink';
import {describe, expect, it} from 'vitest';
import {interpretKey, readFunctionKeys} from '../../source/tui/keys.js';
import {initialState, reduce} from '../../source/tui/reducer.js';
import {selectDetailRow, selectedRow, selectVisibleRows} from '../../source/tui/selection.js';
import type {AppAction, AppState, StatusMessage} from '../../source/tui/types.js';
import {
  detailGoneLines,
  detailLines,
  footerLine,
  helpLines,
  layoutFor,
  rowLine,
  statusLine,
} from '../../source/tui/view.js';
import {fakeContainer, fakeRow, fakeSnapshot} from '../helpers/snapshot-fixture.js';

const key = (input: string, flags: Partial<Key> = {}): AppAction => ({
  type: 'key',
  press: {input, key: flags},
});
const fn = (number: number): AppAction => ({
  type: 'key',
  press: {input: '', key: {}, functionKey: number},
});
/** What Ink's useInput sends for a function key: nothing at all. */
const blank = key('');

function run(state: AppState, ...actions: AppAction[]): AppState {
  return actions.reduce(reduce, state);
}

const base = run(initialState({columns: 100, rows: 20}), {
  type: 'snapshot',
  snapshot: fakeSnapshot(),
});

describe('function keys (issue 10 item 11)', () => {
  it('reads xterm, rxvt and Linux console sequences, in order, and skips the rest', () => {
    expect(readFunctionKeys('\u001BOP')).toEqual([1]);
    expect(readFunctionKeys('\u001B[11~')).toEqual([1]);
    expect(readFunctionKeys('\u001B[[A')).toEqual([1]);
    expect(readFunctionKeys('\u001BOR\u001BOS')).toEqual([3, 4]);
    expect(readFunctionKeys('\u001B[17~')).toEqual([6]);
    expect(readFunctionKeys('\u001B[20~')).toEqual([9]);
    expect(readFunctionKeys('\u001B[21~')).toEqual([10]);
    expect(readFunctionKeys('\u001B[24~')).toEqual([12]);
    expect(readFunctionKeys('j\u001B[21~k')).toEqual([10]);
    // Not function keys: arrows, Insert, Delete, PgUp, text, modified F1.
    expect(readFunctionKeys('\u001B[A\u001B[2~\u001B[3~\u001B[5~OP[21~')).toEqual([]);
    expect(readFunctionKeys('\u001B[1;2P')).toEqual([]);
    expect(readFunctionKeys('')).toEqual([]);
  });

  it('binds F1 help, F3/F4 filter, F6 sort, F9 kill, F10 quit, F5 the tree (as htop)', () => {
    const list = {kind: 'list'} as const;
    const press = (number: number) => interpretKey(list, {input: '', key: {}, functionKey: number});
    expect(press(1)).toEqual({type: 'help-toggle'});
    expect(press(3)).toEqual({type: 'filter-open'});
    expect(press(4)).toEqual({type: 'filter-open'});
    expect(press(6)).toEqual({type: 'sort-next'});
    expect(press(9)).toEqual({type: 'request', verb: 'kill'});
    expect(press(10)).toBe('quit');
    expect(press(5)).toEqual({type: 'group-toggle'});
    expect(press(2)).toBeUndefined();
    // F1 closes the help it opened; F10 quits from the help and the detail pane too.
    expect(interpretKey({kind: 'help'}, {input: '', key: {}, functionKey: 1})).toEqual({
      type: 'close',
    });
    expect(interpretKey({kind: 'help'}, {input: '', key: {}, functionKey: 10})).toBe('quit');
    // In the filter prompt a function key types nothing.
    expect(interpretKey({kind: 'filter', draft: '80'}, {input: '', key: {}, functionKey: 10})).toBe(
      undefined,
    );
  });

  it('runs F9 into the kill question, and the blank press Ink sends after it is no answer', () => {
    const asked = run(base, key('G'), fn(9), blank);
    expect(asked.mode.kind).toBe('confirm');
    expect(run(asked, key('y')).queue).toHaveLength(1);
    const signal = run(base, fn(9), blank);
    expect(signal.mode.kind).toBe('choose-signal');
    expect(run(base, fn(10)).quitting).toBe(true);
    expect(run(base, fn(1), blank).mode.kind).toBe('help');
    expect(run(base, fn(6)).sort.column).not.toBe(base.sort.column);
  });

  it('names the function keys in the help, not in the footer', () => {
    const help = helpLines(100, 40).join('\n');
    expect(help).toContain('F1 ?');
    expect(help).toMatch(/\/ F3 F4/);
    expect(help).toMatch(/k F9/);
    expect(help).toMatch(/> F6/);
    expect(help).toMatch(/q F10/);
    expect(footerLine(200)).not.toMatch(/F\d/);
  });
});

describe('Esc in the list (issue 10 item 9)', () => {
  it('clears an active filter and the status message', () => {
    const filtered = run(base, key('/'), key('z'), key('z'), key('', {return: true}));
    expect(selectVisibleRows(filtered)).toHaveLength(0);
    const cleared = run(filtered, key('', {escape: true}));
    expect(cleared.filter).toEqual({kind: 'none'});
    expect(selectVisibleRows(cleared)).toHaveLength(3);
    const withStatus = run(base, {type: 'status', status: {text: 'oops', tone: 'error'}});
    expect(run(withStatus, key('', {escape: true})).status).toBeNull();
  });
});

describe('filter prompt and help text (issue 10 item 10)', () => {
  it('says how to ask for an exact port', () => {
    const prompt = statusLine({kind: 'filter', draft: '1808'}, null, '', null, 120).text;
    expect(prompt).toContain('=8080 exact');
    expect(helpLines(120, 40).join('\n')).toContain('exact port (=8080)');
  });
});

describe('status messages and actions in progress (issue 10 item 6)', () => {
  it('clears a status at the next key, and on expiry only if it is still the one shown', () => {
    const cancelled = run(base, key('G'), key('k'), key('n'));
    expect(cancelled.status).toEqual({text: 'cancelled', tone: 'info'});
    expect(run(cancelled, key('j')).status).toBeNull();
    expect(run(cancelled, blank).status).toEqual(cancelled.status);
    const status = cancelled.status as StatusMessage;
    expect(run(cancelled, {type: 'status-expired', status}).status).toBeNull();
    const newer = run(cancelled, {type: 'status', status: {text: 'newer', tone: 'info'}});
    expect(run(newer, {type: 'status-expired', status}).status?.text).toBe('newer');
  });

  it('shows an action in progress state first, in the row and the status line', () => {
    const stopping = run(base, key('G'), key('s'), key('y'));
    expect(stopping.status?.tone).toBe('progress');
    expect(stopping.status?.text).toMatch(/^stopping web \(a1b2c3d4e5f6\): in progress…$/);
    const rows = selectVisibleRows(stopping);
    const placed = layoutFor(rows, 99);
    const line = rowLine(rows[2] ?? fakeRow(1), placed, stopping.inProgress, 99);
    // The CONTAINER cell is as wide as `web` (its title, 9): the state stays, the name is cut.
    expect(line).toMatch(/root +stopping… shop /);
  });
});

describe('detail pane keeps its row (issue 10 item 6)', () => {
  const web = fakeContainer('web', 'a1b2c3d4e5f6a7b8c9d0');
  const opened = run(base, key('j'), key('', {return: true}));

  it('shows the row it opened on, even when rows before it come and go', () => {
    expect(opened.mode).toMatchObject({kind: 'detail', label: 'port 5432/tcp'});
    const moved = run(opened, {
      type: 'snapshot',
      snapshot: fakeSnapshot([fakeRow(80), ...fakeSnapshot().rows]),
    });
    expect(selectDetailRow(moved)?.port).toBe(5432);
  });

  it('says the port is no longer listening when its row is gone, not the next row', () => {
    const gone = run(opened, {
      type: 'snapshot',
      snapshot: fakeSnapshot(fakeSnapshot().rows.filter((row) => row.port !== 5432)),
    });
    expect(selectDetailRow(gone)).toBeUndefined();
    expect(selectedRow(gone)?.port).not.toBe(5432);
    if (gone.mode.kind !== 'detail') {
      throw new Error('the pane closed');
    }
    expect(detailGoneLines(gone.mode, gone.snapshot?.rows ?? [], 80, 10)[0]).toContain(
      'this port is no longer listening (port 5432/tcp)',
    );
  });

  it('says the container is gone, by name and id', () => {
    const onWeb = run(base, key('G'), key('', {return: true}));
    expect(onWeb.mode).toMatchObject({containerId: web.id});
    const gone = run(onWeb, {
      type: 'snapshot',
      snapshot: fakeSnapshot(fakeSnapshot().rows.filter((row) => row.container === null)),
    });
    if (gone.mode.kind !== 'detail') {
      throw new Error('the pane closed');
    }
    expect(detailGoneLines(gone.mode, gone.snapshot?.rows ?? [], 80, 10)[0]).toMatch(
      /^container web \(a1b2c3d4e5f6\) is gone/,
    );
  });

  it('says how many SO_REUSEPORT sockets a row stands for', () => {
    expect(detailLines(fakeRow(18240, {sockets: 4}), 100, 20).join('\n')).toContain(
      '4 sockets (SO_REUSEPORT)',
    );
  });
});
