// Felix's identifiers: chained rule hashes (felix/iptables/renderer.go) and length-limited
// chain names (libcalico-go/lib/hash/unique_id.go GetLengthLimitedID).
import * as crypto from 'node:crypto';
import { createHash } from 'node:crypto';

/** iptables.MaxChainNameLength (felix/iptables/table.go). */
export const MAX_CHAIN_NAME_LENGTH = 28;
/** generictables.HashLength (felix/iptables/renderer.go). */
export const RULE_HASH_LENGTH = 16;

/**
 * The 16-character `cali:` hashes for the rules of one chain (felix/iptables/renderer.go). `bodies` are the long-form rule
 * bodies (without the hash comment). Each hash chains in the previous one, so a rule's hash depends on
 * its position and on every rule before it. For rules in kernel chains pass the kernel chain name
 * (inserts) or "<chain>*appends*" (appends).
 */
export function ruleHashes(chainName: string, bodies: readonly string[]): string[] {
  return ruleDigests(chainName, bodies).digests.map((d) => d.slice(0, RULE_HASH_LENGTH));
}

/** A chain's rule bodies with the full base64url digest of each rule's chained hash. */
export interface ChainDigests {
  readonly bodies: readonly string[];
  readonly digests: readonly string[];
}

type OneShot = (algorithm: string, data: Buffer, outputEncoding: 'buffer') => Buffer;
/** crypto.hash (Node >= 20.12): one call per digest, no Hash object; older Nodes use createHash. */
const oneShot = (crypto as unknown as { hash?: OneShot }).hash;
const SHA224_BYTES = 28;
/** The input of one chained step, reused: the previous digest, then the rule text (grown on demand). */
let scratch = Buffer.allocUnsafe(4096);

/** SHA-224 of `prev` followed by `text` in UTF-8: one step of the chain. */
function chainStep(prev: Buffer, text: string): Buffer {
  if (!oneShot) return createHash('sha224').update(prev).update(text, 'utf8').digest();
  const need = SHA224_BYTES + Buffer.byteLength(text, 'utf8');
  if (need > scratch.length) scratch = Buffer.allocUnsafe(Math.max(need, scratch.length * 2));
  prev.copy(scratch, 0);
  const n = scratch.write(text, SHA224_BYTES, 'utf8');
  // The digest is a new buffer: it does not alias the scratch.
  return oneShot('sha224', scratch.subarray(0, SHA224_BYTES + n), 'buffer');
}

/**
 * ruleHashes, keeping the full digests, and reusing `prev` (the same chain's last hashing) for the
 * rules before the first body that differs: each hash depends only on the rules above it.
 */
export function ruleDigests(chainName: string, bodies: readonly string[], prev?: ChainDigests): ChainDigests {
  let k = 0;
  if (prev) while (k < bodies.length && k < prev.bodies.length && bodies[k] === prev.bodies[k]) k++;
  const digests: string[] = new Array<string>(bodies.length);
  for (let i = 0; i < k; i++) digests[i] = prev!.digests[i] as string;
  let d: Buffer =
    k > 0
      ? Buffer.from(digests[k - 1] as string, 'base64url')
      : createHash('sha224').update(chainName, 'utf8').digest();
  for (let i = k; i < bodies.length; i++) {
    const body = bodies[i] as string;
    const s = body === '' ? `-A ${chainName} HASH` : `-A ${chainName} HASH ${body}`;
    d = chainStep(d, s);
    digests[i] = d.toString('base64url');
  }
  return { bodies, digests };
}

/**
 * Felix's hashutils.GetLengthLimitedID(prefix, suffix, maxLen) (libcalico-go/lib/hash): prefix+suffix when it fits,
 * otherwise prefix + "_" + base64url(SHA-256(suffix)) cut to the limit. An empty suffix becomes "_".
 */
export function chainNameFor(prefix: string, suffix: string, maxLen: number = MAX_CHAIN_NAME_LENGTH): string {
  if (suffix === '') suffix = '_';
  const total = prefix.length + suffix.length;
  // A suffix starting with "_" at exactly maxLen is hashed too, so it can never look like a hashed name.
  if (total > maxLen || (total === maxLen && suffix.startsWith('_'))) {
    return hashedName(prefix, suffix, maxLen);
  }
  return prefix + suffix;
}

function hashedName(prefix: string, suffix: string, maxLen: number): string {
  const h = createHash('sha256').update(suffix, 'utf8').digest('base64url');
  return prefix + '_' + h.slice(0, maxLen - 1 - prefix.length);
}

// Characters that may appear verbatim in a chain name that we write into restore input. Felix's
// datastore validation keeps real names inside this set; anything else (spaces, quotes, newlines)
// would corrupt the restore transaction, so such suffixes are always hashed (issue 5, item 4).
const SAFE_CHAIN_SUFFIX = /^[A-Za-z0-9_.:/@=-]*$/;

/** chainNameFor, but a suffix with characters outside the safe set is always hashed. */
export function safeChainName(prefix: string, suffix: string): string {
  if (!SAFE_CHAIN_SUFFIX.test(suffix)) return hashedName(prefix, suffix, MAX_CHAIN_NAME_LENGTH);
  return chainNameFor(prefix, suffix);
}
