import {cleanup} from 'ink-testing-library';
import {afterEach, describe, expect, it, vi} from 'vitest';
import type {Snapshot} from '../../source/snapshot.js';
import {App} from '../../source/tui/app.js';
import type {DashboardServices} from '../../source/tui/services.js';
import type {PendingAction} from '../../source/tui/types.js';
import {quietContainerServices} from '../helpers/fake-services.js';
import {lines, renderSized, tick} from '../helpers/ink.js';
import {fakeRow, fakeSnapshot} from '../helpers/snapshot-fixture.js';

afterEach(() => cleanup());

function fakeServices(snapshot: Snapshot = fakeSnapshot()) {
  const actions: PendingAction[] = [];
  let refreshes = 0;
  const services: DashboardServices = {
    refresh: async (onUpdate) => {
      refreshes++;
      onUpdate(snapshot);
    },
    ...quietContainerServices,
    runAction: vi.fn(async (action: PendingAction) => {
      actions.push(action);
      return {text: `done ${action.kind}`, tone: 'ok' as const};
    }),
    watchEvents: () => () => {},
  };
  return {services, actions, refreshCount: () => refreshes};
}

describe('App (ink-testing-library, sized terminal)', () => {
  it('shows the header, column titles, rows with helpers marked, and the footer', async () => {
    const {services} = fakeServices();
    const app = await renderSized(<App services={services} color={false} />, 120, 30);
    const frame = lines(app.lastFrame());
    expect(frame[0]).toMatch(/^nanodock-top {2}testhost {2}3 rows {2}every 2s {2}refresh 12ms/);
    expect(frame[1]).toContain('engines: docker unix:///var/run/docker.sock (1)');
    expect(frame[2]).toMatch(
      /PROTO\s+ADDRESS\s+PORT▲\s+PID\s+PROCESS\s+USER\s+CONTAINER\s+COMPOSE\s+IMAGE\s+UPTIME/,
    );
    const proxy = frame.find((line) => line.includes('18080'));
    expect(proxy).toMatch(
      /^\* tcp\s+\*\s+18080\s+501 docker-proxy\s+root\s+web\s+shop\s+web-image:1/,
    );
    expect(frame.find((line) => line.includes('5432'))).toMatch(/^ {2}tcp/);
    expect(frame.at(-1)).toContain('/ filter');
    expect(frame.at(-1)).toContain('q ^C quit');
  });

  it('shows control characters in names as ?, so a process cannot send escapes to the terminal', async () => {
    const evil = fakeSnapshot([
      fakeRow(7000, {process: 'ev\u001B[31mil', command: ['ev\u001B]0;pwned\u0007il']}),
    ]);
    const {services} = fakeServices(evil);
    const app = await renderSized(<App services={services} color={false} />, 120, 30);
    const frame = app.lastFrame() ?? '';
    expect(frame).toContain('ev?[31mil');
    expect(frame).not.toContain('\u001B[31m');
    app.stdin.write('\r');
    await tick();
    const detail = app.lastFrame() ?? '';
    expect(detail).toContain('ev?]0;pwned?il');
    expect(detail).not.toContain('\u001B]');
  });

  it('shows a fake helper as !NAME, a plain process, with the reason in the details; k asks for a signal', async () => {
    const reason = 'named conmon, but /usr/bin/python3.11 run by ndlab: not trusted';
    const fake = fakeSnapshot([
      fakeRow(18160, {process: 'conmon', user: 'ndlab', untrusted: reason, startTicks: 42}),
    ]);
    const {services} = fakeServices(fake);
    const app = await renderSized(<App services={services} color={false} />, 120, 30);
    const row = lines(app.lastFrame()).find((line) => line.includes('18160'));
    expect(row).toMatch(/^ {2}tcp\s+0\.0\.0\.0\s+18160\s+\d+ !conmon\s+ndlab\s+-/);
    app.stdin.write('\r');
    await tick();
    expect(app.lastFrame()).toContain(`not a port helper: ${reason}`);
    expect(app.lastFrame()).toContain('container: none');
    app.stdin.write('\u001B');
    await tick();
    app.stdin.write('k');
    await tick();
    // A plain process: the signal question, never a container's.
    expect(app.lastFrame()).toMatch(/signal/i);
    expect(app.lastFrame()).not.toMatch(/Kill container/);
  });

  it('never renders more lines than the terminal height minus one, and fits the width', async () => {
    const many = fakeSnapshot(
      Array.from({length: 40}, (_, index) =>
        fakeRow(2000 + index, {process: 'a-long-process-name'}),
      ),
    );
    const {services} = fakeServices(many);
    for (const [columns, rows] of [
      [120, 30],
      [60, 15],
      [40, 10],
    ] as const) {
      const app = await renderSized(<App services={services} color={false} />, columns, rows);
      const frame = lines(app.lastFrame());
      expect(frame.length).toBeLessThanOrEqual(rows - 1);
      for (const line of frame) {
        expect(line.length).toBeLessThan(columns);
      }
      app.unmount();
    }
  });

  it('filters live as you type after /, and Esc clears', async () => {
    const {services} = fakeServices();
    const app = await renderSized(<App services={services} color={false} />, 100, 20);
    app.stdin.write('/');
    await tick();
    app.stdin.write('18080');
    await tick();
    let frame = lines(app.lastFrame());
    expect(frame.filter((line) => /^\S? ?\s*(tcp|udp) /.test(line))).toHaveLength(1);
    expect(frame.at(-2)).toContain('/18080█');
    expect(frame[0]).toContain('1/3 rows');
    app.stdin.write('\u001B');
    await tick(80);
    frame = lines(app.lastFrame());
    expect(frame[0]).toContain(' 3 rows');
  });

  it('k on a container row asks "Kill container NAME (SHORT_ID)? [y/N]", y runs it and shows the outcome', async () => {
    const {services, actions} = fakeServices();
    const app = await renderSized(<App services={services} color={false} />, 100, 20);
    app.stdin.write('G');
    await tick();
    app.stdin.write('k');
    await tick();
    expect(lines(app.lastFrame()).at(-2)).toBe('Kill container web (a1b2c3d4e5f6)? [y/N]');
    app.stdin.write('n');
    await tick();
    expect(actions).toEqual([]);
    app.stdin.write('k');
    await tick();
    app.stdin.write('y');
    await tick(50);
    expect(actions).toEqual([
      {
        kind: 'container',
        verb: 'kill',
        containerId: 'a1b2c3d4e5f6a7b8c9d0',
        name: 'web',
        endpoint: 'unix:///var/run/docker.sock',
        engine: 'docker',
      },
    ]);
    expect(lines(app.lastFrame()).at(-2)).toBe('done container');
  });

  it('s asks to stop; k on a host process asks for the signal first', async () => {
    const {services, actions} = fakeServices();
    const app = await renderSized(<App services={services} color={false} />, 100, 20);
    app.stdin.write('G');
    await tick();
    app.stdin.write('s');
    await tick();
    expect(lines(app.lastFrame()).at(-2)).toBe('Stop container web (a1b2c3d4e5f6)? [y/N]');
    app.stdin.write('n');
    await tick();
    app.stdin.write('g');
    await tick();
    app.stdin.write('k');
    await tick();
    expect(lines(app.lastFrame()).at(-2)).toContain('Signal sshd (1022): t or Enter TERM');
    app.stdin.write('K');
    await tick();
    expect(lines(app.lastFrame()).at(-2)).toBe('Send SIGKILL to sshd (1022)? [y/N]');
    app.stdin.write('y');
    await tick(50);
    expect(actions).toEqual([
      {kind: 'process', pid: 1022, startTicks: 5022, name: 'sshd', signal: 'SIGKILL'},
    ]);
  });

  it('? shows every key binding; Enter shows the row details with labels and compose project', async () => {
    const {services} = fakeServices();
    // Tall enough for the whole help (scrolling it is tested in panes.test.ts).
    const app = await renderSized(<App services={services} color={false} />, 100, 60);
    app.stdin.write('?');
    await tick();
    const help = app.lastFrame() ?? '';
    expect(help).toContain('nanodock-top keys');
    for (const text of [
      'move up',
      'page down',
      'filter',
      'kill the container',
      'stop the container',
      'invert',
      'pause',
      'quit',
    ]) {
      expect(help).toContain(text);
    }
    app.stdin.write('\u001B');
    await tick(80);
    app.stdin.write('G');
    await tick();
    app.stdin.write('\r');
    await tick();
    const detail = app.lastFrame() ?? '';
    expect(detail).toContain('id: a1b2c3d4e5f6a7b8c9d0');
    expect(detail).toContain('compose project: shop');
    expect(detail).toContain('tier=web');
    expect(detail).toContain('processes: 501, 502');
    expect(detail).toContain('port helper: docker-proxy');
  });

  it('p pauses refreshing and says so', async () => {
    const {services, refreshCount} = fakeServices();
    const app = await renderSized(
      <App services={services} color={false} initial={{intervalMs: 100}} />,
      100,
      20,
    );
    app.stdin.write('p');
    await tick();
    expect(lines(app.lastFrame())[0]).toContain('PAUSED');
    const paused = refreshCount();
    await tick(300);
    expect(refreshCount()).toBe(paused);
    app.stdin.write('p');
    await tick(250);
    expect(refreshCount()).toBeGreaterThan(paused);
  });

  it('with no engine the header says why, and host rows still show', async () => {
    const {services} = fakeServices(
      fakeSnapshot([fakeRow(22, {process: 'sshd'})], {
        engines: [],
        warnings: [
          'no container engine answered: showing host sockets only (start Docker or Podman, or set DOCKER_HOST)',
        ],
      }),
    );
    const app = await renderSized(<App services={services} color={false} />, 140, 20);
    const frame = lines(app.lastFrame());
    expect(frame[1]).toContain('no container engine answered');
    expect(frame.some((line) => line.includes('sshd'))).toBe(true);
  });
});
