import {render} from 'ink-testing-library';
import type {ReactElement} from 'react';

/**
 * ink-testing-library 4 fakes a 100-column terminal with no rows. This sets the size the
 * test wants and tells the app, as a real terminal's resize would.
 */
export async function renderSized(
  tree: ReactElement,
  columns: number,
  rows: number,
): Promise<ReturnType<typeof render>> {
  const instance = render(tree);
  Object.defineProperty(instance.stdout, 'columns', {value: columns, configurable: true});
  Object.defineProperty(instance.stdout, 'rows', {value: rows, configurable: true});
  await tick();
  instance.stdout.emit('resize');
  await settle(instance);
  return instance;
}

/**
 * Waits until the app has drawn no new frame for 60 ms (at most 2 s): a fixed pause was too
 * short on a loaded machine, where the resize could land after the test had read the frame.
 */
export async function settle(instance: ReturnType<typeof render>): Promise<void> {
  const deadline = performance.now() + 2000;
  let seen = -1;
  let quietSince = performance.now();
  while (performance.now() < deadline) {
    await tick(10);
    if (instance.frames.length !== seen) {
      seen = instance.frames.length;
      quietSince = performance.now();
    } else if (performance.now() - quietSince >= 60) {
      return;
    }
  }
}

/** Lets React and Ink finish what a key or a resize started. */
export function tick(ms = 20): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The visible frame's lines. */
export function lines(frame: string | undefined): string[] {
  return (frame ?? '').split('\n');
}
