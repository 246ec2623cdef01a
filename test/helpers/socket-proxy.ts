import {mkdtemp, rm} from 'node:fs/promises';
import {connect, createServer, type Server, type Socket} from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';

/**
 * A Unix-socket proxy in front of a real engine's socket, whose faults a test switches:
 * - `up`: bytes flow both ways, as if the client talked to the engine;
 * - `down`: no listener (the socket file is gone: a connect fails with ENOENT) and every
 *   connection is cut, as when the engine exits;
 * - `hung`: new connections are accepted and never answered, open ones go silent, nothing is
 *   closed, as when the engine is frozen (SIGSTOP). What arrives meanwhile is held, and
 *   delivered both ways when the proxy is `up` again, as a resumed engine answers its backlog;
 * - dropping event streams: a connection whose request is `GET /events...` is cut (the open
 *   ones at once, new ones as soon as their request line arrives) while the others pass.
 * The engine itself is never touched: only the path between a client and it.
 */
export interface SocketProxy {
  /** The proxy's own socket, in a fresh temp folder. */
  readonly socketPath: string;
  /** `unix://` + socketPath: a DOCKER_HOST that reaches the engine only through the proxy. */
  readonly address: string;
  /** The current mode. */
  readonly mode: ProxyMode;
  /** Listens again (if down) and lets every held connection through. */
  up(): Promise<void>;
  /** Closes the listener (its socket file goes with it) and cuts every connection. */
  down(): Promise<void>;
  /** Accepts and never answers; open connections go silent. Nothing is closed. */
  hang(): Promise<void>;
  /** While on, cuts every connection whose request is `GET /events`: the open ones now. */
  dropEventStreams(on: boolean): void;
  /** Every connection the proxy accepted, oldest first (open or not). */
  readonly connections: readonly ProxiedConnection[];
  /** Cuts everything and removes the temp folder. */
  close(): Promise<void>;
}

/** The proxy's fault modes (see SocketProxy). */
export type ProxyMode = 'up' | 'down' | 'hung';

/** One client connection through the proxy. */
export interface ProxiedConnection {
  /** The first request line (`GET /_ping HTTP/1.1`), or '' until it has arrived. */
  readonly requestLine: string;
  /** performance.now() when it was accepted. */
  readonly acceptedAt: number;
  /** Whether the proxy still holds it (a client that closed may be held, as by a frozen engine). */
  readonly isOpen: boolean;
  /** performance.now() when the client closed its side (or the whole connection), or null. */
  readonly clientClosedAt: number | null;
  /** Whether the proxy cut it (down, or a dropped event stream). */
  readonly wasCut: boolean;
  /** performance.now() when the proxy cut it, or null. */
  readonly cutAt: number | null;
  /** What the engine sent the client over it, as latin1 text, capped at 1 MiB. */
  readonly fromEngine: string;
}

const maxRecordedBytes = 1024 * 1024;

class Connection implements ProxiedConnection {
  requestLine = '';
  readonly acceptedAt = performance.now();
  isOpen = true;
  wasCut = false;
  cutAt: number | null = null;
  clientClosedAt: number | null = null;
  fromEngine = '';
  readonly client: Socket;
  engine: Socket | null = null;
  isHeld: boolean;
  /** Bytes waiting for the engine (null marks the client's end of writing). */
  readonly toEngine: (Buffer | null)[] = [];
  /** Bytes waiting for the client (null marks the engine's end of writing). */
  readonly toClient: (Buffer | null)[] = [];
  #head = '';

  constructor(client: Socket, isHeld: boolean) {
    this.client = client;
    this.isHeld = isHeld;
  }

  /** Adds client bytes to the sniffed head; true once the request line is complete. */
  sniff(chunk: Buffer): boolean {
    if (this.requestLine !== '' || this.#head.length > 8192) {
      return false;
    }
    this.#head += chunk.toString('latin1');
    const end = this.#head.indexOf('\r\n');
    if (end === -1) {
      return false;
    }
    this.requestLine = this.#head.slice(0, end);
    return true;
  }

  get isEventStream(): boolean {
    return /^GET \/(v[\d.]+\/)?events\b/.test(this.requestLine);
  }

  record(chunk: Buffer): void {
    if (this.fromEngine.length < maxRecordedBytes) {
      this.fromEngine += chunk
        .toString('latin1')
        .slice(0, maxRecordedBytes - this.fromEngine.length);
    }
  }

  cut(): void {
    if (this.isOpen) {
      this.wasCut = true;
      this.cutAt = performance.now();
    }
    this.destroy();
  }

  destroy(): void {
    this.isOpen = false;
    this.client.destroy();
    this.engine?.destroy();
  }
}

/**
 * Starts a proxy, `up`, on a socket in a fresh temp folder, in front of the engine socket at
 * `enginePath` (it must exist; each client connection gets its own connection to it).
 */
export async function startSocketProxy(enginePath: string): Promise<SocketProxy> {
  const folder = await mkdtemp(join(tmpdir(), 'nd-fault-'));
  const socketPath = join(folder, 'engine.sock');
  const connections: Connection[] = [];
  let mode: ProxyMode = 'up';
  let dropsEvents = false;
  let server: Server | null = null;

  /** Joins a connection to the engine (once) and delivers what was held, both ways. */
  const release = (connection: Connection): void => {
    if (!connection.isOpen) {
      return;
    }
    connection.isHeld = false;
    if (connection.engine === null) {
      const engine = connect({path: enginePath, allowHalfOpen: true});
      connection.engine = engine;
      engine.on('error', () => connection.destroy());
      engine.on('close', () => {
        if (connection.isHeld) {
          // A frozen engine would not close anything yet: close the client once released.
          connection.toClient.push(null);
        } else {
          connection.destroy();
        }
      });
      engine.on('data', (chunk: Buffer) => {
        connection.record(chunk);
        if (connection.isHeld) {
          connection.toClient.push(chunk);
        } else {
          connection.client.write(chunk);
        }
      });
      engine.on('end', () => {
        if (connection.isHeld) {
          connection.toClient.push(null);
        } else {
          connection.client.end();
        }
      });
    }
    const engine = connection.engine;
    for (const chunk of connection.toEngine.splice(0)) {
      if (chunk === null) {
        engine.end();
      } else {
        engine.write(chunk);
      }
    }
    for (const chunk of connection.toClient.splice(0)) {
      if (chunk === null) {
        connection.destroy();
        return;
      }
      connection.client.write(chunk);
    }
  };

  const accept = (client: Socket): void => {
    const connection = new Connection(client, mode === 'hung');
    connections.push(connection);
    const clientClosed = (): void => {
      connection.clientClosedAt ??= performance.now();
    };
    client.on('error', () => {
      clientClosed();
      connection.destroy();
    });
    client.on('close', () => {
      clientClosed();
      connection.destroy();
    });
    client.on('data', (chunk: Buffer) => {
      if (connection.sniff(chunk) && dropsEvents && connection.isEventStream) {
        connection.cut();
        return;
      }
      if (connection.isHeld || connection.engine === null) {
        connection.toEngine.push(chunk);
      } else {
        connection.engine.write(chunk);
      }
    });
    client.on('end', () => {
      clientClosed();
      if (connection.isHeld || connection.engine === null) {
        connection.toEngine.push(null);
      } else {
        connection.engine.end();
      }
    });
    if (!connection.isHeld) {
      release(connection);
    }
  };

  const listen = async (): Promise<void> => {
    const listening = createServer({allowHalfOpen: true}, accept);
    await new Promise<void>((resolve, reject) => {
      listening.once('error', reject);
      listening.listen(socketPath, () => {
        listening.off('error', reject);
        resolve();
      });
    });
    server = listening;
  };

  const closeListener = async (): Promise<void> => {
    const listening = server;
    server = null;
    if (listening !== null) {
      // Closing a listening Unix socket unlinks its file: a connect then fails with ENOENT.
      await new Promise<void>((resolve) => listening.close(() => resolve()));
    }
  };

  await listen();
  return {
    socketPath,
    address: `unix://${socketPath}`,
    get mode() {
      return mode;
    },
    get connections() {
      return connections;
    },
    async up() {
      if (server === null) {
        await listen();
      }
      mode = 'up';
      for (const connection of connections) {
        release(connection);
      }
    },
    async down() {
      mode = 'down';
      const closed = closeListener();
      for (const connection of connections) {
        connection.cut();
      }
      await closed;
    },
    async hang() {
      if (server === null) {
        await listen();
      }
      mode = 'hung';
      for (const connection of connections) {
        connection.isHeld = true;
      }
    },
    dropEventStreams(on) {
      dropsEvents = on;
      if (on) {
        for (const connection of connections) {
          if (connection.isOpen && connection.isEventStream) {
            connection.cut();
          }
        }
      }
    },
    async close() {
      mode = 'down';
      const closed = closeListener();
      for (const connection of connections) {
        connection.destroy();
      }
      await closed;
      await rm(folder, {recursive: true, force: true});
    },
  };
}
