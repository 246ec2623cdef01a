import type {Key} from 'ink';
import {describe, expect, it} from 'vitest';
import {initialState, reduce} from '../../source/tui/reducer.js';
import {
  isTreeLine,
  selectedGroup,
  selectedLine,
  selectedRow,
  selectVisibleLines,
} from '../../source/tui/selection.js';
import type {AppAction, AppState} from '../../source/tui/types.js';
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

function run(state: AppState, ...actions: AppAction[]): AppState {
  return actions.reduce(reduce, state);
}

const web = fakeContainer('web', 'a'.repeat(64));
const api = fakeContainer('api', 'b'.repeat(64));
const solo = fakeContainer('solo', 'c'.repeat(64), {composeProject: null, labels: {}});

const containerRow = fakeContainerRow;

const rows = [
  fakeRow(22, {process: 'sshd'}),
  containerRow(8080, web),
  containerRow(8443, web),
  containerRow(9000, api),
  containerRow(7000, solo),
];

const flat = run(initialState({columns: 140, rows: 30}), {
  type: 'snapshot',
  snapshot: fakeSnapshot(rows),
});
const grouped = run(initialState({columns: 140, rows: 30, group: true}), {
  type: 'snapshot',
  snapshot: fakeSnapshot(rows),
});

/** What each line is: `group:KIND` or the row's port. */
function shape(state: AppState): string[] {
  return selectVisibleLines(state).map((line) =>
    isTreeLine(line) && line.kind === 'group'
      ? `${'  '.repeat(line.depth)}${line.expanded ? '▾' : '▸'} ${line.group}`
      : `${'  '.repeat(isTreeLine(line) ? line.depth : 0)}${isTreeLine(line) ? line.row.port : line.port}`,
  );
}

/** Selects the first line for which `matches` holds. */
function select(state: AppState, matches: (state: AppState) => boolean): AppState {
  let next = run(state, key('g'));
  for (let step = 0; step < 20 && !matches(next); step++) {
    next = run(next, key('j'));
  }
  expect(matches(next)).toBe(true);
  return next;
}

describe('grouped view (t, F5, --group)', () => {
  it('--group starts with the tree: project -> container -> ports, processes on their own', () => {
    expect(grouped.grouped).toBe(true);
    const lines = shape(grouped);
    expect(lines).toContain('▾ project');
    expect(lines.filter((line) => line.trim() === '▾ container')).toHaveLength(3);
    expect(lines.filter((line) => line.includes('▾ process'))).toHaveLength(1);
    // Each port row comes after its group.
    const webGroup = selectVisibleLines(grouped).findIndex(
      (line) => isTreeLine(line) && line.kind === 'group' && line.container?.name === 'web',
    );
    const ports = selectVisibleLines(grouped)
      .slice(webGroup + 1, webGroup + 3)
      .map((line) => (isTreeLine(line) && line.kind === 'row' ? line.row.port : null));
    expect(ports.sort()).toEqual([8080, 8443]);
  });

  it('t toggles, and F5 too; the selected row stays selected both ways', () => {
    const onApi = select(flat, (state) => selectedRow(state)?.port === 9000);
    const tree = run(onApi, key('t'));
    expect(tree.grouped).toBe(true);
    expect(selectedRow(tree)?.port).toBe(9000);
    const back = run(tree, {type: 'key', press: {input: '', key: {}, functionKey: 5}});
    expect(back.grouped).toBe(false);
    expect(selectedRow(back)?.port).toBe(9000);
  });

  it('a group selected when going flat gives the selection to its first row', () => {
    const onWeb = select(grouped, (state) => selectedGroup(state)?.container?.name === 'web');
    const back = run(onWeb, key('t'));
    expect([8080, 8443]).toContain(selectedRow(back)?.port);
  });

  it('← and → close and open a group; Enter toggles; ← on a row goes to its group', () => {
    const onWeb = select(grouped, (state) => selectedGroup(state)?.container?.name === 'web');
    const closed = run(onWeb, key('', {leftArrow: true}));
    expect(selectedGroup(closed)?.expanded).toBe(false);
    expect(shape(closed).length).toBe(shape(grouped).length - 2);
    expect(selectedGroup(run(closed, key('', {rightArrow: true})))?.expanded).toBe(true);
    expect(selectedGroup(run(closed, key('', {return: true})))?.expanded).toBe(true);
    expect(selectedGroup(run(onWeb, key('-')))?.expanded).toBe(false);
    const onRow = select(grouped, (state) => selectedRow(state)?.port === 8443);
    expect(selectedGroup(run(onRow, key('', {leftArrow: true})))?.container?.name).toBe('web');
  });

  it('a closed group stays closed across refreshes, and a row inside it gives its place to the group on t', () => {
    const onWeb = select(grouped, (state) => selectedGroup(state)?.container?.name === 'web');
    const closed = run(onWeb, key('-'));
    const refreshed = run(closed, {type: 'snapshot', snapshot: fakeSnapshot([...rows])});
    expect(selectedGroup(refreshed)?.container?.name).toBe('web');
    expect(selectedGroup(refreshed)?.expanded).toBe(false);
    const flatOn8080 = run(run(refreshed, key('t')), key('g'));
    const onRow = select(flatOn8080, (state) => selectedRow(state)?.port === 8080);
    expect(selectedGroup(run(onRow, key('t')))?.container?.name).toBe('web');
  });

  it('the filter applies inside groups: a group shows when one of its rows matches', () => {
    const filtered = run(
      grouped,
      key('/'),
      ...[...'8443'].map((c) => key(c)),
      key('', {return: true}),
    );
    const lines = selectVisibleLines(filtered);
    const rowsShown = lines.filter((line) => isTreeLine(line) && line.kind === 'row');
    expect(rowsShown).toHaveLength(1);
    expect(
      lines.some(
        (line) => isTreeLine(line) && line.kind === 'group' && line.container?.name === 'web',
      ),
    ).toBe(true);
    expect(
      lines.some(
        (line) => isTreeLine(line) && line.kind === 'group' && line.container?.name === 'api',
      ),
    ).toBe(false);
  });

  it('k on a container group asks for that container; on a project, for all of its containers at once', () => {
    const onWeb = select(grouped, (state) => selectedGroup(state)?.container?.name === 'web');
    const asking = run(onWeb, key('k'));
    expect(asking.mode).toMatchObject({kind: 'confirm', action: {name: 'web', verb: 'kill'}});
    const onProject = select(grouped, (state) => selectedGroup(state)?.group === 'project');
    const many = run(onProject, key('s'));
    expect(many.mode).toMatchObject({kind: 'confirm-many', verb: 'stop'});
    expect(many.mode.kind === 'confirm-many' && many.mode.targets.map((t) => t.name)).toEqual([
      'api',
      'web',
    ]);
    // Space on the project tags both.
    expect(Object.keys(run(onProject, key(' ')).tags)).toHaveLength(2);
  });

  it('l on a container group opens its logs; on a process group says it has none', () => {
    const onWeb = select(grouped, (state) => selectedGroup(state)?.container?.name === 'web');
    expect(run(onWeb, key('l')).logs?.target.name).toBe('web');
    const onProcess = select(grouped, (state) => selectedGroup(state)?.group === 'process');
    expect(run(onProcess, key('l')).status?.text).toMatch(/has none/);
    expect(selectedLine(onProcess)).toBeDefined();
  });

  it('→ in the flat list says to group first', () => {
    expect(run(flat, key('', {rightArrow: true})).status?.text).toMatch(/t groups the rows first/);
  });
});
