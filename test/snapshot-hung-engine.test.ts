import {mkdtempSync} from 'node:fs';
import type {Socket} from 'node:net';
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
function answer(socket: Socket, contentType: string, body: string): void {
  socket.end(
    `HTTP/1.1 200 OK\r\nServer: Docker/20.10.24 (linux)\r\nApi-Version: 1.41\r\nContent-Type: ${contentType}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
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
