import {spawn} from 'node:child_process';
import {mkdirSync, mkdtempSync, statSync, symlinkSync} from 'node:fs';
import net from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {sharedFdScanner} from '../../source/host/fd-scan.js';

describe('sharedFdScanner', () => {
  afterEach(() => {
    sharedFdScanner.close();
  });

  it('scans after warm() started its worker ahead of time', async () => {
    const root = mkdtempSync(join(tmpdir(), 'nd-fd-warm-'));
    mkdirSync(join(root, '42', 'fd'), {recursive: true});
    symlinkSync('socket:[777]', join(root, '42', 'fd', '3'));
    symlinkSync('/dev/null', join(root, '42', 'fd', '4'));
    sharedFdScanner.warm();
    sharedFdScanner.warm(); // a second call keeps the same worker
    const result = await sharedFdScanner.scan(root, [42]);
    expect(result.sockets.get(42)).toEqual([777]);
    expect(result.fdCounts.get(42)).toBe(2);
    expect(result.unreadable).toEqual([]);
  });

  it('with known counts, skips a process whose fd count stayed and reads one whose count moved', async () => {
    // The kernel gives a fd folder's size as its fd count from Linux 6.2; older ones say 0.
    if (statSync(`/proc/${process.pid}/fd`).size === 0) {
      throw new Error('this kernel gives no fd count: the skip is never taken here');
    }
    const child = spawn('sleep', ['30'], {stdio: 'ignore'});
    const pid = child.pid as number;
    try {
      const first = await sharedFdScanner.scan('/proc', [pid, process.pid]);
      expect(first.fdCounts.get(pid)).toBeGreaterThan(0);
      // This process opens a listener: its count moves. The child's does not.
      const server = net.createServer();
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const second = await sharedFdScanner.scan(
          '/proc',
          [pid, process.pid],
          undefined,
          first.fdCounts,
        );
        expect(second.unchanged).toEqual([pid]);
        expect(second.fdCounts.has(pid)).toBe(false);
        expect(second.fdCounts.has(process.pid)).toBe(true);
        expect(second.sockets.get(process.pid)?.length ?? 0).toBeGreaterThan(0);
        // Without known counts, everything is read.
        const third = await sharedFdScanner.scan('/proc', [pid]);
        expect(third.unchanged).toEqual([]);
      } finally {
        server.close();
      }
    } finally {
      child.kill();
    }
  });
});
