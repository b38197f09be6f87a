// Which sets are ours and how members compare (Felix: felix/ipsets/ipsets.go, felix/ipsets/ipset_defs.go).
import type { IpFamily, IpSetType } from '../model.js';
import { DataplaneError } from '../backend/errors.js';
import { isCanonicalV4Member, type MemberShape } from '../compiler/ipaddr.js';

const OWNED_V4_RE = /^(cali4|felix-4)/;
const OWNED_V6_RE = /^(cali6|felix-6)/;
const LEGACY_V4 = new Set(['felix-masq-ipam-pools', 'felix-all-ipam-pools']);

export function isOwnedSet(name: string, family: IpFamily): boolean {
  return family === 4 ? OWNED_V4_RE.test(name) || LEGACY_V4.has(name) : OWNED_V6_RE.test(name);
}

export function ownedFamily(name: string): IpFamily | undefined {
  if (isOwnedSet(name, 4)) return 4;
  if (isOwnedSet(name, 6)) return 6;
  return undefined;
}

/** Temporary set name for a type/metadata change: cali4t<N> / cali6t<N>. */
export function tempSetName(family: IpFamily, n: number): string {
  return `cali${family}t${n}`;
}

const SET_NAME_RE = /^[A-Za-z0-9_.:+=@%/-]{1,31}$/;
// Members as Felix writes them: addresses, CIDRs, "addr,proto:port". Nothing else may reach
// the restore input (no whitespace, no line breaks).
const MEMBER_RE = /^[0-9A-Fa-f.:/]+(,[a-z0-9]+:[0-9]{1,5})?$/;

export function checkSetName(name: string): void {
  if (!SET_NAME_RE.test(name)) {
    throw new DataplaneError(
      'ERR_UNSAFE_RESTORE_TEXT',
      `unsafe or invalid ipset name ${JSON.stringify(name)}`,
    );
  }
}

export function checkMember(set: string, member: string): void {
  if (!MEMBER_RE.test(member)) {
    throw new DataplaneError(
      'ERR_UNSAFE_RESTORE_TEXT',
      `unsafe or invalid member ${JSON.stringify(member)} for ${set}`,
    );
  }
}

function canonicalAddr(addr: string): string {
  if (!addr.includes(':')) return addr;
  // IPv6: let the URL parser compress and lower-case it the way the kernel prints it.
  try {
    return new URL(`http://[${addr}]/`).hostname.slice(1, -1);
  } catch {
    return addr.toLowerCase();
  }
}

/**
 * Canonical form used for comparing desired and kernel members: `ipset list` shows a host
 * hash:net member without /32 (or /128), Felix writes it with the suffix.
 */
export function canonicalMember(type: IpSetType | string, member: string): string {
  const comma = member.indexOf(',');
  if (comma >= 0) return canonicalAddr(member.slice(0, comma)) + member.slice(comma).toLowerCase();
  const slash = member.indexOf('/');
  if (slash < 0) return canonicalAddr(member);
  const addr = canonicalAddr(member.slice(0, slash));
  const len = member.slice(slash + 1);
  const host = addr.includes(':') ? '128' : '32';
  if (type === 'hash:net' && len === host) return addr;
  return `${addr}/${len}`;
}

const SHAPES: Readonly<Record<string, MemberShape>> = {
  'hash:ip': 'ip',
  'hash:ip,port': 'ip,port',
  'hash:net': 'net',
};

/**
 * True when `member` is in the form the compiler writes and the planner compares (see
 * writtenMember) and is safe in restore input, checked without parsing: the fast path for an
 * IPv4 member (rules/compiler/ipaddr.ts isCanonicalV4Member).
 */
export function isWrittenMember(type: IpSetType | string, member: string): boolean {
  const shape = SHAPES[type];
  return shape !== undefined && isCanonicalV4Member(shape, member);
}

/**
 * The form a member is compared in by the planner: the compiler's written form
 * (rules/compiler/validate.ts canonicalMember), so a desired set already in it is its own key set
 * and the writer's belief can be that very set. It is canonicalMember's form except that a host
 * member of a hash:net set keeps its /32 (/128), which `ipset save` leaves out.
 */
export function writtenMember(type: IpSetType | string, member: string): string {
  if (isWrittenMember(type, member)) return member;
  const c = canonicalMember(type, member);
  if (type === 'hash:net' && !c.includes('/')) return `${c}/${c.includes(':') ? '128' : '32'}`;
  return c;
}
