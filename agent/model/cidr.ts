// IP / CIDR parsing and canonical formatting (Go net.IPNet.String() style), used to validate
// model values (§2.3: a bare IP means /32 or /128) and to build IP set members (§5.8).
import { isIPv6 } from 'node:net';

export interface Cidr {
  readonly family: 4 | 6;
  /** 4 or 16 bytes. */
  readonly bytes: Uint8Array;
  readonly prefix: number;
}

const V4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function parseV4(s: string): Uint8Array | null {
  const m = V4.exec(s);
  if (!m) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = m[i + 1] as string;
    // Like Go (and node:net), reject leading zeros ("010") and values over 255.
    if (part.length > 1 && part[0] === '0') return null;
    const n = Number(part);
    if (n > 255) return null;
    out[i] = n;
  }
  return out;
}

function parseV6(s: string): Uint8Array | null {
  if (!isIPv6(s)) return null;
  let text = s;
  const out = new Uint8Array(16);
  // Trailing dotted quad (::ffff:1.2.3.4).
  let tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.indexOf('.', lastColon) >= 0) {
    const v4 = parseV4(text.slice(lastColon + 1));
    if (!v4) return null;
    tail = [(v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!];
    text = text.slice(0, lastColon + 1) + '0:0';
  }
  const [head, rest] = text.includes('::') ? (text.split('::') as [string, string]) : [text, undefined];
  const hs = head === '' ? [] : head.split(':');
  const rs = rest === undefined || rest === '' ? [] : rest.split(':');
  const groups =
    rest === undefined ? hs : [...hs, ...new Array<string>(8 - hs.length - rs.length).fill('0'), ...rs];
  if (groups.length !== 8) return null;
  const vals = groups.map((g) => parseInt(g, 16));
  if (tail.length === 2) {
    vals[6] = tail[0]!;
    vals[7] = tail[1]!;
  }
  for (let i = 0; i < 8; i++) {
    out[2 * i] = (vals[i]! >> 8) & 0xff;
    out[2 * i + 1] = vals[i]! & 0xff;
  }
  return out;
}

/** Parses "a.b.c.d/nn", "x::y/nn" or a bare IP (= host prefix). Returns null when malformed. */
export function parseCidr(text: string): Cidr | null {
  if (typeof text !== 'string' || text.length === 0 || text.length > 64) return null;
  const slash = text.indexOf('/');
  const ipPart = slash < 0 ? text : text.slice(0, slash);
  let bytes = parseV4(ipPart);
  let family: 4 | 6 = 4;
  if (!bytes) {
    bytes = parseV6(ipPart);
    family = 6;
  }
  if (!bytes) return null;
  const max = family === 4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (!/^[0-9]{1,3}$/.test(p)) return null;
    prefix = Number(p);
    if (prefix > max) return null;
  }
  return { family, bytes, prefix };
}

export function parseIp(text: string): Cidr | null {
  if (typeof text !== 'string' || text.includes('/')) return null;
  return parseCidr(text);
}

export function maskCidr(c: Cidr): Cidr {
  const b = Uint8Array.from(c.bytes);
  for (let i = 0; i < b.length; i++) {
    const bitsLeft = c.prefix - i * 8;
    if (bitsLeft >= 8) continue;
    b[i] = bitsLeft <= 0 ? 0 : b[i]! & (0xff << (8 - bitsLeft));
  }
  return { family: c.family, bytes: b, prefix: c.prefix };
}

export function ipToString(family: 4 | 6, b: Uint8Array): string {
  if (family === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((b[2 * i]! << 8) | b[2 * i + 1]!);
  // RFC 5952: compress the longest run (≥ 2) of zero groups, first one on ties.
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (x: number): string => x.toString(16);
  if (bestLen < 2) return g.map(hex).join(':');
  const left = g.slice(0, bestStart).map(hex).join(':');
  const right = g
    .slice(bestStart + bestLen)
    .map(hex)
    .join(':');
  return `${left}::${right}`;
}

export function cidrToString(c: Cidr): string {
  return `${ipToString(c.family, c.bytes)}/${c.prefix}`;
}

/** Canonical masked network form ("10.0.0.0/8"), or null if malformed. */
export function normalizeCidr(text: string): string | null {
  const c = parseCidr(text);
  return c ? cidrToString(maskCidr(c)) : null;
}

/** The address of a CIDR as a host prefix ("10.65.0.2/32"), as IP set members want it (§5.8). */
export function hostCidrOf(text: string): string | null {
  const c = parseCidr(text);
  if (!c) return null;
  return `${ipToString(c.family, c.bytes)}/${c.family === 4 ? 32 : 128}`;
}

/** The bare address of an IP or CIDR string ("10.65.0.2"). */
export function addressOf(text: string): string | null {
  const c = parseCidr(text);
  return c ? ipToString(c.family, c.bytes) : null;
}

export function cidrFamily(text: string): 4 | 6 | null {
  return parseCidr(text)?.family ?? null;
}
