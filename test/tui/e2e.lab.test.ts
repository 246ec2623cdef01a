import {existsSync, readdirSync, readFileSync, readlinkSync} from 'node:fs';
import {dirname, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';
import {afterEach, describe, expect, it} from 'vitest';
import {
  engineApi,
  isRunning,
  lab,
  removeContainer,
  shouldSkipLab,
  shouldSkipUnlessRoot,
} from '../helpers/lab.js';
import {parseTape, replayTape} from '../helpers/tape.js';
import {startTmux, type TmuxSession} from '../helpers/tmux.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = ['node', 'dist/cli.js'];
const isRoot = !shouldSkipUnlessRoot('terminal lab tests');
const skip = (await shouldSkipLab('Docker', lab.docker.address)) || !isRoot;

let session: TmuxSession | undefined;
const scratch: string[] = [];
afterEach(async () => {
  await session?.kill();
  session = undefined;
  for (const id of scratch.splice(0)) {
    await removeContainer(lab.docker.address, id);
  }
});

async function start(
  args: string[],
  columns: number,
  rows: number,
  env: Record<string, string> = {},
) {
  session = await startTmux([...cli, ...args], {columns, rows, cwd: root, env});
  return session;
}

/** A throwaway container publishing `port`, that stops at once on SIGTERM. */
async function publishScratch(name: string, port: number): Promise<string> {
  await engineApi(lab.docker.address, 'DELETE', `/containers/${name}?force=true`);
  const created = await engineApi(lab.docker.address, 'POST', `/containers/create?name=${name}`, {
    Image: lab.image,
    Cmd: ['/bin/sh', '-c', 'trap "exit 0" TERM; /bin/busybox httpd -f -p 80 & wait'],
    ExposedPorts: {'80/tcp': {}},
    HostConfig: {PortBindings: {'80/tcp': [{HostPort: String(port)}]}},
    Labels: {'nanodock.test': '1'},
  });
  const id = (created.json as {Id: string}).Id;
  scratch.push(id);
  const started = await engineApi(lab.docker.address, 'POST', `/containers/${id}/start`);
  expect(started.status).toBe(204);
  return id;
}

/**
 * The running nanodock-top started from `cwd` (the demo's shell runs there): its pid and the
 * command path its shell ran, from the `_` bash puts in a command's environment (the program sets
 * the process title, which overwrites the command line). Throws unless there is exactly one.
 */
function findDashboard(cwd: string): {pid: number; script: string} {
  const found: {pid: number; script: string}[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    try {
      const title = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (
        /^nanodock-top\b/.test(title) &&
        /\/node$/.test(readlinkSync(`/proc/${entry}/exe`)) &&
        readlinkSync(`/proc/${entry}/cwd`) === resolve(cwd)
      ) {
        const environ = readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0');
        const command = environ.find((variable) => variable.startsWith('_='));
        found.push({pid: Number(entry), script: command?.slice(2) ?? ''});
      }
    } catch {
      // The process ended while we looked.
    }
  }
  if (found.length !== 1) {
    throw new Error(`expected one nanodock-top started in ${cwd}, found ${JSON.stringify(found)}`);
  }
  return found[0] as {pid: number; script: string};
}

const tableRows = (screen: string): string[] =>
  screen.split('\n').filter((line) => /^[* ] (tcp|udp) /.test(line));

describe.skipIf(skip)('nanodock-top in a real terminal (tmux) against the lab', () => {
  it('120x30: rows appear, helpers resolved, never more lines than the height minus one', async () => {
    const tmux = await start(['--interval', '1s'], 120, 30);
    const screen = await tmux.waitFor(
      (text) => text.includes('nd-web') && text.includes('nd-podman-web'),
      {
        message: 'lab rows',
      },
    );
    const lines = screen.split('\n');
    expect(lines[0]).toMatch(/^nanodock-top {2}\S+ {2}\d+ rows {2}every 1s/);
    expect(lines[1]).toContain(`docker ${lab.docker.address}`);
    expect(lines.length).toBeLessThanOrEqual(29);
    expect(tableRows(screen).find((line) => line.includes('18080'))).toMatch(
      /^\* tcp\s+\*\s+18080\s+\d+ docker-proxy\s+root\s+nd-web/,
    );
    expect(tableRows(screen).find((line) => line.includes('18090'))).toMatch(
      /rootlessport\s+ndlab\s+nd-rootless-web/,
    );
  });

  it('/ filters to a port as you type', async () => {
    const tmux = await start([], 120, 30);
    await tmux.waitFor((text) => text.includes('nd-web'));
    await tmux.send('/');
    await tmux.type('18080');
    const screen = await tmux.waitFor(
      (text) => tableRows(text).length === 1 && text.includes('/18080█'),
    );
    expect(tableRows(screen)[0]).toContain('nd-web');
    await tmux.send('Enter');
    await tmux.waitFor((text) => text.includes('filter: 18080'));
  });

  it('k + y kills the container behind a port, and it leaves the engine list and the screen', async () => {
    const id = await publishScratch('nd-e2e-kill', 18097);
    const tmux = await start(['--interval', '1s'], 120, 30);
    // Type only once the app reads keys: before raw mode the terminal would echo them.
    await tmux.waitFor((text) => text.includes('nd-e2e-kill'), {timeoutMs: 15_000});
    await tmux.send('/');
    await tmux.type('18097');
    await tmux.send('Enter');
    await tmux.waitFor((text) => tableRows(text).some((line) => line.includes('nd-e2e-kill')), {
      timeoutMs: 15_000,
    });
    await tmux.send('k');
    await tmux.waitFor((text) =>
      text.includes(`Kill container nd-e2e-kill (${id.slice(0, 12)})? [y/N]`),
    );
    await tmux.send('y');
    await tmux.waitFor((text) => text.includes(`killed nd-e2e-kill (${id.slice(0, 12)})`), {
      timeoutMs: 15_000,
    });
    expect(await isRunning(lab.docker.address, id)).toBe(false);
    await tmux.waitFor((text) => !tableRows(text).some((line) => line.includes('nd-e2e-kill')), {
      timeoutMs: 10_000,
    });
  }, 60_000);

  it('s + y stops a container gracefully', async () => {
    const id = await publishScratch('nd-e2e-stop', 18098);
    const tmux = await start(['--port', '18098'], 120, 30);
    await tmux.waitFor((text) => tableRows(text).some((line) => line.includes('nd-e2e-stop')), {
      timeoutMs: 15_000,
    });
    await tmux.send('s');
    await tmux.waitFor((text) => text.includes('Stop container nd-e2e-stop'));
    await tmux.send('y');
    await tmux.waitFor((text) => text.includes('stopped nd-e2e-stop'), {timeoutMs: 20_000});
    expect(await isRunning(lab.docker.address, id)).toBe(false);
  }, 60_000);

  it('? shows the help screen and Esc closes it', async () => {
    const tmux = await start([], 120, 30);
    await tmux.waitFor((text) => text.includes('nd-web'));
    await tmux.send('?');
    const help = await tmux.waitFor((text) => text.includes('nanodock-top keys'));
    expect(help).toContain('kill the container');
    await tmux.send('Escape');
    await tmux.waitFor((text) => text.includes('PROTO') && !text.includes('nanodock-top keys'));
  });

  it('follows a resize to 60x15 and back, keeping within the terminal', async () => {
    const tmux = await start([], 120, 30);
    await tmux.waitFor((text) => text.includes('nd-web'));
    await tmux.resize(60, 15);
    const small = await tmux.waitFor((text) => {
      const lines = text.split('\n');
      return lines.length <= 14 && lines.every((line) => line.length < 60) && text.includes('PORT');
    });
    expect(tableRows(small).length).toBeGreaterThan(0);
    await tmux.resize(120, 30);
    await tmux.waitFor((text) => text.includes('UPTIME') && text.includes('nd-web'));
  });

  it('60x15 from the start: rows appear within 14 lines', async () => {
    const tmux = await start([], 60, 15);
    const screen = await tmux.waitFor(
      (text) => tableRows(text).length > 0 && text.includes('PORT'),
    );
    expect(screen.split('\n').length).toBeLessThanOrEqual(14);
  });

  it('q quits with status 0 and gives the terminal back as it was (alternate screen)', async () => {
    const tmux = await start([], 120, 30);
    await tmux.waitFor((text) => text.includes('nd-web'));
    await tmux.send('q');
    await expect.poll(() => tmux.exitCode(), {timeout: 5000}).toBe(0);
    expect(await tmux.screen()).not.toContain('PROTO');
  });

  it('NO_COLOR gives a plain screen that still marks helpers and the selection', async () => {
    const tmux = await start([], 120, 30, {NO_COLOR: '1'});
    await tmux.waitFor((text) => text.includes('nd-web'));
    const escaped = await tmux.screenWithEscapes();
    // No foreground or background colours (30-37, 90-97, 38;5, 40-47...): inverse (7) is fine.
    const sgr = [
      ...escaped.matchAll(new RegExp(`${String.fromCharCode(27)}\\[([0-9;]*)m`, 'g')),
    ].map((match) => match[1] ?? '');
    const colours = sgr
      .flatMap((codes) => codes.split(';'))
      .filter((code) => /^(3[0-8]|9[0-7]|4[0-8]|10[0-7])$/.test(code));
    expect(colours).toEqual([]);
    expect(sgr.some((codes) => codes.split(';').includes('7'))).toBe(true);
    expect(tableRows(await tmux.screen()).some((line) => line.startsWith('* '))).toBe(true);
  });

  it('with no engine reachable, host rows still show and the header says why', async () => {
    const tmux = await start([], 230, 30, {DOCKER_HOST: 'unix:///nonexistent/docker.sock'});
    const screen = await tmux.waitFor((text) => text.includes('no container engine answered'));
    expect(screen).toContain('unix:///nonexistent/docker.sock');
    expect(tableRows(screen).some((line) => line.includes('docker-proxy'))).toBe(true);
  });

  it('replays demo.tape: nanodock-top from PATH, / a port, k, y, quit; the demo container is gone', async () => {
    const steps = parseTape(readFileSync(new URL('../../demo.tape', import.meta.url), 'utf8'));
    const demo = 'nd-demo';
    await engineApi(lab.docker.address, 'POST', `/containers/${demo}/start`);
    await expect
      .poll(
        async () => (await engineApi(lab.docker.address, 'GET', `/containers/${demo}/json`)).json,
      )
      .toMatchObject({
        State: {Running: true},
      });
    // The shell VHS records: bash without rc files, with VHS's prompt (a bare Wait looks for it).
    session = await startTmux(['bash', '--norc', '--noprofile'], {
      columns: 120,
      rows: 30,
      cwd: root,
      env: {PS1: '> '},
    });
    const tmux = session;
    let program: {pid: number; script: string} | undefined;
    try {
      await replayTape(tmux, steps, {
        onStep: async (step) => {
          // Once the dashboard shows the demo row: it runs as `nanodock-top` found on PATH
          // (the hidden set-up's prefix), not as `node dist/cli.js`.
          if (program === undefined && step.kind === 'wait' && step.scope === 'screen') {
            program = findDashboard(root);
          }
        },
      });
      expect(program?.script).toMatch(/\/bin\/nanodock-top$/);
      expect(program?.script.startsWith(root)).toBe(false);
      expect(await tmux.screen()).toMatch(/^> nanodock-top$/m);
      const inspect = await engineApi(lab.docker.address, 'GET', `/containers/${demo}/json`);
      expect(inspect.json).toMatchObject({State: {Running: false}});
      // The hidden clean-up removed the throwaway prefix.
      const prefix = dirname(dirname(program?.script ?? '/'));
      await expect.poll(() => existsSync(prefix), {timeout: 10_000}).toBe(false);
    } finally {
      // Leave the lab as it was.
      await engineApi(lab.docker.address, 'POST', `/containers/${demo}/start`);
    }
  }, 120_000);
});
