import {describe, expect, it, vi} from 'vitest';
import {parseEngineAddress, resolveEndpoints} from '../../source/engine/endpoint.js';

// A user with no home: no HOME, and a uid without a passwd entry (a container run with an
// arbitrary uid), where os.homedir() throws ERR_SYSTEM_ERROR. Only homedir() is replaced.
const home = vi.hoisted(() => ({missing: false}));
vi.mock('node:os', async (importOriginal) => {
  const os = await importOriginal<typeof import('node:os')>();
  return {
    ...os,
    homedir: () => {
      if (home.missing) {
        throw new Error('A system error occurred: uv_os_homedir returned ENOENT');
      }
      return os.homedir();
    },
  };
});

describe('engine addresses: regressions the properties found', () => {
  it("keeps an explicit :80 (URL drops it as http's default; it read as 2375)", () => {
    expect(parseEngineAddress('tcp://127.0.0.1:80', 'DOCKER_HOST')).toMatchObject({
      port: 80,
      address: 'tcp://127.0.0.1:80',
    });
    expect(parseEngineAddress('tcp://[::1]:080', 'x')).toMatchObject({port: 80});
    expect(parseEngineAddress('https://engine:80', 'x')).toMatchObject({port: 80});
    expect(parseEngineAddress('tcp://engine:443', 'x')).toMatchObject({port: 443});
    expect(parseEngineAddress('https://engine', 'x')).toMatchObject({port: 2376});
    expect(parseEngineAddress('tcp://engine', 'x')).toMatchObject({port: 2375});
  });

  it('resolveEndpoints never throws for a relative or empty HOME: its sockets are skipped', () => {
    for (const relative of ['', 'relative/home']) {
      const plan = resolveEndpoints({env: {}, home: relative, uid: 1000, platform: 'linux'});
      expect(plan.problems).toEqual([]);
      expect(plan.endpoints.map((endpoint) => endpoint.address)).toEqual([
        'unix:///var/run/docker.sock',
        'unix:///run/user/1000/docker.sock',
        'unix:///run/user/1000/podman/podman.sock',
        'unix:///run/podman/podman.sock',
      ]);
    }
  });

  it('resolveEndpoints never throws when os.homedir() does (no HOME, no passwd entry)', () => {
    home.missing = true;
    try {
      const plan = resolveEndpoints({env: {}, uid: 54_321, platform: 'linux'});
      expect(plan.endpoints.map((endpoint) => endpoint.address)).toContain(
        'unix:///run/podman/podman.sock',
      );
      expect(plan.endpoints.every((endpoint) => endpoint.address.startsWith('unix:///'))).toBe(
        true,
      );
    } finally {
      home.missing = false;
    }
  });
});
