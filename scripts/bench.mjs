// npm run bench: each figure printed next to a reference measured in the same run.
// Needs `npm run build` first (the npm script does it). Engine figures need the lab.

import {execFileSync, spawn, spawnSync} from 'node:child_process';
import {existsSync} from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import {
  ContainerPortMap,
  detectContainers,
  lookupPublishedContainer,
  parseContainersJsonStrict,
} from '../dist/index.js';

const rows = [];

/** Nanoseconds per call of a synchronous fn, median of several batches. */
function nsPerCall(fn, calls = 200_000, batches = 9) {
  for (let index = 0; index < calls; index++) fn(index);
  const results = [];
  for (let batch = 0; batch < batches; batch++) {
    const started = process.hrtime.bigint();
    for (let index = 0; index < calls; index++) fn(index);
    results.push(Number(process.hrtime.bigint() - started) / calls);
  }
  results.sort((a, b) => a - b);
  return results[Math.floor(batches / 2)];
}

/** One row; a null goal marks a figure printed for context only. */
function record(name, ours, reference, referenceName, unit, goal) {
  const ratio = ours / reference;
  rows.push({
    name,
    ours,
    reference,
    referenceName,
    unit,
    ratio,
    goal,
    ok: goal === null || ratio <= goal,
  });
}

// 1. Parsing a 2,000-container body.
function containerBody(count) {
  const containers = [];
  for (let index = 0; index < count; index++) {
    const port = 10_000 + index;
    containers.push({
      Id: index.toString(16).padStart(64, 'a'),
      Names: [`/service-${index}`],
      Image: `registry.example/team/app-${index % 37}:1.${index % 9}`,
      ImageID: `sha256:${'b'.repeat(64)}`,
      Command: '/docker-entrypoint.sh nginx -g "daemon off;"',
      Created: 1_700_000_000 + index,
      State: 'running',
      Status: 'Up 2 hours',
      Labels: {
        'com.docker.compose.project': `p${index % 20}`,
        'com.docker.compose.service': `s${index}`,
      },
      Ports: [
        {IP: '0.0.0.0', PrivatePort: 80, PublicPort: port, Type: 'tcp'},
        {IP: '::', PrivatePort: 80, PublicPort: port, Type: 'tcp'},
        {PrivatePort: 443, Type: 'tcp'},
      ],
      HostConfig: {NetworkMode: 'default'},
      // The rest of a Docker 20.10 list item, so JSON.parse reads what a real engine sends.
      NetworkSettings: {
        Networks: {
          bridge: {
            IPAMConfig: null,
            Links: null,
            Aliases: null,
            NetworkID: 'c'.repeat(64),
            EndpointID: index.toString(16).padStart(64, 'e'),
            Gateway: '172.17.0.1',
            IPAddress: `172.17.${index >> 8}.${index & 255}`,
            IPPrefixLen: 16,
            IPv6Gateway: '',
            GlobalIPv6Address: '',
            GlobalIPv6PrefixLen: 0,
            MacAddress: '02:42:ac:11:00:02',
            DriverOpts: null,
          },
        },
      },
      Mounts: [
        {
          Type: 'volume',
          Name: index.toString(16).padStart(64, 'f'),
          Source: `/var/lib/docker/volumes/${index}/_data`,
          Destination: '/data',
          Driver: 'local',
          Mode: '',
          RW: true,
          Propagation: '',
        },
      ],
    });
  }
  return JSON.stringify(containers);
}
/** Our parse next to JSON.parse of the same body, alternated run by run. */
async function parseRow(name, body, goal) {
  const bare = [];
  const ours = [];
  const time = (fn, into) => {
    globalThis.gc?.();
    const started = process.hrtime.bigint();
    fn();
    into.push(Number(process.hrtime.bigint() - started) / 1e6);
  };
  for (let round = 0; round < 5; round++) {
    JSON.parse(body);
    parseContainersJsonStrict(body);
  }
  for (let round = 0; round < 41; round++) {
    const pair = [
      () => time(() => JSON.parse(body), bare),
      () => time(() => parseContainersJsonStrict(body), ours),
    ];
    if (round % 2 === 1) pair.reverse();
    for (const run of pair) run();
  }
  const mid = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
  record(name, mid(ours), mid(bare), 'JSON.parse', 'ms', goal);
}

/** One container publishing `ports` (Docker's shape: one entry per port and address). */
function oneContainerBody(ports) {
  return JSON.stringify([
    {
      Id: 'd'.repeat(64),
      Names: ['/wide'],
      Image: 'busybox',
      Command: 'sleep 1d',
      Created: 1_700_000_000,
      State: 'running',
      Status: 'Up 1 hour',
      Labels: {},
      Ports: ports,
    },
  ]);
}

const body = containerBody(2000);
await parseRow('parse 2,000 containers (2.3 MB, lab-shaped)', body, 1.3);
{
  const udp = [];
  for (let port = 10_000; port <= 20_000; port++) {
    udp.push({IP: '0.0.0.0', PrivatePort: port, PublicPort: port, Type: 'udp'});
    udp.push({IP: '::', PrivatePort: port, PublicPort: port, Type: 'udp'});
  }
  await parseRow(
    'one container publishing 10000-20000/udp (20,002 entries)',
    oneContainerBody(udp),
    2,
  );
  const every = [];
  for (let port = 1; port <= 65_535; port++) {
    every.push({IP: '0.0.0.0', PrivatePort: port, PublicPort: port, Type: 'tcp'});
  }
  await parseRow('one container with 65,535 port entries', oneContainerBody(every), 2);
}

// 2. Fallback lookup (exact and any-address miss, then the port index) next to an exact hit.
function portMap(entries) {
  const pairs = [];
  for (let index = 0; index < entries; index++) {
    const container = {id: `c${index}`, name: `c${index}`, image: 'img', ports: []};
    pairs.push([{hostIp: '127.0.0.1', port: 20_000 + index, protocol: 'tcp'}, container]);
  }
  return new ContainerPortMap(pairs);
}
for (const entries of [500, 4096]) {
  const map = portMap(entries);
  const sockets = Array.from({length: entries}, (_, index) => ({
    address: '127.0.0.1',
    port: 20_000 + index,
  }));
  const proxied = Array.from({length: entries}, (_, index) => ({
    address: '0.0.0.0',
    port: 20_000 + index,
  }));
  let sink = 0;
  const exact = nsPerCall((index) => {
    sink += lookupPublishedContainer(map, sockets[index % entries], 'tcp', false).kind.length;
  });
  const fallback = nsPerCall((index) => {
    sink += lookupPublishedContainer(map, proxied[index % entries], 'tcp', true).kind.length;
  });
  if (sink === 0) throw new Error('lookups returned nothing');
  record(`fallback lookup, ${entries} entries`, fallback, exact, 'exact lookup', 'ns', 2);
}

// 3. Library cases in processes of their own (bench-library.mjs): memory from a clean baseline.
const library = (mode) =>
  JSON.parse(
    execFileSync(
      process.execPath,
      ['--expose-gc', new URL('./bench-library.mjs', import.meta.url).pathname, mode],
      {encoding: 'utf8'},
    )
      .trim()
      .split('\n')
      .at(-1),
  );
const absoluteLibrary = [];
{
  const ranges = library('ranges');
  absoluteLibrary.push([
    `libpod body of 200 port-range entries (${(ranges.bodyBytes / 1024).toFixed(0)} KB, ${ranges.size.toLocaleString('en')} ports in ${ranges.rangeCount} entries)`,
    `${ranges.ms.toFixed(2)} ms, ${ranges.rssOverMb.toFixed(1)} MB over baseline`,
    `${ranges.jsonParseMs.toFixed(2)} ms JSON.parse`,
    '< 50 ms, < 20 MB',
    ranges.ms < 50 && ranges.rssOverMb < 20,
  ]);
  const deadline = library('deadline');
  absoluteLibrary.push([
    `30 MiB body of tiny container objects, timeoutMs 3000 (${deadline.ok ? `all ${deadline.containers.toLocaleString('en')} read` : `stopped: ${deadline.error}`})`,
    `${deadline.ms.toFixed(0)} ms, peak ${deadline.peakRssOverMb.toFixed(0)} MB over baseline`,
    '3000 ms deadline',
    '<= 3200 ms',
    deadline.ms <= 3200,
  ]);
}

// 4. Detection next to a bare node:http GET and to the floor of any Node client: the same
// request bytes written on a raw net socket, the answer read to its end and JSON.parse'd.
const requestBytes = Buffer.from(
  'GET /containers/json HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n',
);

/** The body of a complete HTTP/1.1 answer (chunked or with Content-Length). */
function bodyOf(answer) {
  const headEnd = answer.indexOf('\r\n\r\n');
  const head = answer.subarray(0, headEnd).toString('latin1').toLowerCase();
  const rest = answer.subarray(headEnd + 4);
  if (!head.includes('transfer-encoding: chunked')) {
    return rest.toString('utf8');
  }
  const parts = [];
  let offset = 0;
  for (;;) {
    const lineEnd = rest.indexOf('\r\n', offset);
    const size = Number.parseInt(rest.subarray(offset, lineEnd).toString('latin1'), 16);
    if (!(size > 0)) break;
    parts.push(rest.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts).toString('utf8');
}

const rawGet = (socketPath) =>
  new Promise((resolve, reject) => {
    const socket = net.connect(socketPath, () => socket.write(requestBytes));
    const chunks = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('end', () => resolve(JSON.parse(bodyOf(Buffer.concat(chunks)))));
    socket.on('error', reject);
  });
const bareGet = (socketPath) =>
  new Promise((resolve, reject) => {
    const request = http.get({socketPath, path: '/containers/json', agent: false}, (response) => {
      const chunks = [];
      response.on('data', (chunk) => chunks.push(chunk));
      response.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
      response.on('error', reject);
    });
    request.on('error', reject);
  });

/** Medians of each of `fns`, called in turn for `rounds` rounds, the order rotating. */
async function interleaved(fns, rounds) {
  const times = fns.map(() => []);
  for (let round = 0; round < 30; round++) {
    for (const fn of fns) await fn();
  }
  for (let round = 0; round < rounds; round++) {
    for (let step = 0; step < fns.length; step++) {
      const index = (round + step) % fns.length;
      const started = performance.now();
      await fns[index]();
      times[index].push(performance.now() - started);
    }
  }
  return times.map((values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]);
}

const dockerSocket = '/var/run/docker.sock';
if (existsSync(dockerSocket)) {
  const env = {DOCKER_HOST: `unix://${dockerSocket}`};
  const [ours, bare, floor] = await interleaved(
    [() => detectContainers({env}), () => bareGet(dockerSocket), () => rawGet(dockerSocket)],
    1000,
  );
  record('detection, lab Docker socket alone', ours, floor, 'raw socket floor', 'ms', 1.1);
  record('  same, next to a bare node:http GET', ours, bare, 'bare http GET', 'ms', null);
  // The default discovery: every well-known socket, answers merged.
  const merged = await detectContainers({env: {}});
  const sockets = merged.engines
    .filter((engine) => engine.ok && engine.endpoint.startsWith('unix://'))
    .map((engine) => engine.endpoint.slice('unix://'.length));
  const [oursAll, floorAll] = await interleaved(
    [
      () => detectContainers({env: {}}),
      () => Promise.all(sockets.map((socketPath) => rawGet(socketPath))),
    ],
    500,
  );
  record(
    `detection, default (${sockets.length} engines merged: ${sockets.join(', ')})`,
    oursAll,
    floorAll,
    'raw socket floor, all at once',
    'ms',
    1.1,
  );
} else {
  console.log(
    `skipped detection latency: no Docker socket at ${dockerSocket} (run: sudo npm run lab)`,
  );
}

// 5. The host scan, with a fixture of ~2,000 listening sockets in 20 processes plus 300 idle
// processes, next to `ss -H -ltunp` on the same host at the same time.
const absolute = [];
const fixture = spawn(
  process.execPath,
  [new URL('./bench-fixture.mjs', import.meta.url).pathname],
  {
    stdio: ['pipe', 'pipe', 'inherit'],
  },
);
try {
  await new Promise((resolve) => fixture.stdout.once('data', resolve));
  const ssTimes = [];
  let ssLines = 0;
  for (let round = 0; round < 15; round++) {
    const started = performance.now();
    const out = spawnSync('ss', ['-H', '-ltunp'], {encoding: 'utf8', maxBuffer: 64 * 1024 * 1024});
    ssTimes.push(performance.now() - started);
    ssLines = out.stdout.trim().split('\n').length;
  }
  const ss = ssTimes.sort((a, b) => a - b)[7];
  const measure = (mode) =>
    JSON.parse(
      execFileSync(
        process.execPath,
        ['--expose-gc', new URL('./bench-host.mjs', import.meta.url).pathname, mode],
        {
          encoding: 'utf8',
        },
      ),
    );
  const cold = measure('cold');
  const steady = measure('steady');
  if (steady.fullScans > 0) throw new Error('steady refreshes fell back to full scans');
  const label = `${cold.sockets} sockets (ss: ${ssLines})`;
  record(`host scan, cold, ${label}`, cold.medianMs, ss, 'ss -H -ltunp', 'ms', 1.2);
  record(`host scan, steady refresh, ${label}`, steady.medianMs, ss, 'ss -H -ltunp', 'ms', 0.3);
  absolute.push(
    [
      'longest event-loop stall, cold scans',
      `${cold.stallMs.toFixed(1)} ms`,
      `${cold.idleStallMs.toFixed(1)} ms idle loop`,
      '<= 16 ms',
      cold.stallMs <= 16,
    ],
    [
      'longest event-loop stall, steady refreshes',
      `${steady.stallMs.toFixed(1)} ms`,
      `${steady.idleStallMs.toFixed(1)} ms idle loop`,
      '<= 16 ms',
      steady.stallMs <= 16,
    ],
    [
      'RSS of the scanning process (1 cold + 60 refreshes)',
      `${steady.rssMb.toFixed(1)} MB`,
      '-',
      '<= 80 MB',
      steady.rssMb <= 80,
    ],
    ['RSS after 15 cold scans', `${cold.rssMb.toFixed(1)} MB`, '-', '(no goal)', true],
  );
} finally {
  fixture.kill('SIGTERM');
}

// 6. The dashboard itself (bench-tui.mjs): first frame, bytes written per key, key-to-screen
// latency at 300 rows, idle CPU and RSS of nanodock-top in a real terminal, next to a bare Ink
// app and htop measured in the same window.
const dashboard = [];
let dashboardNote = null;
{
  const run = spawnSync(process.execPath, [new URL('./bench-tui.mjs', import.meta.url).pathname], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 15 * 60 * 1000,
  });
  const line = (run.stdout ?? '').trim().split('\n').at(-1) ?? '';
  let tui = null;
  try {
    tui = JSON.parse(line);
  } catch {}
  if (run.status !== 0 || tui === null) {
    dashboardNote = `dashboard measures failed (bench-tui.mjs exit ${run.status ?? run.signal})`;
    process.exitCode = 1;
  } else if (tui.skipped) {
    dashboardNote = `skipped dashboard measures: ${tui.skipped}`;
  } else {
    const percent = (value) => `${value.toFixed(2)} %`;
    const mb = (value) => `${value.toFixed(1)} MB`;
    const ms = (value) => (value === null ? '-' : `${value.toFixed(1)} ms`);
    const rssRatio = tui.rssMb / tui.bareInkRssMb;
    const latency = tui.latencyMs;
    dashboard.push(
      [
        `time to first full frame (120x30, ${tui.rows} rows)`,
        `${tui.firstFrameMs} ms`,
        'none',
        '(no goal)',
        null,
      ],
      [
        'bytes written for one j (120x30, no scroll)',
        `median ${tui.bytesPerJ.median} B (${tui.bytesPerJ.min}-${tui.bytesPerJ.max})`,
        `the whole screen: ${tui.fullFrameBytes} B`,
        '< 600 B',
        tui.bytesPerJ.median < 600,
      ],
      [
        `key-to-screen latency, j and Up at ${tui.keyRows} rows (${latency.count} keys${latency.missed > 0 ? `, ${latency.missed} never seen` : ''})`,
        `p50 ${ms(latency.p50)}, p95 ${ms(latency.p95)}, max ${ms(latency.max)}`,
        '-',
        'p95 <= 50 ms, max <= 100 ms',
        latency.missed === 0 && latency.p95 <= 50 && latency.max <= 100,
      ],
      [
        'idle CPU, --interval 1s, 60 s',
        percent(tui.cpuPercent),
        `${percent(tui.bareInkCpuPercent)} bare Ink app; ${tui.htopCpuPercent === null ? 'htop not available' : `${percent(tui.htopCpuPercent)} htop -d 10`}`,
        '<= 2 %',
        tui.cpuPercent <= 2,
      ],
      [
        'RSS vs a bare Ink app',
        `${mb(tui.rssMb)} (${rssRatio.toFixed(2)}x)`,
        `${mb(tui.bareInkRssMb)} bare Ink app`,
        '<= 1.25x',
        rssRatio <= 1.25,
      ],
    );
  }
}

const format = (value, unit) =>
  unit === 'ns' ? `${value.toFixed(0)} ns` : `${value.toFixed(2)} ms`;
console.log('');
console.log('| measure | nanodock | reference | ratio | goal |');
console.log('| --- | --- | --- | --- | --- |');
for (const row of rows) {
  console.log(
    `| ${row.name} | ${format(row.ours, row.unit)} | ${format(row.reference, row.unit)} (${row.referenceName}) | ${row.ratio.toFixed(2)}x | ${row.goal === null ? '(context)' : `<= ${row.goal}x ${row.ok ? 'met' : 'MISSED'}`} |`,
  );
}
console.log('');
console.log('| measure | nanodock | reference | goal |');
console.log('| --- | --- | --- | --- |');
for (const [name, value, reference, goal, ok] of [...absoluteLibrary, ...absolute]) {
  console.log(`| ${name} | ${value} | ${reference} | ${goal} ${ok ? 'met' : 'MISSED'} |`);
}
console.log('');
if (dashboardNote !== null) {
  console.log(dashboardNote);
} else {
  console.log('| dashboard measure | nanodock-top | reference | goal |');
  console.log('| --- | --- | --- | --- |');
  for (const [name, value, reference, goal, ok] of dashboard) {
    const verdict = ok === null ? '' : ok ? ' met' : ' MISSED';
    console.log(`| ${name} | ${value} | ${reference} | ${goal}${verdict} |`);
  }
}
// 7. The one-shot CLI (bench-cli.mjs): its own table, each command in fresh processes.
{
  const oneShot = spawnSync(
    process.execPath,
    [new URL('./bench-cli.mjs', import.meta.url).pathname],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  console.log(`\n${oneShot.stdout.trimEnd()}`);
  if (oneShot.status !== 0) process.exitCode = 1;
}
// 8. Scale (bench-scale.mjs, issue 11): 300 containers idle and churning, 19,900 sockets; its own
// table. Extra arguments of `npm run bench -- ...` go to it (--only, --churn-minutes, ...).
{
  const scale = spawnSync(
    process.execPath,
    [new URL('./bench-scale.mjs', import.meta.url).pathname, ...process.argv.slice(2)],
    {encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 60 * 60 * 1000},
  );
  console.log(`\n${(scale.stdout ?? '').trimEnd()}`);
  if (scale.status !== 0) {
    console.log(`scale measures failed (bench-scale.mjs exit ${scale.status ?? scale.signal})`);
    process.exitCode = 1;
  }
}
// 9. Several hosts (bench-fleet.mjs, issue 13): first frame with two hosts and a refresh over
// ssh, against the lab's loopback sshd; its own table.
{
  const fleet = spawnSync(
    process.execPath,
    [new URL('./bench-fleet.mjs', import.meta.url).pathname],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      timeout: 10 * 60 * 1000,
    },
  );
  console.log(`\n${(fleet.stdout ?? '').trimEnd()}`);
  if (fleet.status !== 0) {
    console.log(`fleet measures failed (bench-fleet.mjs exit ${fleet.status ?? fleet.signal})`);
    process.exitCode = 1;
  }
}
console.log(`\nnode ${process.version}, ${new Date().toISOString()}`);
