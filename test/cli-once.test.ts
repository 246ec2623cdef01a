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

describe('--group (built CLI)', () => {
  it('--once --group: the process group header, then its row under the titles', async () => {
    const {code, stdout, stderr} = await run([
      '--once',
      '--group',
      '--port',
      String(listener.port),
    ]);
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^ {4}PROTO\s+ADDRESS\s+PORT/);
    expect(lines[1]).toMatch(
      new RegExp(`^▾ \\S+ \\(pid ${process.pid}, \\S+\\)  (up \\S+  )?1 port$`),
    );
    expect(lines[2]).toMatch(
      new RegExp(`^ {4}tcp\\s+127\\.0\\.0\\.1\\s+${listener.port}\\s+${process.pid} `),
    );
    // The columns line up under their titles.
    expect(lines[2]?.indexOf('tcp')).toBe(lines[0]?.indexOf('PROTO'));
    expect(stderr).toMatch(/^\S+: 1 row; /m);
  });

  it('--json --group writes the same JSON as --json', async () => {
    const port = String(listener.port);
    const plain = await run(['--json', '--port', port]);
    const grouped = await run(['--json', '--group', '--port', port]);
    expect(grouped.code).toBe(0);
    const strip = (text: string) =>
      (JSON.parse(text) as JsonRow[]).map(({uptimeSeconds: _, ...row}) => row);
    expect(strip(grouped.stdout)).toEqual(strip(plain.stdout));
    expect(grouped.stdout).not.toContain('group');
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

  it('--once --group puts nd-web under its compose project, its helper rows under it', async () => {
    const {code, stdout} = await run(['--once', '--group', '--port', '18080-18084']);
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[1]).toBe('▾ compose ndlab  (1 container, 5 ports)');
    expect(lines[2]).toMatch(
      new RegExp(
        `^  ▾ ${lab.docker.container}  [0-9a-f]{12}  ${lab.image}  docker  running  up \\S+  5 ports$`,
      ),
    );
    const rows = lines.slice(3);
    expect(rows).toHaveLength(5);
    for (const line of rows) {
      expect(line).toMatch(
        /^ {4}\* (tcp|udp)\s+\S+\s+1808[0-4]\s+\d+ docker-proxy .* nd-web\s+ndlab /,
      );
    }
    expect(stdout).not.toContain('\u001B');
  });
});
