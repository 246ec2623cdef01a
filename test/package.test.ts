import {readdirSync, readFileSync} from 'node:fs';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {describe, expect, it} from 'vitest';
import {readPackReport, run} from './helpers/npm.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Scripts npm runs when a package is installed (prepare too, for a tarball or a folder). */
const installScripts = ['preinstall', 'install', 'postinstall', 'preprepare', 'prepare'];

describe('the packed package (npm pack)', () => {
  it('ships LICENSE, README, package.json and the built JS with its .d.ts; no maps, no sources, no tests', async () => {
    // Runs prepack as a real pack does: a clean build of dist.
    const report = readPackReport(await run('npm', ['pack', '--dry-run', '--json'], root, 90_000));
    const paths = report.files.map((file) => file.path);
    for (const path of [
      'LICENSE',
      'README.md',
      'package.json',
      'dist/cli.js',
      'dist/index.js',
      'dist/index.d.ts',
    ]) {
      expect(paths).toContain(path);
    }
    expect(paths.filter((path) => path.endsWith('.map'))).toEqual([]);
    expect(
      paths.filter((path) => !/^(dist\/|LICENSE$|README\.md$|package\.json$)/.test(path)),
    ).toEqual([]);
    // Every module has its declarations, and nothing from source/ or test/ rides along in dist.
    const modules = paths.filter((path) => path.endsWith('.js'));
    for (const module of modules) {
      expect(paths).toContain(module.replace(/\.js$/, '.d.ts'));
    }
    expect(paths.filter((path) => /\.tsx?$/.test(path) && !path.endsWith('.d.ts'))).toEqual([]);
    expect(paths.filter((path) => /(^|\/)(source|test)\//.test(path))).toEqual([]);
    // The pack cleaned dist first: maps of an older build are gone from the folder too.
    const leftovers = readdirSync(join(root, 'dist'), {recursive: true, encoding: 'utf8'}).filter(
      (path) => path.endsWith('.map'),
    );
    expect(leftovers).toEqual([]);
  }, 120_000);

  it('has a build for npm pack and npm publish (prepack) and no script an install would run', async () => {
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
      license: string;
    };
    expect(manifest.scripts.prepack).toContain('npm run build');
    expect(installScripts.filter((name) => name in manifest.scripts)).toEqual([]);
    expect(manifest.license).toBe('MIT');
  });
});
