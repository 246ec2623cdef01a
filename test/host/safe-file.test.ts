import {execFileSync} from 'node:child_process';
import {
  chmodSync,
  chownSync,
  closeSync,
  constants,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import {open} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {describe, expect, it} from 'vitest';
import {UnsafeFileError} from '../../source/errors/unsafe-file-error.js';
import {
  formatSkippedFile,
  readSafeFile,
  type SafeReadOptions,
} from '../../source/host/safe-file.js';

const me = process.getuid?.() ?? 0;
const isRoot = me === 0;
const tempDir = (): string => mkdtempSync(join(tmpdir(), 'nanodock-safe-'));
const options = {expectedUid: me, maxBytes: 1024 * 1024};

/** The UnsafeFileError a read rejects with (fails the test when it resolves or throws another). */
async function refusal(
  path: string,
  extra: Partial<SafeReadOptions> = {},
): Promise<UnsafeFileError> {
  const error = await readSafeFile(path, {...options, ...extra}).then(
    () => new Error('read, not refused'),
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(UnsafeFileError);
  return error as UnsafeFileError;
}

describe('readSafeFile', () => {
  it('reads a regular file of the expected owner, with its facts', async () => {
    const file = join(tempDir(), 'containers.json');
    writeFileSync(file, '[{"id": "été"}]');
    const read = await readSafeFile(file, options);
    expect(read.text).toBe('[{"id": "été"}]');
    expect(read.stats.uid).toBe(BigInt(me));
    expect((await readSafeFile(file, {...options, isUnchanged: () => true})).text).toBeNull();
  });

  it('passes a missing file on as the fs error', async () => {
    await expect(readSafeFile(join(tempDir(), 'nope'), options)).rejects.toMatchObject({
      code: 'ENOENT',
    });
  });

  it('refuses a FIFO at once, never waiting for a writer', async () => {
    const fifo = join(tempDir(), 'containers.json');
    execFileSync('mkfifo', [fifo]);
    const started = performance.now();
    const error = await refusal(fifo);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(error.reason).toBe('not-regular');
    expect(formatSkippedFile(error)).toBe(`skipped ${fifo}: a FIFO, not a regular file`);
  });

  it('refuses a symbolic link (here to /dev/zero) without following it', async () => {
    const dir = tempDir();
    const link = join(dir, 'config.json');
    symlinkSync('/dev/zero', link);
    const before = process.memoryUsage().rss;
    const error = await refusal(link, {maxBytes: 64 * 1024 * 1024});
    expect(process.memoryUsage().rss - before).toBeLessThan(20 * 1024 * 1024);
    expect(error).toMatchObject({reason: 'symlink', path: link});
    // A link to a perfectly good file is refused just the same.
    writeFileSync(join(dir, 'real.json'), '{}');
    symlinkSync(join(dir, 'real.json'), join(dir, 'link.json'));
    expect((await refusal(join(dir, 'link.json'))).reason).toBe('symlink');
  });

  it('refuses a device and a folder by their kind', async () => {
    expect((await refusal('/dev/zero')).message).toBe(
      '/dev/zero: a character device, not a regular file',
    );
    const dir = tempDir();
    mkdirSync(join(dir, 'sub'));
    expect((await refusal(join(dir, 'sub'))).message).toMatch(/a folder, not a regular file$/);
  });

  it('refuses a 1 GB sparse file by its size, without reading it', async () => {
    const file = join(tempDir(), 'containers.json');
    writeFileSync(file, '');
    truncateSync(file, 1024 ** 3);
    const before = process.memoryUsage().rss;
    const error = await refusal(file, {maxBytes: 32 * 1024 * 1024});
    expect(process.memoryUsage().rss - before).toBeLessThan(20 * 1024 * 1024);
    expect(error.reason).toBe('size');
    expect(error.message).toBe(`${file}: 1073741824 bytes, over the limit of 33554432 bytes`);
  });

  it('reads a file of exactly the cap, and refuses one byte more', async () => {
    const file = join(tempDir(), 'f');
    writeFileSync(file, 'x'.repeat(10));
    expect((await readSafeFile(file, {...options, maxBytes: 10})).text).toBe('x'.repeat(10));
    expect((await refusal(file, {maxBytes: 9})).reason).toBe('size');
  });

  it('refuses a file writable by every user', async () => {
    const file = join(tempDir(), 'f');
    writeFileSync(file, '{}');
    chmodSync(file, 0o666);
    expect((await refusal(file)).message).toBe(`${file}: writable by every user`);
  });

  it.skipIf(!isRoot)('refuses a file of another owner, both ways (root)', async () => {
    const dir = tempDir();
    const users = join(dir, 'users.json');
    writeFileSync(users, '[]');
    chownSync(users, 1001, 1001);
    expect((await refusal(users, {expectedUid: 0})).message).toBe(
      `${users}: owned by uid 1001, expected uid 0`,
    );
    expect((await readSafeFile(users, {...options, expectedUid: 1001})).text).toBe('[]');
    const roots = join(dir, 'root.json');
    writeFileSync(roots, '[]');
    expect((await refusal(roots, {expectedUid: 1001})).reason).toBe('owner');
  });

  it('settles within its time bound while the thread pool is stuck, and closes its fd later', async () => {
    // Blocking FIFO opens (no O_NONBLOCK) hold every libuv thread, as a stuck read would.
    const dir = tempDir();
    const file = join(dir, 'containers.json');
    writeFileSync(file, '[]');
    const poolSize = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
    const fifos = Array.from({length: poolSize}, (_, index) => join(dir, `fifo-${index}`));
    for (const fifo of fifos) {
      execFileSync('mkfifo', [fifo]);
    }
    const fdsBefore = readdirSync('/proc/self/fd').length;
    const stuck = fifos.map((fifo) => open(fifo, 'r'));
    const started = performance.now();
    const error = await refusal(file, {timeoutMs: 200});
    expect(performance.now() - started).toBeLessThan(1000);
    expect(error.message).toBe(`${file}: no answer within 200 ms`);
    // Writers release the stuck opens; the abandoned read then runs and closes what it opened.
    const writers = fifos.map((fifo) => openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
    for (const handle of await Promise.all(stuck)) {
      await handle.close();
    }
    for (const fd of writers) {
      closeSync(fd);
    }
    await expect
      .poll(() => readdirSync('/proc/self/fd').length, {timeout: 2000})
      .toBeLessThanOrEqual(fdsBefore);
  });

  it('rejects with the abort reason', async () => {
    const file = join(tempDir(), 'f');
    writeFileSync(file, '{}');
    const controller = new AbortController();
    controller.abort(new Error('tick cancelled'));
    await expect(readSafeFile(file, {...options, signal: controller.signal})).rejects.toThrow(
      'tick cancelled',
    );
  });
});
