import {describe, expect, it} from 'vitest';
import type {CliFlags} from '../source/cli-args.js';
import {resolveCliConfig} from '../source/cli-config.js';
import {noFlags} from './helpers/cli.js';

const terminal = {isTty: true, noColorEnv: false};

function resolve(flags: Partial<CliFlags>) {
  return resolveCliConfig({...noFlags, ...flags}, terminal);
}

describe('resolveCliConfig', () => {
  it('reads --interval in ms, s, m or bare seconds, within 100ms to 1h', () => {
    expect(resolve({})).toMatchObject({intervalMs: 2000});
    for (const [text, ms] of [
      ['500ms', 500],
      ['2s', 2000],
      ['1.5s', 1500],
      ['1m', 60_000],
      ['3', 3000],
      [' 250ms ', 250],
      ['100ms', 100],
      ['60m', 3_600_000],
    ] as const) {
      expect(resolve({interval: text}), text).toMatchObject({intervalMs: ms});
    }
  });

  it('refuses an --interval that is not a duration or is out of range, saying why', () => {
    for (const text of ['fast', '2h', '-1s', '1e3', '']) {
      expect(resolve({interval: text}), text).toMatch(/^--interval: .* is not a duration/);
    }
    for (const text of ['99ms', '0', '61m', '3601s']) {
      expect(resolve({interval: text}), text).toBe(
        `--interval: ${text} is out of range (100ms to 1h)`,
      );
    }
  });

  it('reads --sort by column id or title, with - for descending', () => {
    expect(resolve({})).toMatchObject({sort: 'port', descending: false});
    expect(resolve({sort: 'uptime'})).toMatchObject({sort: 'uptime', descending: false});
    expect(resolve({sort: '-PROCESS'})).toMatchObject({sort: 'process', descending: true});
    expect(resolve({sort: 'Container'})).toMatchObject({sort: 'container', descending: false});
  });

  it('refuses an unknown --sort column and lists the known ones', () => {
    const reason = resolve({sort: '-size'});
    expect(reason).toMatch(/^--sort: "-size" is not a column \(host, proto, address, port, pid,/);
    expect(reason).toContain('prefix - for descending');
  });

  it('carries --group to every mode; --json --group is accepted (its JSON is unchanged)', () => {
    expect(resolve({})).toMatchObject({group: false});
    expect(resolve({group: true})).toMatchObject({mode: 'interactive', group: true});
    expect(resolve({group: true, once: true})).toMatchObject({mode: 'once', group: true});
    expect(resolve({group: true, json: true})).toMatchObject({mode: 'json', group: true});
    expect(
      resolveCliConfig({...noFlags, group: true}, {isTty: false, noColorEnv: false}),
    ).toMatchObject({mode: 'once', group: true});
  });
});
