// Ownership rules for chains and rules (Felix: felix/iptables/table.go).
import type { TableName } from '../model.js';

const OWNED_PREFIXES = '(cali-|califw-|calitw-|califh-|calith-|calipi-|calipo-|felix-)';

/** Chains Felix owns: anything under these prefixes that is not desired gets deleted. */
export const OWNED_CHAIN_RE = new RegExp(`^${OWNED_PREFIXES}`);

/** Felix's hash-comment regex; the first match on a line wins. */
export const HASH_COMMENT_RE = /--comment "?cali:([a-zA-Z0-9_-]+)"?/;

/**
 * Old-style inserts without a hash: jumps into our chains from foreign chains. Felix's oldInsertRegexp
 * (felix/iptables/table.go NewTable) matches `-j`/`--jump` only: an unhashed `-g cali-…` in a foreign
 * chain is a foreign rule and is kept.
 */
export const OLD_INSERT_RE = new RegExp(`(?:-j|--jump) ${OWNED_PREFIXES}`);

/** Pseudo-hash for an unhashed rule of ours in a foreign chain (always removed). */
export const OLD_INSERT_HASH = 'OLD INSERT RULE';

/** Printed by iptables-nft-save (exit 0) when nft-native rules are present: an error. */
export const NFT_INCOMPATIBLE_RE = /^# Table .* is incompatible, use 'nft' tool\./m;

export const BUILTIN_CHAINS: Readonly<Record<TableName, readonly string[]>> = {
  raw: ['PREROUTING', 'OUTPUT'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
};

export function isOwnedChain(name: string): boolean {
  return OWNED_CHAIN_RE.test(name);
}
