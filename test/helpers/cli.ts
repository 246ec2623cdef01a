import {execFile} from 'node:child_process';
import {createServer, type Server} from 'node:net';
import {fileURLToPath} from 'node:url';
import {afterAll, beforeAll} from 'vitest';
import type {CliFlags} from '../../source/cli-args.js';

/** The built program, as the tests run it. */
export const builtCli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

/** What a run of the built CLI gave. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built CLI with `args` (and extra environment), to its exit. */
export function runCli(args: readonly string[], env: Record<string, string> = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [builtCli, ...args],
      {env: {...process.env, ...env}, timeout: 20_000},
      (error, stdout, stderr) => {
        resolve({code: error ? Number(error.code ?? 1) : 0, stdout, stderr});
      },
    );
  });
}

/**
 * A TCP socket listening on 127.0.0.1 for the file's tests (opened before them, closed after);
 * read its port through the getter once the tests run. Nothing connects to it.
 */
export function listenOnLoopbackForFile(): {readonly port: number} {
  let server: Server | undefined;
  let port = 0;
  beforeAll(async () => {
    const listening = createServer();
    server = listening;
    await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
    port = (listening.address() as {port: number}).port;
  });
  afterAll(
    () => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())),
  );
  return {
    get port() {
      return port;
    },
  };
}

/** The flags of a command line with none given. */
export const noFlags: CliFlags = {
  once: false,
  json: false,
  port: undefined,
  color: true,
  interval: undefined,
  sort: undefined,
  group: false,
  hosts: [],
};
