import {execFile} from 'node:child_process';
import {mkdtempSync, symlinkSync} from 'node:fs';
import type {Socket} from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {afterEach, describe, expect, it} from 'vitest';
import {
  type EngineEvent,
  type EngineEventWatcher,
  maxEventLineBytes,
  parseEngineEvent,
  watchEngineEvents,
} from '../../source/engine/events.js';
import {EngineRequestError} from '../../source/errors/engine-request-error.js';
import {EngineStatusError} from '../../source/errors/engine-status-error.js';
import {answerJson, type FakeEngine, startFakeEngine} from '../helpers/fake-engine.js';

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

const eventsRequest = 'GET /events?filters=%7B%22type%22%3A%5B%22container%22%5D%7D HTTP/1.1';

/** A fake engine that plays `connections[n]` on its n-th request (the last one repeats). */
async function fakeEngine(
  ...connections: Array<(socket: Socket, index: number) => void>
): Promise<FakeEngine> {
  let count = 0;
  const engine = await startFakeEngine((socket) => {
    const play = connections[Math.min(count, connections.length - 1)];
    count += 1;
    play?.(socket, count - 1);
  });
  engines.push(engine);
  return engine;
}

function streamHead(socket: Socket): void {
  socket.write(
    'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n',
  );
}

function writeChunk(socket: Socket, data: string | Buffer): void {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  socket.write(`${bytes.length.toString(16)}\r\n`);
  socket.write(bytes);
  socket.write('\r\n');
}

function endStream(socket: Socket): void {
  socket.end('0\r\n\r\n');
}

/**
 * One line of Docker 20.10's /events, as captured on the lab (shortened id). timeNano is past
 * 2^53, as Docker's own: only the text can carry it.
 */
function dockerLine(id: string, action: string, name = `ctr-${id}`, type = 'container'): string {
  return `${JSON.stringify({
    status: action,
    id,
    from: 'nanodock-lab/busybox:latest',
    Type: type,
    Action: action,
    Actor: {ID: id, Attributes: {image: 'nanodock-lab/busybox:latest', name}},
    scope: 'local',
    time: 1795873697,
    timeNano: 0,
  }).replace('"timeNano":0', '"timeNano":1795873697463090318')}\n`;
}

/** Runs `later` after `ms`: only to make the engine's writes arrive as separate reads. */
function writeLater(ms: number, later: () => void): void {
  setTimeout(later, ms);
}

interface Recorder {
  readonly events: EngineEvent[];
  readonly statuses: Array<{endpoint: string; connected: boolean; error: Error | null}>;
  readonly watcher: EngineEventWatcher;
}

function watch(
  engine: FakeEngine | string,
  options: {
    minRetryMs?: number;
    maxRetryMs?: number;
    timeoutMs?: number;
    signal?: AbortSignal;
  } = {},
): Recorder {
  const events: EngineEvent[] = [];
  const statuses: Recorder['statuses'] = [];
  const socketPath = typeof engine === 'string' ? engine : engine.socketPath;
  const watcher = watchEngineEvents({
    env: {DOCKER_HOST: `unix://${socketPath}`},
    minRetryMs: 10,
    maxRetryMs: 40,
    ...options,
    onEvent: (event) => events.push(event),
    onStatus: (endpoint, connected, error) => statuses.push({endpoint, connected, error}),
  });
  watchers.push(watcher);
  return {events, statuses, watcher};
}

const actionsOf = (recorder: Recorder): string[] =>
  recorder.events.map((event) => `${event.id}:${event.action}`);

describe('parseEngineEvent', () => {
  it('maps a Docker 20.10 event (captured on the lab)', () => {
    const line =
      '{"status":"die","id":"8cb2c97da0af","from":"nanodock-lab/busybox:latest","Type":"container","Action":"die","Actor":{"ID":"8cb2c97da0af","Attributes":{"exitCode":"0","image":"nanodock-lab/busybox:latest","name":"nd-evprobe"}},"scope":"local","time":1795873698,"timeNano":1795873698567403166}';
    expect(parseEngineEvent(JSON.parse(line), 'unix:///var/run/docker.sock')).toEqual({
      endpoint: 'unix:///var/run/docker.sock',
      type: 'container',
      action: 'die',
      id: '8cb2c97da0af',
      name: 'nd-evprobe',
      time: 1795873698567,
    });
  });

  it('maps a Podman 4.3 compat event (captured on the lab)', () => {
    const line =
      '{"status":"remove","id":"85d5bb2025c3","from":"localhost/nanodock-lab/busybox:latest","Type":"container","Action":"remove","Actor":{"ID":"85d5bb2025c3","Attributes":{"containerExitCode":"0","image":"localhost/nanodock-lab/busybox:latest","name":"nd-evprobe","podId":""}},"scope":"local","time":1795873702,"timeNano":1795873702171496679}';
    expect(parseEngineEvent(JSON.parse(line), 'unix:///run/podman/podman.sock')).toMatchObject({
      action: 'remove',
      id: '85d5bb2025c3',
      name: 'nd-evprobe',
      time: 1795873702171,
    });
  });

  it('reads the old lowercase status/id shape as a container event, time in seconds', () => {
    expect(
      parseEngineEvent({status: 'start', id: 'abc', from: 'img', time: 1700000000}, 'e'),
    ).toEqual({
      endpoint: 'e',
      type: 'container',
      action: 'start',
      id: 'abc',
      name: null,
      time: 1700000000000,
    });
  });

  it('returns null for other types, missing ids or actions, and non-objects', () => {
    expect(parseEngineEvent({Type: 'image', Action: 'pull', Actor: {ID: 'x'}}, 'e')).toBeNull();
    expect(parseEngineEvent({Type: 'network', status: 'connect', id: 'x'}, 'e')).toBeNull();
    expect(parseEngineEvent({Type: 'container', Action: 'start', Actor: {}}, 'e')).toBeNull();
    expect(parseEngineEvent({Type: 'container', Actor: {ID: 'x'}}, 'e')).toBeNull();
    expect(parseEngineEvent({}, 'e')).toBeNull();
    expect(parseEngineEvent(null, 'e')).toBeNull();
    expect(parseEngineEvent([1, 2], 'e')).toBeNull();
    expect(parseEngineEvent('start', 'e')).toBeNull();
  });
});

describe('watchEngineEvents against a local server on a temp Unix socket', () => {
  it('subscribes with the container filter and delivers each event', async () => {
    const engine = await fakeEngine((socket) => {
      streamHead(socket);
      writeChunk(socket, dockerLine('a1', 'start', 'web'));
      writeChunk(socket, dockerLine('a1', 'die', 'web'));
    });
    const recorder = watch(engine);
    await expect.poll(() => actionsOf(recorder)).toEqual(['a1:start', 'a1:die']);
    expect(engine.requests).toEqual([eventsRequest]);
    expect(recorder.events[0]).toEqual({
      endpoint: `unix://${engine.socketPath}`,
      type: 'container',
      action: 'start',
      id: 'a1',
      name: 'web',
      time: 1795873697463,
    });
    expect(recorder.statuses).toEqual([
      {endpoint: `unix://${engine.socketPath}`, connected: true, error: null},
    ]);
  });

  it('joins a line split across chunks, even inside a UTF-8 character', async () => {
    const line = Buffer.from(dockerLine('b2', 'start', 'wébé'), 'utf8');
    const cut = line.indexOf(Buffer.from('é', 'utf8')) + 1; // between the two bytes of é
    const engine = await fakeEngine((socket) => {
      streamHead(socket);
      writeChunk(socket, line.subarray(0, 10));
      writeLater(30, () => writeChunk(socket, line.subarray(10, cut)));
      writeLater(60, () =>
        writeChunk(socket, Buffer.concat([line.subarray(cut), Buffer.from('{"Ty')])),
      );
      writeLater(90, () => writeChunk(socket, dockerLine('b2', 'die', 'wébé').slice(4)));
    });
    const recorder = watch(engine);
    await expect.poll(() => actionsOf(recorder)).toEqual(['b2:start', 'b2:die']);
    expect(recorder.events.map((event) => event.name)).toEqual(['wébé', 'wébé']);
  });

  it('skips garbage lines and keeps delivering the events after them', async () => {
    const engine = await fakeEngine((socket) => {
      streamHead(socket);
      writeChunk(socket, 'this is not json\n{"Type":"container",\n\n[1,2]\nnull\n"x"\n{}\n');
      writeChunk(socket, `${dockerLine('c3', 'start').trimEnd()}\r\n`);
      writeChunk(socket, '}{\n');
      writeChunk(socket, dockerLine('c3', 'kill'));
    });
    const recorder = watch(engine);
    await expect.poll(() => actionsOf(recorder)).toEqual(['c3:start', 'c3:kill']);
    expect(recorder.statuses.map((status) => status.connected)).toEqual([true]);
  });

  it('ignores non-container events', async () => {
    const engine = await fakeEngine((socket) => {
      streamHead(socket);
      writeChunk(socket, dockerLine('sha256:img', 'pull', 'busybox', 'image'));
      writeChunk(socket, dockerLine('net1', 'connect', 'bridge', 'network'));
      writeChunk(socket, dockerLine('vol1', 'mount', 'data', 'volume'));
      writeChunk(socket, dockerLine('d4', 'start'));
    });
    const recorder = watch(engine);
    await expect.poll(() => actionsOf(recorder)).toEqual(['d4:start']);
  });

  it('reconnects when the engine ends the stream and delivers the new connection’s events', async () => {
    const engine = await fakeEngine(
      (socket) => {
        streamHead(socket);
        writeChunk(socket, dockerLine('e5', 'start'));
        endStream(socket);
      },
      (socket) => {
        streamHead(socket);
        writeChunk(socket, dockerLine('e5', 'die'));
      },
    );
    const recorder = watch(engine);
    await expect.poll(() => actionsOf(recorder)).toEqual(['e5:start', 'e5:die']);
    expect(engine.requests).toEqual([eventsRequest, eventsRequest]);
    expect(recorder.statuses.map((status) => status.connected)).toEqual([true, false, true]);
    const drop = recorder.statuses[1]?.error;
    expect(drop).toBeInstanceOf(EngineRequestError);
    expect((drop as EngineRequestError).failure).toBe('truncated');
  });

  it('reconnects when the engine cuts the connection without ending the body', async () => {
    const engine = await fakeEngine(
      (socket) => {
        streamHead(socket);
        writeChunk(socket, dockerLine('f6', 'start'));
        writeLater(20, () => socket.destroy());
      },
      (socket) => {
        streamHead(socket);
        writeChunk(socket, dockerLine('f6', 'stop'));
      },
    );
    const recorder = watch(engine);
    await expect.poll(() => actionsOf(recorder)).toEqual(['f6:start', 'f6:stop']);
    expect(engine.requests).toHaveLength(2);
  });

  it('drops a stream whose partial line outgrows 1 MiB, then reconnects', async () => {
    const engine = await fakeEngine(
      (socket) => {
        streamHead(socket);
        writeChunk(socket, dockerLine('g7', 'start'));
        // Half a line twice: each chunk is under the limit, their sum is not.
        const half = Buffer.alloc(maxEventLineBytes / 2 + 1, 'x');
        writeChunk(socket, Buffer.concat([Buffer.from('{"Type":"container","pad":"'), half]));
        writeChunk(socket, half);
      },
      (socket) => {
        streamHead(socket);
        writeChunk(socket, dockerLine('g7', 'die'));
      },
    );
    const recorder = watch(engine);
    await expect.poll(() => actionsOf(recorder)).toEqual(['g7:start', 'g7:die']);
    expect(engine.requests).toHaveLength(2);
    const drop = recorder.statuses.find((status) => !status.connected)?.error;
    expect(drop).toBeInstanceOf(EngineRequestError);
    expect((drop as EngineRequestError).failure).toBe('protocol');
    expect(drop?.message).toContain(`${maxEventLineBytes} bytes`);
  });

  it('drops a stream at an oversized line even when a newline and events follow it', async () => {
    const engine = await fakeEngine(
      (socket) => {
        streamHead(socket);
        const huge = `{"Type":"container","pad":"${'y'.repeat(maxEventLineBytes)}"}\n`;
        writeChunk(socket, huge + dockerLine('h8', 'start'));
      },
      (socket) => {
        streamHead(socket);
        writeChunk(socket, dockerLine('h8', 'die'));
      },
    );
    const recorder = watch(engine);
    // The event after the oversized line was in the dropped stream: only the new one arrives.
    await expect.poll(() => actionsOf(recorder)).toEqual(['h8:die']);
    expect(engine.requests).toHaveLength(2);
  });

  it('reports a refusing engine once, with its message, while it keeps retrying', async () => {
    const engine = await fakeEngine((socket) =>
      answerJson(socket, 500, '{"message":"events are broken"}'),
    );
    const recorder = watch(engine, {minRetryMs: 5, maxRetryMs: 10});
    await expect.poll(() => engine.requests.length).toBeGreaterThanOrEqual(4);
    expect(recorder.statuses).toHaveLength(1);
    const error = recorder.statuses[0]?.error;
    expect(error).toBeInstanceOf(EngineStatusError);
    expect(error?.message).toContain('HTTP 500: events are broken');
  });

  it('times out an engine that accepts and never answers, then retries', async () => {
    const engine = await fakeEngine(() => {
      // Reads the request, then says nothing.
    });
    const recorder = watch(engine, {timeoutMs: 50});
    await expect.poll(() => engine.requests.length).toBeGreaterThanOrEqual(2);
    const error = recorder.statuses[0]?.error;
    expect(error).toBeInstanceOf(EngineRequestError);
    expect((error as EngineRequestError).failure).toBe('timeout');
  });

  it('waits quietly for a socket that does not exist yet, then connects', async () => {
    const engine = await fakeEngine((socket) => {
      streamHead(socket);
      writeChunk(socket, dockerLine('i9', 'start'));
    });
    const link = join(mkdtempSync(join(tmpdir(), 'nanodock-events-')), 'later.sock');
    const recorder = watch(link);
    await expect.poll(() => recorder.statuses.length).toBe(1);
    expect(recorder.statuses[0]?.error).toMatchObject({code: 'ENOENT', failure: 'connect'});
    symlinkSync(engine.socketPath, link);
    await expect.poll(() => actionsOf(recorder)).toEqual(['i9:start']);
    expect(recorder.statuses.map((status) => status.connected)).toEqual([false, true]);
  });

  it('reports an endpoint that cannot be used, after returning the watcher', () => {
    const statuses: Array<[string, boolean, Error | null]> = [];
    const watcher = watchEngineEvents({
      env: {DOCKER_HOST: 'fd://3'},
      onEvent: () => {},
      onStatus: (...status) => statuses.push(status),
    });
    watchers.push(watcher);
    expect(statuses).toEqual([]);
    return expect
      .poll(() => statuses.map(([endpoint, connected]) => `${endpoint} ${connected}`))
      .toEqual(['fd://3 false']);
  });

  it('close() closes the connection, stops retries and calls nothing more', async () => {
    let serverClosed = false;
    let lateWrite: (() => void) | undefined;
    const engine = await fakeEngine((socket) => {
      socket.on('close', () => {
        serverClosed = true;
      });
      streamHead(socket);
      writeChunk(socket, dockerLine('j10', 'start'));
      lateWrite = () => writeChunk(socket, dockerLine('j10', 'die'));
    });
    const recorder = watch(engine);
    await expect.poll(() => actionsOf(recorder)).toEqual(['j10:start']);
    recorder.watcher.close();
    recorder.watcher.close();
    await expect.poll(() => serverClosed).toBe(true);
    lateWrite?.();
    // Absence can only be shown by waiting: many retry delays (10 to 40 ms) long.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(engine.requests).toHaveLength(1);
    expect(actionsOf(recorder)).toEqual(['j10:start']);
    expect(recorder.statuses.map((status) => status.connected)).toEqual([true]);
  });

  it('close() during a backoff cancels the pending retry', async () => {
    const engine = await fakeEngine((socket) => answerJson(socket, 503, '{"message":"busy"}'));
    const recorder = watch(engine, {minRetryMs: 100, maxRetryMs: 100});
    await expect.poll(() => recorder.statuses.length).toBe(1);
    recorder.watcher.close();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(engine.requests).toHaveLength(1);
  });

  it('an abort signal stops it like close(); an aborted one never connects', async () => {
    let serverClosed = false;
    const engine = await fakeEngine((socket) => {
      socket.on('close', () => {
        serverClosed = true;
      });
      streamHead(socket);
      writeChunk(socket, dockerLine('k11', 'start'));
    });
    const controller = new AbortController();
    const recorder = watch(engine, {signal: controller.signal});
    await expect.poll(() => actionsOf(recorder)).toEqual(['k11:start']);
    controller.abort();
    await expect.poll(() => serverClosed).toBe(true);
    expect(recorder.statuses.map((status) => status.connected)).toEqual([true]);

    const other = await fakeEngine((socket) => streamHead(socket));
    const aborted = watch(other, {signal: AbortSignal.abort()});
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(other.requests).toEqual([]);
    expect(aborted.statuses).toEqual([]);
  });

  it('a callback that closes the watcher stops the rest of the chunk', async () => {
    const engine = await fakeEngine((socket) => {
      streamHead(socket);
      writeChunk(socket, dockerLine('l12', 'start') + dockerLine('l12', 'die'));
    });
    const events: string[] = [];
    const watcher: EngineEventWatcher = watchEngineEvents({
      env: {DOCKER_HOST: `unix://${engine.socketPath}`},
      onEvent: (event) => {
        events.push(event.action);
        watcher.close();
      },
    });
    watchers.push(watcher);
    await expect.poll(() => events).toEqual(['start']);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(events).toEqual(['start']);
  });
});

describe('a process using watchEngineEvents exits on its own after close() or abort', () => {
  // The built library (test/global-setup.ts builds dist/ before any test file).
  const built = fileURLToPath(new URL('../../dist/engine/events.js', import.meta.url));

  function runChild(socketPath: string, stopWhen: 'event' | 'drop' | 'abort'): Promise<string> {
    const script = `
      import {watchEngineEvents} from ${JSON.stringify(built)};
      const controller = new AbortController();
      const watcher = watchEngineEvents({
        env: {DOCKER_HOST: ${JSON.stringify(`unix://${socketPath}`)}},
        minRetryMs: 50,
        signal: controller.signal,
        onEvent: (event) => {
          console.log('event', event.action);
          if (${JSON.stringify(stopWhen)} === 'event') watcher.close();
          if (${JSON.stringify(stopWhen)} === 'abort') controller.abort();
        },
        onStatus: (endpoint, connected) => {
          console.log('status', connected);
          if (!connected && ${JSON.stringify(stopWhen)} === 'drop') watcher.close();
        },
      });
    `;
    return new Promise((resolve, reject) => {
      execFile(
        process.execPath,
        ['--input-type=module', '--eval', script],
        {timeout: 10_000},
        (error, stdout) => (error ? reject(error) : resolve(stdout)),
      );
    });
  }

  it('after close() in onEvent, with the stream still open', async () => {
    const engine = await fakeEngine((socket) => {
      streamHead(socket);
      writeChunk(socket, dockerLine('m13', 'start'));
    });
    expect(await runChild(engine.socketPath, 'event')).toBe('status true\nevent start\n');
  });

  it('after close() while a retry is pending', async () => {
    const engine = await fakeEngine((socket) => {
      streamHead(socket);
      endStream(socket);
    });
    expect(await runChild(engine.socketPath, 'drop')).toBe('status true\nstatus false\n');
  });

  it('after the abort signal fires', async () => {
    const engine = await fakeEngine((socket) => {
      streamHead(socket);
      writeChunk(socket, dockerLine('n14', 'start'));
    });
    expect(await runChild(engine.socketPath, 'abort')).toBe('status true\nevent start\n');
  });
});
