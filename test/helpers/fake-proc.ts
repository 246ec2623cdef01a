import {mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterEach} from 'vitest';

/** A fake procfs: socket tables, counters and processes with fd links, changed at will. */
export class FakeProc {
  readonly root = mkdtempSync(join(tmpdir(), 'nd-fake-proc-'));
  readonly #listeners = new Map<number, number>(); // inode -> port

  constructor() {
    mkdirSync(join(this.root, 'net'));
    writeFileSync(join(this.root, 'stat'), 'btime 1700000000\n');
    this.write();
  }

  listen(inode: number, port: number): void {
    this.#listeners.set(inode, port);
  }

  close(inode: number): void {
    this.#listeners.delete(inode);
  }

  /** Writes the tables; `counters` false keeps sockstat as it was (a swap the counts miss). */
  write(counters = true): void {
    const header =
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
    const rows = [...this.#listeners].map(
      ([inode, port], index) =>
        `   ${index}: 0100007F:${port.toString(16).toUpperCase().padStart(4, '0')} 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 ${inode} 1 0000000000000000 100 0 0 10 0\n`,
    );
    writeFileSync(join(this.root, 'net', 'tcp'), header + rows.join(''));
    if (counters) {
      writeFileSync(
        join(this.root, 'net', 'sockstat'),
        `sockets: used 9\nTCP: inuse ${this.#listeners.size} orphan 0 tw 0 alloc 9 mem 0\nUDP: inuse 0 mem 0\n`,
      );
    }
  }

  /** A process holding `inodes` (and `extraFds` non-socket fds). */
  process(pid: number, ppid: number, inodes: readonly number[], extraFds = 0): void {
    const dir = join(this.root, String(pid));
    rmSync(dir, {recursive: true, force: true});
    mkdirSync(join(dir, 'fd'), {recursive: true});
    writeFileSync(join(dir, 'stat'), `${pid} (svc${pid}) S ${ppid}${' 0'.repeat(17)} 500 0\n`);
    writeFileSync(join(dir, 'status'), 'Name:\tsvc\nUid:\t0\t0\t0\t0\n');
    writeFileSync(join(dir, 'cmdline'), `svc${pid}\0`);
    inodes.forEach((inode, fd) => {
      symlinkSync(`socket:[${inode}]`, join(dir, 'fd', String(fd)));
    });
    for (let fd = inodes.length; fd < inodes.length + extraFds; fd++) {
      symlinkSync('/dev/null', join(dir, 'fd', String(fd)));
    }
  }

  /** Makes a process's fd folder unreadable as a folder: reading it counts as unreadable. */
  spoilFds(pid: number): void {
    rmSync(join(this.root, String(pid), 'fd'), {recursive: true, force: true});
    writeFileSync(join(this.root, String(pid), 'fd'), 'not a folder');
  }

  exit(pid: number): void {
    rmSync(join(this.root, String(pid)), {recursive: true, force: true});
  }
}

const fakes: FakeProc[] = [];
afterEach(() => {
  for (const fake of fakes.splice(0)) {
    rmSync(fake.root, {recursive: true, force: true});
  }
});

/** A fake procfs removed after the test. */
export function fakeProc(): FakeProc {
  const fake = new FakeProc();
  fakes.push(fake);
  return fake;
}
