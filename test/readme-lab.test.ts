import {readFileSync} from 'node:fs';
import {describe, expect, it} from 'vitest';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const labScript = readFileSync(new URL('../scripts/lab.sh', import.meta.url), 'utf8');

/** Published `-p HOST:CONTAINER` specs (not httpd's `-p 80`) as the README writes them: `18080:80` -> `18080/tcp`, `127.0.0.1:18095:80` -> `127.0.0.1:18095/tcp`. */
function publishedAs(spec: string): string {
  const [mapping = '', protocol = 'tcp'] = spec.split('/');
  const parts = mapping.split(':');
  const host = parts.length === 3 ? `${parts[0]}:${parts[1]}` : (parts[0] ?? '');
  return `${host}/${protocol}`;
}

/** Every standing container of scripts/lab.sh (`X_CTR=name`, `X_ARGS=(... -p spec ...)`) and its ports. */
function labContainers(): Map<string, string[]> {
  const containers = new Map<string, string[]>();
  for (const match of labScript.matchAll(/^([A-Z_]+)_CTR=(\S+)$/gm)) {
    const [, prefix = '', name = ''] = match;
    const args = new RegExp(`^${prefix}_ARGS=\\(([^)]*)\\)`, 'm').exec(labScript)?.[1] ?? '';
    const ports = [...args.matchAll(/(?:^|\s)-p (\S+:\S+)/g)].map((port) =>
      publishedAs(port[1] ?? ''),
    );
    containers.set(name, ports);
  }
  return containers;
}

/** The README's lab table: container -> the ports its row lists. */
function readmeLabTable(): Map<string, string[]> {
  const section = readme.slice(readme.indexOf('## The lab'));
  const rows = new Map<string, string[]>();
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((cell) => cell.trim());
    const name = /^`(nd-[a-z-]+)`$/.exec(cells[3] ?? '')?.[1];
    if (name !== undefined) {
      const ports = (cells[4] ?? '').replace(/\s*\(.*\)$/, '').split(', ');
      rows.set(name, ports);
    }
    if (rows.size > 0 && !line.startsWith('|')) {
      break;
    }
  }
  return rows;
}

describe("the README's lab table", () => {
  it('lists every standing container of scripts/lab.sh with exactly its ports', () => {
    const fromScript = labContainers();
    expect([...fromScript.keys()].sort()).toEqual([
      'nd-demo',
      'nd-podman-web',
      'nd-rootless-web',
      'nd-tls-web',
      'nd-web',
    ]);
    expect(fromScript.get('nd-web')).toEqual(['18080/tcp', '18081/udp', '18082-18084/tcp']);
    expect(Object.fromEntries(readmeLabTable())).toEqual(Object.fromEntries(fromScript));
  });

  it('says demo.tape kills nd-demo, and names both addresses of the TLS engine', () => {
    const table = readme.slice(readme.indexOf('## The lab'));
    expect(table).toMatch(/\| `nd-demo` \| 18088\/tcp \(`demo\.tape` kills it/);
    expect(table).toContain('`tcp://127.0.0.1:2376`');
    expect(table).toContain('`unix:///var/run/docker-tls.sock`');
    expect(labScript).toContain('B_SOCK=/var/run/docker-tls.sock');
    expect(labScript).toContain('B_TCP_PORT=2376');
  });
});
