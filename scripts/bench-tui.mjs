// The dashboard benchmark (run by bench.mjs, or alone: `node scripts/bench-tui.mjs`). Needs
// `npm run build`, tmux and the lab's Docker (sudo npm run lab). In one run:
//   1. starts 50 extra containers on the lab Docker (nd-bench-0..49, host ports 19100-19149,
//      label nanodock.bench=1), removed again at the end, on failure and on SIGINT/SIGTERM, and a
//      helper process listening on 300 loopback ports (19150-19449, bench-listeners.mjs; nothing
//      connects to them);
//   2. starts `nanodock-top --interval 1s` in a private tmux session of 120x30 and times the
//      first full frame (column titles, a row of nd-web and a row of nd-bench-*), polling the
//      screen every 20 ms from the spawn;
//   3. then, in one shared 60 s window, the CPU time (/proc/PID/stat utime+stime) of that
//      nanodock-top, of a bare Ink app (bench-bare-ink.mjs, 25 rows re-rendered each second) and
//      of `htop -d 10`, each in a tmux session of its own, and the RSS of the first two; then
//      quits nanodock-top with q;
//   4. in a second session (120x30, `--port 19150-19449`: the helper's 300 rows), measures through
//      a tmux control-mode client (bench-keys.mjs) the bytes written for one `j` that does not
//      scroll, and the key-to-screen latency of 160 presses of j and Up, each on its own.
// Prints one JSON line on stdout (progress goes to stderr); `{"skipped": reason}` when Docker,
// the lab image or tmux is missing. Never sends traffic to the containers' or helper's ports.
import {spawn, spawnSync} from 'node:child_process';
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import {attachControl, measureBytesPerKey, measureLatency, summarize} from './bench-keys.mjs';
import {dockerApi} from './docker-api.mjs';
import {
  capturePane as capture,
  endSession,
  paneState,
  runTmux,
  startSession as startTmuxSession,
  terminalEnv,
  waitForScreen,
} from './tmux.mjs';

const root = new URL('..', import.meta.url).pathname;
const cliPath = join(root, 'dist', 'cli.js');
const bareInkPath = join(root, 'scripts', 'bench-bare-ink.mjs');
const listenersPath = join(root, 'scripts', 'bench-listeners.mjs');
const dockerSocket = '/var/run/docker.sock';
const image = 'nanodock-lab/busybox:latest';
const benchLabel = 'nanodock.bench';
const benchCount = 50;
const basePort = 19_100;
const columns = 120;
const lines = 30;
/** The helper's loopback ports: 300 rows, the size the latency goal is set at. */
const listenerBase = 19_150;
const listenerCount = 300;
const windowMs = 60_000;
const settleMs = 2000;
/** How long after the containers start the idle window may begin (uptimes shown in seconds until 60 s). */
const idleAfterMs = 62_000;

const notes = [];
const log = (line) => process.stderr.write(`bench-tui: ${line}\n`);
const workDir = mkdtempSync(join(tmpdir(), 'nd-bench-tui-'));

// ------------------------------------------------------------------ Docker over its socket

/** One Engine API request over the lab socket (docker-api.mjs): {status, json}. */
const docker = (method, path, body) => dockerApi(method, path, body, {socketPath: dockerSocket});

/** Runs `task` over `items`, at most `limit` at a time. */
async function inBatches(items, limit, task) {
  const queue = [...items];
  const workers = Array.from({length: Math.min(limit, queue.length)}, async () => {
    while (queue.length > 0) await task(queue.shift());
  });
  await Promise.all(workers);
}

async function removeBenchContainers() {
  const filters = encodeURIComponent(JSON.stringify({label: [`${benchLabel}=1`]}));
  const list = await docker('GET', `/containers/json?all=1&filters=${filters}`);
  const ids = Array.isArray(list.json) ? list.json.map((container) => container.Id) : [];
  await inBatches(ids, 8, (id) => docker('DELETE', `/containers/${id}?force=true`));
  return ids.length;
}

async function startBenchContainer(index) {
  const name = `nd-bench-${index}`;
  const spec = {
    Image: image,
    Cmd: ['/bin/busybox', 'httpd', '-f', '-p', '80'],
    Labels: {[benchLabel]: '1'},
    ExposedPorts: {'80/tcp': {}},
    HostConfig: {PortBindings: {'80/tcp': [{HostPort: String(basePort + index)}]}},
  };
  let created = await docker('POST', `/containers/create?name=${name}`, spec);
  if (created.status === 409) {
    await docker('DELETE', `/containers/${name}?force=true`);
    created = await docker('POST', `/containers/create?name=${name}`, spec);
  }
  if (created.status !== 201) {
    throw new Error(`create ${name}: HTTP ${created.status} ${JSON.stringify(created.json)}`);
  }
  const started = await docker('POST', `/containers/${created.json.Id}/start`);
  if (started.status !== 204) {
    throw new Error(`start ${name}: HTTP ${started.status} ${JSON.stringify(started.json)}`);
  }
}

// ------------------------------------------------------------------ tmux, one private server each

const sessions = [];

/** Starts `command` in a 120x30 session on a private server (tmux.mjs) and tracks it for cleanup. */
async function startSession(label, command, env = {}) {
  const session = await startTmuxSession({workDir, label, command, cwd: root, columns, lines, env});
  sessions.push(session);
  return session;
}

async function killSessions() {
  for (const session of sessions.splice(0)) await endSession(session);
}

// ------------------------------------------------------------------ /proc

const clockTicks = Number(spawnSync('getconf', ['CLK_TCK'], {encoding: 'utf8'}).stdout) || 100;

/** The program a pane runs: the pane's own pid, or its one child when a shell runs it. */
function programPid(panePid) {
  const comm = readFileSync(`/proc/${panePid}/comm`, 'utf8').trim();
  if (!['sh', 'dash', 'bash', 'zsh'].includes(comm)) return panePid;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === panePid) return Number(entry);
    } catch {}
  }
  return panePid;
}

/** utime + stime of `pid`, in clock ticks. */
function cpuTicks(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

function rssMb(pid) {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : null;
}

// ------------------------------------------------------------------ the run

let cleaning = null;
let touchedDocker = false;
/** The helper holding the 300 loopback ports, killed by cleanup. */
let listeners = null;

function cleanup() {
  cleaning ??= (async () => {
    listeners?.kill('SIGKILL');
    await killSessions();
    if (touchedDocker) {
      try {
        const removed = await removeBenchContainers();
        if (removed > 0) log(`removed ${removed} bench containers`);
      } catch (error) {
        log(`could not remove the bench containers: ${error.message}`);
      }
    }
    rmSync(workDir, {recursive: true, force: true});
  })();
  return cleaning;
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, () => {
    log(`${signal}: cleaning up`);
    cleanup().finally(() => process.exit(128 + (signal === 'SIGINT' ? 2 : 15)));
  });
}

function skip(reason) {
  log(`skipped: ${reason}`);
  process.stdout.write(`${JSON.stringify({skipped: reason})}\n`);
}

function htopCommand() {
  const found = () => spawnSync('sh', ['-c', 'command -v htop'], {encoding: 'utf8'}).stdout.trim();
  let path = found();
  if (path !== '') return path;
  const hasApt = spawnSync('sh', ['-c', 'command -v apt-get']).status === 0;
  if (process.getuid?.() !== 0 || !hasApt) return null;
  log('htop is not installed; trying apt-get install -y htop once');
  spawnSync('apt-get', ['install', '-y', '-qq', 'htop'], {
    stdio: 'ignore',
    timeout: 180_000,
    env: {...process.env, DEBIAN_FRONTEND: 'noninteractive'},
  });
  path = found();
  return path === '' ? null : path;
}

async function run() {
  const ping = await docker('GET', '/_ping').catch((error) => ({status: 0, json: error.message}));
  if (ping.status !== 200) {
    return skip(
      `lab Docker not reachable at ${dockerSocket} (${ping.json}); run: sudo npm run lab`,
    );
  }
  const inspected = await docker('GET', `/images/${encodeURIComponent(image)}/json`);
  if (inspected.status !== 200) return skip(`image ${image} missing; run: sudo npm run lab`);
  if (spawnSync('tmux', ['-V']).status !== 0) return skip('tmux is not installed');
  if (!existsSync(cliPath)) throw new Error(`${cliPath} missing: run npm run build`);

  // 1. 50 extra containers.
  touchedDocker = true;
  await removeBenchContainers();
  let started = performance.now();
  const indexes = Array.from({length: benchCount}, (_, index) => index);
  await inBatches(indexes, 6, startBenchContainer);
  listeners = spawn(
    process.execPath,
    [listenersPath, String(listenerBase), String(listenerCount)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  await new Promise((resolve, reject) => {
    listeners.stdout.once('data', resolve);
    listeners.once('exit', (code) => reject(new Error(`bench-listeners.mjs exited (${code})`)));
  });
  const containersReadyAt = performance.now();
  log(
    `started ${benchCount} containers (ports ${basePort}-${basePort + benchCount - 1}) in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );

  // 2. Time to the first full frame, from the spawn.
  const isFull = (screen) => {
    const rows = screen.split('\n');
    return (
      rows.some((row) => row.includes('PROTO')) &&
      rows.some((row) => row.includes('nd-web')) &&
      rows.some((row) => row.includes('nd-bench-'))
    );
  };
  started = performance.now();
  const top = await startSession('top', [process.execPath, cliPath, '--interval', '1s']);
  await waitForScreen(top, isFull, {everyMs: 20});
  const firstFrameMs = performance.now() - started;
  log(`first full frame after ${firstFrameMs.toFixed(0)} ms`);

  // The references, each on its own 120x40 terminal.
  const bare = await startSession('bare', [process.execPath, bareInkPath]);
  await waitForScreen(bare, (screen) => screen.includes('bench-row-24'));
  const htopPath = htopCommand();
  let htop = null;
  if (htopPath === null) {
    notes.push('htop not installed and apt-get install htop failed: no htop reference');
  } else {
    htop = await startSession('htop', [htopPath, '-d', '10'], {
      HTOPRC: join(workDir, 'htoprc'),
      XDG_CONFIG_HOME: workDir,
    });
    await waitForScreen(htop, (screen) => /PID\s+USER/.test(screen));
  }
  const pids = {
    top: programPid((await paneState(top)).pid),
    bare: programPid((await paneState(bare)).pid),
    htop: htop === null ? null : programPid((await paneState(htop)).pid),
  };
  await sleep(settleMs);
  // Idle means a screen with nothing changing: until the new containers' helpers are a minute
  // old, their UPTIME cells tick every second and every refresh really redraws.
  const quietAt = containersReadyAt + idleAfterMs;
  if (performance.now() < quietAt) {
    log(
      `waiting ${((quietAt - performance.now()) / 1000).toFixed(0)} s until the new containers are a minute old`,
    );
    await sleep(quietAt - performance.now());
  }

  // 3. One shared window for the three.
  const before = {top: cpuTicks(pids.top), bare: cpuTicks(pids.bare)};
  if (pids.htop !== null) before.htop = cpuTicks(pids.htop);
  const windowStarted = performance.now();
  log(`measuring CPU for ${windowMs / 1000} s (pids: ${JSON.stringify(pids)})`);
  await sleep(windowMs);
  const after = {top: cpuTicks(pids.top), bare: cpuTicks(pids.bare)};
  if (pids.htop !== null) after.htop = cpuTicks(pids.htop);
  const seconds = (performance.now() - windowStarted) / 1000;
  const percent = (key) => ((after[key] - before[key]) / clockTicks / seconds) * 100;
  const rss = {top: rssMb(pids.top), bare: rssMb(pids.bare)};
  for (const [key, session] of Object.entries({top, bare})) {
    if ((await paneState(session)).dead) throw new Error(`${key} exited during the window`);
  }

  // 4. Keys, on the helper's 300 rows: bytes per j, then latency (see bench-keys.mjs). After the
  // CPU window, so that the helper is over a minute old and its UPTIME cells are still.
  const keys = await startSession('keys', [
    process.execPath,
    cliPath,
    '--port',
    `${listenerBase}-${listenerBase + listenerCount - 1}`,
  ]);
  await waitForScreen(keys, (screen) => screen.includes(String(listenerBase + 10)));
  await sleep(settleMs);
  const keyRows = /(\d+)\/\d+ rows/.exec(await capture(keys));
  // What a whole-screen redraw writes: the screen with its styles, as tmux would repaint it.
  const fullFrameBytes = Buffer.byteLength(await capture(keys, true));
  const ports = Array.from({length: listenerCount}, (_, index) => listenerBase + index);
  const control = await attachControl(keys, terminalEnv());
  let bytes;
  let latency;
  try {
    bytes = await measureBytesPerKey(control, ports.slice(1), {count: 8});
    latency = await measureLatency(control, ports, 8, {rounds: 2, run: 40});
  } finally {
    control.close();
  }
  await endSession(keys);
  const byteCounts = bytes.map((sample) => sample.bytes).sort((a, b) => a - b);
  const latencyMs = summarize(latency.map((sample) => sample.ms));
  log(
    `bytes per j ${byteCounts.join(', ')} (full screen ${fullFrameBytes}); latency ${JSON.stringify(latencyMs)}`,
  );

  // Rows: the dashboard's own count in its header ("N rows"), and the table rows on screen.
  const last = await capture(top);
  const counted = /(?:(\d+)\/)?(\d+) rows/.exec(last);
  const rows = counted ? Number(counted[2]) : null;
  const titleIndex = last.split('\n').findIndex((row) => row.includes('PROTO'));
  const visibleRows = last
    .split('\n')
    .slice(titleIndex + 1)
    .filter((row) => /^[* ] (tcp|udp)/.test(row)).length;
  const benchRowsSeen = last.split('\n').filter((row) => row.includes('nd-bench-')).length;

  await runTmux(top.socket, ['send-keys', '-t', top.label, 'q']);
  notes.push(
    'latency: from writing send-keys to a tmux control-mode client to the first %output chunk that completes the newly selected row; each press waits for the screen to settle, then 50-150 ms',
    'bytes per j: every byte the program wrote to its pane from the key until 250 ms of silence (tmux %output), for j presses that do not scroll the list',
    `CPU window ${seconds.toFixed(2)} s, started ${settleMs} ms after every program had drawn their first screen and once the new containers were over a minute old; ${benchCount} extra containers; first frame polled every 20 ms`,
    `load average at the end: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`,
  );
  if (rows !== null && rows < benchCount) notes.push(`only ${rows} rows in the dashboard`);

  return {
    firstFrameMs: Math.round(firstFrameMs),
    cpuPercent: percent('top'),
    rssMb: rss.top,
    bareInkCpuPercent: percent('bare'),
    bareInkRssMb: rss.bare,
    htopCpuPercent: pids.htop === null ? null : percent('htop'),
    bytesPerJ: {
      median: byteCounts[Math.floor(byteCounts.length / 2)],
      min: byteCounts[0],
      max: byteCounts.at(-1),
    },
    fullFrameBytes,
    latencyMs,
    keyRows: keyRows ? Number(keyRows[1]) : null,
    rows,
    visibleRows,
    benchRowsSeen,
    notes,
  };
}

let exitCode = 0;
try {
  const result = await run();
  if (result !== undefined) process.stdout.write(`${JSON.stringify(result)}\n`);
} catch (error) {
  log(`failed: ${error.message}`);
  exitCode = 1;
} finally {
  await cleanup();
}
process.exit(exitCode);
