/**
 * The standing suite of malformed engine answers: every fault a real engine cannot be made
 * to produce, played byte for byte by a server on a temp Unix socket, through the library's
 * public paths (requestEngine, detectContainers, startDetection/awaitDetection,
 * lookupPublishedContainer, stopContainer, watchEngineEvents). Each case must end in a typed
 * error (source/errors) or a tolerant, correct parse, within the deadline it was given, and
 * the cases with huge bodies with a bounded growth of the process's RSS.
 */
import {mkdtempSync} from 'node:fs';
import type {Socket} from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import {Worker} from 'node:worker_threads';
import {afterEach, describe, expect, it} from 'vitest';
import {awaitDetection, detectContainers, startDetection} from '../../source/engine/detect.js';
import {parseEngineAddress} from '../../source/engine/endpoint.js';
import {
  type EngineEvent,
  type EngineEventWatcher,
  maxEventLineBytes,
  watchEngineEvents,
} from '../../source/engine/events.js';
import {maxBodyBytes, maxHeaderBytes, requestEngine} from '../../source/engine/http.js';
import {HttpResponseParser} from '../../source/engine/http-response-parser.js';
import {DaemonNotFoundError} from '../../source/errors/daemon-not-found-error.js';
import {EngineRequestError} from '../../source/errors/engine-request-error.js';
import {EngineStatusError} from '../../source/errors/engine-status-error.js';
import {InvalidJsonError} from '../../source/errors/invalid-json-error.js';
import {NanodockError} from '../../source/errors/nanodock-error.js';
import {ResponseTooLargeError} from '../../source/errors/response-too-large-error.js';
import type {ContainerPortMap} from '../../source/model/container-port-map.js';
import {lookupPublishedContainer} from '../../source/model/lookup.js';
import {stopContainer, stopContainerWithReport} from '../../source/stop.js';
import {
  answerBody,
  type BodyFraming,
  dripBytes,
  type FakeEngine,
  type FakeEngineOptions,
  hostOf,
  pumpBody,
  rejection,
  startFakeEngine,
} from '../helpers/fake-engine.js';

/** The deadline every case passes (timeoutMs); the bound is this plus the slack. */
const deadlineMs = 1000;
/** Timers on a loaded 2-core machine fire late; a case may end this much after its deadline. */
const slackMs = 300;
/** The bound on RSS growth for the 200 MB cases (the body limit is 32 MiB). */
const rssBoundBytes = 64 * 1024 * 1024;
const mib = 1024 * 1024;
const twoHundredMb = 200 * 1000 * 1000;

const engines: FakeEngine[] = [];
const watchers: EngineEventWatcher[] = [];
afterEach(async () => {
  for (const watcher of watchers.splice(0)) {
    watcher.close();
  }
  for (const engine of engines.splice(0)) {
    await engine.close();
  }
});

async function fakeEngine(
  onRequest: (socket: Socket, head: string) => void,
  options?: FakeEngineOptions,
): Promise<FakeEngine> {
  const engine = await startFakeEngine(onRequest, options);
  engines.push(engine);
  return engine;
}

const endpointOf = (engine: FakeEngine) =>
  parseEngineAddress(`unix://${engine.socketPath}`, 'test');
const detectionOf = (engine: FakeEngine) => ({env: hostOf(engine), timeoutMs: deadlineMs});

/**
 * A collector to run before reading RSS: --expose-gc's if the process has it, else one made
 * available at run time through V8's public flag API; without either, the bounds stay
 * generous enough to hold.
 */
function findCollector(): (() => void) | undefined {
  const exposed = (globalThis as {gc?: () => void}).gc;
  if (exposed !== undefined) {
    return exposed;
  }
  try {
    v8.setFlagsFromString('--expose-gc');
    return vm.runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
}
const collect = findCollector();

interface Measured<T> {
  readonly value: T;
  readonly elapsedMs: number;
  /** Highest RSS seen while `run` ran (sampled every 5 ms, and at its end), over RSS before it. */
  readonly rssGrowthBytes: number;
}

async function measure<T>(run: () => Promise<T>): Promise<Measured<T>> {
  collect?.();
  const before = process.memoryUsage.rss();
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 5);
  const started = performance.now();
  try {
    const value = await run();
    const elapsedMs = performance.now() - started;
    peak = Math.max(peak, process.memoryUsage.rss());
    return {value, elapsedMs, rssGrowthBytes: peak - before};
  } finally {
    clearInterval(sampler);
  }
}

/** Elapsed time of `run`, with its result. */
async function timed<T>(run: () => Promise<T>): Promise<{value: T; elapsedMs: number}> {
  const started = performance.now();
  const value = await run();
  return {value, elapsedMs: performance.now() - started};
}

/**
 * A case ends within its deadline (and the slack a loaded machine needs): the cases that fail
 * on their own, long before it, as much as those the deadline ends.
 */
function expectWithinDeadline(elapsedMs: number): void {
  expect(elapsedMs).toBeLessThan(deadlineMs + slackMs);
}

/**
 * A case that can only end by its deadline ends at it: not long before (a timer may fire a
 * little early against a fresh clock, as Node counts from the loop's cached time), and
 * within it.
 */
function expectAtDeadline(elapsedMs: number): void {
  expect(elapsedMs).toBeGreaterThanOrEqual(deadlineMs * 0.9);
  expectWithinDeadline(elapsedMs);
}

/** A detection started in the background and collected, timed from its own start. */
async function timedBackground(engine: FakeEngine) {
  const handle = startDetection(detectionOf(engine));
  const value = await awaitDetection(handle);
  return {value, elapsedMs: performance.now() - handle.startedAt};
}

/** The error of the only attempt of a rejected detection. */
function attemptError(error: Error): Error | undefined {
  expect(error).toBeInstanceOf(DaemonNotFoundError);
  const attempts = (error as DaemonNotFoundError).attempts;
  expect(attempts).toHaveLength(1);
  return attempts[0]?.error;
}

function expectRequestError(error: unknown, failure: EngineRequestError['failure']): void {
  expect(error).toBeInstanceOf(EngineRequestError);
  expect((error as EngineRequestError).failure).toBe(failure);
}

// --- bodies --------------------------------------------------------------------------------

const fakePort = 19_999;

/** One running Docker container publishing `port`/tcp on every address, named `name`. */
function containerJson(id: string, name: string, port = fakePort): string {
  return JSON.stringify({
    Id: id.padEnd(64, '0'),
    Names: [`/${name}`],
    Image: 'busybox',
    State: 'running',
    Status: 'Up',
    Labels: {},
    Ports: [{IP: '0.0.0.0', PrivatePort: 80, PublicPort: port, Type: 'tcp'}],
  });
}

/** `template` with each `marker` replaced by raw `bytes` (which need not be UTF-8). */
function withBytes(template: string, marker: string, bytes: readonly number[]): Buffer {
  const raw = Buffer.from(bytes);
  return Buffer.concat(
    template
      .split(marker)
      .flatMap((text, index) => [...(index === 0 ? [] : [raw]), Buffer.from(text, 'utf8')]),
  );
}

/** The container a detection found publishing fakePort, by the look-up the dashboard does. */
function lookupFake(map: ContainerPortMap) {
  const match = lookupPublishedContainer(map, {address: '127.0.0.1', port: fakePort}, 'tcp', false);
  expect(match.kind).toBe('match');
  return match.kind === 'match' ? match.container : undefined;
}

// --- events --------------------------------------------------------------------------------

interface Status {
  readonly connected: boolean;
  readonly error: Error | null;
  /** Milliseconds after the watcher started. */
  readonly atMs: number;
}

interface Recorder {
  readonly events: EngineEvent[];
  readonly statuses: Status[];
}

/**
 * Watches the events of `engine` alone: fast retries (minRetryMs, default 20), and the
 * suite's deadline for the subscription (timeoutMs).
 */
function watchEvents(
  engine: FakeEngine,
  options: {readonly minRetryMs?: number; readonly timeoutMs?: number} = {},
): Recorder {
  const events: EngineEvent[] = [];
  const statuses: Status[] = [];
  const started = performance.now();
  const minRetryMs = options.minRetryMs ?? 20;
  watchers.push(
    watchEngineEvents({
      env: hostOf(engine),
      timeoutMs: options.timeoutMs ?? deadlineMs,
      minRetryMs,
      maxRetryMs: minRetryMs * 2,
      onEvent: (event) => events.push(event),
      onStatus: (_endpoint, connected, error) =>
        statuses.push({connected, error, atMs: performance.now() - started}),
    }),
  );
  return {events, statuses};
}

/** The first failure a watcher reported. */
async function firstFailure(recorder: Recorder): Promise<Status> {
  await expect
    .poll(() => recorder.statuses.find((status) => !status.connected), {timeout: 10_000})
    .toBeDefined();
  return recorder.statuses.find((status) => !status.connected) as Status;
}

function eventLine(id: string, action: string, name = `ctr-${id}`): string {
  return `${JSON.stringify({
    Type: 'container',
    Action: action,
    Actor: {ID: id, Attributes: {name}},
    time: 1_795_873_697,
  })}\n`;
}

const streamHead =
  'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n';

function chunk(data: string | Buffer): Buffer {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  return Buffer.concat([
    Buffer.from(`${bytes.length.toString(16)}\r\n`),
    bytes,
    Buffer.from('\r\n'),
  ]);
}

const ids = (recorder: Recorder) => recorder.events.map((event) => `${event.id}:${event.action}`);

// ---------------------------------------------------------------------------------------------

describe('a truncated answer is a truncated error, never a parse of what came', () => {
  it.each([
    ['a Content-Length body cut short', 'HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n[{"Id":"ab'],
    ['a chunk cut in its data', `${streamHead}40\r\n[{"Id":"ab`],
    ['a chunk cut in its size line', `${streamHead}4\r\n[{"I\r\n1`],
    ['a chunk cut before its CRLF', `${streamHead}2\r\n[]`],
    ['a chunked body cut before its last chunk', `${streamHead}2\r\n[]\r\n`],
    ['a chunked body cut in a trailer', `${streamHead}2\r\n[]\r\n0\r\nX-Tr`],
    ['a head cut short', 'HTTP/1.1 200 OK\r\nContent-Ty'],
    ['a close after a 1xx', 'HTTP/1.1 100 Continue\r\n\r\n'],
  ])('%s: requestEngine, detectContainers and stopContainer', async (_name, answer) => {
    const engine = await fakeEngine((socket) => socket.end(answer));
    const [request, detection, stop] = await Promise.all([
      timed(() => rejection(requestEngine(endpointOf(engine), '/x', {timeoutMs: deadlineMs}))),
      timed(() => rejection(detectContainers(detectionOf(engine)))),
      timed(() => stopContainerWithReport('abc', true, detectionOf(engine))),
    ]);
    expectRequestError(request.value, 'truncated');
    expectRequestError(attemptError(detection.value), 'truncated');
    expect(stop.value.outcome).toBe('failed');
    expectRequestError(stop.value.error, 'truncated');
    for (const {elapsedMs} of [request, detection, stop]) {
      expectWithinDeadline(elapsedMs);
    }
  });

  it('a chunked body closed right after its last chunk line is complete (tolerated)', async () => {
    const body = `[${containerJson('a1', 'web')}]`;
    const engine = await fakeEngine((socket) =>
      socket.end(`${streamHead}${chunk(body).toString('utf8')}0\r\n`),
    );
    const map = await detectContainers(detectionOf(engine));
    expect(lookupFake(map)?.name).toBe('web');
  });

  it('events: a stream cut inside a line delivers the lines before it, never the half line', async () => {
    let connection = 0;
    const engine = await fakeEngine((socket) => {
      connection++;
      socket.write(streamHead);
      if (connection === 1) {
        socket.write(chunk(eventLine('t1', 'start')));
        const half = eventLine('t2', 'start');
        socket.end(chunk(half.slice(0, half.length - 10)).subarray(0, -2));
      } else {
        socket.write(chunk(eventLine('t3', 'start')));
      }
    });
    const recorder = watchEvents(engine);
    const failure = await firstFailure(recorder);
    expectRequestError(failure.error, 'truncated');
    await expect.poll(() => ids(recorder)).toEqual(['t1:start', 't3:start']);
  });
});

describe('invalid JSON is an InvalidJsonError naming the engine', () => {
  const bigValid = `[${Array.from({length: 4000}, (_, index) => containerJson(`b${index}`, `c${index}`, 20_000 + (index % 1000))).join(',')}`;
  it.each([
    ['an object cut off', '[{"Id": "abc", "Names": ['],
    ['an error object where a list belongs', '{"message":"not a list"}'],
    ['null', 'null'],
    ['an empty body', ''],
    ['a bare word', 'NaN'],
    ['an extra closing bracket', `[${containerJson('a', 'a')}]]`],
    ['a byte-order mark', '\uFEFF[]'],
    ['a list of numbers', '[1,2,3]'],
    ['more than 1 MiB, broken near its end (parsed in slices)', `${bigValid},{"Id":}]`],
    ['more than 1 MiB, never closed', bigValid],
  ])('%s', async (_name, body) => {
    const engine = await fakeEngine((socket) => answerBody(socket, body, 'chunked'));
    const {value: error, elapsedMs} = await timed(() =>
      rejection(detectContainers(detectionOf(engine))),
    );
    expect(error).toBeInstanceOf(InvalidJsonError);
    expect((error as InvalidJsonError).endpoint).toBe(`unix://${engine.socketPath}`);
    expectWithinDeadline(elapsedMs);
    // The background path reports it on the engine and never rejects.
    const map = await awaitDetection(startDetection(detectionOf(engine)));
    expect(map.size).toBe(0);
    expect(map.engines[0]?.error).toBeInstanceOf(InvalidJsonError);
  });

  it('events: lines of valid JSON in the wrong shape are skipped, the stream stays up', async () => {
    const engine = await fakeEngine((socket) => {
      socket.write(streamHead);
      socket.write(
        chunk(
          [
            '{"Type":"container","Action":5,"Actor":{"ID":["x"]}}',
            '{"Type":"container","Action":"start","Actor":null}',
            '{"Type":"container","Action":"start","Actor":{"ID":"","Attributes":7}}',
            '{"__proto__":{"Type":"container"},"Action":"start","Actor":{"ID":"p"}}',
            '1e999',
            '"\\ud800"',
            '',
          ].join('\n'),
        ),
      );
      socket.write(chunk(eventLine('j1', 'die')));
    });
    const recorder = watchEvents(engine);
    await expect.poll(() => ids(recorder)).toEqual(['j1:die']);
    expect(recorder.statuses.map((status) => status.connected)).toEqual([true]);
  });
});

describe('invalid UTF-8 is decoded with replacement characters, never refused or thrown', () => {
  // A lone 0xff, an overlong "/", a UTF-16 surrogate, a lone continuation byte and a cut
  // three-byte sequence: each one is one or more U+FFFD.
  const badBytes = [0xff, 0xc0, 0xaf, 0xed, 0xa0, 0x80, 0x80, 0xe2, 0x82];
  const body = withBytes(`[${containerJson('u1', 'we@@b')}]`, '@@', badBytes);

  it.each(['length', 'chunked', 'close'] as const)(
    'in a container name (%s body): the container is found, its name marked',
    async (framing: BodyFraming) => {
      const engine = await fakeEngine((socket) => answerBody(socket, body, framing));
      const {value: map, elapsedMs} = await timed(() => detectContainers(detectionOf(engine)));
      const container = lookupFake(map);
      expect(container?.name).toMatch(/^we\uFFFD+b$/);
      expect(container?.name).toBe(withBytes('we@@b', '@@', badBytes).toString('utf8'));
      expectWithinDeadline(elapsedMs);
    },
  );

  it('split across chunks and reads, a valid character is joined, an invalid one replaced', async () => {
    const text = Buffer.from(`[${containerJson('u2', 'wébé')}]`, 'utf8');
    const cut = text.indexOf(Buffer.from('é', 'utf8')) + 1;
    const engine = await fakeEngine((socket) => {
      socket.write(streamHead);
      socket.write(chunk(text.subarray(0, cut)));
      setImmediate(() =>
        socket.end(Buffer.concat([chunk(text.subarray(cut)), Buffer.from('0\r\n\r\n')])),
      );
    });
    const map = await detectContainers(detectionOf(engine));
    expect(lookupFake(map)?.name).toBe('wébé');
  });

  it('outside a string it is invalid JSON', async () => {
    const engine = await fakeEngine((socket) =>
      answerBody(socket, withBytes('[@@]', '@@', [0xff, 0xfe]), 'length'),
    );
    expect(await rejection(detectContainers(detectionOf(engine)))).toBeInstanceOf(InvalidJsonError);
  });

  it('in header values and the reason phrase it is kept as Latin-1; in a header name it is a protocol error', async () => {
    const list = Buffer.from(`[${containerJson('u3', 'web')}]`);
    const head = withBytes(
      `HTTP/1.1 200 O@@K\r\nServer: Fake/@@1.0\r\nX-Note: @@\r\nContent-Length: ${list.length}\r\n\r\n`,
      '@@',
      [0xff, 0xfe],
    );
    const tolerant = await fakeEngine((socket) => socket.end(Buffer.concat([head, list])));
    const response = await requestEngine(endpointOf(tolerant), '/x', {timeoutMs: deadlineMs});
    expect(response.headers.server).toBe('Fake/\u00ff\u00fe1.0');
    expect(lookupFake(await detectContainers(detectionOf(tolerant)))?.name).toBe('web');

    const refused = await fakeEngine((socket) =>
      socket.end(
        Buffer.concat([
          withBytes('HTTP/1.1 200 OK\r\nX-@@: 1\r\nContent-Length: 2\r\n\r\n', '@@', [0xff]),
          Buffer.from('[]'),
        ]),
      ),
    );
    expectRequestError(
      attemptError(await rejection(detectContainers(detectionOf(refused)))),
      'protocol',
    );
  });

  it('events: an event whose name is not UTF-8 is delivered with its name marked', async () => {
    const line = withBytes(eventLine('v1', 'start', 'n@@'), '@@', [0xc3]);
    const engine = await fakeEngine((socket) => {
      socket.write(streamHead);
      socket.write(chunk(line));
      socket.write(chunk(eventLine('v2', 'stop')));
    });
    const recorder = watchEvents(engine);
    await expect.poll(() => ids(recorder)).toEqual(['v1:start', 'v2:stop']);
    expect(recorder.events[0]?.name).toBe('n\uFFFD');
  });
});

describe('deep nesting is parsed without recursion: a typed error or the containers beside it', () => {
  const depth = 100_000;
  it.each([
    ['100,000 "[" never closed', '['.repeat(depth)],
    ['100,000 nested arrays as the only item', `${'['.repeat(depth)}${']'.repeat(depth)}`],
    [
      '700,000 nested arrays (over 1 MiB: parsed in slices)',
      `${'['.repeat(700_000)}${']'.repeat(700_000)}`,
    ],
    ['100,000 "{" never closed', `[${'{"a":'.repeat(depth)}`],
  ])('%s: InvalidJsonError', async (_name, body) => {
    const engine = await fakeEngine((socket) => answerBody(socket, body, 'chunked'));
    const {value: error, elapsedMs} = await timed(() =>
      rejection(detectContainers(detectionOf(engine))),
    );
    expect(error).toBeInstanceOf(InvalidJsonError);
    expectWithinDeadline(elapsedMs);
  });

  it('15 million nested arrays (30 MB, under the body limit): refused within the deadline (regression)', async () => {
    // JSON.parse takes about 1 µs a byte of such nesting, and one item is one slice: without
    // a depth limit in the slicer this held the thread for 15-30 s, past any deadline.
    const nesting = 15_000_000;
    const body = Buffer.from(`${'['.repeat(nesting)}${']'.repeat(nesting)}`, 'latin1');
    const engine = await fakeEngine((socket) => answerBody(socket, body, 'length'));
    const timeoutMs = 3000;
    const {value: error, elapsedMs} = await timed(() =>
      rejection(detectContainers({env: hostOf(engine), timeoutMs})),
    );
    expect(error).toBeInstanceOf(InvalidJsonError);
    expect(error.message).toContain('nesting deeper than');
    expect(elapsedMs).toBeLessThan(timeoutMs + slackMs);
  });

  it('100,000 nested arrays and objects inside a container: it and the one beside it are read', async () => {
    const deep = `{"Id":"${'d'.repeat(64)}","Names":["/deep"],"Labels":{"x":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}},"Ports":${'['.repeat(depth)}${']'.repeat(depth)}}`;
    const body = `[${deep},${containerJson('e1', 'beside')}]`;
    const engine = await fakeEngine((socket) => answerBody(socket, body, 'length'));
    const {value: map, elapsedMs} = await timed(() => detectContainers(detectionOf(engine)));
    expect(lookupFake(map)?.name).toBe('beside');
    expect(map.engines[0]?.containers).toBe(2);
    expectWithinDeadline(elapsedMs);
  });

  it('events: a 100,000-deep line is skipped and the next event delivered', async () => {
    const engine = await fakeEngine((socket) => {
      socket.write(streamHead);
      socket.write(chunk(`${'['.repeat(depth)}${']'.repeat(depth)}\n${'{"a":'.repeat(depth)}\n`));
      socket.write(chunk(eventLine('w1', 'start')));
    });
    const recorder = watchEvents(engine);
    await expect.poll(() => ids(recorder)).toEqual(['w1:start']);
    expect(recorder.statuses.map((status) => status.connected)).toEqual([true]);
  });
});

describe('a 200 MB body is refused early, with bounded memory', () => {
  it.each([
    ['with Content-Length (refused at the head)', 'length', 0],
    ['chunked in 64 KiB chunks (refused at 32 MiB)', 'chunked', 64 * 1024],
    ['close-delimited, HTTP/1.0 (refused at 32 MiB)', 'close', 0],
  ] as const)('%s: detectContainers', async (_name, framing, chunkBytes) => {
    let pump: ReturnType<typeof pumpBody> | undefined;
    const engine = await fakeEngine((socket) => {
      pump = pumpBody(socket, {total: twoHundredMb, framing, chunkBytes});
    });
    const {
      value: error,
      elapsedMs,
      rssGrowthBytes,
    } = await measure(() => rejection(detectContainers({env: hostOf(engine), timeoutMs: 5000})));
    const cause = attemptError(error);
    expect(cause).toBeInstanceOf(ResponseTooLargeError);
    expect(cause).toMatchObject({part: 'body', limitBytes: maxBodyBytes});
    expect(elapsedMs).toBeLessThan(5000);
    expect(rssGrowthBytes).toBeLessThan(rssBoundBytes);
    await pump?.closed;
    expect(pump?.cutShort).toBe(true);
    // Read no further than the limit and what the socket buffers held when it was refused.
    expect(pump?.written).toBeLessThan(framing === 'length' ? 8 * mib : maxBodyBytes + 16 * mib);
    console.info(
      `200 MB ${framing}: refused in ${elapsedMs.toFixed(0)} ms, RSS +${(rssGrowthBytes / mib).toFixed(1)} MiB, engine wrote ${(pump?.written ?? 0) / mib} MiB`,
    );
  });

  it('chunked in 1-byte chunks: the deadline ends it, memory stays bounded (regression)', async () => {
    let pump: ReturnType<typeof pumpBody> | undefined;
    const engine = await fakeEngine((socket) => {
      pump = pumpBody(socket, {total: twoHundredMb, framing: 'chunked', chunkBytes: 1});
    });
    const {
      value: error,
      elapsedMs,
      rssGrowthBytes,
    } = await measure(() =>
      rejection(requestEngine(endpointOf(engine), '/x', {timeoutMs: deadlineMs})),
    );
    // Up to 32 Mi one-byte chunks are let in: the clock, not the size, stops this one.
    expect(error).toBeInstanceOf(NanodockError);
    expect(error instanceof EngineRequestError || error instanceof ResponseTooLargeError).toBe(
      true,
    );
    expect(elapsedMs).toBeLessThan(deadlineMs + slackMs);
    expect(rssGrowthBytes).toBeLessThan(rssBoundBytes);
    await pump?.closed;
    console.info(
      `200 MB in 1-byte chunks: ${error.name} in ${elapsedMs.toFixed(0)} ms, RSS +${(rssGrowthBytes / mib).toFixed(1)} MiB, engine wrote ${((pump?.written ?? 0) / mib).toFixed(1)} MiB of body`,
    );
  });

  it('the parser keeps about the body bytes of a 1-byte-chunk body, not a Buffer per chunk (regression)', () => {
    expect(collect).toBeDefined();
    const retained = (): number => {
      collect?.();
      const usage = process.memoryUsage();
      return usage.heapUsed + usage.arrayBuffers;
    };
    const parser = new HttpResponseParser('unix:///x', maxBodyBytes, maxHeaderBytes);
    parser.push(Buffer.from(streamHead));
    // About 2 Mi one-byte chunks, 12 MiB on the wire, pushed as 64 KiB reads. The same read is
    // pushed each time: 192 fresh 64 KiB copies would be garbage whose backing stores V8 frees
    // on a background thread, and an unfinished sweep counted them (CI: +14 MiB, stop 18).
    const read = Buffer.from('1\r\nx\r\n'.repeat(10_922));
    const before = retained();
    for (let index = 0; index < 192; index++) {
      parser.push(read);
    }
    const growth = retained() - before;
    expect(parser.received).toBe(192 * 10_922);
    expect(parser.complete).toBe(false);
    expect(growth).toBeLessThan(4 * parser.received + mib);
    parser.push(Buffer.from('0\r\n\r\n'));
    expect(parser.body).toBe('x'.repeat(192 * 10_922));
  });

  it('stopContainer: a 200 MB error body fails the stop with ResponseTooLargeError', async () => {
    const engine = await fakeEngine((socket) => {
      socket.write('HTTP/1.1 500 Oops\r\nTransfer-Encoding: chunked\r\n\r\n');
      const block = chunk(Buffer.alloc(64 * 1024, 0x61));
      let written = 0;
      const pump = (): void => {
        while (!socket.destroyed && written < twoHundredMb) {
          written += 64 * 1024;
          if (!socket.write(block)) {
            socket.once('drain', pump);
            return;
          }
        }
      };
      pump();
    });
    const {
      value: report,
      elapsedMs,
      rssGrowthBytes,
    } = await measure(() => stopContainerWithReport('abc', false, {env: hostOf(engine)}));
    expect(report.outcome).toBe('failed');
    expect(report.error).toBeInstanceOf(ResponseTooLargeError);
    expect(elapsedMs).toBeLessThan(5000);
    expect(rssGrowthBytes).toBeLessThan(rssBoundBytes);
  });

  it.each([
    ['64 KiB chunks', 64 * 1024, 16 * mib],
    ['4-byte chunks (regression)', 4, 16 * mib],
  ])(
    'events: a 200 MB line in %s drops the stream at 1 MiB, memory bounded',
    async (_name, chunkBytes, writtenBound) => {
      let pump: ReturnType<typeof pumpBody> | undefined;
      const engine = await fakeEngine((socket) => {
        pump = pumpBody(socket, {total: twoHundredMb, framing: 'chunked', chunkBytes, fill: 0x7b});
      });
      const {
        value: failure,
        rssGrowthBytes,
        elapsedMs,
      } = await measure(() => {
        // The subscription's deadline is not the point here: the line limit is.
        const recorder = watchEvents(engine, {minRetryMs: 60_000, timeoutMs: 10_000});
        return firstFailure(recorder);
      });
      expectRequestError(failure.error, 'protocol');
      expect(failure.error?.message).toContain(`longer than ${maxEventLineBytes} bytes`);
      expect(rssGrowthBytes).toBeLessThan(rssBoundBytes);
      await pump?.closed;
      expect(pump?.written).toBeLessThan(writtenBound);
      console.info(
        `events, 200 MB line in ${chunkBytes}-byte chunks: dropped in ${elapsedMs.toFixed(0)} ms, RSS +${(rssGrowthBytes / mib).toFixed(1)} MiB`,
      );
    },
  );

  it('events: a refusal with a 200 MB body is reported with its status at once, the rest unread', async () => {
    let written = 0;
    let closed = false;
    const engine = await fakeEngine((socket) => {
      socket.on('close', () => {
        closed = true;
      });
      socket.write('HTTP/1.1 500 Oops\r\nTransfer-Encoding: chunked\r\n\r\n');
      const block = chunk(Buffer.from(`{"message":"${'x'.repeat(64 * 1024 - 16)}"}`));
      const pump = (): void => {
        while (!socket.destroyed && written < twoHundredMb) {
          written += 64 * 1024;
          if (!socket.write(block)) {
            socket.once('drain', pump);
            return;
          }
        }
      };
      pump();
    });
    const {value: failure, rssGrowthBytes} = await measure(() =>
      firstFailure(watchEvents(engine, {minRetryMs: 60_000})),
    );
    expect(failure.error).toBeInstanceOf(EngineStatusError);
    expect((failure.error as EngineStatusError).statusCode).toBe(500);
    expectWithinDeadline(failure.atMs);
    expect(rssGrowthBytes).toBeLessThan(rssBoundBytes);
    await expect.poll(() => closed).toBe(true);
    expect(written).toBeLessThan(16 * mib);
  });
});

describe('slowloris: one byte every 100 ms, never finishing, ends at the deadline', () => {
  it.each([
    ['the status line', ''],
    ['a header', 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n'],
    ['a Content-Length body', 'HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n[{"Id":"a"'],
    ['a chunked body', `${streamHead}ffff\r\n[`],
  ])('in %s: requestEngine, detectContainers, awaitDetection', async (_name, start) => {
    const engine = await fakeEngine((socket) => {
      socket.write(start);
      dripBytes(socket, start === '' ? 'HTTP/1.1 200 OK' : 'X-Slow: aaaa', 100);
    });
    const [request, detection, background] = await Promise.all([
      timed(() => rejection(requestEngine(endpointOf(engine), '/x', {timeoutMs: deadlineMs}))),
      timed(() => rejection(detectContainers(detectionOf(engine)))),
      timedBackground(engine),
    ]);
    expectRequestError(request.value, 'timeout');
    expectRequestError(attemptError(detection.value), 'timeout');
    expectRequestError(background.value.engines[0]?.error, 'timeout');
    for (const {elapsedMs} of [request, detection, background]) {
      expectAtDeadline(elapsedMs);
    }
  });

  it('events: a subscription whose head drips in is dropped at its deadline', async () => {
    const engine = await fakeEngine((socket) => {
      socket.write('HTTP/1.1 200 OK\r\n');
      dripBytes(socket, 'X-Slow: aaaa', 100);
    });
    const failure = await firstFailure(watchEvents(engine, {minRetryMs: 60_000}));
    expectRequestError(failure.error, 'timeout');
    expectAtDeadline(failure.atMs);
  });
});

describe('a silent engine ends at the deadline', () => {
  it.each([
    ['reads the request, never answers', false],
    ['never even reads the request', true],
  ])('%s: requestEngine, detectContainers, awaitDetection, events', async (_name, unread) => {
    const engine = await fakeEngine(() => {}, {unread});
    const recorder = watchEvents(engine, {minRetryMs: 60_000});
    const [request, detection, background, events] = await Promise.all([
      timed(() => rejection(requestEngine(endpointOf(engine), '/x', {timeoutMs: deadlineMs}))),
      timed(() => rejection(detectContainers(detectionOf(engine)))),
      timedBackground(engine),
      firstFailure(recorder),
    ]);
    expectRequestError(request.value, 'timeout');
    expectRequestError(attemptError(detection.value), 'timeout');
    expect(background.value.size).toBe(0);
    expectRequestError(background.value.engines[0]?.error, 'timeout');
    expectRequestError(events.error, 'timeout');
    for (const elapsedMs of [
      request.elapsedMs,
      detection.elapsedMs,
      background.elapsedMs,
      events.atMs,
    ]) {
      expectAtDeadline(elapsedMs);
    }
  });

  it('stopContainer waits for a silent engine only as long as the caller lets it', async () => {
    const engine = await fakeEngine(() => {});
    const {value: report, elapsedMs} = await timed(() =>
      stopContainerWithReport('abc', false, {
        env: hostOf(engine),
        signal: AbortSignal.timeout(deadlineMs),
      }),
    );
    expect(report.outcome).toBe('failed');
    expectRequestError(report.error, 'aborted');
    expectAtDeadline(elapsedMs);
  });
});

describe('a connection reset in the middle of the body is truncated, with ECONNRESET', () => {
  /**
   * Plays `answer`, then closes with the request still unread: Linux then resets the client's
   * side of a Unix socket, as an RST would on TCP. The request is in the kernel once the
   * client's connect callback has run, which is in the same loop turn as our accept or the
   * next; two turns later it is there.
   */
  function resetAfter(answer: string | Buffer): (socket: Socket) => void {
    return (socket) => {
      socket.write(answer, () => {
        setImmediate(() => setImmediate(() => socket.destroy()));
      });
    };
  }

  it('requestEngine, detectContainers, stopContainer', async () => {
    const engine = await fakeEngine(
      resetAfter('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n[{"Id":"a'),
      {unread: true},
    );
    const [request, detection, stop] = await Promise.all([
      timed(() => rejection(requestEngine(endpointOf(engine), '/x', {timeoutMs: deadlineMs}))),
      timed(() => rejection(detectContainers(detectionOf(engine)))),
      timed(() => stopContainerWithReport('abc', true, detectionOf(engine))),
    ]);
    for (const error of [request.value, attemptError(detection.value), stop.value.error]) {
      expectRequestError(error, 'truncated');
      expect(error).toMatchObject({code: 'ECONNRESET'});
      expect(error?.message).toContain('after 9 bytes of the body');
    }
    expect(stop.value.outcome).toBe('failed');
    for (const {elapsedMs} of [request, detection, stop]) {
      expectWithinDeadline(elapsedMs);
    }
  });

  it('a reset before any byte is truncated "before answering"', async () => {
    const engine = await fakeEngine(resetAfter(''), {unread: true});
    const error = await rejection(requestEngine(endpointOf(engine), '/x', {timeoutMs: deadlineMs}));
    expectRequestError(error, 'truncated');
    expect(error).toMatchObject({code: 'ECONNRESET'});
    expect(error.message).toContain('before answering');
  });

  it('events: a reset stream is reported truncated, after delivering what came before', async () => {
    let connection = 0;
    const engine = await fakeEngine(
      (socket) => {
        connection++;
        if (connection === 1) {
          resetAfter(Buffer.concat([Buffer.from(streamHead), chunk(eventLine('r1', 'start'))]))(
            socket,
          );
        } else {
          socket.write(Buffer.concat([Buffer.from(streamHead), chunk(eventLine('r2', 'start'))]));
        }
      },
      {unread: true},
    );
    const recorder = watchEvents(engine);
    const failure = await firstFailure(recorder);
    expectRequestError(failure.error, 'truncated');
    await expect.poll(() => ids(recorder)).toEqual(['r1:start', 'r2:start']);
  });
});

/**
 * Plays `answer` to a detection inside a worker thread (the built library, dist/), so that a
 * parser caught in an endless loop fails this test instead of freezing the test process:
 * the worker is terminated after `hangMs`. Resolves with what the detection gave.
 */
function detectInWorker(
  answer: string,
  hangMs = 15_000,
): Promise<{name?: string; cause?: string; failure?: string; elapsedMs?: number} | 'hung'> {
  const code = `
    const {parentPort, workerData} = require('node:worker_threads');
    const net = require('node:net');
    (async () => {
      const {detectContainers} = await import(workerData.library);
      const server = net.createServer((socket) => {
        socket.on('error', () => {});
        socket.once('data', () => socket.write(Buffer.from(workerData.answer, 'latin1')));
      });
      await new Promise((resolve) => server.listen(workerData.socketPath, resolve));
      const started = performance.now();
      try {
        await detectContainers({env: {DOCKER_HOST: 'unix://' + workerData.socketPath}, timeoutMs: workerData.timeoutMs});
        parentPort.postMessage({name: 'resolved'});
      } catch (error) {
        const cause = error.attempts?.[0]?.error;
        parentPort.postMessage({name: error.name, cause: cause?.name, failure: cause?.failure, elapsedMs: performance.now() - started});
      }
      server.close();
    })();
  `;
  const worker = new Worker(code, {
    eval: true,
    workerData: {
      answer,
      library: new URL('../../dist/index.js', import.meta.url).href,
      socketPath: join(mkdtempSync(join(tmpdir(), 'nanodock-worker-')), 'engine.sock'),
      timeoutMs: deadlineMs,
    },
  });
  return new Promise((resolve, reject) => {
    const guard = setTimeout(() => {
      void worker.terminate();
      resolve('hung');
    }, hangMs);
    worker.once('message', (message) => {
      clearTimeout(guard);
      void worker.terminate();
      resolve(message);
    });
    worker.once('error', (error) => {
      clearTimeout(guard);
      reject(error);
    });
  });
}

describe('a header line without a colon is a protocol error, never a hang (regression)', () => {
  it.each([
    ['as the last line of the head', 'HTTP/1.1 200 OK\r\nX-No-Colon\r\n\r\n[]'],
    ['after a framing header', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-A\r\n\r\n[]'],
    [
      'in a 1xx head',
      'HTTP/1.1 103 Early\r\nLink\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n[]',
    ],
  ])('%s', async (_name, answer) => {
    const outcome = await detectInWorker(answer);
    expect(outcome).not.toBe('hung');
    expect(outcome).toMatchObject({
      name: 'DaemonNotFoundError',
      cause: 'EngineRequestError',
      failure: 'protocol',
    });
    expectWithinDeadline((outcome as {elapsedMs: number}).elapsedMs);
  });
});

describe('a redirect is never followed: a typed status error', () => {
  it.each([300, 301, 302, 303, 307, 308])(
    '%i: requestEngine returns it as it is; detectContainers and stopContainer fail with it',
    async (status) => {
      const elsewhere = await fakeEngine((socket) => answerBody(socket, '[]'));
      const engine = await fakeEngine((socket) =>
        socket.end(
          `HTTP/1.1 ${status} Moved\r\nLocation: unix://${elsewhere.socketPath}/containers/json\r\nContent-Length: 0\r\n\r\n`,
        ),
      );
      const response = await requestEngine(endpointOf(engine), '/containers/json', {
        timeoutMs: deadlineMs,
      });
      expect(response.statusCode).toBe(status);
      const detection = await timed(() => rejection(detectContainers(detectionOf(engine))));
      const cause = attemptError(detection.value);
      expect(cause).toBeInstanceOf(EngineStatusError);
      expect((cause as EngineStatusError).statusCode).toBe(status);
      expectWithinDeadline(detection.elapsedMs);
      const stop = await stopContainerWithReport('abc', true, detectionOf(engine));
      expect(stop.outcome).toBe('failed');
      expect(stop.error).toMatchObject({name: 'EngineStatusError', statusCode: status});
      expect(engine.requests).toEqual([
        'GET /containers/json HTTP/1.1',
        'GET /containers/json HTTP/1.1',
        'POST /containers/abc/kill HTTP/1.1',
      ]);
      expect(elsewhere.requests).toEqual([]);
    },
  );

  it('events: a redirected subscription is a status error, and the target is never asked', async () => {
    const elsewhere = await fakeEngine((socket) => socket.write(streamHead));
    const engine = await fakeEngine((socket) =>
      socket.end(
        `HTTP/1.1 307 Temporary Redirect\r\nLocation: unix://${elsewhere.socketPath}/events\r\nContent-Length: 0\r\n\r\n`,
      ),
    );
    const failure = await firstFailure(watchEvents(engine));
    expect(failure.error).toBeInstanceOf(EngineStatusError);
    expect((failure.error as EngineStatusError).statusCode).toBe(307);
    expectWithinDeadline(failure.atMs);
    await expect.poll(() => engine.requests.length).toBeGreaterThanOrEqual(3);
    expect(elsewhere.requests).toEqual([]);
  });
});

describe('bad chunk sizes are protocol errors (or too large), at once', () => {
  const body = '[]';
  it.each([
    ['a non-hex size', `zz\r\n${body}\r\n0\r\n\r\n`, 'protocol'],
    ['a 0x prefix', `0x2\r\n${body}\r\n0\r\n\r\n`, 'protocol'],
    ['a negative size', `-2\r\n${body}\r\n0\r\n\r\n`, 'protocol'],
    ['a plus sign', `+2\r\n${body}\r\n0\r\n\r\n`, 'protocol'],
    ['a space inside the size', `1 0\r\n${body}\r\n0\r\n\r\n`, 'protocol'],
    ['an empty size line', `\r\n${body}\r\n0\r\n\r\n`, 'protocol'],
    ['a size line ended by a bare LF', `2\n${body}\r\n0\r\n\r\n`, 'protocol'],
    ['a size line ended by a bare CR', `2\r${body}\r\n0\r\n\r\n`, 'protocol'],
    ['data without its CRLF', `2\r\n${body}2\r\n[]\r\n0\r\n\r\n`, 'protocol'],
    ['data longer than its size', `1\r\n${body}\r\n0\r\n\r\n`, 'protocol'],
    ['a size line of 5,000 zeros', `${'0'.repeat(5000)}2\r\n${body}\r\n0\r\n\r\n`, 'protocol'],
    ['a control character in an extension', `2;a=\u0001\r\n${body}\r\n0\r\n\r\n`, 'protocol'],
    ['a huge size (20 hex digits)', `ffffffffffffffffffff\r\n${body}\r\n0\r\n\r\n`, 'body'],
    ['a size just over the body limit', `${(maxBodyBytes + 1).toString(16)}\r\n${body}`, 'body'],
  ])('%s', async (_name, rest, kind) => {
    const engine = await fakeEngine((socket) => {
      // Left open: the refusal must not wait for the connection's end.
      socket.write(`${streamHead}${rest}`);
    });
    const [request, detection] = await Promise.all([
      timed(() => rejection(requestEngine(endpointOf(engine), '/x', {timeoutMs: deadlineMs}))),
      timed(() => rejection(detectContainers(detectionOf(engine)))),
    ]);
    for (const error of [request.value, attemptError(detection.value)]) {
      if (kind === 'protocol') {
        expectRequestError(error, 'protocol');
      } else {
        expect(error).toBeInstanceOf(ResponseTooLargeError);
        expect(error).toMatchObject({part: 'body'});
      }
    }
    expectWithinDeadline(request.elapsedMs);
    expectWithinDeadline(detection.elapsedMs);
  });

  it.each([
    ['a non-hex size', 'zz\r\n'],
    ['a negative size', '-5\r\nhello\r\n'],
    ['a huge size', 'ffffffffffffffffffff\r\nhello\r\n'],
    [
      'data without its CRLF',
      `${eventLine('x', 'y').length.toString(16)}\r\n${eventLine('x', 'y')}XX`,
    ],
  ])(
    'events: %s drops the stream as a protocol error, which then reconnects',
    async (_name, rest) => {
      const engine = await fakeEngine((socket) => socket.write(`${streamHead}${rest}`));
      const recorder = watchEvents(engine);
      const failure = await firstFailure(recorder);
      expectRequestError(failure.error, 'protocol');
      expectWithinDeadline(failure.atMs);
      await expect.poll(() => engine.requests.length).toBeGreaterThanOrEqual(2);
    },
  );
});

describe('an HTTP/1.0 body that runs to the end of the connection is valid', () => {
  it('detectContainers reads it, written in pieces, and the look-up finds the container', async () => {
    const body = `[${containerJson('h1', 'old')},${containerJson('h2', 'other', fakePort + 1)}]`;
    const engine = await fakeEngine((socket) => {
      socket.write(
        'HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nServer: Docker/20.10\r\n\r\n',
      );
      socket.write(body.slice(0, 50));
      setImmediate(() => {
        socket.write(body.slice(50, 120));
        setImmediate(() => socket.end(body.slice(120)));
      });
    });
    const {value: map, elapsedMs} = await timed(() => detectContainers(detectionOf(engine)));
    expect(lookupFake(map)?.name).toBe('old');
    expect(map.engines[0]?.containers).toBe(2);
    expectWithinDeadline(elapsedMs);
  });

  it('stopContainer reads an HTTP/1.0 204 and 304', async () => {
    const stopped = await fakeEngine((socket) => socket.end('HTTP/1.0 204 No Content\r\n\r\n'));
    expect(await stopContainer('abc', false, detectionOf(stopped))).toBe('stopped');
    const already = await fakeEngine((socket) => socket.end('HTTP/1.0 304 Not Modified\r\n\r\n'));
    expect(await stopContainer('abc', false, detectionOf(already))).toBe('already-stopped');
  });

  it('events: an HTTP/1.0 stream delivers its events, and its end is a reconnect', async () => {
    let connection = 0;
    const engine = await fakeEngine((socket) => {
      connection++;
      socket.write('HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n');
      socket.write(eventLine(`o${connection}`, 'start'));
      if (connection === 1) {
        setImmediate(() => socket.end(eventLine('o1', 'die')));
      }
    });
    const recorder = watchEvents(engine);
    await expect.poll(() => ids(recorder)).toEqual(['o1:start', 'o1:die', 'o2:start']);
    expectRequestError(recorder.statuses[1]?.error, 'truncated');
  });
});

describe('1xx interim answers before the real one are skipped', () => {
  const interim =
    'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </x>; rel=preload\r\n\r\n';

  it('detectContainers reads the list after them, however the bytes are split', async () => {
    const body = `[${containerJson('i1', 'after')}]`;
    const answer = `${interim}HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    for (const cut of [1, 26, 27, 60, interim.length, interim.length + 5]) {
      const engine = await fakeEngine((socket) => {
        socket.write(answer.slice(0, cut));
        setImmediate(() => socket.end(answer.slice(cut)));
      });
      const map = await detectContainers(detectionOf(engine));
      expect(lookupFake(map)?.name).toBe('after');
    }
  });

  it('stopContainer reads a 204 after a 100 Continue', async () => {
    const engine = await fakeEngine((socket) =>
      socket.end('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n'),
    );
    expect(await stopContainer('abc', true, detectionOf(engine))).toBe('stopped');
  });

  it('events: the stream after them delivers its events', async () => {
    const engine = await fakeEngine((socket) => {
      socket.write(interim);
      socket.write(streamHead);
      socket.write(chunk(eventLine('k1', 'start')));
    });
    const recorder = watchEvents(engine);
    await expect.poll(() => ids(recorder)).toEqual(['k1:start']);
  });

  it('an endless run of them is refused once their heads pass 64 KiB', async () => {
    const engine = await fakeEngine((socket) => {
      socket.write('HTTP/1.1 100 Continue\r\n\r\n'.repeat(Math.ceil(maxHeaderBytes / 25) + 10));
    });
    const {value: error, elapsedMs} = await timed(() =>
      rejection(detectContainers(detectionOf(engine))),
    );
    const cause = attemptError(error);
    expect(cause).toBeInstanceOf(ResponseTooLargeError);
    expect(cause).toMatchObject({part: 'headers'});
    expectWithinDeadline(elapsedMs);
  });

  it('101 Switching Protocols, never asked for, is a protocol error', async () => {
    const engine = await fakeEngine((socket) =>
      socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: tcp\r\n\r\n'),
    );
    expectRequestError(
      attemptError(await rejection(detectContainers(detectionOf(engine)))),
      'protocol',
    );
  });
});
