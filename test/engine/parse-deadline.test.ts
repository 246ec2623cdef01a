import {afterEach, beforeAll, describe, expect, it} from 'vitest';
import {awaitDetection, detectContainers, startDetection} from '../../source/engine/detect.js';
import {maxBodyBytes} from '../../source/engine/http.js';
import {
  parseContainerList,
  parseContainersJson,
  readContainerList,
  wholeParseChars,
} from '../../source/engine/parse-containers.js';
import {DaemonNotFoundError} from '../../source/errors/daemon-not-found-error.js';
import {EngineRequestError} from '../../source/errors/engine-request-error.js';
import type {ContainerPortMap} from '../../source/model/container-port-map.js';
import {
  answerJson,
  type FakeEngine,
  hostOf,
  rejection,
  startFakeEngine,
} from '../helpers/fake-engine.js';

/**
 * A container list of `count` tiny containers; every `portEvery`-th publishes a port (from
 * 20000 up) or, every other time, a libpod range. Built with one join, not by concatenation.
 */
function containerList(count: number, portEvery = 0): string {
  const items = new Array<string>(count);
  for (let index = 0; index < count; index++) {
    const id = index.toString(16).padStart(64, '0');
    if (portEvery > 0 && index % portEvery === 0) {
      const port = 20_000 + ((index / portEvery) % 40_000);
      items[index] =
        index % (portEvery * 2) === 0
          ? `{"Id":"${id}","Names":["/p${index}"],"Ports":[{"IP":"0.0.0.0","PrivatePort":80,"PublicPort":${port},"Type":"tcp"}]}`
          : `{"Id":"${id}","Names":["/r${index}"],"Ports":[{"host_ip":"127.0.0.1","container_port":80,"host_port":${port},"range":3,"protocol":"tcp,udp"}]}`;
    } else {
      items[index] = `{"Id":"${id}","Names":["/n"]}`;
    }
  }
  return `[${items.join(',')}]`;
}

const origin = {endpoint: 'unix:///fake/engine.sock', engine: 'docker' as const};

let engine: FakeEngine | undefined;
afterEach(async () => {
  await engine?.close();
  engine = undefined;
});

/** Slack over a deadline: the CI machine has 2 cores and the test process parses too. */
const slackMs = 250;

describe('the detection deadline holds on a huge body (~28 MiB of tiny containers)', () => {
  let huge = '';
  beforeAll(() => {
    huge = containerList(330_000);
    expect(huge.length).toBeGreaterThan(25 * 1024 * 1024);
    expect(Buffer.byteLength(huge)).toBeLessThan(maxBodyBytes);
  });

  it('awaitDetection returns within the deadline and reports a timeout', async () => {
    engine = await startFakeEngine((socket) => answerJson(socket, 200, huge));
    const timeoutMs = 300;
    const started = performance.now();
    const map = await awaitDetection(startDetection({env: hostOf(engine), timeoutMs}));
    const elapsed = performance.now() - started;
    expect(elapsed).toBeLessThan(timeoutMs + slackMs);
    expect(map.size).toBe(0);
    expect(map.engines).toHaveLength(1);
    const [report] = map.engines;
    expect(report?.ok).toBe(false);
    expect(report?.containers).toBe(0);
    expect(report?.error).toBeInstanceOf(EngineRequestError);
    expect(report?.error).toMatchObject({failure: 'timeout'});
  });

  it('detectContainers rejects within the deadline, its only attempt a timeout', async () => {
    engine = await startFakeEngine((socket) => answerJson(socket, 200, huge));
    const timeoutMs = 300;
    const started = performance.now();
    const error = await rejection(detectContainers({env: hostOf(engine), timeoutMs}));
    const elapsed = performance.now() - started;
    expect(elapsed).toBeLessThan(timeoutMs + slackMs);
    expect(error).toBeInstanceOf(DaemonNotFoundError);
    const attempts = (error as DaemonNotFoundError).attempts;
    expect(attempts).toHaveLength(1);
    expect(attempts[0]?.error).toBeInstanceOf(EngineRequestError);
    expect(attempts[0]?.error).toMatchObject({failure: 'timeout'});
  });

  it('a deadline the transfer meets cuts the parse itself short, part way through', async () => {
    // 9 million empty objects: quick to send, over a second to parse into containers.
    const empties = `[${'{},'.repeat(9_000_000)}{}]`;
    expect(Buffer.byteLength(empties)).toBeLessThan(maxBodyBytes);
    // What this machine needs for the whole parse, measured now: the parse is given a third.
    const calibration = performance.now();
    await readContainerList(empties, origin, {
      deadline: calibration + 60_000,
      timeoutMs: 60_000,
      portsOnly: true,
    });
    const parseBudgetMs = (performance.now() - calibration) / 3;
    const timeoutMs = 3000;
    let started = 0;
    let lastByteAt = Number.POSITIVE_INFINITY;
    // The body arrives whole but for its last byte, which the engine holds back until the
    // parse has a third of what it needs left: it starts in time and cannot end in time.
    engine = await startFakeEngine((socket) => {
      const bytes = Buffer.from(empties, 'utf8');
      socket.write(
        `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${bytes.length}\r\nConnection: close\r\n\r\n`,
      );
      socket.write(bytes.subarray(0, -1));
      const holdMs = started + timeoutMs - parseBudgetMs - performance.now();
      setTimeout(
        () => {
          lastByteAt = performance.now();
          socket.end(bytes.subarray(-1));
        },
        Math.max(0, holdMs),
      );
    });
    started = performance.now();
    const map = await awaitDetection(startDetection({env: hostOf(engine), timeoutMs}));
    const elapsed = performance.now() - started;
    expect(elapsed).toBeLessThan(timeoutMs + slackMs);
    // The body arrived before the deadline: what stopped the detection was the parse.
    expect(lastByteAt).toBeLessThan(started + timeoutMs);
    const error = map.engines[0]?.error;
    expect(error, `parse budget ${parseBudgetMs.toFixed(0)} ms`).toBeInstanceOf(EngineRequestError);
    expect((error as EngineRequestError).failure).toBe('timeout');
    // The parse's own message, with how far it got. On a loaded machine a slice may end past
    // awaitDetection's 50 ms backstop, whose message is then the detection's; the deadline
    // held either way (the elapsed time above), where a parse in one go would take a second.
    const read = /was not read within 3000 ms \((\d+) containers read\)/.exec(error?.message ?? '');
    if (read === null) {
      expect(error?.message).toBe('detection: no engine answered within 3000 ms');
    } else {
      expect(Number(read[1])).toBeGreaterThan(0);
      expect(Number(read[1])).toBeLessThan(9_000_001);
    }
  }, 30_000);

  it('readContainerList stops at its deadline, a slice at most after it', async () => {
    const started = performance.now();
    const deadline = started + 60;
    const error = await rejection(readContainerList(huge, origin, {deadline, timeoutMs: 60}));
    const elapsed = performance.now() - started;
    expect(error).toBeInstanceOf(EngineRequestError);
    expect((error as EngineRequestError).failure).toBe('timeout');
    expect((error as EngineRequestError).endpoint).toBe(origin.endpoint);
    expect(error.message).toMatch(/was not read within 60 ms \(\d+ containers read\)/);
    expect(elapsed).toBeLessThan(60 + slackMs);
  });

  it('a deadline already past stops it before the first slice', async () => {
    const error = await rejection(
      readContainerList(huge, origin, {deadline: performance.now() - 1, timeoutMs: 1}),
    );
    expect((error as EngineRequestError).failure).toBe('timeout');
    expect(error.message).toContain('(0 containers read)');
  });

  it('an abort fired during the sliced parse stops it with "aborted"', async () => {
    const controller = new AbortController();
    const started = performance.now();
    const reading = readContainerList(huge, origin, {
      deadline: started + 60_000,
      timeoutMs: 60_000,
      signal: controller.signal,
    });
    // The parse lets the event loop run between slices: this timer fires in the middle.
    setTimeout(() => controller.abort(new Error('stop now')), 40);
    const error = await rejection(reading);
    const elapsed = performance.now() - started;
    expect(error).toBeInstanceOf(EngineRequestError);
    expect((error as EngineRequestError).failure).toBe('aborted');
    expect((error.cause as Error).message).toBe('stop now');
    expect(elapsed).toBeLessThan(40 + slackMs);
  });

  it('an abort of a detection during its parse reports "aborted" at once', async () => {
    const controller = new AbortController();
    engine = await startFakeEngine((socket) => {
      answerJson(socket, 200, huge);
      // Once the whole body is written, the client is about done reading it: abort then.
      socket.once('finish', () => setTimeout(() => controller.abort(), 30));
    });
    const started = performance.now();
    const handle = startDetection({
      env: hostOf(engine),
      timeoutMs: 20_000,
      signal: controller.signal,
    });
    const map = await awaitDetection(handle);
    const elapsed = performance.now() - started;
    expect(controller.signal.aborted).toBe(true);
    expect(elapsed).toBeLessThan(5_000);
    const error = map.engines[0]?.error;
    expect(error).toBeInstanceOf(EngineRequestError);
    expect((error as EngineRequestError).failure).toBe('aborted');
  });
});

describe('a 4 MiB valid body with a generous deadline', () => {
  let body = '';
  beforeAll(() => {
    body = containerList(48_000, 25);
    expect(body.length).toBeGreaterThan(4 * wholeParseChars);
  });

  /** Ids on a sample of ports: each published port, its neighbours and a range's ports. */
  function lookups(map: ContainerPortMap): string[] {
    const seen: string[] = [];
    for (let port = 19_999; port <= 21_925; port++) {
      for (const protocol of ['tcp', 'udp'] as const) {
        const ids = map.containersOnPort(port, protocol).map(({id}) => id.slice(-6));
        if (ids.length > 0) {
          seen.push(`${protocol}/${port}: ${ids.join(' ')}`);
        }
      }
    }
    return seen;
  }

  it('readContainerList parses it completely, as parseContainerList does', async () => {
    const list = await readContainerList(body, origin, {
      deadline: performance.now() + 60_000,
      timeoutMs: 60_000,
    });
    const whole = parseContainerList(body, origin);
    expect(list.count).toBe(48_000);
    expect(list.containers).toHaveLength(48_000);
    expect(list.containers).toEqual(whole);
    const withPorts = await readContainerList(body, origin, {
      deadline: performance.now() + 60_000,
      timeoutMs: 60_000,
      portsOnly: true,
    });
    expect(withPorts.count).toBe(48_000);
    expect(withPorts.containers).toEqual(whole.filter(({ports}) => ports.length > 0));
    expect(withPorts.containers).toHaveLength(1920);
  });

  it('a detection reads it all within its deadline, with the same ports as parseContainersJson', async () => {
    engine = await startFakeEngine((socket) => answerJson(socket, 200, body));
    const map = await detectContainers({env: hostOf(engine), timeoutMs: 20_000});
    expect(map.engines).toHaveLength(1);
    expect(map.engines[0]).toMatchObject({ok: true, containers: 48_000, error: null});
    const reference = parseContainersJson(body);
    expect(map.size).toBe(reference.size);
    expect(map.rangeCount).toBe(reference.rangeCount);
    expect(map.containers().map(({id}) => id)).toEqual(reference.containers().map(({id}) => id));
    const found = lookups(map);
    expect(found.length).toBeGreaterThan(1000);
    expect(found).toEqual(lookups(reference));
  });
});
