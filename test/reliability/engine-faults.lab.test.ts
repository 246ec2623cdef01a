import {readFileSync} from 'node:fs';
import {createServer, type Server} from 'node:net';
import {fileURLToPath} from 'node:url';
import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest';
import {defaultDetectTimeoutMs} from '../../source/engine/detect.js';
import {defaultNotAnsweringAfterMs} from '../../source/snapshot.js';
import {
  lab,
  publishScratchContainer,
  removeContainer,
  shouldSkipLab,
  shouldSkipUnlessRoot,
} from '../helpers/lab.js';
import {mismatch, processFacts, unixSocketHolders} from '../helpers/proc.js';
import {type SocketProxy, startSocketProxy} from '../helpers/socket-proxy.js';
import {startTmux, type TmuxSession} from '../helpers/tmux.js';

/**
 * Engine faults against the lab's real engines, with the dashboard open in a real terminal:
 * the lab's Docker behind a socket proxy that goes down, hangs, and drops event streams; the
 * lab's rootful Podman API service frozen with SIGSTOP. Each time the header must say which
 * engine failed within one refresh deadline, the host rows must stay, and the dashboard must
 * recover by itself within 2 s of the engine's return.
 */

const root = fileURLToPath(new URL('../..', import.meta.url));
const isRoot = !shouldSkipUnlessRoot('engine fault tests');
const skipDocker = (await shouldSkipLab('Docker', lab.docker.address)) || !isRoot;
const skipPodman = skipDocker || (await shouldSkipLab('Podman', lab.podman.address));

/** The dashboard's refresh interval in these tests (`--interval 1s`). */
const intervalMs = 1000;
/**
 * One refresh deadline after a fault: the next refresh starts within one interval, and it
 * ends within the detection deadline (3 s; an engine that answered before is called "not
 * answering" sooner, at 2 s, inside it).
 */
const failureShownMs = intervalMs + defaultDetectTimeoutMs;
/** The dashboard recovers by itself within 2 s of the engine's return (issue 11). */
const recoveryMs = 2000;
/** The first frame with rows can take seconds on a loaded machine (a full scan of /proc). */
const firstFrameMs = 30_000;

/** This file's ports (19850-19899) and container names (nd-fault-*). */
const port = {listener: 19850, docker: 19851, late: 19852, podman: 19853} as const;
const portRange = '19850-19899';
const names = {docker: 'nd-fault-docker', late: 'nd-fault-late', podman: 'nd-fault-podman'};

const podmanSocket = '/run/podman/podman.sock';
const podmanPidFile = '/run/nanodock-lab/podman-service.pid';

const tableRows = (screen: string): string[] =>
  screen.split('\n').filter((line) => /^[* ] (tcp|udp) /.test(line));
/** The engines line: the header's second line, with every engine and every problem. */
const enginesLine = (screen: string): string => screen.split('\n')[1] ?? '';
/** The problems part of the engines line (after the ⚠), or '' when there are none. */
const problems = (screen: string): string => enginesLine(screen).split('⚠')[1] ?? '';
/** The host row of the listener this file holds (plain process, no helper). */
const hasHostRow = (screen: string): boolean =>
  tableRows(screen).some((line) => /^ {2}tcp\s+127\.0\.0\.1\s+19850\s/.test(line));
const hasContainer = (screen: string, name: string): boolean =>
  tableRows(screen).some((line) => line.includes(name));

let listener: Server | undefined;
const containers: {address: string; id: string}[] = [];
let session: TmuxSession | undefined;
let proxy: SocketProxy | undefined;
/** The Podman service while this file has it stopped: resumed in afterAll if a test could not. */
let stoppedPodman: {pid: number; startTicks: number} | undefined;

beforeAll(async () => {
  if (skipDocker) {
    return;
  }
  const held = createServer();
  await new Promise<void>((resolve, reject) => {
    held.once('error', reject);
    held.listen(port.listener, '127.0.0.1', () => resolve());
  });
  listener = held;
  const id = await publishScratchContainer(
    lab.docker.address,
    lab.image,
    names.docker,
    port.docker,
  );
  containers.push({address: lab.docker.address, id});
});

afterEach(async () => {
  await session?.kill();
  session = undefined;
  await proxy?.close();
  proxy = undefined;
});

afterAll(async () => {
  if (stoppedPodman !== undefined) {
    resumePodman(stoppedPodman);
  }
  for (const {address, id} of containers.splice(0)) {
    await removeContainer(address, id);
  }
  await new Promise<void>((resolve) => (listener ? listener.close(() => resolve()) : resolve()));
});

/** The dashboard at `--interval 1s`, filtered to this file's ports, 220 columns wide. */
async function startDashboard(env: Record<string, string>): Promise<TmuxSession> {
  session = await startTmux(['node', 'dist/cli.js', '--interval', '1s', '--port', portRange], {
    columns: 220,
    rows: 30,
    cwd: root,
    env,
  });
  return session;
}

/** What watch saw: the screen that met the condition, when, and screens that broke a rule. */
interface Watched {
  readonly screen: string;
  readonly elapsedMs: number;
  /** Screens on which `always` did not hold, with why. */
  readonly broken: readonly string[];
  /** Each new header (first two lines) seen, with the ms since `since`: for a failure message. */
  readonly timeline: string;
}

/**
 * Waits (timing from `since`, a performance.now()) until `until` holds, checking on every
 * screen seen meanwhile that `always` holds (it returns null, or why not).
 */
async function watch(
  tmux: TmuxSession,
  since: number,
  until: (screen: string) => boolean,
  always: (screen: string) => string | null,
  message: string,
  timeoutMs = 20_000,
): Promise<Watched> {
  const broken: string[] = [];
  const headers: string[] = [];
  let lastHeader = '';
  const screen = await tmux.waitFor(
    (text) => {
      const header = text.split('\n').slice(0, 2).join('\n');
      if (header !== lastHeader) {
        lastHeader = header;
        headers.push(`+${Math.round(performance.now() - since)} ms\n${header}`);
      }
      const why = always(text);
      if (why !== null) {
        broken.push(`${why}:\n${text}`);
      }
      return until(text);
    },
    {timeoutMs, message},
  );
  return {screen, elapsedMs: performance.now() - since, broken, timeline: headers.join('\n')};
}

const hostRowStays = (screen: string): string | null =>
  hasHostRow(screen) ? null : `the host row of port ${port.listener} is missing`;

describe.skipIf(skipDocker)('the lab Docker behind a socket proxy, dashboard in tmux', () => {
  /** The dashboard on DOCKER_HOST=proxy, once it shows the proxy's Docker, healthy. */
  async function healthyDashboard(through: SocketProxy): Promise<TmuxSession> {
    const tmux = await startDashboard({DOCKER_HOST: through.address});
    await tmux.waitFor(
      (screen) =>
        hasHostRow(screen) &&
        hasContainer(screen, names.docker) &&
        enginesLine(screen).includes(`docker ${through.address} (`) &&
        problems(screen) === '',
      {timeoutMs: firstFrameMs, message: 'the healthy dashboard'},
    );
    return tmux;
  }

  /** Brings the proxy up and waits for the dashboard to be healthy again; the time it took. */
  async function expectRecovery(tmux: TmuxSession, through: SocketProxy): Promise<number> {
    const returned = performance.now();
    await through.up();
    const back = await watch(
      tmux,
      returned,
      (screen) =>
        !problems(screen).includes(through.address) &&
        enginesLine(screen).includes(`docker ${through.address} (`) &&
        hasContainer(screen, names.docker),
      hostRowStays,
      'recovery after the engine returned',
    );
    expect(back.broken).toEqual([]);
    expect(back.elapsedMs, back.timeline).toBeLessThanOrEqual(recoveryMs);
    return back.elapsedMs;
  }

  it('down: the header names the engine, host rows stay, and it recovers when the engine is back', async () => {
    proxy = await startSocketProxy('/var/run/docker.sock');
    const tmux = await healthyDashboard(proxy);

    const cut = performance.now();
    await proxy.down();
    const failed = await watch(
      tmux,
      cut,
      (screen) =>
        problems(screen).includes(`engine ${proxy?.address} (DOCKER_HOST): `) &&
        problems(screen).includes('ENOENT'),
      hostRowStays,
      'the header naming the engine that went away',
    );
    expect(failed.broken).toEqual([]);
    expect(failed.elapsedMs, failed.timeline).toBeLessThanOrEqual(failureShownMs);
    expect(problems(failed.screen)).toContain('no container engine answered');
    // The container's rows stay (its docker-proxy still listens), without their container.
    expect(hasContainer(failed.screen, names.docker)).toBe(false);
    expect(tableRows(failed.screen).some((line) => /\s19851\s.*docker-proxy/.test(line))).toBe(
      true,
    );

    const recovered = await expectRecovery(tmux, proxy);
    console.info(
      `down: shown after ${Math.round(failed.elapsedMs)} ms (bound ${failureShownMs}), recovered ${Math.round(recovered)} ms after the engine returned (bound ${recoveryMs})`,
    );
  }, 90_000);

  it('hung (accepts, never answers): the header says not answering, host rows stay, and it recovers', async () => {
    proxy = await startSocketProxy('/var/run/docker.sock');
    const tmux = await healthyDashboard(proxy);

    const frozen = performance.now();
    await proxy.hang();
    const notAnswering = `docker ${proxy.address} not answering (`;
    const failed = await watch(
      tmux,
      frozen,
      (screen) => problems(screen).includes(notAnswering),
      hostRowStays,
      'the header saying the engine is not answering',
    );
    expect(failed.broken).toEqual([]);
    expect(failed.elapsedMs, failed.timeline).toBeLessThanOrEqual(failureShownMs);
    // First in the header: it is the news.
    expect(problems(failed.screen).trimStart().startsWith(notAnswering)).toBe(true);

    // Stay hung 2 s past the detection deadline (the dashboard's own requests time out and are
    // asked again): the warning stays, counting, and so do the host rows.
    const held = await watch(
      tmux,
      frozen,
      (screen) => {
        const seconds = /not answering \((\d+) s\)/.exec(problems(screen))?.[1];
        return seconds !== undefined && Number(seconds) * 1000 >= defaultDetectTimeoutMs + 2000;
      },
      (screen) =>
        hostRowStays(screen) ??
        (problems(screen).includes(notAnswering) ? null : 'the warning went while hung'),
      'the warning counting past the detection deadline',
    );
    expect(held.broken).toEqual([]);
    // The dashboard kept asking while hung, and gave up each unanswered question at its
    // deadline (a ping 2 s, a list 3 s; 1 s more for a loaded machine) by closing it.
    const asked = proxy.connections.filter(
      (connection) =>
        connection.acceptedAt >= frozen &&
        !/^GET \/(v[\d.]+\/)?events\b/.test(connection.requestLine),
    );
    expect(asked.length).toBeGreaterThan(0);
    await expect
      .poll(() => asked.filter((c) => c.clientClosedAt === null).map((c) => c.requestLine), {
        timeout: defaultDetectTimeoutMs + 2000,
      })
      .toEqual([]);
    const heldLongestMs = Math.max(
      ...asked.map((c) => (c.clientClosedAt ?? Number.POSITIVE_INFINITY) - c.acceptedAt),
    );
    expect(heldLongestMs).toBeLessThanOrEqual(defaultDetectTimeoutMs + 1000);

    const recovered = await expectRecovery(tmux, proxy);
    console.info(
      `hung: shown after ${Math.round(failed.elapsedMs)} ms (bound ${failureShownMs}; not-answering mark ${defaultNotAnsweringAfterMs} ms), ${asked.length} unanswered requests each closed by the dashboard within ${Math.round(heldLongestMs)} ms (bound ${defaultDetectTimeoutMs + 1000}), recovered ${Math.round(recovered)} ms after the engine returned (bound ${recoveryMs})`,
    );
  }, 90_000);

  it('event stream dropped: the dashboard resubscribes and sees a container started afterwards', async () => {
    proxy = await startSocketProxy('/var/run/docker.sock');
    const through = proxy;
    const tmux = await healthyDashboard(through);
    const isOpenStream = (connection: SocketProxy['connections'][number]): boolean =>
      connection.isOpen &&
      /^GET \/(v[\d.]+\/)?events\b/.test(connection.requestLine) &&
      connection.fromEngine.startsWith('HTTP/1.1 200');
    await expect
      .poll(() => through.connections.filter(isOpenStream).length, {timeout: 10_000})
      .toBe(1);
    const before = new Set(through.connections);

    // Drop the stream and its retries for at least one refresh, while every other request
    // (pings, container lists) passes.
    const dropped = performance.now();
    through.dropEventStreams(true);
    const isCut = (connection: SocketProxy['connections'][number]): boolean => connection.wasCut;
    const isPassed = (connection: SocketProxy['connections'][number]): boolean =>
      connection.acceptedAt >= dropped &&
      !connection.wasCut &&
      connection.fromEngine.startsWith('HTTP/1.1 200');
    await expect
      .poll(
        () => through.connections.filter(isCut).length >= 2 && through.connections.some(isPassed),
        {timeout: 15_000},
      )
      .toBe(true);
    through.dropEventStreams(false);
    const cuts = through.connections.filter(isCut);
    const lastCut = Math.max(...cuts.map((connection) => connection.cutAt ?? 0));

    // Resubscribed: a new stream, answered 200 and open, within the retry delay after the last
    // drop (events.ts: 500 ms, doubling after each failure up to 10 s) plus 1 s for a loaded
    // machine.
    await expect
      .poll(
        () =>
          through.connections.filter(
            (connection) => !before.has(connection) && isOpenStream(connection),
          ).length,
        {timeout: 15_000, interval: 20},
      )
      .toBe(1);
    const stream = through.connections.find(
      (connection) => !before.has(connection) && isOpenStream(connection),
    );
    const retryDelayMs = Math.min(500 * 2 ** (cuts.length - 1), 10_000);
    const resubscribedMs = (stream?.acceptedAt ?? Number.POSITIVE_INFINITY) - lastCut;
    expect(resubscribedMs).toBeLessThanOrEqual(retryDelayMs + 1000);
    expect(problems(await tmux.screen())).toBe('');

    const id = await publishScratchContainer(lab.docker.address, lab.image, names.late, port.late);
    containers.push({address: lab.docker.address, id});
    const started = performance.now();
    const seen = await watch(
      tmux,
      started,
      (screen) => hasContainer(screen, names.late),
      hostRowStays,
      'the container started after the drop',
    );
    expect(seen.broken).toEqual([]);
    expect(seen.elapsedMs, seen.timeline).toBeLessThanOrEqual(2000);
    // Its start came over the new stream.
    expect(stream?.fromEngine).toContain(id);
    console.info(
      `event stream dropped: ${cuts.length} streams dropped, resubscribed ${Math.round(resubscribedMs)} ms after the last drop (bound ${retryDelayMs + 1000}), container on screen ${Math.round(seen.elapsedMs)} ms after its start (bound 2000)`,
    );
  }, 90_000);
});

/** The lab's rootful Podman API service, checked: the pid file's process, running podman, holding the socket. */
function podmanService(): {pid: number; startTicks: number} {
  const pid = Number(readFileSync(podmanPidFile, 'utf8').trim());
  const facts = processFacts(pid);
  if (facts === null) {
    throw new Error(`${podmanPidFile} names pid ${pid}, which is not alive`);
  }
  const why = mismatch(pid, {exe: '/usr/bin/podman', uid: 0});
  if (why !== null) {
    throw new Error(`${podmanPidFile}: ${why}`);
  }
  if (facts.argv[1] !== 'system' || facts.argv[2] !== 'service') {
    throw new Error(`pid ${pid} runs ${facts.argv.join(' ')}, not podman system service`);
  }
  if (!unixSocketHolders(podmanSocket).includes(pid)) {
    throw new Error(`pid ${pid} does not hold ${podmanSocket}`);
  }
  return {pid, startTicks: facts.startTicks};
}

/** SIGCONT to the service this file stopped, only if it is still that process (same start time). */
function resumePodman(service: {pid: number; startTicks: number}): void {
  if (
    mismatch(service.pid, {exe: '/usr/bin/podman', uid: 0, startTicks: service.startTicks}) === null
  ) {
    process.kill(service.pid, 'SIGCONT');
  }
  stoppedPodman = undefined;
}

describe.skipIf(skipPodman)(
  'the lab rootful Podman service frozen (SIGSTOP), dashboard in tmux',
  () => {
    it('the header says Podman is not answering, host and Docker rows stay, and it recovers after SIGCONT', async () => {
      const podmanId = await publishScratchContainer(
        lab.podman.address,
        lab.podmanImage,
        names.podman,
        port.podman,
      );
      containers.push({address: lab.podman.address, id: podmanId});
      // Every engine found by default (no DOCKER_HOST): Docker and Podman side by side.
      const tmux = await startDashboard({DOCKER_HOST: '', CONTAINER_HOST: ''});
      const podmanReached = `podman ${lab.podman.address} (`;
      await tmux.waitFor(
        (screen) =>
          hasHostRow(screen) &&
          hasContainer(screen, names.docker) &&
          hasContainer(screen, names.podman) &&
          enginesLine(screen).includes(podmanReached) &&
          !problems(screen).includes(lab.podman.address),
        {timeoutMs: firstFrameMs, message: 'the healthy dashboard'},
      );
      const service = podmanService();
      const expected = {exe: '/usr/bin/podman', uid: 0, startTicks: service.startTicks};
      const dockerReached = `engines: docker ${lab.docker.address} (`;
      // Docker answers throughout: its rows stay, it stays listed as reached, never blamed.
      const othersStay = (screen: string): string | null =>
        hostRowStays(screen) ??
        (hasContainer(screen, names.docker)
          ? null
          : `the Docker row of ${names.docker} is missing`) ??
        (enginesLine(screen).includes(dockerReached) ? null : 'Docker is not listed as reached') ??
        (problems(screen).includes(lab.docker.address) ? 'Docker is blamed' : null);

      const notAnswering = `podman ${lab.podman.address} not answering (`;
      let failed: Watched;
      let held: Watched;
      let resumed: number;
      const why = mismatch(service.pid, expected);
      if (why !== null) {
        throw new Error(`not sending SIGSTOP: ${why}`);
      }
      const frozen = performance.now();
      stoppedPodman = service;
      process.kill(service.pid, 'SIGSTOP');
      try {
        failed = await watch(
          tmux,
          frozen,
          (screen) => problems(screen).includes(notAnswering),
          othersStay,
          'the header saying Podman is not answering',
        );
        // Stay frozen past a detection's deadline: the dashboard asks every engine for its
        // list again, and Podman's leaves that detection waiting.
        held = await watch(
          tmux,
          frozen,
          (screen) => {
            const seconds = /podman \S+ not answering \((\d+) s\)/.exec(problems(screen))?.[1];
            return seconds !== undefined && Number(seconds) * 1000 >= defaultDetectTimeoutMs + 3000;
          },
          (screen) =>
            othersStay(screen) ??
            (problems(screen).includes(notAnswering) ? null : 'the warning went while stopped'),
          'the warning counting past the detection deadline',
        );
      } finally {
        resumePodman(service);
        resumed = performance.now();
      }
      expect(failed.broken).toEqual([]);
      expect(failed.elapsedMs, failed.timeline).toBeLessThanOrEqual(failureShownMs);
      expect(held.broken).toEqual([]);

      const back = await watch(
        tmux,
        resumed,
        (screen) =>
          !problems(screen).includes(lab.podman.address) &&
          enginesLine(screen).includes(podmanReached) &&
          hasContainer(screen, names.podman),
        othersStay,
        'recovery after SIGCONT',
      );
      expect(back.broken).toEqual([]);
      expect(back.elapsedMs, back.timeline).toBeLessThanOrEqual(recoveryMs);
      console.info(
        `podman SIGSTOP: shown after ${Math.round(failed.elapsedMs)} ms (bound ${failureShownMs}), recovered ${Math.round(back.elapsedMs)} ms after SIGCONT (bound ${recoveryMs})`,
      );
    }, 90_000);
  },
);
