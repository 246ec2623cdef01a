import type {Socket} from 'node:net';
import {afterEach, describe, expect, it} from 'vitest';
import {containerLogs, isContainerNotFound} from '../../source/container-ops.js';
import type {LogLine} from '../../source/engine/log-frames.js';
import type {ContainerLogStream} from '../../source/engine/log-stream.js';
import {EngineRequestError} from '../../source/errors/engine-request-error.js';
import {LogFrameError} from '../../source/errors/log-frame-error.js';
import {
  answerJson,
  type FakeEngine,
  hostOf,
  rejection,
  startFakeEngine,
} from '../helpers/fake-engine.js';

/**
 * The API log path against a fake engine on a temp Unix socket, for what a real engine cannot
 * be made to do: broken framing, a cut stream, an error frame, silence, a flood.
 */

const fullId = 'f'.repeat(64);
let fake: FakeEngine | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

function frame(stream: number, text: string): Buffer {
  const body = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

/** Writes one HTTP/1.1 chunk. */
function chunk(socket: Socket, data: Buffer | string): boolean {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  return socket.write(
    Buffer.concat([Buffer.from(`${bytes.length.toString(16)}\r\n`), bytes, Buffer.from('\r\n')]),
  );
}

const streamHead = 'HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nTransfer-Encoding: chunked\r\n\r\n';

/** A fake engine that answers inspect with `tty`, and the logs request with `onLogs`. */
async function engineWith(
  onLogs: (socket: Socket, head: string) => void,
  tty = false,
): Promise<FakeEngine> {
  fake = await startFakeEngine((socket, head) => {
    if (/^GET \/containers\/[^/]+\/json /.test(head)) {
      answerJson(
        socket,
        200,
        JSON.stringify({Id: fullId, Config: {Tty: tty}, State: {Running: true}}),
      );
      return;
    }
    onLogs(socket, head);
  });
  return fake;
}

async function readAll(stream: ContainerLogStream): Promise<LogLine[]> {
  const lines: LogLine[] = [];
  for await (const line of stream) {
    lines.push(line);
  }
  return lines;
}

const optionsOf = (engine: FakeEngine) => ({env: hostOf(engine), home: '/nonexistent', uid: 0});

describe('containerLogs against a fake engine', () => {
  it('asks for the full id the inspect gave, with the options as query', async () => {
    const engine = await engineWith((socket) => {
      socket.write(streamHead);
      chunk(socket, Buffer.concat([frame(1, 'a\n'), frame(2, 'b\n')]));
      socket.end('0\r\n\r\n');
    });
    const lines = await readAll(
      containerLogs('short', {...optionsOf(engine), follow: false, tail: 'all', timestamps: false}),
    );
    expect(lines.map((line) => [line.stream, line.text])).toEqual([
      ['stdout', 'a'],
      ['stderr', 'b'],
    ]);
    expect(engine.requests[1]).toBe(
      `GET /containers/${fullId}/logs?follow=0&stdout=1&stderr=1&tail=all&timestamps=0 HTTP/1.1`,
    );
  });

  it('reads a TTY container raw, whatever bytes it starts with', async () => {
    const engine = await engineWith((socket) => {
      socket.write(streamHead);
      chunk(socket, '2026-12-01T21:54:53Z \u0001x\r\n');
      socket.end('0\r\n\r\n');
    }, true);
    const stream = containerLogs('x', optionsOf(engine));
    expect(await readAll(stream)).toEqual([
      {stream: 'tty', timestamp: '2026-12-01T21:54:53Z', text: '\u0001x', truncated: false},
    ]);
    expect(stream.tty).toBe(true);
  });

  it('broken framing: EngineRequestError (protocol) with the LogFrameError as cause, after the good lines', async () => {
    const engine = await engineWith((socket) => {
      socket.write(streamHead);
      chunk(
        socket,
        Buffer.concat([frame(1, 'good\n'), Buffer.from([9, 0, 0, 0, 0, 0, 0, 1, 0x41])]),
      );
    });
    const stream = containerLogs('x', optionsOf(engine));
    const lines: string[] = [];
    const error = await rejection(
      (async () => {
        for await (const line of stream) {
          lines.push(line.text);
        }
      })(),
    );
    expect(lines).toEqual(['good']);
    expect(error).toBeInstanceOf(EngineRequestError);
    expect(error).toMatchObject({failure: 'protocol'});
    expect(error.cause).toBeInstanceOf(LogFrameError);
  });

  it('a body that ends inside a frame, and a connection cut mid-body, are errors', async () => {
    let engine = await engineWith((socket) => {
      socket.write(streamHead);
      chunk(socket, frame(1, 'abcdef\n').subarray(0, 10));
      socket.end('0\r\n\r\n');
    });
    expect(await rejection(readAll(containerLogs('x', optionsOf(engine))))).toMatchObject({
      failure: 'protocol',
      cause: {fault: 'truncated'},
    });
    await fake?.close();
    engine = await engineWith((socket) => {
      socket.write(streamHead);
      chunk(socket, frame(1, 'abc\n'));
      setTimeout(() => socket.destroy(), 20);
    });
    expect(await rejection(readAll(containerLogs('x', optionsOf(engine))))).toMatchObject({
      name: 'EngineRequestError',
      failure: 'truncated',
    });
  });

  it("an error the engine sends in the stream (Docker's stream 3) fails the iteration with it", async () => {
    const engine = await engineWith((socket) => {
      socket.write(streamHead);
      chunk(
        socket,
        Buffer.concat([frame(1, 'a\n'), frame(3, 'error from daemon in stream: boom\n')]),
      );
      socket.end('0\r\n\r\n');
    });
    const error = await rejection(readAll(containerLogs('x', optionsOf(engine))));
    expect(error.message).toMatch(/the engine reported: error from daemon in stream: boom$/);
  });

  it('a 404 on the logs request is a not-found (the container went away after the inspect)', async () => {
    const engine = await engineWith((socket) => {
      answerJson(socket, 404, '{"message":"No such container: x"}');
    });
    const error = await rejection(readAll(containerLogs('x', optionsOf(engine))));
    expect(isContainerNotFound(error)).toBe(true);
    expect(error.message).toMatch(/HTTP 404: No such container: x/);
  });

  it('headers that never come time out; close() while waiting ends the iteration at once', async () => {
    const engine = await engineWith(() => {
      // Silence.
    });
    const error = await rejection(
      readAll(containerLogs('x', {...optionsOf(engine), timeoutMs: 200})),
    );
    expect(error).toMatchObject({name: 'EngineRequestError', failure: 'timeout'});

    const stream = containerLogs('x', {...optionsOf(engine), timeoutMs: 60_000});
    const next = stream[Symbol.asyncIterator]().next();
    await new Promise((resolve) => setTimeout(resolve, 100));
    stream.close();
    stream.close();
    expect(await next).toEqual({done: true, value: undefined});
  });

  it('an aborted signal ends a followed stream', async () => {
    const engine = await engineWith((socket) => {
      socket.write(streamHead);
      chunk(socket, frame(1, 'a\n'));
    });
    const controller = new AbortController();
    const stream = containerLogs('x', {...optionsOf(engine), signal: controller.signal});
    const iterator = stream[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toMatchObject({text: 'a'});
    const waiting = iterator.next();
    controller.abort();
    expect(await waiting).toEqual({done: true, value: undefined});
  });

  it('a consumer that stops reading stops the socket: the engine cannot write past a bound', async () => {
    let written = 0;
    const line = frame(1, `${'x'.repeat(90)}\n`);
    const block = Buffer.concat(Array.from({length: 100}, () => line));
    const engine = await engineWith((socket) => {
      socket.write(streamHead);
      const pump = (): void => {
        // Up to 200 MiB, as fast as the client takes it.
        while (written < 200 * 1024 * 1024 && !socket.destroyed) {
          written += block.length;
          if (!chunk(socket, block)) {
            socket.once('drain', pump);
            return;
          }
        }
      };
      pump();
    });
    const stream = containerLogs('x', optionsOf(engine));
    const iterator = stream[Symbol.asyncIterator]();
    expect((await iterator.next()).done).toBe(false);
    // Not reading for a while: the engine fills the queue and the socket buffers, then waits.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const stalled = written;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(written).toBe(stalled);
    // 1000 queued lines of ~100 bytes, plus socket buffers: a few MiB at most.
    expect(written).toBeLessThan(8 * 1024 * 1024);
    // Reading again lets the engine write again.
    for (let count = 0; count < 5000; count++) {
      await iterator.next();
    }
    expect(written).toBeGreaterThan(stalled);
    stream.close();
  });
});
