import stringWidth from 'string-width';
import {describe, expect, it} from 'vitest';
import {
  columns,
  fitCell,
  formatTable,
  layoutColumns,
  printable,
  truncate,
} from '../../source/model/columns.js';
import {
  formatFilter,
  matchesFilter,
  parseFilter,
  parsePortFilter,
} from '../../source/model/filter.js';
import {formatUptime} from '../../source/model/format.js';
import type {SnapshotRow} from '../../source/model/snapshot-row.js';
import {fakeContainer, fakeRow} from '../helpers/snapshot-fixture.js';

const row = (port: number, extra: Partial<SnapshotRow> = {}): SnapshotRow => ({
  key: `k${port}`,
  protocol: 'tcp',
  address: '0.0.0.0',
  addresses: ['0.0.0.0'],
  lastPort: port,
  port,
  pids: [1],
  pid: 1,
  process: 'nginx',
  user: 'www-data',
  uptimeSeconds: 3725,
  startedAt: null,
  startTicks: 1234,
  command: [],
  helper: null,
  untrusted: null,
  container: null,
  ambiguous: false,
  candidates: [],
  ...extra,
});

describe('filters', () => {
  it('parses ports and ranges, and says what is wrong', () => {
    expect(parsePortFilter('5432')).toEqual({kind: 'port', from: 5432, to: 5432});
    expect(parsePortFilter('3000-4000')).toEqual({kind: 'port', from: 3000, to: 4000});
    expect(parsePortFilter(' 3000 - 4000 ')).toEqual({kind: 'port', from: 3000, to: 4000});
    expect(parsePortFilter('0')).toMatch(/not a port/);
    expect(parsePortFilter('70000')).toMatch(/not a port/);
    expect(parsePortFilter('4000-3000')).toMatch(/backwards/);
    expect(parsePortFilter('web')).toMatch(/not a port/);
  });

  it('reads prompt text as a port when it is one, else as text', () => {
    expect(parseFilter('')).toEqual({kind: 'none'});
    expect(parseFilter('80')).toEqual({kind: 'port-prefix', prefix: '80'});
    expect(parseFilter('=80')).toEqual({kind: 'port', from: 80, to: 80});
    expect(parseFilter('Nginx')).toEqual({kind: 'text', needle: 'nginx'});
    expect(parseFilter('99999')).toEqual({kind: 'text', needle: '99999'});
  });

  it('matches ports, ranges and text against process, user, container and image', () => {
    expect(matchesFilter(row(80), parseFilter('80'))).toBe(true);
    expect(matchesFilter(row(81), parseFilter('80'))).toBe(false);
    expect(matchesFilter(row(8080), parseFilter('80'))).toBe(true);
    expect(matchesFilter(row(8080), parseFilter('=80'))).toBe(false);
    expect(matchesFilter(row(3500), parseFilter('3000-4000'))).toBe(true);
    expect(matchesFilter(row(80), parseFilter('WWW'))).toBe(true);
    expect(matchesFilter(row(80), parseFilter('postgres'))).toBe(false);
    expect(formatFilter(parseFilter('3000-4000'))).toBe('3000-4000');
  });

  it('matches text against the compose project too', () => {
    const shop = fakeRow(80, {container: fakeContainer('web', 'a'.repeat(64))});
    const bare = fakeRow(81, {
      container: fakeContainer('db', 'b'.repeat(64), {composeProject: null, labels: {}}),
    });
    expect(matchesFilter(shop, parseFilter('SHOP'))).toBe(true);
    expect(matchesFilter(bare, parseFilter('shop'))).toBe(false);
    expect(matchesFilter(fakeRow(82), parseFilter('shop'))).toBe(false);
  });
});

describe('columns and formatting', () => {
  it('formats uptimes compactly', () => {
    expect(formatUptime(null)).toBe('-');
    expect(formatUptime(42)).toBe('42s');
    expect(formatUptime(17 * 60)).toBe('17m');
    expect(formatUptime(3725)).toBe('1h02m');
    expect(formatUptime(3 * 86_400 + 7200)).toBe('3d02h');
  });

  it('truncates with an ellipsis and counts wide characters as two cells', () => {
    expect(truncate('container-name', 8)).toBe('contain…');
    expect(fitCell('数据库', 8)).toBe('数据库  ');
    expect(truncate('数据库服务', 5)).toBe('数据…');
    expect(stringWidth(truncate('数据库服务', 5))).toBe(5);
    expect(fitCell('ab', 4, 'right')).toBe('  ab');
    expect(fitCell('数据库', 5)).toBe('数据…');
  });

  it('shows control characters as ? so names cannot send escape sequences to the terminal', () => {
    const evil = 'x\u001B]52;c;aGk=\u0007\u001B[2J\u009B31m\ty\u007F';
    expect(printable(evil)).toBe('x?]52;c;aGk=??[2J?31m?y?');
    expect(truncate(evil, 40)).toBe('x?]52;c;aGk=??[2J?31m?y?');
    expect(truncate(evil, 6)).toBe('x?]52…');
    expect(fitCell('\u001B[31mred', 8)).toBe('?[31mred');
    const row = {...fakeRow(80), process: 'ev\u001B[8mil'};
    const placed = layoutColumns([row], null);
    expect(placed.find((entry) => entry.column.id === 'process')?.width).toBe(8);
  });

  it('lays out every column at natural width when there is room', () => {
    const placed = layoutColumns([row(80)], 200);
    expect(placed.map((entry) => entry.column.id)).toEqual(
      columns.filter((column) => column.onlyWhenFilled !== true).map((column) => column.id),
    );
  });

  it('formats a header and a line per row: cells fitted and aligned, one space apart, no trailing blanks', () => {
    expect(
      formatTable([row(80), row(5432, {process: 'postgres', uptimeSeconds: 42})], null),
    ).toEqual([
      'PROTO ADDRESS PORT PID PROCESS  USER     CONTAINER COMPOSE IMAGE UPTIME',
      'tcp   0.0.0.0   80   1 nginx    www-data -         -       -      1h02m',
      'tcp   0.0.0.0 5432   1 postgres www-data -         -       -        42s',
    ]);
    // Titles are never cut: at 30 cells the columns that do not fit go whole.
    expect(formatTable([row(80)], 30)).toEqual([
      'PORT PID PROCESS CONTAINER',
      '  80   1 nginx   -',
    ]);
  });

  it('shrinks to fit narrow widths, never wider than asked, dropping low-priority columns last', () => {
    const rows = [row(80, {process: 'a-very-long-process-name', user: 'someone-long'})];
    for (const width of [120, 80, 60, 40, 20]) {
      for (const line of formatTable(rows, width)) {
        expect(stringWidth(line)).toBeLessThanOrEqual(width);
      }
    }
    const narrow = layoutColumns(rows, 40).map((entry) => entry.column.id);
    expect(narrow).toContain('port');
    expect(narrow).not.toContain('uptime');
  });
});
