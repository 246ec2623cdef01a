import {createServer} from 'node:net';
import {describe, expect, it} from 'vitest';
import type {JsonRow} from '../source/model/format.js';
import {listenOnLoopbackForFile, runCli} from './helpers/cli.js';
import {lab, shouldSkipLab} from './helpers/lab.js';

const run = (args: string[]) => runCli(args);

/** A port nothing listens on: bound, then closed again. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const {port: free} = probe.address() as {port: number};
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return free;
}

const listener = listenOnLoopbackForFile();

describe('nanodock-top flags (built CLI)', () => {
  it.each([
    [['--port', '18080', '--port', '18088'], /^nanodock-top: --port given twice/],
    [['--sort'], /^nanodock-top: --sort needs a value/],
    [['-x'], /^nanodock-top: unknown flag -x/],
    [['--once=1'], /^nanodock-top: --once takes no value/],
    [['--sort', '-size'], /^nanodock-top: --sort: "-size" is not a column/],
    [['--interval', 'soon'], /^nanodock-top: --interval: "soon" is not a duration/],
  ])('%j: one line on stderr, nothing on stdout, exit 2', async (args, reason) => {
    const {code, stdout, stderr} = await run(args);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(reason);
    expect(stderr.endsWith('\n')).toBe(true);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('--sort -uptime works as the README writes it', async () => {
    const {code, stdout} = await run(['--json', '--sort', '-uptime']);
    expect(code).toBe(0);
    const uptimes = (JSON.parse(stdout) as JsonRow[]).map((row) => row.uptimeSeconds ?? -1);
    expect(uptimes).toEqual([...uptimes].sort((a, b) => b - a));
  });

  it('-h prints the help with the exit codes; -V and -v print the version', async () => {
    const help = await run(['-h']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('-h, --help');
    expect(help.stdout).toMatch(/Exit codes\s+0 {2}ok\s+1 {2}runtime failure/);
    expect(help.stdout).toContain('2  bad flags');
    for (const flag of ['-V', '-v']) {
      const version = await run([flag]);
      expect(version.code).toBe(0);
      expect(version.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    }
  });
});

describe('--once and --json for scripts (built CLI)', () => {
  it('--once: only the table on stdout (marker column first), the summary on stderr', async () => {
    const {code, stdout, stderr} = await run(['--once', '--port', String(listener.port)]);
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ {2}PROTO\s+ADDRESS\s+PORT/);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(
      new RegExp(`^ {2}tcp\\s+127\\.0\\.0\\.1\\s+${listener.port}\\s+${process.pid} `),
    );
    expect(stderr).toMatch(/^\S+: 1 row; /m);
    expect(stdout).not.toContain(' row; ');
  });

  it('an empty result under --port exits 1 (as grep and lsof); without --port 0', async () => {
    const free = await freePort();
    const once = await run(['--once', '--port', String(free)]);
    expect(once.code).toBe(1);
    expect(once.stdout.trimEnd().split('\n')).toHaveLength(1);
    expect(once.stderr).toMatch(/: 0 rows; /);
    const json = await run(['--json', '--port', String(free)]);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toEqual([]);
    expect((await run(['--json', '--port', String(listener.port)])).code).toBe(0);
    expect((await run(['--json'])).code).toBe(0);
  });
});

const skipLab = await shouldSkipLab('Docker', lab.docker.address);
describe.skipIf(skipLab)('--once against the lab', () => {
  it('helper rows keep their * mark, without colour', async () => {
    const {code, stdout} = await run(['--once', '--port', '18080']);
    expect(code).toBe(0);
    const rows = stdout.trimEnd().split('\n').slice(1);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((line) => /^\* tcp\s+\S+\s+18080\s+\d+ docker-proxy /.test(line))).toBe(true);
    expect(stdout).not.toContain('\u001B');
  });
});
