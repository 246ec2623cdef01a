import {describe, expect, it} from 'vitest';
import type {JsonRow} from '../source/model/format.js';
import {listenOnLoopbackForFile, runCli} from './helpers/cli.js';

const run = runCli;

const listener = listenOnLoopbackForFile();

describe('nanodock-top (built CLI)', () => {
  it('--json prints a JSON array of rows with every promised field', async () => {
    const {code, stdout} = await run(['--json']);
    expect(code).toBe(0);
    const rows = JSON.parse(stdout) as JsonRow[];
    expect(Array.isArray(rows)).toBe(true);
    const mine = rows.find((row) => row.port === listener.port && row.protocol === 'tcp');
    expect(mine).toMatchObject({
      protocol: 'tcp',
      address: '127.0.0.1',
      addresses: ['127.0.0.1'],
      pids: [process.pid],
      pid: process.pid,
      sockets: 1,
      helper: null,
      container: null,
      ambiguous: false,
    });
    expect(typeof mine?.process).toBe('string');
    expect(typeof mine?.user).toBe('string');
    expect(mine?.uptimeSeconds).toBeGreaterThanOrEqual(0);
    // The process identity the dashboard re-checks stays internal: not part of the JSON rows.
    expect(mine).not.toHaveProperty('startTicks');
  });

  it('--port filters to one port, and to a range', async () => {
    const one = JSON.parse(
      (await run(['--json', '--port', String(listener.port)])).stdout,
    ) as JsonRow[];
    expect(one.length).toBeGreaterThan(0);
    expect(one.every((row) => row.port === listener.port)).toBe(true);
    const range = JSON.parse(
      (await run(['--json', `--port=${listener.port - 1}-${listener.port + 1}`])).stdout,
    ) as JsonRow[];
    expect(
      range.every((row) => row.port >= listener.port - 1 && row.port <= listener.port + 1),
    ).toBe(true);
    expect(range.some((row) => row.port === listener.port)).toBe(true);
  });

  it('prints a plain table when stdout is not a terminal', async () => {
    const {code, stdout} = await run(['--port', String(listener.port)]);
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^ {2}PROTO\s+ADDRESS\s+PORT\s+PID\s+PROCESS\s+USER\s+CONTAINER\s+COMPOSE\s+IMAGE\s+UPTIME$/,
    );
    expect(
      lines.some(
        (line) => line.includes(` ${listener.port} `) && line.includes(String(process.pid)),
      ),
    ).toBe(true);
    expect(stdout).not.toContain('\u001B[');
  });

  it.each([
    [['--bogus'], /unknown flag --bogus/],
    [['--port', 'abc'], /--port: "abc" is not a port/],
    [['--port', '5-1'], /backwards/],
    [['--json', '--once'], /pick one/],
    [['extra'], /unexpected argument "extra"/],
  ])('bad flags %j exit 2 with a one-line reason', async (args, reason) => {
    const {code, stdout, stderr} = await run(args);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(reason);
  });

  it('--help and --version work', async () => {
    const helpRun = await run(['--help']);
    expect(helpRun.code).toBe(0);
    expect(helpRun.stdout).toContain('--port N|A-B');
    const version = await run(['--version']);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('with no engine reachable still lists host sockets and says why on stderr', async () => {
    const {code, stdout, stderr} = await run(['--json', '--port', String(listener.port)], {
      DOCKER_HOST: 'unix:///nonexistent/docker.sock',
    });
    expect(code).toBe(0);
    expect((JSON.parse(stdout) as JsonRow[])[0]?.pid).toBe(process.pid);
    expect(stderr).toContain('unix:///nonexistent/docker.sock');
    expect(stderr).toContain('no container engine answered');
  });
});
