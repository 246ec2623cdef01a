import {readFileSync} from 'node:fs';
import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {
  inkOriginals,
  inkVersionPatched,
  installInkOutputCache,
} from '../../source/tui/ink-output-cache.js';

const inkEntry = import.meta.resolve('ink');
const inkVersion = (
  JSON.parse(readFileSync(new URL('../package.json', inkEntry), 'utf8')) as {version: string}
).version;

interface Frame {
  width: number;
  height: number;
  writes: {x: number; y: number; text: string; upper: boolean}[];
  clip: boolean;
}

type OutputClass = new (options: {
  width: number;
  height: number;
}) => {
  write(x: number, y: number, text: string, options: {transformers: unknown[]}): void;
  clip(clip: {x1?: number; x2?: number; y1?: number; y2?: number}): void;
  unclip(): void;
  get(): {output: string; height: number};
};

const Output = ((await import(new URL('output.js', inkEntry).href)) as {default: OutputClass})
  .default;

/** Pieces of dashboard-like text: plain, styled as the views style it, wide, empty lines. */
const piece = fc.oneof(
  fc.constantFrom('a', 'tcp ', '18080', '  ', '-', 'nd-web', '漢字', '?', ''),
  fc.constantFrom(
    '\u001B[1mPORT\u001B[22m',
    '\u001B[7m* udp\u001B[27m',
    '\u001B[33m\u001B[7mproxy\u001B[27m\u001B[39m',
    '\u001B[2mdim\u001B[22m',
    '\u001B[36m\u001B[1mhead\u001B[22m\u001B[39m',
    '\u001B[31mred',
  ),
  fc.constant('\n'),
);

const frame: fc.Arbitrary<Frame> = fc.record({
  width: fc.integer({min: 1, max: 24}),
  height: fc.integer({min: 1, max: 6}),
  writes: fc.array(
    fc.record({
      x: fc.integer({min: 0, max: 26}),
      y: fc.integer({min: 0, max: 7}),
      text: fc.array(piece, {minLength: 1, maxLength: 8}).map((parts) => parts.join('')),
      upper: fc.boolean(),
    }),
    {maxLength: 6},
  ),
  clip: fc.boolean(),
});

function draw(frame: Frame, get: (output: InstanceType<OutputClass>) => string): string {
  const output = new Output({width: frame.width, height: frame.height});
  if (frame.clip) {
    output.clip({x1: 0, x2: Math.max(1, frame.width - 2), y1: 0, y2: frame.height});
  }
  for (const write of frame.writes) {
    output.write(write.x, write.y, write.text, {
      transformers: write.upper ? [(line: string) => line.toUpperCase()] : [],
    });
  }
  if (frame.clip) {
    output.unclip();
  }
  return get(output);
}

describe('Ink frame caches (tui/ink-output-cache.ts)', () => {
  it('are installed on the Ink version they were written for, and only on it', async () => {
    expect(await installInkOutputCache()).toBe(inkVersion === inkVersionPatched);
  });

  it.runIf(inkVersion === inkVersionPatched)(
    'draw every frame of a sequence as Ink does (seeded, 3,000 sequences)',
    async () => {
      expect(await installInkOutputCache()).toBe(true);
      const original = inkOriginals.get;
      expect(original).toBeTypeOf('function');
      fc.assert(
        fc.property(fc.array(frame, {minLength: 1, maxLength: 4}), (frames) => {
          // Frames drawn one after another, as the dashboard draws them: rows seen before
          // come from the cache; repeating a frame makes every row a hit.
          for (const each of [...frames, frames[0] as Frame]) {
            const patched = draw(each, (output) => output.get().output);
            const ink = draw(each, (output) => original?.call(output as never).output ?? '');
            expect(patched).toBe(ink);
          }
        }),
        {seed: 1101, numRuns: 3000},
      );
    },
  );

  it.runIf(inkVersion === inkVersionPatched)(
    'keep a row text across frames only while its cells are the same',
    async () => {
      expect(await installInkOutputCache()).toBe(true);
      const base: Frame = {
        width: 12,
        height: 2,
        clip: false,
        writes: [
          {x: 0, y: 0, text: '\u001B[7mselected\u001B[27m', upper: false},
          {x: 0, y: 1, text: 'plain', upper: false},
        ],
      };
      const first = draw(base, (output) => output.get().output);
      expect(first).toBe('\u001B[7mselected\u001B[27m\nplain');
      const moved: Frame = {
        ...base,
        writes: [
          {x: 0, y: 0, text: 'plain', upper: false},
          {x: 1, y: 1, text: '\u001B[7mselected\u001B[27m', upper: false},
        ],
      };
      expect(draw(moved, (output) => output.get().output)).toBe(
        'plain\n \u001B[7mselected\u001B[27m',
      );
      expect(draw(base, (output) => output.get().output)).toBe(first);
    },
  );
});
