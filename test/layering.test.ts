import {readdirSync, readFileSync, statSync} from 'node:fs';
import {dirname, join, normalize, relative} from 'node:path';
import {fileURLToPath} from 'node:url';
import {describe, expect, it} from 'vitest';

const root = fileURLToPath(new URL('../source', import.meta.url));

function listSources(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? listSources(path) : /\.tsx?$/.test(entry) ? [path] : [];
  });
}

const files = listSources(root);
const texts = new Map(files.map((file) => [file, readFileSync(file, 'utf8')]));

/** Every relative import or re-export of a file, type-only ones included, as source paths. */
function importsOf(file: string): string[] {
  const text = texts.get(file) ?? '';
  const found: string[] = [];
  for (const match of text.matchAll(/(?:import|export)[^;]*?from '(\.[^']+)'/gs)) {
    const base = normalize(join(dirname(file), match[1] ?? '')).replace(/\.js$/, '');
    const target = [`${base}.ts`, `${base}.tsx`].find((candidate) => texts.has(candidate));
    if (target !== undefined) {
      found.push(target);
    }
  }
  return found;
}

/** Strongly connected components of more than one file (Tarjan). */
function findCycles(): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (file: string): void => {
    indices.set(file, index);
    low.set(file, index);
    index++;
    stack.push(file);
    onStack.add(file);
    for (const next of importsOf(file)) {
      if (!indices.has(next)) {
        visit(next);
        low.set(file, Math.min(low.get(file) ?? 0, low.get(next) ?? 0));
      } else if (onStack.has(next)) {
        low.set(file, Math.min(low.get(file) ?? 0, indices.get(next) ?? 0));
      }
    }
    if (low.get(file) === indices.get(file)) {
      const component: string[] = [];
      let member: string | undefined;
      do {
        member = stack.pop();
        if (member !== undefined) {
          onStack.delete(member);
          component.push(relative(root, member));
        }
      } while (member !== undefined && member !== file);
      if (component.length > 1 || importsOf(file).includes(file)) {
        cycles.push(component.sort());
      }
    }
  };
  for (const file of files) {
    if (!indices.has(file)) {
      visit(file);
    }
  }
  return cycles;
}

describe('layering of source/', () => {
  it('has no import cycles, type-only imports included', () => {
    expect(findCycles()).toEqual([]);
  });

  it('keeps model/ pure: no node: modules', () => {
    const impure = files
      .filter((file) => relative(root, file).startsWith('model/'))
      .filter((file) => /from 'node:/.test(texts.get(file) ?? ''));
    expect(impure.map((file) => relative(root, file))).toEqual([]);
  });

  it('keeps engine/ and host/ below the snapshot, the stop routing and the TUI', () => {
    const upward = files
      .filter((file) => /^(engine|host|model|errors)\//.test(relative(root, file)))
      .flatMap((file) =>
        importsOf(file)
          .map((target) => relative(root, target))
          .filter((target) => /^(tui\/|snapshot\.ts|stop\.ts|cli)/.test(target))
          .map((target) => `${relative(root, file)} -> ${target}`),
      );
    expect(upward).toEqual([]);
  });
});
