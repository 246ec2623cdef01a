import {createSocket, type Socket as UdpSocket} from 'node:dgram';
import {readFileSync} from 'node:fs';
import {createServer, type Server} from 'node:net';
import {afterEach, describe, expect, it} from 'vitest';
import {HostScanner, scanHost} from '../../source/host/host-scanner.js';

const opened: Array<Server | UdpSocket> = [];
afterEach(async () => {
  await Promise.all(
    opened.splice(0).map((handle) => new Promise<void>((resolve) => handle.close(() => resolve()))),
  );
});

async function listenTcp(host: string): Promise<number> {
  const server = createServer();
  opened.push(server);
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') {
    throw new Error('no port');
  }
  return address.port;
}

async function bindUdp(host: string): Promise<number> {
  const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  opened.push(socket);
  await new Promise<void>((resolve) => socket.bind(0, host, resolve));
  return socket.address().port;
}

describe('HostScanner on this real host', () => {
  it('finds its own TCP and UDP listeners (IPv4 and IPv6) with its own pid and process facts', async () => {
    const tcp4 = await listenTcp('127.0.0.1');
    const tcp6 = await listenTcp('::1');
    const udp4 = await bindUdp('127.0.0.1');
    const scan = await scanHost();
    // Ours by pid too: another process may hold the same port number on another address.
    const mine = (protocol: string, port: number) =>
      scan.listeners.find(
        (listener) =>
          listener.protocol === protocol &&
          listener.port === port &&
          listener.pids.includes(process.pid),
      );
    expect(mine('tcp', tcp4)).toMatchObject({address: '127.0.0.1', family: 4, pids: [process.pid]});
    expect(mine('tcp', tcp6)).toMatchObject({address: '::1', family: 6, pids: [process.pid]});
    expect(mine('udp', udp4)).toMatchObject({address: '127.0.0.1', pids: [process.pid]});
    const me = scan.processes.get(process.pid);
    expect(me?.name).toMatch(/node|vitest/);
    expect(me?.uid).toBe(process.getuid?.());
    expect(me?.argv[0]).toContain('node');
    expect(me?.startedAt).toBeGreaterThan(Date.now() / 1000 - 3600);
    expect(me?.startedAt).toBeLessThanOrEqual(Date.now() / 1000 + 1);
    // Field 22 of /proc/PID/stat, counted after the name's closing parenthesis.
    const stat = readFileSync(`/proc/${process.pid}/stat`, 'utf8');
    expect(me?.startTicks).toBe(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]));
    expect(scan.fullScan).toBe(true);
  });

  it('a steady-state scan reuses what it knows, and still sees a new listener in an already-known process', async () => {
    const scanner = new HostScanner();
    const first = await listenTcp('127.0.0.1');
    const cold = await scanner.scan();
    expect(cold.fullScan).toBe(true);
    const warm = await scanner.scan();
    expect(warm.fullScan).toBe(false);
    expect(warm.listeners.find((listener) => listener.port === first)?.pids).toEqual([process.pid]);

    const second = await listenTcp('127.0.0.1');
    const after = await scanner.scan();
    // Found by looking for its holder, fewest fds first, not by reading every process again.
    expect(after.fullScan).toBe(false);
    expect(after.listeners.find((listener) => listener.port === second)?.pids).toEqual([
      process.pid,
    ]);
  });

  it('drops a listener that closed', async () => {
    const scanner = new HostScanner();
    const port = await listenTcp('127.0.0.1');
    expect((await scanner.scan()).listeners.some((listener) => listener.port === port)).toBe(true);
    const server = opened.pop();
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    expect((await scanner.scan()).listeners.some((listener) => listener.port === port)).toBe(false);
  });

  it('stops at an aborted signal', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(new HostScanner({sliceMs: 0}).scan({signal: controller.signal})).rejects.toThrow();
  });
});
