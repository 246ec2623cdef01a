import stringWidth from 'string-width';
import {describe, expect, it} from 'vitest';
import {formatTable} from '../../source/model/columns.js';
import type {SnapshotRow} from '../../source/model/snapshot-row.js';
import {
  buildTree,
  formatTreeTable,
  groupHeaderText,
  type TreeGroupLine,
  type TreeLine,
} from '../../source/model/tree.js';
import {fakeContainer, fakeRow} from '../helpers/snapshot-fixture.js';

const dockerSocket = 'unix:///var/run/docker.sock';
const podmanSocket = 'unix:///run/podman/podman.sock';

const web = fakeContainer('web', 'a1'.repeat(32), {image: 'nginx:1', status: 'Up 5 minutes'});
const api = fakeContainer('api', 'b2'.repeat(32), {image: 'api:2'});
const db = fakeContainer('db', 'c3'.repeat(32), {
  image: 'postgres:16',
  composeProject: null,
  labels: {},
});
const podmanWeb = fakeContainer('pweb', 'd4'.repeat(32), {
  endpoint: podmanSocket,
  engine: 'podman',
});

/** Rows as selectRows gives them, sorted by port. */
const rows: SnapshotRow[] = [
  fakeRow(22, {key: 'sshd4', process: 'sshd', pid: 812, pids: [812], startTicks: 77}),
  fakeRow(22, {
    key: 'sshd6',
    address: '::',
    addresses: ['::'],
    process: 'sshd',
    pid: 812,
    pids: [812],
    startTicks: 77,
  }),
  fakeRow(2024, {key: 'nobody1', process: null, pid: null, pids: [], user: null}),
  fakeRow(5432, {key: 'db', container: db}),
  fakeRow(7000, {
    key: 'ambiguous',
    pid: 900,
    pids: [900],
    startTicks: 9,
    process: 'proxy',
    ambiguous: true,
    candidates: [web, api],
  }),
  fakeRow(9090, {key: 'api', container: api}),
  fakeRow(18080, {
    key: 'web-proxy',
    process: 'docker-proxy',
    helper: 'docker-proxy',
    container: web,
  }),
  fakeRow(18081, {key: 'web-udp', protocol: 'udp', container: web}),
  fakeRow(18085, {key: 'pweb', process: 'conmon', helper: 'conmon', container: podmanWeb}),
  fakeRow(40000, {key: 'nobody2', process: null, pid: null, pids: [], user: null}),
];

/** A line as `kind key depth`, groups with ▾ or ▸. */
function shape(lines: readonly TreeLine[]): string[] {
  return lines.map((line) =>
    line.kind === 'group'
      ? `${'  '.repeat(line.depth)}${line.expanded ? '▾' : '▸'} ${line.key}`
      : `${'  '.repeat(line.depth)}${line.key}`,
  );
}

const groupsOf = (lines: readonly TreeLine[]): TreeGroupLine[] =>
  lines.filter((line): line is TreeGroupLine => line.kind === 'group');

const shopKey = `group:project:${dockerSocket}\u0000shop`;
const podmanShopKey = `group:project:${podmanSocket}\u0000shop`;

describe('buildTree', () => {
  it('groups containers under projects, others by container or process, in the order of first rows', () => {
    expect(shape(buildTree(rows, new Set()))).toEqual([
      '▾ group:process:812:77',
      '  sshd4',
      '  sshd6',
      '▾ group:process:none',
      '  nobody1',
      '  nobody2',
      `▾ group:container:${'c3'.repeat(32)}`,
      '  db',
      '▾ group:process:900:9',
      '  ambiguous',
      `▾ ${shopKey}`,
      `  ▾ group:container:${'b2'.repeat(32)}`,
      '    api',
      `  ▾ group:container:${'a1'.repeat(32)}`,
      '    web-proxy',
      '    web-udp',
      `▾ ${podmanShopKey}`,
      `  ▾ group:container:${'d4'.repeat(32)}`,
      '    pweb',
    ]);
  });

  it('gives each group its facts: rows under it, containers, distinct ports', () => {
    const groups = new Map(groupsOf(buildTree(rows, new Set())).map((line) => [line.key, line]));
    const shop = groups.get(shopKey);
    expect(shop).toMatchObject({
      group: 'project',
      depth: 0,
      project: 'shop',
      endpoint: dockerSocket,
      container: null,
      pid: null,
      containers: 2,
      ports: 3,
      hasNamesake: true,
    });
    expect(shop?.rows.map((row) => row.key)).toEqual(['api', 'web-proxy', 'web-udp']);
    expect(groups.get(`group:container:${'a1'.repeat(32)}`)).toMatchObject({
      group: 'container',
      depth: 1,
      container: web,
      project: 'shop',
      containers: 1,
      ports: 2,
      hasNamesake: false,
    });
    // Two rows on port 22 (IPv4, IPv6): one port.
    expect(groups.get('group:process:812:77')).toMatchObject({
      group: 'process',
      pid: 812,
      startTicks: 77,
      process: 'sshd',
      user: 'root',
      containers: 0,
      ports: 1,
    });
    expect(groups.get('group:process:none')).toMatchObject({pid: null, process: null, ports: 2});
    // The ambiguous row is its process's: its container is not known.
    expect(groups.get('group:process:900:9')?.rows.map((row) => row.key)).toEqual(['ambiguous']);
    // Keys never collide with a row's, nor with each other.
    const keys = buildTree(rows, new Set()).map((line) => line.key);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('shows a collapsed group as its header only, its facts still whole', () => {
    const webKey = `group:container:${'a1'.repeat(32)}`;
    const lines = buildTree(rows, new Set([shopKey, 'group:process:none', webKey]));
    const shape1 = shape(lines);
    expect(shape1).toContain(`▸ ${shopKey}`);
    expect(shape1).not.toContain('    api');
    expect(shape1).not.toContain('  nobody1');
    const shop = groupsOf(lines).find((line) => line.key === shopKey);
    expect(shop?.rows).toHaveLength(3);
    expect(shop?.containers).toBe(2);
    // A container collapsed inside an expanded project: its header, not its rows.
    const inside = shape(buildTree(rows, new Set([webKey])));
    expect(inside).toContain(`  ▸ ${webKey}`);
    expect(inside).toContain('    api');
    expect(inside).not.toContain('    web-proxy');
  });

  it('follows the given order between groups and inside them', () => {
    const reversed = [...rows].reverse();
    expect(shape(buildTree(reversed, new Set()))).toEqual([
      '▾ group:process:none',
      '  nobody2',
      '  nobody1',
      `▾ ${podmanShopKey}`,
      `  ▾ group:container:${'d4'.repeat(32)}`,
      '    pweb',
      `▾ ${shopKey}`,
      `  ▾ group:container:${'a1'.repeat(32)}`,
      '    web-udp',
      '    web-proxy',
      `  ▾ group:container:${'b2'.repeat(32)}`,
      '    api',
      '▾ group:process:900:9',
      '  ambiguous',
      `▾ group:container:${'c3'.repeat(32)}`,
      '  db',
      '▾ group:process:812:77',
      '  sshd6',
      '  sshd4',
    ]);
  });

  it('keeps every key across refreshes that make new row objects', () => {
    const first = buildTree(rows, new Set()).map((line) => line.key);
    const again = buildTree(structuredClone(rows), new Set()).map((line) => line.key);
    expect(again).toEqual(first);
  });

  it('keys a container without an id by its endpoint and name; a process without start ticks by ?', () => {
    const noId = fakeContainer('ghost', '', {composeProject: null});
    const lines = buildTree(
      [fakeRow(1, {container: noId}), fakeRow(2, {pid: 5, startTicks: null})],
      new Set(),
    );
    expect(groupsOf(lines).map((line) => line.key)).toEqual([
      `group:container:${dockerSocket}\u0000ghost`,
      'group:process:5:?',
    ]);
  });

  it('gives no lines for no rows', () => {
    expect(buildTree([], new Set())).toEqual([]);
  });

  it('builds 20,000 rows in one pass (no quadratic lookups)', () => {
    const containers = Array.from({length: 2000}, (_, index) =>
      fakeContainer(`c${index}`, index.toString(16).padStart(64, '0'), {
        composeProject: index % 2 === 0 ? `p${(index / 2) % 50}` : null,
      }),
    );
    const many = Array.from({length: 20_000}, (_, index) =>
      index < 5000
        ? fakeRow(1 + (index % 60_000), {
            key: `h${index}`,
            pid: 10_000 + (index % 500),
            startTicks: 1,
          })
        : fakeRow(1 + (index % 60_000), {key: `c${index}`, container: containers[index % 2000]}),
    );
    const lines = buildTree(many, new Set());
    const groups = groupsOf(lines);
    expect(lines.length - groups.length).toBe(20_000);
    expect(groups.filter((line) => line.group === 'project')).toHaveLength(50);
    expect(groups.filter((line) => line.group === 'container')).toHaveLength(2000);
    expect(groups.filter((line) => line.group === 'process')).toHaveLength(500);
  });
});

describe('groupHeaderText', () => {
  const lines = buildTree(rows, new Set());
  const header = (key: string, now?: number): string => {
    const line = groupsOf(lines).find((candidate) => candidate.key === key);
    return line === undefined ? '' : groupHeaderText(line, now);
  };

  it('says what each kind of group is', () => {
    expect(header(shopKey)).toBe(`▾ compose shop on ${dockerSocket}  (2 containers, 3 ports)`);
    expect(header(`group:container:${'a1'.repeat(32)}`)).toBe(
      '  ▾ web  a1a1a1a1a1a1  nginx:1  docker  running  Up 5 minutes  2 ports',
    );
    expect(header(`group:container:${'c3'.repeat(32)}`)).toBe(
      '▾ db  c3c3c3c3c3c3  postgres:16  docker  running  Up 1 hour  1 port',
    );
    expect(header('group:process:812:77')).toBe('▾ sshd (pid 812, root)  up 2m  1 port');
    expect(header('group:process:none')).toBe('▾ no process visible  2 ports');
  });

  it('names a project by itself when no other engine has one of its name; ▸ when collapsed', () => {
    const alone = buildTree(rows.slice(0, 8), new Set([shopKey]));
    const shop = groupsOf(alone).find((line) => line.key === shopKey);
    expect(shop && groupHeaderText(shop)).toBe('▸ compose shop  (2 containers, 3 ports)');
  });

  it('counts a process uptime to now', () => {
    const started = fakeRow(22, {pid: 1, startTicks: 1, startedAt: 1000, uptimeSeconds: 5});
    const [line] = groupsOf(buildTree([started], new Set()));
    expect(line && groupHeaderText(line, 1000 + 3725)).toBe(
      '▾ svc22 (pid 1, root)  up 1h02m  1 port',
    );
    const unknown = fakeRow(22, {pid: 1, user: null, uptimeSeconds: null});
    const [bare] = groupsOf(buildTree([unknown], new Set()));
    expect(bare && groupHeaderText(bare)).toBe('▾ svc22 (pid 1)  1 port');
  });

  it("counts a container's uptime to now from its oldest process, not the list's stale status", () => {
    const solo = fakeContainer('solo', 'f6'.repeat(32), {
      composeProject: null,
      status: 'Up 2 seconds',
    });
    const rowsOfSolo = [
      fakeRow(80, {container: solo, startedAt: 1100}),
      fakeRow(81, {container: solo, startedAt: 1000}),
    ];
    const [line] = groupsOf(buildTree(rowsOfSolo, new Set()));
    expect(line && groupHeaderText(line, 1000 + 3725)).toBe(
      '▾ solo  f6f6f6f6f6f6  solo-image:1  docker  running  up 1h02m  2 ports',
    );
  });

  it('shows control, bidi and invisible characters as ?', () => {
    const evil = fakeContainer('nd\u001B[2Jweb', 'e5'.repeat(32), {
      image: 'img\u202E',
      status: 'Up\u0007',
      composeProject: 'sh\u200Bop\u009B',
    });
    const process = fakeRow(1, {process: 'ev\u001B]0;x\u0007il', user: 'r\u2066t'});
    const lines2 = buildTree([fakeRow(2, {container: evil}), process], new Set());
    const texts = groupsOf(lines2).map((line) => groupHeaderText(line));
    expect(texts).toEqual([
      '▾ compose sh?op?  (1 container, 1 port)',
      '  ▾ nd?[2Jweb  e5e5e5e5e5e5  img?  docker  running  Up?  1 port',
      '▾ ev?]0;x?il (pid 1001, r?t)  up 2m  1 port',
    ]);
  });
});

describe('formatTreeTable', () => {
  const small = [
    fakeRow(22, {key: 'sshd', process: 'sshd', pid: 812, pids: [812], startTicks: 77}),
    fakeRow(8080, {key: 'w', process: 'docker-proxy', helper: 'docker-proxy', container: web}),
    fakeRow(9090, {key: 'a', container: db}),
  ];

  it('prints titles, headers and rows aligned under the titles, markers kept', () => {
    const lines = buildTree(small, new Set());
    expect(formatTreeTable(lines, null)).toEqual([
      '      PROTO ADDRESS PORT   PID PROCESS      USER CONTAINER COMPOSE IMAGE       UPTIME',
      '▾ sshd (pid 812, root)  up 2m  1 port',
      '      tcp   0.0.0.0   22   812 sshd         root -         -       -               2m',
      '▾ compose shop  (1 container, 1 port)',
      '  ▾ web  a1a1a1a1a1a1  nginx:1  docker  running  Up 5 minutes  1 port',
      '    * tcp   0.0.0.0 8080  9080 docker-proxy root web       shop    nginx:1         2m',
      '▾ db  c3c3c3c3c3c3  postgres:16  docker  running  Up 1 hour  1 port',
      '      tcp   0.0.0.0 9090 10090 svc9090      root db        -       postgres:16     2m',
    ]);
  });

  it('lays the columns out as formatTable does over the same rows', () => {
    const lines = buildTree(small, new Set());
    const table = formatTable(small, null);
    const tree = formatTreeTable(lines, null);
    const rowTexts = tree.filter((_, index) => lines[index - 1]?.kind === 'row');
    expect(rowTexts.map((text) => text.slice(6))).toEqual(table.slice(1));
    expect(tree[0]?.slice(6)).toBe(table[0]);
  });

  it('fits every line to a width: headers cut with …, columns given up by priority', () => {
    const lines = buildTree(small, new Set());
    for (const width of [30, 60, 80]) {
      const out = formatTreeTable(lines, width);
      for (const text of out) {
        expect(stringWidth(text), `${width}: ${text}`).toBeLessThanOrEqual(width);
      }
    }
    expect(formatTreeTable(lines, 40)[4]).toBe('  ▾ web  a1a1a1a1a1a1  nginx:1  docker …');
  });

  it('shows only the headers of collapsed groups, and indents by the deepest row shown', () => {
    const shop = `group:project:${dockerSocket}\u0000shop`;
    const out = formatTreeTable(buildTree(small, new Set([shop])), null);
    expect(out).toHaveLength(6);
    expect(out[3]).toBe('▸ compose shop  (1 container, 1 port)');
    expect(out[0]?.startsWith('    PROTO')).toBe(true);
    expect(formatTreeTable([], null)).toEqual([
      '  PROTO ADDRESS PORT PID PROCESS USER CONTAINER COMPOSE IMAGE UPTIME',
    ]);
  });
});
