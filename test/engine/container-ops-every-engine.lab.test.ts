import {existsSync, mkdtempSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {
  type ContainerLogsOptions,
  type ContainerRef,
  containerLogs,
  containerLogsOf,
  containerStats,
  containerStatsOf,
  isContainerNotFound,
  restartContainer,
  restartContainerOf,
} from '../../source/container-ops.js';
import type {LogLine} from '../../source/engine/log-frames.js';
import type {ContainerLogStream} from '../../source/engine/log-stream.js';
import {shouldSkipUnlessRoot} from '../helpers/lab.js';
import {type LabEngine, labEngines} from '../helpers/lab-engines.js';

/**
 * Logs, restart and stats through the library on each of the lab's four engines: Docker,
 * Docker over TLS, rootful Podman (their APIs) and the rootless Podman of ndlab (its own
 * `podman`, no API). Root only, as acting for ndlab needs it.
 */

/** A home with no docker config, so discovery sees only what each case names. */
const bareHome = mkdtempSync(join(tmpdir(), 'nanodock-logs-home-'));

const counterCmd = ['sh', '-c', 'i=0; while true; do echo line $i; i=$((i+1)); sleep 0.2; done'];
const mixedCmd = [
  'sh',
  '-c',
  'i=0; while true; do echo out $i; echo err $i >&2; i=$((i+1)); sleep 0.2; done',
];
const ttyCmd = [
  'sh',
  '-c',
  'i=0; while true; do echo tline $i; echo terr >&2; i=$((i+1)); sleep 0.2; done',
];
/** A 20,000-character line (engines store it as several messages), then a short one. */
const longLineCmd = [
  'sh',
  '-c',
  'a=aaaaaaaaaa; b=$a$a$a$a$a$a$a$a$a$a; c=$b$b$b$b$b$b$b$b$b$b; echo $c$c$c$c$c$c$c$c$c$c$c$c$c$c$c$c$c$c$c$c; echo short; while :; do sleep 1; done',
];
const bogusId = '0'.repeat(64);
/** Rootless Podman's stats need cgroup v2; this lab machine has hybrid cgroups (v1). */
const isCgroupV2 = existsSync('/sys/fs/cgroup/cgroup.controllers');

const isRoot = !shouldSkipUnlessRoot('logs, restart and stats on every lab engine');
const engines = await labEngines(isRoot);

/** Reads a stream until `count` lines came or `isEnough` says so, then closes it. */
async function take(
  stream: ContainerLogStream,
  isEnough: (lines: readonly LogLine[]) => boolean,
): Promise<LogLine[]> {
  const lines: LogLine[] = [];
  for await (const line of stream) {
    lines.push(line);
    if (isEnough(lines)) {
      break;
    }
  }
  stream.close();
  return lines;
}

/** Every line of a log that is not followed, until the engine ends it. */
async function readAll(stream: ContainerLogStream): Promise<LogLine[]> {
  const lines: LogLine[] = [];
  for await (const line of stream) {
    lines.push(line);
  }
  return lines;
}

/** In place of `it` for a case that does not apply to an engine: each engine gets the cases that do, and none shows as skipped. */
const notThisEngine = (_name: string, _test: () => Promise<void>, _timeoutMs?: number): void => {};

const numberOf = (line: LogLine): number => Number(/(\d+)$/.exec(line.text)?.[1] ?? Number.NaN);

for (const [index, engine] of engines.entries()) {
  describe.skipIf(engine.skip)(`logs, restart and stats on ${engine.name} (lab)`, () => {
    const options = {env: {...engine.env}, home: bareHome, uid: 0};
    const started: string[] = [];
    let counter: ContainerRef;
    let mixed: ContainerRef;
    let tty: ContainerRef;

    const refOf = (id: string, name: string): ContainerRef => ({
      id,
      name,
      endpoint: engine.endpoint,
      engine: engine.engine ?? 'unknown',
    });
    const run = async (name: string, cmd: readonly string[], isTty = false): Promise<string> => {
      const id = await (engine as Required<LabEngine>).runCommand(name, cmd, isTty);
      started.push(id);
      return id;
    };
    const logsOf = (ref: ContainerRef, extra: ContainerLogsOptions): ContainerLogStream =>
      containerLogsOf(ref, {...options, ...extra});

    beforeAll(async () => {
      const names = [`nd-logs-count-${index}`, `nd-logs-mixed-${index}`, `nd-logs-tty-${index}`];
      counter = refOf(await run(names[0] as string, counterCmd), names[0] as string);
      mixed = refOf(await run(names[1] as string, mixedCmd), names[1] as string);
      tty = refOf(await run(names[2] as string, ttyCmd, true), names[2] as string);
      // Enough lines for a tail of 5 to come from the middle of the log.
      // (expect.poll is for tests only.)
      const deadline = Date.now() + 20_000;
      while ((await readAll(logsOf(counter, {follow: false, tail: 'all'}))).length < 10) {
        if (Date.now() > deadline) {
          throw new Error(`${counter.name} wrote fewer than 10 lines in 20 s`);
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }, 60_000);

    afterAll(async () => {
      for (const id of started) {
        await engine.remove(id);
      }
    }, 60_000);

    it('tail 5: five consecutive `line N` from stdout, with timestamps, then the end', async () => {
      const lines = await readAll(logsOf(counter, {follow: false, tail: 5}));
      expect(lines).toHaveLength(5);
      const first = numberOf(lines[0] as LogLine);
      expect(first).toBeGreaterThanOrEqual(5);
      expect(lines.map((line) => line.text)).toEqual(
        [0, 1, 2, 3, 4].map((step) => `line ${first + step}`),
      );
      for (const line of lines) {
        expect(line).toMatchObject({stream: 'stdout', truncated: false});
        expect(line.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
      }
      const bare = await readAll(logsOf(counter, {follow: false, tail: 2, timestamps: false}));
      expect(bare.map((line) => line.timestamp)).toEqual([null, null]);
      expect(bare[0]?.text).toMatch(/^line \d+$/);
    }, 30_000);

    it('follow: new lines keep coming after the tail; close() ends the iteration', async () => {
      const stream = logsOf(counter, {tail: 1});
      const lines = await take(stream, (got) => got.length >= 5);
      const numbers = lines.map(numberOf);
      expect(numbers).toEqual(numbers.map((_, step) => (numbers[0] as number) + step));
      expect(stream.endpoint).toBe(engine.endpoint);
      expect(stream.tty).toBe(false);
      const iterator = stream[Symbol.asyncIterator]();
      expect(await iterator.next()).toEqual({done: true, value: undefined});
      stream.close();
    }, 30_000);

    it('stdout and stderr come apart, each marked', async () => {
      const lines = await readAll(logsOf(mixed, {follow: false, tail: 'all'}));
      const out = lines.filter((line) => line.stream === 'stdout');
      const err = lines.filter((line) => line.stream === 'stderr');
      expect(out.length).toBeGreaterThan(0);
      expect(err.length).toBeGreaterThan(0);
      expect(out.every((line) => /^out \d+$/.test(line.text))).toBe(true);
      expect(err.every((line) => /^err \d+$/.test(line.text))).toBe(true);
    }, 30_000);

    it('a terminal container is read raw: one `tty` stream, no carriage returns', async () => {
      const stream = logsOf(tty, {follow: false, tail: 'all'});
      const lines = await readAll(stream);
      expect(stream.tty).toBe(true);
      expect(lines.length).toBeGreaterThan(0);
      expect(lines.every((line) => line.stream === 'tty')).toBe(true);
      expect(lines.some((line) => /^tline \d+$/.test(line.text))).toBe(true);
      expect(lines.some((line) => line.text === 'terr')).toBe(true);
      expect(lines.every((line) => !line.text.includes('\r'))).toBe(true);
      expect(lines.every((line) => line.timestamp !== null)).toBe(true);
    }, 30_000);

    it('a line longer than the engine keeps in one message comes back whole, timestamp once', async () => {
      const name = `nd-logs-long-${index}`;
      const long = refOf(await run(name, longLineCmd), name);
      let lines: LogLine[] = [];
      await expect
        .poll(
          async () => {
            lines = await readAll(logsOf(long, {follow: false, tail: 'all'}));
            return lines.length;
          },
          {timeout: 15_000, interval: 250},
        )
        .toBe(2);
      expect(lines[0]?.timestamp).not.toBeNull();
      expect(lines[1]).toMatchObject({text: 'short', truncated: false});
      if (!engine.endpoint.startsWith('rootless:')) {
        // The API's frames say where each stored message starts: their timestamps are dropped.
        expect(lines[0]?.text).toBe('a'.repeat(20_000));
        return;
      }
      // `podman logs --timestamps` (4.3) prints a timestamp before each stored 8 KiB piece
      // with nothing to tell them from the container's own text: they stay in the line.
      const inner = /\d{4}-\d\d-\d\dT[\d:.]+Z /g;
      expect(lines[0]?.text.match(inner)).toHaveLength(2);
      expect(lines[0]?.text.replace(inner, '')).toBe('a'.repeat(20_000));
      // Without timestamps the line comes whole.
      const bare = await readAll(logsOf(long, {follow: false, tail: 'all', timestamps: false}));
      expect(bare.map((line) => line.text.length)).toEqual([20_000, 5]);
    }, 30_000);

    it('stats: memory in use and its limit; CPU a number or (Podman API) null', async () => {
      const report = await containerStatsOf(counter, options);
      if (engine.endpoint.startsWith('rootless:') && !isCgroupV2) {
        // Podman refuses: "stats is not supported in rootless mode without cgroups v2".
        expect(report).toMatchObject({outcome: 'failed', endpoint: engine.endpoint});
        expect(report.error?.message).toMatch(/cgroups v2/);
        return;
      }
      expect(report).toMatchObject({outcome: 'ok', endpoint: engine.endpoint, error: null});
      const stats = report.stats;
      expect(stats?.memoryBytes).toBeGreaterThan(0);
      expect(stats?.memoryLimitBytes).toBeGreaterThan(0);
      expect(stats?.pids).toBeGreaterThanOrEqual(1);
      if (engine.engine === 'docker') {
        expect(typeof stats?.cpuPercent).toBe('number');
        expect(stats?.networkRxBytes).toBeGreaterThanOrEqual(0);
      } else {
        // Podman 4.3's stream=false sends no previous sample: no CPU share from one sample.
        expect(stats?.cpuPercent).toBeNull();
        expect(stats?.cpu?.totalNs).toBeGreaterThan(0);
      }
    }, 30_000);

    it('restart: the container runs again with a new StartedAt', async () => {
      const before = await (engine as Required<LabEngine>).startedAt(counter.id);
      const report = await restartContainerOf(counter, {...options, stopSeconds: 1});
      expect(report).toEqual({outcome: 'restarted', endpoint: engine.endpoint, error: null});
      expect(await engine.isRunning(counter.id)).toBe(true);
      const after = await (engine as Required<LabEngine>).startedAt(counter.id);
      expect(after).not.toBe(before);
    }, 60_000);

    it('a followed log ends normally when the container stops', async () => {
      const stream = logsOf(mixed, {tail: 1});
      const iterator = stream[Symbol.asyncIterator]();
      expect((await iterator.next()).done).toBe(false);
      await (engine as Required<LabEngine>).kill(mixed.id);
      let next = await iterator.next();
      while (next.done !== true) {
        next = await iterator.next();
      }
      expect(next).toEqual({done: true, value: undefined});
    }, 30_000);

    it('a bogus id: not-found for logs (EngineStatusError 404), restart and stats', async () => {
      const bogus = refOf(bogusId, 'bogus');
      const error = await readAll(logsOf(bogus, {follow: false})).then(
        () => null,
        (caught: unknown) => caught,
      );
      expect(isContainerNotFound(error)).toBe(true);
      expect(await restartContainerOf(bogus, options)).toMatchObject({outcome: 'not-found'});
      expect(await containerStatsOf(bogus, options)).toMatchObject({outcome: 'not-found'});
    }, 30_000);

    // A rootless Podman without an API socket is out of reach of a search by id: the engines
    // a search can ask do not have it. Its own test says so; containerLogsOf reaches it above.
    const isRootless = engine.endpoint.startsWith('rootless:');
    (isRootless ? it : notThisEngine)(
      'by id alone, the search cannot reach it (no API): not-found, never another container',
      async () => {
        expect(await restartContainer(counter.id, {...options, stopSeconds: 1})).toMatchObject({
          outcome: 'not-found',
        });
        expect(await containerStats(counter.id, options)).toMatchObject({outcome: 'not-found'});
        const error = await readAll(containerLogs(counter.id, {...options, follow: false})).then(
          () => null,
          (caught: unknown) => caught,
        );
        expect(isContainerNotFound(error)).toBe(true);
      },
      60_000,
    );

    (isRootless ? notThisEngine : it)(
      'by id, searching the engines: logs, stats, restart and not-found',
      async () => {
        const lines = await readAll(
          containerLogs(counter.id, {...options, follow: false, tail: 3}),
        );
        expect(lines).toHaveLength(3);
        const stats = await containerStats(counter.id, options);
        expect(stats).toMatchObject({outcome: 'ok', endpoint: engine.endpoint});
        expect(await restartContainer(counter.id, {...options, stopSeconds: 1})).toEqual({
          outcome: 'restarted',
          endpoint: engine.endpoint,
          error: null,
        });
        const error = await readAll(containerLogs(bogusId, options)).then(
          () => null,
          (caught: unknown) => caught,
        );
        expect(isContainerNotFound(error)).toBe(true);
        expect(await restartContainer(bogusId, options)).toEqual({
          outcome: 'not-found',
          endpoint: null,
          error: null,
        });
        expect(await containerStats(bogusId, options)).toMatchObject({outcome: 'not-found'});
      },
      60_000,
    );
  });
}
