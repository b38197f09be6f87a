// What one (table, family) looks like in the kernel, as far as the writer cares: for every chain,
// its rules in order, each with our hash (or undefined for a foreign rule) and its rule spec
// (everything after `-A <chain> `), which is what a delete-by-value needs (Felix: felix/iptables/table.go).
import type { TableName } from '../model.js';
import { DataplaneError } from '../backend/errors.js';
import {
  HASH_COMMENT_RE,
  NFT_INCOMPATIBLE_RE,
  OLD_INSERT_HASH,
  OLD_INSERT_RE,
  isOwnedChain,
} from './owned.js';

export interface SnapshotRule {
  /** Our hash, OLD_INSERT_HASH for an unhashed jump into our chains, undefined for foreign rules. */
  readonly hash: string | undefined;
  /** Rule spec after `-A <chain> `. */
  readonly spec: string;
}

export interface TableSnapshot {
  readonly chains: ReadonlyMap<string, readonly SnapshotRule[]>;
}

export const EMPTY_SNAPSHOT: TableSnapshot = { chains: new Map() };

/** Parses `iptables-save -t <table>` output. Lines of other tables are ignored. */
export function parseSave(text: string, table: TableName): TableSnapshot {
  if (NFT_INCOMPATIBLE_RE.test(text)) {
    throw new DataplaneError(
      'ERR_NFT_INCOMPATIBLE',
      `table ${table} holds nft-native rules that iptables-nft cannot show`,
    );
  }
  const chains = new Map<string, SnapshotRule[]>();
  let inTable = false;
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (line.startsWith('*')) {
      inTable = line.slice(1) === table;
      continue;
    }
    if (!inTable || line === '' || line.startsWith('#')) continue;
    if (line === 'COMMIT') {
      inTable = false;
      continue;
    }
    if (line.startsWith(':')) {
      const name = line.slice(1).split(' ', 1)[0];
      if (name && !chains.has(name)) chains.set(name, []);
      continue;
    }
    if (line.startsWith('-A ')) {
      const sp = line.indexOf(' ', 3);
      const chain = sp < 0 ? line.slice(3) : line.slice(3, sp);
      const spec = sp < 0 ? '' : line.slice(sp + 1);
      let hash: string | undefined = HASH_COMMENT_RE.exec(spec)?.[1];
      if (hash === undefined && !isOwnedChain(chain) && OLD_INSERT_RE.test(spec)) hash = OLD_INSERT_HASH;
      let rules = chains.get(chain);
      if (!rules) chains.set(chain, (rules = []));
      rules.push({ hash, spec });
    }
  }
  return { chains };
}
