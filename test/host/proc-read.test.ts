import {mkdtempSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {describe, expect, it} from 'vitest';
import {ProcReader, readProcFileSync} from '../../source/host/proc-read.js';

describe('ProcReader.readUnlessSame', () => {
  it('gives the text, then nothing while the bytes stay the same, then the new text', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'nd-proc-read-')), 'tcp');
    const reader = new ProcReader();
    // Larger than the first buffer (64 KiB), so both buffers grow and swap.
    const first = 'a'.repeat(200_000);
    writeFileSync(path, first);
    expect(await reader.readUnlessSame(path, 'latin1', false)).toBe(first);
    expect(await reader.readUnlessSame(path, 'latin1', false)).toBeUndefined();
    expect(await reader.readUnlessSame(path, 'latin1', false)).toBeUndefined();
    // Asked to, it reads anew whatever the bytes.
    expect(await reader.readUnlessSame(path, 'latin1', true)).toBe(first);
    // One byte moved in the middle, same length.
    const second = `${'a'.repeat(100_000)}b${'a'.repeat(99_999)}`;
    writeFileSync(path, second);
    expect(await reader.readUnlessSame(path, 'latin1', false)).toBe(second);
    expect(await reader.readUnlessSame(path, 'latin1', false)).toBeUndefined();
    // Shorter, a prefix of the last bytes.
    writeFileSync(path, 'a'.repeat(10));
    expect(await reader.readUnlessSame(path, 'latin1', false)).toBe('a'.repeat(10));
    writeFileSync(path, '');
    expect(await reader.readUnlessSame(path, 'latin1', false)).toBe('');
    expect(await reader.readUnlessSame(path, 'latin1', false)).toBeUndefined();
  });

  it('compares with its own last read only: another reader of the file does not count', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'nd-proc-read-')), 'udp');
    writeFileSync(path, 'one');
    const mine = new ProcReader();
    const other = new ProcReader();
    expect(await mine.readUnlessSame(path, 'latin1', false)).toBe('one');
    writeFileSync(path, 'two');
    expect(await other.readUnlessSame(path, 'latin1', false)).toBe('two');
    expect(await mine.readUnlessSame(path, 'latin1', false)).toBe('two');
  });
});

describe('ProcReader.readUnlessSameSync', () => {
  it('compares with the last read, whether that was synchronous or not', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'nd-proc-read-')), 'tcp6');
    writeFileSync(path, 'x'.repeat(70_000));
    const reader = new ProcReader();
    expect(reader.lastLength).toBe(0);
    expect(reader.readUnlessSameSync(path, 'latin1', false)).toBe('x'.repeat(70_000));
    expect(reader.lastLength).toBe(70_000);
    expect(await reader.readUnlessSame(path, 'latin1', false)).toBeUndefined();
    expect(reader.readUnlessSameSync(path, 'latin1', false)).toBeUndefined();
    writeFileSync(path, 'y');
    expect(reader.readUnlessSameSync(path, 'latin1', false)).toBe('y');
    expect(await reader.readUnlessSame(path, 'latin1', false)).toBeUndefined();
    expect(reader.readUnlessSameSync(path, 'latin1', true)).toBe('y');
  });
});

describe('ProcReader.readSync', () => {
  it('reads a file larger than its first buffer whole (the buffer grows during the read)', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'nd-proc-read-')), 'big');
    const text = `${'a'.repeat(100_000)}${'b'.repeat(100_000)}end`;
    writeFileSync(path, text);
    expect(new ProcReader().readSync(path, 'latin1')).toBe(text);
    expect(readProcFileSync(path, 'latin1')).toBe(text);
    expect(readProcFileSync(path, 'latin1')).toBe(text);
  });
});
