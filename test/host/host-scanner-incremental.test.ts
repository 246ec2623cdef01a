import {writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {describe, expect, it} from 'vitest';
import {sharedFdScanner} from '../../source/host/fd-scan.js';
import {HostScanner} from '../../source/host/host-scanner.js';
import {fakeProc} from '../helpers/fake-proc.js';

const pidsOf = (scan: Awaited<ReturnType<HostScanner['scan']>>, port: number) =>
  scan.listeners.find((listener) => listener.port === port)?.pids;

/** A fake procfs with one listener (port 8080, inode 1001, pid 10) and a scanner over it. */
function webHost(): {proc: ReturnType<typeof fakeProc>; scanner: HostScanner} {
  const proc = fakeProc();
  proc.listen(1001, 8080);
  proc.process(10, 1, [1001]);
  proc.write();
  return {proc, scanner: new HostScanner({procRoot: proc.root, passwdPath: '/dev/null'})};
}

describe('HostScanner: a scan costs what changed (fake procfs)', () => {
  it('hands back the last scan when processes came and went but no holder did', async () => {
    const {proc, scanner} = webHost();
    const first = await scanner.scan();
    expect(pidsOf(first, 8080)).toEqual([10]);
    proc.process(11, 1, []); // a short-lived process with no socket
    const second = await scanner.scan();
    expect(second.listeners).toBe(first.listeners);
    expect(second.processes).toBe(first.processes);
  });

  it('reads the tables when the counters moved, and with the counters still only after their age', async () => {
    const proc = fakeProc();
    proc.listen(1001, 8080);
    proc.process(10, 1, [1001]);
    proc.write();
    const scanner = new HostScanner({
      procRoot: proc.root,
      passwdPath: '/dev/null',
      tablesMaxAgeMs: 60_000,
    });
    await scanner.scan();
    // A swap the counters cannot see: one listener closed, another opened.
    proc.close(1001);
    proc.listen(1002, 8081);
    proc.process(10, 1, [1002]);
    proc.write(false);
    expect(pidsOf(await scanner.scan(), 8080)).toEqual([10]);
    // A fresh scan (after an action or an engine event) reads them now.
    const fresh = await scanner.scan({fresh: true});
    expect(pidsOf(fresh, 8081)).toEqual([10]);
    expect(pidsOf(fresh, 8080)).toBeUndefined();
    // A listener more: the counters move, the next scan sees it.
    proc.listen(1003, 8082);
    proc.process(12, 1, [1003]);
    proc.write();
    expect(pidsOf(await scanner.scan(), 8082)).toEqual([12]);
  });

  it('reads the tables when a new process appeared, counters unchanged; else not before 5 s', async () => {
    const proc = fakeProc();
    proc.listen(1001, 8080);
    proc.process(10, 1, [1001]);
    proc.write();
    // The default age: a fake table costs microseconds to read, the floor of 5 s applies.
    const scanner = new HostScanner({procRoot: proc.root, passwdPath: '/dev/null'});
    await scanner.scan();
    // The same process swaps its listener: nothing announces it, the tables are not due yet.
    proc.close(1001);
    proc.listen(1002, 8081);
    proc.process(10, 1, [1002]);
    proc.write(false);
    expect(pidsOf(await scanner.scan(), 8080)).toEqual([10]);
    // A service restarted: its old process gone, a new one holds a new listener, the counts
    // where they were. The new process is the cue: the tables are read at once.
    proc.close(1002);
    proc.exit(10);
    proc.listen(1003, 8082);
    proc.process(11, 1, [1003]);
    proc.write(false);
    const restarted = await scanner.scan();
    expect(pidsOf(restarted, 8082)).toEqual([11]);
    expect(pidsOf(restarted, 8080)).toBeUndefined();
    expect(pidsOf(restarted, 8081)).toBeUndefined();
  });

  it('lists the processes again only when the kernel made or ended a task (/proc/loadavg)', async () => {
    const proc = fakeProc();
    const loadavg = (tasks: number, lastPid: number) =>
      writeFileSync(join(proc.root, 'loadavg'), `0.10 0.20 0.30 1/${tasks} ${lastPid}\n`);
    proc.listen(1001, 8080);
    proc.process(10, 1, [1001]);
    proc.write();
    loadavg(100, 10);
    const scanner = new HostScanner({procRoot: proc.root, passwdPath: '/dev/null'});
    await scanner.scan();
    // Same cue: the listing (and all that follows from it) is the last one. (A fake procfs
    // can show a process the kernel's count would not; a real one cannot.)
    proc.listen(1002, 9090);
    proc.process(11, 1, [1002]);
    proc.write(false);
    expect(pidsOf(await scanner.scan({fresh: true}), 9090)).toEqual([]);
    // A task made: the last pid moved, the new process is listed and read.
    loadavg(101, 11);
    expect(pidsOf(await scanner.scan({fresh: true}), 9090)).toEqual([11]);
    // A task ended, none made: the count moved, the exit is seen.
    proc.close(1002);
    proc.exit(11);
    proc.write(false);
    loadavg(100, 11);
    expect(pidsOf(await scanner.scan({fresh: true}), 9090)).toBeUndefined();
  });

  it('finds a new listener of a new process and of the old parent it inherited it from', async () => {
    const proc = fakeProc();
    proc.listen(1001, 8080);
    proc.process(10, 1, [1001]);
    proc.process(20, 1, [], 5);
    proc.write();
    const scanner = new HostScanner({procRoot: proc.root, passwdPath: '/dev/null'});
    await scanner.scan();
    proc.listen(1002, 9090);
    proc.process(20, 1, [1002], 5); // the old parent opened it…
    proc.process(21, 20, [1002]); // …and its new child inherited it
    proc.write();
    const after = await scanner.scan();
    expect(pidsOf(after, 9090)).toEqual([20, 21]);
    expect(after.fullScan).toBe(false);
  });

  it('reads a parent with many fds for each new child at most every parentReadEveryMs, then catches up', async () => {
    const proc = fakeProc();
    proc.listen(1001, 8080);
    proc.process(10, 1, [1001]);
    proc.process(20, 1, [], 300); // an engine: many fds, the parent of each new helper
    proc.write();
    const scanner = new HostScanner({
      procRoot: proc.root,
      passwdPath: '/dev/null',
      parentReadEveryMs: 200,
    });
    await scanner.scan();
    // A first child with a new socket: its parent is read (it holds the socket too).
    proc.listen(1002, 9090);
    proc.process(20, 1, [1002], 300);
    proc.process(21, 20, [1002]);
    proc.write();
    expect(pidsOf(await scanner.scan(), 9090)).toEqual([20, 21]);
    // A second one at once: the parent's read is put off, the child's own socket is shown.
    proc.listen(1003, 9091);
    proc.process(20, 1, [1002, 1003], 300);
    proc.process(22, 20, [1003]);
    proc.write();
    expect(pidsOf(await scanner.scan(), 9091)).toEqual([22]);
    // Once the time has passed, a scan with nothing else new reads it.
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(pidsOf(await scanner.scan(), 9091)).toEqual([20, 22]);
  });

  it('reads a parent with many fds that holds no listener half as often after each read', async () => {
    const proc = fakeProc();
    proc.listen(1001, 8080);
    proc.process(10, 1, [1001]);
    proc.process(20, 1, [], 300); // an engine with no listener of its own, parent of the helpers
    proc.write();
    const scanner = new HostScanner({
      procRoot: proc.root,
      passwdPath: '/dev/null',
      parentReadEveryMs: 150,
    });
    await scanner.scan();
    const child = async (pid: number, inode: number, port: number) => {
      proc.listen(inode, port);
      proc.process(pid, 20, [inode]);
      proc.write();
      return await scanner.scan();
    };
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    // The first child's parent is read, and holds nothing: its next read waits 300 ms.
    expect((await child(21, 1002, 9090)).unreadableProcesses).toBe(0);
    proc.spoilFds(20); // a read of the parent from now on counts it unreadable
    await sleep(200); // past the usual 150 ms, short of 300
    const second = await child(22, 1003, 9091);
    expect(pidsOf(second, 9091)).toEqual([22]);
    expect(second.unreadableProcesses).toBe(0);
    await sleep(150); // 350 ms since its read: due, and read at the next scan
    expect((await child(23, 1004, 9092)).unreadableProcesses).toBe(1);
  });

  it('looks for the holder of a new socket among older processes, fewest fds first, and stops there', async () => {
    const proc = fakeProc();
    proc.listen(1001, 8080);
    proc.process(10, 1, [1001]);
    proc.process(30, 1, [], 2);
    proc.process(40, 1, [], 2500); // a process with many fds: read last
    proc.write();
    const scanner = new HostScanner({procRoot: proc.root, passwdPath: '/dev/null'});
    const first = await scanner.scan();
    expect(first.unreadableProcesses).toBe(0);
    proc.spoilFds(40); // reading it now would count it unreadable
    proc.listen(1002, 9090);
    proc.process(30, 1, [1002], 2);
    proc.write();
    const after = await scanner.scan();
    expect(pidsOf(after, 9090)).toEqual([30]);
    expect(after.unreadableProcesses).toBe(0);
    expect(after.fullScan).toBe(false);
  });

  it('looks first among the processes that started last: one read before it bound keeps its fd count', async () => {
    const proc = fakeProc();
    proc.listen(1001, 8080);
    proc.process(10, 1, [1001]);
    for (let pid = 30; pid < 40; pid++) {
      proc.process(pid, 1, [], 200);
    }
    proc.write();
    const scanner = new HostScanner({procRoot: proc.root, passwdPath: '/dev/null'});
    await scanner.scan();
    proc.process(70, 1, [], 1); // started: read as a new process with one fd (a pipe)
    await scanner.scan();
    for (let pid = 30; pid < 40; pid++) {
      proc.spoilFds(pid); // reading an older process now would count it unreadable
    }
    // As docker-proxy does: the pipe closed and the port bound, so the same count of fds.
    proc.listen(1002, 9090);
    proc.process(70, 1, [1002]);
    proc.write();
    const after = await scanner.scan();
    expect(pidsOf(after, 9090)).toEqual([70]);
    expect(after.unreadableProcesses).toBe(0);
    expect(after.fullScan).toBe(false);
  });

  it('reads every process for a socket no process holds, once', async () => {
    const {proc, scanner} = webHost();
    await scanner.scan();
    proc.listen(1002, 9090); // held by no process we can see (the kernel's own, say)
    proc.write();
    const after = await scanner.scan();
    expect(pidsOf(after, 9090)).toEqual([]);
    expect(after.fullScan).toBe(true);
    proc.process(11, 1, []);
    const next = await scanner.scan();
    expect(next.fullScan).toBe(false);
    expect(pidsOf(next, 9090)).toEqual([]);
  });

  it('drops an owner that exited and keeps the socket of the one that stays', async () => {
    const proc = fakeProc();
    proc.listen(1001, 8080);
    proc.process(10, 1, [1001]);
    proc.process(11, 10, [1001]);
    proc.write();
    const scanner = new HostScanner({procRoot: proc.root, passwdPath: '/dev/null'});
    expect(pidsOf(await scanner.scan(), 8080)).toEqual([10, 11]);
    proc.exit(11);
    expect(pidsOf(await scanner.scan(), 8080)).toEqual([10]);
  });

  it('takes the prefetch of its procRoot, and still finds a holder that started after it', async () => {
    const proc = fakeProc();
    proc.listen(1001, 8080);
    proc.process(10, 1, [1001]);
    proc.write();
    sharedFdScanner.prefetch(proc.root);
    // The prefetch has read process 10: it lists what there is now.
    const prefetched = sharedFdScanner.takePrefetch(proc.root, 60_000);
    expect((await prefetched)?.pids).toEqual([10]);
    sharedFdScanner.prefetch(proc.root);
    await new Promise((resolve) => setTimeout(resolve, 200));
    // A process started after the prefetch listed the processes binds a socket.
    proc.listen(1002, 8081);
    proc.process(11, 1, [1002]);
    proc.write();
    const scanner = new HostScanner({procRoot: proc.root, passwdPath: '/dev/null'});
    const first = await scanner.scan();
    expect(pidsOf(first, 8080)).toEqual([10]);
    expect(pidsOf(first, 8081)).toEqual([11]);
    expect(first.fullScan).toBe(true);
    // Taken once: a prefetch is gone after its scan, and one of another procRoot is not taken.
    expect(sharedFdScanner.takePrefetch(proc.root, 60_000)).toBeUndefined();
    sharedFdScanner.prefetch(`${proc.root}/none`);
    expect(sharedFdScanner.takePrefetch(proc.root, 60_000)).toBeUndefined();
  });

  it('blockingReads reads the same sockets and holders', async () => {
    const proc = fakeProc();
    for (let index = 0; index < 500; index++) {
      proc.listen(5000 + index, 20_000 + index);
    }
    proc.process(10, 1, [5000, 5001]);
    proc.process(11, 1, [5002]);
    proc.write();
    const options = {procRoot: proc.root, passwdPath: '/dev/null'};
    const plain = await new HostScanner(options).scan();
    const blocking = await new HostScanner({...options, blockingReads: true}).scan();
    expect(blocking.listeners).toEqual(plain.listeners);
    expect(blocking.listeners).toHaveLength(500);
    expect(pidsOf(blocking, 20_001)).toEqual([10]);
    expect(pidsOf(blocking, 20_002)).toEqual([11]);
  });
});
