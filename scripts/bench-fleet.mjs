// npm run bench, part 9 (issue 13): several hosts. Needs the lab's sshd (scripts/lab-ssh.sh):
// the "remote" is this machine over ssh, on loopback. Prints a markdown table on stdout.
//
// - First frame with two hosts: nanodock-top --host <local docker> --host <ssh remote with
//   nanodock-top> in a real terminal (tmux), until both hosts' rows of the lab's port 18080 are
//   on screen; next to the same dashboard with the local engine alone, and to `ssh HOST true`.
// - A refresh over ssh, once connected: RemoteSnapshot.refresh with the remote's host view
//   (its nanodock-top --json over ssh) and without it (containers' ports only); next to a
//   LiveSnapshot refresh of this machine.
import {execFileSync, spawnSync} from 'node:child_process';
import {chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {closeSshConnections, LiveSnapshot, RemoteSnapshot} from '../dist/index.js';
import {endSession, startSession, waitForScreen} from './tmux.mjs';

const root = new URL('..', import.meta.url).pathname;
const topBin = '/run/nanodock-lab/ssh-top-bin';
const local = 'unix:///var/run/docker.sock';
const withTop = 'ssh://root@nd-lab-ssh-top';
const withoutTop = 'ssh://root@nd-lab-ssh';
const version = JSON.parse(
  execFileSync('node', ['-p', 'JSON.stringify(require("./package.json").version)'], {
    cwd: root,
    encoding: 'utf8',
  }),
);

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const ms = (value) => `${Math.round(value)} ms`;

if (
  !existsSync(topBin) ||
  spawnSync('ssh', ['-o', 'BatchMode=yes', 'nd-lab-ssh-top', 'true'], {timeout: 20_000}).status !==
    0
) {
  console.log(
    'fleet measures skipped: the lab sshd (nd-lab-ssh-top) is not up; run sudo npm run lab',
  );
  process.exit(0);
}
const shim = join(topBin, 'nanodock-top');
writeFileSync(shim, `#!/bin/sh\nexec ${process.execPath} ${root}dist/cli.js "$@"\n`);
chmodSync(shim, 0o755);

const rows = [];
try {
  // ssh alone: a new connection and a remote shell, as each first look pays.
  const sshTimes = [];
  for (let round = 0; round < 3; round++) {
    const started = performance.now();
    spawnSync('ssh', ['-o', 'BatchMode=yes', 'nd-lab-ssh-top', 'true'], {timeout: 20_000});
    sshTimes.push(performance.now() - started);
  }

  // First frame: both hosts' rows of 18080 on screen, and the local engine alone.
  const firstFrame = async (hosts, predicate) => {
    const workDir = mkdtempSync(join(tmpdir(), 'nd-bench-fleet-'));
    try {
      const session = await startSession({
        workDir,
        label: 'fleet',
        command: [
          'node',
          'dist/cli.js',
          '--port',
          '18080',
          ...hosts.flatMap((host) => ['--host', host]),
        ],
        cwd: root,
        columns: 160,
        lines: 20,
      });
      try {
        await waitForScreen(session, predicate, {timeoutMs: 60_000, everyMs: 20});
        return performance.now() - session.startedAt;
      } finally {
        await endSession(session);
      }
    } finally {
      rmSync(workDir, {recursive: true, force: true});
    }
  };
  const hostRows = (screen) =>
    screen.split('\n').filter((line) => /\s18080\s/.test(line) && line.includes('nd-web'));
  const remoteRow = (screen) => hostRows(screen).find((line) => line.includes('nd-lab-ssh-top'));
  const one = [];
  const containersSeen = [];
  const viewSeen = [];
  for (let round = 0; round < 3; round++) {
    one.push(await firstFrame([local], (screen) => hostRows(screen).length === 1));
    let containersAt = null;
    const started = performance.now();
    viewSeen.push(
      await firstFrame([local, withTop], (screen) => {
        const remote = remoteRow(screen);
        if (remote !== undefined && hostRows(screen).length === 2 && containersAt === null) {
          containersAt = performance.now() - started;
        }
        return remote !== undefined && /docker-proxy/.test(remote);
      }),
    );
    // firstFrame counts from the session's start, a few ms before `started` here.
    containersSeen.push(containersAt ?? viewSeen.at(-1));
  }
  rows.push([
    "first frame, two hosts: both hosts' rows (the remote's containers)",
    ms(median(containersSeen)),
    `one host (this machine): ${ms(median(one))}; \`ssh HOST true\`: ${ms(median(sshTimes))}`,
  ]);
  rows.push([
    "first frame, two hosts: the remote's host view too (its nanodock-top --json over ssh)",
    ms(median(viewSeen)),
    `one host (this machine): ${ms(median(one))}; \`ssh HOST true\`: ${ms(median(sshTimes))}`,
  ]);

  // Refresh cost once connected.
  const refreshTimes = async (source, fresh = true, rounds = 7) => {
    const times = [];
    for (let round = 0; round < rounds + 1; round++) {
      const started = performance.now();
      await source.refresh(() => {}, undefined, {fresh});
      if (round > 0) times.push(performance.now() - started);
    }
    return times;
  };
  const viewed = new RemoteSnapshot({name: 'nd-lab-ssh-top', addresses: [withTop], version});
  const remoteView = await refreshTimes(viewed);
  // A timer tick between two runs of the remote's nanodock-top: its engines only.
  const remoteTick = await refreshTimes(viewed, false);
  const remotePorts = await refreshTimes(
    new RemoteSnapshot({name: 'nd-lab-ssh', addresses: [withoutTop], version}),
  );
  const localRefresh = await refreshTimes(new LiveSnapshot({addresses: [local]}));
  rows.push([
    'refresh over ssh, remote host view (nanodock-top --json there)',
    `${ms(median(remoteView))} (max ${ms(Math.max(...remoteView))})`,
    `this machine's refresh: ${ms(median(localRefresh))}`,
  ]);
  rows.push([
    'timer tick over ssh between host views (engines asked, remote rows kept up to 10 s)',
    `${ms(median(remoteTick))} (max ${ms(Math.max(...remoteTick))})`,
    `this machine's refresh: ${ms(median(localRefresh))}`,
  ]);
  rows.push([
    'refresh over ssh, containers only (no nanodock-top there)',
    `${ms(median(remotePorts))} (max ${ms(Math.max(...remotePorts))})`,
    `this machine's refresh: ${ms(median(localRefresh))}`,
  ]);
} finally {
  rmSync(shim, {force: true});
  closeSshConnections();
}

console.log('| several hosts (issue 13) | nanodock-top | reference (same run) |');
console.log('| --- | --- | --- |');
for (const [name, value, reference] of rows) {
  console.log(`| ${name} | ${value} | ${reference} |`);
}
