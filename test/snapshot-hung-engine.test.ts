import {mkdirSync, mkdtempSync} from 'node:fs';
import {createServer, type Server, type Socket} from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {HostScanner} from '../source/host/host-scanner.js';
import {LiveSnapshot, type Snapshot} from '../source/snapshot.js';
import {type FakeEngine, hostOf, startFakeEngine} from './helpers/fake-engine.js';

let engine: FakeEngine | undefined;
afterEach(async () => {
  await engine?.close();
  engine = undefined;
});

/** A Docker-like answer (the headers say Docker) with a body, then close. */
function answer(
  socket: Socket,
  contentType: string,
  body: string,
  server = 'Docker/20.10.24 (linux)',
): void {
  socket.end(
    `HTTP/1.1 200 OK\r\nServer: ${server}\r\nApi-Version: 1.41\r\nContent-Type: ${contentType}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** A fake engine that answers until `hang` is set, then accepts and never answers. */
async function startHangingEngine(state: {hang: boolean}): Promise<FakeEngine> {
  return startFakeEngine((socket, head) => {
    if (state.hang) {
      return;
    }
    if (head.startsWith('GET /_ping')) {
      answer(socket, 'text/plain', 'OK');
    } else {
      answer(socket, 'application/json', '[]');
    }
  });
}

async function refresh(live: LiveSnapshot): Promise<Snapshot[]> {
  const updates: Snapshot[] = [];
  await live.refresh((snapshot) => updates.push(snapshot));
  return updates;
}

describe('a hung engine (issue 10 item 6)', () => {
  it('is reported as not answering while its list is cached, and recovers', async () => {
    const state = {hang: false};
    engine = await startHangingEngine(state);
    const live = new LiveSnapshot({
      env: hostOf(engine),
      // As with an event stream open: the container list is not asked again for a minute.
      containersMaxAgeMs: () => 60_000,
      notAnsweringAfterMs: 300,
      timeoutMs: 1000,
      scanner: new HostScanner({procRoot: mkdtempSync(join(tmpdir(), 'nd-empty-proc-'))}),
    });
    const healthy = (await refresh(live)).at(-1);
    expect(healthy?.engines.map((report) => report.ok)).toEqual([true]);
    expect(healthy?.warnings.join('\n')).not.toContain('not answering');

    // Cached list: a ping is the only question, and it is not answered.
    state.hang = true;
    const hung = await refresh(live);
    const shown = hung.at(-1);
    expect(shown?.warnings[0]).toBe(`docker unix://${engine.socketPath} not answering (1 s)`);
    expect(shown?.engines.map((report) => report.ok)).toEqual([false]);
    expect(engine.requests.at(-1)).toBe('GET /_ping HTTP/1.1');

    // Still hung: the next refresh asks for the list again, and still says not answering.
    const still = (await refresh(live)).at(-1);
    expect(still?.warnings.filter((text) => text.includes('not answering'))).toHaveLength(1);
    expect(engine.requests.at(-1)).toBe('GET /containers/json HTTP/1.1');

    // It answers again: the warning goes.
    state.hang = false;
    const back = (await refresh(live)).at(-1);
    expect(back?.engines.map((report) => report.ok)).toEqual([true]);
    expect(back?.warnings.join('\n')).not.toContain('not answering');
  });

  it('is reported as not answering while a detection waits on it past the mark', async () => {
    const state = {hang: false};
    engine = await startHangingEngine(state);
    const live = new LiveSnapshot({
      env: hostOf(engine),
      notAnsweringAfterMs: 300,
      timeoutMs: 1500,
      scanner: new HostScanner({procRoot: mkdtempSync(join(tmpdir(), 'nd-empty-proc-'))}),
    });
    await refresh(live);
    state.hang = true;
    const updates = await refresh(live);
    // First the host rows with the engines pending, then (at the mark) who is not answering,
    // then the detection's end.
    const marked = updates.find((snapshot) =>
      snapshot.warnings.some((text) => text.includes('not answering')),
    );
    expect(marked?.enginesPending).toBe(true);
    expect(updates.at(-1)?.warnings.join('\n')).toContain('not answering');
  });
});

describe('one of two engines frozen (issue 11, engine faults)', () => {
  const servers: Server[] = [];
  const sockets = new Set<Socket>();
  afterEach(async () => {
    for (const socket of sockets) {
      socket.destroy();
    }
    for (const server of servers.splice(0)) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  /** An engine at `path` (a well-known place), answering `[]` with `server` until `state.hang`. */
  async function engineAt(path: string, server: string, state: {hang: boolean}): Promise<string> {
    const listening = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {});
      socket.once('data', () => {
        if (!state.hang) {
          answer(socket, 'application/json', '[]', server);
        }
      });
    });
    await new Promise<void>((resolve) => listening.listen(path, resolve));
    servers.push(listening);
    return `unix://${path}`;
  }

  it('blames only the engine the detection waits for, by its kind, past the deadline too', async () => {
    // Two engines found by default, in a runtime folder of our own: a Docker and a Podman.
    const runtime = mkdtempSync(join(tmpdir(), 'nd-runtime-'));
    mkdirSync(join(runtime, 'podman'));
    const dockerAddress = await engineAt(join(runtime, 'docker.sock'), 'Docker/20.10.24 (linux)', {
      hang: false,
    });
    const podmanState = {hang: false};
    const podmanAddress = await engineAt(
      join(runtime, 'podman', 'podman.sock'),
      'Libpod/4.3.1 (linux)',
      podmanState,
    );
    const live = new LiveSnapshot({
      env: {XDG_RUNTIME_DIR: runtime},
      home: mkdtempSync(join(tmpdir(), 'nd-home-')),
      uid: 4242,
      notAnsweringAfterMs: 300,
      timeoutMs: 1000,
      scanner: new HostScanner({procRoot: mkdtempSync(join(tmpdir(), 'nd-empty-proc-'))}),
    });
    const healthy = (await refresh(live)).at(-1);
    expect(healthy?.engines.filter((report) => report.ok).map((report) => report.engine)).toEqual(
      expect.arrayContaining(['docker', 'podman']),
    );

    // Podman freezes; the detection waits for it, Docker answered at once.
    podmanState.hang = true;
    const updates = await refresh(live);
    const marked = updates.find((snapshot) =>
      snapshot.warnings.some((text) => text.includes('not answering')),
    );
    expect(marked?.enginesPending).toBe(true);
    expect(marked?.warnings.filter((text) => text.includes('not answering'))).toEqual([
      `podman ${podmanAddress} not answering (1 s)`,
    ]);
    expect(marked?.engines.find((report) => report.endpoint === dockerAddress)?.ok).toBe(true);
    // Past the deadline, its report has no kind of its own: the warning still says podman.
    const last = updates.at(-1);
    expect(last?.enginesPending).toBe(false);
    expect(last?.warnings.filter((text) => text.includes('not answering'))).toEqual([
      `podman ${podmanAddress} not answering (1 s)`,
    ]);
    expect(last?.warnings.join('\n')).not.toContain(dockerAddress);
  });
});
