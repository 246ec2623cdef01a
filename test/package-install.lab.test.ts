import {existsSync, readFileSync} from 'node:fs';
import {mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {afterAll, describe, expect, it} from 'vitest';
import type {JsonRow} from '../source/model/format.js';
import {lab, shouldSkipLab} from './helpers/lab.js';
import {readPackReport, run} from './helpers/npm.js';

const root = fileURLToPath(new URL('..', import.meta.url));

const skip = await shouldSkipLab('Docker', lab.docker.address);

describe.skipIf(skip)('the packed tarball, installed with npm i -g --prefix', () => {
  let directory = '';
  afterAll(async () => {
    if (directory !== '') {
      await rm(directory, {recursive: true, force: true});
    }
  });

  it('installs without a warning about prepare, and its nanodock-top answers --version and --json', async () => {
    directory = await mkdtemp(join(tmpdir(), 'i10pkg-install-'));
    // dist is the global setup's build; test/package.test.ts covers the prepack build, so
    // skipping it here saves a second build (about 10 s on this machine).
    const report = readPackReport(
      await run(
        'npm',
        ['pack', '--json', '--ignore-scripts', '--pack-destination', directory],
        root,
        90_000,
      ),
    );
    const tarball = join(directory, report.filename);
    expect(existsSync(tarball)).toBe(true);

    const prefix = join(directory, 'prefix');
    const install = await run(
      'npm',
      ['install', '--global', '--prefix', prefix, '--no-audit', '--no-fund', tarball],
      directory,
      120_000,
    );
    expect(install.code, install.stderr).toBe(0);
    expect(install.stderr).not.toMatch(/prepare|install-scripts/);

    const bin = join(prefix, 'bin', 'nanodock-top');
    const version = await run(bin, ['--version'], directory, 20_000);
    expect(version.code, version.stderr).toBe(0);
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      version: string;
    };
    expect(version.stdout.trim()).toBe(manifest.version);

    const json = await run(bin, ['--json', '--port', String(lab.docker.port)], directory, 30_000);
    expect(json.code, json.stderr).toBe(0);
    const rows = JSON.parse(json.stdout) as JsonRow[];
    expect(rows.some((row) => row.container?.name === lab.docker.container)).toBe(true);
  }, 240_000);
});
