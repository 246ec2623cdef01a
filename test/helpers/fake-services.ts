import type {LogSource} from '../../source/tui/services.js';
import type {ContainerTarget, LogLineView, StatsState} from '../../source/tui/types.js';

/**
 * A log source for UI tests: yields `lines`, then waits until push() adds more, end() ends
 * it or fail() makes it throw; close() ends it as the pane closing does.
 */
export class FakeLogSource implements LogSource {
  readonly #queue: LogLineView[];
  #wake: (() => void) | undefined;
  #ended = false;
  #error: Error | null = null;
  closed = false;

  constructor(lines: readonly LogLineView[] = []) {
    this.#queue = [...lines];
  }

  push(...lines: LogLineView[]): void {
    this.#queue.push(...lines);
    this.#wake?.();
  }

  end(): void {
    this.#ended = true;
    this.#wake?.();
  }

  fail(error: Error): void {
    this.#error = error;
    this.#wake?.();
  }

  close(): void {
    this.closed = true;
    this.end();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<LogLineView> {
    for (;;) {
      const line = this.#queue.shift();
      if (line !== undefined) {
        yield line;
        continue;
      }
      if (this.#error !== null) {
        throw this.#error;
      }
      if (this.#ended) {
        return;
      }
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }
}

/** The container parts of DashboardServices for UI tests that do not open logs or details. */
export const quietContainerServices = {
  openLogs: (_target: ContainerTarget): LogSource => new FakeLogSource(),
  readStats: async (target: ContainerTarget): Promise<StatsState> => ({
    containerId: target.containerId,
    stats: null,
    error: 'no stats in this test',
  }),
};
