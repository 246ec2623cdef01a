import {spawn} from 'node:child_process';
import {createServer, type Server} from 'node:net';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {builtCli} from './helpers/cli.js';

// Enough rows that --json is far larger than a pipe's buffer (64 KiB): the reader closes
// while the program still has output to write.
const servers: Server[] = [];
beforeAll(async () => {
  for (let index = 0; index < 600; index++) {
    const server = createServer();
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  }
});
afterAll(async () => {
  await Promise.all(
    servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
  );
});

describe('a reader that stops early (nanodock-top --json | head)', () => {
  it('ends the program quietly with 0, as cat and ps do', async () => {
    const child = spawn(process.execPath, [builtCli, '--json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    let first = '';
    await new Promise<void>((resolve) => {
      child.stdout.once('data', (chunk: Buffer) => {
        first = chunk.toString();
        child.stdout.destroy();
        resolve();
      });
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(first.startsWith('[')).toBe(true);
    // Warnings about the host may be there; no error and no stack trace.
    expect(stderr).not.toMatch(/EPIPE|Error|\n\s+at /);
    expect(code).toBe(0);
  });
});
