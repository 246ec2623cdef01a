import {execFileSync} from 'node:child_process';
import {
  chownSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  symlinkSync,
  truncateSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {describe, expect, it} from 'vitest';
import {NanodockError} from '../../source/errors/nanodock-error.js';
import {matchedContainer} from '../../source/host/helper-resolution.js';
import {
  parseConmonArgs,
  parseNetworkNamespace,
  parseRootlessEndpoint,
  parseStorageContainers,
  readStorageContainers,
  resolveConmonContainer,
  type StorageContainersCache,
} from '../../source/host/podman-storage.js';

const graphroot = fileURLToPath(new URL('../fixtures/podman-storage/graphroot', import.meta.url));
const vfsContainers = join(graphroot, 'vfs-containers');
const idA = 'aaaa1111bbbb2222cccc3333dddd4444eeee5555ffff6666aaaa7777bbbb8888';
const idB = 'bbbb1111bbbb2222cccc3333dddd4444eeee5555ffff6666aaaa7777bbbb8888';
const idC = 'cccc1111bbbb2222cccc3333dddd4444eeee5555ffff6666aaaa7777bbbb8888';
const idD = 'dddd1111bbbb2222cccc3333dddd4444eeee5555ffff6666aaaa7777bbbb8888';
const netnsA = '/run/user/1001/netns/netns-23f24f5d-2dd3-492a-b5c8-82121ee6365f';

const tempDir = (): string => mkdtempSync(join(tmpdir(), 'nanodock-storage-'));
/** The fixtures and temp files belong to whoever runs the tests. */
const me = process.getuid?.() ?? 0;
const mine = {expectedUid: me};
const isRoot = me === 0;
const asRoot = {ownerUid: 0};

/** A conmon command line shaped like the one rootful Podman 4.3 runs (captured on the lab). */
function conmonArgv(id: string, name: string, containersDir: string): string[] {
  return [
    '/usr/bin/conmon',
    '--api-version',
    '1',
    '-c',
    id,
    '-u',
    id,
    '-r',
    '/usr/bin/runc',
    '-b',
    `${containersDir}/${id}/userdata`,
    '-p',
    `/run/containers/storage/overlay-containers/${id}/userdata/pidfile`,
    '-n',
    name,
    '--exit-dir',
    '/run/libpod/exits',
    '--full-attach',
    '-l',
    `k8s-file:${containersDir}/${id}/userdata/ctr.log`,
    '--log-level',
    'warning',
    '--runtime-arg',
    '--log-format=json',
    '--exit-command',
    '/usr/bin/podman',
    '--exit-command-arg',
    '--network-config-dir',
    '--exit-command-arg',
    '',
    '--exit-command-arg',
    'cleanup',
    '--exit-command-arg',
    id,
  ];
}

describe('parseStorageContainers', () => {
  const containers = parseStorageContainers(
    readFileSync(join(vfsContainers, 'containers.json'), 'utf8'),
  );

  it('keeps the entries with a safe id, in order, and skips the rest', () => {
    expect(containers.map((container) => container.id)).toEqual([idA, idB, idC, idD]);
  });

  it('reads names, the image name and creation time through the escaped metadata string', () => {
    expect(containers[0]).toEqual({
      id: idA,
      names: ['web-été'],
      name: 'web-été',
      image: 'localhost/nanodock-lab/busybox:latest',
      created: Date.parse('2026-11-28T13:14:07.470Z'),
    });
  });

  it('falls back to the metadata name and its created-at seconds', () => {
    expect(containers[1]).toMatchObject({
      names: [],
      name: 'from-metadata',
      image: '6c85223829584580b5ca0923fd4dfa825e77770abd6202daa7f2bd74cf0a8b45',
      created: 1_700_000_000_000,
    });
  });

  it('survives a broken metadata string: image id instead of image name', () => {
    expect(containers[2]).toMatchObject({
      name: 'broken-meta',
      image: '6c85223829584580b5ca0923fd4dfa825e77770abd6202daa7f2bd74cf0a8b45',
      created: null,
    });
  });

  it('names a bare entry by its short id, with no image', () => {
    expect(containers[3]).toEqual({
      id: idD,
      names: [],
      name: idD.slice(0, 12),
      image: '',
      created: null,
    });
  });

  it('throws NanodockError on text that is not a JSON array', () => {
    expect(() => parseStorageContainers('[{"id": "x"')).toThrow(NanodockError);
    expect(() => parseStorageContainers('{"id": "x"}')).toThrow(/not a JSON array/);
    expect(parseStorageContainers('[]')).toEqual([]);
  });
});

describe('readStorageContainers', () => {
  it('reads a containers folder', async () => {
    const containers = await readStorageContainers(vfsContainers, undefined, mine);
    expect(containers.map((container) => container.name)).toEqual([
      'web-été',
      'from-metadata',
      'broken-meta',
      idD.slice(0, 12),
    ]);
  });

  it('names the file in the NanodockError for bad JSON', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'containers.json'), '[{"id": ');
    const read = readStorageContainers(dir, undefined, mine);
    await expect(read).rejects.toThrow(NanodockError);
    await expect(read).rejects.toThrow(
      `${join(dir, 'containers.json')}: containers.json is not JSON`,
    );
  });

  it('passes a missing file on as the fs error', async () => {
    await expect(readStorageContainers(tempDir(), undefined, mine)).rejects.toMatchObject({
      code: 'ENOENT',
    });
  });

  it('re-reads only when mtime or size changes', async () => {
    const dir = tempDir();
    const file = join(dir, 'containers.json');
    const cache: StorageContainersCache = new Map();
    const before = new Date('2025-01-01T00:00:00Z');
    writeFileSync(file, JSON.stringify([{id: 'aaa1', names: ['one']}]));
    utimesSync(file, before, before);
    const first = await readStorageContainers(dir, cache, mine);
    expect(first.map((container) => container.name)).toEqual(['one']);
    expect(await readStorageContainers(dir, cache, mine)).toBe(first);

    // Same size, same inode, mtime put back: the cache cannot tell, and keeps the old parse.
    writeFileSync(file, JSON.stringify([{id: 'aaa1', names: ['two']}]));
    utimesSync(file, before, before);
    expect(await readStorageContainers(dir, cache, mine)).toBe(first);

    const after = new Date('2025-01-01T00:00:01Z');
    utimesSync(file, after, after);
    const second = await readStorageContainers(dir, cache, mine);
    expect(second.map((container) => container.name)).toEqual(['two']);

    // A size change alone is seen too.
    writeFileSync(file, JSON.stringify([{id: 'aaa1', names: ['three!']}]));
    utimesSync(file, after, after);
    expect(
      (await readStorageContainers(dir, cache, mine)).map((container) => container.name),
    ).toEqual(['three!']);
  });
});

describe('parseNetworkNamespace', () => {
  // Reading these files from storage, a missing one and an unsafe id included, is tested through
  // RootlessPodmanResolver (rootless-podman.test.ts), which reads them.
  const config = (id: string): string =>
    readFileSync(join(vfsContainers, id, 'userdata', 'config.json'), 'utf8');

  it("reads the network namespace path of Podman's config.json", () => {
    expect(parseNetworkNamespace(config(idA))).toBe(netnsA);
  });

  it('is null for a network namespace without a path', () => {
    expect(parseNetworkNamespace(config(idB))).toBeNull();
  });

  it('tolerates junk', () => {
    expect(parseNetworkNamespace('not json')).toBeNull();
    expect(parseNetworkNamespace('{"linux": {"namespaces": "nope"}}')).toBeNull();
    expect(
      parseNetworkNamespace('{"linux": {"namespaces": [null, {"type": "network", "path": "/n"}]}}'),
    ).toBe('/n');
  });
});

describe('parseConmonArgs', () => {
  it('reads -c, -n and -b from a real-shaped command line', () => {
    expect(
      parseConmonArgs(conmonArgv(idA, 'web', '/var/lib/containers/storage/overlay-containers')),
    ).toEqual({
      id: idA,
      name: 'web',
      bundle: `/var/lib/containers/storage/overlay-containers/${idA}/userdata`,
    });
  });

  it('reads the long forms, with a space or an equals sign', () => {
    expect(
      parseConmonArgs(['conmon', '--cid', 'abc', '--name=db', '--bundle=/b/abc/userdata']),
    ).toEqual({
      id: 'abc',
      name: 'db',
      bundle: '/b/abc/userdata',
    });
  });

  it('never takes another option value for a flag', () => {
    expect(
      parseConmonArgs([
        'conmon',
        '--exit-command-arg',
        '-n',
        '-c',
        'abc',
        '--runtime-arg',
        '-b',
        '--log-tag',
        '-c',
      ]),
    ).toEqual({id: 'abc', name: null, bundle: null});
  });

  it('is null without an id; a flag with no value is ignored', () => {
    expect(parseConmonArgs(['conmon', '-n', 'web', '-b', '/x'])).toBeNull();
    expect(parseConmonArgs(['conmon', '-c'])).toBeNull();
    expect(parseConmonArgs(['conmon', '-c', ''])).toBeNull();
    expect(parseConmonArgs([])).toBeNull();
  });

  it('stops at --', () => {
    expect(parseConmonArgs(['conmon', '-c', 'abc', '--', '-c', 'other'])).toEqual({
      id: 'abc',
      name: null,
      bundle: null,
    });
  });
});

/** The container of a 'match', else null. */
const containerOf = matchedContainer;

describe('resolveConmonContainer', () => {
  it.skipIf(!isRoot)('takes the image and creation time from root-owned storage', async () => {
    const resolution = await resolveConmonContainer(conmonArgv(idA, 'web', vfsContainers), asRoot);
    expect(resolution).toEqual({
      kind: 'match',
      warnings: [],
      container: {
        id: idA,
        name: 'web',
        names: ['web'],
        image: 'localhost/nanodock-lab/busybox:latest',
        state: 'running',
        status: null,
        command: null,
        created: Math.floor(Date.parse('2026-11-28T13:14:07Z') / 1000),
        labels: {},
        composeProject: null,
        ports: [],
        endpoint: `storage:${vfsContainers}`,
        engine: 'podman',
      },
    });
  });

  it.skipIf(!isRoot)('takes the name from storage when conmon has no -n', async () => {
    const resolution = await resolveConmonContainer(
      ['conmon', '-c', idB, '-b', `${vfsContainers}/${idB}/userdata/`],
      asRoot,
    );
    expect(containerOf(resolution)).toMatchObject({
      name: 'from-metadata',
      names: [],
      endpoint: `storage:${vfsContainers}`,
    });
  });

  it("answers root's conmon without storage: no image, short id for a name", async () => {
    const dir = join(tempDir(), 'overlay-containers');
    mkdirSync(dir);
    const info = containerOf(
      await resolveConmonContainer(['conmon', '-c', idA, '-b', `${dir}/${idA}/userdata`], asRoot),
    );
    expect(info).toMatchObject({
      id: idA,
      name: idA.slice(0, 12),
      image: '',
      endpoint: `storage:${dir}`,
    });
    expect(containerOf(await resolveConmonContainer(['conmon', '-c', idA], asRoot))).toMatchObject({
      image: '',
      endpoint: null,
      engine: 'podman',
    });
    // A bundle not laid out as `<dir>/<id>/userdata` names no storage.
    expect(
      containerOf(await resolveConmonContainer(['conmon', '-c', idA, '-b', `${dir}/x`], asRoot)),
    ).toMatchObject({endpoint: null});
  });

  it('is none without a usable id', async () => {
    expect(await resolveConmonContainer(['conmon', '-n', 'web'], asRoot)).toEqual({
      kind: 'none',
      warnings: [],
    });
    expect((await resolveConmonContainer(['conmon', '-c', '../x'], asRoot)).kind).toBe('none');
  });
});

describe.skipIf(!isRoot)(
  "resolveConmonContainer trusts a user's conmon only through that user's storage (root)",
  () => {
    /** A containers folder owned by uid 1001 that lists `ids`. */
    function userStorage(ids: readonly string[], owner = 1001): string {
      const dir = join(tempDir(), 'vfs-containers');
      mkdirSync(dir);
      const file = join(dir, 'containers.json');
      writeFileSync(
        file,
        JSON.stringify(ids.map((id) => ({id, names: [`name-${id.slice(0, 4)}`]}))),
      );
      chownSync(dir, owner, owner);
      chownSync(file, owner, owner);
      return dir;
    }

    it('resolves a listed id to the rootless engine of the owner', async () => {
      const dir = userStorage([idA]);
      const resolution = await resolveConmonContainer(
        ['conmon', '-c', idA, '-b', `${dir}/${idA}/userdata`],
        {
          ownerUid: 1001,
          ownerName: 'ndlab',
        },
      );
      expect(containerOf(resolution)).toMatchObject({
        id: idA,
        name: 'name-aaaa',
        endpoint: 'rootless:ndlab',
      });
      expect(parseRootlessEndpoint(containerOf(resolution)?.endpoint ?? null)).toBe('ndlab');
      expect(parseRootlessEndpoint(`storage:${dir}`)).toBeNull();
    });

    it('is none for an id its storage does not list, no storage at all, or a root-owned file', async () => {
      const dir = userStorage([idB]);
      const options = {ownerUid: 1001, ownerName: 'ndlab'};
      expect(
        (
          await resolveConmonContainer(
            ['conmon', '-c', idA, '-b', `${dir}/${idA}/userdata`],
            options,
          )
        ).kind,
      ).toBe('none');
      expect((await resolveConmonContainer(['conmon', '-c', idA], options)).kind).toBe('none');
      // Root's own storage, named by a user's command line: not that user's.
      const roots = userStorage([idA], 0);
      const resolution = await resolveConmonContainer(
        ['conmon', '-c', idA, '-b', `${roots}/${idA}/userdata`],
        options,
      );
      expect(resolution).toEqual({
        kind: 'none',
        warnings: [`skipped ${roots}/containers.json: owned by uid 0, expected uid 1001`],
      });
    });

    it("refuses a user's file for root's conmon", async () => {
      const dir = userStorage([idA]);
      const resolution = await resolveConmonContainer(
        ['conmon', '-c', idA, '-b', `${dir}/${idA}/userdata`],
        asRoot,
      );
      expect(containerOf(resolution)).toMatchObject({image: '', name: idA.slice(0, 12)});
      expect(resolution.warnings).toEqual([
        `skipped ${dir}/containers.json: owned by uid 1001, expected uid 0`,
      ]);
    });
  },
);

describe('resolveConmonContainer with hostile files as containers.json', () => {
  const owner = me;

  it('returns at once for a FIFO, with no container from it and a warning', async () => {
    const dir = join(tempDir(), 'x');
    mkdirSync(dir);
    execFileSync('mkfifo', [join(dir, 'containers.json')]);
    const argv = ['conmon', '-c', idA, '-b', `${dir}/${idA}/userdata`];
    const started = performance.now();
    const resolution = await resolveConmonContainer(argv, {ownerUid: owner === 0 ? 1001 : owner});
    expect(performance.now() - started).toBeLessThan(1000);
    expect(resolution).toEqual({
      kind: 'none',
      warnings: [`skipped ${dir}/containers.json: a FIFO, not a regular file`],
    });
    // Root's own conmon still shows its container, without anything from the FIFO.
    if (isRoot) {
      const root = await resolveConmonContainer(argv, asRoot);
      expect(containerOf(root)).toMatchObject({id: idA, image: '', name: idA.slice(0, 12)});
      expect(root.warnings).toHaveLength(1);
    }
  });

  it('refuses a symlink to /dev/zero without reading it', async () => {
    const dir = tempDir();
    symlinkSync('/dev/zero', join(dir, 'containers.json'));
    const before = process.memoryUsage().rss;
    const resolution = await resolveConmonContainer(
      ['conmon', '-c', idA, '-b', `${dir}/${idA}/userdata`],
      {ownerUid: owner},
    );
    expect(process.memoryUsage().rss - before).toBeLessThan(20 * 1024 * 1024);
    expect(resolution.warnings).toEqual([
      `skipped ${dir}/containers.json: a symbolic link, not followed`,
    ]);
  });

  it('refuses a 1 GB sparse file by its size', async () => {
    const dir = tempDir();
    const file = join(dir, 'containers.json');
    writeFileSync(file, '');
    truncateSync(file, 1024 ** 3);
    const before = process.memoryUsage().rss;
    const resolution = await resolveConmonContainer(
      ['conmon', '-c', idA, '-b', `${dir}/${idA}/userdata`],
      {ownerUid: owner},
    );
    expect(process.memoryUsage().rss - before).toBeLessThan(20 * 1024 * 1024);
    expect(resolution.warnings).toEqual([
      `skipped ${file}: 1073741824 bytes, over the limit of 33554432 bytes`,
    ]);
  });
});
