import {execFile, spawnSync} from 'node:child_process';
import {mkdtemp, readFile, rm, stat, writeFile} from 'node:fs/promises';
import net from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import {fileURLToPath} from 'node:url';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';

// What nanodock-top writes to its terminal for one key, read with tmux pipe-pane: a byte count,
// asserted loosely against a whole screen (the figures are the bench's, not this test's).
// The rows are 20 loopback listeners of this process (ports 19460-19479), so no lab is needed.

const root = fileURLToPath(new URL('../..', import.meta.url));
const firstPort = 19_460;
const portCount = 20;
const hasTmux = spawnSync('tmux', ['-V']).status === 0;
if (!hasTmux) {
  console.warn('skipping the drawing tests: tmux is not installed (apt-get install tmux)');
}

const servers: net.Server[] = [];
let directory = '';
let socket = '';

function tmux(...args: string[]): Promise<string> {
  const env = {...process.env};
  for (const key of ['CI', 'CONTINUOUS_INTEGRATION', 'TMUX', 'TMUX_PANE', 'COLUMNS', 'LINES']) {
    delete env[key];
  }
  return new Promise((resolve, reject) => {
    execFile('tmux', ['-S', socket, ...args], {env, timeout: 10_000}, (error, stdout, stderr) =>
      error ? reject(new Error(`tmux ${args.join(' ')}: ${stderr}`)) : resolve(stdout),
    );
  });
}

const screen = (): Promise<string> => tmux('capture-pane', '-p', '-t', 'draw');
const inverse = new RegExp(`${'\u001B'}\\[(?:[0-9;]*;)?7(?:;[0-9;]*)?m`);

/** The plain-text line of the screen that tmux shows in inverse video. */
async function selectedLine(): Promise<string | undefined> {
  const styled = (await tmux('capture-pane', '-p', '-e', '-t', 'draw')).split('\n');
  const plain = (await screen()).split('\n');
  const index = styled.findIndex((line) => inverse.test(line));
  return index === -1 ? undefined : plain[index];
}

async function waitFor(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}; screen:\n${await screen()}`);
    }
    await sleep(50);
  }
}

beforeAll(async () => {
  if (!hasTmux) {
    return;
  }
  for (let port = firstPort; port < firstPort + portCount; port++) {
    const server = net.createServer((connection) => connection.destroy());
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    servers.push(server);
  }
  directory = await mkdtemp(join(tmpdir(), 'nd-draw-'));
  socket = join(directory, 'sock');
  const config = join(directory, 'tmux.conf');
  await writeFile(config, 'set -g status off\nset -g default-terminal xterm-256color\n');
  await tmux(
    '-f',
    config,
    'new-session',
    '-d',
    '-s',
    'draw',
    '-x',
    '120',
    '-y',
    '30',
    '-c',
    root,
    '--',
    process.execPath,
    'dist/cli.js',
    '--port',
    `${firstPort}-${firstPort + portCount - 1}`,
  );
  await waitFor(
    async () => (await screen()).includes(String(firstPort + portCount - 1)),
    'the rows',
  );
});

afterAll(async () => {
  if (socket !== '') {
    await tmux('kill-server').catch(() => {});
  }
  for (const server of servers.splice(0)) {
    server.close();
  }
  if (directory !== '') {
    await rm(directory, {recursive: true, force: true});
  }
});

describe.skipIf(!hasTmux)('drawing in a real terminal (120x30)', () => {
  it('writes only the changed rows for one j: far fewer bytes than a whole screen', async () => {
    // Wait until the first row is selected and the screen is quiet (no refresh in between).
    await waitFor(
      async () => (await selectedLine())?.includes(` ${firstPort} `) ?? false,
      'the first row to be selected',
    );
    const whole = Buffer.byteLength(await tmux('capture-pane', '-p', '-e', '-t', 'draw'));
    const log = join(directory, 'pane.out');
    await tmux('pipe-pane', '-o', '-t', 'draw', `cat > ${log}`);
    await sleep(300);
    await tmux('send-keys', '-t', 'draw', 'j');
    await waitFor(
      async () => (await selectedLine())?.includes(` ${firstPort + 1} `) ?? false,
      'j to select the second row',
    );
    await sleep(300);
    await tmux('pipe-pane', '-t', 'draw');
    const bytes = (await stat(log)).size;
    const written = await readFile(log, 'latin1');
    expect(written).toContain(String(firstPort + 1));
    expect(bytes).toBeGreaterThan(0);
    // Each frame comes in synchronized output (?2026h ... ?2026l). A refresh may land in the
    // window, and rows under a minute old show their uptime to the second, so it redraws them
    // all: the frame of the j is the one that draws the second row in inverse video.
    const frames = written.split('\u001B[?2026l').filter((frame) => frame !== '');
    const jFrame = frames.find((frame) =>
      new RegExp(`\u001B\\[7m[^\u001B]* ${firstPort + 1} `).test(frame),
    );
    expect(jFrame).toBeDefined();
    // Two rows of 120 columns and their cursor moves; a whole screen is about 10x that.
    expect(Buffer.byteLength(jFrame ?? '', 'latin1')).toBeLessThan(whole / 3);
  });

  it('keeps the frame in place: header on the first line, one selected row, no stale lines', async () => {
    for (let press = 0; press < 5; press++) {
      await tmux('send-keys', '-t', 'draw', 'j');
    }
    await waitFor(
      async () => (await selectedLine())?.includes(` ${firstPort + 6} `) ?? false,
      'five more j',
    );
    const lines = (await screen()).split('\n');
    expect(lines[0]).toMatch(/^nanodock-top\s/);
    expect(lines.filter((line) => line.startsWith('nanodock-top'))).toHaveLength(1);
    const styled = (await tmux('capture-pane', '-p', '-e', '-t', 'draw')).split('\n');
    expect(styled.filter((line) => inverse.test(line))).toHaveLength(1);
  });

  it('draws the whole frame again after a resize, with nothing left of the old one', async () => {
    await tmux('resize-window', '-t', 'draw', '-x', '80', '-y', '24');
    await waitFor(
      async () => (await screen()).split('\n').every((line) => line.length <= 80),
      'the 80-column frame',
    );
    await sleep(300);
    const lines = (await screen()).split('\n');
    expect(lines[0]).toMatch(/^nanodock-top\s/);
    expect(lines.filter((line) => line.startsWith('nanodock-top'))).toHaveLength(1);
    expect(lines.filter((line) => line.includes('PROTO'))).toHaveLength(1);
  });
});
