import {type CliConfig, mayNameRemoteEngines} from './cli-config.js';
import {writeJsonRows} from './cli-json.js';
import {HostScanner} from './host/host-scanner.js';
import {selectRows} from './model/select.js';
import type {SnapshotRow} from './model/snapshot-row.js';
import {collectSnapshot, isAbsentEngine, type Snapshot} from './snapshot.js';

/** Width of the marker column in front of each row: `* ` marks a port helper, as on screen. */
const markerWidth = 2;

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

/**
 * `--once --group`: the grouped view's lines (model/tree.ts, every group expanded), fitted to
 * `width` cells (null: as wide as needed); the titles and group headers bold and helper rows
 * yellow when `highlight`.
 */
async function formatGroupedOutput(
  rows: readonly SnapshotRow[],
  width: number | null,
  highlight: boolean,
): Promise<string> {
  const {buildTree, formatTreeTable} = await import('./model/tree.js');
  const tree = buildTree(rows, new Set());
  const texts = formatTreeTable(tree, width);
  const out = texts.map((text, index) => {
    const line = index === 0 ? undefined : tree[index - 1];
    if (!highlight) {
      return text;
    }
    if (line === undefined || line.kind === 'group') {
      return `\u001B[1m${text}\u001B[22m`;
    }
    return line.row.helper ? `\u001B[33m${text}\u001B[39m` : text;
  });
  return `${out.join('\n')}\n`;
}

/**
 * `--once` and `--json`: one snapshot printed on stdout. Warnings and, for `--once`, the
 * summary line (host, row count, engines) go to stderr, so stdout is only the table or the
 * JSON. With `--group`, `--once` prints the rows grouped (formatGroupedOutput) and `--json` is
 * unchanged. Resolves to the exit code: 1 when `--port` matched no row (as grep and lsof), else 0.
 */
export async function printOnce(config: CliConfig): Promise<number> {
  // One scan, nothing else to run meanwhile: the socket tables are read without yielding.
  let snapshot: Snapshot | undefined;
  if (config.hosts.length > 0 || mayNameRemoteEngines()) {
    const {collectFleetSnapshot, hostsToWatch} = await import('./cli-fleet.js');
    const hosts = hostsToWatch(config, (line) => process.stderr.write(`nanodock-top: ${line}\n`));
    if (typeof hosts === 'string') {
      process.stderr.write(`nanodock-top: ${hosts}\n`);
      return 2;
    }
    if (hosts !== null) {
      snapshot = await collectFleetSnapshot(hosts);
    }
  }
  snapshot ??= await collectSnapshot({scanner: new HostScanner({blockingReads: true})});
  const rows = selectRows(snapshot.rows, {
    filter: config.filter,
    sort: {column: config.sort, descending: config.descending},
  });
  // The table's module (and string-width with it, ~70 ms to load) only when text is printed.
  const printable =
    config.mode === 'once' || snapshot.warnings.length > 0
      ? (await import('./model/columns.js')).printable
      : (text: string) => text;
  for (const warning of snapshot.warnings) {
    process.stderr.write(`nanodock-top: ${printable(warning)}\n`);
  }
  const exitCode = config.filter.kind !== 'none' && rows.length === 0 ? 1 : 0;
  if (config.mode === 'json') {
    // One row per line (as `docker ps --format json` and `jq -c` write them): a JSON array
    // that line tools can cut, at half the size and time of an indented one.
    // Written in chunks by writeJsonRows (the text of toJsonRow, made for 20,000 rows).
    writeJsonRows(rows, (chunk) => process.stdout.write(chunk));
    return exitCode;
  }
  process.stderr.write(
    `${printable(`${snapshot.hostname}: ${rows.length} ${rows.length === 1 ? 'row' : 'rows'}; ${engineSummary(snapshot)}`)}\n`,
  );
  const highlight = config.color && Boolean(process.stdout.isTTY);
  if (config.group) {
    const width = process.stdout.isTTY ? Math.max(10, process.stdout.columns) : null;
    process.stdout.write(await formatGroupedOutput(rows, width, highlight));
    return exitCode;
  }
  const width = process.stdout.isTTY ? Math.max(10, process.stdout.columns - markerWidth) : null;
  const {formatTable} = await import('./model/columns.js');
  const lines = formatTable(rows, width);
  const out = lines.map((line, index) => {
    const row = index === 0 ? undefined : rows[index - 1];
    const marked = `${row?.helper ? '*' : ' '} ${line}`;
    if (!highlight) {
      return marked;
    }
    if (index === 0) {
      return `\u001B[1m${marked}\u001B[22m`;
    }
    return row?.helper ? `\u001B[33m${marked}\u001B[39m` : marked;
  });
  process.stdout.write(`${out.join('\n')}\n`);
  return exitCode;
}
