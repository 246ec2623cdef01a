// Child of bench.mjs: library cases that need a process of their own, so their memory is
// measured from a clean baseline. Prints one JSON line.
//   ranges   - a libpod body of 200 wide port-range entries (16 KB): parse time and RSS over baseline
//   deadline - a 30 MiB body of tiny container objects from a local server: detection time
//              with timeoutMs 3000, and peak RSS

import {spawn} from 'node:child_process';
import {mkdtempSync} from 'node:fs';
import http from 'node:http';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {awaitDetection, parseContainersJsonStrict, startDetection} from '../dist/index.js';

const mode = process.argv[2];
const mb = (bytes) => bytes / 1024 / 1024;

if (mode === 'ranges') {
  const entries = [];
  for (let index = 0; index < 200; index++) {
    entries.push({
      Id: index.toString(16).padStart(12, '0'),
      Ports: [
        {
          host_ip: '',
          container_port: 1,
          host_port: 1 + index * 100,
          range: 65_000 - index * 100,
          protocol: 'tcp,udp',
        },
      ],
    });
  }
  const body = JSON.stringify(entries);
  globalThis.gc();
  const baseline = process.memoryUsage().rss;
  const times = [];
  const bare = [];
  let map;
  for (let round = 0; round < 21; round++) {
    let started = performance.now();
    JSON.parse(body);
    bare.push(performance.now() - started);
    started = performance.now();
    map = parseContainersJsonStrict(body);
    times.push(performance.now() - started);
  }
  const peak = process.resourceUsage().maxRSS * 1024;
  const mid = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const probe = map.getAll(null, 30_000, 'udp').length;
  console.log(
    JSON.stringify({
      bodyBytes: body.length,
      ms: mid(times),
      jsonParseMs: mid(bare),
      rssOverMb: mb(Math.max(peak, process.memoryUsage().rss) - baseline),
      size: map.size,
      rangeCount: map.rangeCount,
      probe,
    }),
  );
} else if (mode === 'deadline') {
  // The server runs in a child process, so its writing does not share this event loop.
  const socketPath = join(mkdtempSync(join(tmpdir(), 'nanodock-bench-')), 'engine.sock');
  const server = spawn(process.execPath, [new URL(import.meta.url).pathname, 'serve', socketPath], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise((resolve) => server.stdout.once('data', resolve));
  try {
    globalThis.gc();
    const baseline = process.memoryUsage().rss;
    const started = performance.now();
    const handle = startDetection({env: {DOCKER_HOST: `unix://${socketPath}`}, timeoutMs: 3000});
    const map = await awaitDetection(handle);
    const ms = performance.now() - started;
    const report = map.engines[0];
    console.log(
      JSON.stringify({
        ms,
        ok: report?.ok ?? false,
        containers: report?.containers ?? 0,
        error: report?.error?.message ?? null,
        peakRssOverMb: mb(process.resourceUsage().maxRSS * 1024 - baseline),
      }),
    );
  } finally {
    server.kill('SIGTERM');
  }
} else if (mode === 'serve') {
  const socketPath = process.argv[3];
  const parts = ['['];
  let length = 1;
  for (let index = 0; length < 30 * 1024 * 1024; index++) {
    const item = `${index === 0 ? '' : ','}{"Id":"${index.toString(16).padStart(12, '0')}","Names":["/t${index}"]}`;
    parts.push(item);
    length += item.length;
  }
  parts.push(']');
  const body = Buffer.from(parts.join(''));
  http
    .createServer((_request, response) => {
      response.writeHead(200, {'Content-Type': 'application/json', 'Content-Length': body.length});
      response.end(body);
    })
    .listen(socketPath, () => process.stdout.write('ready\n'));
} else {
  throw new Error(`unknown mode ${mode}`);
}
