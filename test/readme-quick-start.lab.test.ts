import {execFile, spawn} from 'node:child_process';
import {mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {afterAll, describe, expect, it} from 'vitest';
import {lab, shouldSkipLab} from './helpers/lab.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const readme = readFileSync(join(root, 'README.md'), 'utf8');

/** The first ```js block of the README's "Quick start" section. */
function quickStartCode(): string {
  const section = readme.slice(readme.indexOf('## Quick start\n'));
  const block = /```js\n([\s\S]*?)```/.exec(section.slice(0, section.indexOf('\n## ', 1)));
  if (block?.[1] === undefined) {
    throw new Error('README.md: no ```js block in the Quick start section');
  }
  return block[1];
}

/**
 * Runs `code` as `node ports.mjs` would in the clone (stdin as an ES module, the clone as the
 * working folder, so `nanodock` resolves to this package), with `env` and no engine variable
 * or docker config of this process's own, and a home folder of its own.
 */
function runInClone(
  code: string,
  env: Record<string, string>,
): Promise<{code: number; stdout: string; stderr: string}> {
  const clean: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(DOCKER_|CONTAINER_HOST|CONTAINER_CONNECTION)/.test(key)) {
      clean[key] = value;
    }
  }
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--input-type=module'], {
      cwd: root,
      env: {...clean, HOME: home, ...env},
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: 30_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('close', (status) => resolve({code: status ?? 1, stdout, stderr}));
    child.stdin.end(code);
  });
}

const home = mkdtempSync(join(tmpdir(), 'i10pkg-readme-'));
afterAll(() => rmSync(home, {recursive: true, force: true}));

const skip = await shouldSkipLab('Docker', lab.docker.address);
const tlsEnv = {
  DOCKER_HOST: lab.tls.address,
  DOCKER_TLS_VERIFY: '1',
  DOCKER_CERT_PATH: lab.tls.certs,
};

describe.skipIf(skip)("the README's quick start, run against the lab", () => {
  it('prints each container with its short id, image and ports, then the owner of port 18080', async () => {
    const result = await runInClone(quickStartCode(), {});
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^nd-web [0-9a-f]{12} nanodock-lab\/busybox:latest (\*:1808[0-4]\/(tcp|udp) ?){5}$/,
      ),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^nd-podman-web [0-9a-f]{12} localhost\/nanodock-lab\/busybox:latest \*:18085\/tcp \*:18086\/udp$/,
      ),
    );
    expect(lines.at(-1)).toBe('port 18080: nd-web');
    // As the README says: the TLS engine is not found unless named.
    expect(result.stdout).not.toContain(lab.tls.container);
  });

  it('reaches the TLS engine through DOCKER_HOST, and then only it', async () => {
    const result = await runInClone(quickStartCode(), tlsEnv);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(
      /^nd-tls-web [0-9a-f]{12} nanodock-lab\/busybox:latest 127\.0\.0\.1:18095\/tcp$/m,
    );
    expect(result.stdout).not.toContain(lab.docker.container);
    expect(result.stdout.trim().split('\n').at(-1)).toBe('port 18080: not-found');
  });

  it("reaches the TLS engine through the README's docker context, along with the others", async () => {
    const config = join(home, 'docker-config');
    const command = /`(docker context create lab-tls --docker\s+"[^"]+")`/.exec(readme)?.[1];
    expect(command).toBeDefined();
    const dockerArgs = [
      'context',
      'create',
      'lab-tls',
      '--docker',
      /"([^"]+)"/.exec(command ?? '')?.[1] ?? '',
    ];
    await new Promise<void>((resolve, reject) => {
      execFile('docker', dockerArgs, {env: {...process.env, DOCKER_CONFIG: config}}, (error) =>
        error ? reject(error) : resolve(),
      );
    });
    const result = await runInClone(quickStartCode(), {
      DOCKER_CONFIG: config,
      DOCKER_CONTEXT: 'lab-tls',
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^nd-tls-web /m);
    expect(result.stdout).toMatch(/^nd-web /m);
  });
});
