// Load fixture of issue 11: many Docker containers with published ports, churn over them, and
// one process holding ~20,000 listening sockets. A CLI and a module (the load test and
// bench-scale.mjs import it).
//
//   node scripts/load-fixture.mjs containers up N        nd-load-0..N-1, host port 19500+i -> 80
//   node scripts/load-fixture.mjs containers down        force-removes every nd-load-*
//   node scripts/load-fixture.mjs containers churn SECONDS [PER_SECOND=1]
//   node scripts/load-fixture.mjs listeners N            holds N sockets on 127.0.0.1 from 20000
//
// Containers are created through the lab Docker's API socket only; nothing ever connects to a
// published port or to a listener.
import {execFileSync, spawn} from 'node:child_process';
import {fstatSync} from 'node:fs';
import net from 'node:net';
import {fileURLToPath} from 'node:url';
import {dockerApi} from './docker-api.mjs';

/** One Engine API call on the lab Docker's socket (docker-api.mjs). */
export {dockerApi};

/** Facts of the fixture: names, ports and image (issue 11's share of the lab). */
export const load = {
  socketPath: '/var/run/docker.sock',
  image: 'nanodock-lab/busybox:latest',
  prefix: 'nd-load-',
  basePort: 19_500,
  maxContainers: 300,
  listenerBase: 20_000,
  maxListeners: 19_900,
};

/** The name of load container `index`. */
export const containerName = (index) => `${load.prefix}${index}`;
/** The host port load container `index` publishes (container port 80). */
export const containerPort = (index) => load.basePort + index;

/** Runs `worker(item)` over `items`, at most `concurrency` at once; resolves the results in order. */
export async function mapBounded(items, concurrency, worker) {
  const results = new Array(items.length);
  let next = 0;
  const lanes = Array.from({length: Math.min(concurrency, items.length)}, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await worker(items[index], index);
    }
  });
  await Promise.all(lanes);
  return results;
}

/** Every nd-load-* container (running or not): [{id, name, state, ports}]. */
export async function listLoadContainers(options = {}) {
  const filters = encodeURIComponent(JSON.stringify({name: [load.prefix]}));
  const list = await dockerApi(
    'GET',
    `/containers/json?all=1&filters=${filters}`,
    undefined,
    options,
  );
  if (list.status !== 200) throw new Error(`list containers: HTTP ${list.status}`);
  return list.json
    .map((container) => ({
      id: container.Id,
      name: (container.Names?.[0] ?? '').replace(/^\//, ''),
      state: container.State,
      ports: container.Ports ?? [],
    }))
    .filter((container) => container.name.startsWith(load.prefix));
}

const checked = (what, response, ...okStatuses) => {
  if (!okStatuses.includes(response.status)) {
    throw new Error(`${what}: HTTP ${response.status} ${JSON.stringify(response.json)}`);
  }
  return response;
};

/** Creates (or restarts) container `index`; returns 'created', 'started' or 'kept'. */
async function ensureContainer(index, existing, options) {
  const name = containerName(index);
  const port = containerPort(index);
  const old = existing.get(name);
  if (old !== undefined) {
    const publishes = old.ports.some((entry) => entry.PublicPort === port);
    if (old.state === 'running' && publishes) return 'kept';
    if (old.state !== 'running') {
      const started = await dockerApi('POST', `/containers/${old.id}/start`, undefined, options);
      if (started.status === 204 || started.status === 304) return 'started';
    }
    // Running without its port, or it would not start: make it anew.
    await dockerApi('DELETE', `/containers/${old.id}?force=true`, undefined, options);
  }
  const created = checked(
    `create ${name}`,
    await dockerApi(
      'POST',
      `/containers/create?name=${name}`,
      {
        Image: load.image,
        Cmd: ['/bin/busybox', 'httpd', '-f', '-p', '80'],
        ExposedPorts: {'80/tcp': {}},
        HostConfig: {PortBindings: {'80/tcp': [{HostPort: String(port)}]}},
        Labels: {'nanodock.test': '1', 'nanodock.load': '1'},
      },
      options,
    ),
    201,
  );
  const id = created.json.Id;
  const started = await dockerApi('POST', `/containers/${id}/start`, undefined, options);
  if (started.status !== 204) {
    await dockerApi('DELETE', `/containers/${id}?force=true`, undefined, options);
    throw new Error(`start ${name}: HTTP ${started.status} ${JSON.stringify(started.json)}`);
  }
  return 'created';
}

/**
 * Makes nd-load-0..count-1 run, each publishing host port 19500+i (all addresses, so two
 * docker-proxy processes each) to busybox httpd; skips those already running with their port.
 * At most `concurrency` engine calls at once. Resolves {created, started, kept, ms}.
 */
export async function upContainers(count, {concurrency = 4, onProgress, ...options} = {}) {
  if (!Number.isInteger(count) || count < 1 || count > load.maxContainers) {
    throw new Error(`container count must be 1-${load.maxContainers} (ports ${load.basePort}+)`);
  }
  const started = performance.now();
  const existing = new Map((await listLoadContainers(options)).map((c) => [c.name, c]));
  const tally = {created: 0, started: 0, kept: 0};
  let done = 0;
  await mapBounded(
    Array.from({length: count}, (_, index) => index),
    concurrency,
    async (index) => {
      tally[await ensureContainer(index, existing, options)]++;
      onProgress?.(++done, count);
    },
  );
  return {...tally, ms: performance.now() - started};
}

/** Force-removes every nd-load-* container; resolves {removed, ms}. */
export async function downContainers({concurrency = 4, ...options} = {}) {
  const started = performance.now();
  const all = await listLoadContainers(options);
  await mapBounded(all, concurrency, async (container) => {
    const removed = await dockerApi(
      'DELETE',
      `/containers/${container.id}?force=true`,
      undefined,
      options,
    );
    checked(`remove ${container.name}`, removed, 204, 404);
  });
  return {removed: all.length, ms: performance.now() - started};
}

/** Stops (no grace: busybox httpd ignores SIGTERM) or starts one container by id. */
async function setRunning(container, running, options) {
  const verb = running ? 'start' : 'stop?t=0';
  const response = await dockerApi(
    'POST',
    `/containers/${container.id}/${verb}`,
    undefined,
    options,
  );
  checked(`${running ? 'start' : 'stop'} ${container.name}`, response, 204, 304);
}

/**
 * Churn over the running nd-load-* containers for `seconds`: `perSecond` times a second, one
 * container (a seeded pseudo-random pick among those not already cycling) is stopped and then
 * started again. Cycles overlap (at most `maxInFlight`, default 8) so that the rate holds when
 * one stop and start take longer than a tick, as they do on a loaded 2-core host; a tick that
 * finds every lane busy waits for one and counts as late when it starts a tick or more after
 * its time. At the end (also after `signal` aborts or a call fails) every one runs again.
 * Resolves {stops, starts, ms, lateTicks, maxCycleMs}; rejects with the first failure.
 */
export async function churnContainers(
  seconds,
  {perSecond = 1, seed = 11, signal, maxInFlight = 8, ...options} = {},
) {
  const running = (await listLoadContainers(options)).filter((c) => c.state === 'running');
  if (running.length <= maxInFlight)
    throw new Error('churn needs nd-load-* containers running (containers up N)');
  let state = seed >>> 0 || 1;
  const random = () => {
    // xorshift32: the same sequence of picks on every run.
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
  const tickMs = 1000 / perSecond;
  const started = performance.now();
  const inFlight = new Map();
  const stopped = new Set();
  let stops = 0;
  let starts = 0;
  let lateTicks = 0;
  let maxCycleMs = 0;
  let failure = null;
  const cycle = async (container) => {
    const begun = performance.now();
    try {
      stopped.add(container);
      await setRunning(container, false, options);
      stops++;
      await setRunning(container, true, options);
      starts++;
      stopped.delete(container);
      maxCycleMs = Math.max(maxCycleMs, performance.now() - begun);
    } catch (error) {
      failure ??= error;
    } finally {
      inFlight.delete(container);
    }
  };
  for (let tick = 0; tick < seconds * perSecond && !signal?.aborted && failure === null; tick++) {
    const due = started + tick * tickMs;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    while (inFlight.size >= maxInFlight) await Promise.race(inFlight.values());
    if (performance.now() - due >= tickMs) lateTicks++;
    let pick = running[Math.floor(random() * running.length)];
    while (inFlight.has(pick)) pick = running[(running.indexOf(pick) + 1) % running.length];
    inFlight.set(pick, cycle(pick));
  }
  await Promise.all(inFlight.values());
  for (const container of stopped) {
    await setRunning(container, true, options);
    starts++;
  }
  if (failure !== null) throw failure;
  return {stops, starts, ms: performance.now() - started, lateTicks, maxCycleMs};
}

// --- Listeners -------------------------------------------------------------------------------

/** Raises this process's open-file soft limit to its hard limit; resolves the soft limit after. */
function raiseFdLimit() {
  try {
    const hard = execFileSync(
      'prlimit',
      ['--pid', String(process.pid), '--nofile', '--raw', '--noheadings', '--output', 'HARD'],
      {encoding: 'utf8'},
    ).trim();
    execFileSync('prlimit', ['--pid', String(process.pid), `--nofile=${hard}:${hard}`]);
    return Number(
      execFileSync(
        'prlimit',
        ['--pid', String(process.pid), '--nofile', '--raw', '--noheadings', '--output', 'SOFT'],
        {encoding: 'utf8'},
      ).trim(),
    );
  } catch {
    return null;
  }
}

/** Listens on 127.0.0.1:`port`; resolves the server, or null when the port is taken. */
function listenOn(port) {
  return new Promise((resolve, reject) => {
    const server = net.createServer((socket) => socket.destroy());
    server.once('error', (error) =>
      error.code === 'EADDRINUSE' || error.code === 'EACCES' ? resolve(null) : reject(error),
    );
    server.listen({port, host: '127.0.0.1', backlog: 1}, () => resolve(server));
  });
}

/**
 * This process becomes the holder: `count` listening sockets on 127.0.0.1 from `base` upward,
 * skipping ports in use; prints `ready COUNT FIRST-LAST PID` and holds them until SIGTERM/SIGINT,
 * or until stdin ends when stdin is a pipe.
 */
async function holdListeners(count, base = load.listenerBase) {
  const soft = raiseFdLimit();
  const servers = [];
  let port = base;
  const batch = 256;
  while (servers.length < count) {
    if (port > 65_535) throw new Error(`only ${servers.length} free ports from ${base}`);
    const wanted = Math.min(batch, count - servers.length, 65_536 - port);
    const ports = Array.from({length: wanted}, (_, index) => port + index);
    port += wanted;
    for (const server of await Promise.all(ports.map(listenOn))) {
      if (server !== null) servers.push(server);
    }
  }
  const held = servers.map((server) => server.address().port);
  process.stdout.write(
    `ready ${held.length} ${held[0]}-${held.at(-1)} ${process.pid}${soft === null ? '' : ` nofile=${soft}`}\n`,
  );
  const stop = () => process.exit(0);
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  if (fstatSync(0).isFIFO()) {
    process.stdin.resume();
    process.stdin.on('end', stop);
  }
  setInterval(() => {}, 2 ** 30);
}

/**
 * Spawns a holder process of `count` listening sockets (see `listeners N`) under a raised fd
 * limit; resolves {pid, count, first, last, stop()} once it holds them all. stop() kills it
 * and resolves when it has exited. Rejects when it fails or `timeoutMs` passes first.
 */
export function startListeners(count, {timeoutMs = 120_000} = {}) {
  if (!Number.isInteger(count) || count < 1 || count > load.maxListeners) {
    throw new Error(`listener count must be 1-${load.maxListeners}`);
  }
  const script = fileURLToPath(import.meta.url);
  const child = spawn(process.execPath, [script, 'listeners', String(count)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`listener helper not ready in ${timeoutMs} ms: ${err.trim()}`));
    }, timeoutMs);
    child.stderr.on('data', (chunk) => (err += chunk));
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = /^ready (\d+) (\d+)-(\d+) (\d+)/m.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve({
          pid: Number(match[4]),
          count: Number(match[1]),
          first: Number(match[2]),
          last: Number(match[3]),
          stop,
        });
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`listener helper exited (${code ?? signal}) before ready: ${err.trim()}`));
    });
  });
}

// --- CLI -------------------------------------------------------------------------------------

const usage = `usage:
  node scripts/load-fixture.mjs containers up N          (N <= ${load.maxContainers}; ports ${load.basePort}+i)
  node scripts/load-fixture.mjs containers down
  node scripts/load-fixture.mjs containers churn SECONDS [PER_SECOND=1]
  node scripts/load-fixture.mjs listeners N              (N <= ${load.maxListeners}; 127.0.0.1 from ${load.listenerBase})`;

async function main(args) {
  const number = (text) => (/^\d+(\.\d+)?$/.test(text ?? '') ? Number(text) : Number.NaN);
  const [what, verb, first, second] = args;
  if (what === 'containers' && verb === 'up' && Number.isInteger(number(first))) {
    const result = await upContainers(number(first), {
      onProgress: (done, total) => {
        if (done % 25 === 0 || done === total) process.stderr.write(`  ${done}/${total}\n`);
      },
    });
    console.log(
      `up ${first}: ${result.created} created, ${result.started} started, ${result.kept} already running, ${(result.ms / 1000).toFixed(1)} s`,
    );
  } else if (what === 'containers' && verb === 'down' && first === undefined) {
    const result = await downContainers();
    console.log(`down: ${result.removed} removed, ${(result.ms / 1000).toFixed(1)} s`);
  } else if (what === 'containers' && verb === 'churn' && number(first) > 0) {
    const perSecond = second === undefined ? 1 : number(second);
    if (!(perSecond > 0)) throw new Error(usage);
    const controller = new AbortController();
    process.once('SIGINT', () => controller.abort());
    process.once('SIGTERM', () => controller.abort());
    const result = await churnContainers(number(first), {perSecond, signal: controller.signal});
    console.log(
      `churn: ${result.stops} stops, ${result.starts} starts in ${(result.ms / 1000).toFixed(1)} s, longest stop+start ${(result.maxCycleMs / 1000).toFixed(1)} s${result.lateTicks > 0 ? ` (${result.lateTicks} ticks late)` : ''}`,
    );
  } else if (
    what === 'listeners' &&
    Number.isInteger(number(verb)) &&
    number(verb) >= 1 &&
    number(verb) <= load.maxListeners &&
    first === undefined
  ) {
    await holdListeners(number(verb));
  } else {
    process.stderr.write(`${usage}\n`);
    process.exitCode = 2;
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).catch((error) => {
    process.stderr.write(`load-fixture: ${error.message}\n`);
    process.exitCode = 1;
  });
}
