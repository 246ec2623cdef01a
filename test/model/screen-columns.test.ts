import stringWidth from 'string-width';
import {describe, expect, it} from 'vitest';
import {escapeJsonForTerminal} from '../../source/cli-json.js';
import {
  type ColumnId,
  columns,
  fitCell,
  formatTable,
  layoutColumns,
  printable,
  truncate,
} from '../../source/model/columns.js';
import type {SnapshotRow} from '../../source/model/snapshot-row.js';
import {layoutFor, rowLine, titleLine} from '../../source/tui/view.js';
import {fakeContainer, fakeRow} from '../helpers/snapshot-fixture.js';

const web = fakeContainer('nd-web', 'a1'.repeat(32), {image: 'nanodock-lab/busybox:latest'});
const podman = fakeContainer('nd-podman-web', 'b2'.repeat(32), {
  image: 'localhost/nanodock-lab/busybox:latest',
});
const rootless = fakeContainer('nd-rootless-web', 'c3'.repeat(32), {
  image: 'localhost/nanodock-lab/busybox:latest',
});

/** Rows shaped like the lab's: host processes, helpers of three engines, a plain proxy. */
const labRows: SnapshotRow[] = [
  fakeRow(2024, {process: null, pid: null, pids: [], user: null, uptimeSeconds: null}),
  fakeRow(2376, {address: '127.0.0.1', addresses: ['127.0.0.1'], process: 'dockerd'}),
  ...[18080, 18081, 18082, 18083, 18084].map((port) =>
    fakeRow(port, {
      key: `web|${port}`,
      addresses: ['0.0.0.0', '::'],
      process: 'docker-proxy',
      helper: 'docker-proxy',
      container: web,
    }),
  ),
  fakeRow(18085, {process: 'conmon', helper: 'conmon', container: podman}),
  fakeRow(18090, {
    address: '::',
    addresses: ['::'],
    process: 'rootlessport',
    user: 'ndlab',
    helper: 'rootlessport',
    container: rootless,
  }),
  fakeRow(18095, {address: '127.0.0.1', addresses: ['127.0.0.1'], process: 'docker-proxy'}),
];

/** The dashboard's list width for a terminal `columns` wide (Screen keeps one column free). */
const listWidth = (terminal: number): number => terminal - 1;

const titlesOf = (line: string): string[] => line.trim().split(/\s+/);

describe('column layout: titles and the sort mark are never cut while there is room', () => {
  it('--sort=-uptime at 200 columns shows UPTIME▼ whole', () => {
    const placed = layoutFor(labRows, listWidth(200), 'uptime');
    const title = titleLine(placed, {column: 'uptime', descending: true}, listWidth(200));
    expect(titlesOf(title)).toEqual([
      'PROTO',
      'ADDRESS',
      'PORT',
      'PID',
      'PROCESS',
      'USER',
      'CONTAINER',
      'COMPOSE',
      'IMAGE',
      'UPTIME▼',
    ]);
  });

  it('one row with a 4-digit port sorted by port shows PORT▲; no rows sorted by process shows PROCESS▲', () => {
    const one = [labRows[0] as SnapshotRow];
    const placed = layoutFor(one, listWidth(80), 'port');
    expect(titlesOf(titleLine(placed, {column: 'port', descending: false}, 79))).toContain('PORT▲');
    const empty = layoutFor([], listWidth(80), 'process');
    const title = titleLine(empty, {column: 'process', descending: false}, 79);
    expect(titlesOf(title)).toEqual([
      'PROTO',
      'ADDRESS',
      'PORT',
      'PID',
      'PROCESS▲',
      'USER',
      'CONTAINER',
      'COMPOSE',
      'IMAGE',
      'UPTIME',
    ]);
  });

  for (const terminal of [80, 120, 200]) {
    it(`at ${terminal} columns every shown title is whole, for every sort column and direction`, () => {
      for (const column of columns) {
        for (const descending of [false, true]) {
          const placed = layoutFor(labRows, listWidth(terminal), column.id);
          const line = titleLine(placed, {column: column.id, descending}, listWidth(terminal));
          expect(stringWidth(line)).toBe(listWidth(terminal));
          expect(line).not.toContain('…');
          const mark = descending ? '▼' : '▲';
          expect(titlesOf(line)).toEqual(
            placed.map((entry) => entry.column.title + (entry.column.id === column.id ? mark : '')),
          );
        }
      }
    });
  }

  it('COMPOSE gives way first: at 80 columns the table shows what it showed before COMPOSE; at 120 it shows', () => {
    const ids = (terminal: number): string[] =>
      layoutFor(labRows, listWidth(terminal), 'port').map((entry) => entry.column.id);
    expect(ids(80)).toEqual([
      'proto',
      'address',
      'port',
      'pid',
      'process',
      'user',
      'container',
      'uptime',
    ]);
    expect(ids(120)).toEqual(
      columns.filter((column) => column.onlyWhenFilled !== true).map((column) => column.id),
    );
    const at120 = layoutFor(labRows, listWidth(120), 'port');
    const line = rowLine(labRows[2] as SnapshotRow, at120, {}, 119);
    expect(line).toMatch(/nd-web\s+shop\s+nanodock-lab\/busybox:latest/);
    expect(rowLine(labRows[0] as SnapshotRow, at120, {}, 119).trimEnd()).toMatch(/-\s+-\s+-\s+-$/);
  });

  it('at 80 columns IMAGE goes before CONTAINER is cut; at 100 IMAGE shrinks, CONTAINER stays whole', () => {
    const at80 = layoutFor(labRows, listWidth(80), 'port');
    expect(at80.map((entry) => entry.column.id)).not.toContain('image');
    const lines80 = labRows.map((row) => rowLine(row, at80, {}, listWidth(80)));
    expect(lines80.join('\n')).toContain('nd-podman-web');
    expect(lines80.join('\n')).toContain('nd-rootless-web');
    expect(lines80.join('\n')).not.toContain('nd-podman-w…');

    const at100 = layoutFor(labRows, listWidth(100), 'port');
    const image = at100.find((entry) => entry.column.id === 'image');
    expect(image?.width).toBeGreaterThanOrEqual(10);
    expect(image?.width).toBeLessThan('localhost/nanodock-lab/busybox:latest'.length);
    const lines100 = labRows.map((row) => rowLine(row, at100, {}, listWidth(100))).join('\n');
    expect(lines100).toContain('nd-rootless-web ');
    expect(lines100).toContain('docker-proxy ');

    const at120 = layoutFor(labRows, listWidth(120), 'port');
    expect(labRows.map((row) => rowLine(row, at120, {}, 119)).join('\n')).not.toContain('…');
  });

  it('never cuts a column while a column of lower priority is still shown (widths 20 to 250)', () => {
    const natural = new Map(
      layoutColumns(labRows, 10_000, {sortColumn: 'port'}).map((entry) => [
        entry.column.id,
        entry.width,
      ]),
    );
    for (let width = 20; width <= 250; width++) {
      const placed = layoutColumns(labRows, width, {sortColumn: 'port'});
      const used = placed.reduce((sum, entry) => sum + entry.width, 0) + placed.length - 1;
      expect(used, `width ${width}`).toBeLessThanOrEqual(width);
      const cut = placed.filter((entry) => entry.width < (natural.get(entry.column.id) ?? 0));
      for (const entry of cut) {
        const lower = placed.filter(
          (other) => other !== entry && other.column.priority < entry.column.priority,
        );
        expect(
          lower.map((other) => other.column.id),
          `width ${width}: ${entry.column.id} cut`,
        ).toEqual([]);
      }
      for (const entry of placed) {
        const title = stringWidth(entry.column.title) + (entry.column.id === 'port' ? 1 : 0);
        expect(entry.width, `width ${width}: ${entry.column.id}`).toBeGreaterThanOrEqual(title);
      }
    }
  });

  it('keeps the most important column, cut, when nothing else fits', () => {
    const placed = layoutColumns(labRows, 3, {sortColumn: 'process'});
    expect(placed.map((entry) => [entry.column.id, entry.width])).toEqual([['port', 3]]);
  });

  it('--once (formatTable) keeps titles whole too', () => {
    for (const width of [40, 60, 80, 120]) {
      const [header = ''] = formatTable(labRows, width);
      expect(header, `width ${width}`).not.toContain('…');
    }
  });
});

describe('printable: bidi, zero-width and other invisible characters show as ?', () => {
  const invisible = [
    ['LRE', '\u202A'],
    ['RLE', '\u202B'],
    ['PDF', '\u202C'],
    ['LRO', '\u202D'],
    ['RLO', '\u202E'],
    ['LRI', '\u2066'],
    ['RLI', '\u2067'],
    ['FSI', '\u2068'],
    ['PDI', '\u2069'],
    ['ZWSP', '\u200B'],
    ['ZWNJ', '\u200C'],
    ['ZWJ alone', '\u200D'],
    ['LRM', '\u200E'],
    ['RLM', '\u200F'],
    ['ALM', '\u061C'],
    ['word joiner', '\u2060'],
    ['invisible times', '\u2062'],
    ['BOM', '\uFEFF'],
    ['soft hyphen', '\u00AD'],
    ['line separator', '\u2028'],
    ['paragraph separator', '\u2029'],
    ['tag', '\u{E0041}'],
    ['lone surrogate', '\uD800'],
  ] as const;

  for (const [name, char] of invisible) {
    it(`${name} (U+${char.codePointAt(0)?.toString(16).toUpperCase()})`, () => {
      expect(printable(`nd${char}web`)).toBe('nd?web');
      expect(truncate(`nd${char}web`, 20)).toBe('nd?web');
      expect(fitCell(`${char}x`, 3)).toBe('?x ');
    });
  }

  it('a reversed name reads as it is stored, with the override shown', () => {
    expect(printable('evil\u202Etxt.exe')).toBe('evil?txt.exe');
    expect(printable('\u2067admin\u2069')).toBe('?admin?');
  });

  it('keeps a joiner inside an emoji sequence, and text that needs nothing as it is', () => {
    const family = '\u{1F468}\u200D\u{1F469}\u200D\u{1F467}';
    expect(printable(`team ${family}`)).toBe(`team ${family}`);
    const heart = '\u2764\uFE0F\u200D\u{1F525}';
    expect(printable(heart)).toBe(heart);
    expect(printable('\u{1F468}\u200Dx')).toBe('\u{1F468}?x');
    expect(printable('x\u200D\u{1F468}')).toBe('x?\u{1F468}');
    expect(printable('数据库 café ñ')).toBe('数据库 café ñ');
    expect(printable('nginx: master process')).toBe('nginx: master process');
  });

  it('every cell and --once line of a row with such names shows ?', () => {
    const row = fakeRow(18220, {
      process: 'nd\u202Elive',
      command: ['/tmp/nd\u202Elive', '--x\u200B'],
      container: fakeContainer('c\u2066name', 'd4'.repeat(32), {image: 'img\uFEFF'}),
    });
    const lines = formatTable([row], null);
    expect(lines[1]).toContain('nd?live');
    expect(lines[1]).toContain('c?name');
    expect(lines[1]).toContain('img?');
    expect(lines.join('\n')).not.toMatch(/[\u202A-\u202E\u2066-\u2069\u200B\uFEFF]/);
    const placed = layoutFor([row], 119, 'port' as ColumnId);
    expect(rowLine(row, placed, {}, 119)).not.toMatch(/[\u202A-\u202E\u2066-\u2069\uFEFF]/);
  });
});

describe('--json keeps the data and escapes what would reorder or hide text', () => {
  it('writes format characters as \\u escapes that parse back to the same strings', () => {
    const names = ['nd\u202Eevil', 'a\u200Bb\uFEFF', 'tag\u{E0041}', 'line\u2028x', 'ok 数据'];
    const json = escapeJsonForTerminal(JSON.stringify(names));
    expect(json).not.toMatch(/[\u202A-\u202E\u200B\uFEFF\u2028]|\u{E0041}/u);
    expect(json).toContain('nd\\u202eevil');
    expect(json).toContain('ok 数据');
    expect(JSON.parse(json)).toEqual(names);
  });
});
