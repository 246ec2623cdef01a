// The one-shot CLI's wall time (npm run bench runs it; alone: npm run build && node
// scripts/bench-cli.mjs [runs]). Each command runs as a fresh process, as a user or a script
// runs it, round after round in rotating order so machine noise falls on all alike; each row
// gives the median and the spread (fastest to slowest run) and its ratio to a reference
// measured in the same rounds.

import {spawnSync} from 'node:child_process';
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';

const runs = Number(process.argv[2] ?? 21);
const warmups = 2;
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const library = new URL('../dist/index.js', import.meta.url).href;
const node = process.execPath;

// The library reference does what --json does, minus the CLI: import, collect, print, exit.
const libraryCode = `const {collectSnapshot} = await import(${JSON.stringify(library)});
const snapshot = await collectSnapshot();
process.stdout.write(JSON.stringify(snapshot.rows.length) + '\\n');
process.exit(0);`;

const hasSs = spawnSync('ss', ['-V'], {stdio: 'ignore'}).status === 0;

/** Every command measured: name, argv, and the exit statuses that count as a good run. */
const commands = [
  {id: 'node', name: 'node -e 0', argv: [node, '-e', '0']},
  {id: 'version', name: 'nanodock-top --version', argv: [node, cli, '--version']},
  {id: 'help', name: 'nanodock-top --help', argv: [node, cli, '--help']},
  {
    id: 'library',
    name: 'node: import dist/index.js, collectSnapshot()',
    argv: [node, '--input-type=module', '-e', libraryCode],
  },
  {id: 'json', name: 'nanodock-top --json', argv: [node, cli, '--json']},
  {id: 'once', name: 'nanodock-top --once', argv: [node, cli, '--once']},
  ...(hasSs ? [{id: 'ss', name: 'ss -H -ltunp', argv: ['ss', '-H', '-ltunp']}] : []),
];

// CPU time (user + system) of each run too, through GNU time when it is there: on a loaded
// machine wall times spread wide, while CPU time shows what each command itself costs.
const gnuTime = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
const scratch = mkdtempSync(join(tmpdir(), 'bench-cli-'));
const cpuFile = join(scratch, 'cpu');
const times = new Map(commands.map((command) => [command.id, []]));
const cpuTimes = new Map(commands.map((command) => [command.id, []]));
for (let round = 0; round < warmups + runs; round++) {
  for (let step = 0; step < commands.length; step++) {
    const command = commands[(round + step) % commands.length];
    const argv = gnuTime ? [gnuTime, '-f', '%U %S', '-o', cpuFile, ...command.argv] : command.argv;
    const started = performance.now();
    const run = spawnSync(argv[0], argv.slice(1), {
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 64 * 1024 * 1024,
      // Without a terminal the CLI prints, it never starts the dashboard.
      env: {...process.env, NO_COLOR: '1'},
    });
    const ms = performance.now() - started;
    if (run.status !== 0) {
      throw new Error(`${command.name} exited ${run.status ?? run.signal}: ${run.stderr}`);
    }
    if (round >= warmups) {
      times.get(command.id).push(ms);
      if (gnuTime) {
        const [user, system] = readFileSync(cpuFile, 'utf8').trim().split(/\s+/).map(Number);
        cpuTimes.get(command.id).push((user + system) * 1000);
      }
    }
  }
}
rmSync(scratch, {recursive: true, force: true});

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const stats = (id) => {
  const values = [...times.get(id)].sort((a, b) => a - b);
  return {
    median: values[Math.floor(values.length / 2)],
    min: values[0],
    max: values.at(-1),
  };
};
const reference = {version: 'node', help: 'node', json: 'library', once: 'library', ss: 'library'};
const goals = {version: 1.5, help: 1.5, json: 1.3};
const ms = (value) => `${value.toFixed(0)} ms`;
const results = [];
console.log(
  `| one-shot command (${runs} runs each) | median | spread | vs | ratio | goal | CPU (ratio) |`,
);
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const command of commands) {
  const own = stats(command.id);
  const refId = reference[command.id];
  const ratio = refId === undefined ? null : own.median / stats(refId).median;
  const goal = goals[command.id];
  const verdict =
    goal === undefined ? '(context)' : `<= ${goal}x ${ratio <= goal ? 'MET' : 'MISSED'}`;
  const cpu = gnuTime ? median(cpuTimes.get(command.id)) : null;
  const cpuRatio = cpu === null || refId === undefined ? null : cpu / median(cpuTimes.get(refId));
  const cpuText =
    cpu === null ? '-' : `${ms(cpu)}${cpuRatio === null ? '' : ` (${cpuRatio.toFixed(2)}x)`}`;
  results.push({id: command.id, ...own, ratio, goal: goal ?? null, cpuMs: cpu, cpuRatio});
  console.log(
    `| ${command.name} | ${ms(own.median)} | ${ms(own.min)}-${ms(own.max)} | ${refId === undefined ? '(reference)' : commands.find((c) => c.id === refId).name} | ${ratio === null ? '-' : `${ratio.toFixed(2)}x`} | ${refId === undefined ? '-' : verdict} | ${cpuText} |`,
  );
}
if (!hasSs) console.log('(ss not found: no ss row)');
if (process.env.BENCH_CLI_JSON) console.log(JSON.stringify(results));
