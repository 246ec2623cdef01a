import {render} from 'ink';
import {type CliConfig, mayNameRemoteEngines} from './cli-config.js';
import {App} from './tui/app.js';
import {installInkOutputCache} from './tui/ink-output-cache.js';
import {createLineDiffStdout} from './tui/line-diff-stdout.js';
import {createLiveServices} from './tui/live-services.js';
import type {DashboardServices} from './tui/services.js';

/**
 * Write only the lines that changed (tui/line-diff-stdout.ts) rather than Ink's whole-frame
 * redraw. One switch, for comparing the two (README, Performance).
 */
const writesChangedLinesOnly = true;

/**
 * The live dashboard on the terminal's alternate screen, which q gives back as it was. Only
 * this module loads Ink and React: cli-main imports it only for the interactive view.
 */
export async function runDashboard(config: CliConfig): Promise<void> {
  // Ink 6.8.0 only: frames keep the styled characters of lines that did not change.
  await installInkOutputCache();
  let services: DashboardServices | undefined;
  if (config.hosts.length > 0 || mayNameRemoteEngines()) {
    const {hostsToWatch, readVersion} = await import('./cli-fleet.js');
    const hosts = hostsToWatch(config, (line) => process.stderr.write(`nanodock-top: ${line}\n`));
    if (typeof hosts === 'string') {
      process.stderr.write(`nanodock-top: ${hosts}\n`);
      process.exit(2);
    }
    if (hosts !== null) {
      const {createFleetServices} = await import('./tui/fleet-services.js');
      services = createFleetServices(hosts, {version: readVersion()});
    }
  }
  services ??= createLiveServices();
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
        group: config.group,
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
