import type {Key} from 'ink';
import {describe, expect, it} from 'vitest';
import {initialState, reduce} from '../../source/tui/reducer.js';
import {selectVisibleRows} from '../../source/tui/selection.js';
import type {AppAction, AppState} from '../../source/tui/types.js';
import {enginesLine, layoutFor, titleLine} from '../../source/tui/view.js';
import {fakeContainer, fakeRow, fakeSnapshot} from '../helpers/snapshot-fixture.js';

const key = (input: string, flags: Partial<Key> = {}): AppAction => ({
  type: 'key',
  press: {input, key: flags},
});

function run(state: AppState, ...actions: AppAction[]): AppState {
  return actions.reduce(reduce, state);
}

const lab = {name: 'lab', local: true};
const srv = {name: 'srv', local: false};
const engine = (endpoint: string) => ({
  endpoint,
  source: 'default',
  engine: 'docker' as const,
  ok: true,
  containers: 1,
  durationMs: 3,
  error: null,
});
const remoteWeb = fakeContainer('web', 'b'.repeat(64), {endpoint: 'ssh://root@srv'});
const fleet = fakeSnapshot(
  [
    fakeRow(22, {process: 'sshd', host: lab, key: 'lab|22'}),
    fakeRow(23, {process: 'sshd', host: srv, key: 'srv|23'}),
    fakeRow(8080, {process: 'docker-proxy', host: srv, key: 'srv|8080', container: remoteWeb}),
  ],
  {
    hosts: [
      {
        name: 'lab',
        kind: 'local',
        engines: [engine('unix:///var/run/docker.sock')],
        waiting: false,
      },
      {name: 'srv', kind: 'ssh', engines: [engine('ssh://root@srv')], waiting: false},
    ],
  },
);
const base = run(initialState({columns: 120, rows: 20}), {type: 'snapshot', snapshot: fleet});

describe('the dashboard over several hosts', () => {
  it('shows a HOST column first, and a header naming each host with its engines', () => {
    expect(
      titleLine(layoutFor(fleet.rows, 120, 'port'), {column: 'port', descending: false}, 118),
    ).toMatch(/^\s*HOST\s+PROTO/);
    const header = enginesLine(fleet, 200).text;
    expect(header).toContain('lab: docker unix:///var/run/docker.sock (1)');
    expect(header).toContain('srv: docker ssh://root@srv (1)');
  });

  it("k on a remote process with no container explains that only this machine's processes are signalled", () => {
    const onRemote = run(base, key('j'), key('k'));
    expect(onRemote.mode.kind).toBe('list');
    expect(onRemote.status?.text).toMatch(
      /runs on srv: nanodock-top signals processes of this machine only/,
    );
  });

  it('k on a local process still offers the signal; k on a remote container asks, naming it', () => {
    expect(run(base, key('k')).mode.kind).toBe('choose-signal');
    const onContainer = run(base, key('j'), key('j'), key('k'));
    expect(onContainer.mode).toMatchObject({
      kind: 'confirm',
      action: {kind: 'container', verb: 'kill', name: 'web', endpoint: 'ssh://root@srv'},
    });
  });

  it('/ matches the host name', () => {
    const filtered = run(base, key('/'), ...[...'srv'].map((c) => key(c)), key('', {return: true}));
    expect(selectVisibleRows(filtered).map((row) => row.port)).toEqual([23, 8080]);
  });
});
