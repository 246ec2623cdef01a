import {afterEach, describe, expect, it} from 'vitest';
import {awaitDetection, detectContainers, startDetection} from '../../source/engine/detect.js';
import {maxBodyBytes} from '../../source/engine/http.js';
import {DaemonNotFoundError} from '../../source/errors/daemon-not-found-error.js';
import {EngineRequestError} from '../../source/errors/engine-request-error.js';
import {EngineStatusError} from '../../source/errors/engine-status-error.js';
import {InvalidJsonError} from '../../source/errors/invalid-json-error.js';
import {ResponseTooLargeError} from '../../source/errors/response-too-large-error.js';
import {stopContainer, stopContainerWithReport} from '../../source/stop.js';
import {
  answerJson,
  type FakeEngine,
  hostOf,
  rejection,
  startFakeEngine,
} from '../helpers/fake-engine.js';

let engine: FakeEngine | undefined;
afterEach(async () => {
  await engine?.close();
  engine = undefined;
});

describe('faults a real engine cannot produce (local server on a temp Unix socket)', () => {
  it('invalid JSON from the only engine rejects with InvalidJsonError naming it', async () => {
    engine = await startFakeEngine((socket) =>
      answerJson(socket, 200, '[{"Id": "abc", "Names": ['),
    );
    const error = await rejection(detectContainers({env: hostOf(engine)}));
    expect(error).toBeInstanceOf(InvalidJsonError);
    expect(error.message).toContain(engine.socketPath);
    expect(engine.requests).toEqual(['GET /containers/json HTTP/1.1']);
  });

  it('a chunked body cut off in the middle is reported as truncated, not parsed', async () => {
    engine = await startFakeEngine((socket) => {
      socket.write(
        'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n',
      );
      socket.write('10\r\n[{"Id":"abc","Na\r\n');
      socket.end('40\r\nmes":["/x"]');
    });
    const error = await rejection(detectContainers({env: hostOf(engine)}));
    expect(error).toBeInstanceOf(DaemonNotFoundError);
    const cause = (error as DaemonNotFoundError).attempts[0]?.error;
    expect(cause).toBeInstanceOf(EngineRequestError);
    expect((cause as EngineRequestError).failure).toBe('truncated');
  });

  it('an engine that accepts and never answers: awaitDetection returns within the deadline', async () => {
    engine = await startFakeEngine(() => {
      // Reads the request, then says nothing, ever.
    });
    const started = performance.now();
    const handle = startDetection({env: hostOf(engine), timeoutMs: 400});
    const map = await awaitDetection(handle);
    const elapsed = performance.now() - started;
    expect(map.size).toBe(0);
    expect(elapsed).toBeLessThan(400 + 300);
    expect(map.engines[0]?.error).toBeInstanceOf(EngineRequestError);
    expect(map.engines[0]?.error).toMatchObject({failure: 'timeout'});
  });

  it('a body over 32 MiB is refused without reading the rest', async () => {
    let written = 0;
    let closedEarly = false;
    const total = maxBodyBytes + 16 * 1024 * 1024;
    engine = await startFakeEngine((socket) => {
      socket.on('close', () => {
        closedEarly = written < total;
      });
      socket.write(
        'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n',
      );
      const chunk = Buffer.alloc(1024 * 1024, 0x20);
      const pump = (): void => {
        while (written < total && !socket.destroyed) {
          written += chunk.length;
          const flushed = socket.write(
            `${chunk.length.toString(16)}\r\n${chunk.toString('latin1')}\r\n`,
          );
          if (!flushed) {
            socket.once('drain', pump);
            return;
          }
        }
        if (!socket.destroyed) {
          socket.end('0\r\n\r\n');
        }
      };
      pump();
    });
    const error = await rejection(detectContainers({env: hostOf(engine), timeoutMs: 20_000}));
    const cause = (error as DaemonNotFoundError).attempts?.[0]?.error;
    expect(cause).toBeInstanceOf(ResponseTooLargeError);
    expect((cause as ResponseTooLargeError).part).toBe('body');
    await expect.poll(() => closedEarly).toBe(true);
    expect(written).toBeLessThan(total);
  });

  it('a declared Content-Length over the limit is refused before any body byte is read', async () => {
    engine = await startFakeEngine((socket) => {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${maxBodyBytes + 1}\r\n\r\n[`);
    });
    const error = await rejection(detectContainers({env: hostOf(engine)}));
    expect((error as DaemonNotFoundError).attempts[0]?.error).toBeInstanceOf(ResponseTooLargeError);
  });

  it('a header flood over 64 KiB is refused', async () => {
    engine = await startFakeEngine((socket) => {
      socket.write('HTTP/1.1 200 OK\r\n');
      for (let index = 0; index < 2000; index++) {
        socket.write(`X-Flood-${index}: ${'x'.repeat(60)}\r\n`);
      }
      socket.end('Content-Length: 2\r\n\r\n[]');
    });
    const error = await rejection(detectContainers({env: hostOf(engine)}));
    const cause = (error as DaemonNotFoundError).attempts[0]?.error;
    expect(cause).toBeInstanceOf(ResponseTooLargeError);
    expect((cause as ResponseTooLargeError).part).toBe('headers');
  });

  it('an HTTP error status is reported with the engine message', async () => {
    engine = await startFakeEngine((socket) =>
      answerJson(socket, 500, '{"message":"database is locked"}'),
    );
    const error = await rejection(detectContainers({env: hostOf(engine)}));
    const cause = (error as DaemonNotFoundError).attempts[0]?.error;
    expect(cause).toBeInstanceOf(EngineStatusError);
    expect(cause?.message).toContain('HTTP 500: database is locked');
  });

  it('an unsafe container id is refused as not-found before any request is sent', async () => {
    engine = await startFakeEngine((socket) => answerJson(socket, 204, ''));
    for (const id of ['', 'a/b', 'a?b', 'a#b', 'a%2e', 'a b', 'a\rb', 'a\nb', '../../x']) {
      expect(await stopContainer(id, true, {env: hostOf(engine)})).toBe('not-found');
    }
    expect(engine.requests).toEqual([]);
    expect(await stopContainer('abc', true, {env: hostOf(engine)})).toBe('stopped');
    expect(engine.requests).toEqual(['POST /containers/abc/kill HTTP/1.1']);
  });

  it('an engine answering 500 on stop gives failed with the reason', async () => {
    engine = await startFakeEngine((socket) =>
      answerJson(socket, 500, '{"message":"driver failed"}'),
    );
    const report = await stopContainerWithReport('abc', false, {env: hostOf(engine)});
    expect(report.outcome).toBe('failed');
    expect(report.error?.message).toContain('driver failed');
  });
});

describe('no engine at all', () => {
  it('DOCKER_HOST at a missing socket rejects with DaemonNotFoundError naming it', async () => {
    const error = await rejection(
      detectContainers({env: {DOCKER_HOST: 'unix:///nonexistent/nanodock.sock'}}),
    );
    expect(error).toBeInstanceOf(DaemonNotFoundError);
    expect(error.name).toBe('DaemonNotFoundError');
    expect(error.message).toContain('unix:///nonexistent/nanodock.sock [DOCKER_HOST]: ENOENT');
    expect((error as DaemonNotFoundError).attempts).toHaveLength(1);
  });

  it('stop with no reachable engine is failed, not not-found', async () => {
    const report = await stopContainerWithReport('abc', true, {
      env: {DOCKER_HOST: 'unix:///nonexistent/x.sock'},
    });
    expect(report.outcome).toBe('failed');
    expect(report.error).toBeInstanceOf(EngineRequestError);
  });
});
