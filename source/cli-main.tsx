import {render} from 'ink';
import meow from 'meow';
import {type CliConfig, knownFlags, resolveCliConfig} from './cli-config.js';
import {escapeInvisibleInJson, formatTable, printable} from './model/columns.js';
import {toJsonRow} from './model/format.js';
import {selectRows} from './model/select.js';
import {collectSnapshot, isAbsentEngine, type Snapshot} from './snapshot.js';
import {App} from './tui/app.js';
import {installInkFrameCache} from './tui/ink-frame-cache.js';
import {createLineDiffStdout} from './tui/line-diff-stdout.js';
import {createLiveServices} from './tui/live-services.js';

const help = `
  Usage
    $ nanodock-top [flags]

  Every listening socket on this host, the process holding it, and the container that
  published it (Docker, Podman, rootless Podman), refreshed live.

  Flags
    --interval T    Refresh every T: 500ms, 2s, 1m (default 2s)
    --port N|A-B    Start filtered to port N, or ports A to B
    --sort COLUMN   Sort by proto, address, port, pid, process, user, container, image
                    or uptime; -COLUMN sorts descending (default port)
    --once          Print the table once and exit (the default when stdout is not a terminal)
    --json          Print the rows as a JSON array and exit
    --no-color      No colours (NO_COLOR is honoured too)
    --help          Show this help
    --version       Show the version

  Keys: arrows/j, PgUp/PgDn, Home/End (g/G) move · / filter · Enter details · k kill ·
  s stop · < > sort · I invert · p pause · ? help · q quit

  Exit codes: 0 ok, 1 runtime failure, 2 bad flags.
`;

const cli = meow(help, {
  importMeta: import.meta,
  allowUnknownFlags: true,
  flags: {
    once: {type: 'boolean', default: false},
    json: {type: 'boolean', default: false},
    port: {type: 'string'},
    color: {type: 'boolean', default: true},
    interval: {type: 'string'},
    sort: {type: 'string'},
  },
});

const camel = (name: string): string =>
  name.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
const unknown = Object.keys(cli.unnormalizedFlags).filter(
  (name) => !knownFlags.has(name) && !knownFlags.has(camel(name)),
);
const resolved = resolveCliConfig(
  {
    once: cli.flags.once,
    json: cli.flags.json,
    port: cli.flags.port,
    color: cli.flags.color,
    interval: cli.flags.interval,
    sort: cli.flags.sort,
  },
  unknown,
  cli.input,
  {
    isTty: Boolean(process.stdout.isTTY),
    noColorEnv: process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '',
  },
);
if (typeof resolved === 'string') {
  process.stderr.write(`nanodock-top: ${resolved}\n`);
  process.exit(2);
}

function engineSummary(snapshot: Snapshot): string {
  const present = snapshot.engines.filter((report) => !isAbsentEngine(report));
  if (present.length === 0) {
    return 'no engine';
  }
  return present
    .map(
      (report) =>
        `${report.engine === 'unknown' ? 'engine' : report.engine} ${report.endpoint} ${report.ok ? `ok (${report.containers})` : 'FAILED'}`,
    )
    .join(', ');
}

async function printOnce(config: CliConfig): Promise<void> {
  const snapshot = await collectSnapshot();
  const rows = selectRows(snapshot.rows, {
    filter: config.filter,
    sort: {column: config.sort, descending: config.descending},
  });
  for (const warning of snapshot.warnings) {
    process.stderr.write(`nanodock-top: ${printable(warning)}\n`);
  }
  if (config.mode === 'json') {
    process.stdout.write(
      `${escapeInvisibleInJson(JSON.stringify(rows.map(toJsonRow), null, 2))}\n`,
    );
    return;
  }
  const width = process.stdout.isTTY ? process.stdout.columns : null;
  const lines = formatTable(rows, width);
  const highlight = config.color && Boolean(process.stdout.isTTY);
  const out: string[] = [
    printable(`${snapshot.hostname}: ${rows.length} rows; ${engineSummary(snapshot)}`),
  ];
  lines.forEach((line, index) => {
    const row = index === 0 ? undefined : rows[index - 1];
    if (!highlight) {
      out.push(line);
    } else if (index === 0) {
      out.push(`\u001B[1m${line}\u001B[22m`);
    } else if (row?.helper) {
      out.push(`\u001B[33m${line}\u001B[39m`);
    } else {
      out.push(line);
    }
  });
  process.stdout.write(`${out.join('\n')}\n`);
}

/**
 * Write only the lines that changed (tui/line-diff-stdout.ts) rather than Ink's whole-frame
 * redraw. One switch, for comparing the two (README, Performance).
 */
const writesChangedLinesOnly = true;

/** The live dashboard on the terminal's alternate screen, which q gives back as it was. */
async function runInteractive(config: CliConfig): Promise<void> {
  // Without it, a key at 300 rows takes 46 ms at the median and over 100 ms at worst to reach the
  // screen on a loaded 2-core VM (README, Performance). It refuses any Ink but 6.8.0.
  await installInkFrameCache();
  const services = createLiveServices();
  const alternateScreen = {enter: '\u001B[?1049h\u001B[H', leave: '\u001B[?1049l'};
  process.stdout.write(alternateScreen.enter);
  const restore = (): void => {
    process.stdout.write(`\u001B[?25h${alternateScreen.leave}`);
  };
  process.once('exit', restore);
  const lineDiff = writesChangedLinesOnly ? createLineDiffStdout(process.stdout) : undefined;
  const instance = render(
    <App
      services={services}
      color={config.color}
      initial={{
        filter: config.filter,
        sort: config.sort,
        descending: config.descending,
        intervalMs: config.intervalMs,
      }}
    />,
    {
      exitOnCtrlC: false,
      patchConsole: false,
      // Under debug, Ink writes each update as one whole frame, which lineDiff turns into the
      // lines that changed.
      ...(lineDiff === undefined ? {} : {stdout: lineDiff.stdout, debug: true}),
    },
  );
  await instance.waitUntilExit();
  instance.cleanup();
  lineDiff?.close();
  restore();
  process.removeListener('exit', restore);
  // Engine event streams and timers are closed by unmounting; exit now rather than wait
  // for sockets to finish closing.
  process.exit(0);
}

try {
  if (resolved.mode === 'interactive') {
    await runInteractive(resolved);
  } else {
    await printOnce(resolved);
    // Exit once the output is out, rather than wait for the event loop to drain: a read that
    // a user's file holds in the kernel (a FUSE mount) must not keep --json from returning.
    await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
    process.exit(0);
  }
} catch (error) {
  process.stderr.write(`nanodock-top: ${(error as Error).message}\n`);
  process.exit(1);
}
