// The one IP/CIDR parser (the agent's model uses it too): Go's net.ParseIP / net.ParseCIDR as
// Calico's libcalico-go/lib/net wraps them. IPv4 parts with leading zeros ("010.0.0.1") are refused
// (Go >= 1.17); an IPv4-mapped IPv6 address ("::ffff:10.0.0.1") is IPv4, because cnet keeps To4()
// of every address and IPNet.Version() is 4 whenever To4() is non-nil. Canonical text is Go's
// net.IP.String / IPNet.String, which Felix uses to compare IP set members.
import type { IpFamily } from '../model.js';

export interface ParsedCidr {
  readonly family: IpFamily;
  /** 4 or 16 bytes. */
  readonly bytes: readonly number[];
  /** Prefix length; the full length when the text had no "/". */
  readonly prefix: number;
  readonly hadPrefix: boolean;
}

export function parseIPv4(s: string): number[] | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const out: number[] = [];
  for (const p of parts) {
    // Go's parseIPv4 refuses leading zeros since Go 1.17.
    if (!/^[0-9]{1,3}$/.test(p) || (p.length > 1 && p[0] === '0')) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out.push(n);
  }
  return out;
}

export function parseIPv6(s: string): number[] | undefined {
  if (s.length === 0 || s.length > 45 || !/^[0-9A-Fa-f:.]+$/.test(s)) return undefined;
  let tail: number[] = [];
  let text = s;
  // Embedded IPv4 in the last 32 bits (e.g. ::ffff:1.2.3.4).
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.')) {
    const v4 = parseIPv4(text.slice(lastColon + 1));
    if (!v4) return undefined;
    tail = v4;
    let head = text.slice(0, lastColon + 1);
    if (head.endsWith(':') && !head.endsWith('::')) head = head.slice(0, -1);
    text = head;
  }
  const wantGroups = tail.length ? 6 : 8;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parseGroups = (h: string): number[] | undefined => {
    if (h === '') return [];
    const out: number[] = [];
    for (const g of h.split(':')) {
      if (!/^[0-9A-Fa-f]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = parseGroups(halves[0] as string);
  const rest = halves.length === 2 ? parseGroups(halves[1] as string) : [];
  if (!head || !rest) return undefined;
  let groups: number[];
  if (halves.length === 2) {
    const missing = wantGroups - head.length - rest.length;
    if (missing < 1) return undefined;
    groups = [...head, ...new Array<number>(missing).fill(0), ...rest];
  } else {
    if (head.length !== wantGroups) return undefined;
    groups = head;
  }
  const bytes: number[] = [];
  for (const g of groups) bytes.push(g >> 8, g & 0xff);
  return [...bytes, ...tail];
}

/** RFC 5952 text (lower case, longest run of 2+ zero groups compressed), as Go's net.IP.String(). */
export function formatIPv6(bytes: readonly number[]): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] as number) << 8) | (bytes[i + 1] as number));
  // Go prints IPv4-mapped addresses in dotted form.
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return '::ffff:' + bytes.slice(12).join('.');
  }
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hexes = groups.map((g) => g.toString(16));
  if (bestLen < 2) return hexes.join(':');
  return hexes.slice(0, bestStart).join(':') + '::' + hexes.slice(bestStart + bestLen).join(':');
}

/** True for ::ffff:a.b.c.d, which Go's To4() turns into a 4-byte IPv4 address. */
function isV4Mapped(b: readonly number[]): boolean {
  return b.slice(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;
}

export function parseIp(s: string): { family: IpFamily; bytes: number[] } | undefined {
  if (typeof s !== 'string') return undefined;
  if (s.includes(':')) {
    const b = parseIPv6(s);
    if (!b) return undefined;
    return isV4Mapped(b) ? { family: 4, bytes: b.slice(12) } : { family: 6, bytes: b };
  }
  const b = parseIPv4(s);
  return b ? { family: 4, bytes: b } : undefined;
}

export function parseCidr(s: string): ParsedCidr | undefined {
  if (typeof s !== 'string') return undefined;
  const slash = s.indexOf('/');
  const ipText = slash < 0 ? s : s.slice(0, slash);
  const ip = parseIp(ipText);
  if (!ip) return undefined;
  const full = ip.family === 4 ? 32 : 128;
  if (slash < 0) return { family: ip.family, bytes: ip.bytes, prefix: full, hadPrefix: false };
  const pt = s.slice(slash + 1);
  if (!/^[0-9]{1,3}$/.test(pt)) return undefined;
  let prefix = Number(pt);
  if (ip.family === 4 && ipText.includes(':')) {
    // A mapped address carries a 128-bit mask in Go; /96../128 is IPv4 /0../32. A shorter mask
    // clears the ::ffff marker and Go prints a network unrelated to the text, so it is refused.
    if (prefix < 96 || prefix > 128) return undefined;
    prefix -= 96;
  }
  if (prefix > full) return undefined;
  return { family: ip.family, bytes: ip.bytes, prefix, hadPrefix: true };
}

export function formatIp(family: IpFamily, bytes: readonly number[]): string {
  return family === 4 ? bytes.join('.') : formatIPv6(bytes);
}

/** Network address (host bits cleared) + "/" + prefix, e.g. "10.65.0.7/32". */
export function canonicalCidr(c: ParsedCidr): string {
  const masked = c.bytes.map((b, i) => {
    const bitsLeft = c.prefix - i * 8;
    if (bitsLeft >= 8) return b;
    if (bitsLeft <= 0) return 0;
    return b & ((0xff << (8 - bitsLeft)) & 0xff);
  });
  return `${formatIp(c.family, masked)}/${c.prefix}`;
}

/** Canonical masked network text ("10.0.0.0/8"; a bare IP is a host prefix), or null if malformed. */
export function normalizeCidr(text: string): string | null {
  const c = parseCidr(text);
  return c ? canonicalCidr(c) : null;
}

/** The address of an IP or CIDR as a host prefix ("10.65.0.2/32"), as IP set members want it. */
export function hostCidrOf(text: string): string | null {
  const c = parseCidr(text);
  return c ? `${formatIp(c.family, c.bytes)}/${c.family === 4 ? 32 : 128}` : null;
}

/** The bare address of an IP or CIDR ("10.65.0.2"), or null if malformed. */
export function addressOf(text: string): string | null {
  const c = parseCidr(text);
  return c ? formatIp(c.family, c.bytes) : null;
}

/** The family of an IP or CIDR, or null if malformed. */
export function cidrFamily(text: string): IpFamily | null {
  return parseCidr(text)?.family ?? null;
}

/**
 * The 32-bit value of s[start, end) when that is an IPv4 address in Go's canonical dotted form
 * (four decimal parts 0..255 without leading zeros), else -1. Reads the characters in place.
 */
function canonicalV4Value(s: string, start: number, end: number): number {
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 46 /* . */) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + part;
      part = 0;
      digits = 0;
      dots++;
      continue;
    }
    if (c < 48 || c > 57 || (digits > 0 && part === 0)) return -1; // not a digit, or a leading zero
    part = part * 10 + (c - 48);
    if (part > 255) return -1;
    digits++;
  }
  return digits === 0 || dots !== 3 ? -1 : value * 256 + part;
}

/** s[start, end) as a decimal 0..max without leading zeros, else -1. */
function canonicalDecimal(s: string, start: number, end: number, max: number): number {
  if (end <= start || end - start > 5 || (end - start > 1 && s.charCodeAt(start) === 48)) return -1;
  let n = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    n = n * 10 + (c - 48);
  }
  return n > max ? -1 : n;
}

/** Which IP set member syntax: hash:ip, hash:ip,port, hash:net. */
export type MemberShape = 'ip' | 'ip,port' | 'net';

/**
 * True when `m` is an IPv4 IP set member already in the canonical written form (felix/ipsets/
 * ipsets.go; validate.ts canonicalMember gives the same text back for it): "10.65.0.7" (ip),
 * "10.65.0.7,tcp:8080" (ip,port), "10.65.0.0/26" with the host bits clear (net). The calc sends
 * members in this form (agent/calc/endpoints.ts hostCidrOf), so the compiler and the ipset writer
 * check it in place instead of parsing and re-printing every member; anything else (IPv6, a
 * non-canonical or malformed text) gets false and goes through the full parser. A true result
 * also means the text is safe in restore input: digits, '.', '/', ',', ':' and tcp/udp/sctp only.
 */
export function isCanonicalV4Member(shape: MemberShape, m: string): boolean {
  if (typeof m !== 'string') return false;
  const n = m.length;
  if (shape === 'ip') return canonicalV4Value(m, 0, n) >= 0;
  if (shape === 'net') {
    const slash = m.indexOf('/');
    if (slash < 0) return false;
    const v = canonicalV4Value(m, 0, slash);
    const p = v < 0 ? -1 : canonicalDecimal(m, slash + 1, n, 32);
    if (p < 0) return false;
    return p === 32 || v % 2 ** (32 - p) === 0; // host bits clear
  }
  const comma = m.indexOf(',');
  if (comma < 0 || canonicalV4Value(m, 0, comma) < 0) return false;
  const colon = m.indexOf(':', comma + 1);
  const protoLen = colon - comma - 1;
  const proto =
    (protoLen === 3 && (m.startsWith('tcp', comma + 1) || m.startsWith('udp', comma + 1))) ||
    (protoLen === 4 && m.startsWith('sctp', comma + 1));
  return proto && canonicalDecimal(m, colon + 1, n, 65535) >= 0;
}
