import {setTimeout as sleep} from 'node:timers/promises';
import {cleanup} from 'ink-testing-library';
import {afterEach, describe, expect, it} from 'vitest';
import {App} from '../../source/tui/app.js';
import type {DashboardServices} from '../../source/tui/services.js';
import {quietContainerServices} from '../helpers/fake-services.js';
import {renderSized} from '../helpers/ink.js';
import {fakeSnapshot} from '../helpers/snapshot-fixture.js';

afterEach(() => cleanup());

/**
 * An engine that reports container events without pause (a busy host: churn, a compose up)
 * while a refresh takes longer than the gap between them (a big host: the issue measured
 * 1.7 s for the first frame with 19,900 sockets). Each event asks for a refresh; the screen
 * must still get one: an event may not throw away the refresh it interrupts, every time.
 */
describe('an engine reporting events faster than a refresh takes', () => {
  it('still shows snapshots: refreshes complete while the events keep coming', async () => {
    const refreshMs = 600;
    const eventEveryMs = 250;
    let completed = 0;
    const services: DashboardServices = {
      refresh: async (onUpdate, signal) => {
        await sleep(refreshMs, undefined, {signal});
        completed++;
        onUpdate(fakeSnapshot());
      },
      ...quietContainerServices,
      runAction: async () => ({text: '', tone: 'ok'}),
      watchEvents: (onChange) => {
        const timer = setInterval(onChange, eventEveryMs);
        return () => clearInterval(timer);
      },
    };
    const app = await renderSized(
      <App services={services} color={false} initial={{intervalMs: 1000}} />,
      120,
      30,
    );
    try {
      const started = performance.now();
      await expect
        .poll(() => app.lastFrame() ?? '', {timeout: 5000, interval: 50})
        .toContain('engines: docker');
      // Events start before the first refresh can end: it must still be shown (within two
      // refreshes and a loaded machine's slack).
      expect(performance.now() - started).toBeLessThanOrEqual(2 * refreshMs + 1000);
      // And it goes on: over 3 s of events, several refreshes complete.
      const before = completed;
      await sleep(3000);
      expect(completed - before).toBeGreaterThanOrEqual(3);
    } finally {
      app.unmount();
    }
  });
});
