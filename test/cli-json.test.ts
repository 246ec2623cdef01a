import {describe, expect, it} from 'vitest';
import {escapeJsonForTerminal, writeJsonRows} from '../source/cli-json.js';
import {toJsonRow} from '../source/model/format.js';
import type {SnapshotRow} from '../source/model/snapshot-row.js';
import {fakeContainer, fakeRow} from './helpers/snapshot-fixture.js';

/** What --json printed before writeJsonRows: the reference the writer must match. */
function referenceJson(rows: readonly SnapshotRow[]): string {
  const lines = rows.map((row) => JSON.stringify(toJsonRow(row)));
  const json = lines.length === 0 ? '[]' : `[\n${lines.join(',\n')}\n]`;
  return `${escapeJsonForTerminal(json)}\n`;
}

function written(rows: readonly SnapshotRow[], chunkBytes?: number): string {
  const chunks: Uint8Array[] = [];
  writeJsonRows(rows, (chunk) => chunks.push(chunk), chunkBytes);
  return Buffer.concat(chunks).toString('utf8');
}

/** Characters a terminal acts on unseen; none may be left raw in the output. */
const rawUnsafe = /[\u007F-\u009F\p{Cf}\p{Zl}\p{Zp}]|\p{Cs}/u;

/** Strings of other users and engines, each with characters a terminal must not get raw. */
const hostile = [
  'bidi\u202Eevil\u202C', // right-to-left override
  'csi\u009B31m', // C1 CSI
  'del\u007F',
  'line\u2028sep\u2029',
  'lone\uD800high',
  'lone\uDC00low',
  'tag\u{E0041}\u{E007F}', // astral format characters (tag characters)
  'bom\uFEFFzw\u200B',
  'esc\u001B[2J',
  'quote"back\\slash',
  'émoji 🐳 ok',
];

function hostileRows(): SnapshotRow[] {
  const web = fakeContainer(hostile[0] as string, 'a1b2c3d4e5f6a7b8c9d0');
  const other = {
    ...fakeContainer('other', 'ffeeddccbbaa99887766'),
    image: hostile[4] as string,
    endpoint: hostile[3] as string,
  };
  const shared = ['node', hostile[6] as string, '--flag'];
  return [
    fakeRow(0, {pids: [], pid: null, process: null, user: null, uptimeSeconds: null, command: []}),
    ...hostile.map((text, index) =>
      fakeRow(1000 + index, {
        process: text,
        user: hostile[(index + 1) % hostile.length] as string,
        command: [text, 'x', hostile[(index + 2) % hostile.length] as string],
        untrusted: index % 3 === 0 ? `named conmon, but ${text}` : null,
      }),
    ),
    // Many rows of one process: its command line is the same array.
    ...[1, 2, 3, 4, 5].map((port) => fakeRow(2000 + port, {process: 'node', command: shared})),
    // The same command line with other facts: each writes its own.
    fakeRow(2010, {process: 'node', command: shared, uptimeSeconds: 5}),
    fakeRow(2011, {process: 'node', command: shared, container: web}),
    fakeRow(2012, {process: 'node', command: shared, user: hostile[1] as string}),
    fakeRow(2013, {process: 'node', command: shared, candidates: [web], ambiguous: true}),
    fakeRow(2014, {process: 'node', command: shared, address: '::1', addresses: ['127.0.0.1']}),
    fakeRow(2015, {process: 'node', command: shared, protocol: 'udp'}),
    fakeRow(3000, {
      helper: 'docker-proxy',
      addresses: ['0.0.0.0', '::'],
      pids: [7, 8],
      container: web,
      sockets: 3,
    }),
    fakeRow(3001, {container: other, uptimeSeconds: Number.NaN}),
    fakeRow(3002, {
      port: 10_000,
      lastPort: 20_000,
      ambiguous: true,
      candidates: [web, other],
      address: 'host\u200Eip',
      addresses: ['host\u200Eip'],
    }),
  ];
}

describe('writeJsonRows (--json)', () => {
  it('writes what toJsonRow and JSON.stringify write, byte for byte', () => {
    const rows = hostileRows();
    expect(written(rows)).toBe(referenceJson(rows));
    // Buffer edges anywhere: smaller than a row or a fragment, odd sizes, one for all.
    for (const size of [1, 2, 3, 7, 64, 333, 4096, 1 << 20]) {
      expect(written(rows, size)).toBe(referenceJson(rows));
    }
  });

  it('parses back to the JSON rows, hostile strings included', () => {
    const rows = hostileRows();
    expect(JSON.parse(written(rows))).toEqual(JSON.parse(JSON.stringify(rows.map(toJsonRow))));
    const parsed = JSON.parse(written(rows)) as Array<{process: string | null}>;
    expect(parsed.slice(1, 1 + hostile.length).map((row) => row.process)).toEqual(hostile);
  });

  it('leaves no character a terminal acts on raw', () => {
    const text = written(hostileRows());
    expect(rawUnsafe.test(text)).toBe(false);
    expect(text).toContain('\\u202e');
    expect(text).toContain('\\udb40\\udc41'); // U+E0041 as its surrogate pair
    expect(text).toContain('\\ud800');
    expect(text).toContain('🐳'); // printable beyond ASCII stays as it is
  });

  it('writes [] for no rows, as before', () => {
    expect(written([])).toBe('[]\n');
    expect(written([])).toBe(referenceJson([]));
  });
});
