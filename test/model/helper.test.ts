import {describe, expect, it} from 'vitest';
import {
  type ExecutableFacts,
  judgeHelper,
  type ProcessTrustFacts,
} from '../../source/model/helper.js';
import {helperSpecs} from '../../source/profiles/registry.js';

const genuine = (path: string): ExecutableFacts => ({path, ownerUid: 0, isReplaceable: false});
const dockerd = {pid: 100, name: 'dockerd', executable: genuine('/usr/sbin/dockerd')};

function facts(extra: Partial<ProcessTrustFacts>): ProcessTrustFacts {
  return {
    name: 'docker-proxy',
    uid: 0,
    user: 'root',
    executable: genuine('/usr/sbin/docker-proxy'),
    parent: dockerd,
    ...extra,
  };
}

describe('judgeHelper', () => {
  it('trusts the real helpers of every profile', () => {
    expect(judgeHelper(facts({}), helperSpecs)).toMatchObject({
      trusted: true,
      kind: 'docker-proxy',
    });
    const conmon = judgeHelper(
      facts({name: 'conmon', executable: genuine('/usr/bin/conmon'), parent: null}),
      helperSpecs,
    );
    expect(conmon).toMatchObject({trusted: true, kind: 'conmon', rule: {owner: 'root'}});
    const rootless = judgeHelper(
      facts({
        name: 'rootlessport',
        uid: 1001,
        user: 'ndlab',
        executable: genuine('/usr/lib/podman/rootlessport'),
        parent: null,
      }),
      helperSpecs,
    );
    expect(rootless).toMatchObject({trusted: true, kind: 'rootlessport', rule: {owner: 'user'}});
    // A user's conmon is the rootless engine's: trusted with that user's containers only.
    const userConmon = judgeHelper(
      facts({name: 'conmon', uid: 1001, executable: genuine('/usr/bin/conmon'), parent: null}),
      helperSpecs,
    );
    expect(userConmon).toMatchObject({trusted: true, rule: {owner: 'user'}});
  });

  it('ignores processes no profile names', () => {
    expect(judgeHelper(facts({name: 'nginx'}), helperSpecs)).toBeNull();
  });

  it.each([
    [
      'another program under the name',
      facts({name: 'conmon', uid: 1001, user: 'ndlab', executable: genuine('/usr/bin/python3.11')}),
      'named conmon, but /usr/bin/python3.11 run by ndlab: not trusted',
    ],
    [
      'a copy of the binary the user can change',
      facts({
        uid: 1001,
        user: 'ndlab',
        executable: {path: '/home/ndlab/docker-proxy', ownerUid: 1001, isReplaceable: true},
      }),
      'named docker-proxy, but /home/ndlab/docker-proxy (a file someone other than root can change) run by ndlab: not trusted',
    ],
    [
      'a root-owned file in a folder others can write',
      facts({executable: {path: '/tmp/docker-proxy', ownerUid: 0, isReplaceable: true}}),
      'named docker-proxy, but /tmp/docker-proxy (a file someone other than root can change) run by root: not trusted',
    ],
    [
      'an executable that cannot be read',
      facts({executable: null}),
      'named docker-proxy, but an unreadable executable run by root: not trusted',
    ],
    [
      'the real docker-proxy run by a user',
      facts({uid: 1001, user: 'ndlab'}),
      'docker-proxy runs as ndlab, which no engine',
    ],
    [
      'the real docker-proxy started by a shell',
      facts({parent: {pid: 42, name: 'bash', executable: genuine('/usr/bin/bash')}}),
      'docker-proxy is started by dockerd, but this one has parent /usr/bin/bash (42): not trusted',
    ],
    [
      'a rootlessport run by root (rootless helpers never are)',
      facts({
        name: 'rootlessport',
        executable: genuine('/usr/lib/podman/rootlessport'),
        parent: null,
      }),
      'rootlessport runs as root, which no engine',
    ],
  ])('refuses %s, saying why', (_what, process, reason) => {
    const verdict = judgeHelper(process, helperSpecs);
    expect(verdict?.trusted).toBe(false);
    expect(verdict && !verdict.trusted ? verdict.reason : '').toContain(reason);
  });
});
