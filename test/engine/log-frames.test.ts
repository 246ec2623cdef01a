import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {
  type FrameStream,
  LogFrameDecoder,
  LogLineSplitter,
  maxLogFrameBytes,
} from '../../source/engine/log-frames.js';
import {LogFrameError} from '../../source/errors/log-frame-error.js';

function frame(stream: number, payload: string | Buffer): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

/** Decodes `chunks`, joining the pieces of each stream in order. */
function decode(chunks: readonly Buffer[]): Array<[FrameStream, string]> {
  const decoder = new LogFrameDecoder();
  const out: Array<[FrameStream, Buffer[]]> = [];
  for (const chunk of chunks) {
    for (const piece of decoder.push(chunk)) {
      const last = out.at(-1);
      // Copied: a piece is a view of the chunk.
      if (last !== undefined && last[0] === piece.stream) {
        last[1].push(Buffer.from(piece.data));
      } else {
        out.push([piece.stream, [Buffer.from(piece.data)]]);
      }
    }
  }
  decoder.end();
  return out.map(([stream, parts]) => [stream, Buffer.concat(parts).toString('utf8')]);
}

describe('LogFrameDecoder', () => {
  const stream = Buffer.concat([
    frame(1, 'line 0\n'),
    frame(2, 'err\n'),
    frame(1, ''),
    frame(1, 'é and 😀\n'),
  ]);

  it('decodes frames pushed whole', () => {
    expect(decode([stream])).toEqual([
      [1, 'line 0\n'],
      [2, 'err\n'],
      [1, 'é and 😀\n'],
    ]);
  });

  it('decodes the same when the stream is split in two at every byte offset', () => {
    const whole = decode([stream]);
    for (let at = 0; at <= stream.length; at++) {
      expect(decode([stream.subarray(0, at), stream.subarray(at)])).toEqual(whole);
    }
  });

  it('decodes the same one byte at a time', () => {
    const bytes = [...stream].map((byte) => Buffer.from([byte]));
    expect(decode(bytes)).toEqual(decode([stream]));
  });

  it('passes a frame larger than a chunk on in pieces, holding none of it', () => {
    const big = Buffer.alloc(200_000, 0x61);
    const framed = frame(2, big);
    const decoder = new LogFrameDecoder();
    let total = 0;
    for (let at = 0; at < framed.length; at += 16_384) {
      const pieces = decoder.push(framed.subarray(at, at + 16_384));
      for (const piece of pieces) {
        expect(piece.stream).toBe(2);
        total += piece.data.length;
      }
    }
    decoder.end();
    expect(total).toBe(big.length);
  });

  it('property: any split of any frames gives the same bytes per stream', () => {
    const frames = fc.array(
      fc.record({
        stream: fc.constantFrom(1, 2),
        payload: fc.uint8Array({maxLength: 40}),
      }),
      {maxLength: 12},
    );
    fc.assert(
      fc.property(frames, fc.array(fc.nat(), {maxLength: 10}), (list, cuts) => {
        const bytes = Buffer.concat(
          list.map((item) => frame(item.stream, Buffer.from(item.payload))),
        );
        const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort(
          (a, b) => a - b,
        );
        const chunks: Buffer[] = [];
        let previous = 0;
        for (const point of [...points, bytes.length]) {
          chunks.push(bytes.subarray(previous, point));
          previous = point;
        }
        const decoder = new LogFrameDecoder();
        const got: Record<number, Buffer[]> = {1: [], 2: []};
        for (const chunk of chunks) {
          for (const piece of decoder.push(chunk)) {
            got[piece.stream]?.push(Buffer.from(piece.data));
          }
        }
        decoder.end();
        for (const name of [1, 2]) {
          const expected = Buffer.concat(
            list.filter((item) => item.stream === name).map((item) => Buffer.from(item.payload)),
          );
          expect(Buffer.concat(got[name] ?? [])).toEqual(expected);
        }
      }),
    );
  });

  it('stops at an unknown stream byte (a raw TTY stream read as framed) with a typed error', () => {
    const raw = new LogFrameDecoder();
    expect(raw.push(Buffer.from('2026-12-01T21:54:53Z line\n'))).toEqual([]);
    expect(raw.error).toBeInstanceOf(LogFrameError);
    // The pieces before the bad header come out; the error is then set, and thrown after.
    const decoder = new LogFrameDecoder();
    const pieces = decoder.push(
      Buffer.concat([frame(1, 'ok\n'), Buffer.from([7, 0, 0, 0, 0, 0, 0, 0])]),
    );
    expect(pieces.map((piece) => piece.data.toString())).toEqual(['ok\n']);
    expect(decoder.error).toMatchObject({name: 'LogFrameError', fault: 'stream', offset: 11});
    expect(() => decoder.push(frame(1, 'ok\n'))).toThrow(LogFrameError);
    expect(() => decoder.end()).toThrow(LogFrameError);
  });

  it('refuses non-zero padding and an absurd length', () => {
    const padded = new LogFrameDecoder();
    padded.push(Buffer.from([1, 0, 1, 0, 0, 0, 0, 1]));
    expect(padded.error).toMatchObject({fault: 'header'});
    const huge = Buffer.alloc(8);
    huge[0] = 1;
    huge.writeUInt32BE(maxLogFrameBytes + 1, 4);
    const absurd = new LogFrameDecoder();
    absurd.push(huge);
    expect(absurd.error).toMatchObject({fault: 'length'});
    const exact = Buffer.alloc(8);
    exact[0] = 1;
    exact.writeUInt32BE(maxLogFrameBytes, 4);
    const capped = new LogFrameDecoder();
    expect(capped.push(exact)).toEqual([]);
    expect(capped.error).toBeUndefined();
  });

  it('says when the stream ends inside a header or a payload', () => {
    const inHeader = new LogFrameDecoder();
    inHeader.push(frame(1, 'abc').subarray(0, 5));
    expect(() => inHeader.end()).toThrow(expect.objectContaining({fault: 'truncated'}));
    const inPayload = new LogFrameDecoder();
    inPayload.push(frame(1, 'abc').subarray(0, 9));
    expect(() => inPayload.end()).toThrow(/2 bytes before the end/);
  });
});

describe('LogLineSplitter', () => {
  it('splits lines and reads the engines timestamps off (Docker nanoseconds, Podman seconds)', () => {
    const splitter = new LogLineSplitter({timestamps: true});
    expect(
      splitter.push(
        Buffer.from(
          '2026-12-01T21:54:53.191477682Z line 17\n2026-12-01T21:54:53Z err 11\n2026-12-01T21:54:53+01:00 x y\n',
        ),
      ),
    ).toEqual([
      {timestamp: '2026-12-01T21:54:53.191477682Z', text: 'line 17', truncated: false},
      {timestamp: '2026-12-01T21:54:53Z', text: 'err 11', truncated: false},
      {timestamp: '2026-12-01T21:54:53+01:00', text: 'x y', truncated: false},
    ]);
  });

  it('leaves a line without a timestamp whole, and never strips when timestamps are off', () => {
    expect(new LogLineSplitter({timestamps: true}).push(Buffer.from('not a time x\n\n'))).toEqual([
      {timestamp: null, text: 'not a time x', truncated: false},
      {timestamp: null, text: '', truncated: false},
    ]);
    expect(new LogLineSplitter().push(Buffer.from('2026-12-01T21:54:53Z kept\n'))[0]?.text).toBe(
      '2026-12-01T21:54:53Z kept',
    );
  });

  it('joins a UTF-8 character and a timestamp split across pieces', () => {
    const bytes = Buffer.from('2026-12-01T21:54:53.1Z é😀\n');
    for (let at = 0; at <= bytes.length; at++) {
      const splitter = new LogLineSplitter({timestamps: true});
      const lines = [...splitter.push(bytes.subarray(0, at)), ...splitter.push(bytes.subarray(at))];
      expect(lines).toEqual([{timestamp: '2026-12-01T21:54:53.1Z', text: 'é😀', truncated: false}]);
    }
  });

  it('drops the carriage return a terminal adds when asked', () => {
    const splitter = new LogLineSplitter({stripCarriageReturn: true, timestamps: true});
    expect(splitter.push(Buffer.from('2026-12-01T21:54:53Z tline 14\r\nterr\r\n'))).toEqual([
      {timestamp: '2026-12-01T21:54:53Z', text: 'tline 14', truncated: false},
      {timestamp: null, text: 'terr', truncated: false},
    ]);
  });

  it('cuts a long line at the limit on a character boundary, drops its rest, marks it', () => {
    const long = `${'a'.repeat(39)}é${'b'.repeat(1000)}\nnext\n`;
    // 7-byte pieces: the cut falls inside the two bytes of é.
    const splitter = new LogLineSplitter({maxLineBytes: 40});
    const bytes = Buffer.from(long);
    const byBytes = [];
    for (let at = 0; at < bytes.length; at += 7) {
      byBytes.push(...splitter.push(bytes.subarray(at, at + 7)));
    }
    expect(byBytes).toEqual([
      {timestamp: null, text: 'a'.repeat(39), truncated: true},
      {timestamp: null, text: 'next', truncated: false},
    ]);
  });

  it('gives the last line without a newline at the end', () => {
    const splitter = new LogLineSplitter();
    expect(splitter.push(Buffer.from('a\nb'))).toHaveLength(1);
    expect(splitter.end()).toEqual({timestamp: null, text: 'b', truncated: false});
    expect(splitter.end()).toBeNull();
  });

  it("drops the timestamp of a frame that continues a line (an engine's split long line)", () => {
    const line = 'a'.repeat(50);
    // Docker: 16 KiB messages, each with its timestamp; Podman: 8 KiB, and the newline alone.
    const frames = [
      `2026-12-01T22:09:53.454457671Z ${line.slice(0, 30)}`,
      `2026-12-01T22:09:53.454457671Z ${line.slice(30)}`,
      '2026-12-01T22:09:57Z \n',
      '2026-12-01T22:09:57Z short\n',
    ];
    const bytes = Buffer.concat(frames.map((text) => Buffer.from(text)));
    const starts = new Set<number>();
    let offset = 0;
    for (const text of frames) {
      starts.add(offset);
      offset += Buffer.byteLength(text);
    }
    // Pushed in pieces of every size: frame starts fall inside and between the pieces.
    for (const size of [1, 2, 7, 31, bytes.length]) {
      const splitter = new LogLineSplitter({timestamps: true});
      const lines = [];
      for (let at = 0; at < bytes.length; ) {
        const end = Math.min(bytes.length, at + size, ...[...starts].filter((start) => start > at));
        if (starts.has(at)) {
          splitter.frameStart();
        }
        lines.push(...splitter.push(bytes.subarray(at, end)));
        at = end;
      }
      expect(lines).toEqual([
        {timestamp: '2026-12-01T22:09:53.454457671Z', text: line, truncated: false},
        {timestamp: '2026-12-01T22:09:57Z', text: 'short', truncated: false},
      ]);
    }
  });

  it('keeps what follows a frame start in a line when it is not a timestamp', () => {
    const splitter = new LogLineSplitter({timestamps: true});
    splitter.frameStart();
    splitter.push(Buffer.from('2026-12-01T22:09:57Z one '));
    splitter.frameStart();
    expect(splitter.push(Buffer.from('two\n'))).toEqual([
      {timestamp: '2026-12-01T22:09:57Z', text: 'one two', truncated: false},
    ]);
  });
});
