import {readFileSync} from 'node:fs';
import {formatReason, outputMode, type ParsedArgs} from './cli-args.js';
import {helpText} from './cli-help.js';

// Only what the command line asks for is loaded: --help and --version need these three small
// modules, --once and --json the library (cli-print), and only the dashboard loads Ink and
// React (cli-dashboard). Loading them all took --version from ~0.1 s to 0.6-1.5 s.

/** Runs the command; resolves to its exit code, or never when the dashboard exits itself. */
async function main(parsed: ParsedArgs): Promise<number> {
  if (parsed.kind === 'error') {
    process.stderr.write(formatReason(parsed.reason));
    return 2;
  }
  if (parsed.kind === 'help') {
    process.stdout.write(helpText);
    return 0;
  }
  if (parsed.kind === 'version') {
    const manifest = JSON.parse(
      readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
    ) as {version: string};
    process.stdout.write(`${manifest.version}\n`);
    return 0;
  }
  // Every mode scans the host: the fd worker boots on its thread while the modules load,
  // started before anything else loads. A one-shot command (`--json`, `--once`, or stdout not
  // a terminal: cli-config's rule) has it read every process's fds meanwhile too, for its one
  // scan (outputMode); the dashboard scans after Ink has loaded, when such reads would be old.
  const oneShot = outputMode(parsed.flags, Boolean(process.stdout.isTTY)) !== 'interactive';
  const fdScan = import('./host/fd-scan.js').then(({sharedFdScanner}) => {
    if (oneShot) {
      sharedFdScanner.prefetch();
    } else {
      sharedFdScanner.warm();
    }
  });
  fdScan.catch(() => {}); // awaited below; an arguments error returns before that
  const {resolveCliConfig} = await import('./cli-config.js');
  const config = resolveCliConfig(parsed.flags, {
    isTty: Boolean(process.stdout.isTTY),
    noColorEnv: process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '',
  });
  if (typeof config === 'string') {
    process.stderr.write(formatReason(config));
    return 2;
  }
  await fdScan;
  if (config.mode === 'interactive') {
    const {runDashboard} = await import('./cli-dashboard.js');
    await runDashboard(config);
    return 0;
  }
  const {printOnce} = await import('./cli-print.js');
  return await printOnce(config);
}

/** Runs the command line cli.ts read, and exits: the only place that does. */
export async function runCli(parsed: ParsedArgs): Promise<void> {
  // A reader that stops early (`nanodock-top --json | head`) closes the pipe: the rest of the
  // output has nowhere to go, and the program ends quietly, as cat and ps do.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') {
      process.exit(0);
    }
    process.stderr.write(formatReason(`cannot write the output: ${error.message}`));
    process.exit(1);
  });
  try {
    const code = await main(parsed);
    // Exit once the output is out, rather than wait for the event loop to drain: a read that
    // a user's file holds in the kernel (a FUSE mount) must not keep --json from returning.
    await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
    process.exit(code);
  } catch (error) {
    process.stderr.write(formatReason((error as Error).message));
    process.exit(1);
  }
}
