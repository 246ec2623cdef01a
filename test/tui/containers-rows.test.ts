import type {Key} from 'ink';
import {describe, expect, it} from 'vitest';
import {logsPaneLines, logsTop} from '../../source/tui/logs-pane.js';
import {paneHeight} from '../../source/tui/pane.js';
import {initialState, reduce} from '../../source/tui/reducer.js';
import {selectedRow} from '../../source/tui/selection.js';
import type {AppAction, AppState, LogLineView, LogsState} from '../../source/tui/types.js';
import {footerLine, headerLine, statusLine} from '../../source/tui/view.js';
import {
  fakeContainer,
  fakeContainerRow,
  fakeRow,
  fakeSnapshot,
} from '../helpers/snapshot-fixture.js';

const key = (input: string, flags: Partial<Key> = {}): AppAction => ({
  type: 'key',
  press: {input, key: flags},
});
const type = (text: string): AppAction[] => [...text].map((character) => key(character));

function run(state: AppState, ...actions: AppAction[]): AppState {
  return actions.reduce(reduce, state);
}

const ids = {
  web: 'a'.repeat(64),
  db: 'b'.repeat(64),
  cache: 'c'.repeat(64),
};
const web = fakeContainer('web', ids.web);
const db = fakeContainer('db', ids.db, {composeProject: null, labels: {}});
const cache = fakeContainer('cache', ids.cache);

const containerRow = fakeContainerRow;

const rows = [
  fakeRow(22, {process: 'sshd'}),
  containerRow(8080, web),
  containerRow(8081, web),
  containerRow(5432, db),
  containerRow(6379, cache),
];
const base = run(initialState({columns: 140, rows: 24}), {
  type: 'snapshot',
  snapshot: fakeSnapshot(rows),
});
/** The state with the selection on the row of `port`. */
function on(state: AppState, port: number): AppState {
  let next = run(state, key('g'));
  for (let step = 0; step < 10 && selectedRow(next)?.port !== port; step++) {
    next = run(next, key('j'));
  }
  expect(selectedRow(next)?.port).toBe(port);
  return next;
}

describe('tagging', () => {
  it('Space tags the container of the row, again untags it; U clears; the header counts', () => {
    const one = run(on(base, 8080), key(' '));
    expect(Object.keys(one.tags)).toEqual([ids.web]);
    expect(
      headerLine(one.snapshot, 5, {paused: false, intervalMs: 2000, tagged: 1}, 200),
    ).toContain('1 tagged');
    // The other row of the same container shows it tagged too: the tag is the container's.
    const again = run(on(one, 8081), key(' '));
    expect(again.tags).toEqual({});
    const two = run(on(one, 5432), key(' '));
    expect(Object.keys(two.tags).sort()).toEqual([ids.web, ids.db].sort());
    const cleared = run(two, key('U'));
    expect(cleared.tags).toEqual({});
    expect(cleared.status?.text).toBe('2 untagged');
  });

  it('says that a row without a container cannot be tagged', () => {
    const state = run(on(base, 22), key(' '));
    expect(state.tags).toEqual({});
    expect(state.status?.text).toMatch(/only containers can be tagged/);
  });

  it('keeps tags across refreshes and drops the tag of a container that is gone', () => {
    const tagged = run(on(run(on(base, 8080), key(' ')), 5432), key(' '));
    expect(Object.keys(tagged.tags).sort()).toEqual([ids.web, ids.db].sort());
    const same = run(tagged, {type: 'snapshot', snapshot: fakeSnapshot([...rows])});
    expect(Object.keys(same.tags).sort()).toEqual([ids.web, ids.db].sort());
    const withoutDb = rows.filter((row) => row.container?.id !== ids.db);
    const gone = run(tagged, {type: 'snapshot', snapshot: fakeSnapshot(withoutDb)});
    expect(Object.keys(gone.tags)).toEqual([ids.web]);
  });
});

describe('bulk actions on tagged containers', () => {
  const tagged = [8080, 5432, 6379].reduce((state, port) => run(on(state, port), key(' ')), base);

  it('k asks once, naming every tagged container, whichever row is selected', () => {
    const asking = run(on(tagged, 22), key('k'));
    expect(asking.mode.kind).toBe('confirm-many');
    const prompt = statusLine(asking.mode, null, '', null, 300).text;
    expect(prompt).toContain(
      'Kill 3 containers: cache (cccccccccccc), db (bbbbbbbbbbbb), web (aaaaaaaaaaaa)? [y/N]',
    );
  });

  it('anything but y cancels and nothing is queued', () => {
    const cancelled = run(tagged, key('s'), key('n'));
    expect(cancelled.queue).toEqual([]);
    expect(cancelled.mode.kind).toBe('list');
    expect(cancelled.status?.text).toBe('cancelled');
  });

  it('y queues one action per container as one batch, and reports each outcome', () => {
    const confirmed = run(tagged, key('r'), key('y'));
    expect(confirmed.queue.map((queued) => queued.action)).toEqual([
      expect.objectContaining({kind: 'container', verb: 'restart', name: 'cache'}),
      expect.objectContaining({kind: 'container', verb: 'restart', name: 'db'}),
      expect.objectContaining({kind: 'container', verb: 'restart', name: 'web'}),
    ]);
    const batch = confirmed.queue[0]?.batch;
    expect(batch).toBeDefined();
    expect(confirmed.queue.every((queued) => queued.batch === batch)).toBe(true);
    expect(confirmed.inProgress[ids.web]).toBe('restarting');
    expect(confirmed.status).toEqual({
      text: 'restarting 3 containers: in progress…',
      tone: 'progress',
    });
    const finish = (index: number, text: string, tone: 'ok' | 'error'): AppAction => {
      const queued = confirmed.queue[index];
      return {
        type: 'action-finished',
        id: queued?.id ?? 0,
        key: queued?.action.kind === 'container' ? queued.action.containerId : '',
        status: {text, tone},
        batch,
      };
    };
    const first = run(confirmed, finish(0, 'restarted cache (cccccccccccc)', 'ok'));
    expect(first.status).toEqual({
      text: 'restarted cache (cccccccccccc) · 2 of 3 still restarting…',
      tone: 'progress',
    });
    const all = run(
      first,
      finish(1, 'restart db (bbbbbbbbbbbb) failed: engine said 500', 'error'),
      finish(2, 'restarted web (aaaaaaaaaaaa)', 'ok'),
    );
    expect(all.status?.text).toBe(
      'restarted cache (cccccccccccc) · restart db (bbbbbbbbbbbb) failed: engine said 500 · restarted web (aaaaaaaaaaaa)',
    );
    expect(all.status?.tone).toBe('error');
    expect(all.inProgress).toEqual({});
    expect(all.batches).toEqual({});
  });
});

describe('restart', () => {
  it('r asks a y/N question naming the container, y queues the restart', () => {
    const asking = run(on(base, 5432), key('r'));
    expect(statusLine(asking.mode, null, '', null, 200).text).toContain(
      'Restart container db (bbbbbbbbbbbb)? [y/N]',
    );
    const confirmed = run(asking, key('y'));
    expect(confirmed.queue[0]?.action).toEqual({
      kind: 'container',
      verb: 'restart',
      containerId: ids.db,
      name: 'db',
      endpoint: web.endpoint,
      engine: 'docker',
    });
  });

  it('on a row without a container, says r restarts containers', () => {
    expect(run(on(base, 22), key('r')).status?.text).toMatch(
      /r restarts containers; this port has none/,
    );
  });

  it('is in the footer-free help and the footer shows logs, tag and group', () => {
    const footer = footerLine(400);
    expect(footer).toContain('l logs');
    expect(footer).toContain('Space tag');
    expect(footer).toContain('t group');
  });
});

/** The open logs pane's state (the test fails if none is open). */
function logsOf(state: AppState): LogsState {
  if (state.logs === null) {
    throw new Error('no logs pane is open');
  }
  return state.logs;
}

const line = (text: string, stream: 'stdout' | 'stderr' = 'stdout'): LogLineView => ({
  stream,
  timestamp: '2026-12-01T21:53:14.123456789Z',
  text,
});

describe('logs pane', () => {
  const open = run(on(base, 8080), key('l'));
  const session = open.logs?.session ?? -1;
  const lines = Array.from({length: 40}, (_, index) => line(`line ${index}`));

  it('l opens the logs of the row container, following', () => {
    expect(open.mode.kind).toBe('logs');
    expect(open.logs?.target.containerId).toBe(ids.web);
    expect(open.logs?.follow).toBe(true);
    const shown = logsPaneLines(logsOf(open), 100, paneHeight(open)).map((entry) => entry.text);
    expect(shown[0]).toContain('logs of web (aaaaaaaaaaaa) · following');
    expect(shown[1]).toContain('waiting for lines…');
  });

  it('shows the newest lines while following, with time and a ! for stderr', () => {
    const state = run(open, {
      type: 'logs-lines',
      session,
      lines: [...lines, line('oops', 'stderr')],
      dropped: 0,
    });
    const shown = logsPaneLines(logsOf(state), 100, paneHeight(state));
    const body = shown.slice(1, -1);
    expect(body.at(-1)?.text.trimEnd()).toBe('21:53:14 ! oops');
    expect(body.at(-1)?.tone).toBe('stderr');
    expect(body.at(-2)?.text.trimEnd()).toBe('21:53:14   line 39');
    expect(shown.at(-1)?.text).toContain('of 41');
  });

  it('ignores lines of an older pane', () => {
    const state = run(open, {type: 'logs-lines', session: session - 1, lines, dropped: 0});
    expect(state.logs?.lines).toEqual([]);
  });

  it('scrolling up pauses following; the view stays on its lines as old ones drop; f and End follow again', () => {
    const full = run(open, {type: 'logs-lines', session, lines, dropped: 0});
    const height = paneHeight(full);
    const up = run(full, key('', {pageUp: true}));
    expect(up.logs?.follow).toBe(false);
    const top = logsTop(logsOf(up), height);
    const first = up.logs?.lines[top]?.text;
    const more = [...lines.slice(5), ...Array.from({length: 5}, (_, i) => line(`new ${i}`))];
    const moved = run(up, {type: 'logs-lines', session, lines: more, dropped: 5});
    expect(moved.logs?.lines[logsTop(logsOf(moved), height)]?.text).toBe(first);
    const followed = run(moved, key('f'));
    expect(followed.logs?.follow).toBe(true);
    expect(run(moved, key('G')).logs?.follow).toBe(true);
  });

  it('/ searches: only matching lines are shown, Esc clears the search, Esc again closes', () => {
    const full = run(open, {type: 'logs-lines', session, lines, dropped: 0});
    const searching = run(full, key('/'), ...type('line 3'));
    expect(searching.mode).toEqual({kind: 'logs-search', draft: 'line 3'});
    const body = logsPaneLines(logsOf(searching), 100, paneHeight(searching))
      .slice(1, -1)
      .map((entry) => entry.text.trim())
      .filter((text) => text !== '');
    expect(body).toEqual([
      '21:53:14   line 3',
      ...Array.from({length: 10}, (_, i) => `21:53:14   line 3${i}`),
    ]);
    const kept = run(searching, key('', {return: true}));
    expect(kept.mode.kind).toBe('logs');
    expect(kept.logs?.search).toBe('line 3');
    const cleared = run(searching, key('', {escape: true}));
    expect(cleared.logs?.search).toBe('');
    const closed = run(kept, key('', {escape: true}));
    expect(closed.mode.kind).toBe('list');
    expect(closed.logs).toBeNull();
  });

  it('a stopped container keeps its pane with a line saying so', () => {
    const ended = run(
      open,
      {type: 'logs-lines', session, lines: lines.slice(0, 3), dropped: 0},
      {type: 'logs-ended', session, text: 'web stopped: no more lines', isError: false},
    );
    const shown = logsPaneLines(logsOf(ended), 100, paneHeight(ended));
    expect(shown[0]?.text).toContain('· ended');
    expect(shown.map((entry) => entry.text.trim())).toContain('— web stopped: no more lines —');
  });

  it('shows control and bidi characters as ?', () => {
    const state = run(open, {
      type: 'logs-lines',
      session,
      lines: [line('a\u001b[2Jb\u202ec')],
      dropped: 0,
    });
    const body = logsPaneLines(logsOf(state), 100, paneHeight(state))[1]?.text ?? '';
    expect(body).toContain('a?[2Jb?c');
    expect(body).not.toContain('\u001b');
  });

  it('l on a row without a container says so', () => {
    expect(run(on(base, 22), key('l')).status?.text).toMatch(/this row has none/);
  });
});

describe('stats in the detail pane', () => {
  it('keeps a sample only for the container the pane shows', () => {
    const detail = run(on(base, 8080), key('', {return: true}));
    expect(detail.mode.kind).toBe('detail');
    const stats = {
      containerId: ids.web,
      stats: {
        cpuPercent: 1.5,
        memoryBytes: 3 * 1024 * 1024,
        memoryLimitBytes: null,
        networkRxBytes: 1000,
        networkTxBytes: 0,
        pids: 2,
      },
      error: null,
    };
    const sampled = run(detail, {type: 'stats', stats});
    expect(sampled.stats).toEqual(stats);
    const other = run(detail, {type: 'stats', stats: {...stats, containerId: ids.db}});
    expect(other.stats).toBeNull();
    expect(run(sampled, key('', {escape: true})).stats).toBeNull();
  });
});
