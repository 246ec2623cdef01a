import {type ChildProcess, spawn} from 'node:child_process';
import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterEach, describe, expect, it, vi} from 'vitest';
import {parseProcStat} from '../../source/host/proc-process.js';
import {signalProcess} from '../../source/host/signal.js';

function errno(code: string): Error {
  return Object.assign(new Error(code), {code});
}

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) {
    rmSync(root, {recursive: true, force: true});
  }
});

/** A fake /proc holding `PID/stat` files. */
function fakeProc(): string {
  const root = mkdtempSync(join(tmpdir(), 'nanodock-proc-'));
  roots.push(root);
  return root;
}

/** Writes PID/stat as the kernel does: field 22 is the start time in clock ticks. */
function writeStat(root: string, pid: number, comm: string, startTicks: number): void {
  mkdirSync(join(root, String(pid)), {recursive: true});
  const fields5to21 = Array.from({length: 17}, () => '0');
  writeFileSync(
    join(root, String(pid), 'stat'),
    `${pid} (${comm}) S 1 ${fields5to21.join(' ')} ${startTicks} 1000 200\n`,
  );
}

describe('signalProcess', () => {
  it('refuses pid 0, pid 1 and its own pid without sending anything', () => {
    const kill = vi.fn();
    expect(signalProcess({pid: 0, startTicks: 1}, 'SIGTERM', 'x (0)', {kill})).toMatchObject({
      ok: false,
      message: expect.stringMatching(/refused/),
    });
    expect(signalProcess({pid: 1, startTicks: 1}, 'SIGKILL', 'init (1)', {kill})).toMatchObject({
      ok: false,
      message: expect.stringMatching(/init/),
    });
    expect(
      signalProcess({pid: process.pid, startTicks: 1}, 'SIGTERM', 'me', {kill}).message,
    ).toMatch(/nanodock-top itself/);
    expect(kill).not.toHaveBeenCalled();
  });

  it('sends the signal and says so', () => {
    const procRoot = fakeProc();
    writeStat(procRoot, 4242, 'nginx', 777);
    const kill = vi.fn();
    expect(
      signalProcess({pid: 4242, startTicks: 777}, 'SIGKILL', 'nginx (4242)', {procRoot, kill}),
    ).toEqual({
      ok: true,
      message: 'sent SIGKILL to nginx (4242)',
    });
    expect(kill).toHaveBeenCalledWith(4242, 'SIGKILL');
  });

  it('explains a permission error and a process that is gone', () => {
    const procRoot = fakeProc();
    writeStat(procRoot, 4242, 'postgres', 777);
    const target = {pid: 4242, startTicks: 777};
    const denied = signalProcess(target, 'SIGTERM', 'postgres (4242)', {
      procRoot,
      kill: () => {
        throw errno('EPERM');
      },
    });
    expect(denied.ok).toBe(false);
    expect(denied.message).toMatch(/permission denied signalling postgres \(4242\).*sudo/);
    const gone = signalProcess(target, 'SIGTERM', 'postgres (4242)', {
      procRoot,
      kill: () => {
        throw errno('ESRCH');
      },
    });
    expect(gone.message).toBe('postgres (4242) has already exited');
  });
});

describe('signalProcess: the process that was shown, and no other', () => {
  it('sends nothing when the pid now belongs to a process that started at another time', () => {
    const procRoot = fakeProc();
    writeStat(procRoot, 4242, 'nginx', 777);
    const kill = vi.fn();
    const shown = {pid: 4242, startTicks: 777};
    // The prompt was shown; before y, nginx exits and another process gets pid 4242.
    writeStat(procRoot, 4242, 'nginx', 91_000);
    expect(signalProcess(shown, 'SIGTERM', 'nginx (4242)', {procRoot, kill})).toEqual({
      ok: false,
      message: 'nginx (4242) has exited; pid 4242 now belongs to another process: nothing was sent',
    });
    expect(kill).not.toHaveBeenCalled();
    // The same identity again: sent.
    writeStat(procRoot, 4242, 'nginx', 777);
    expect(signalProcess(shown, 'SIGTERM', 'nginx (4242)', {procRoot, kill}).ok).toBe(true);
    expect(kill).toHaveBeenCalledOnce();
  });

  it('sends nothing when no process has the pid any more', () => {
    const kill = vi.fn();
    const report = signalProcess({pid: 4242, startTicks: 777}, 'SIGTERM', 'nginx (4242)', {
      procRoot: fakeProc(),
      kill,
    });
    expect(report).toEqual({ok: false, message: 'nginx (4242) has exited: nothing was sent'});
    expect(kill).not.toHaveBeenCalled();
  });

  it('refuses a process whose start time is unknown rather than guess', () => {
    const procRoot = fakeProc();
    writeStat(procRoot, 4242, 'nginx', 777);
    const kill = vi.fn();
    const report = signalProcess({pid: 4242, startTicks: null}, 'SIGTERM', 'nginx (4242)', {
      procRoot,
      kill,
    });
    expect(report.ok).toBe(false);
    expect(report.message).toMatch(
      /^refused: the start time of nginx \(4242\) is unknown.*nothing was sent$/,
    );
    expect(kill).not.toHaveBeenCalled();
  });

  it('sends nothing when /proc cannot say who has the pid', () => {
    const procRoot = fakeProc();
    mkdirSync(join(procRoot, '4242'));
    writeFileSync(join(procRoot, '4242', 'stat'), 'garbage');
    const kill = vi.fn();
    const report = signalProcess({pid: 4242, startTicks: 777}, 'SIGTERM', 'nginx (4242)', {
      procRoot,
      kill,
    });
    expect(report.ok).toBe(false);
    expect(report.message).toMatch(/could not check that nginx \(4242\).*nothing was sent/);
    expect(kill).not.toHaveBeenCalled();
  });
});

describe('signalProcess on real processes', () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const child of children.splice(0)) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
      }
    }
  });

  /** The identity of a live child, after checking that its pid is the program we started. */
  function identityOf(child: ChildProcess): {pid: number; startTicks: number} {
    const pid = child.pid;
    if (pid === undefined) {
      throw new Error('no pid');
    }
    const stat = parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    expect(stat?.comm).toBe('sleep');
    return {pid, startTicks: stat?.startTicks ?? -1};
  }

  function startSleep(): Promise<ChildProcess> {
    const child = spawn('sleep', ['30'], {stdio: 'ignore'});
    children.push(child);
    return new Promise((resolve, reject) => {
      child.once('spawn', () => resolve(child));
      child.once('error', reject);
    });
  }

  const exited = (child: ChildProcess): Promise<NodeJS.Signals | null> =>
    child.exitCode !== null || child.signalCode !== null
      ? Promise.resolve(child.signalCode)
      : new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal)));

  it('refuses the identity of a process that exited, and signals the live one', async () => {
    const first = await startSleep();
    const shown = identityOf(first);
    first.kill('SIGKILL');
    await exited(first);
    const second = await startSleep();
    const live = identityOf(second);

    const kill = vi.fn();
    const stale = signalProcess(shown, 'SIGTERM', `sleep (${shown.pid})`, {kill});
    expect(stale.ok).toBe(false);
    // The pid may or may not have been reused by now: either way nothing is sent.
    expect(stale.message).toMatch(/has exited.*nothing was sent/);
    expect(kill).not.toHaveBeenCalled();

    // A reused pid, forced: the live sleep's pid, with a start time that is not its own.
    const reused = {pid: live.pid, startTicks: live.startTicks - 1};
    expect(signalProcess(reused, 'SIGTERM', `sleep (${live.pid})`, {kill}).message).toBe(
      `sleep (${live.pid}) has exited; pid ${live.pid} now belongs to another process: nothing was sent`,
    );
    expect(kill).not.toHaveBeenCalled();
    expect(second.exitCode === null && second.signalCode === null).toBe(true);

    const sent = signalProcess(live, 'SIGTERM', `sleep (${live.pid})`);
    expect(sent).toEqual({ok: true, message: `sent SIGTERM to sleep (${live.pid})`});
    expect(await exited(second)).toBe('SIGTERM');
  });
});
