import type {ContainerInfo} from '../model/container-info.js';
import type {HelperResolution} from '../model/helper.js';

export type {HelperResolution};

/** The container of a 'match', else null (an ambiguous helper names no container). */
export function matchedContainer(resolution: HelperResolution): ContainerInfo | null {
  return resolution.kind === 'match' ? resolution.container : null;
}

/**
 * One container: a 'match'. Several distinct ones (by id and endpoint): 'ambiguous', in the
 * order given. None: 'none'. Repeated warnings are kept once.
 */
export function toHelperResolution(
  containers: readonly ContainerInfo[],
  warnings: readonly string[],
): HelperResolution {
  const distinct = new Map<string, ContainerInfo>();
  for (const container of containers) {
    const key = `${container.endpoint ?? ''}\n${container.id}`;
    if (!distinct.has(key)) {
      distinct.set(key, container);
    }
  }
  // A file refused by the cache check and again by the scan is one warning.
  const lines = [...new Set(warnings)];
  const [first, ...rest] = distinct.values();
  if (first === undefined) {
    return {kind: 'none', warnings: lines};
  }
  return rest.length === 0
    ? {kind: 'match', container: first, warnings: lines}
    : {kind: 'ambiguous', candidates: [first, ...rest], warnings: lines};
}
