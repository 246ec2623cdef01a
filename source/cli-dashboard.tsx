import {render} from 'ink';
import type {CliConfig} from './cli-config.js';
import {watchStalls} from './cli-stall-report.js';
import {App} from './tui/app.js';
import {installInkFrameCache} from './tui/ink-frame-cache.js';
import {createLiveServices} from './tui/live-services.js';

/**
 * The live dashboard on the terminal's alternate screen, which q gives back as it was. Only
 * this module loads Ink and React: cli-main imports it only for the interactive view.
 */
export async function runDashboard(config: CliConfig): Promise<void> {
  const frameCache = await installInkFrameCache();
  const services = watchStalls(
    process.env.NANODOCK_TOP_STALL_FILE,
    createLiveServices(),
    frameCache,
  );
  const alternateScreen = {enter: '\u001B[?1049h\u001B[H', leave: '\u001B[?1049l'};
  process.stdout.write(alternateScreen.enter);
  const restore = (): void => {
    process.stdout.write(`\u001B[?25h${alternateScreen.leave}`);
  };
  process.once('exit', restore);
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
    {exitOnCtrlC: false, patchConsole: false, onRender: services.onRender},
  );
  await instance.waitUntilExit();
  instance.cleanup();
  restore();
  process.removeListener('exit', restore);
  services.stop();
  // Engine event streams and timers are closed by unmounting; exit now rather than wait
  // for sockets to finish closing.
  process.exit(0);
}
