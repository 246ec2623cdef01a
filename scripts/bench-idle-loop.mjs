// The stall reference of bench-tui.mjs: a Node process that does nothing but watch its own
// event loop (monitorEventLoopDelay, 1 ms resolution), windowed like nanodock-top's report: the
// first SIGUSR2 starts the window, the second writes {maxMs, p99Ms} to the file named by
// argv[2] and exits. Whatever it sees is this machine's scheduling noise, not work.
import {writeFileSync} from 'node:fs';
import {monitorEventLoopDelay} from 'node:perf_hooks';

const file = process.argv[2];
const histogram = monitorEventLoopDelay({resolution: 1});
let signals = 0;
process.on('SIGUSR2', () => {
  signals++;
  if (signals === 1) {
    histogram.reset();
    histogram.enable();
    return;
  }
  histogram.disable();
  writeFileSync(
    file,
    JSON.stringify({maxMs: histogram.max / 1e6, p99Ms: histogram.percentile(99) / 1e6}),
  );
  process.exit(0);
});
// Keeps the process alive until the second signal.
setInterval(() => {}, 60_000);
