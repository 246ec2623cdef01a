import {execFile} from 'node:child_process';
import {expect} from 'vitest';

/** npm settings a user may rely on (registry, cache, TLS, proxies); every other npm_* is dropped. */
const keptNpmConfig = new Set([
  'npm_config_registry',
  'npm_config_cache',
  'npm_config_userconfig',
  'npm_config_globalconfig',
  'npm_config_cafile',
  'npm_config_ca',
  'npm_config_strict_ssl',
  'npm_config_proxy',
  'npm_config_https_proxy',
  'npm_config_noproxy',
]);

/**
 * This process's environment without what `npm test` sets for its scripts (lifecycle and
 * package variables, `npm_config_loglevel`, `npm_config_prefix`, ...): a child npm would read
 * those as its own settings.
 */
export function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.toLowerCase().startsWith('npm_') || keptNpmConfig.has(key.toLowerCase())) {
      env[key] = value;
    }
  }
  return env;
}

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function run(command: string, args: string[], cwd: string, timeoutMs: number): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      {cwd, env: userEnv(), timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024},
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolve({code, stdout, stderr});
      },
    );
  });
}

/** What `npm pack --json` says about one tarball. */
export interface PackReport {
  readonly filename: string;
  readonly files: readonly {readonly path: string}[];
}

export function readPackReport(result: Run): PackReport {
  expect(result.code, result.stderr).toBe(0);
  const reports = JSON.parse(result.stdout) as PackReport[];
  expect(reports).toHaveLength(1);
  return reports[0] as PackReport;
}
