import {spawnSync} from 'node:child_process';
import {readFileSync} from 'node:fs';
import {afterEach, describe, expect, it} from 'vitest';
import {
  defaultWaitPattern,
  defaultWaitTimeoutMs,
  parseTape,
  type ReplaySession,
  replayTape,
  TapeKeyError,
  type TapeStep,
  TapeWaitError,
} from './tape.js';
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
      'Screenshot out.png',
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

  it("parses the repository's demo.tape: hidden set-up puts nanodock-top on PATH, then the used-by flow with a wait after each action", () => {
    const tape = readFileSync(new URL('../../demo.tape', import.meta.url), 'utf8');
    const steps = parseTape(tape).filter(
      (step) => step.kind !== 'ignored' && step.kind !== 'sleep',
    );
    const brief = steps.map((step) => {
      switch (step.kind) {
        case 'type':
          return `type ${step.text}`;
        case 'key':
          return `key ${step.key}`;
        case 'wait':
          return `wait ${step.scope} ${step.pattern.source}`;
        default:
          return step.kind;
      }
    });
    const setup = brief[1] ?? '';
    expect(setup).toMatch(
      /npm install --global --prefix "\$prefix" .* \. .*export PATH="\$prefix\/bin:\$PATH"/,
    );
    expect(brief).toEqual([
      'hide',
      setup,
      'key Enter',
      `wait line ${defaultWaitPattern.source}`,
      'show',
      'type nanodock-top',
      'key Enter',
      'wait screen nd-demo',
      'type /',
      'type 18088',
      'key Enter',
      'wait screen filter: 18088',
      'type t',
      'wait screen ▾ nd-demo',
      'type l',
      'wait screen logs of nd-demo',
      'key Escape',
      'wait screen PROTO',
      'type k',
      'wait screen Kill container nd-demo',
      'type y',
      'wait screen killed nd-demo',
      'type q',
      `wait line ${defaultWaitPattern.source}`,
      'hide',
      'type rm -rf "$prefix"',
      'key Enter',
      `wait line ${defaultWaitPattern.source}`,
    ]);
    // No fixed sleep stands in for a wait: every action the dashboard answers is waited for.
    expect(tape).not.toMatch(/dist\/cli\.js/);
    const waits = steps.filter((step) => step.kind === 'wait');
    expect(waits.every((step) => step.timeoutMs === 30_000)).toBe(true);
  });
});

describe('parseTape: Wait, Hide and Show', () => {
  it.each([
    ['Wait', 'line', defaultWaitPattern, defaultWaitTimeoutMs],
    ['Wait /ready/', 'line', /ready/, defaultWaitTimeoutMs],
    ['Wait+Line /\\$ $/', 'line', /\$ $/, defaultWaitTimeoutMs],
    ['Wait+Screen /nd-demo/', 'screen', /nd-demo/, defaultWaitTimeoutMs],
    ['Wait@5s /ready/', 'line', /ready/, 5000],
    ['Wait+Screen@500ms /Kill container/', 'screen', /Kill container/, 500],
    ['Wait+Screen@1.5 /x/', 'screen', /x/, 1500],
    ['Wait+Line@2m', 'line', defaultWaitPattern, 120_000],
    ['Wait /(?i)killed nd-[a-z]+/', 'line', /killed nd-[a-z]+/i, defaultWaitTimeoutMs],
    ['Wait /(?P<port>\\d+) tcp/', 'line', /(?<port>\d+) tcp/, defaultWaitTimeoutMs],
    ['Wait+Screen /filter: 18088/ # a comment', 'screen', /filter: 18088/, defaultWaitTimeoutMs],
  ])('reads %s', (line, scope, pattern, timeoutMs) => {
    expect(parseTape(line)).toEqual([
      {kind: 'wait', scope, pattern, timeoutMs, line, lineNumber: 1},
    ]);
  });

  it('takes the timeout and the bare pattern from the Set lines before each Wait', () => {
    const steps = parseTape(
      [
        'Wait',
        'Set WaitTimeout 30s',
        'Set WaitPattern /\\$$/',
        'Wait',
        'Wait@2s /x/',
        'Set WaitTimeout 500ms',
        'Wait+Screen',
      ].join('\n'),
    );
    expect(steps.map((step) => step.kind)).toEqual([
      'wait',
      'ignored',
      'ignored',
      'wait',
      'wait',
      'ignored',
      'wait',
    ]);
    const waits = steps.filter((step) => step.kind === 'wait');
    expect(waits.map((step) => [step.pattern.source, step.timeoutMs, step.lineNumber])).toEqual([
      ['>$', 15_000, 1],
      ['\\$$', 30_000, 4],
      ['x', 2000, 5],
      ['\\$$', 500, 7],
    ]);
    expect(steps[1]).toMatchObject({reason: 'WaitTimeout applies to the Wait lines after it'});
  });

  it('matches as VHS does: the default pattern finds its prompt at the end of the line', () => {
    expect(defaultWaitPattern.test('> ')).toBe(false);
    expect(defaultWaitPattern.test('>')).toBe(true);
    expect(defaultWaitPattern.test('> nanodock-top')).toBe(false);
  });

  it.each([
    ['Wait+Scren /x/', /Wait\+ takes Line or Screen/],
    ['Wait+ /x/', /Wait\+ takes Line or Screen/],
    ['Wait@0s /x/', /positive time/],
    ['Wait@ /x/', /positive time/],
    ['Wait@soon /x/', /positive time/],
    ['Wait /unterminated', /unterminated regex/],
    ['Wait "text"', /takes a \/regex\//],
    ['Wait /a/ /b/', /unexpected text/],
    ['Wait /(/', /invalid regex \/\(\//],
    ['Wait /(?U)x/', /flag U has no JavaScript equivalent/],
    ['Set WaitTimeout 0', /positive time/],
    ['Set WaitTimeout', /positive time/],
    ['Set WaitPattern', /needs a \/regex\//],
    ['Set WaitPattern /[/', /invalid regex/],
  ])('throws a TapeWaitError on %j', (line, message) => {
    const tape = `Type "x"\n\n${line}\n`;
    expect(() => parseTape(tape)).toThrow(message);
    try {
      parseTape(tape);
    } catch (error) {
      expect(error).toBeInstanceOf(TapeWaitError);
      expect(error).toMatchObject({name: 'TapeWaitError', lineNumber: 3, line});
      expect((error as Error).message).toMatch(/^tape line 3: /);
    }
  });

  it('reads Hide and Show as steps that send nothing', () => {
    expect(parseTape('Hide\nType "set-up"\nEnter\nShow')).toEqual([
      {kind: 'hide'},
      {kind: 'type', text: 'set-up'},
      {kind: 'key', key: 'Enter', repeat: 1},
      {kind: 'show'},
    ]);
    expect(parseTape('Hide now')).toEqual([
      {kind: 'ignored', line: 'Hide now', reason: 'Hide takes nothing after it'},
    ]);
  });
});

/** A fake terminal: a script of screens (one per read) and a cursor line. */
function fakeSession(screens: string[], cursorLine = 0) {
  const calls: string[] = [];
  let reads = 0;
  const session: ReplaySession = {
    send: async (...keys: string[]) => {
      calls.push(`send ${keys.join(' ')}`);
    },
    type: async (text: string) => {
      calls.push(`type ${text}`);
    },
    screen: async () => {
      const screen = screens[Math.min(reads, screens.length - 1)] ?? '';
      reads += 1;
      return screen;
    },
    cursor: async () => ({column: 0, line: cursorLine}),
  };
  return {session, calls, reads: () => reads};
}

describe('replayTape', () => {
  it('sends text, repeated keys and scaled sleeps in order, awaiting onStep after each', async () => {
    const {session, calls} = fakeSession(['']);
    const steps = parseTape('Output x.gif\nHide\nType "ab"\nShow\nUp 3\nSleep 2s\nCtrl+C');
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
      'step 1 hide',
      'type ab',
      'step 2 type',
      'step 3 show',
      'send Up Up Up',
      'step 4 key',
      'step 5 sleep',
      'send C-c',
      'step 6 key',
    ]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(15);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('Wait+Screen polls the screen until the regex matches, then goes on', async () => {
    const fake = fakeSession(['loading', 'loading', 'PROTO\n* tcp 18088 nd-demo', 'gone']);
    await replayTape(fake.session, parseTape('Wait+Screen /nd-demo/\nType "k"'), {pollMs: 1});
    expect(fake.reads()).toBe(3);
    expect(fake.calls).toEqual(['type k']);
  });

  it('Wait reads only the line the cursor is on', async () => {
    // The screen holds a ">" at the end of line 0, but the cursor is on line 1.
    const fake = fakeSession(['> nanodock-top >\n> nanodock-top', 'x >\n>'], 1);
    await replayTape(fake.session, parseTape('Wait@5s\nType "done"'), {pollMs: 1});
    expect(fake.reads()).toBe(2);
    expect(fake.calls).toEqual(['type done']);
  });

  it('fails a Wait that times out with the tape line, the regex, the cursor line and the screen', async () => {
    const fake = fakeSession(['nanodock-top  vm  3 rows\n  PROTO ADDRESS\nstill here'], 2);
    const steps = parseTape('Type "q"\n\nWait@200ms /^>$/');
    const started = Date.now();
    await expect(replayTape(fake.session, steps, {pollMs: 20})).rejects.toThrow(
      'tape line 3: Wait /^>$/ did not match within 200 ms; the cursor\'s line was "still here"; last screen:\nnanodock-top  vm  3 rows\n  PROTO ADDRESS\nstill here\n--- end of screen',
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    await expect(
      replayTape(fake.session, parseTape('Wait+Screen@50ms /nd-demo/'), {pollMs: 10}),
    ).rejects.toThrow(
      /^tape line 1: Wait\+Screen \/nd-demo\/ did not match within 50 ms; last screen:\n/,
    );
  });

  it('never scales a Wait with sleepScale', async () => {
    const fake = fakeSession(['a', 'a', 'a', 'b']);
    await replayTape(fake.session, parseTape('Wait+Screen@5s /b/'), {sleepScale: 0, pollMs: 1});
    expect(fake.reads()).toBe(4);
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

  it('cursor() gives the column and line of the cursor, as screen() numbers lines', async () => {
    session = await startTmux(['bash', '-c', 'printf "ab\\ncd"; read'], {columns: 40, rows: 5});
    await session.waitFor((text) => text.includes('cd'));
    expect(await session.cursor()).toEqual({column: 2, line: 1});
  });

  it('replays a tape with a hidden set-up and waits in a real shell', async () => {
    session = await startTmux(['bash', '--norc', '--noprofile'], {
      columns: 60,
      rows: 10,
      env: {PS1: '> '},
    });
    const tape = [
      'Set WaitTimeout 10s',
      'Hide',
      "Type 'export GREETING=hi && clear'",
      'Enter',
      'Wait',
      'Show',
      `Type 'sleep 0.3; echo "$GREETING there"'`,
      'Enter',
      'Wait+Screen /hi there/',
      'Wait',
    ].join('\n');
    const kinds: string[] = [];
    await replayTape(session, parseTape(tape), {
      onStep: (step) => {
        kinds.push(step.kind);
      },
    });
    expect(kinds).toEqual([
      'ignored',
      'hide',
      'type',
      'key',
      'wait',
      'show',
      'type',
      'key',
      'wait',
      'wait',
    ]);
    expect(await session.screen()).toBe('> sleep 0.3; echo "$GREETING there"\nhi there\n>');
  });

  it('kill ends the program and the private server', async () => {
    session = await startTmux(['sleep', '30'], {columns: 40, rows: 5});
    await session.kill();
    expect(await session.isAlive()).toBe(false);
    expect(await session.exitCode()).toBeNull();
    await expect(session.screen()).rejects.toThrow(/tmux capture-pane/);
  });
});
