import type {SnapshotRow} from './snapshot-row.js';

/** A row filter: a port, a port range, or text matched against names. */
export type RowFilter =
  | {readonly kind: 'none'}
  | {readonly kind: 'port'; readonly from: number; readonly to: number}
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
 * The filter a user typed at the `/` prompt: a port or range when it reads as one, else text
 * (case-insensitive) matched against process, container, image and user. Empty means none.
 */
export function parseFilter(text: string): RowFilter {
  const trimmed = text.trim();
  if (trimmed === '') {
    return noFilter;
  }
  if (/^\d+(\s*-\s*\d+)?$/.test(trimmed)) {
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
    case 'text': {
      const fields = [row.process, row.user, row.container?.name, row.container?.image, row.helper];
      return fields.some((field) => field?.toLowerCase().includes(filter.needle) ?? false);
    }
  }
}

/** The text a filter came from, for display. */
export function formatFilter(filter: RowFilter): string {
  switch (filter.kind) {
    case 'none':
      return '';
    case 'port':
      return filter.from === filter.to ? String(filter.from) : `${filter.from}-${filter.to}`;
    case 'text':
      return filter.needle;
  }
}
