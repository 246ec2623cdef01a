#!/usr/bin/env node
import {isatty} from 'node:tty';
import {setFlagsFromString} from 'node:v8';
import {parseCliArgs} from './cli-args.js';

// React and Ink choose their development or production builds from NODE_ENV when they are
// first imported; the development build re-checks everything on every render and costs the
// dashboard several times the CPU and memory. So the entry sets it, then loads the program.
process.env.NODE_ENV ??= 'production';

// ps, top and htop show the program by its name, not as `node /path/to/cli.js`.
process.title = 'nanodock-top';

const parsed = parseCliArgs(process.argv.slice(2));

// The arguments are read. Ink's chalk reads process.argv again (supports-color) and takes
// `--no-color` as "no escape codes at all", inverse and bold included, which hid the
// dashboard's selection; the dashboard gets `color: false` instead, which drops only colours.
process.argv.splice(2);

// V8's memory reducer shrinks the heap once a program goes idle after its start: for the
// dashboard 10 to 60 s in, with compacting collections that stop the event loop for 15 to
// 30 ms on a small VM, the only stalls over 16 ms its idle refreshes still had (README,
// Performance). The program keeps its startup heap instead: about 30 MB more RSS, inside the
// RSS budget. The reducer reads this delay each time it schedules itself, and it schedules
// itself while modules load, so this comes before Ink and React load. Only for the dashboard:
// a changed V8 flag makes V8 refuse Node's code cache, so every built-in module loaded after
// it is compiled afresh, about 80 ms more for --json and --once.
if (parsed.kind === 'run' && !parsed.flags.json && !parsed.flags.once && isatty(1)) {
  setFlagsFromString('--gc-memory-reducer-start-delay-ms=2000000000');
}

// Then only the modules the command needs (cli-main.ts).
const {runCli} = await import('./cli-main.js');
await runCli(parsed);
