import {mkdtempSync} from 'node:fs';
import {createServer, type Server, type Socket} from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';

/** A raw socket server on a temp Unix socket that plays a broken engine. */
export interface FakeEngine {
  readonly socketPath: string;
  /** Requests received (their first line). */
  readonly requests: string[];
  close(): Promise<void>;
}

/**
 * Starts a server on a fresh temp Unix socket; `onRequest` gets the socket once a full
 * request head has arrived and writes whatever fault it plays. Only for faults a real
 * engine cannot produce.
 */
export async function startFakeEngine(
  onRequest: (socket: Socket, head: string) => void,
): Promise<FakeEngine> {
  const socketPath = join(mkdtempSync(join(tmpdir(), 'nanodock-fake-')), 'engine.sock');
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let head = '';
    socket.on('data', (chunk) => {
      if (head.includes('\r\n\r\n')) {
        return;
      }
      head += chunk.toString('latin1');
      if (head.includes('\r\n\r\n')) {
        requests.push(head.split('\r\n')[0] ?? '');
        onRequest(socket, head);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    socketPath,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) {
          socket.destroy();
        }
        server.close(() => resolve());
      }),
  };
}

/** Writes a complete HTTP/1.1 answer with a JSON body and closes. */
export function answerJson(socket: Socket, status: number, body: string): void {
  const bytes = Buffer.from(body, 'utf8');
  socket.end(
    `HTTP/1.1 ${status} X\r\nContent-Type: application/json\r\nContent-Length: ${bytes.length}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** The environment that points detection at `fake` alone. */
export function hostOf(fake: FakeEngine): Record<string, string> {
  return {DOCKER_HOST: `unix://${fake.socketPath}`};
}

/** The rejection of `promise`, which must reject (for assertions on the error's fields). */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}
