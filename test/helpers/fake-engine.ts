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

/** Options of startFakeEngine. */
export interface FakeEngineOptions {
  /**
   * Never read from a connection: `onRequest` gets each socket as soon as it is accepted
   * (with an empty head), and the request stays unread in the kernel. Closing such a socket
   * then resets the client's side (ECONNRESET on Linux, as a TCP RST would). Default: false.
   */
  readonly unread?: boolean;
}

/**
 * Starts a server on a fresh temp Unix socket; `onRequest` gets the socket once a full
 * request head has arrived and writes whatever fault it plays. Only for faults a real
 * engine cannot produce.
 */
export async function startFakeEngine(
  onRequest: (socket: Socket, head: string) => void,
  options: FakeEngineOptions = {},
): Promise<FakeEngine> {
  const socketPath = join(mkdtempSync(join(tmpdir(), 'nanodock-fake-')), 'engine.sock');
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer({pauseOnConnect: options.unread === true}, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    if (options.unread) {
      onRequest(socket, '');
      return;
    }
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

/** How the body of pumpBody is framed. */
export type BodyFraming = 'length' | 'chunked' | 'close';

/** What pumpBody has done so far. */
export interface BodyPump {
  /** Body bytes handed to the socket so far (chunk framing not counted). */
  readonly written: number;
  /** True once the client closed the connection before the whole body was written. */
  readonly cutShort: boolean;
  /** Settles when the connection is closed (by either side). */
  readonly closed: Promise<void>;
}

/**
 * Answers 200 with a body of `total` bytes of `fill`, framed by Content-Length, chunked
 * coding (`chunkBytes` per chunk) or the connection's end (HTTP/1.0), written as fast as the
 * client reads (backpressure: at most a socket buffer or so ahead of it), and stops as soon
 * as the client closes. Nothing of the body is held but one block of about 1 MiB.
 */
export function pumpBody(
  socket: Socket,
  options: {
    readonly total: number;
    readonly framing: BodyFraming;
    readonly chunkBytes?: number;
    readonly fill?: number;
  },
): BodyPump {
  const {total, framing} = options;
  const chunkBytes = options.chunkBytes ?? 64 * 1024;
  const fill = options.fill ?? 0x20;
  const head =
    framing === 'length'
      ? `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${total}\r\n\r\n`
      : framing === 'chunked'
        ? 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n'
        : 'HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n';
  // One block of whole chunks (or plain bytes), about 1 MiB, written again and again.
  const filler = String.fromCharCode(fill);
  const framed = chunkBytes + chunkBytes.toString(16).length + 4;
  const perBlock = framing === 'chunked' ? Math.max(1, Math.floor(2 ** 20 / framed)) : 2 ** 20;
  const block = Buffer.from(
    framing === 'chunked'
      ? `${chunkBytes.toString(16)}\r\n${filler.repeat(chunkBytes)}\r\n`.repeat(perBlock)
      : filler.repeat(perBlock),
    'latin1',
  );
  const bodyPerBlock = framing === 'chunked' ? perBlock * chunkBytes : perBlock;
  const state = {written: 0, cutShort: false};
  const closed = new Promise<void>((resolve) => {
    socket.on('close', () => {
      state.cutShort = state.written < total;
      resolve();
    });
  });
  socket.write(head);
  const pump = (): void => {
    while (!socket.destroyed && state.written + bodyPerBlock <= total) {
      state.written += bodyPerBlock;
      if (!socket.write(block)) {
        socket.once('drain', pump);
        return;
      }
    }
    if (socket.destroyed) {
      return;
    }
    // The rest, shorter than a block, then the end of the body.
    const rest = total - state.written;
    state.written = total;
    if (framing === 'chunked') {
      socket.end(
        rest === 0
          ? '0\r\n\r\n'
          : `${rest.toString(16)}\r\n${Buffer.alloc(rest, fill).toString('latin1')}\r\n0\r\n\r\n`,
      );
    } else {
      socket.end(Buffer.alloc(rest, fill));
    }
  };
  pump();
  return {
    get written() {
      return state.written;
    },
    get cutShort() {
      return state.cutShort;
    },
    closed,
  };
}

/**
 * Writes `text` one byte every `everyMs` milliseconds (slowloris), then, if `endless`, keeps
 * writing its last byte forever; stops when the connection closes. Returns how many bytes
 * were written so far, as a function.
 */
export function dripBytes(
  socket: Socket,
  text: string,
  everyMs: number,
  endless = true,
): () => number {
  const bytes = Buffer.from(text, 'latin1');
  let index = 0;
  const timer = setInterval(() => {
    if (socket.destroyed) {
      clearInterval(timer);
      return;
    }
    if (index >= bytes.length && !endless) {
      clearInterval(timer);
      return;
    }
    const byte = bytes[Math.min(index, bytes.length - 1)] as number;
    index++;
    socket.write(Buffer.from([byte]));
  }, everyMs);
  socket.on('close', () => clearInterval(timer));
  return () => index;
}

/**
 * Writes a complete answer with `body` (bytes as given, valid UTF-8 or not) framed by
 * Content-Length, chunked coding (one chunk) or the connection's end (HTTP/1.0), and closes.
 */
export function answerBody(
  socket: Socket,
  body: string | Buffer,
  framing: BodyFraming = 'length',
  status = 200,
): void {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const type = 'Content-Type: application/json\r\n';
  if (framing === 'length') {
    socket.write(`HTTP/1.1 ${status} X\r\n${type}Content-Length: ${bytes.length}\r\n\r\n`);
    socket.end(bytes);
  } else if (framing === 'chunked') {
    socket.write(`HTTP/1.1 ${status} X\r\n${type}Transfer-Encoding: chunked\r\n\r\n`);
    if (bytes.length > 0) {
      socket.write(`${bytes.length.toString(16)}\r\n`);
      socket.write(bytes);
      socket.write('\r\n');
    }
    socket.end('0\r\n\r\n');
  } else {
    socket.write(`HTTP/1.0 ${status} X\r\n${type}\r\n`);
    socket.end(bytes);
  }
}
