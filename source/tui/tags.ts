import type {ContainerInfo} from '../model/container-info.js';
import type {Snapshot} from '../snapshot.js';
import type {AppState, ContainerTarget} from './types.js';

/** The container a row or group names, as an action keeps it. */
export function targetOf(container: ContainerInfo): ContainerTarget {
  return {
    containerId: container.id,
    name: container.name,
    endpoint: container.endpoint,
    engine: container.engine,
  };
}

/**
 * `containers` tagged, or untagged when every one of them is tagged already (Space on a
 * container tags or untags it; on a project, all of its containers at once).
 */
export function toggleTags(
  tags: AppState['tags'],
  containers: readonly ContainerInfo[],
): AppState['tags'] {
  const taggable = containers.filter((container) => container.id !== '');
  if (taggable.length === 0) {
    return tags;
  }
  const next = {...tags};
  if (taggable.every((container) => tags[container.id] !== undefined)) {
    for (const container of taggable) {
      delete next[container.id];
    }
  } else {
    for (const container of taggable) {
      next[container.id] = targetOf(container);
    }
  }
  return next;
}

const noTags: AppState['tags'] = {};

/**
 * The tags whose container is still in `snapshot` (a tag drops with its container). The
 * same object when none dropped, so an unchanged state stays unchanged.
 */
export function pruneTags(tags: AppState['tags'], snapshot: Snapshot): AppState['tags'] {
  const ids = Object.keys(tags);
  if (ids.length === 0) {
    return tags;
  }
  const present = new Set<string>();
  for (const row of snapshot.rows) {
    if (row.container !== null) {
      present.add(row.container.id);
    }
  }
  const kept = ids.filter((id) => present.has(id));
  if (kept.length === ids.length) {
    return tags;
  }
  if (kept.length === 0) {
    return noTags;
  }
  return Object.fromEntries(kept.map((id) => [id, tags[id] as ContainerTarget]));
}

/** Containers in the order of their names (then ids), as a prompt names them. */
export function byName(targets: readonly ContainerTarget[]): ContainerTarget[] {
  return [...targets].sort(
    (a, b) => a.name.localeCompare(b.name) || a.containerId.localeCompare(b.containerId),
  );
}

/** The tagged containers, in the order of their names (then ids). */
export function taggedTargets(tags: AppState['tags']): ContainerTarget[] {
  return byName(Object.values(tags));
}
