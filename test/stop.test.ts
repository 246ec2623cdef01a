import {execFileSync} from 'node:child_process';
import {cpSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {afterAll, describe, expect, it} from 'vitest';
import {stopContainerOf} from '../source/stop.js';
import {
  isRootlessRunning,
  isRunning,
  lab,
  publishRootlessScratch,
  publishScratchContainer,
  removeContainer,
  removeRootlessContainer,
  shouldSkipLab,
  shouldSkipRootlessLab,
  shouldSkipUnlessRoot,
} from './helpers/lab.js';

const fullId = 'ab'.repeat(32);

describe('stopContainerOf refuses what it cannot route, before any engine is asked', () => {
  it('an id that cannot go into a request path', async () => {
    const report = await stopContainerOf(
      {id: '../x', name: 'x', endpoint: 'unix:///var/run/docker.sock', engine: 'docker'},
      true,
    );
    expect(report.outcome).toBe('not-found');
    expect(report.error?.message).toContain('refused container id');
  });

  it('an endpoint no profile knows', async () => {
    const report = await stopContainerOf(
      {id: fullId, name: 'x', endpoint: 'fd://3', engine: 'docker'},
      true,
    );
    expect(report).toMatchObject({outcome: 'failed', endpoint: 'fd://3'});
    expect(report.error?.message).toBe('no engine profile knows fd://3');
  });

  it('a tcp engine that is no longer configured (its TLS material went with it)', async () => {
    const report = await stopContainerOf(
      {id: fullId, name: 'x', endpoint: 'tcp://127.0.0.1:2376', engine: 'docker'},
      true,
      {env: {}, home: '/nonexistent'},
    );
    expect(report.outcome).toBe('failed');
    expect(report.error?.message).toContain('no longer among the configured engines');
  });

  it('a rootless container without a full id (the owner podman acts by full id only)', async () => {
    const report = await stopContainerOf(
      {id: 'abc', name: 'web', endpoint: 'rootless:ndlab', engine: 'podman'},
      true,
    );
    expect(report.outcome).toBe('failed');
    expect(report.error?.message).toContain('web has no full container id');
  });

  it('a rootless container of a user who does not exist', async () => {
    const report = await stopContainerOf(
      {id: fullId, name: 'web', endpoint: 'rootless:no-such-user-here', engine: 'podman'},
      false,
    );
    expect(report.outcome).toBe('failed');
    expect(report.error?.message).toContain('who is not in /etc/passwd');
  });
});

const isRoot = !shouldSkipUnlessRoot('stop routing against the lab');
const skipDocker = (await shouldSkipLab('Docker', lab.docker.address)) || !isRoot;
const skipRootless = (await shouldSkipRootlessLab()) || !isRoot;
const dockerScratch: string[] = [];
const rootlessScratch: string[] = [];
afterAll(async () => {
  for (const id of dockerScratch) {
    await removeContainer(lab.docker.address, id);
  }
  for (const id of rootlessScratch) {
    await removeRootlessContainer(id);
  }
});

describe.skipIf(skipDocker)(
  'stopContainerOf goes to the engine that reported the container',
  () => {
    it('even when DOCKER_HOST now names another engine', async () => {
      const id = await publishScratchContainer(lab.docker.address, lab.image, 'nd-route', 18130);
      dockerScratch.push(id);
      const report = await stopContainerOf(
        {id, name: 'nd-route', endpoint: lab.docker.address, engine: 'docker'},
        true,
        {env: {DOCKER_HOST: lab.podman.address}},
      );
      expect(report).toEqual({outcome: 'stopped', endpoint: lab.docker.address, error: null});
      expect(await isRunning(lab.docker.address, id)).toBe(false);
    });
  },
);

describe.skipIf(skipRootless)('as a user who is not root', () => {
  // The checkout may sit in a folder the user cannot read: give them a copy of the build.
  const copy = mkdtempSync(join(tmpdir(), 'nanodock-as-user-'));
  cpSync(fileURLToPath(new URL('../dist', import.meta.url)), join(copy, 'dist'), {recursive: true});
  writeFileSync(join(copy, 'package.json'), '{"type": "module"}\n');
  execFileSync('chmod', ['-R', 'a+rX', copy]);
  afterAll(() => rmSync(copy, {recursive: true, force: true}));
  const built = join(copy, 'dist', 'index.js');
  /** Runs stopContainerOf in a node process of user `user`, from the build. */
  const stopAs = (user: string, container: object): {outcome: string; error: string | null} => {
    const script = `import {stopContainerOf} from ${JSON.stringify(built)};
const report = await stopContainerOf(${JSON.stringify(container)}, true);
process.stdout.write(JSON.stringify({outcome: report.outcome, error: report.error?.message ?? null}));`;
    const out = execFileSync(
      'runuser',
      ['-u', user, '--', process.execPath, '--input-type=module', '-e', script],
      {
        cwd: '/',
        encoding: 'utf8',
        env: {PATH: process.env.PATH ?? '', XDG_RUNTIME_DIR: '/run/user/1001'},
      },
    );
    return JSON.parse(out) as {outcome: string; error: string | null};
  };

  it("refuses another user's rootless container, saying whose it is and what to do", () => {
    const report = stopAs(lab.rootless.user, {
      id: fullId,
      name: 'roots-own',
      endpoint: 'rootless:root',
      engine: 'podman',
    });
    expect(report.outcome).toBe('failed');
    expect(report.error).toBe(
      "roots-own belongs to user root's rootless Podman: run nanodock-top as root, or with sudo, to kill it",
    );
  });

  it('kills their own rootless container through their own podman', async () => {
    const id = await publishRootlessScratch('nd-own-kill', 18131);
    rootlessScratch.push(id);
    const report = stopAs(lab.rootless.user, {
      id,
      name: 'nd-own-kill',
      endpoint: `rootless:${lab.rootless.user}`,
      engine: 'podman',
    });
    expect(report).toEqual({outcome: 'stopped', error: null});
    expect(await isRootlessRunning(id)).toBe(false);
  });
});
