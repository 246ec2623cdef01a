import {fileURLToPath} from 'node:url';
import {afterEach, describe, expect, it} from 'vitest';
import {listenOnLoopbackForFile} from './helpers/cli.js';
import {startTmux, type TmuxSession} from './helpers/tmux.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const esc = String.fromCharCode(27);

const listener = listenOnLoopbackForFile();

let session: TmuxSession | undefined;
afterEach(async () => {
  await session?.kill();
  session = undefined;
});

/** The dashboard filtered to this test's socket, once its row is on screen: the SGR codes. */
async function dashboard(args: string[], env: Record<string, string> = {}) {
  session = await startTmux(['node', 'dist/cli.js', '--port', String(listener.port), ...args], {
    columns: 120,
    rows: 20,
    cwd: root,
    env,
  });
  await session.waitFor((text) => text.includes(String(process.pid)), {message: 'own row'});
  const escaped = await session.screenWithEscapes();
  const sgr = (line: string) =>
    [...line.matchAll(new RegExp(`${esc}\\[([0-9;]*)m`, 'g'))].flatMap((match) =>
      (match[1] ?? '').split(';'),
    );
  const lines = escaped.split('\n');
  const rowLine = lines.find((line) => line.includes(String(process.pid))) ?? '';
  return {
    all: sgr(escaped),
    row: sgr(rowLine),
    title: sgr(lines[0] ?? ''),
  };
}

/** Foreground and background colours: 30-38 and 90-97, 40-48 and 100-107 (38;5 included). */
const isColour = (code: string) => /^(3[0-8]|9[0-7]|4[0-8]|10[0-7])$/.test(code);

describe('--no-color in a real terminal (tmux)', () => {
  it('with colours: the selection and the title are styled (the test sees codes)', async () => {
    const {all, row} = await dashboard([]);
    expect(all.some(isColour)).toBe(true);
    expect(row.length).toBeGreaterThan(0);
  });

  it.each([
    ['--no-color', ['--no-color'], {}],
    ['NO_COLOR=1', [], {NO_COLOR: '1'}],
  ])(
    '%s: no colour, the selected row in reverse video, the title bold or inverse',
    async (_, args, env) => {
      const {all, row, title} = await dashboard(args, env);
      expect(all.filter(isColour)).toEqual([]);
      // The only row, selected: reverse video (SGR 7).
      expect(row).toContain('7');
      expect(title.some((code) => code === '1' || code === '7')).toBe(true);
    },
  );
});
