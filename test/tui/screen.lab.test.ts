import {type ChildProcess, execFile, spawn} from 'node:child_process';
import {mkdtemp, rm, symlink, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import {fileURLToPath} from 'node:url';
import {afterEach, describe, expect, it} from 'vitest';
import {lab, shouldSkipLab, shouldSkipUnlessRoot} from '../helpers/lab.js';
import {startTmux, type TmuxSession} from '../helpers/tmux.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = ['node', 'dist/cli.js'];
const isRoot = !shouldSkipUnlessRoot('terminal screen tests');
const skip = (await shouldSkipLab('Docker', lab.docker.address)) || !isRoot;

/** The first frame with rows can take seconds on a loaded machine (a full scan of /proc). */
const firstFrameMs = 30_000;

let session: TmuxSession | undefined;
afterEach(async () => {
  await session?.kill();
  session = undefined;
});

async function start(args: string[], columns: number, rows: number): Promise<TmuxSession> {
  session = await startTmux([...cli, ...args], {columns, rows, cwd: root});
  return session;
}

const isRowLine = (line: string): boolean => /^[* ] (tcp|udp) /.test(line);
const isTitleLine = (line: string): boolean => /^ {2}\S.*\bPORT[▲▼]?\s.*\bPID\b/.test(line);
const isFooterLine = (line: string): boolean => line.startsWith('/ filter');

/**
 * Why `screen` is not exactly one clean dashboard frame for a `columns` x `rows` terminal, or
 * null: the header first and once, the engines line, one column-title line, only table rows
 * (or the empty-list hint) down to the status line, the footer last, nothing wider than the
 * terminal, no more lines than its height minus one. A line of an older frame (a re-wrapped
 * row, a second header) fails it.
 */
function frameProblem(screen: string, columns: number, rows: number): string | null {
  const lines = screen.split('\n');
  const headers = lines.filter((line) => line.startsWith('nanodock-top  '));
  const titles = lines.filter(isTitleLine);
  if (!lines[0]?.startsWith('nanodock-top  ')) {
    return 'the first line is not the header';
  }
  if (headers.length !== 1) {
    return `${headers.length} header lines`;
  }
  if (!lines[1]?.startsWith('engines: ')) {
    return 'the second line is not the engines line';
  }
  if (titles.length !== 1 || !isTitleLine(lines[2] ?? '')) {
    return `${titles.length} column-title lines, the third line is not one`;
  }
  if (!isFooterLine(lines.at(-1) ?? '')) {
    return 'the footer is not the last line';
  }
  if (lines.filter(isFooterLine).length !== 1) {
    return 'more than one footer';
  }
  if (lines.length > rows - 1) {
    return `${lines.length} lines in a ${rows}-line terminal`;
  }
  if (lines.some((line) => [...line].length >= columns)) {
    return 'a line as wide as the terminal';
  }
  const body = lines.slice(3, -2);
  const stray = body.find((line) => !isRowLine(line) && !line.startsWith('  no rows match'));
  if (stray !== undefined) {
    return `a line that is no row: ${JSON.stringify(stray)}`;
  }
  return null;
}

/** Waits for one clean frame at the new size, then checks it stays clean through refreshes. */
async function expectCleanFrame(tmux: TmuxSession, columns: number, rows: number): Promise<void> {
  const screen = await tmux.waitFor(
    (text) => frameProblem(text, columns, rows) === null && text.includes('nd-web'),
    {message: `one clean frame at ${columns}x${rows}`, timeoutMs: firstFrameMs},
  );
  expect(frameProblem(screen, columns, rows)).toBeNull();
  // The old build left the stale lines through every refresh: two refreshes later, still clean.
  await sleep(2200);
  const later = await tmux.screen();
  expect(frameProblem(later, columns, rows), later).toBeNull();
}

describe.skipIf(skip)('the screen after resizes and Ctrl-L (tmux, lab rows)', () => {
  it('120x30 -> 80x24 and -> 100x28: no line of the old frame stays', async () => {
    const tmux = await start(['--interval', '1s'], 120, 30);
    await expectCleanFrame(tmux, 120, 30);
    await tmux.resize(80, 24);
    await expectCleanFrame(tmux, 80, 24);
    await tmux.resize(120, 30);
    await expectCleanFrame(tmux, 120, 30);
    await tmux.resize(100, 28);
    await expectCleanFrame(tmux, 100, 28);
  }, 90_000);

  it('200x50 -> 80x24: no line of the old frame stays', async () => {
    const tmux = await start(['--interval', '1s'], 200, 50);
    await expectCleanFrame(tmux, 200, 50);
    await tmux.resize(80, 24);
    await expectCleanFrame(tmux, 80, 24);
  }, 90_000);

  it('a terminal under 7 lines shows one line; grown back to 120x30 it is clean', async () => {
    const tmux = await start(['--interval', '1s'], 120, 30);
    await expectCleanFrame(tmux, 120, 30);
    await tmux.resize(80, 5);
    const tiny = await tmux.waitFor((text) => text.includes('80x5 is too small'), {
      timeoutMs: firstFrameMs,
    });
    expect(tiny.split('\n')).toHaveLength(1);
    await tmux.resize(120, 30);
    await expectCleanFrame(tmux, 120, 30);
  }, 90_000);

  it('a burst of resizes ends in one clean frame', async () => {
    const tmux = await start(['--interval', '1s'], 120, 30);
    await expectCleanFrame(tmux, 120, 30);
    for (const [columns, rows] of [
      [110, 29],
      [100, 27],
      [90, 26],
      [80, 24],
    ] as const) {
      await tmux.resize(columns, rows);
    }
    await expectCleanFrame(tmux, 80, 24);
  }, 90_000);

  it('Ctrl-L redraws a screen that other output scribbled on, in the list and in a pane', async () => {
    const tmux = await start(['--interval', '1s'], 120, 30);
    await expectCleanFrame(tmux, 120, 30);
    await tmux.send('p');
    await tmux.waitFor((text) => text.includes('PAUSED'));
    const tty = await tmux.paneTty();
    await writeFile(tty, '\u001B[5;10HGARBAGE-ONE\r\nGARBAGE-TWO\r\n\n\n');
    await tmux.waitFor((text) => text.includes('GARBAGE-ONE'));
    await tmux.send('C-l');
    const clean = await tmux.waitFor((text) => !text.includes('GARBAGE'), {
      message: 'Ctrl-L clears the scribbles',
    });
    expect(frameProblem(clean, 120, 30)).toBeNull();

    await tmux.send('?');
    await tmux.waitFor((text) => text.includes('nanodock-top keys'));
    await writeFile(tty, '\u001B[3;1HGARBAGE-THREE');
    await tmux.waitFor((text) => text.includes('GARBAGE-THREE'));
    await tmux.send('C-l');
    const pane = await tmux.waitFor(
      (text) => !text.includes('GARBAGE') && text.includes('nanodock-top keys'),
    );
    expect(pane.split('\n')[0]).toMatch(/^nanodock-top {2}/);
  }, 90_000);
});

const listLines = (screen: string): string[] => screen.split('\n').filter(isRowLine);

describe.skipIf(skip)('column titles at 80 columns (tmux, lab rows)', () => {
  it('no title is cut, IMAGE gives way before CONTAINER, the sort mark shows', async () => {
    const tmux = await start(['--port', '18080-18090', '--sort=-container'], 80, 24);
    const screen = await tmux.waitFor((text) => text.includes('nd-rootless-web'), {
      message: 'lab rows at 80 columns',
      timeoutMs: firstFrameMs,
    });
    const title = screen.split('\n')[2] ?? '';
    expect(title).not.toContain('…');
    expect(title).toMatch(/\bPORT\s.*\bCONTAINER▼/);
    const podman = listLines(screen).find((line) => line.includes('18085')) ?? '';
    expect(podman).toMatch(/ nd-podman-web( |$)/);
    expect(listLines(screen).join('\n')).not.toContain('nd-podman-w…');
  }, 90_000);
});

describe.skipIf(skip)('help and details wrap and scroll at 80x24 (tmux, lab rows)', () => {
  it('help shows its last line after End, and after PgDn; the close hint is always there', async () => {
    const tmux = await start([], 80, 24);
    await tmux.waitFor((text) => text.includes('nd-web'), {timeoutMs: firstFrameMs});
    await tmux.send('?');
    const top = await tmux.waitFor((text) => text.includes('nanodock-top keys'));
    expect(top).toMatch(/lines 1-\d+ of \d+ .*Esc, Enter or \? closes/);
    expect(top).not.toContain('here and in the details');
    await tmux.send('End');
    const end = await tmux.waitFor((text) => text.includes('here and in the details'));
    expect(end).toMatch(/lines \d+-(\d+) of \1 .*Esc, Enter or \? closes/);
    await tmux.send('Home');
    await tmux.waitFor((text) => !text.includes('here and in the details'));
    await tmux.send('NPage', 'NPage');
    await tmux.waitFor((text) => text.includes('here and in the details'));
    await tmux.send('Escape');
    await tmux.waitFor((text) => text.includes('PROTO') && !text.includes('nanodock-top keys'));
  }, 90_000);

  it('details of a helper with a long command wrap it, and list each published port once', async () => {
    const tmux = await start(['--port', String(lab.podman.port)], 80, 24);
    await tmux.waitFor((text) => text.includes(lab.podman.container), {timeoutMs: firstFrameMs});
    await tmux.send('Enter');
    const detail = await tmux.waitFor((text) => text.includes('command: /usr/bin/conmon'));
    const lines = detail.split('\n');
    const at = lines.findIndex((line) => line.startsWith('command: '));
    // The command goes on past the first line, on indented continuation lines.
    expect(lines[at + 1]).toMatch(/^ {2}\S/);
    expect(detail).toMatch(/lines 1-\d+ of \d+ .*Esc or Enter closes/);
    await tmux.send('End');
    const end = await tmux.waitFor((text) => text.includes('labels:'));
    expect(end).toContain('  *:18085->80/tcp');
    expect(end).toMatch(/Esc or Enter closes/);
    for (const line of end.split('\n')) {
      expect([...line].length).toBeLessThan(80);
    }
  }, 90_000);

  it('the 0.0.0.0 and :: twins of a Docker port are one line', async () => {
    const tmux = await start(['--port', String(lab.docker.port)], 80, 24);
    await tmux.waitFor((text) => text.includes(lab.docker.container), {timeoutMs: firstFrameMs});
    await tmux.send('Enter');
    await tmux.waitFor((text) => text.includes('command: '));
    await tmux.send('End');
    const end = await tmux.waitFor((text) => text.includes('ports:'));
    expect(end.match(/18080->80\/tcp/g)).toHaveLength(1);
  }, 90_000);
});

describe.skipIf(skip)('a process whose name holds U+202E (tmux, --once)', () => {
  let child: ChildProcess | undefined;
  let directory: string | undefined;
  afterEach(async () => {
    child?.kill('SIGKILL');
    child = undefined;
    if (directory !== undefined) {
      await rm(directory, {recursive: true, force: true});
      directory = undefined;
    }
  });

  const port = 18220;
  /** Starts node under a name with a right-to-left override, listening on loopback only. */
  async function startBidiListener(): Promise<void> {
    directory = await mkdtemp(join(tmpdir(), 'i10scr-bidi-'));
    const link = join(directory, 'nd\u202Eevil');
    await symlink(process.execPath, link);
    const script = `require('node:net').createServer().listen(${port}, '127.0.0.1', () => console.log('listening'))`;
    const started = spawn(link, ['-e', script, 'arg\u2066x\u200By'], {
      argv0: link,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    child = started;
    await new Promise<void>((resolve, reject) => {
      started.once('error', reject);
      started.once('exit', (code) => reject(new Error(`listener exited with ${code}`)));
      started.stdout?.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('listening')) {
          resolve();
        }
      });
    });
  }

  it('shows ? in the list, the details and --once, and never the raw characters', async () => {
    await startBidiListener();
    const tmux = await start(['--port', String(port)], 120, 30);
    const list = await tmux.waitFor((text) => text.includes('nd?evil'), {
      message: 'the listener with ? in its name',
      timeoutMs: firstFrameMs,
    });
    expect(list).not.toMatch(/[\u202A-\u202E\u2066-\u2069\u200B]/);
    const row = listLines(list).find((line) => line.includes(String(port))) ?? '';
    expect(row).toMatch(/127\.0\.0\.1\s+18220\s+\d+ nd\?evil\s+root/);
    await tmux.send('Enter');
    const detail = await tmux.waitFor((text) => text.includes('command: '));
    expect(detail).toContain('nd?evil');
    expect(detail).toContain('arg?x?y');
    expect(detail).not.toMatch(/[\u202A-\u202E\u2066-\u2069\u200B]/);

    const once = await new Promise<string>((resolve, reject) => {
      execFile(
        'node',
        ['dist/cli.js', '--once', '--port', String(port)],
        {cwd: root},
        (error, stdout) => (error ? reject(error) : resolve(stdout)),
      );
    });
    expect(once).toMatch(/18220\s+\d+ nd\?evil\s+root/);
    expect(once).not.toMatch(/[\u202A-\u202E\u2066-\u2069\u200B]/);

    const json = await new Promise<string>((resolve, reject) => {
      execFile(
        'node',
        ['dist/cli.js', '--json', '--port', String(port)],
        {cwd: root},
        (error, stdout) => (error ? reject(error) : resolve(stdout)),
      );
    });
    expect(json).not.toMatch(/[\u202A-\u202E\u2066-\u2069\u200B]/);
    expect(json).toContain('nd\\u202eevil');
    expect((JSON.parse(json) as {process: string}[])[0]?.process).toBe('nd\u202Eevil');
  }, 90_000);
});
