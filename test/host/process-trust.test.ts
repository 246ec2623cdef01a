import {spawn} from 'node:child_process';
import {mkdtempSync, rmSync, symlinkSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {readProcessTrustFacts} from '../../source/host/process-trust.js';
import {judgeHelper} from '../../source/model/helper.js';
import {helperSpecs} from '../../source/profiles/registry.js';

const folder = mkdtempSync(join(tmpdir(), 'nanodock-trust-'));
afterAll(() => rmSync(folder, {recursive: true, force: true}));

describe('readProcessTrustFacts', () => {
  it('reads the real executable behind a name, and the parent', async () => {
    // The kernel takes the name from the link, the executable from its target.
    const link = join(folder, 'conmon');
    symlinkSync('/bin/sleep', link);
    const child = spawn(link, ['30'], {stdio: 'ignore'});
    try {
      await new Promise((resolve) => child.once('spawn', resolve));
      const facts = await readProcessTrustFacts(child.pid ?? -1);
      expect(facts?.name).toBe('conmon');
      expect(facts?.executable?.path).toMatch(/\/sleep$/);
      expect(facts?.executable?.ownerUid).toBe(0);
      expect(facts?.parent?.pid).toBe(process.pid);
      const verdict = facts === null ? null : judgeHelper(facts, helperSpecs);
      expect(verdict).toMatchObject({trusted: false, kind: 'conmon'});
      expect(verdict && !verdict.trusted ? verdict.reason : '').toMatch(
        /^named conmon, but \/.*sleep run by .*: not trusted$/,
      );
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('gives null for a process that is gone', async () => {
    expect(await readProcessTrustFacts(2 ** 22 + 1)).toBeNull();
  });
});
