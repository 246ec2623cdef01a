import {existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {endianness, tmpdir} from 'node:os';
import {join} from 'node:path';
import {isDeepStrictEqual} from 'node:util';
import fc from 'fast-check';
import {afterAll, describe, expect, it} from 'vitest';
import {
  type HostSocket,
  isLittleEndianHost,
  listHostSockets,
  parseProcAddress,
  parseProcNet,
  readSocketTable,
  socketTables,
} from '../../source/host/proc-net.js';
import type {Protocol} from '../../source/model/container-info.js';
import {parseIpAddress} from '../../source/model/ip.js';

// Seeded, so a failure replays the same way on every machine; thousands of cases each, as
// issue 11 asks (the generated procfs 200: it writes four files a case).
const runs = {seed: 1111, numRuns: 2000} as const;

/**
 * Where the generated files go: tmpfs when there is one. On this machine's disk /tmp,
 * creating and removing a small folder tree costs ~15 ms, twenty times tmpfs's cost.
 */
const scratch = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();

/** toEqual, with a cheap check first: expect's bookkeeping costs more than the parse. */
function expectEqual<T>(actual: T, expected: T): void {
  if (!isDeepStrictEqual(actual, expected)) {
    expect(actual).toEqual(expected);
  }
}

// ---------------------------------------------------------------------------------------
// The reference: how the kernel writes a /proc/net socket row, and what a reader should
// make of it, written without the parser's code.
// ---------------------------------------------------------------------------------------

/** One socket as the kernel holds it: address bytes in network order. */
interface KernelSocket {
  readonly protocol: Protocol;
  readonly family: 4 | 6;
  readonly local: readonly number[];
  readonly port: number;
  readonly remote: readonly number[];
  readonly remotePort: number;
  /** sk_state: 0x0A is TCP_LISTEN, 0x07 TCP_CLOSE (a bound, unconnected UDP socket). */
  readonly state: number;
  readonly inode: number;
  readonly uid: number;
}

/** How one table is printed: what varies between kernels, hosts and moments. */
interface Layout {
  readonly littleEndian: boolean;
  /** printf width of the `sl` column (%4d for tcp, %5d for udp; wider numbers push it). */
  readonly slWidth: number;
  readonly firstSl: number;
  /** seq_pad: tcp rows are padded with blanks to 149 characters, udp to 127. */
  readonly pad: number;
  readonly lowerHex: boolean;
  readonly header: boolean;
  readonly finalNewline: boolean;
}

const hex = (value: number, width: number): string =>
  value.toString(16).toUpperCase().padStart(width, '0');
const byteHex = Array.from({length: 256}, (_, value) => hex(value, 2));

/**
 * An address field as `%08X` of each 32-bit word in host memory: on a little-endian host the
 * word's bytes come out reversed (127.0.0.1 is 0100007F), on a big-endian host in order.
 */
function addressField(bytes: readonly number[], littleEndian: boolean): string {
  let text = '';
  for (let word = 0; word < bytes.length; word += 4) {
    for (let index = 0; index < 4; index++) {
      text += byteHex[bytes[word + (littleEndian ? 3 - index : index)] ?? 0];
    }
  }
  return text;
}

/**
 * The columns between `st` and `uid` (tx_queue:rx_queue tr:tm->when retrnsmt), then between
 * `uid` and `inode` (timeout), then after it (ref pointer ...): filler the reader must step
 * over, in a few shapes.
 */
const fillers = Array.from({length: 16}, (_, seed) => {
  const extra = seed * 7919;
  return {
    middle: `${hex(extra % 4096, 8)}:${hex((extra >> 3) % 4096, 8)} ${hex(seed % 3, 2)}:${hex(extra % 100_000, 8)} ${hex(0, 8)}`,
    timeout: String(seed % 7).padStart(8),
    tcpTail: `${1 + (seed % 3)} 0000000000000000 100 0 0 10 -1`,
    udpTail: `${2 + (seed % 3)} 0000000000000000 ${seed % 5}`,
  };
});

/** Kernel row of net/ipv4/tcp_ipv4.c, tcp_ipv6.c, udp.c and ipv6/datagram.c. */
function formatRow(socket: KernelSocket, sl: number, layout: Layout, extra: number): string {
  const filler = fillers[extra % fillers.length] ?? fillers[0];
  const row = [
    `${String(sl).padStart(layout.slWidth)}:`,
    `${addressField(socket.local, layout.littleEndian)}:${hex(socket.port, 4)}`,
    `${addressField(socket.remote, layout.littleEndian)}:${hex(socket.remotePort, 4)}`,
    byteHex[socket.state],
    filler?.middle,
    String(socket.uid).padStart(5),
    filler?.timeout,
    String(socket.inode),
    socket.protocol === 'tcp' ? filler?.tcpTail : filler?.udpTail,
  ].join(' ');
  const text = layout.lowerHex ? row.toLowerCase() : row;
  return text.padEnd(layout.pad);
}

const headers: Record<string, string> = {
  'tcp/4':
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
  'tcp/6':
    '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
  'udp/4':
    '   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops',
  'udp/6':
    '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops',
};

/** A whole table the way the kernel prints it. */
function formatTable(
  protocol: Protocol,
  family: 4 | 6,
  sockets: readonly KernelSocket[],
  layout: Layout,
  extras: readonly number[],
): string {
  const lines: string[] = [];
  if (layout.header) {
    lines.push(headers[`${protocol}/${family}`] ?? '');
  }
  sockets.forEach((socket, index) => {
    lines.push(formatRow(socket, layout.firstSl + index, layout, extras[index] ?? 0));
  });
  return lines.join('\n') + (layout.finalNewline && lines.length > 0 ? '\n' : '');
}

/** RFC 5952 text through WHATWG URL's serializer (not ours); IPv4-mapped shown as IPv4. */
function referenceAddress(bytes: readonly number[]): string {
  if (bytes.length === 4) {
    return bytes.join('.');
  }
  const mapped = bytes.slice(0, 10).every((byte) => byte === 0) && bytes[10] === 255;
  if (mapped && bytes[11] === 255) {
    return bytes.slice(12).join('.');
  }
  const groups: string[] = [];
  for (let index = 0; index < 16; index += 2) {
    groups.push(hex(((bytes[index] ?? 0) << 8) | (bytes[index + 1] ?? 0), 4));
  }
  return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
}

/** What a reader must return: TCP sockets in LISTEN, UDP sockets bound and unconnected. */
function expectedSockets(sockets: readonly KernelSocket[]): HostSocket[] {
  return sockets
    .filter((socket) => socket.state === (socket.protocol === 'tcp' ? 0x0a : 0x07))
    .filter((socket) => socket.port > 0)
    .map((socket) => ({
      protocol: socket.protocol,
      family: socket.family,
      address: referenceAddress(socket.local),
      port: socket.port,
      inode: socket.inode,
      uid: socket.uid,
    }));
}

// ---------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------

/** Four bytes of a 32-bit number, most significant first (one draw, not four: cheaper). */
const wordBytes = (word: number): number[] => [
  word >>> 24,
  (word >>> 16) & 255,
  (word >>> 8) & 255,
  word & 255,
];
const word = fc.nat({max: 0xffff_ffff});
const ipv4Bytes = fc.oneof(
  fc.constant([0, 0, 0, 0]),
  fc.constant([127, 0, 0, 1]),
  word.map((value) => wordBytes(value)),
);
const zeros = (count: number): number[] => new Array<number>(count).fill(0);
const ipv6Bytes = fc.oneof(
  fc.constant(zeros(16)),
  fc.constant([...zeros(15), 1]),
  // IPv4-mapped: what a dual-stack socket bound to an IPv4 address shows in tcp6.
  ipv4Bytes.map((v4) => [...zeros(10), 255, 255, ...v4]),
  // Runs of zero groups in every place, so '::' compression is tried at each position:
  // each bit of the mask zeroes one of the eight groups.
  fc
    .tuple(fc.nat({max: 255}), word, word, word, word)
    .map(([mask, ...words]) =>
      words
        .flatMap((value) => wordBytes(value))
        .map((value, index) => ((mask >> (index >> 1)) & 1 ? 0 : value)),
    ),
  fc.tuple(word, word, word, word).map((words) => words.flatMap((value) => wordBytes(value))),
);

const tcpStates = fc.oneof(
  {weight: 3, arbitrary: fc.constant(0x0a)},
  {weight: 2, arbitrary: fc.integer({min: 1, max: 0x0c})},
);
const udpStates = fc.oneof(
  {weight: 3, arbitrary: fc.constant(0x07)},
  {weight: 1, arbitrary: fc.constant(0x01)},
  {weight: 1, arbitrary: fc.integer({min: 1, max: 0x0c})},
);

function buildKernelSocket(protocol: Protocol, family: 4 | 6): fc.Arbitrary<KernelSocket> {
  const address = family === 4 ? ipv4Bytes : ipv6Bytes;
  return fc.record({
    protocol: fc.constant(protocol),
    family: fc.constant(family),
    local: address,
    port: fc.oneof(
      {weight: 1, arbitrary: fc.constantFrom(0, 1, 80, 65_535)},
      {weight: 4, arbitrary: fc.integer({min: 0, max: 65_535})},
    ),
    remote: address,
    remotePort: fc.integer({min: 0, max: 65_535}),
    state: protocol === 'tcp' ? tcpStates : udpStates,
    // sock_i_ino is an unsigned long; uids run up to 2^32-2 (65534 when unmapped).
    inode: fc.oneof(fc.nat({max: 2 ** 32 - 1}), fc.nat({max: Number.MAX_SAFE_INTEGER})),
    uid: fc.oneof(fc.constantFrom(0, 1000, 65_534), fc.nat({max: 2 ** 32 - 2})),
  });
}

/** One socket arbitrary per table, built once (building them per run costs more than the run). */
const socketArbitraries = new Map(
  socketTables.map(({protocol, family}) => [
    `${protocol}/${family}`,
    buildKernelSocket(protocol, family),
  ]),
);
const kernelSocket = (protocol: Protocol, family: 4 | 6): fc.Arbitrary<KernelSocket> =>
  socketArbitraries.get(`${protocol}/${family}`) ?? buildKernelSocket(protocol, family);

const buildLayout = (protocol: Protocol): fc.Arbitrary<Layout> =>
  fc.record({
    littleEndian: fc.boolean(),
    slWidth: fc.constantFrom(protocol === 'tcp' ? 4 : 5, 1, 8),
    firstSl: fc.oneof(fc.nat({max: 20}), fc.nat({max: 10_000_000})),
    pad: fc.constantFrom(0, protocol === 'tcp' ? 149 : 127),
    lowerHex: fc.boolean(),
    header: fc.boolean(),
    finalNewline: fc.boolean(),
  });
const layouts = {tcp: buildLayout('tcp'), udp: buildLayout('udp')};
const layout = (protocol: Protocol): fc.Arbitrary<Layout> => layouts[protocol];

/** Filler values for each row of a table, spread from one generated number. */
const rowExtras = (seed: number): number[] =>
  Array.from({length: 16}, (_, row) => (seed + row * 5) % 16);

const table = fc.constantFrom(...socketTables).chain(({protocol, family}) =>
  fc.record({
    protocol: fc.constant(protocol),
    family: fc.constant(family),
    sockets: fc.array(kernelSocket(protocol, family), {maxLength: 16}),
    layout: layout(protocol),
    // Queue sizes, timers and refcounts: filler the reader must step over.
    extras: fc.nat({max: 15}).map((seed) => rowExtras(seed)),
  }),
);

/** The kernel's own layout on a little-endian host. */
const plainLayout: Layout = {
  littleEndian: true,
  slWidth: 4,
  firstSl: 0,
  pad: 0,
  lowerHex: false,
  header: false,
  finalNewline: false,
};

/** Field-shaped tokens, so generated lines get past the first checks into the deep ones. */
const token = fc.oneof(
  fc.constantFrom('0:', '12:', ':', '0A', '07', '0a', '00000000', '0100007F:0050', '-1', '1e3'),
  fc.constantFrom('0x10', '+5', '7F:', ':0050', '0100007G:0050', '0100007F:00G0', 'Infinity'),
  fc.stringMatching(/^[0-9A-Fa-f]{1,34}(:[0-9A-Fa-f]{0,6})?$/),
  fc.stringMatching(/^[0-9]{1,20}$/),
  fc.string({unit: 'binary', maxLength: 6}),
);
const blank = fc.constantFrom(' ', '  ', '\t', ' \t ', '\r', '\u00a0', '\v');
const fieldLine = fc
  .array(fc.tuple(token, blank), {maxLength: 14})
  .map((pairs) => pairs.map(([field, gap]) => field + gap).join(''));
/** A kernel row with one to three of its fields swapped for tokens: deep into the parser. */
const mutatedRow = fc
  .tuple(
    fc.constantFrom(...socketTables),
    fc.array(fc.tuple(fc.nat({max: 11}), token), {minLength: 1, maxLength: 3}),
  )
  .map(([{protocol, family}, swaps]) => {
    const bytes = new Array<number>(family === 4 ? 4 : 16).fill(1);
    const socket: KernelSocket = {
      protocol,
      family,
      local: bytes,
      port: 80,
      remote: bytes,
      remotePort: 0,
      state: protocol === 'tcp' ? 0x0a : 0x07,
      inode: 4242,
      uid: 1000,
    };
    const fields = formatRow(socket, 0, plainLayout, 0).split(' ').filter(Boolean);
    for (const [index, replacement] of swaps) {
      fields[index] = replacement;
    }
    return fields.join(' ');
  });
const anyLine = fc.oneof(
  mutatedRow,
  fieldLine,
  fc.string({unit: 'binary', maxLength: 200}),
  fc.string({unit: 'grapheme', maxLength: 60}),
);

/**
 * Lines that are not a listening socket however they are read: the header, too few fields,
 * a first field without its colon, a state that is not wanted, or a field where the kernel
 * writes digits holding something else.
 */
function buildGarbageLine(protocol: Protocol, family: 4 | 6): fc.Arbitrary<string> {
  const wanted = protocol === 'tcp' ? '0A' : '07';
  const valid = `${'0'.repeat(family === 4 ? 8 : 32)}:0050`;
  const row = (fields: readonly string[]): string => fields.join(' ');
  return fc.oneof(
    fc.constant(headers[`${protocol}/${family}`] ?? ''),
    fc.constant(''),
    fc.array(fc.stringMatching(/^[^\s]{1,12}$/), {maxLength: 9}).map((fields) => row(fields)),
    fc.string({unit: 'binary', maxLength: 80}).map((text) => `sl ${text.replaceAll('\n', ' ')}`),
    fc
      .constantFrom('01', '02', '06', '0B', 'ZZ', '0A0', '7', '')
      .filter((state) => state.toUpperCase() !== wanted)
      .map((state) => row(['0:', valid, valid, state || '--', 'a', 'b', 'c', '0', '0', '9'])),
    // A local address that is not hex, not 8/32 digits, or lacks its port.
    fc
      .constantFrom(
        '0100007G:0050',
        '+100007F:0050',
        '-100007F:0050',
        ' 100007F:0050',
        '0x00007F:0050',
        '0100007F',
        '0100007F:',
        '0100007F:00G0',
        '0100007F:-050',
        '0100007F:0000',
        '0100007F:10000',
        `${'0'.repeat(family === 4 ? 32 : 8)}:0050`,
        `${'0'.repeat(30)}0x:0050`,
      )
      .map((local) => row(['0:', local, valid, wanted, 'a', 'b', 'c', '0', '0', '9'])),
    // An inode that is not a decimal number.
    fc
      .constantFrom('-1', '1e3', '0x10', '+5', '1.5', 'Infinity', 'inode', '')
      .map((inode) => row(['0:', valid, valid, wanted, 'a', 'b', 'c', '0', '0', inode || '-'])),
  );
}

const garbageArbitraries = new Map(
  socketTables.map(({protocol, family}) => [
    `${protocol}/${family}`,
    buildGarbageLine(protocol, family),
  ]),
);
const garbageLine = (protocol: Protocol, family: 4 | 6): fc.Arbitrary<string> =>
  garbageArbitraries.get(`${protocol}/${family}`) ?? buildGarbageLine(protocol, family);

// ---------------------------------------------------------------------------------------

describe('/proc/net parsers: properties (seeded)', () => {
  it('regressions the properties found: a field the kernel writes as digits holds only digits', () => {
    // parseInt read '7G' as 7 and '-1' as -1; Number() read '1e3', '0x10' and '-1'.
    expect(parseProcAddress('0100007G')).toBeUndefined();
    expect(parseProcAddress('-100007F')).toBeUndefined();
    expect(parseProcAddress('+100007F')).toBeUndefined();
    expect(parseProcAddress('0x00007F')).toBeUndefined();
    expect(parseProcAddress(' 100007F')).toBeUndefined();
    const row = (local: string, uid: string, inode: string): string =>
      `   0: ${local} 00000000:0000 0A 00000000:00000000 00:00000000 00000000 ${uid} 0 ${inode} 1`;
    expect(parseProcNet(row('0100007F:0050', '0', '-1'), 'tcp', 4)).toEqual([]);
    expect(parseProcNet(row('0100007F:0050', '0', '1e3'), 'tcp', 4)).toEqual([]);
    expect(parseProcNet(row('0100007F:0050', '0', '0x10'), 'tcp', 4)).toEqual([]);
    expect(parseProcNet(row('0100007F:0050zz', '0', '7'), 'tcp', 4)).toEqual([]);
    expect(parseProcNet(row('0100007F:+050', '0', '7'), 'tcp', 4)).toEqual([]);
    // An address of the other family's width is not a row of this table.
    expect(parseProcNet(row('0100007F:0050', '0', '7'), 'tcp', 6)).toEqual([]);
    expect(parseProcNet(row(`${'0'.repeat(32)}:0050`, '0', '7'), 'tcp', 4)).toEqual([]);
    // A uid that is not a decimal number reads as unknown (-1), as a missing one did.
    expect(parseProcNet(row('0100007F:0050', '1e3', '7'), 'tcp', 4)).toEqual([
      {protocol: 'tcp', family: 4, address: '127.0.0.1', port: 80, inode: 7, uid: -1},
    ]);
  });

  it('parseProcAddress never throws, and reads exactly the fields of 8 or 32 hex digits', () => {
    const isHexField = (text: string): boolean => /^([0-9a-fA-F]{8}|[0-9a-fA-F]{32})$/.test(text);
    const field = fc.oneof(
      fc.string({unit: 'binary', maxLength: 40}),
      fc.stringMatching(/^[0-9A-Fa-f]{8}$|^[0-9A-Fa-f]{32}$/),
      // One character of an otherwise valid field swapped for anything.
      fc
        .tuple(
          fc.stringMatching(/^[0-9A-F]{32}$/),
          fc.nat({max: 31}),
          fc.constantFrom('G', 'x', '+', '-', ' ', '.', '\u0660', 'ｆ'),
          fc.boolean(),
        )
        .map(([digits, at, char, short]) => {
          const text = digits.slice(0, at) + char + digits.slice(at + 1);
          return short ? text.slice(0, 8) : text;
        }),
    );
    fc.assert(
      fc.property(field, fc.boolean(), (text, littleEndian) => {
        const address = parseProcAddress(text, littleEndian);
        if (!isHexField(text)) {
          expectEqual(address, undefined);
          return;
        }
        // Canonical text, of the width the field promised (mapped IPv6 reads as IPv4).
        expectEqual(address !== undefined && parseIpAddress(address) === address, true);
        if (text.length === 8) {
          expectEqual(/^\d+\.\d+\.\d+\.\d+$/.test(address ?? ''), true);
        }
      }),
      {...runs, numRuns: 4000},
    );
  });

  it('parseProcAddress reads back every address written in either byte order', () => {
    fc.assert(
      fc.property(fc.oneof(ipv4Bytes, ipv6Bytes), fc.boolean(), (bytes, littleEndian) => {
        const field = addressField(bytes, littleEndian);
        expectEqual(parseProcAddress(field, littleEndian), referenceAddress(bytes));
        expectEqual(parseProcAddress(field.toLowerCase(), littleEndian), referenceAddress(bytes));
      }),
      {...runs, numRuns: 4000},
    );
  });

  it('round-trips kernel-written tables: exactly the listening and bound sockets, in order', () => {
    fc.assert(
      fc.property(table, ({protocol, family, sockets, layout, extras}) => {
        const text = formatTable(protocol, family, sockets, layout, extras);
        expectEqual(
          parseProcNet(text, protocol, family, layout.littleEndian),
          expectedSockets(sockets),
        );
      }),
      runs,
    );
  });

  it('skips garbage lines mixed in anywhere without losing or changing a valid row', () => {
    const mixed = table.chain((generated) =>
      fc.record({
        generated: fc.constant(generated),
        garbage: fc.array(garbageLine(generated.protocol, generated.family), {maxLength: 12}),
        // Where each garbage line goes among the rows.
        places: fc.array(fc.nat({max: 40}), {minLength: 12, maxLength: 12}),
      }),
    );
    fc.assert(
      fc.property(mixed, ({generated, garbage, places}) => {
        const {protocol, family, sockets, layout, extras} = generated;
        const lines = formatTable(protocol, family, sockets, {...layout, header: false}, extras)
          .split('\n')
          .filter((line) => line !== '');
        garbage.forEach((line, index) => {
          lines.splice((places[index] ?? 0) % (lines.length + 1), 0, line);
        });
        expectEqual(
          parseProcNet(lines.join('\n'), protocol, family, layout.littleEndian),
          expectedSockets(sockets),
        );
      }),
      runs,
    );
  });

  it('never throws on arbitrary text; reads line by line; every socket it returns is sane', () => {
    const input = fc.record({
      lines: fc.array(anyLine, {maxLength: 8}),
      protocol: fc.constantFrom<Protocol>('tcp', 'udp'),
      family: fc.constantFrom<4 | 6>(4, 6),
      littleEndian: fc.boolean(),
    });
    fc.assert(
      fc.property(input, ({lines, protocol, family, littleEndian}) => {
        const whole = parseProcNet(lines.join('\n'), protocol, family, littleEndian);
        // No state between lines: the table reads as its lines one by one.
        const oneByOne = lines
          .flatMap((line) => line.split('\n'))
          .flatMap((line) => parseProcNet(line, protocol, family, littleEndian));
        expectEqual(whole, oneByOne);
        const insane = whole.filter(
          (socket) =>
            socket.protocol !== protocol ||
            socket.family !== family ||
            !(Number.isInteger(socket.port) && socket.port >= 1 && socket.port <= 65_535) ||
            !(Number.isSafeInteger(socket.inode) && socket.inode >= 0) ||
            !(Number.isInteger(socket.uid) && socket.uid >= -1) ||
            // Canonical text, and IPv4 in an IPv4 table.
            parseIpAddress(socket.address) !== socket.address ||
            (family === 4 && !/^\d+\.\d+\.\d+\.\d+$/.test(socket.address)),
        );
        expectEqual(insane, []);
      }),
      {...runs, numRuns: 4000},
    );
  });

  describe('listHostSockets over a generated procfs', () => {
    const roots: string[] = [];
    afterAll(() => {
      for (const root of roots) {
        rmSync(root, {recursive: true, force: true});
      }
    });

    it('reads the four tables of this host byte order, a missing table adding nothing', async () => {
      expect(isLittleEndianHost).toBe(endianness() === 'LE');
      const tables = fc.tuple(
        ...socketTables.map(({protocol, family}) =>
          fc.option(fc.array(kernelSocket(protocol, family), {maxLength: 8}), {nil: undefined}),
        ),
      );
      const root = mkdtempSync(join(scratch, 'nanodock-props-proc-'));
      roots.push(root);
      let run = 0;
      await fc.assert(
        fc.asyncProperty(tables, fc.nat({max: 1000}), async (contents, extra) => {
          const procRoot = join(root, String(run++));
          mkdirSync(join(procRoot, 'net'), {recursive: true});
          const expected: HostSocket[] = [];
          socketTables.forEach(({file, protocol, family}, index) => {
            const sockets = contents[index];
            if (sockets === undefined) {
              return;
            }
            const text = formatTable(
              protocol,
              family,
              sockets,
              {
                littleEndian: isLittleEndianHost,
                slWidth: protocol === 'tcp' ? 4 : 5,
                firstSl: 0,
                pad: protocol === 'tcp' ? 149 : 127,
                lowerHex: false,
                header: true,
                finalNewline: true,
              },
              rowExtras(extra),
            );
            writeFileSync(join(procRoot, 'net', file), text, 'latin1');
            expected.push(...expectedSockets(sockets));
          });
          expectEqual(await listHostSockets(procRoot), expected);
          for (const {file} of socketTables) {
            if (contents[socketTables.findIndex((entry) => entry.file === file)] === undefined) {
              expect(await readSocketTable(procRoot, file)).toBe('');
            }
          }
          rmSync(procRoot, {recursive: true, force: true});
        }),
        {...runs, numRuns: 200},
      );
    });
  });
});
