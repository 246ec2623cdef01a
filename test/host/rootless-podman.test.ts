import {execFileSync} from 'node:child_process';
import {
  chownSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {describe, expect, it} from 'vitest';
import {type HelperResolution, matchedContainer} from '../../source/host/helper-resolution.js';
import {resolveConmonContainer} from '../../source/host/podman-storage.js';
import {
  isPodmanRootlessportProcess,
  lookupRootlessPodmanContainer,
  RootlessPodmanResolver,
} from '../../source/host/rootless-podman.js';
import {helperExe, isLabRequired, lab, rootlessPodman} from '../helpers/lab.js';
import {
  type ExpectedProgram,
  helperOnPort,
  isProgram,
  type ProcessFacts,
  processFacts,
  uidOf,
} from '../helpers/proc.js';

// ---------------------------------------------------------------- a fake host

const me = process.getuid?.() ?? 0;
const isRoot = me === 0;
/** The fake user: ndlab's uid as root (files are chowned to it), else the tester's own. */
const uid = isRoot ? 1001 : me;
const netnsOverlay = '/run/user/1001/netns/netns-0a0a0a0a-1111-2222-3333-444444444444';
const netnsVfs = '/run/user/1001/netns/netns-0b0b0b0b-1111-2222-3333-444444444444';
const idOverlay = `a1${'0'.repeat(62)}`;
const idVfs = `b2${'0'.repeat(62)}`;

/** Fields of /proc/PID/stat after `(comm)`: state first, start time (field 22) at index 19. */
function statLine(pid: number, comm: string, startTicks: number): string {
  const fields = ['S', '1', ...Array.from({length: 17}, () => '0'), String(startTicks), '0', '0'];
  return `${pid} (${comm}) ${fields.join(' ')}\n`;
}

interface FakeHost {
  readonly root: string;
  readonly procRoot: string;
  readonly passwdPath: string;
  readonly home: string;
  /** `$HOME/custom-storage`, named by the home's storage.conf. */
  readonly graphroot: string;
  addProcess(pid: number, options: {uid?: number; startTicks?: number; links?: string[]}): void;
  writeContainer(driver: string, id: string, name: string, netns: string | null): void;
  writeContainersJson(driver: string, entries: ReadonlyArray<{id: string; name: string}>): void;
  /** Gives every file under the home to the fake user (root only; else they are the tester's). */
  chownHome(): void;
}

function chownTree(path: string, owner: number): void {
  chownSync(path, owner, owner);
  if (statSync(path).isDirectory()) {
    for (const entry of readdirSync(path)) {
      chownTree(join(path, entry), owner);
    }
  }
}

function fakeHost(): FakeHost {
  const root = mkdtempSync(join(tmpdir(), 'nanodock-rootless-'));
  const procRoot = join(root, 'proc');
  const home = join(root, 'home', 'ndlab');
  const graphroot = join(home, 'custom-storage');
  const passwdPath = join(root, 'passwd');
  mkdirSync(procRoot);
  mkdirSync(join(home, '.config', 'containers'), {recursive: true});
  writeFileSync(
    passwdPath,
    [
      'root:x:0:0:root:/root:/bin/bash',
      `ndlab:x:${uid}:${uid}::${home}:/bin/bash`,
      `other:x:1002:1002::${join(root, 'home', 'other')}:/bin/sh`,
      'broken-line',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(home, '.config', 'containers', 'storage.conf'),
    [
      '# written by a test',
      '[storage]',
      'driver = "overlay"',
      'graphroot = "$HOME/custom-storage" # trailing comment',
      '',
      '[storage.options]',
      'graphroot = "/not/this/one"',
      '',
    ].join('\n'),
  );
  const chownHome = (): void => {
    if (isRoot) {
      chownTree(home, uid);
    }
  };
  chownHome();
  return {
    root,
    procRoot,
    chownHome,
    passwdPath,
    home,
    graphroot,
    addProcess(pid, {uid: owner = uid, startTicks = 5000, links = []}) {
      const dir = join(procRoot, String(pid));
      rmSync(dir, {recursive: true, force: true});
      mkdirSync(join(dir, 'fd'), {recursive: true});
      writeFileSync(join(dir, 'stat'), statLine(pid, 'rootlessport', startTicks));
      writeFileSync(
        join(dir, 'status'),
        `Name:\trootlessport\nUmask:\t0022\nState:\tS (sleeping)\nPid:\t${pid}\nPPid:\t1\nUid:\t${owner}\t${owner}\t${owner}\t${owner}\n`,
      );
      const targets = ['/dev/null', 'pipe:[52530]', 'socket:[52553]', ...links];
      targets.forEach((target, fd) => {
        // readlink does not follow: targets that do not exist are what /proc shows too.
        symlinkSync(target, join(dir, 'fd', String(fd)));
      });
    },
    writeContainer(driver, id, name, netns) {
      const dir = join(graphroot, `${driver}-containers`);
      mkdirSync(join(dir, id, 'userdata'), {recursive: true});
      const namespaces = [
        {type: 'pid'},
        netns === null ? {type: 'network'} : {type: 'network', path: netns},
      ];
      writeFileSync(
        join(dir, id, 'userdata', 'config.json'),
        JSON.stringify({linux: {namespaces}}),
      );
      this.writeContainersJson(driver, [{id, name}]);
      chownHome();
    },
    writeContainersJson(driver, entries) {
      const dir = join(graphroot, `${driver}-containers`);
      mkdirSync(dir, {recursive: true});
      writeFileSync(
        join(dir, 'containers.json'),
        JSON.stringify(
          entries.map(({id, name}) => ({
            id,
            names: [name],
            image: 'f'.repeat(64),
            metadata: JSON.stringify({
              'image-name': `localhost/${name}:1`,
              name,
              'created-at': 1_700_000_000,
            }),
          })),
        ),
      );
      chownHome();
    },
  };
}

function resolverFor(host: FakeHost, currentUid = 0): RootlessPodmanResolver {
  return new RootlessPodmanResolver({
    procRoot: host.procRoot,
    passwdPath: host.passwdPath,
    env: {HOME: '/root'},
    currentUid,
  });
}

/** Moves a file's mtime forward by `seconds`, so a same-second rewrite still shows as a change. */
function touchForward(file: string, seconds: number): void {
  const when = new Date(Date.now() + seconds * 1000);
  utimesSync(file, when, when);
}

describe('isPodmanRootlessportProcess', () => {
  it('is true for the helper and its child, also as the kernel truncates the name', () => {
    expect(
      ['rootlessport', 'rootlessport-child', 'rootlessport-ch'].map(isPodmanRootlessportProcess),
    ).toEqual([true, true, true]);
  });

  it('is false for look-alikes', () => {
    expect(
      [
        'rootlessport2',
        'my-rootlessport',
        'rootlessport ',
        'Rootlessport',
        'rootless',
        'conmon',
        '',
      ].map(isPodmanRootlessportProcess),
    ).toEqual([false, false, false, false, false, false, false]);
  });
});

describe('RootlessPodmanResolver on a fake host', () => {
  it('finds containers in the overlay and the vfs folders of the graphroot storage.conf names', async () => {
    const host = fakeHost();
    host.writeContainer('overlay', idOverlay, 'web-overlay', netnsOverlay);
    host.writeContainer('vfs', idVfs, 'web-vfs', netnsVfs);
    host.addProcess(4100, {links: [netnsOverlay]});
    host.addProcess(4200, {links: [netnsVfs]});
    const resolver = resolverFor(host);

    expect(
      matchedContainer(await lookupRootlessPodmanContainer(4100, 'rootlessport', resolver)),
    ).toEqual({
      id: idOverlay,
      name: 'web-overlay',
      names: ['web-overlay'],
      image: 'localhost/web-overlay:1',
      state: 'running',
      status: null,
      command: null,
      created: 1_700_000_000,
      labels: {},
      composeProject: null,
      ports: [],
      endpoint: 'rootless:ndlab',
      engine: 'podman',
    });
    expect(
      matchedContainer(await lookupRootlessPodmanContainer(4200, 'rootlessport', resolver)),
    ).toMatchObject({
      id: idVfs,
      name: 'web-vfs',
      image: 'localhost/web-vfs:1',
    });
  });

  it('looks in ~/.local/share/containers/storage when there is no storage.conf', async () => {
    const host = fakeHost();
    rmSync(join(host.home, '.config', 'containers', 'storage.conf'));
    const storage = join(host.home, '.local', 'share', 'containers', 'storage', 'vfs-containers');
    mkdirSync(join(storage, idVfs, 'userdata'), {recursive: true});
    writeFileSync(
      join(storage, idVfs, 'userdata', 'config.json'),
      JSON.stringify({linux: {namespaces: [{type: 'network', path: netnsVfs}]}}),
    );
    writeFileSync(
      join(storage, 'containers.json'),
      JSON.stringify([{id: idVfs, names: ['default-place']}]),
    );
    host.chownHome();
    host.addProcess(4300, {links: [netnsVfs]});
    expect(matchedContainer(await resolverFor(host).resolve(4300))).toMatchObject({
      name: 'default-place',
      endpoint: 'rootless:ndlab',
    });
  });

  it("reads Podman's own storage files (captured): a config without a namespace path, a missing config or an unsafe id in containers.json matches nothing", async () => {
    const host = fakeHost();
    const captured = fileURLToPath(
      new URL('../fixtures/podman-storage/graphroot/vfs-containers', import.meta.url),
    );
    const vfs = join(host.graphroot, 'vfs-containers');
    cpSync(captured, vfs, {recursive: true});
    // containers.json lists `../../etc`: were it taken for a folder, this file would be read.
    const escaped = join(vfs, '..', '..', 'etc', 'userdata');
    const netnsEscaped = '/run/user/1001/netns/netns-e5c0e5c0-1111-2222-3333-444444444444';
    mkdirSync(escaped, {recursive: true});
    writeFileSync(
      join(escaped, 'config.json'),
      JSON.stringify({linux: {namespaces: [{type: 'network', path: netnsEscaped}]}}),
    );
    host.chownHome();
    const idA = 'aaaa1111bbbb2222cccc3333dddd4444eeee5555ffff6666aaaa7777bbbb8888';
    const netnsA = '/run/user/1001/netns/netns-23f24f5d-2dd3-492a-b5c8-82121ee6365f';
    host.addProcess(4350, {links: [netnsA]});
    host.addProcess(4351, {links: [netnsEscaped]});
    const resolver = resolverFor(host);

    // Only container A's config has a namespace path; B's has none, C's and D's are missing.
    expect(await resolver.resolve(4350)).toEqual({
      kind: 'match',
      container: expect.objectContaining({id: idA, name: 'web-été', endpoint: 'rootless:ndlab'}),
      warnings: [],
    });
    expect(await resolver.resolve(4351)).toEqual({kind: 'none', warnings: []});
  });

  it('reads rootless_storage_path with ~ and $UID, and adds XDG_DATA_HOME only for the current user', async () => {
    const host = fakeHost();
    writeFileSync(
      join(host.home, '.config', 'containers', 'storage.conf'),
      "[storage]\nrootless_storage_path = '~/store-$UID'\n",
    );
    host.chownHome();
    const asOther = resolverFor(host, 0);
    expect(await asOther.listStorageRoots(uid)).toEqual([
      join(host.home, `store-${uid}`),
      join(host.home, '.local', 'share', 'containers', 'storage'),
    ]);
    const asSelf = new RootlessPodmanResolver({
      procRoot: host.procRoot,
      passwdPath: host.passwdPath,
      env: {HOME: host.home, XDG_DATA_HOME: join(host.root, 'data')},
      currentUid: uid,
    });
    expect(await asSelf.listStorageRoots(uid)).toEqual([
      join(host.home, `store-${uid}`),
      join(host.root, 'data', 'containers', 'storage'),
      join(host.home, '.local', 'share', 'containers', 'storage'),
    ]);
  });

  it('answers from its cache while containers.json is unchanged, and reads it again when it changes', async () => {
    const host = fakeHost();
    host.writeContainer('vfs', idVfs, 'before', netnsVfs);
    host.addProcess(4400, {links: [netnsVfs]});
    const resolver = resolverFor(host);
    const first = matchedContainer(await resolver.resolve(4400));
    expect(first?.name).toBe('before');
    expect(matchedContainer(await resolver.resolve(4400))).toBe(first);

    host.writeContainersJson('vfs', [{id: idVfs, name: 'renamed'}]);
    touchForward(join(host.graphroot, 'vfs-containers', 'containers.json'), 5);
    expect(matchedContainer(await resolver.resolve(4400))?.name).toBe('renamed');
  });

  it('finds a restarted container: new namespace in config.json, containers.json untouched', async () => {
    const host = fakeHost();
    host.writeContainer('vfs', idVfs, 'web', netnsVfs);
    host.addProcess(4500, {links: [netnsVfs]});
    const resolver = resolverFor(host);
    expect(matchedContainer(await resolver.resolve(4500))?.id).toBe(idVfs);

    const restarted = '/run/user/1001/netns/netns-0c0c0c0c-1111-2222-3333-444444444444';
    const config = join(host.graphroot, 'vfs-containers', idVfs, 'userdata', 'config.json');
    writeFileSync(
      config,
      JSON.stringify({linux: {namespaces: [{type: 'network', path: restarted}]}}),
    );
    touchForward(config, 5);
    rmSync(join(host.procRoot, '4500'), {recursive: true});
    host.addProcess(4501, {links: [restarted]});
    expect(matchedContainer(await resolver.resolve(4501))?.id).toBe(idVfs);
  });

  it('reads a reused pid afresh: a new start time means a new process', async () => {
    const host = fakeHost();
    host.writeContainer('overlay', idOverlay, 'web-overlay', netnsOverlay);
    host.writeContainer('vfs', idVfs, 'web-vfs', netnsVfs);
    host.addProcess(4600, {startTicks: 100, links: [netnsOverlay]});
    const resolver = resolverFor(host);
    expect(matchedContainer(await resolver.resolve(4600))?.name).toBe('web-overlay');
    host.addProcess(4600, {startTicks: 200, links: [netnsVfs]});
    expect(matchedContainer(await resolver.resolve(4600))?.name).toBe('web-vfs');
  });

  it('is null, never an error, for a vanished pid, unreadable files, or no match', async () => {
    const host = fakeHost();
    host.writeContainer('vfs', idVfs, 'web', netnsVfs);
    host.addProcess(4700, {links: [netnsVfs]});
    const resolver = resolverFor(host);
    expect(matchedContainer(await resolver.resolve(4700))?.name).toBe('web');
    rmSync(join(host.procRoot, '4700'), {recursive: true});
    expect((await resolver.resolve(4700)).kind).toBe('none');
    expect((await resolver.resolve(999_999)).kind).toBe('none');

    // No netns link among the fds.
    host.addProcess(4701, {});
    expect((await resolver.resolve(4701)).kind).toBe('none');
    // A netns that no container has.
    host.addProcess(4702, {
      links: ['/run/user/1001/netns/netns-ffffffff-0000-0000-0000-000000000000'],
    });
    expect((await resolver.resolve(4702)).kind).toBe('none');
    // An owner without a passwd entry or storage.
    host.addProcess(4703, {uid: 4242, links: [netnsVfs]});
    expect((await resolver.resolve(4703)).kind).toBe('none');
    // status unreadable (here: missing), as for a process that is exiting.
    host.addProcess(4704, {links: [netnsVfs]});
    rmSync(join(host.procRoot, '4704', 'status'));
    expect((await resolver.resolve(4704)).kind).toBe('none');
    // Junk in containers.json.
    writeFileSync(join(host.graphroot, 'vfs-containers', 'containers.json'), '[{"id":');
    touchForward(join(host.graphroot, 'vfs-containers', 'containers.json'), 5);
    host.addProcess(4705, {links: [netnsVfs]});
    expect((await resolver.resolve(4705)).kind).toBe('none');
  });

  it("refuses to guess: a rootlessport holding two containers' namespaces is ambiguous", async () => {
    const host = fakeHost();
    host.writeContainer('overlay', idOverlay, 'web-overlay', netnsOverlay);
    host.writeContainer('vfs', idVfs, 'web-vfs', netnsVfs);
    host.addProcess(4900, {links: [netnsOverlay, netnsVfs]});
    const resolver = resolverFor(host);
    const expectAmbiguous = (resolution: HelperResolution): void => {
      expect(resolution.kind).toBe('ambiguous');
      expect(
        resolution.kind === 'ambiguous' ? resolution.candidates.map((info) => info.name) : [],
      ).toEqual(['web-overlay', 'web-vfs']);
    };
    expectAmbiguous(await lookupRootlessPodmanContainer(4900, 'rootlessport', resolver));
    // From the cache, the same answer.
    expectAmbiguous(await resolver.resolve(4900));
    // A cached match for one namespace does not hide the other.
    host.addProcess(4901, {links: [netnsVfs]});
    const fresh = resolverFor(host);
    expect(matchedContainer(await fresh.resolve(4901))?.name).toBe('web-vfs');
    expectAmbiguous(await fresh.resolve(4900));
    // The same container twice (two links to one namespace) is one match.
    host.addProcess(4902, {links: [netnsVfs, netnsVfs]});
    expect(matchedContainer(await fresh.resolve(4902))?.name).toBe('web-vfs');
  });

  it('skips a FIFO as containers.json at once, with a warning', async () => {
    const host = fakeHost();
    host.writeContainer('vfs', idVfs, 'web', netnsVfs);
    const file = join(host.graphroot, 'vfs-containers', 'containers.json');
    rmSync(file);
    execFileSync('mkfifo', [file]);
    host.chownHome();
    host.addProcess(5000, {links: [netnsVfs]});
    const started = performance.now();
    const resolution = await resolverFor(host).resolve(5000);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(resolution).toEqual({
      kind: 'none',
      warnings: [`skipped ${file}: a FIFO, not a regular file`],
    });
  });

  it('drops a cached match once its containers.json turns into a FIFO', async () => {
    const host = fakeHost();
    host.writeContainer('vfs', idVfs, 'web', netnsVfs);
    host.addProcess(5050, {links: [netnsVfs]});
    const resolver = resolverFor(host);
    expect(matchedContainer(await resolver.resolve(5050))?.name).toBe('web');
    const file = join(host.graphroot, 'vfs-containers', 'containers.json');
    rmSync(file);
    execFileSync('mkfifo', [file]);
    host.chownHome();
    const resolution = await resolver.resolve(5050);
    expect(resolution.kind).toBe('none');
    expect(resolution.warnings).toEqual([`skipped ${file}: a FIFO, not a regular file`]);
  });

  it('refuses a symlink to /dev/zero as config.json or as containers.json, without reading it', async () => {
    const host = fakeHost();
    host.writeContainer('vfs', idVfs, 'web', netnsVfs);
    const config = join(host.graphroot, 'vfs-containers', idVfs, 'userdata', 'config.json');
    rmSync(config);
    symlinkSync('/dev/zero', config);
    host.addProcess(5100, {links: [netnsVfs]});
    const before = process.memoryUsage().rss;
    expect(await resolverFor(host).resolve(5100)).toEqual({
      kind: 'none',
      warnings: [`skipped ${config}: a symbolic link, not followed`],
    });
    const file = join(host.graphroot, 'vfs-containers', 'containers.json');
    rmSync(file);
    symlinkSync('/dev/zero', file);
    expect((await resolverFor(host).resolve(5100)).warnings).toEqual([
      `skipped ${file}: a symbolic link, not followed`,
    ]);
    expect(process.memoryUsage().rss - before).toBeLessThan(20 * 1024 * 1024);
  });

  it('refuses a 1 GB sparse containers.json by its size', async () => {
    const host = fakeHost();
    host.writeContainer('vfs', idVfs, 'web', netnsVfs);
    const file = join(host.graphroot, 'vfs-containers', 'containers.json');
    truncateSync(file, 1024 ** 3);
    host.addProcess(5200, {links: [netnsVfs]});
    const before = process.memoryUsage().rss;
    expect((await resolverFor(host).resolve(5200)).warnings).toEqual([
      `skipped ${file}: 1073741824 bytes, over the limit of 33554432 bytes`,
    ]);
    expect(process.memoryUsage().rss - before).toBeLessThan(20 * 1024 * 1024);
  });

  it.skipIf(!isRoot)("reads only the helper owner's own files (root)", async () => {
    const host = fakeHost();
    host.writeContainer('vfs', idVfs, 'web', netnsVfs);
    host.addProcess(5300, {links: [netnsVfs]});
    const config = join(host.graphroot, 'vfs-containers', idVfs, 'userdata', 'config.json');
    chownSync(config, 0, 0);
    expect(await resolverFor(host).resolve(5300)).toEqual({
      kind: 'none',
      warnings: [`skipped ${config}: owned by uid 0, expected uid ${uid}`],
    });
    host.chownHome();
    const file = join(host.graphroot, 'vfs-containers', 'containers.json');
    chownSync(file, 1002, 1002);
    expect((await resolverFor(host).resolve(5300)).warnings).toEqual([
      `skipped ${file}: owned by uid 1002, expected uid ${uid}`,
    ]);
    // A storage.conf that is not the user's is not followed to its graphroot either.
    host.chownHome();
    const conf = join(host.home, '.config', 'containers', 'storage.conf');
    chownSync(conf, 0, 0);
    const resolution = await resolverFor(host).resolve(5300);
    expect(resolution).toEqual({
      kind: 'none',
      warnings: [`skipped ${conf}: owned by uid 0, expected uid ${uid}`],
    });
    host.chownHome();
    expect(matchedContainer(await resolverFor(host).resolve(5300))?.name).toBe('web');
  });

  it('skips a process that is not rootlessport without reading /proc', async () => {
    const resolver = new RootlessPodmanResolver({procRoot: '/nonexistent-proc'});
    expect(await lookupRootlessPodmanContainer(1, 'conmon', resolver)).toEqual({
      kind: 'none',
      warnings: [],
    });
  });

  it('rejects with the abort reason when the signal is aborted', async () => {
    const host = fakeHost();
    host.addProcess(4800, {links: [netnsVfs]});
    const controller = new AbortController();
    controller.abort(new Error('tick cancelled'));
    await expect(
      lookupRootlessPodmanContainer(4800, 'rootlessport', resolverFor(host), {
        signal: controller.signal,
      }),
    ).rejects.toThrow('tick cancelled');
  });
});

// ---------------------------------------------------------------- the real lab

interface LabProcesses {
  readonly rootlessportPid: number | null;
  readonly rootfulConmon: string[] | null;
  readonly rootlessConmon: string[] | null;
}

/** The one process holding `port` that is `expected` (its real binary and owner), or null. */
function holderOf(port: number, expected: ExpectedProgram): ProcessFacts | null {
  try {
    return helperOnPort(port, expected);
  } catch {
    return null;
  }
}

/** The full id of the rootless lab container, as its owner's own podman reports it. */
async function rootlessContainerId(): Promise<string | null> {
  const answer = await rootlessPodman(
    ['container', 'inspect', '--format', '{{.Id}}', lab.rootless.container],
    30_000,
  );
  return answer.code === 0 ? answer.stdout.trim() || null : null;
}

/**
 * The lab's helpers, each found by what it holds, never by its name alone: the rootlessport
 * and the rootful conmon by the port they hold (with their real binary and owner); the
 * rootless conmon, which holds no port, by the container id that its owner's podman reports.
 */
async function findLabProcesses(): Promise<LabProcesses> {
  const labUid = uidOf(lab.rootless.user);
  const rootlessport =
    labUid === null
      ? null
      : holderOf(lab.rootless.port, {exe: helperExe.rootlessport, uid: labUid});
  const rootfulConmon = holderOf(lab.podman.port, {exe: helperExe.conmon, uid: 0});
  const id = labUid === null || process.getuid?.() !== 0 ? null : await rootlessContainerId();
  let rootlessConmon: string[] | null = null;
  if (id !== null && labUid !== null) {
    for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
      const facts = processFacts(Number(pid));
      if (
        facts !== null &&
        isProgram(facts.pid, {exe: helperExe.conmon, uid: labUid}) &&
        facts.argv[facts.argv.indexOf('-c') + 1] === id
      ) {
        rootlessConmon = [...facts.argv];
      }
    }
  }
  return {
    rootlessportPid: rootlessport?.pid ?? null,
    rootfulConmon: rootfulConmon === null ? null : [...rootfulConmon.argv],
    rootlessConmon,
  };
}

function canReadFds(pid: number): boolean {
  try {
    readlinkSync(`/proc/${pid}/fd/0`);
    return true;
  } catch {
    return false;
  }
}

const found = await findLabProcesses();
const missing = [
  found.rootlessportPid === null &&
    `no rootlessport of ${lab.rootless.user} holding port ${lab.rootless.port}`,
  found.rootlessportPid !== null &&
    !canReadFds(found.rootlessportPid) &&
    `cannot read the fds of rootlessport ${found.rootlessportPid} (run as root or ${lab.rootless.user})`,
  found.rootfulConmon === null && `no conmon holding port ${lab.podman.port}`,
  found.rootlessConmon === null && `no conmon for ${lab.rootless.container}`,
].filter((reason): reason is string => typeof reason === 'string');
const skipLab = missing.length > 0 && !isLabRequired;
if (skipLab) {
  console.warn(
    `skipping rootless Podman lab tests: ${missing.join('; ')} (start it with: sudo npm run lab)`,
  );
}

/** The lab's facts, or a failure that says what is missing (only reached when the lab is required). */
function required<T>(value: T | null, what: string): T {
  if (value === null || missing.length > 0) {
    throw new Error(
      `NANODOCK_LAB=required but ${what} is missing: ${missing.join('; ')}. Run: sudo npm run lab`,
    );
  }
  return value;
}

describe.skipIf(skipLab)('rootless and rootful Podman from files alone (lab)', () => {
  it('resolves the rootlessport of nd-rootless-web through its network namespace', async () => {
    const pid = required(found.rootlessportPid, 'the rootlessport process');
    const resolver = new RootlessPodmanResolver();
    const info = matchedContainer(
      await lookupRootlessPodmanContainer(pid, 'rootlessport', resolver),
    );
    expect(info).toMatchObject({
      name: lab.rootless.container,
      names: [lab.rootless.container],
      image: lab.podmanImage,
      engine: 'podman',
      endpoint: `rootless:${lab.rootless.user}`,
      state: 'running',
      ports: [],
    });
    expect(info?.id).toMatch(/^[0-9a-f]{64}$/);
    expect(info?.created).toEqual(expect.any(Number));
    // The same container as the one its conmon watches.
    const conmon = required(found.rootlessConmon, 'the rootless conmon');
    expect(info?.id).toBe(conmon[conmon.indexOf('-c') + 1]);
    // A second lookup is served from the cache: the very same object.
    expect(matchedContainer(await resolver.resolve(pid))).toBe(info);
  });

  it('resolves the rootful conmon of nd-podman-web from its command line and storage', async () => {
    const argv = required(found.rootfulConmon, 'the rootful conmon');
    const info = matchedContainer(await resolveConmonContainer(argv, {ownerUid: 0}));
    expect(info).toMatchObject({
      name: lab.podman.container,
      names: [lab.podman.container],
      image: lab.podmanImage,
      engine: 'podman',
      endpoint: 'storage:/var/lib/containers/storage/overlay-containers',
      state: 'running',
    });
    expect(info?.id).toMatch(/^[0-9a-f]{64}$/);
  });

  it('resolves the rootless conmon through the vfs storage of its owner, to the same engine as its rootlessport', async () => {
    const argv = required(found.rootlessConmon, 'the rootless conmon');
    const owner = required(uidOf(lab.rootless.user), `the uid of ${lab.rootless.user}`);
    const resolution = await resolveConmonContainer(argv, {
      ownerUid: owner,
      ownerName: lab.rootless.user,
    });
    expect(resolution.warnings).toEqual([]);
    expect(matchedContainer(resolution)).toMatchObject({
      name: lab.rootless.container,
      image: lab.podmanImage,
      // Was `storage:<graphroot>/vfs-containers`: a user's conmon now names that user's engine.
      endpoint: `rootless:${lab.rootless.user}`,
    });
    // Claimed by root, the user's storage files are refused: no image, and a warning.
    const asRoot = await resolveConmonContainer(argv, {ownerUid: 0});
    expect(matchedContainer(asRoot)?.image).toBe('');
    expect(asRoot.warnings.join('\n')).toMatch(
      /vfs-containers\/containers\.json: owned by uid \d+, expected uid 0$/,
    );
  });
});
