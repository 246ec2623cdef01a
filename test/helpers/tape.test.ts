import {spawnSync} from 'node:child_process';
import {readFileSync} from 'node:fs';
import {afterEach, describe, expect, it} from 'vitest';
import {parseTape, replayTape, TapeKeyError, type TapeStep} from './tape.js';
import {startTmux, type TmuxSession} from './tmux.js';

/** The steps of a tape without the ignored ones. */
const inputs = (text: string): TapeStep[] =>
  parseTape(text).filter((step) => step.kind !== 'ignored');

describe('parseTape', () => {
  it('skips blank lines and comments, whole-line and trailing', () => {
    expect(parseTape('\n# a comment\n   \n\t# indented\nEnter # go\n')).toEqual([
      {kind: 'key', key: 'Enter', repeat: 1},
    ]);
  });

  it('reads Type strings in double quotes, single quotes and backticks', () => {
    expect(inputs('Type "node dist/cli.js"\nType \'say "hi"\'\nType `it\'s`')).toEqual([
      {kind: 'type', text: 'node dist/cli.js'},
      {kind: 'type', text: 'say "hi"'},
      {kind: 'type', text: "it's"},
    ]);
  });

  it('unescapes \\" and \\\\ inside double quotes and keeps other backslashes', () => {
    expect(inputs(String.raw`Type "a \"quoted\" word"`)).toEqual([
      {kind: 'type', text: 'a "quoted" word'},
    ]);
    expect(inputs(String.raw`Type "C:\path\\"`)).toEqual([{kind: 'type', text: 'C:\\path\\'}]);
  });

  it('keeps # and spaces inside strings, joins several strings with one space', () => {
    expect(inputs('Type "  # not a comment  "\nType "a" \'b\'   `c`')).toEqual([
      {kind: 'type', text: '  # not a comment  '},
      {kind: 'type', text: 'a b c'},
    ]);
  });

  it('accepts and drops a typing speed', () => {
    expect(inputs('Type@50ms "18080"\nType@.5 "x"')).toEqual([
      {kind: 'type', text: '18080'},
      {kind: 'type', text: 'x'},
    ]);
  });

  it('maps every VHS key to its tmux name', () => {
    const tape = [
      'Enter',
      'Escape',
      'Up',
      'Down',
      'Left',
      'Right',
      'Backspace',
      'Delete',
      'Insert',
      'Tab',
      'Space',
      'PageUp',
      'PageDown',
      'Home',
      'End',
    ].join('\n');
    expect(inputs(tape).map((step) => (step.kind === 'key' ? step.key : step.kind))).toEqual([
      'Enter',
      'Escape',
      'Up',
      'Down',
      'Left',
      'Right',
      'BSpace',
      'DC',
      'IC',
      'Tab',
      'Space',
      'PPage',
      'NPage',
      'Home',
      'End',
    ]);
  });

  it('reads repeat counts, with or without a speed', () => {
    expect(inputs('Up 3\nBackspace@100ms 12\nDown@1s\nCtrl+N 2')).toEqual([
      {kind: 'key', key: 'Up', repeat: 3},
      {kind: 'key', key: 'BSpace', repeat: 12},
      {kind: 'key', key: 'Down', repeat: 1},
      {kind: 'key', key: 'C-n', repeat: 2},
    ]);
  });

  it.each([
    ['Ctrl+C', 'C-c'],
    ['Ctrl+c', 'C-c'],
    ['Ctrl+L', 'C-l'],
    ['Ctrl+[', 'C-['],
    ['Ctrl+]', 'C-]'],
    ['Ctrl+\\', 'C-\\'],
    ['Ctrl+@', 'C-@'],
    ['Ctrl+^', 'C-^'],
    ['Ctrl+Space', 'C-Space'],
    ['Ctrl+Up', 'C-Up'],
    ['Ctrl+Alt+x', 'C-M-x'],
    ['Ctrl+Alt+Delete', 'C-M-DC'],
    ['Alt+x', 'M-x'],
    ['Alt+X', 'M-X'],
    ['Alt+Shift+x', 'M-X'],
    ['Alt+.', 'M-.'],
    ['Alt+1', 'M-1'],
    ['Alt+;', 'M-;'],
    ['Alt+Enter', 'M-Enter'],
    ['Alt+Backspace', 'M-BSpace'],
    ['Shift+a', 'A'],
    ['Shift+Tab', 'BTab'],
    ['Shift+Up', 'S-Up'],
    ['Shift+PageDown', 'S-NPage'],
    ['Ctrl+Shift+Left', 'C-S-Left'],
  ])('maps the chord %s to %s', (line, key) => {
    expect(parseTape(line)).toEqual([{kind: 'key', key, repeat: 1}]);
  });

  it.each([
    ['Sleep 500ms', 500],
    ['Sleep 2s', 2000],
    ['Sleep 1.5s', 1500],
    ['Sleep 1.5', 1500],
    ['Sleep .25', 250],
    ['Sleep 300 ms', 300],
    ['Sleep 1m', 60_000],
    ['Sleep 0', 0],
  ])('reads %s as %i ms', (line, ms) => {
    expect(parseTape(line)).toEqual([{kind: 'sleep', ms}]);
  });

  it('reports VHS-only commands as ignored, with the line', () => {
    const tape = [
      'Output demo.gif',
      'Set FontSize 16',
      'Set Theme "Dracula"',
      'Require node',
      'Hide',
      'Show',
      'Screenshot out.png',
      'Wait+Screen /PROTO/',
      'Env NO_COLOR "1"',
      'Copy "x"',
      'Paste',
      'Source other.tape',
      'ScrollUp 3',
    ];
    const steps = parseTape(tape.join('\n'));
    expect(steps.map((step) => step.kind)).toEqual(tape.map(() => 'ignored'));
    expect(steps[0]).toEqual({
      kind: 'ignored',
      line: 'Output demo.gif',
      reason: 'Output is VHS-only: it sends no input',
    });
  });

  it.each([
    ['Type', /quoted string/],
    ['Type 18080', /quoted string/],
    ['Type "unterminated', /unterminated string/],
    ['Type "a" Enter', /unexpected text/],
    ['Type@ "x"', /needs a time/],
    ['Sleep', /Sleep needs a time/],
    ['Sleep soon', /Sleep needs a time/],
    ['Sleep 5h', /Sleep needs a time/],
    ['Sleep 1.2.3s', /Sleep needs a time/],
    ['Up 0', /positive integer/],
    ['Up 1.5', /positive integer/],
    ['Up three', /positive integer/],
    ['Enter Enter', /positive integer/],
    ['Enter 2 more', /unexpected text/],
    ['Down@', /needs a time/],
    ['Ctrl', /needs \+<key>/],
    ['"just a string"', /not a VHS command/],
    ['42', /not a VHS command/],
  ])('reports the bad line %j as ignored', (line, reason) => {
    const steps = parseTape(`Enter\n${line}\nEnter`);
    expect(steps).toHaveLength(3);
    expect(steps[1]).toMatchObject({kind: 'ignored', line});
    expect(steps[1]?.kind === 'ignored' && steps[1].reason).toMatch(reason);
  });

  it.each([
    ['Entr', /unknown key or command "Entr"/],
    ['PgUp 2', /unknown key or command "PgUp"/],
    ['Ctrl+Foo', /unknown key "Foo"/],
    ['Ctrl+Meta+C', /"Meta" is not a modifier/],
    ['Ctrl+Shift+O', /Ctrl\+Shift\+letter/],
    ['Ctrl+Enter', /cannot send this chord/],
    ['Shift+Enter', /cannot send this chord/],
    ['Shift+1', /Shift\+1 is not a key/],
    ['Ctrl+-', /Ctrl\+- has no control code/],
  ])('throws a TapeKeyError on the unknown key %j', (line, message) => {
    const tape = `# header\nType "x"\n${line}\n`;
    expect(() => parseTape(tape)).toThrow(message);
    try {
      parseTape(tape);
    } catch (error) {
      expect(error).toBeInstanceOf(TapeKeyError);
      expect(error).toMatchObject({name: 'TapeKeyError', lineNumber: 3, line});
      expect((error as Error).message).toContain(`tape line 3: `);
    }
  });

  it('handles CRLF line endings', () => {
    expect(parseTape('Type "a"\r\nEnter\r\n')).toEqual([
      {kind: 'type', text: 'a'},
      {kind: 'key', key: 'Enter', repeat: 1},
    ]);
  });

  it("parses the repository's demo.tape into the used-by flow", () => {
    const tape = readFileSync(new URL('../../demo.tape', import.meta.url), 'utf8');
    const sent = inputs(tape).filter((step) => step.kind !== 'sleep');
    const port = sent[3]?.kind === 'type' ? sent[3].text : '';
    expect(port).toMatch(/^\d+$/);
    expect(sent).toEqual([
      {kind: 'type', text: 'node dist/cli.js'},
      {kind: 'key', key: 'Enter', repeat: 1},
      {kind: 'type', text: '/'},
      {kind: 'type', text: port},
      {kind: 'key', key: 'Enter', repeat: 1},
      {kind: 'type', text: 'k'},
      {kind: 'type', text: 'y'},
      {kind: 'type', text: 'q'},
    ]);
    const ignored = parseTape(tape).filter((step) => step.kind === 'ignored');
    expect(ignored.length).toBeGreaterThan(0);
    expect(
      ignored.every((step) => step.kind === 'ignored' && /^(Output|Require|Set) /.test(step.line)),
    ).toBe(true);
  });
});

describe('replayTape', () => {
  it('sends text, repeated keys and scaled sleeps in order, awaiting onStep after each', async () => {
    const calls: string[] = [];
    const session = {
      send: async (...keys: string[]) => {
        calls.push(`send ${keys.join(' ')}`);
      },
      type: async (text: string) => {
        calls.push(`type ${text}`);
      },
    };
    const steps = parseTape('Output x.gif\nType "ab"\nUp 3\nSleep 2s\nCtrl+C');
    const started = Date.now();
    await replayTape(session, steps, {
      sleepScale: 0.01,
      onStep: async (step, index) => {
        await Promise.resolve();
        calls.push(`step ${index} ${step.kind}`);
      },
    });
    expect(calls).toEqual([
      'step 0 ignored',
      'type ab',
      'step 1 type',
      'send Up Up Up',
      'step 2 key',
      'step 3 sleep',
      'send C-c',
      'step 4 key',
    ]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(15);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

/** tmux is on the CI machine (the lab installs it); elsewhere these skip, saying why. */
const hasTmux = spawnSync('tmux', ['-V']).status === 0;
if (!hasTmux) {
  console.warn(
    'skipping the real-terminal harness tests: tmux is not installed (apt-get install tmux)',
  );
}

describe.skipIf(!hasTmux)('startTmux (a real terminal)', () => {
  let session: TmuxSession | undefined;
  afterEach(async () => {
    await session?.kill();
    session = undefined;
  });

  it('types, sends keys, waits for the screen and reads the exit code', async () => {
    session = await startTmux(['bash', '-c', 'read x; echo got:$x; exit 3'], {
      columns: 80,
      rows: 10,
    });
    expect(await session.isAlive()).toBe(true);
    expect(await session.exitCode()).toBeNull();
    await session.type('hello world;');
    await session.send('Enter');
    const screen = await session.waitFor((text) => text.includes('got:hello world;'));
    // The terminal echoes the typed line, then the program answers; nothing else is drawn.
    expect(screen).toBe('hello world;\ngot:hello world;');
    await expect.poll(() => session?.isAlive()).toBe(false);
    expect(await session.exitCode()).toBe(3);
    // The final screen stays readable after the program exited.
    expect(await session.screen()).toBe(screen);
  });

  it('runs in a terminal of the asked size, with TERM, env and cwd', async () => {
    session = await startTmux(
      ['bash', '-c', 'echo "$TERM $(tput cols)x$(tput lines) $GREETING $CI $PWD"; read'],
      {columns: 100, rows: 20, env: {GREETING: 'hi'}, cwd: '/tmp'},
    );
    const screen = await session.waitFor((text) => text.includes('/tmp'));
    // CI is never passed in: it makes Ink render only the last frame.
    expect(screen).toBe('xterm-256color 100x20 hi  /tmp');
  });

  it('resizes the terminal, and the program gets SIGWINCH', async () => {
    session = await startTmux(
      [
        'bash',
        '-c',
        'trap \'echo "size $(tput cols)x$(tput lines)"\' WINCH; echo ready; while :; do sleep 0.05; done',
      ],
      {columns: 60, rows: 10},
    );
    await session.waitFor((text) => text.includes('ready'));
    await session.resize(90, 15);
    await session.waitFor((text) => text.includes('size 90x15'), {message: 'SIGWINCH'});
  });

  it('reads the exit status even when tmux misses the SIGCHLD (about 1 in 4 here)', async () => {
    for (let run = 0; run < 8; run++) {
      session = await startTmux(['bash', '-c', `exit ${run + 1}`], {columns: 40, rows: 5});
      await expect.poll(() => session?.exitCode(), {timeout: 2000}).toBe(run + 1);
      await session.kill();
    }
  });

  it('reports a death by signal N as 128 + N', async () => {
    session = await startTmux(['sleep', '30'], {columns: 40, rows: 5});
    await session.send('C-c');
    await expect.poll(() => session?.exitCode()).toBe(130);
    expect(await session.isAlive()).toBe(false);
  });

  it('keeps colours in screenWithEscapes and strips them from screen', async () => {
    session = await startTmux(['bash', '-c', String.raw`printf '\e[1;31mred\e[0m plain\n'; read`], {
      columns: 40,
      rows: 5,
    });
    await session.waitFor((text) => text.includes('plain'));
    expect(await session.screen()).toBe('red plain');
    expect(await session.screenWithEscapes()).toContain('\u001B[1m\u001B[31mred');
  });

  it('waitFor fails with the message and the last screen, at once when the program exited', async () => {
    session = await startTmux(['bash', '-c', 'echo bye'], {columns: 40, rows: 5});
    const started = Date.now();
    await expect(
      session.waitFor((text) => text.includes('never'), {timeoutMs: 5000, message: 'the table'}),
    ).rejects.toThrow(/^the table: the program exited \(status 0\); last screen:\nbye\n/);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('waitFor times out while the program runs', async () => {
    session = await startTmux(['bash', '-c', 'echo waiting; read'], {columns: 40, rows: 5});
    await expect(session.waitFor(() => false, {timeoutMs: 300})).rejects.toThrow(
      /^waitFor: timed out after 300 ms; last screen:\nwaiting\n/,
    );
  });

  it('kill ends the program and the private server', async () => {
    session = await startTmux(['sleep', '30'], {columns: 40, rows: 5});
    await session.kill();
    expect(await session.isAlive()).toBe(false);
    expect(await session.exitCode()).toBeNull();
    await expect(session.screen()).rejects.toThrow(/tmux capture-pane/);
  });
});
