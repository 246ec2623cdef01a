import {createHash} from 'node:crypto';
import {mkdirSync, mkdtempSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {describe, expect, it} from 'vitest';
import {planFleet} from '../../source/fleet.js';

/** A docker config folder with the given contexts (name -> docker host). */
function dockerConfig(contexts: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'nd-plan-'));
  for (const [name, host] of Object.entries(contexts)) {
    const digest = createHash('sha256').update(name).digest('hex');
    const meta = join(dir, 'contexts', 'meta', digest);
    mkdirSync(meta, {recursive: true});
    writeFileSync(
      join(meta, 'meta.json'),
      JSON.stringify({Name: name, Endpoints: {docker: {Host: host}}}),
    );
  }
  return dir;
}

describe('planFleet: --host values to hosts', () => {
  const env = {
    DOCKER_CONFIG: dockerConfig({
      prod: 'ssh://deploy@prod-1',
      'prod-again': 'ssh://deploy@prod-1',
      build: 'tcp://10.1.2.3:2375',
      loop: 'tcp://127.0.0.1:2375',
    }),
  };
  const options = {env, home: '/nonexistent', hostname: 'here'};

  it("groups this machine's engines as one host, and names remotes by their context", () => {
    const plan = planFleet(
      ['unix:///var/run/docker.sock', 'loop', 'prod', 'ssh://root@db-1:2222'],
      options,
    );
    expect(plan.problems).toEqual([]);
    expect(plan.hosts.map((host) => [host.name, host.kind, host.endpoints])).toEqual([
      ['here', 'local', ['unix:///var/run/docker.sock', 'tcp://127.0.0.1:2375']],
      ['prod', 'ssh', ['ssh://deploy@prod-1']],
      ['db-1', 'ssh', ['ssh://root@db-1:2222']],
    ]);
  });

  it('all-contexts takes every context, default included; the same engine twice is one host entry', () => {
    const plan = planFleet(['all-contexts'], options);
    const names = plan.hosts.map((host) => host.name);
    expect(names).toContain('here');
    expect(names).toContain('prod');
    expect(names).toContain('build');
    expect(plan.hosts.find((host) => host.name === 'build')?.kind).toBe('tcp');
  });

  it('a value that names no engine is a problem that says which and why', () => {
    const plan = planFleet(['nosuchcontext', 'ssh://-oProxyCommand=x'], options);
    expect(plan.hosts).toEqual([]);
    expect(plan.problems).toHaveLength(2);
    expect(plan.problems[0]).toMatch(/^--host nosuchcontext: /);
    expect(plan.problems[1]).toMatch(/^--host ssh:\/\/-oProxyCommand=x: /);
  });
});
