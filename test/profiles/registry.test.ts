import {describe, expect, it} from 'vitest';
import {profileOfEndpoint, profiles} from '../../source/profiles/registry.js';

describe('engine profiles', () => {
  it('have unique ids, and every helper declares names, executables and an owner', () => {
    expect(new Set(profiles.map((profile) => profile.id)).size).toBe(profiles.length);
    for (const helper of profiles.flatMap((profile) => profile.helpers)) {
      expect(helper.names.length).toBeGreaterThan(0);
      expect(helper.executables.length).toBeGreaterThan(0);
      expect(['root', 'user']).toContain(helper.owner);
    }
  });

  it('route each container endpoint to the profile of the engine that reported it', () => {
    expect(profileOfEndpoint('unix:///var/run/docker.sock', 'docker')?.id).toBe('docker');
    expect(profileOfEndpoint('tcp://127.0.0.1:2376', 'docker')?.id).toBe('docker');
    expect(profileOfEndpoint('unix:///run/podman/podman.sock', 'podman')?.id).toBe('podman');
    expect(
      profileOfEndpoint('storage:/var/lib/containers/storage/overlay-containers', 'podman')?.id,
    ).toBe('podman');
    expect(profileOfEndpoint('rootless:ndlab', 'podman')?.id).toBe('podman-rootless');
    expect(profileOfEndpoint('ssh://root@host', 'docker')?.id).toBe('docker');
    expect(profileOfEndpoint('ssh://root@host/run/podman/podman.sock', 'podman')?.id).toBe(
      'podman',
    );
    expect(profileOfEndpoint('fd://3', 'docker')).toBeUndefined();
  });

  it('recognise an API answer by its headers', () => {
    const [docker, podman] = profiles;
    expect(docker?.recognise({server: 'Docker/20.10.24 (linux)', 'api-version': '1.41'})).toBe(
      true,
    );
    expect(docker?.recognise({server: 'Libpod/4.3.1 (linux)', 'api-version': '1.41'})).toBe(false);
    expect(podman?.recognise({'libpod-api-version': '4.3.1'})).toBe(true);
  });
});
