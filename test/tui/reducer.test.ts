import type {Key} from 'ink';
import stringWidth from 'string-width';
import {describe, expect, it} from 'vitest';
import {interpretKey} from '../../source/tui/keys.js';
import {initialState, reduce} from '../../source/tui/reducer.js';
import {listHeight, selectedRow, selectVisibleRows} from '../../source/tui/selection.js';
import type {AppAction, AppState} from '../../source/tui/types.js';
import {layoutFor, rowLine, titleLine} from '../../source/tui/view.js';
import {fakeContainer, fakeRow, fakeSnapshot} from '../helpers/snapshot-fixture.js';

const key = (input: string, flags: Partial<Key> = {}): AppAction => ({
  type: 'key',
  press: {input, key: flags},
});

function run(state: AppState, ...actions: AppAction[]): AppState {
  return actions.reduce(reduce, state);
}

const base = run(initialState({columns: 100, rows: 20}), {
  type: 'snapshot',
  snapshot: fakeSnapshot(),
});

describe('reducer: selection and windowing', () => {
  it('selects the first row, moves, and clamps at the ends', () => {
    expect(selectedRow(base)?.port).toBe(22);
    expect(selectedRow(run(base, key('', {downArrow: true})))?.port).toBe(5432);
    expect(selectedRow(run(base, key('j'), key('j'), key('j'), key('j')))?.port).toBe(18080);
    expect(selectedRow(run(base, key('', {upArrow: true})))?.port).toBe(22);
    expect(selectedRow(run(base, key('G')))?.port).toBe(18080);
    expect(selectedRow(run(base, key('G'), key('g')))?.port).toBe(22);
  });

  it('keeps the selection on its row when a refresh reorders or adds rows', () => {
    const onPostgres = run(base, key('j'));
    const refreshed = fakeSnapshot([fakeRow(80), ...fakeSnapshot().rows]);
    expect(selectedRow(run(onPostgres, {type: 'snapshot', snapshot: refreshed}))?.port).toBe(5432);
  });

  it('keeps the place when the selected row disappears', () => {
    const onPostgres = run(base, key('j'));
    const without = fakeSnapshot([fakeRow(22), fakeRow(6000), fakeRow(7000)]);
    expect(selectedRow(run(onPostgres, {type: 'snapshot', snapshot: without}))?.port).toBe(6000);
  });

  it('scrolls so the selection stays visible, a page at a time with PgDn', () => {
    const many = fakeSnapshot(Array.from({length: 50}, (_, index) => fakeRow(1000 + index)));
    const state = run(initialState({columns: 100, rows: 15}), {type: 'snapshot', snapshot: many});
    const height = listHeight(state);
    expect(height).toBe(15 - 1 - 5);
    const paged = run(state, key('', {pageDown: true}));
    expect(selectedRow(paged)?.port).toBe(1000 + height);
    expect(paged.scrollTop).toBe(1);
    const end = run(state, key('', {end: true}));
    expect(end.scrollTop).toBe(50 - height);
    expect(selectedRow(end)?.port).toBe(1049);
    const resized = run(end, {type: 'resize', columns: 100, rows: 30});
    expect(resized.scrollTop).toBe(50 - listHeight(resized));
  });
});

describe('reducer: filter', () => {
  it('filters live as you type, keeps it on Enter, clears it on Esc', () => {
    const partial = run(base, key('/'), key('5'), key('4'));
    expect(partial.mode).toEqual({kind: 'filter', draft: '54'});
    // Digits are a port prefix while typing: 54 shows 5432.
    expect(selectVisibleRows(partial).map((row) => row.port)).toEqual([5432]);
    const typing = run(partial, key('3'), key('2'));
    expect(selectVisibleRows(typing).map((row) => row.port)).toEqual([5432]);
    const kept = run(typing, key('', {return: true}));
    expect(kept.mode.kind).toBe('list');
    expect(selectVisibleRows(kept)).toHaveLength(1);
    const cleared = run(kept, key('/'), key('', {escape: true}));
    expect(selectVisibleRows(cleared)).toHaveLength(3);
  });

  it('reads ranges and text, and deletes with backspace', () => {
    expect(
      selectVisibleRows(run(base, key('/'), ...'5000-20000'.split('').map((c) => key(c)))).map(
        (row) => row.port,
      ),
    ).toEqual([5432, 18080]);
    expect(
      selectVisibleRows(run(base, key('/'), ...'web'.split('').map((c) => key(c)))).map(
        (row) => row.port,
      ),
    ).toEqual([18080]);
    expect(run(base, key('/'), key('a'), key('b'), key('', {backspace: true})).mode).toEqual({
      kind: 'filter',
      draft: 'a',
    });
  });

  it('keys typed right after / go to the prompt, not to the list', () => {
    const state = run(base, key('/'), key('k'), key('q'));
    expect(state.mode).toEqual({kind: 'filter', draft: 'kq'});
    expect(state.quitting).toBe(false);
  });
});

describe('reducer: sort', () => {
  it('cycles the column with < and >, inverts with I', () => {
    expect(run(base, key('>')).sort).toEqual({column: 'pid', descending: false});
    expect(run(base, key('<')).sort).toEqual({column: 'address', descending: false});
    const inverted = run(base, key('I'));
    expect(selectVisibleRows(inverted).map((row) => row.port)).toEqual([18080, 5432, 22]);
    const byProcess = run(base, key('>'), key('>'));
    expect(byProcess.sort.column).toBe('process');
    expect(selectVisibleRows(byProcess).map((row) => row.process)).toEqual([
      'docker-proxy',
      'postgres',
      'sshd',
    ]);
  });
});

describe('reducer: kill and stop', () => {
  const onWeb = run(base, key('G'));

  it('asks before killing a container, and only y says yes', () => {
    const asking = run(onWeb, key('k'));
    expect(asking.mode).toEqual({
      kind: 'confirm',
      action: {
        kind: 'container',
        verb: 'kill',
        containerId: 'a1b2c3d4e5f6a7b8c9d0',
        name: 'web',
        endpoint: 'unix:///var/run/docker.sock',
        engine: 'docker',
      },
    });
    const no = run(asking, key('n'));
    expect(no.queue).toEqual([]);
    expect(no.status?.text).toBe('cancelled');
    expect(run(asking, key('', {return: true})).queue).toEqual([]);
    const yes = run(asking, key('y'));
    expect(yes.queue).toEqual([{id: 1, action: (asking.mode as {action: unknown}).action}]);
    expect(yes.inProgress).toEqual({a1b2c3d4e5f6a7b8c9d0: 'killing'});
  });

  it('s stops a container gracefully; s on a plain process explains itself', () => {
    expect(run(onWeb, key('s')).mode).toMatchObject({action: {verb: 'stop'}});
    expect(run(base, key('s')).status?.text).toMatch(/s stops containers/);
  });

  it('k on a host process asks which signal, TERM by default, then confirms', () => {
    const choosing = run(base, key('k'));
    expect(choosing.mode).toEqual({
      kind: 'choose-signal',
      pid: 1022,
      startTicks: 5022,
      name: 'sshd',
    });
    expect(run(choosing, key('', {return: true})).mode).toMatchObject({
      action: {kind: 'process', signal: 'SIGTERM'},
    });
    expect(run(choosing, key('K')).mode).toMatchObject({action: {signal: 'SIGKILL', pid: 1022}});
    expect(run(choosing, key('', {escape: true})).mode.kind).toBe('list');
  });

  it('keeps the identity of the process shown, pid and start time, up to the queued action', () => {
    const queued = run(base, key('k'), key('K'), key('y')).queue;
    expect(queued).toEqual([
      {
        id: 1,
        action: {kind: 'process', pid: 1022, startTicks: 5022, name: 'sshd', signal: 'SIGKILL'},
      },
    ]);
  });

  it('a process replaced under the same pid redraws, and the prompt takes the new identity', () => {
    const replaced = fakeSnapshot(
      fakeSnapshot().rows.map((row) => (row.port === 22 ? {...row, startTicks: 9999} : row)),
    );
    const state = run(base, {type: 'snapshot', snapshot: replaced});
    expect(state).not.toBe(base);
    expect(run(state, key('k')).mode).toMatchObject({pid: 1022, startTicks: 9999});
  });

  it('never signals a helper process whose container is unknown', () => {
    const orphanProxy = fakeSnapshot([
      fakeRow(9000, {process: 'docker-proxy', helper: 'docker-proxy'}),
    ]);
    const state = run(
      initialState({columns: 100, rows: 20}),
      {type: 'snapshot', snapshot: orphanProxy},
      key('k'),
    );
    expect(state.mode.kind).toBe('list');
    expect(state.status?.text).toMatch(/docker-proxy helper/);
  });

  it('clears the in-progress mark and shows the outcome when the action finishes', () => {
    const running = run(onWeb, key('k'), key('y'), {type: 'action-started', id: 1});
    expect(running.queue).toEqual([]);
    const done = run(running, {
      type: 'action-finished',
      id: 1,
      key: 'a1b2c3d4e5f6a7b8c9d0',
      status: {text: 'killed web (a1b2c3d4e5f6)', tone: 'ok'},
    });
    expect(done.inProgress).toEqual({});
    expect(done.status).toEqual({text: 'killed web (a1b2c3d4e5f6)', tone: 'ok'});
  });
});

describe('reducer: panes, pause, quit', () => {
  it('opens and closes help and detail, pauses, quits on q and Ctrl-C', () => {
    expect(run(base, key('?')).mode.kind).toBe('help');
    expect(run(base, key('?'), key('', {escape: true})).mode.kind).toBe('list');
    expect(run(base, key('', {return: true})).mode.kind).toBe('detail');
    expect(run(base, key('p')).paused).toBe(true);
    expect(run(base, key('p'), key('p')).paused).toBe(false);
    expect(run(base, key('q')).quitting).toBe(true);
    expect(run(base, key('c', {ctrl: true})).quitting).toBe(true);
    expect(run(base, key('/'), key('c', {ctrl: true})).quitting).toBe(true);
  });

  it('interpretKey ignores unbound keys', () => {
    expect(interpretKey({kind: 'list'}, {input: 'z', key: {}})).toBeUndefined();
  });
});

describe('reducer: an idle host does not redraw', () => {
  it('keeps the same state for a snapshot that would draw the same screen', () => {
    const again = fakeSnapshot(undefined, {takenAt: 1000, durationMs: 13});
    expect(reduce(base, {type: 'snapshot', snapshot: again})).toBe(base);
  });

  it('redraws when a row, a shown uptime, a slow refresh time or the 10 s step have changed', () => {
    const rows = fakeSnapshot().rows;
    const older = rows.map((row, index) => (index === 0 ? {...row, uptimeSeconds: 45} : row));
    expect(reduce(base, {type: 'snapshot', snapshot: fakeSnapshot(older)})).not.toBe(base);
    // An uptime shown in minutes redraws when the shown minute changes, not every second.
    const sameMinute = rows.map((row, index) => (index === 0 ? {...row, uptimeSeconds: 179} : row));
    expect(reduce(base, {type: 'snapshot', snapshot: fakeSnapshot(sameMinute)})).toBe(base);
    const minuteLater = rows.map((row, index) =>
      index === 0 ? {...row, uptimeSeconds: 180} : row,
    );
    expect(reduce(base, {type: 'snapshot', snapshot: fakeSnapshot(minuteLater)})).not.toBe(base);
    expect(reduce(base, {type: 'snapshot', snapshot: fakeSnapshot(rows.slice(1))})).not.toBe(base);
    // The refresh time: a wobble waits for the next 10 s step, a slow refresh shows at once.
    expect(
      reduce(base, {type: 'snapshot', snapshot: fakeSnapshot(undefined, {durationMs: 120})}),
    ).toBe(base);
    expect(
      reduce(base, {type: 'snapshot', snapshot: fakeSnapshot(undefined, {durationMs: 900})}),
    ).not.toBe(base);
    expect(
      reduce(base, {type: 'snapshot', snapshot: fakeSnapshot(undefined, {takenAt: 10_000})}),
    ).not.toBe(base);
  });
});

describe('reducer: a container status the screen does not show', () => {
  const withStatus = (status: string) =>
    fakeSnapshot(
      fakeSnapshot().rows.map((row) =>
        row.container === null ? row : {...row, container: {...row.container, status}},
      ),
    );

  it('draws nothing in the list, where no column shows it', () => {
    expect(reduce(base, {type: 'snapshot', snapshot: withStatus('Up 2 hours')})).toBe(base);
  });

  it('redraws the detail pane of that container, which shows it', () => {
    const detail = run(base, key('G'), key('', {return: true}));
    expect(detail.mode.kind).toBe('detail');
    expect(reduce(detail, {type: 'snapshot', snapshot: withStatus('Up 2 hours')})).not.toBe(detail);
    // A detail pane of another row: nothing it shows moved.
    const other = run(base, key('', {return: true}));
    expect(reduce(other, {type: 'snapshot', snapshot: withStatus('Up 2 hours')})).toBe(other);
  });
});

describe('reducer: a burst of input', () => {
  it('reads text that arrives as one chunk key by key, Enter included', () => {
    const state = run(base, key('/5432\r'));
    expect(state.mode.kind).toBe('list');
    expect(selectVisibleRows(state).map((row) => row.port)).toEqual([5432]);
    expect(run(base, key('/'), key('54x\u007F32')).mode).toEqual({kind: 'filter', draft: '5432'});
  });
});

describe('row and title lines', () => {
  it('are exactly as wide as asked, wide characters and cut cells included', () => {
    const rows = [
      fakeRow(80, {process: '数据库服务进程', user: 'ユーザー'}),
      fakeRow(443, {
        process: 'a-very-long-process-name-indeed',
        container: fakeContainer('名前-container-with-a-long-name', 'c0ffee'),
      }),
    ];
    for (const width of [20, 33, 47, 60, 81, 119, 160]) {
      const placed = layoutFor(rows, width);
      for (const row of rows) {
        expect(stringWidth(rowLine(row, placed, {}, width)), `row at ${width}`).toBe(width);
      }
      const title = titleLine(placed, {column: 'port', descending: false}, width);
      expect(stringWidth(title), `title at ${width}`).toBe(width);
    }
  });
});
