// npm run soak [-- --minutes N] [--json]: nanodock-top left running under light churn, watched
// from outside through /proc. Needs `npm run build` first (the npm script does it), tmux and
// the lab's Docker (sudo npm run lab). In one run:
//   1. creates a few containers on the lab Docker (nd-soak-0.., host ports from 19800, label
//      nanodock.soak=1) and starts half of them;
//   2. starts `nanodock-top --interval 1s --port 19800-19849` in a private 120x30 tmux session
//      and finds its pid (the pane's process: a child of that tmux server, running node, titled
//      nanodock-top, started from this checkout), then waits for its first full frame;
//   3. for N minutes from that frame, starts or stops one of the containers every few seconds,
//      and every second reads the dashboard's VmRSS and Threads (/proc/PID/status), its open
//      fds (/proc/PID/fd) and utime+stime (/proc/PID/stat);
//   4. at the end of each minute pauses the churn and waits until the screen shows exactly the
//      containers Docker says are running, then goes on;
//   5. quits the dashboard with q, and always removes its containers and the tmux server.
// Prints a table per minute and a verdict (or, with --json, one JSON object on stdout); progress
// goes to stderr. Exit 0 when every bound holds, 1 when one does not or the run failed, 2 on bad
// flags, 3 when the lab, tmux or the build is missing (nothing was measured). Never sends
// traffic to the containers' ports.
import {spawnSync} from 'node:child_process';
import {existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join, resolve} from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import {parseArgs} from 'node:util';
import {dockerApi} from './docker-api.mjs';
import {capturePane, runTmux, startSession, terminalEnv} from './tmux.mjs';

const root = resolve(new URL('..', import.meta.url).pathname);
const cliPath = join(root, 'dist', 'cli.js');
const dockerSocket = '/var/run/docker.sock';
const image = 'nanodock-lab/busybox:latest';
const soakLabel = 'nanodock.soak';
const namePrefix = 'nd-soak-';
/** The host ports this script may publish (the dashboard is filtered to them). */
const portRange = {first: 19_800, last: 19_849};
const columns = 120;
const lines = 30;
/**
 * How long the first frame may take: seconds on a quiet machine, but a minute and more on a
 * 2-core machine that other jobs load (seen with 20,000 sockets open beside it at load 15).
 */
const firstFrameDeadlineMs = 180_000;
/**
 * How long the screen gets to show the running containers once the churn pauses: a refresh a
 * second and an event-driven container list make it a second or two; generous for a loaded CI.
 */
const rowsDeadlineMs = 30_000;
/** How often /proc is read. */
const sampleEveryMs = 1000;

/**
 * The bounds of the verdict, each compared with minute 1 (the first minute after the first full
 * frame, so start-up allocations are behind it):
 * - rssRatio: each later minute's median RSS within ±10 % of minute 1's (the issue's bound).
 *   The median of the minute's samples, so one sample taken mid-collection does not decide.
 * - fdSlack: a later minute's fewest open fds at most this many above minute 1's. The fewest in
 *   a minute of samples is what the program holds between refreshes (its terminal, libuv's
 *   pipes and eventfds, one event stream per engine); a refresh in flight holds more for
 *   milliseconds (files of new processes read at once, one socket per engine asked for its
 *   list: 27 -> 48 in one sample with 20,000 sockets on the host), so the most is printed but
 *   not bounded. The 2 spare let a one-off step pass, which is not growth: an event stream
 *   reopened after an engine dropped it, the fd-scan worker restarted with its message pipes.
 *   A leaked fd raises the floor for good: one per churn action (20 a minute) or per refresh
 *   (60) fails minute 2, one a minute fails minute 4.
 * - threadSlack: a later minute's most threads at most this many above minute 1's. Node's
 *   threads (V8's platform threads, libuv's pool of 4, the fd-scan worker) are all running by
 *   the first frame; one more is allowed for a sample taken while the fd-scan worker is being
 *   replaced after an error (the old thread not yet joined, the new one started).
 */
const bounds = {rssRatio: 0.1, fdSlack: 2, threadSlack: 1};

const usage = `Usage: node scripts/soak.mjs [--minutes N] [--churn-seconds S] [--containers C] [--json]
  --minutes N        how long to watch, whole minutes (default 10)
  --churn-seconds S  one container start or stop every S seconds (default 3)
  --containers C     how many nd-soak-* containers take turns (default 6, at most 50)
  --json             print one JSON object on stdout instead of the table`;

const log = (line) => process.stderr.write(`soak: ${line}\n`);

function parseFlags(argv) {
  let values;
  try {
    ({values} = parseArgs({
      args: argv,
      options: {
        minutes: {type: 'string', default: '10'},
        'churn-seconds': {type: 'string', default: '3'},
        containers: {type: 'string', default: '6'},
        json: {type: 'boolean', default: false},
        help: {type: 'boolean', short: 'h', default: false},
      },
      strict: true,
    }));
  } catch (error) {
    return {error: error.message};
  }
  if (values.help) return {help: true};
  const minutes = Number(values.minutes);
  const churnSeconds = Number(values['churn-seconds']);
  const containers = Number(values.containers);
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > 24 * 60) {
    return {error: `--minutes must be a whole number from 1 to 1440, not ${values.minutes}`};
  }
  if (!Number.isFinite(churnSeconds) || churnSeconds < 0.5 || churnSeconds > 600) {
    return {error: `--churn-seconds must be from 0.5 to 600, not ${values['churn-seconds']}`};
  }
  const most = portRange.last - portRange.first + 1;
  if (!Number.isInteger(containers) || containers < 1 || containers > most) {
    return {
      error: `--containers must be a whole number from 1 to ${most}, not ${values.containers}`,
    };
  }
  return {minutes, churnSeconds, containers, json: values.json};
}

// ------------------------------------------------------------------ Docker over its socket

/** One Engine API request over the lab socket (docker-api.mjs): {status, json}. */
const docker = (method, path, body) => dockerApi(method, path, body, {socketPath: dockerSocket});

const containerName = (index) => `${namePrefix}${index}`;
const containerPort = (index) => portRange.first + index;

/** Every container of this script (by label, and by name in case a label was lost), removed. */
async function removeSoakContainers() {
  const byLabel = encodeURIComponent(JSON.stringify({label: [`${soakLabel}=1`]}));
  const byName = encodeURIComponent(JSON.stringify({name: [`^/${namePrefix}`]}));
  const ids = new Set();
  for (const filters of [byLabel, byName]) {
    const list = await docker('GET', `/containers/json?all=1&filters=${filters}`);
    if (Array.isArray(list.json)) {
      for (const container of list.json) {
        if (container.Names?.some((name) => name.startsWith(`/${namePrefix}`))) {
          ids.add(container.Id);
        }
      }
    }
  }
  for (const id of ids) await docker('DELETE', `/containers/${id}?force=true`);
  return ids.size;
}

/** Creates nd-soak-INDEX publishing container port 80 on its host port; not started. */
async function createSoakContainer(index) {
  const spec = {
    Image: image,
    // busybox httpd as PID 1 ignores SIGTERM; under a shell that traps it, a stop is immediate.
    Cmd: ['/bin/sh', '-c', 'trap "exit 0" TERM; /bin/busybox httpd -f -p 80 & wait'],
    Labels: {[soakLabel]: '1', 'nanodock.test': '1'},
    ExposedPorts: {'80/tcp': {}},
    HostConfig: {PortBindings: {'80/tcp': [{HostPort: String(containerPort(index))}]}},
  };
  const created = await docker('POST', `/containers/create?name=${containerName(index)}`, spec);
  if (created.status !== 201) {
    throw new Error(
      `create ${containerName(index)}: HTTP ${created.status} ${JSON.stringify(created.json)}`,
    );
  }
}

/** Starts (true) or stops (false) nd-soak-INDEX; throws unless Docker did it (or had). */
async function setRunning(index, running) {
  const path = running
    ? `/containers/${containerName(index)}/start`
    : `/containers/${containerName(index)}/stop?t=2`;
  const answer = await docker('POST', path);
  // 204 done, 304 already so.
  if (answer.status !== 204 && answer.status !== 304) {
    throw new Error(
      `${running ? 'start' : 'stop'} ${containerName(index)}: HTTP ${answer.status} ${JSON.stringify(answer.json)}`,
    );
  }
}

/** The indexes of the soak containers Docker lists as running, sorted. */
async function runningSoakIndexes() {
  const filters = encodeURIComponent(JSON.stringify({label: [`${soakLabel}=1`]}));
  const list = await docker('GET', `/containers/json?filters=${filters}`);
  if (!Array.isArray(list.json)) throw new Error(`list: HTTP ${list.status}`);
  const indexes = [];
  for (const container of list.json) {
    for (const name of container.Names ?? []) {
      const match = new RegExp(`^/${namePrefix}(\\d+)$`).exec(name);
      if (match) indexes.push(Number(match[1]));
    }
  }
  return indexes.sort((a, b) => a - b);
}

// ------------------------------------------------------------------ /proc

const clockTicks = Number(spawnSync('getconf', ['CLK_TCK'], {encoding: 'utf8'}).stdout) || 100;

/** Fields of /proc/PID/stat after the command name (index 0 is field 3, the state). */
function statFields(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** One reading of `pid`; throws when it is gone or its start time is not `startTicks`. */
function sampleProcess(pid, startTicks) {
  const fields = statFields(pid);
  if (Number(fields[19]) !== startTicks) throw new Error(`pid ${pid} is another process now`);
  if (fields[0] === 'Z' || fields[0] === 'X') throw new Error(`pid ${pid} has exited`);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]);
  const threads = Number(/^Threads:\s+(\d+)/m.exec(status)?.[1]);
  const fds = readdirSync(`/proc/${pid}/fd`).length;
  return {
    at: performance.now(),
    rssMb: rssKb / 1024,
    threads,
    fds,
    cpuTicks: Number(fields[11]) + Number(fields[12]),
  };
}

/**
 * The dashboard's pid: the pane's process, accepted only when it is a child of this tmux server,
 * runs this node binary, is titled nanodock-top (the program sets its title) and was started in
 * this checkout. Returns its pid and start time (field 22 of stat), which every sample re-checks.
 */
function checkDashboardPid(panePid, serverPid) {
  const fields = statFields(panePid);
  const facts = {
    ppid: Number(fields[1]),
    exe: readlinkSync(`/proc/${panePid}/exe`),
    comm: readFileSync(`/proc/${panePid}/comm`, 'utf8').trim(),
    title: readFileSync(`/proc/${panePid}/cmdline`, 'utf8').split('\0')[0],
    cwd: readlinkSync(`/proc/${panePid}/cwd`),
  };
  const problems = [];
  if (facts.ppid !== serverPid) problems.push(`parent ${facts.ppid}, not tmux ${serverPid}`);
  if (facts.exe !== process.execPath) problems.push(`runs ${facts.exe}, not ${process.execPath}`);
  if (facts.comm !== 'nanodock-top' || !facts.title.startsWith('nanodock-top')) {
    problems.push(`named ${facts.comm} (${facts.title}), not nanodock-top`);
  }
  if (facts.cwd !== root) problems.push(`started in ${facts.cwd}, not ${root}`);
  if (problems.length > 0) {
    throw new Error(`the pane's process ${panePid} is not the dashboard: ${problems.join('; ')}`);
  }
  return {pid: panePid, startTicks: Number(fields[19])};
}

// ------------------------------------------------------------------ the terminal

/** The private tmux server: its socket and config live in a temp dir that cleanup removes. */
const session = {label: 'soak', workDir: null, socket: null};
const tmux = (args) => runTmux(session.socket, args, terminalEnv());

async function startDashboard() {
  session.workDir = mkdtempSync(join(tmpdir(), 'nd-soak-'));
  const started = await startSession({
    workDir: session.workDir,
    label: session.label,
    cwd: root,
    columns,
    lines,
    command: [
      process.execPath,
      cliPath,
      '--interval',
      '1s',
      '--port',
      `${portRange.first}-${portRange.last}`,
    ],
  });
  session.socket = started.socket;
}

const capture = () => capturePane(session);

async function paneState() {
  const out = await tmux([
    'display-message',
    '-p',
    '-t',
    session.label,
    '#{pid}|#{pane_pid}|#{pane_dead}|#{pane_dead_status}|#{pane_dead_signal}',
  ]);
  const [server, pane, dead, status, signal] = out.trim().split('|');
  return {
    serverPid: Number(server),
    panePid: Number(pane),
    dead: dead === '1',
    status: status === '' ? null : Number(status),
    signal: signal === '' ? null : Number(signal),
  };
}

/** The soak rows on a screen: `{port, name}` of each table line naming an nd-soak container. */
function soakRowsOf(screen) {
  const rows = [];
  for (const line of screen.split('\n')) {
    // "* tcp   *         19800 12345 docker-proxy root  nd-soak-0  nanodock-lab/busybox:latest  12s"
    const match = /^[* ] (?:tcp|udp)\s+\S+\s+(\d+)\s.*?\b(nd-soak-\d+)\b/.exec(line);
    if (match) rows.push({port: Number(match[1]), name: match[2]});
  }
  return rows;
}

/** Whether `screen` is a drawn table showing exactly the running containers, one row each. */
function showsExactly(screen, running) {
  if (!/PROTO\s+ADDRESS\s+PORT/.test(screen) || !screen.includes('every 1s')) return false;
  const seen = soakRowsOf(screen)
    .map((row) => `${row.port} ${row.name}`)
    .sort();
  const expected = running.map((index) => `${containerPort(index)} ${containerName(index)}`).sort();
  return seen.length === expected.length && seen.every((row, index) => row === expected[index]);
}

/** Polls the screen until it shows exactly `running`; {ok, ms, screen}. Never throws on a miss. */
async function waitForRows(running, timeoutMs) {
  const started = performance.now();
  let screen = '';
  for (;;) {
    screen = await capture();
    if (showsExactly(screen, running)) return {ok: true, ms: performance.now() - started, screen};
    const state = await paneState();
    if (state.dead || performance.now() - started > timeoutMs) {
      return {ok: false, ms: performance.now() - started, screen, dead: state.dead};
    }
    await sleep(100);
  }
}

// ------------------------------------------------------------------ cleanup

let touchedDocker = false;
let cleaning = null;

function cleanup() {
  cleaning ??= (async () => {
    if (session.workDir !== null) await tmux(['kill-server']).catch(() => {});
    if (touchedDocker) {
      try {
        const removed = await removeSoakContainers();
        if (removed > 0) log(`removed ${removed} soak containers`);
      } catch (error) {
        log(`could not remove the soak containers: ${error.message}`);
      }
    }
    if (session.workDir !== null) rmSync(session.workDir, {recursive: true, force: true});
  })();
  return cleaning;
}

/** Set by a signal: the run's own errors after it (tmux gone) are expected, not news. */
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, () => {
    interrupted = true;
    log(`${signal}: cleaning up`);
    cleanup().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  });
}

// ------------------------------------------------------------------ the run

/** Why the run cannot happen here, or null. */
async function missing() {
  const ping = await docker('GET', '/_ping').catch((error) => ({status: 0, json: error.message}));
  if (ping.status !== 200) {
    return `the lab's Docker is not reachable at ${dockerSocket} (${ping.json}); run: sudo npm run lab`;
  }
  const inspected = await docker('GET', `/images/${encodeURIComponent(image)}/json`);
  if (inspected.status !== 200) return `image ${image} is missing; run: sudo npm run lab`;
  if (spawnSync('tmux', ['-V']).status !== 0) return 'tmux is not installed';
  if (!existsSync(cliPath)) return `${cliPath} is missing: run npm run build`;
  if (process.getuid?.() !== 0) return 'run it as root: the dashboard and /proc/PID/fd need it';
  return null;
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};
const round = (value, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

/** The churn: one start or stop every `everyMs`, in a fixed order, until stop() is awaited. */
function startChurn(options) {
  const {count, everyMs, running} = options;
  const state = {actions: 0, starts: 0, stops: 0, errors: [], paused: false};
  let step = 0;
  let stopped = false;
  let inFlight = Promise.resolve();
  let timer;
  const act = async () => {
    // A stride coprime with the count visits every container in turn, in a mixed order.
    let stride = count > 2 ? count - 1 : 1;
    while (count > 1 && gcd(stride, count) !== 1) stride -= 1;
    const index = (step * stride) % count;
    step += 1;
    const start = !running.has(index);
    try {
      await setRunning(index, start);
      if (start) running.add(index);
      else running.delete(index);
      state.actions += 1;
      if (start) state.starts += 1;
      else state.stops += 1;
    } catch (error) {
      state.errors.push(error.message);
      log(`churn: ${error.message}`);
    }
  };
  const tick = () => {
    if (stopped) return;
    if (!state.paused) inFlight = act();
    timer = setTimeout(tick, everyMs);
  };
  timer = setTimeout(tick, everyMs);
  return {
    state,
    async pause() {
      state.paused = true;
      await inFlight;
    },
    resume() {
      state.paused = false;
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await inFlight;
    },
  };
}

function gcd(a, b) {
  return b === 0 ? a : gcd(b, a % b);
}

async function run(flags) {
  const reason = await missing();
  if (reason !== null) return {skipped: reason};

  // 1. The containers: half of them running.
  touchedDocker = true;
  const stale = await removeSoakContainers();
  if (stale > 0) log(`removed ${stale} soak containers left by an earlier run`);
  const running = new Set();
  for (let index = 0; index < flags.containers; index++) {
    await createSoakContainer(index);
    if (index % 2 === 0) {
      await setRunning(index, true);
      running.add(index);
    }
  }
  log(
    `${flags.containers} containers ${containerName(0)}..${containerName(flags.containers - 1)} on ports ${containerPort(0)}-${containerPort(flags.containers - 1)}, ${running.size} running`,
  );

  // 2. The dashboard, its pid, its first full frame.
  const spawnedAt = performance.now();
  await startDashboard();
  const first = await waitForRows([...running], firstFrameDeadlineMs);
  if (!first.ok) {
    throw new Error(
      `no first frame with the running containers in ${firstFrameDeadlineMs / 1000} s${first.dead ? ' (the dashboard exited)' : ''}; screen:\n${first.screen}`,
    );
  }
  const firstFrameMs = performance.now() - spawnedAt;
  // Checked once it has drawn: it sets its title while it starts.
  const pane = await paneState();
  const dashboard = checkDashboardPid(pane.panePid, pane.serverPid);
  log(
    `dashboard pid ${dashboard.pid}: first full frame after ${Math.round(firstFrameMs)} ms; watching for ${flags.minutes} min`,
  );

  // 3. and 4. The minutes.
  const churn = startChurn({
    count: flags.containers,
    everyMs: flags.churnSeconds * 1000,
    running,
  });
  const minutes = [];
  const failures = [];
  // Every reading, for --json: seconds since the first frame, RSS MB, fds, threads.
  const trace = [];
  let previous = sampleProcess(dashboard.pid, dashboard.startTicks);
  const t0 = previous.at;
  let lastScreen = first.screen;
  try {
    for (let minute = 1; minute <= flags.minutes; minute++) {
      const minuteStart = previous;
      const actionsBefore = churn.state.actions;
      const samples = [minuteStart];
      const endsAt = minuteStart.at + 60_000;
      for (;;) {
        const next = Math.min(endsAt, samples.at(-1).at + sampleEveryMs);
        await sleep(Math.max(0, next - performance.now()));
        const sample = sampleProcess(dashboard.pid, dashboard.startTicks);
        samples.push(sample);
        trace.push([
          round((sample.at - t0) / 1000),
          round(sample.rssMb),
          sample.fds,
          sample.threads,
        ]);
        if (samples.at(-1).at >= endsAt) break;
      }
      const end = samples.at(-1);
      await churn.pause();
      const expected = await runningSoakIndexes();
      const rows = await waitForRows(expected, rowsDeadlineMs);
      lastScreen = rows.screen;
      churn.resume();
      // A minute's figures come from its own samples, not the one it started from.
      const inWindow = samples.slice(1);
      const figures = {
        minute,
        seconds: round((end.at - minuteStart.at) / 1000, 2),
        samples: inWindow.length,
        rssMb: round(median(inWindow.map((sample) => sample.rssMb))),
        rssMinMb: round(Math.min(...inWindow.map((sample) => sample.rssMb))),
        rssMaxMb: round(Math.max(...inWindow.map((sample) => sample.rssMb))),
        rssEndMb: round(end.rssMb),
        fdsMin: Math.min(...inWindow.map((sample) => sample.fds)),
        fdsMax: Math.max(...inWindow.map((sample) => sample.fds)),
        threadsMin: Math.min(...inWindow.map((sample) => sample.threads)),
        threadsMax: Math.max(...inWindow.map((sample) => sample.threads)),
        cpuPercent: round(
          ((end.cpuTicks - minuteStart.cpuTicks) /
            clockTicks /
            ((end.at - minuteStart.at) / 1000)) *
            100,
          2,
        ),
        churnActions: churn.state.actions - actionsBefore,
        // The dashboard's count of every row on the host ("3/20215 rows"): when other programs
        // open thousands of sockets beside the soak, the RSS follows them, not a leak.
        hostRows: Number(/\b\d+\/(\d+) rows\b/.exec(rows.screen)?.[1] ?? Number.NaN),
        rowsExpected: expected.map(containerName),
        rowsOk: rows.ok,
        rowsMs: Math.round(rows.ms),
      };
      minutes.push(figures);
      log(
        `minute ${minute}: RSS ${figures.rssMb} MB (${figures.rssMinMb}-${figures.rssMaxMb}), fds ${figures.fdsMin}-${figures.fdsMax}, threads ${figures.threadsMin}-${figures.threadsMax}, CPU ${figures.cpuPercent} %, rows ${rows.ok ? `ok in ${figures.rowsMs} ms` : 'WRONG'}`,
      );
      if (!rows.ok) {
        failures.push(
          `minute ${minute}: the screen did not show exactly ${expected.map(containerName).join(', ') || 'no soak container'} within ${rowsDeadlineMs} ms${rows.dead ? ' (the dashboard exited)' : ''}`,
        );
        log(`screen at minute ${minute}:\n${rows.screen}`);
        if (rows.dead) break;
      }
      // The next minute starts where this one ended: the row check's pause is inside it.
      previous = end;
    }
  } catch (error) {
    failures.push(`the dashboard could not be read: ${error.message}`);
  } finally {
    await churn.stop();
  }

  // 5. Quit as a user does; the program must exit 0 promptly.
  let quit = {exitCode: null, ms: null};
  const state = await paneState().catch(() => null);
  if (state !== null && !state.dead) {
    const quitAt = performance.now();
    await tmux(['send-keys', '-t', session.label, 'q']);
    for (;;) {
      const now = await paneState();
      // tmux can mark the pane dead before it has reaped the program: nudge it (see tmux.ts).
      if (now.dead && now.status === null && now.signal === null) {
        await tmux(['run-shell', 'true']).catch(() => {});
      } else if (now.dead) {
        quit = {
          exitCode: now.signal === null ? now.status : 128 + now.signal,
          ms: Math.round(performance.now() - quitAt),
        };
        break;
      }
      if (performance.now() - quitAt > 10_000) {
        quit = {exitCode: null, ms: null};
        break;
      }
      await sleep(50);
    }
  }
  if (quit.exitCode !== 0) {
    failures.push(
      quit.ms === null && state?.dead !== true
        ? 'q did not end the dashboard within 10 s'
        : `the dashboard ended with status ${quit.exitCode ?? state?.status ?? 'unknown'}`,
    );
  }

  // The verdict: every later minute against minute 1.
  if (minutes.length < flags.minutes) {
    failures.push(`only ${minutes.length} of ${flags.minutes} minutes were measured`);
  }
  const base = minutes[0];
  for (const figures of minutes.slice(1)) {
    const ratio = figures.rssMb / base.rssMb;
    if (Math.abs(ratio - 1) > bounds.rssRatio) {
      failures.push(
        `minute ${figures.minute}: RSS ${figures.rssMb} MB is ${round((ratio - 1) * 100)} % off minute 1's ${base.rssMb} MB (bound ±${bounds.rssRatio * 100} %)`,
      );
    }
    for (const [key, slack, what] of [
      ['fdsMin', bounds.fdSlack, 'fewest open fds'],
      ['threadsMax', bounds.threadSlack, 'threads'],
    ]) {
      if (figures[key] > base[key] + slack) {
        failures.push(
          `minute ${figures.minute}: ${what} ${figures[key]}, over minute 1's ${base[key]} + ${slack}`,
        );
      }
    }
  }
  if (churn.state.errors.length > 0) {
    failures.push(
      `${churn.state.errors.length} churn actions failed (first: ${churn.state.errors[0]})`,
    );
  }
  if (churn.state.actions === 0) failures.push('no churn action happened');
  // Not a failure, but what a reader needs to judge one: the dashboard scans every socket on the
  // host, so its RSS and CPU follow other programs that open thousands beside the soak.
  const notes = [];
  const hostRows = minutes.map((figures) => figures.hostRows).filter(Number.isFinite);
  if (hostRows.length > 0 && Math.max(...hostRows) > 2 * Math.min(...hostRows) + 50) {
    notes.push(
      `the host's rows went from ${Math.min(...hostRows)} to ${Math.max(...hostRows)} during the run (other programs): its RSS and CPU follow them; for figures, run on a quiet machine`,
    );
  }

  return {
    ok: failures.length === 0,
    minutesAsked: flags.minutes,
    churnSeconds: flags.churnSeconds,
    containers: flags.containers,
    ports: `${containerPort(0)}-${containerPort(flags.containers - 1)}`,
    bounds,
    dashboard: {
      pid: dashboard.pid,
      command: `node dist/cli.js --interval 1s --port ${portRange.first}-${portRange.last}`,
      firstFrameMs: Math.round(firstFrameMs),
      quitExitCode: quit.exitCode,
      quitMs: quit.ms,
    },
    churn: {
      actions: churn.state.actions,
      starts: churn.state.starts,
      stops: churn.state.stops,
      errors: churn.state.errors.length,
    },
    minutes,
    failures,
    notes,
    lastScreen,
    trace,
    loadAverage: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number),
  };
}

function table(result) {
  const header = [
    'min',
    'RSS MB (median, min-max)',
    'fds',
    'threads',
    'CPU %',
    'churn',
    'host rows',
    'soak rows on screen',
  ];
  const body = result.minutes.map((figures) => [
    String(figures.minute),
    `${figures.rssMb.toFixed(1)} (${figures.rssMinMb.toFixed(1)}-${figures.rssMaxMb.toFixed(1)})`,
    figures.fdsMin === figures.fdsMax
      ? String(figures.fdsMin)
      : `${figures.fdsMin}-${figures.fdsMax}`,
    figures.threadsMin === figures.threadsMax
      ? String(figures.threadsMin)
      : `${figures.threadsMin}-${figures.threadsMax}`,
    figures.cpuPercent.toFixed(2),
    String(figures.churnActions),
    String(figures.hostRows),
    figures.rowsOk ? `ok (${figures.rowsExpected.length}, ${figures.rowsMs} ms)` : 'WRONG',
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...body.map((row) => row[column].length)),
  );
  const format = (row) => row.map((cell, column) => cell.padEnd(widths[column])).join('  ');
  const out = [
    `nanodock-top soak: ${result.minutes.length} of ${result.minutesAsked} min, one start/stop every ${result.churnSeconds} s over ${result.containers} containers (ports ${result.ports}), pid ${result.dashboard.pid}, first frame ${result.dashboard.firstFrameMs} ms`,
    '',
    format(header),
    ...body.map(format),
    '',
    `churn: ${result.churn.starts} starts, ${result.churn.stops} stops, ${result.churn.errors} failed; quit with q: ${result.dashboard.quitExitCode === null ? 'did not exit' : `exit ${result.dashboard.quitExitCode} in ${result.dashboard.quitMs} ms`}; load average ${result.loadAverage.join(' ')}`,
    `bounds vs minute 1: RSS median ±${result.bounds.rssRatio * 100} %, fewest fds +${result.bounds.fdSlack}, most threads +${result.bounds.threadSlack}; rows: exactly the running containers within ${rowsDeadlineMs / 1000} s of pausing the churn`,
    ...result.notes.map((note) => `note: ${note}`),
    result.ok
      ? 'verdict: PASS'
      : `verdict: FAIL\n${result.failures.map((failure) => `  - ${failure}`).join('\n')}`,
  ];
  return `${out.join('\n')}\n`;
}

const flags = parseFlags(process.argv.slice(2));
if (flags.help) {
  process.stdout.write(`${usage}\n`);
  process.exit(0);
}
if (flags.error) {
  process.stderr.write(`soak: ${flags.error}\n${usage}\n`);
  process.exit(2);
}

let exitCode = 0;
try {
  const result = await run(flags);
  if (result.skipped) {
    log(`not run: ${result.skipped}`);
    if (flags.json) process.stdout.write(`${JSON.stringify({skipped: result.skipped})}\n`);
    exitCode = 3;
  } else {
    process.stdout.write(flags.json ? `${JSON.stringify(result)}\n` : table(result));
    exitCode = result.ok ? 0 : 1;
  }
} catch (error) {
  if (interrupted) await new Promise(() => {}); // the signal handler exits
  log(`failed: ${error.stack ?? error.message}`);
  if (flags.json) process.stdout.write(`${JSON.stringify({ok: false, error: error.message})}\n`);
  exitCode = 1;
} finally {
  await cleanup();
}
process.exit(exitCode);
