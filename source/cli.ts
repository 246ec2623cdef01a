#!/usr/bin/env node
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

// Then only the modules the command needs (cli-main.ts).
const {runCli} = await import('./cli-main.js');
await runCli(parsed);
