import {mkdirSync, mkdtempSync, symlinkSync} from 'node:fs';
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
});
