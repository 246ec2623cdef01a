import {cleanup} from 'ink-testing-library';
import {afterEach, describe, expect, it} from 'vitest';
import {App} from '../../source/tui/app.js';
import type {DashboardServices} from '../../source/tui/services.js';
import type {ContainerTarget, LogLineView} from '../../source/tui/types.js';
import {FakeLogSource, quietContainerServices} from '../helpers/fake-services.js';
import {renderSized, tick} from '../helpers/ink.js';
import {fakeSnapshot} from '../helpers/snapshot-fixture.js';

// The logs hook between a log source and the pane: lines come in (batched), the end of the
// stream and a failure are said once, and closing the pane closes the source.

afterEach(() => cleanup());

const line = (text: string, stream: 'stdout' | 'stderr' = 'stdout'): LogLineView => ({
  stream,
  timestamp: '2026-12-01T21:53:14.000000000Z',
  text,
});

function servicesWith(source: FakeLogSource) {
  const opened: ContainerTarget[] = [];
  const services: DashboardServices = {
    ...quietContainerServices,
    refresh: async (onUpdate) => onUpdate(fakeSnapshot()),
    runAction: async () => ({text: '', tone: 'ok'}),
    watchEvents: () => () => {},
    openLogs: (target) => {
      opened.push(target);
      return source;
    },
  };
  return {services, opened};
}

/** The App on the fixture's container row (`web`, the last row), with its logs pane open. */
async function openPane(source: FakeLogSource) {
  const {services, opened} = servicesWith(source);
  const app = await renderSized(<App services={services} color={false} />, 100, 20);
  // The rows first (the keys act on them); then G and l, which the reducer takes in order.
  await until(() => (app.lastFrame() ?? '').includes('18080'), 'the rows');
  app.stdin.write('G');
  await tick();
  app.stdin.write('l');
  // The lines come batched (every 100 ms): wait for them, not for a fixed time, which a
  // loaded machine (a test run beside others) overran.
  await until(() => (app.lastFrame() ?? '').includes('logs of web'), 'the logs pane open');
  await tick(150);
  return {app, opened};
}

/** Polls `holds` every 10 ms, up to 5 s; fails naming `what`. */
async function until(holds: () => boolean, what: string): Promise<void> {
  for (let waited = 0; !holds(); waited += 10) {
    if (waited > 5000) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await tick(10);
  }
}

describe('logs pane and its reader (ink-testing-library)', () => {
  it('opens the row container, shows what comes, and says when the container stopped', async () => {
    const source = new FakeLogSource([line('hello'), line('oops', 'stderr')]);
    const {app, opened} = await openPane(source);
    expect(opened.map((target) => target.name)).toEqual(['web']);
    let frame = app.lastFrame() ?? '';
    expect(frame).toContain('logs of web (a1b2c3d4e5f6) · following');
    expect(frame).toContain('21:53:14   hello');
    expect(frame).toContain('21:53:14 ! oops');
    source.push(line('later'));
    await tick(150);
    expect(app.lastFrame()).toContain('21:53:14   later');
    source.end();
    await tick(150);
    frame = app.lastFrame() ?? '';
    expect(frame).toContain('— web stopped: no more lines —');
    expect(frame).toContain('· ended');
  });

  it('says why when the logs cannot be read, keeping the lines that came', async () => {
    const source = new FakeLogSource([line('first')]);
    const {app} = await openPane(source);
    source.fail(new Error('engine said 500'));
    await tick(150);
    const frame = app.lastFrame() ?? '';
    expect(frame).toContain('21:53:14   first');
    expect(frame).toContain('— logs failed: engine said 500 —');
  });

  it('Esc closes the pane and the source with it', async () => {
    const source = new FakeLogSource([line('one')]);
    const {app} = await openPane(source);
    expect(source.closed).toBe(false);
    app.stdin.write('\u001B');
    await tick(80);
    expect(source.closed).toBe(true);
    expect(app.lastFrame()).toContain('PROTO');
  });
});
