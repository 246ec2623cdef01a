import {mkdtempSync, rmSync} from 'node:fs';
import {createServer, type Server, type Socket} from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {parseEngineAddress} from '../../source/engine/endpoint.js';
import {
  closeIdleEngineConnections,
  engineConnectionsOpened,
  requestEngine,
} from '../../source/engine/http.js';
import {pingEngine} from '../../source/engine/ping.js';
import {EngineRequestError} from '../../source/errors/engine-request-error.js';

// Kept-alive pings against answers a real engine does not give on demand: an engine that
// closes an idle connection, that says `Connection: close`, that speaks HTTP/1.0, that sends
// no length. (The lab engines' own keep-alive is in engines.lab.test.ts.)

let server: Server | undefined;
let folder: string | undefined;
afterEach(async () => {
  closeIdleEngineConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
  if (folder !== undefined) rmSync(folder, {recursive: true, force: true});
  folder = undefined;
});

/**
 * A server on a temp Unix socket that answers each request on a connection with
 * `answer(index of the request on that connection, socket)`; counts connections.
 */
async function serve(
  answer: (index: number, socket: Socket) => void,
): Promise<{address: string; connections: () => number; requests: () => number}> {
  folder = mkdtempSync(join(tmpdir(), 'nanodock-keepalive-'));
  const socketPath = join(folder, 'engine.sock');
  let connections = 0;
  let requests = 0;
  server = createServer((socket) => {
    connections++;
    let index = 0;
    let text = '';
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1');
      for (let end = text.indexOf('\r\n\r\n'); end !== -1; end = text.indexOf('\r\n\r\n')) {
        text = text.slice(end + 4);
        requests++;
        answer(index++, socket);
      }
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server?.listen(socketPath, resolve));
  return {
    address: `unix://${socketPath}`,
    connections: () => connections,
    requests: () => requests,
  };
}

const ok = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nOK';

describe('kept-alive pings', () => {
  it('reuse one connection while the engine keeps it open', async () => {
    const engine = await serve((_index, socket) => socket.write(ok));
    const endpoint = parseEngineAddress(engine.address, 'test');
    const opened = engineConnectionsOpened();
    for (let round = 0; round < 6; round++) {
      await pingEngine(endpoint, {timeoutMs: 2000});
    }
    expect(engine.requests()).toBe(6);
    expect(engine.connections()).toBe(1);
    expect(engineConnectionsOpened() - opened).toBe(1);
  });

  it('send the ping again on a new connection when the engine closed the idle one', async () => {
    // Closes each connection right after its first answer, as an engine's idle timeout does,
    // and (second case) just before the next request arrives.
    const engine = await serve((_index, socket) => {
      socket.write(ok);
      setTimeout(() => socket.destroy(), 5);
    });
    const endpoint = parseEngineAddress(engine.address, 'test');
    for (let round = 0; round < 4; round++) {
      await pingEngine(endpoint, {timeoutMs: 2000});
      await new Promise((resolve) => setTimeout(resolve, round % 2 === 0 ? 20 : 0));
    }
    expect(engine.requests()).toBe(4);
    expect(engine.connections()).toBeGreaterThanOrEqual(3);
  });

  it('never keep a connection the answer ends: Connection: close, HTTP/1.0, no length', async () => {
    const answers = [
      'HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nOK',
      'HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nOK',
      'HTTP/1.1 200 OK\r\n\r\nOK',
    ];
    for (const text of answers) {
      const engine = await serve((_index, socket) => socket.end(text));
      const endpoint = parseEngineAddress(engine.address, 'test');
      await pingEngine(endpoint, {timeoutMs: 2000});
      await pingEngine(endpoint, {timeoutMs: 2000});
      expect(engine.connections()).toBe(2);
      closeIdleEngineConnections();
      await new Promise<void>((resolve) => server?.close(() => resolve()));
      server = undefined;
    }
  });

  it('time out on a kept connection that goes silent, and do not send the ping twice', async () => {
    const engine = await serve((index, socket) => {
      if (index === 0) socket.write(ok); // then silent, as a frozen engine
    });
    const endpoint = parseEngineAddress(engine.address, 'test');
    await pingEngine(endpoint, {timeoutMs: 2000});
    const started = performance.now();
    const error = await pingEngine(endpoint, {timeoutMs: 300}).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(EngineRequestError);
    expect(error).toMatchObject({failure: 'timeout'});
    expect(performance.now() - started).toBeLessThan(1500);
    expect(engine.requests()).toBe(2);
    expect(engine.connections()).toBe(1);
  });

  it("keep the first attempt's deadline when a kept connection fails and the ping is sent again", async () => {
    // The kept connection is closed 250 ms after the second ping arrives, without a byte; the
    // new connection of the retry is never answered. The ping must end at its own deadline.
    let first: Socket | undefined;
    const engine = await serve((index, socket) => {
      first ??= socket;
      if (socket !== first) return; // the retry's connection: silent
      if (index === 0) socket.write(ok);
      else setTimeout(() => socket.destroy(), 250);
    });
    const endpoint = parseEngineAddress(engine.address, 'test');
    await pingEngine(endpoint, {timeoutMs: 2000});
    const started = performance.now();
    const error = await pingEngine(endpoint, {timeoutMs: 400}).catch((caught: unknown) => caught);
    const elapsed = performance.now() - started;
    expect(error).toMatchObject({failure: 'timeout'});
    expect(engine.connections()).toBe(2); // it was sent again
    expect(elapsed).toBeGreaterThanOrEqual(390);
    expect(elapsed).toBeLessThan(600); // 650 when the retry started its own 400 ms
  });

  it('leave other requests on connections of their own', async () => {
    const engine = await serve((_index, socket) => socket.write(ok));
    const endpoint = parseEngineAddress(engine.address, 'test');
    await requestEngine(endpoint, '/_ping', {timeoutMs: 2000});
    await requestEngine(endpoint, '/_ping', {timeoutMs: 2000});
    expect(engine.connections()).toBe(2);
  });
});
