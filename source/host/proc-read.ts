import {closeSync, openSync, readSync} from 'node:fs';
import {open} from 'node:fs/promises';

/**
 * Reads procfs files into buffers kept for reuse. A procfs file reports size 0, so Node's
 * readFile reads it through a fresh 64 KiB buffer each time: at a refresh a second that is
 * megabytes a minute of short-lived external memory, which a long-running dashboard holds
 * until a major collection (the soak saw RSS climb 15-20 MB a minute from it).
 */
export class ProcReader {
  #buffer: Buffer = Buffer.allocUnsafe(64 * 1024);
  #busy = false;
  /** The bytes readUnlessSame read last (a buffer of their own), and how many. */
  #last: Buffer | undefined;
  #lastLength = 0;

  /** Reads the whole file synchronously (procfs text: stat, status, cmdline, sockstat). */
  readSync(path: string, encoding: BufferEncoding): string {
    // The read first: it may replace the buffer with a larger one.
    const length = this.#readAllSync(path);
    return this.#buffer.toString(encoding, 0, length);
  }

  /**
   * Reads the whole file without blocking the event loop (socket tables: megabytes on a big
   * host). One read at a time per reader; a second one at once gets a buffer of its own.
   */
  async read(path: string, encoding: BufferEncoding): Promise<string> {
    if (this.#busy) {
      return new ProcReader().read(path, encoding);
    }
    const length = await this.#readAll(path);
    return this.#buffer.toString(encoding, 0, length);
  }

  /**
   * As read, but undefined when the file holds the same bytes as at this reader's last
   * readUnlessSame (unless `force`): an unchanged socket table of 20,000 sockets then costs a
   * comparison, not a 3 MB string to parse and collect. Keeps the last bytes read (a second
   * buffer): for the tables a scanner reads again and again, one reader each.
   */
  async readUnlessSame(
    path: string,
    encoding: BufferEncoding,
    force: boolean,
  ): Promise<string | undefined> {
    if (this.#busy) {
      return new ProcReader().read(path, encoding);
    }
    return this.#unlessSame(await this.#readAll(path), encoding, force);
  }

  /**
   * readUnlessSame, synchronously: for a small table, whose asynchronous read (a file handle,
   * a thread-pool trip per 4 KiB) costs the process about twice the CPU of the read itself.
   */
  readUnlessSameSync(path: string, encoding: BufferEncoding, force: boolean): string | undefined {
    if (this.#busy) {
      return new ProcReader().readSync(path, encoding);
    }
    return this.#unlessSame(this.#readAllSync(path), encoding, force);
  }

  /** How many bytes the last readUnlessSame read (0 before the first). */
  get lastLength(): number {
    return this.#lastLength;
  }

  /** The text of the `length` bytes just read, or undefined when they are the last ones. */
  #unlessSame(length: number, encoding: BufferEncoding, force: boolean): string | undefined {
    const last = this.#last;
    if (
      !force &&
      last !== undefined &&
      length === this.#lastLength &&
      this.#buffer.compare(last, 0, length, 0, length) === 0
    ) {
      return undefined;
    }
    const text = this.#buffer.toString(encoding, 0, length);
    // These bytes are the last now; the older ones' buffer takes the next read.
    this.#last = this.#buffer;
    this.#lastLength = length;
    this.#buffer = last ?? Buffer.allocUnsafe(64 * 1024);
    return text;
  }

  /** Reads the whole file into #buffer (grown as needed), synchronously; returns its length. */
  #readAllSync(path: string): number {
    const fd = openSync(path, 'r');
    try {
      let length = 0;
      for (;;) {
        if (length === this.#buffer.length) {
          this.#grow();
        }
        const read = readSync(fd, this.#buffer, length, this.#buffer.length - length, null);
        if (read === 0) {
          return length;
        }
        length += read;
      }
    } finally {
      closeSync(fd);
    }
  }

  /** Reads the whole file into #buffer (grown as needed); resolves to its length. */
  async #readAll(path: string): Promise<number> {
    this.#busy = true;
    const handle = await open(path, 'r').catch((error: unknown) => {
      this.#busy = false;
      throw error;
    });
    try {
      let length = 0;
      for (;;) {
        if (length === this.#buffer.length) {
          this.#grow();
        }
        const {bytesRead} = await handle.read(
          this.#buffer,
          length,
          this.#buffer.length - length,
          null,
        );
        if (bytesRead === 0) {
          return length;
        }
        length += bytesRead;
      }
    } finally {
      this.#busy = false;
      await handle.close();
    }
  }

  /**
   * Four times larger: a 3 MB table (20,000 sockets) then costs three copies from 64 KiB, not
   * six (10 ms of a one-shot run's 60 ms read).
   */
  #grow(): void {
    const larger = Buffer.allocUnsafe(this.#buffer.length * 4);
    this.#buffer.copy(larger);
    this.#buffer = larger;
  }
}

const syncReader = new ProcReader();
/** One reader per socket table, so the four are read at once without sharing a buffer. */
const tableReaders = new Map<string, ProcReader>();

/** The text of a small procfs file, read synchronously through a reused buffer. */
export function readProcFileSync(path: string, encoding: BufferEncoding = 'utf8'): string {
  return syncReader.readSync(path, encoding);
}

/** The text of a procfs file, read asynchronously through a buffer kept for `path`. */
export function readProcFile(path: string, encoding: BufferEncoding = 'latin1'): Promise<string> {
  let reader = tableReaders.get(path);
  if (reader === undefined) {
    reader = new ProcReader();
    tableReaders.set(path, reader);
  }
  return reader.read(path, encoding);
}
