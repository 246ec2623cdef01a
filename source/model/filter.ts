import type {SnapshotRow} from './snapshot-row.js';

/**
 * A row filter: a port or a port range (exact), the ports a decimal prefix begins (`1808`
 * at the prompt: 1808, 18080-18089, …), or text matched against names.
 */
export type RowFilter =
  | {readonly kind: 'none'}
  | {readonly kind: 'port'; readonly from: number; readonly to: number}
  | {readonly kind: 'port-prefix'; readonly prefix: string}
  | {readonly kind: 'text'; readonly needle: string};

const noFilter: RowFilter = {kind: 'none'};

function toPort(text: string): number | undefined {
  if (!/^\d{1,5}$/.test(text)) {
    return undefined;
  }
  const port = Number(text);
  return port >= 1 && port <= 65_535 ? port : undefined;
}

/**
 * A port filter from `5432` or `3000-4000`; a string saying what is wrong otherwise
 * (for `--port`, which takes ports only).
 */
export function parsePortFilter(text: string): RowFilter | string {
  const trimmed = text.trim();
  const range = /^(\d+)\s*-\s*(\d+)$/.exec(trimmed);
  if (range) {
    const from = toPort(range[1] ?? '');
    const to = toPort(range[2] ?? '');
    if (from === undefined || to === undefined) {
      return `port range "${text}" must be two ports from 1 to 65535, like 3000-4000`;
    }
    if (from > to) {
      return `port range "${text}" runs backwards: write ${to}-${from}`;
    }
    return {kind: 'port', from, to};
  }
  const port = toPort(trimmed);
  if (port === undefined) {
    return `"${text}" is not a port (1-65535) or a range like 3000-4000`;
  }
  return {kind: 'port', from: port, to: port};
}

/**
 * The filter a user typed at the `/` prompt. Digits are a port prefix (`1808` shows 1808 and
 * 18080-18089 …, so what the prompt shows while typing is what stays after Enter); `=1808`
 * is that port exactly; `A-B` is a range; anything else is text (case-insensitive) matched
 * against process, container, compose project, image, user, helper and host. Empty means none.
 * Never throws.
 */
export function parseFilter(text: string): RowFilter {
  const trimmed = text.trim();
  if (trimmed === '') {
    return noFilter;
  }
  if (/^[1-9]\d{0,4}$/.test(trimmed) && Number(trimmed) <= 65_535) {
    return {kind: 'port-prefix', prefix: trimmed};
  }
  const exact = /^=\s*(\d+)$/.exec(trimmed);
  const exactPort = exact === null ? undefined : toPort(exact[1] ?? '');
  if (exactPort !== undefined) {
    return {kind: 'port', from: exactPort, to: exactPort};
  }
  if (/^\d+\s*-\s*\d+$/.test(trimmed)) {
    const parsed = parsePortFilter(trimmed);
    if (typeof parsed !== 'string') {
      return parsed;
    }
  }
  return {kind: 'text', needle: trimmed.toLowerCase()};
}

/** Whether a row passes a filter. */
export function matchesFilter(row: SnapshotRow, filter: RowFilter): boolean {
  switch (filter.kind) {
    case 'none':
      return true;
    case 'port':
      // A range row matches when any of its ports is in the filter's range.
      return row.lastPort >= filter.from && row.port <= filter.to;
    case 'port-prefix':
      return hasPortWithPrefix(row.port, row.lastPort, filter.prefix);
    case 'text': {
      const needle = foldCase(filter.needle);
      const container = row.container;
      const fields = [
        row.process,
        row.user,
        container?.name,
        container?.composeProject,
        container?.image,
        row.helper,
        row.host?.name,
      ];
      return fields.some((field) => (field == null ? false : foldCase(field).includes(needle)));
    }
  }
}

/**
 * Text folded for a case-insensitive match: lower case, with the final sigma (ς) as σ.
 * toLowerCase() writes a capital sigma that ends a word as ς, so `ΟΔΟΣ` became `οδος` and the
 * `Σ` in it, typed alone (`σ`), did not match; no other letter lowers by its neighbours.
 */
function foldCase(text: string): string {
  const lower = text.toLowerCase();
  return lower.includes('ς') ? lower.replaceAll('ς', 'σ') : lower;
}

/**
 * Whether a port from `first` to `last` begins with the decimal `prefix`: the ports that do
 * are the prefix itself, then the runs prefix·10…prefix·10+9, prefix·100…, up to 65535.
 */
function hasPortWithPrefix(first: number, last: number, prefix: string): boolean {
  const base = Number(prefix);
  for (let scale = 1; base * scale <= 65_535; scale *= 10) {
    const from = base * scale;
    const to = from + scale - 1;
    if (last >= from && first <= to) {
      return true;
    }
  }
  return false;
}

/** The text a filter came from, for display (and for the prompt: it parses back the same). */
export function formatFilter(filter: RowFilter): string {
  switch (filter.kind) {
    case 'none':
      return '';
    case 'port':
      return filter.from === filter.to ? `=${filter.from}` : `${filter.from}-${filter.to}`;
    case 'port-prefix':
      return filter.prefix;
    case 'text':
      return filter.needle;
  }
}
