#!/usr/bin/env node
import meow from 'meow';
import {type CliConfig, knownFlags, resolveCliConfig} from './cli-config.js';
import {formatTable} from './model/columns.js';
import {matchesFilter} from './model/filter.js';
import {toJsonRow} from './model/format.js';
import {collectSnapshot, isAbsentEngine, type Snapshot} from './snapshot.js';

const help = `
  Usage
    $ nanodock-top [flags]

  Every listening socket on this host, the process holding it, and the container that
  published it (Docker, Podman, rootless Podman).

  Flags
    --once          Print the table once and exit (the default when stdout is not a terminal)
    --json          Print the rows as a JSON array and exit
    --port N|A-B    Only ports N, or A to B
    --no-color      No colours (NO_COLOR is honoured too)
    --help          Show this help
    --version       Show the version

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
  },
});

const unknown = Object.keys(cli.unnormalizedFlags).filter(
  (name) =>
    !knownFlags.has(name) &&
    !knownFlags.has(name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())),
);
const resolved = resolveCliConfig(
  {once: cli.flags.once, json: cli.flags.json, port: cli.flags.port, color: cli.flags.color},
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
  const rows = snapshot.rows.filter((row) => matchesFilter(row, config.filter));
  for (const warning of snapshot.warnings) {
    process.stderr.write(`nanodock-top: ${warning}\n`);
  }
  if (config.mode === 'json') {
    process.stdout.write(`${JSON.stringify(rows.map(toJsonRow), null, 2)}\n`);
    return;
  }
  const width = process.stdout.isTTY ? process.stdout.columns : null;
  const lines = formatTable(rows, width);
  const highlight = config.color && Boolean(process.stdout.isTTY);
  const out: string[] = [`${snapshot.hostname}: ${rows.length} rows; ${engineSummary(snapshot)}`];
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

try {
  await printOnce(resolved);
} catch (error) {
  process.stderr.write(`nanodock-top: ${(error as Error).message}\n`);
  process.exit(1);
}
