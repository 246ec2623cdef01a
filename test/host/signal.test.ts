import {describe, expect, it, vi} from 'vitest';
import {signalProcess} from '../../source/host/signal.js';

function errno(code: string): Error {
  return Object.assign(new Error(code), {code});
}

describe('signalProcess', () => {
  it('refuses pid 0, pid 1 and its own pid without sending anything', () => {
    const kill = vi.fn();
    expect(signalProcess(0, 'SIGTERM', 'x (0)', kill)).toMatchObject({
      ok: false,
      message: expect.stringMatching(/refused/),
    });
    expect(signalProcess(1, 'SIGKILL', 'init (1)', kill)).toMatchObject({
      ok: false,
      message: expect.stringMatching(/init/),
    });
    expect(signalProcess(process.pid, 'SIGTERM', 'me', kill).message).toMatch(
      /nanodock-top itself/,
    );
    expect(kill).not.toHaveBeenCalled();
  });

  it('sends the signal and says so', () => {
    const kill = vi.fn();
    expect(signalProcess(4242, 'SIGKILL', 'nginx (4242)', kill)).toEqual({
      ok: true,
      message: 'sent SIGKILL to nginx (4242)',
    });
    expect(kill).toHaveBeenCalledWith(4242, 'SIGKILL');
  });

  it('explains a permission error and a process that is gone', () => {
    const denied = signalProcess(4242, 'SIGTERM', 'postgres (4242)', () => {
      throw errno('EPERM');
    });
    expect(denied.ok).toBe(false);
    expect(denied.message).toMatch(/permission denied signalling postgres \(4242\).*sudo/);
    const gone = signalProcess(4242, 'SIGTERM', 'postgres (4242)', () => {
      throw errno('ESRCH');
    });
    expect(gone.message).toBe('postgres (4242) has already exited');
  });
});
