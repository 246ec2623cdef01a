/**
 * IP address text in canonical form, without node: imports so the model stays pure.
 * IPv4 stays dotted; IPv6 becomes lower-case RFC 5952 text; an IPv4-mapped IPv6 address
 * (`::ffff:127.0.0.1`) becomes the IPv4 address it maps, so the two spellings compare equal.
 */

/** Canonical text of an IPv4 or IPv6 address, or undefined when `text` is not one. */
export function parseIpAddress(text: string): string | undefined {
  if (text.includes(':')) {
    const groups = parseIpv6Groups(text);
    return groups === undefined ? undefined : formatIpv6Groups(groups);
  }
  return parseIpv4(text) === undefined ? undefined : text;
}

/**
 * A published port's host address: null for "any address" (empty or blank, `0.0.0.0`,
 * `::`), the canonical address otherwise, undefined when the text is not an address at all.
 * White space around the address is ignored.
 */
export function parseHostIp(text: string | null | undefined): string | null | undefined {
  if (text === null || text === undefined || text === '' || text === '0.0.0.0' || text === '::') {
    return null;
  }
  // Container lists repeat a handful of addresses thousands of times: remember them.
  if (hostIpCache.has(text)) {
    return hostIpCache.get(text);
  }
  const trimmed = text.trim();
  const canonical = trimmed === '' ? '::' : parseIpAddress(withoutZone(trimmed));
  const hostIp = canonical === '0.0.0.0' || canonical === '::' ? null : canonical;
  if (hostIpCache.size >= hostIpCacheLimit) {
    hostIpCache.clear();
  }
  hostIpCache.set(text, hostIp);
  return hostIp;
}

/**
 * An IPv6 address without its zone (`fe80::1%eth0` is `fe80::1`): a socket lookup compares
 * the address. A `%` with no zone after it is left in, so the text is not an address.
 */
function withoutZone(text: string): string {
  const percent = text.indexOf('%');
  return percent > 0 && percent < text.length - 1 && text.includes(':')
    ? text.slice(0, percent)
    : text;
}

const hostIpCacheLimit = 4096;
const hostIpCache = new Map<string, string | null | undefined>();

function parseIpv4(text: string): number[] | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) {
    return undefined;
  }
  const octets: number[] = [];
  for (const part of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(part)) {
      return undefined;
    }
    const value = Number(part);
    if (value > 255) {
      return undefined;
    }
    octets.push(value);
  }
  return octets;
}

function parseGroupList(text: string): number[] | undefined {
  if (text === '') {
    return [];
  }
  const groups: number[] = [];
  const parts = text.split(':');
  for (const [index, part] of parts.entries()) {
    if (index === parts.length - 1 && part.includes('.')) {
      const octets = parseIpv4(part);
      if (octets === undefined) {
        return undefined;
      }
      const [a = 0, b = 0, c = 0, d = 0] = octets;
      groups.push(a * 256 + b, c * 256 + d);
      continue;
    }
    if (!/^[0-9a-fA-F]{1,4}$/.test(part)) {
      return undefined;
    }
    groups.push(Number.parseInt(part, 16));
  }
  return groups;
}

function parseIpv6Groups(text: string): number[] | undefined {
  const halves = text.split('::');
  if (halves.length > 2) {
    return undefined;
  }
  const head = parseGroupList(halves[0] ?? '');
  if (head === undefined) {
    return undefined;
  }
  if (halves.length === 1) {
    return head.length === 8 ? head : undefined;
  }
  const tail = parseGroupList(halves[1] ?? '');
  if (tail === undefined || head.length + tail.length > 7) {
    return undefined;
  }
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}

function formatIpv6Groups(groups: readonly number[]): string {
  const isMapped = groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff;
  if (isMapped) {
    const high = groups[6] ?? 0;
    const low = groups[7] ?? 0;
    return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
  }
  // The longest run of two or more zero groups is written as '::' (the first, on a tie).
  let bestStart = -1;
  let bestLength = 1;
  for (let start = 0; start < 8; start++) {
    let length = 0;
    while (start + length < 8 && groups[start + length] === 0) {
      length++;
    }
    if (length > bestLength) {
      bestStart = start;
      bestLength = length;
    }
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart === -1) {
    return hex.join(':');
  }
  const head = hex.slice(0, bestStart).join(':');
  const tail = hex.slice(bestStart + bestLength).join(':');
  return `${head}::${tail}`;
}
