// Regenerates the README screenshot (scripts/screenshot.svg) from a real terminal session.
//
// Usage: node scripts/screenshot.mjs [--filter TEXT] [--command "CMD"] [--out FILE] [--timeout MS]
//
//   --filter TEXT    press /, type TEXT, Enter before the capture
//   --command "CMD"  run CMD (through sh) instead of `node dist/cli.js`, e.g. "ls --color=always"
//   --out FILE       where to write the SVG (default scripts/screenshot.svg)
//   --timeout MS     how long to wait for the table (default 20000)
//
// Build first (npm run build). With the lab up (sudo npm run lab) the table shows docker-proxy
// rows; without it the script still captures whatever runs, with a warning. Needs tmux.

import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {dirname, join, relative, resolve} from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import {fileURLToPath, pathToFileURL} from 'node:url';
import {parseArgs} from 'node:util';
import stringWidth from 'string-width';
import {endSession, runTmux, startSession, terminalEnv} from './tmux.mjs';

const COLUMNS = 120;
const ROWS = 30;
const CELL_WIDTH = 8.4;
const LINE_HEIGHT = 17;
const FONT_SIZE = 14;
const PADDING = 16;
const DEFAULT_FG = '#c9d1d9';
const DEFAULT_BG = '#0d1117';

/** The 16 ANSI colours (GitHub dark), then the xterm 256-colour cube and grey ramp. */
const palette = [
  '#484f58',
  '#ff7b72',
  '#3fb950',
  '#d29922',
  '#58a6ff',
  '#bc8cff',
  '#39c5cf',
  '#b1bac4',
  '#6e7681',
  '#ffa198',
  '#56d364',
  '#e3b341',
  '#79c0ff',
  '#d2a8ff',
  '#56d4dd',
  '#ffffff',
];
const hex = (value) => value.toString(16).padStart(2, '0');
const rgb = (r, g, b) => `#${hex(r)}${hex(g)}${hex(b)}`;
const cubeLevels = [0, 95, 135, 175, 215, 255];
for (let index = 16; index < 232; index++) {
  const n = index - 16;
  palette.push(
    rgb(cubeLevels[Math.floor(n / 36)], cubeLevels[Math.floor(n / 6) % 6], cubeLevels[n % 6]),
  );
}
for (let index = 232; index < 256; index++) {
  const level = 8 + (index - 232) * 10;
  palette.push(rgb(level, level, level));
}

const plainStyle = Object.freeze({
  fg: null,
  bg: null,
  bold: false,
  dim: false,
  italic: false,
  underline: false,
  strike: false,
  inverse: false,
  hidden: false,
});

/**
 * Reads an extended colour (`5;n` or `2;r;g;b`) from `args`; returns [colour or null, count of
 * args used].
 */
function readExtendedColor(args) {
  const [mode, ...rest] = args;
  if (mode === 5 && rest.length >= 1) {
    return [palette[rest[0]] ?? null, 2];
  }
  if (mode === 2 && rest.length >= 3) {
    const [r, g, b] = rest.map((value) => Math.max(0, Math.min(255, value)));
    return [rgb(r, g, b), 4];
  }
  return [null, args.length];
}

/** Applies one SGR parameter string (`1;31`, `38;5;208`, `38:2::1:2:3`) to a style. */
export function applySgr(style, parameters) {
  const next = {...style};
  const params = parameters === '' ? [''] : parameters.split(';');
  for (let index = 0; index < params.length; index++) {
    const param = params[index];
    if (param.includes(':')) {
      // Colon form: every subparameter is in this one parameter (`38:2::r:g:b` has an empty
      // colour-space id).
      const [code, ...sub] = param.split(':');
      let numbers = sub.map((value) => (value === '' ? Number.NaN : Number(value)));
      if (numbers[0] === 2 && numbers.length === 5) {
        numbers = [2, ...numbers.slice(2)];
      }
      if (code === '38' || code === '48') {
        const [color] = readExtendedColor(numbers);
        next[code === '38' ? 'fg' : 'bg'] = color;
      } else if (code === '4') {
        next.underline = numbers[0] !== 0;
      }
      continue;
    }
    const code = param === '' ? 0 : Number(param);
    if (code === 38 || code === 48 || code === 58) {
      const rest = params.slice(index + 1).map(Number);
      const [color, used] = readExtendedColor(rest);
      if (code !== 58) {
        next[code === 38 ? 'fg' : 'bg'] = color;
      }
      index += used;
    } else if (code === 0) {
      Object.assign(next, plainStyle);
    } else if (code === 1) {
      next.bold = true;
    } else if (code === 2) {
      next.dim = true;
    } else if (code === 3) {
      next.italic = true;
    } else if (code === 4 || code === 21) {
      next.underline = true;
    } else if (code === 7) {
      next.inverse = true;
    } else if (code === 8) {
      next.hidden = true;
    } else if (code === 9) {
      next.strike = true;
    } else if (code === 22) {
      next.bold = false;
      next.dim = false;
    } else if (code === 23) {
      next.italic = false;
    } else if (code === 24) {
      next.underline = false;
    } else if (code === 27) {
      next.inverse = false;
    } else if (code === 28) {
      next.hidden = false;
    } else if (code === 29) {
      next.strike = false;
    } else if (code >= 30 && code <= 37) {
      next.fg = palette[code - 30];
    } else if (code === 39) {
      next.fg = null;
    } else if (code >= 40 && code <= 47) {
      next.bg = palette[code - 40];
    } else if (code === 49) {
      next.bg = null;
    } else if (code >= 90 && code <= 97) {
      next.fg = palette[code - 90 + 8];
    } else if (code >= 100 && code <= 107) {
      next.bg = palette[code - 100 + 8];
    }
  }
  return next;
}

const segmenter = new Intl.Segmenter('en', {granularity: 'grapheme'});

/**
 * Parses captured terminal text with SGR escapes into rows of runs
 * `{column, width, text, style}` (width in cells; wide characters count 2). Style carries
 * across lines, as in `capture-pane -e`. Other escape sequences are dropped.
 */
export function parseAnsiScreen(text) {
  let style = plainStyle;
  const rows = [];
  for (const line of text.split('\n')) {
    const runs = [];
    let column = 0;
    const pushText = (chunk) => {
      for (const {segment} of segmenter.segment(chunk)) {
        const width = stringWidth(segment);
        if (width === 0) {
          continue;
        }
        const last = runs.at(-1);
        if (last && last.style === style) {
          last.text += segment;
          last.width += width;
        } else {
          runs.push({column, width, text: segment, style});
        }
        column += width;
      }
    };
    // CSI (ESC [ params final), OSC (ESC ] ... BEL or ST), other two-byte escapes, C0 controls.
    const pattern =
      // biome-ignore lint/suspicious/noControlCharactersInRegex: matching terminal escapes is the point
      /\u001B\[([0-9;:?<=>]*)[ -/]*([@-~])|\u001B\][^\u0007\u001B]*(?:\u0007|\u001B\\)|\u001B[@-_]|[\u0000-\u001F\u007F]/g;
    let at = 0;
    for (const match of line.matchAll(pattern)) {
      pushText(line.slice(at, match.index));
      if (match[2] === 'm') {
        style = applySgr(style, match[1]);
      }
      at = match.index + match[0].length;
    }
    pushText(line.slice(at));
    rows.push(runs);
  }
  return rows;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: XML 1.0 forbids these characters
const xmlForbidden = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

/** Escapes text for XML (and drops characters XML 1.0 forbids). */
export function escapeXml(text) {
  return text
    .replace(xmlForbidden, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

const px = (value) => Number(value.toFixed(2)).toString();

/** Renders parsed rows as an SVG terminal image of `columns` x `rows` cells. */
export function renderSvg(screenRows, {columns = COLUMNS, rows = ROWS} = {}) {
  const width = columns * CELL_WIDTH + PADDING * 2;
  const height = rows * LINE_HEIGHT + PADDING * 2;
  const backgrounds = [];
  const lines = [];
  for (const [rowIndex, runs] of screenRows.slice(0, rows).entries()) {
    const top = PADDING + rowIndex * LINE_HEIGHT;
    const spans = [];
    for (const run of runs) {
      const {style} = run;
      const fg = style.inverse ? (style.bg ?? DEFAULT_BG) : (style.fg ?? DEFAULT_FG);
      const bg = style.inverse ? (style.fg ?? DEFAULT_FG) : style.bg;
      const x = PADDING + run.column * CELL_WIDTH;
      const runWidth = run.width * CELL_WIDTH;
      if (bg !== null) {
        backgrounds.push(
          `<rect x="${px(x)}" y="${top}" width="${px(runWidth)}" height="${LINE_HEIGHT}" fill="${bg}"/>`,
        );
      }
      if (style.hidden || run.text.trim() === '') {
        continue;
      }
      const attributes = [`x="${px(x)}"`, `textLength="${px(runWidth)}"`];
      if (fg !== DEFAULT_FG) {
        attributes.push(`fill="${fg}"`);
      }
      if (style.bold) {
        attributes.push('font-weight="bold"');
      }
      if (style.dim) {
        attributes.push('fill-opacity="0.6"');
      }
      if (style.italic) {
        attributes.push('font-style="italic"');
      }
      const decorations = [style.underline && 'underline', style.strike && 'line-through'].filter(
        Boolean,
      );
      if (decorations.length > 0) {
        attributes.push(`text-decoration="${decorations.join(' ')}"`);
      }
      spans.push(`<tspan ${attributes.join(' ')}>${escapeXml(run.text)}</tspan>`);
    }
    if (spans.length > 0) {
      lines.push(`<text y="${px(top + LINE_HEIGHT * 0.78)}">${spans.join('')}</text>`);
    }
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${px(width)}" height="${px(height)}" viewBox="0 0 ${px(width)} ${px(height)}">`,
    '<title>nanodock-top: every listening port on the host, with the process and the container behind it</title>',
    `<rect width="100%" height="100%" rx="8" fill="${DEFAULT_BG}"/>`,
    ...backgrounds,
    `<g font-family="ui-monospace, SFMono-Regular, Menlo, Consolas, 'DejaVu Sans Mono', 'Liberation Mono', monospace" font-size="${FONT_SIZE}" fill="${DEFAULT_FG}" xml:space="preserve" style="white-space: pre">`,
    ...lines,
    '</g>',
    '</svg>',
    '',
  ].join('\n');
}

/** True when the screen shows the table header and at least one docker-proxy row. */
function isTableReady(screen) {
  const lines = screen.split('\n');
  return (
    lines.some((line) => line.includes('PROTO')) &&
    lines.some((line) => line.includes('docker-proxy'))
  );
}

async function main() {
  const {values} = parseArgs({
    options: {
      filter: {type: 'string'},
      command: {type: 'string'},
      out: {type: 'string'},
      timeout: {type: 'string', default: '20000'},
    },
  });
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const out = resolve(values.out ?? join(root, 'scripts', 'screenshot.svg'));
  const command = values.command ?? 'node dist/cli.js';
  const timeoutMs = Number(values.timeout);

  const directory = await mkdtemp(join(tmpdir(), 'nd-screenshot-'));
  const env = terminalEnv();
  let session = null;

  try {
    // One command argument: tmux runs it through the shell. A trailing `;` would end the
    // tmux command, so it is escaped.
    const shellCommand = command.endsWith(';') ? `${command.slice(0, -1)}\\;` : command;
    session = await startSession({
      workDir: directory,
      label: 'shot',
      command: [shellCommand],
      cwd: root,
      columns: COLUMNS,
      lines: ROWS,
    });
    const {socket} = session;
    const pane = session.label;
    const capture = (flags = []) =>
      runTmux(socket, ['capture-pane', '-p', ...flags, '-t', pane], env);
    const isDead = async () =>
      (await runTmux(socket, ['display-message', '-p', '-t', pane, '#{pane_dead}'], env)).trim() ===
      '1';

    /** Polls until the screen matches, or the program exits, or the deadline passes. */
    const waitFor = async (predicate, ms) => {
      const deadline = Date.now() + ms;
      for (;;) {
        const screen = await capture();
        if (predicate(screen)) {
          return true;
        }
        if ((await isDead()) || Date.now() >= deadline) {
          return false;
        }
        await sleep(100);
      }
    };
    /** Waits until two captures 300 ms apart agree (a refresh may be mid-draw), at most 3 s. */
    const waitStable = async () => {
      let previous = await capture(['-e']);
      const deadline = Date.now() + 3000;
      while (Date.now() < deadline) {
        await sleep(300);
        const current = await capture(['-e']);
        if (current === previous) {
          return;
        }
        previous = current;
      }
    };

    if (!(await waitFor(isTableReady, timeoutMs))) {
      const why = (await isDead()) ? 'the program exited' : `not within ${timeoutMs} ms`;
      console.warn(
        `warning: no PROTO header with a docker-proxy row (${why}); capturing the screen as it is. Is the lab up (sudo npm run lab)?`,
      );
    }
    if (values.filter !== undefined && !(await isDead())) {
      // Each key waits for the screen to answer the previous one: keys sent before the app
      // re-rendered can reach a handler of the previous mode.
      const sendAndWait = async (args) => {
        const before = await capture();
        await runTmux(socket, ['send-keys', '-t', pane, ...args], env);
        await waitFor((screen) => screen !== before, 2000);
      };
      await sendAndWait(['/']);
      const text = values.filter.endsWith(';') ? `${values.filter.slice(0, -1)}\\;` : values.filter;
      await sendAndWait(['-l', '--', text]);
      await sendAndWait(['Enter']);
    }
    await waitStable();

    // -N keeps trailing spaces, so full-width inverse bars keep their width.
    const screen = (await capture(['-e', '-N'])).replace(/\n$/, '');
    const svg = renderSvg(parseAnsiScreen(screen), {columns: COLUMNS, rows: ROWS});
    await writeFile(out, svg);
    console.log(
      `wrote ${relative(process.cwd(), out).startsWith('..') ? out : relative(process.cwd(), out)} (${COLUMNS}x${ROWS})`,
    );

    if (!(await isDead())) {
      await runTmux(socket, ['send-keys', '-t', pane, 'q'], env);
      await waitFor(() => false, 2000);
    }
  } finally {
    if (session !== null) await endSession(session);
    await rm(directory, {recursive: true, force: true});
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((error) => {
    console.error(`screenshot: ${error.message}`);
    process.exitCode = 1;
  });
}
