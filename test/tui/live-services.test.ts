import {spawn} from 'node:child_process';
import {readFileSync} from 'node:fs';
import {describe, expect, it} from 'vitest';
import {parseProcStat} from '../../source/host/proc-process.js';
import {createLiveServices} from '../../source/tui/live-services.js';

describe('live services: signalling the process the prompt showed', () => {
  it('sends nothing to a pid whose process has exited, and the status line says so', async () => {
    const child = spawn('sleep', ['30'], {stdio: 'ignore'});
    await new Promise((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    const pid = child.pid as number;
    const stat = parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    expect(stat?.comm).toBe('sleep');
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;

    const status = await createLiveServices().runAction({
      kind: 'process',
      pid,
      startTicks: stat?.startTicks ?? null,
      name: 'sleep',
      signal: 'SIGTERM',
    });
    expect(status.tone).toBe('error');
    expect(status.text).toMatch(new RegExp(`^sleep \\(${pid}\\) has exited.*nothing was sent$`));
  });
});
