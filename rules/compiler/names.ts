// Chain names, IP set names and comment escaping (felix/rules/rule_defs.go).
import { createHash } from 'node:crypto';
import type { IpFamily } from '../model.js';

// Fixed chain names (felix/rules/rule_defs.go).
export const CHAIN = {
  filterInput: 'cali-INPUT',
  filterForward: 'cali-FORWARD',
  filterOutput: 'cali-OUTPUT',
  wlToHost: 'cali-wl-to-host',
  fromWlDispatch: 'cali-from-wl-dispatch',
  toWlDispatch: 'cali-to-wl-dispatch',
  fromHostEndpoint: 'cali-from-host-endpoint',
  toHostEndpoint: 'cali-to-host-endpoint',
  fromHepForward: 'cali-from-hep-forward',
  toHepForward: 'cali-to-hep-forward',
  failsafeIn: 'cali-failsafe-in',
  failsafeOut: 'cali-failsafe-out',
  cidrBlock: 'cali-cidr-block',
} as const;

export const PREFIX = {
  policyIn: 'cali-pi-',
  policyOut: 'cali-po-',
  profileIn: 'cali-pri-',
  profileOut: 'cali-pro-',
  wlTo: 'cali-tw-',
  wlFrom: 'cali-fw-',
  hostTo: 'cali-th-',
  hostFrom: 'cali-fh-',
  hostToForward: 'cali-thfw-',
  hostFromForward: 'cali-fhfw-',
} as const;

/** The chain-name suffix used for the wildcard host endpoint (interfaceName "*"), felix/rules/rule_defs.go. */
export const WILDCARD_HEP_SUFFIX = 'any-interface-at-all';

/** Max length of a kernel IP set name (felix/ipsets/ipsets.go). */
export const MAX_IPSET_NAME_LENGTH = 31;

// IP set IDs from the calc graph are "s:"/"n:"/"svc:" + base64url hashes or fixed names such as
// "all-hosts-net". Anything outside this set would corrupt restore input, so it is hashed instead.
const SAFE_IPSET_ID = /^[A-Za-z0-9_:.-]+$/;

/**
 * Kernel name of the main IP set for an ID: "cali4" | "cali6" + "0" + id, cut to 31 characters (felix/ipsets/ipsets.go).
 * IDs with unsafe characters become "h:" + base64url(SHA-224(id)); the same function names the set and
 * every rule that refers to it, so they always agree.
 */
export function ipSetName(id: string, family: IpFamily): string {
  const safeId = SAFE_IPSET_ID.test(id)
    ? id
    : 'h:' + createHash('sha224').update(id, 'utf8').digest('base64url');
  return `cali${family}0${safeId}`.slice(0, MAX_IPSET_NAME_LENGTH);
}

const MAX_COMMENT_LENGTH = 256;
// Felix's shellUnsafe regexp `[^\w @%+=:,./-]` (felix/iptables/renderer.go). With the `u` flag one replacement per code point,
// like Go's rune-based regexp.
const COMMENT_UNSAFE = /[^\w @%+=:,./-]/gu;

/** Felix's comment escaping (felix/iptables/renderer.go): unsafe characters become "_", then cut to 256 characters. */
export function escapeComment(s: string): string {
  const e = s.replace(COMMENT_UNSAFE, '_');
  return e.length > MAX_COMMENT_LENGTH ? e.slice(0, MAX_COMMENT_LENGTH) : e;
}

// Linux interface names: 1..15 bytes (IFNAMSIZ-1), no "/", no whitespace. We are stricter and also
// refuse quotes, "+" (the iptables wildcard), ":", "!" and a leading "-" so a name can never change a
// rule's meaning.
const IFACE_NAME = /^[A-Za-z0-9_.@][A-Za-z0-9_.@-]{0,14}$/;

export function isValidInterfaceName(name: string): boolean {
  return IFACE_NAME.test(name);
}
