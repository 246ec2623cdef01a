import {readFileSync} from 'node:fs';
import {describe, expect, it} from 'vitest';
import {parseEngineStats, parsePodmanCliStats} from '../../source/engine/stats.js';
import {InvalidJsonError} from '../../source/errors/invalid-json-error.js';
import {cpuPercentBetween} from '../../source/model/container-stats.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`../fixtures/stats/${name}`, import.meta.url), 'utf8');

describe('parseEngineStats on captured bodies', () => {
  it('Docker 20.10, running: CPU share as docker stats, memory without inactive files, eth0', () => {
    const stats = parseEngineStats(fixture('docker-20.10-running.json'));
    expect(stats).toMatchObject({
      read: expect.stringMatching(/^2026-/),
      cpu: {totalNs: 19_206_399_164, systemNs: 84_162_610_000_000, onlineCpus: 2},
      // total_inactive_file is 0 here.
      memoryBytes: 655_360,
      memoryLimitBytes: 25_275_953_152,
      networkRxBytes: 1006,
      networkTxBytes: 0,
      pids: 2,
    });
    // (31,596,164 ns of the container / 1,990,000,000 ns of the host) * 2 CPUs * 100.
    expect(stats?.cpuPercent).toBeCloseTo(3.1755, 3);
  });

  it('Docker 20.10, stopped (zeros, read at Go zero time): not running', () => {
    expect(parseEngineStats(fixture('docker-20.10-stopped.json'))).toBeNull();
  });

  it('Podman 4.3 compat, running: no previous sample, so no CPU share; the counters still', () => {
    expect(parseEngineStats(fixture('podman-4.3-compat-running.json'))).toEqual({
      read: expect.stringMatching(/^2026-/),
      cpuPercent: null,
      cpu: {totalNs: 18_984_897_141, systemNs: 43_281_921_105_169, onlineCpus: 2},
      memoryBytes: 946_176,
      memoryLimitBytes: 25_275_953_152,
      networkRxBytes: 1006,
      networkTxBytes: 7630,
      pids: 2,
    });
  });

  it('Podman 4.3 compat, stopped: an empty 200 body, not running', () => {
    expect(parseEngineStats('')).toBeNull();
  });
});

describe('parseEngineStats, defensively', () => {
  it('refuses a body that is not a JSON object with InvalidJsonError', () => {
    expect(() => parseEngineStats('{"read":', 'unix:///x.sock')).toThrow(InvalidJsonError);
    expect(() => parseEngineStats('[1]')).toThrow(/not a JSON object/);
    expect(() => parseEngineStats('null')).toThrow(InvalidJsonError);
  });

  it('subtracts the inactive file cache as docker CLI: cgroup v1 first, then v2', () => {
    const memory = (stats: object) =>
      parseEngineStats(JSON.stringify({memory_stats: {usage: 1000, limit: 5000, stats}}))
        ?.memoryBytes;
    expect(memory({total_inactive_file: 300, inactive_file: 100})).toBe(700);
    expect(memory({inactive_file: 100})).toBe(900);
    // A cache larger than the usage (racy counters) is not subtracted.
    expect(memory({total_inactive_file: 2000})).toBe(1000);
    expect(memory({})).toBe(1000);
  });

  it('sums every interface; null without networks (host network) or with odd fields', () => {
    const two = parseEngineStats(
      JSON.stringify({
        networks: {eth0: {rx_bytes: 10, tx_bytes: 1}, eth1: {rx_bytes: 5, tx_bytes: 2}},
      }),
    );
    expect([two?.networkRxBytes, two?.networkTxBytes]).toEqual([15, 3]);
    const none = parseEngineStats(JSON.stringify({read: '2026-01-01T00:00:00Z'}));
    expect(none).toEqual({
      read: '2026-01-01T00:00:00Z',
      cpuPercent: null,
      cpu: null,
      memoryBytes: null,
      memoryLimitBytes: null,
      networkRxBytes: null,
      networkTxBytes: null,
      pids: null,
    });
    const odd = parseEngineStats(
      JSON.stringify({networks: {eth0: {rx_bytes: '10'}}, pids_stats: {current: -1}}),
    );
    expect([odd?.networkRxBytes, odd?.pids]).toEqual([null, null]);
  });

  it('counts CPUs from percpu_usage when online_cpus is missing (older engines)', () => {
    const stats = parseEngineStats(
      JSON.stringify({
        cpu_stats: {
          cpu_usage: {total_usage: 300, percpu_usage: [1, 2, 3, 4]},
          system_cpu_usage: 2000,
        },
        precpu_stats: {cpu_usage: {total_usage: 100}, system_cpu_usage: 1000},
      }),
    );
    expect(stats?.cpuPercent).toBe(80);
  });
});

describe('cpuPercentBetween', () => {
  it('is the container share of the host time, times the CPUs; 0 when idle; null without host time', () => {
    const at = (totalNs: number, systemNs: number | null) => ({totalNs, systemNs, onlineCpus: 2});
    expect(cpuPercentBetween(at(0, 1000), at(250, 2000))).toBe(50);
    expect(cpuPercentBetween(at(250, 1000), at(250, 2000))).toBe(0);
    expect(cpuPercentBetween(at(0, null), at(250, 2000))).toBeNull();
    expect(cpuPercentBetween(at(0, 2000), at(250, 2000))).toBeNull();
    expect(cpuPercentBetween(at(300, 1000), at(250, 2000))).toBeNull();
  });
});

describe('parsePodmanCliStats', () => {
  const id = 'e71c9d1511e979bc32c596c59174f43f34aa95964514a22acaf343d45a0b69c6';

  it("reads podman 4.3's raw numbers (root's podman: rootless refuses on cgroup v1)", () => {
    expect(parsePodmanCliStats(fixture('podman-4.3-cli-containerstats.jsonl'), id)).toEqual({
      read: null,
      cpuPercent: expect.closeTo(2.892, 3),
      cpu: null,
      memoryBytes: 593_920,
      memoryLimitBytes: 25_275_953_152,
      networkRxBytes: 1006,
      networkTxBytes: 7630,
      pids: 2,
    });
  });

  it('refuses output without that container, or not JSON, with InvalidJsonError', () => {
    expect(() =>
      parsePodmanCliStats(fixture('podman-4.3-cli-containerstats.jsonl'), 'a'.repeat(64)),
    ).toThrow(InvalidJsonError);
    expect(() => parsePodmanCliStats('', id)).toThrow(/no stats/);
    expect(() => parsePodmanCliStats('ID NAME CPU %\n', id)).toThrow(/not JSON/);
  });
});
