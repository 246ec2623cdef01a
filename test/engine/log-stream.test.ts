import {describe, expect, it} from 'vitest';
import type {LogLine} from '../../source/engine/log-frames.js';
import {LogStreamQueue, maxQueuedLogLines} from '../../source/engine/log-stream.js';

const line = (text: string): LogLine => ({
  stream: 'stdout',
  timestamp: null,
  text,
  truncated: false,
});

function fakeSource() {
  const calls: string[] = [];
  return {
    calls,
    source: {
      pause: () => calls.push('pause'),
      resume: () => calls.push('resume'),
      destroy: () => calls.push('destroy'),
    },
  };
}

describe('LogStreamQueue', () => {
  it('gives the queued lines, then the error once, then done', async () => {
    const queue = new LogStreamQueue();
    queue.push(line('a'));
    queue.push(line('b'));
    queue.fail(new Error('gone'));
    queue.push(line('late'));
    const iterator = queue[Symbol.asyncIterator]();
    expect((await iterator.next()).value?.text).toBe('a');
    expect((await iterator.next()).value?.text).toBe('b');
    await expect(iterator.next()).rejects.toThrow('gone');
    expect(await iterator.next()).toEqual({done: true, value: undefined});
  });

  it('pauses the source at the mark and resumes it once half is taken', async () => {
    const {calls, source} = fakeSource();
    const queue = new LogStreamQueue();
    queue.attach(source);
    for (let index = 0; index < maxQueuedLogLines; index++) {
      queue.push(line(String(index)));
    }
    expect(calls).toEqual(['pause']);
    const iterator = queue[Symbol.asyncIterator]();
    for (let index = 0; index < maxQueuedLogLines / 2 - 1; index++) {
      expect((await iterator.next()).value?.text).toBe(String(index));
    }
    expect(calls).toEqual(['pause']);
    await iterator.next();
    expect(calls).toEqual(['pause', 'resume']);
  });

  it('close(): idempotent, runs onClose once, destroys the source, ends a waiting next', async () => {
    const {calls, source} = fakeSource();
    let closed = 0;
    const queue = new LogStreamQueue(() => closed++);
    queue.attach(source);
    const waiting = queue[Symbol.asyncIterator]().next();
    queue.close();
    queue.close();
    expect(await waiting).toEqual({done: true, value: undefined});
    expect([closed, calls]).toEqual([1, ['destroy']]);
    // A source that arrives after close() is destroyed at once.
    const late = fakeSource();
    queue.attach(late.source);
    expect(late.calls).toEqual(['destroy']);
  });

  it('breaking out of for await closes it', async () => {
    const {calls, source} = fakeSource();
    const queue = new LogStreamQueue();
    queue.attach(source);
    queue.push(line('a'));
    queue.push(line('b'));
    for await (const item of queue) {
      expect(item.text).toBe('a');
      break;
    }
    expect(queue.isClosed).toBe(true);
    expect(calls).toEqual(['destroy']);
  });
});
