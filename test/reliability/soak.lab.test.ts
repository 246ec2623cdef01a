import {spawn} from 'node:child_process';
import {readdirSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {fileURLToPath} from 'node:url';
import {afterAll, describe, expect, it} from 'vitest';
import {engineApi, lab, shouldSkipLab, shouldSkipUnlessRoot} from '../helpers/lab.js';
import {processFacts} from '../helpers/proc.js';

/**
 * `npm run soak` for 2 minutes (the short version of the 10-minute soak): the built dashboard
 * in tmux under light churn on the lab's Docker, watched through /proc. The script's verdict
 * decides, and so do the figures it printed, checked here again against its own bounds and its
 * per-second trace, so a script that said "ok" over wrong numbers would fail too.
 */

const root = fileURLToPath(new URL('../..', import.meta.url));
const minutes = 2;
/** 2 minutes watched, plus container set-up, a first frame and a row check per minute. */
const runDeadlineMs = 6 * 60_000;
const isRoot = !shouldSkipUnlessRoot('the soak');
const skip = (await shouldSkipLab('Docker', lab.docker.address)) || !isRoot;

interface Minute {
  readonly minute: number;
  readonly seconds: number;
  readonly samples: number;
  readonly rssMb: number;
  readonly rssMinMb: number;
  readonly rssMaxMb: number;
  readonly fdsMin: number;
  readonly fdsMax: number;
  readonly threadsMin: number;
  readonly threadsMax: number;
  readonly cpuPercent: number;
  readonly churnActions: number;
  readonly rowsExpected: readonly string[];
  readonly rowsOk: boolean;
  readonly rowsMs: number;
}

interface SoakResult {
  readonly ok: boolean;
  readonly bounds: {
    readonly rssRatio: number;
    readonly fdSlack: number;
    readonly threadSlack: number;
  };
  readonly dashboard: {readonly pid: number; readonly quitExitCode: number | null};
  readonly churn: {readonly actions: number; readonly errors: number};
  readonly minutes: readonly Minute[];
  readonly failures: readonly string[];
  readonly lastScreen: string;
  /** [seconds since the first frame, RSS MB, fds, threads], one a second. */
  readonly trace: ReadonlyArray<readonly [number, number, number, number]>;
}

const soakContainers = async (): Promise<string[]> => {
  const filters = encodeURIComponent(JSON.stringify({name: ['^/nd-soak-']}));
  const list = await engineApi(
    lab.docker.address,
    'GET',
    `/containers/json?all=1&filters=${filters}`,
  );
  return (list.json as Array<{Id: string}>).map((container) => container.Id);
};
const soakTempDirs = (): string[] =>
  readdirSync(tmpdir()).filter((name) => name.startsWith('nd-soak-'));

let child: ReturnType<typeof spawn> | undefined;
afterAll(async () => {
  // The script cleans up after itself (SIGTERM included); this is for a run cut short.
  if (child?.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise((resolve) => child?.once('exit', resolve));
  }
  if (!skip) {
    for (const id of await soakContainers()) {
      await engineApi(lab.docker.address, 'DELETE', `/containers/${id}?force=true`);
    }
  }
});

function runSoak(): Promise<{code: number | null; stdout: string; stderr: string}> {
  return new Promise((resolve, reject) => {
    child = spawn(process.execPath, ['scripts/soak.mjs', '--minutes', String(minutes), '--json'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr?.on('data', (chunk) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child?.kill('SIGTERM'), runDeadlineMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({code, stdout, stderr});
    });
  });
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};

describe.skipIf(skip)('soak: nanodock-top for 2 minutes under churn (npm run soak)', () => {
  it(
    'fds and threads not growing, RSS within the warm-up bound, rows right, quits cleanly; cleans up',
    async () => {
      const tempBefore = new Set(soakTempDirs());
      const {code, stdout, stderr} = await runSoak();
      const context = `exit ${code}\nstderr:\n${stderr.slice(-4000)}`;
      let result: SoakResult;
      try {
        result = JSON.parse(stdout) as SoakResult;
      } catch {
        throw new Error(`soak printed no JSON (${context})\nstdout:\n${stdout.slice(-2000)}`);
      }
      // Exit 3: the script found no lab Docker, image, tmux or build; nothing was measured.
      expect((result as {skipped?: string}).skipped, context).toBeUndefined();
      // The verdict first, with the script's own reasons when it failed, except its RSS bound
      // (minute medians within 10 %): in 2 minutes V8 is still growing its heap to its working
      // size (its first major collection comes at about 2-2.5 min: 104 -> 150 MB, then about
      // 128 MB flat), so minute 2 against minute 1 measures that warm-up. `npm run soak`
      // (10 min) holds that bound; here a looser one, below, that the warm-up fits (measured
      // 1.10-1.20x) and a leak of a few MB a second does not.
      const isRss = (failure: string): boolean => failure.includes(' RSS ');
      expect(
        result.failures.filter((failure) => !isRss(failure)),
        context,
      ).toEqual([]);
      expect(code === 0 || result.failures.every(isRss), context).toBe(true);

      // The figures it printed, checked against the bounds here.
      expect(result.bounds).toEqual({rssRatio: 0.1, fdSlack: 2, threadSlack: 1});
      expect(result.minutes.map((figures) => figures.minute)).toEqual([1, 2]);
      const [first, second] = result.minutes as [Minute, Minute];
      for (const figures of result.minutes) {
        // One sample a second; a loaded machine may stretch a few of them.
        expect(figures.samples).toBeGreaterThanOrEqual(40);
        expect(figures.seconds).toBeGreaterThanOrEqual(60);
        expect(figures.seconds).toBeLessThan(60 + 45);
        expect(figures.rssMb).toBeGreaterThan(20);
        expect(figures.rssMinMb).toBeLessThanOrEqual(figures.rssMb);
        expect(figures.rssMb).toBeLessThanOrEqual(figures.rssMaxMb);
        expect(figures.fdsMin).toBeGreaterThanOrEqual(3);
        expect(figures.threadsMin).toBeGreaterThanOrEqual(2);
        // It refreshes every second, so it spends some CPU; never more than the 2 cores.
        expect(figures.cpuPercent).toBeGreaterThan(0);
        expect(figures.cpuPercent).toBeLessThanOrEqual(200);
        expect(figures.churnActions).toBeGreaterThanOrEqual(10);
        expect(figures.rowsOk).toBe(true);
        expect(figures.rowsExpected.length).toBeGreaterThan(0);
      }
      expect(second.rssMb, context).toBeLessThanOrEqual(first.rssMb * 1.35);
      expect(second.rssMaxMb, context).toBeLessThanOrEqual(first.rssMb * 1.6);
      expect(second.fdsMin).toBeLessThanOrEqual(first.fdsMin + 2);
      expect(second.threadsMax).toBeLessThanOrEqual(first.threadsMax + 1);
      expect(result.churn.errors).toBe(0);
      expect(result.churn.actions).toBeGreaterThanOrEqual(20);
      expect(result.dashboard.quitExitCode).toBe(0);
      expect(result.lastScreen).toMatch(
        /^\* tcp\s+\*\s+198\d\d\s+\d+ docker-proxy\s+root\s+nd-soak-\d/m,
      );

      // The minutes' figures are the trace's, minute by minute (samples at 0 < t <= 60, ...).
      let taken = 0;
      for (const figures of result.minutes) {
        const window = result.trace.slice(taken, taken + figures.samples);
        taken += figures.samples;
        expect(window).toHaveLength(figures.samples);
        const rss = window.map((sample) => sample[1]);
        expect(Math.abs(median(rss) - figures.rssMb)).toBeLessThanOrEqual(0.15);
        expect(Math.min(...rss)).toBeCloseTo(figures.rssMinMb, 1);
        expect(Math.max(...rss)).toBeCloseTo(figures.rssMaxMb, 1);
        expect(Math.min(...window.map((sample) => sample[2]))).toBe(figures.fdsMin);
        expect(Math.max(...window.map((sample) => sample[2]))).toBe(figures.fdsMax);
        expect(Math.min(...window.map((sample) => sample[3]))).toBe(figures.threadsMin);
        expect(Math.max(...window.map((sample) => sample[3]))).toBe(figures.threadsMax);
      }
      expect(taken).toBe(result.trace.length);

      // Nothing left behind: the dashboard, its tmux server (with its temp dir), the containers.
      expect(processFacts(result.dashboard.pid)?.comm).not.toBe('nanodock-top');
      expect(soakTempDirs().filter((name) => !tempBefore.has(name))).toEqual([]);
      expect(await soakContainers()).toEqual([]);
    },
    runDeadlineMs + 30_000,
  );
});
