import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {formatReason, parseCliArgs} from '../source/cli-args.js';
import {escapeJsonForTerminal} from '../source/cli-json.js';
import {columns} from '../source/model/columns.js';
import {selectRows, sortColumns} from '../source/model/select.js';
import {noFlags} from './helpers/cli.js';
import {fakeContainer, fakeRow} from './helpers/snapshot-fixture.js';

const flagsOf = (argv: string[]) => {
  const parsed = parseCliArgs(argv);
  expect(parsed.kind, JSON.stringify(argv)).toBe('run');
  return parsed.kind === 'run' ? parsed.flags : noFlags;
};
const reasonOf = (argv: string[]) => {
  const parsed = parseCliArgs(argv);
  expect(parsed.kind, JSON.stringify(argv)).toBe('error');
  return parsed.kind === 'error' ? parsed.reason : '';
};

describe('parseCliArgs', () => {
  it('reads no flags as the defaults', () => {
    expect(flagsOf([])).toEqual(noFlags);
  });

  it('reads every flag, values after a space or =', () => {
    expect(
      flagsOf(['--once', '--no-color', '--port', '80', '--interval=1s', '--sort', 'pid']),
    ).toEqual({
      ...noFlags,
      once: true,
      color: false,
      port: '80',
      interval: '1s',
      sort: 'pid',
    });
    expect(flagsOf(['--json', '--port=3000-4000'])).toMatchObject({json: true, port: '3000-4000'});
  });

  it('reads --group as a switch: no value, once at most', () => {
    expect(flagsOf(['--group'])).toEqual({...noFlags, group: true});
    expect(flagsOf(['--once', '--group', '--sort', 'compose'])).toMatchObject({
      once: true,
      group: true,
      sort: 'compose',
    });
    expect(reasonOf(['--group=yes'])).toBe('--group takes no value (got "--group=yes")');
    expect(reasonOf(['--group', '--group'])).toMatch(/^--group given twice/);
    expect(reasonOf(['-group'])).toBe('unknown flag -group (did you mean --group?)');
  });

  it('takes a value that starts with - as the value: --sort -uptime, as the README writes it', () => {
    expect(flagsOf(['--sort', '-uptime'])).toMatchObject({sort: '-uptime'});
    expect(flagsOf(['--sort=-uptime'])).toMatchObject({sort: '-uptime'});
    expect(flagsOf(['--sort', '-uptime', '--once'])).toMatchObject({sort: '-uptime', once: true});
    // A value is taken as it is, even one that looks like a short flag; cli-config judges it.
    expect(flagsOf(['--port', '-h'])).toMatchObject({port: '-h'});
    expect(flagsOf(['--interval='])).toMatchObject({interval: ''});
  });

  it('-h and --help ask for help; -V, -v and --version for the version; help wins', () => {
    for (const argv of [['-h'], ['--help'], ['--once', '-h'], ['-v', '--help']]) {
      expect(parseCliArgs(argv), JSON.stringify(argv)).toEqual({kind: 'help'});
    }
    for (const argv of [['-V'], ['-v'], ['--version'], ['--port', '80', '-V']]) {
      expect(parseCliArgs(argv), JSON.stringify(argv)).toEqual({kind: 'version'});
    }
  });

  it('refuses a repeated flag with one reason, whatever its spelling', () => {
    expect(reasonOf(['--port', '18080', '--port', '18088'])).toBe(
      '--port given twice (each flag at most once; see --help)',
    );
    expect(reasonOf(['--once', '--once'])).toMatch(/^--once given twice/);
    expect(reasonOf(['--sort=port', '--sort', '-pid'])).toMatch(/^--sort given twice/);
    expect(reasonOf(['-h', '--help'])).toMatch(/^--help given twice/);
    expect(reasonOf(['-v', '-V'])).toMatch(/^--version given twice/);
  });

  it('refuses unknown flags, missing values, values on switches and arguments', () => {
    expect(reasonOf(['--bogus'])).toBe('unknown flag --bogus (see --help)');
    expect(reasonOf(['-uptime'])).toBe('unknown flag -uptime (see --help)');
    expect(reasonOf(['-port', '80'])).toBe('unknown flag -port (did you mean --port?)');
    expect(reasonOf(['--color'])).toBe('unknown flag --color (see --help)');
    expect(reasonOf(['--port'])).toBe('--port needs a value (--port 8080 or --port 8000-8099)');
    expect(reasonOf(['--sort', '--once'])).toMatch(/^--sort needs a value/);
    expect(reasonOf(['--json=yes'])).toBe('--json takes no value (got "--json=yes")');
    expect(reasonOf(['extra'])).toBe('unexpected argument "extra" (flags only; see --help)');
    expect(reasonOf(['-'])).toMatch(/^unexpected argument "-"/);
    expect(reasonOf(['--', 'x'])).toMatch(/^unexpected argument "x"/);
    expect(flagsOf(['--once', '--'])).toMatchObject({once: true});
  });

  it('never throws, and answers one kind for any argv', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.constantFrom('--port', '--sort', '-v', '-h', '--once', '--json', '--', '-', '='),
            fc.string(),
          ),
        ),
        (argv) => {
          const parsed = parseCliArgs(argv);
          expect(['help', 'version', 'run', 'error']).toContain(parsed.kind);
        },
      ),
    );
  });

  it('formats a reason as exactly one line, control characters shown as ?', () => {
    expect(formatReason('unexpected argument "a\nb\u001B[31m"')).toBe(
      'nanodock-top: unexpected argument "a?b?[31m"\n',
    );
  });
});

describe('sort columns (model/select.ts)', () => {
  it('lists every column, in display order', () => {
    expect(sortColumns).toEqual(columns.map((column) => column.id));
    for (const column of columns) {
      expect(column.title.toLowerCase()).toBe(column.id);
    }
  });

  it('sorts text columns by the text their cell shows', () => {
    const rows = [
      fakeRow(8080, {user: 'zed', process: 'b', container: fakeContainer('web', 'a'.repeat(64))}),
      fakeRow(9090, {user: 'amy', process: 'c', container: fakeContainer('api', 'b'.repeat(64))}),
      fakeRow(7070, {user: null, process: 'a', protocol: 'udp', container: null}),
    ];
    for (const column of columns) {
      const sorted = selectRows(rows, {
        filter: {kind: 'none'},
        sort: {column: column.id, descending: false},
      });
      const cells = sorted.map((row) => column.cell(row));
      const numeric = ['port', 'pid', 'uptime'].includes(column.id);
      if (!numeric) {
        expect(cells, column.id).toEqual([...cells].sort((a, b) => a.localeCompare(b)));
      }
    }
  });

  it('sorts by compose project, rows without one as -', () => {
    const rows = [
      fakeRow(1, {container: fakeContainer('a', 'a'.repeat(64), {composeProject: 'zoo'})}),
      fakeRow(2, {container: null}),
      fakeRow(3, {container: fakeContainer('b', 'b'.repeat(64), {composeProject: 'app'})}),
    ];
    const order = (descending: boolean): number[] =>
      selectRows(rows, {filter: {kind: 'none'}, sort: {column: 'compose', descending}}).map(
        (row) => row.port,
      );
    expect(order(false)).toEqual([2, 3, 1]);
    expect(order(true)).toEqual([1, 3, 2]);
  });

  it('sorts by uptime by start time: rows joined at different times still sort by age', () => {
    // A live snapshot keeps rows of earlier joins (keepUnchangedRows): their uptimeSeconds
    // were counted at different times. Started at 100 (joined at 150: 50 s) is older than
    // started at 120 (joined at 200: 80 s).
    const rows = [
      fakeRow(1, {startedAt: 100, uptimeSeconds: 50}),
      fakeRow(2, {startedAt: 120, uptimeSeconds: 80}),
      fakeRow(3, {startedAt: null, uptimeSeconds: null}),
    ];
    const order = (descending: boolean): number[] =>
      selectRows(rows, {filter: {kind: 'none'}, sort: {column: 'uptime', descending}}).map(
        (row) => row.port,
      );
    expect(order(false)).toEqual([3, 2, 1]);
    expect(order(true)).toEqual([1, 2, 3]);
  });
});

describe('escapeJsonForTerminal', () => {
  const unsafe = [
    '\u007F',
    '\u0080',
    '\u009B',
    '\u009F',
    '\u061C',
    '\u200B',
    '\u200E',
    '\u200F',
    '\u2028',
    '\u2029',
    '\u202A',
    '\u202E',
    '\u2060',
    '\u2066',
    '\u2069',
    '\uFEFF',
  ];

  it('writes bidi, zero-width and C1 characters as \\u escapes', () => {
    const json = escapeJsonForTerminal(JSON.stringify({name: `evil\u202Etxt.exe\u200B\u009B`}));
    expect(json).toBe('{"name":"evil\\u202etxt.exe\\u200b\\u009b"}');
    for (const character of unsafe) {
      expect(escapeJsonForTerminal(JSON.stringify([character]))).not.toContain(character);
    }
    // Printable text is left as it is, wide characters and emoji included.
    expect(escapeJsonForTerminal(JSON.stringify(['héllo 世界 🐳 ü']))).toBe('["héllo 世界 🐳 ü"]');
  });

  it('stays valid JSON that parses back to the same value (round trip)', () => {
    const text = fc.oneof(
      fc.string({unit: 'grapheme'}),
      fc.string({unit: fc.constantFrom(...unsafe, 'a', '\\', '"', '\n', '\u0000', '\uD800')}),
      fc.string({unit: 'binary'}),
    );
    const value = fc.dictionary(text, fc.oneof(text, fc.array(text), fc.integer()));
    fc.assert(
      fc.property(value, (input) => {
        const escaped = escapeJsonForTerminal(JSON.stringify(input, null, 2));
        expect(JSON.parse(escaped)).toEqual(input);
        expect(escaped).not.toMatch(/[\u007F-\u009F\u200B-\u200F\u202A-\u202E\u2066-\u2069\uFEFF]/);
      }),
    );
  });
});
