// One measuring process of the host-scan benchmark (run by bench.mjs while bench-fixture.mjs
// holds ~2,000 listening sockets): `node bench-host.mjs cold|steady` prints one JSON object.
//   cold:   15 scans, each by a fresh HostScanner (every fd read again)
//   steady: one cold scan, then 60 refreshes by the same scanner, as nanodock-top does; its RSS
//           is the scanning process's RSS
// Stalls are the longest gap of a setImmediate loop while scanning, next to the same loop
// measured idle in the same process just before (this VM's own scheduling noise).
import {HostScanner} from '../dist/host/host-scanner.js';

const mode = process.argv[2];

/** Runs `work` while a setImmediate loop records the longest gap between its turns. */
async function longestGap(work) {
  let longest = 0;
  let last = performance.now();
  let running = true;
  const tick = () => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
    if (running) setImmediate(tick);
  };
  setImmediate(tick);
  const result = await work();
  running = false;
  return {result, longestMs: longest};
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const idle = await longestGap(() => new Promise((resolve) => setTimeout(resolve, 1000)));
const times = [];
let sockets = 0;
let fullScans = 0;
let measured;
if (mode === 'cold') {
  measured = await longestGap(async () => {
    for (let round = 0; round < 15; round++) {
      const started = performance.now();
      const scan = await new HostScanner().scan();
      times.push(performance.now() - started);
      sockets = scan.listeners.length;
    }
  });
} else {
  const scanner = new HostScanner({fullScanEveryMs: Number.POSITIVE_INFINITY});
  sockets = (await scanner.scan()).listeners.length;
  measured = await longestGap(async () => {
    for (let round = 0; round < 60; round++) {
      const started = performance.now();
      const scan = await scanner.scan();
      times.push(performance.now() - started);
      if (scan.fullScan) fullScans++;
    }
  });
}
globalThis.gc?.();
process.stdout.write(
  `${JSON.stringify({
    mode,
    sockets,
    fullScans,
    medianMs: median(times),
    stallMs: measured.longestMs,
    idleStallMs: idle.longestMs,
    rssMb: process.memoryUsage().rss / 1024 / 1024,
  })}\n`,
);
