// Memo of rule hashes per (family, chain): a recompile after a small change re-hashes only the chains
// whose bodies changed. SHA-224 per rule is most of compile()'s cost (bench/compile.md).
import { ruleHashes } from './hash.js';

interface Entry {
  key: string;
  hashes: string[];
  gen: number;
}

export class HashCache {
  private readonly entries = new Map<string, Entry>();
  private gen = 0;

  /** Starts a compile: entries not used until the next sweep() are dropped then. */
  begin(): void {
    this.gen++;
  }

  hashes(scope: string, chainName: string, bodies: readonly string[]): string[] {
    // Bodies never contain "\n" (names are validated or hashed, comments escaped), so the join is an
    // unambiguous key.
    const key = bodies.join('\n');
    const id = `${scope}|${chainName}`;
    const e = this.entries.get(id);
    if (e && e.key === key && e.hashes.length === bodies.length) {
      e.gen = this.gen;
      return e.hashes;
    }
    const hashes = ruleHashes(chainName, bodies);
    this.entries.set(id, { key, hashes, gen: this.gen });
    return hashes;
  }

  /** Drops entries for chains that the last compile no longer produced. */
  sweep(): void {
    for (const [id, e] of this.entries) if (e.gen !== this.gen) this.entries.delete(id);
  }

  get size(): number {
    return this.entries.size;
  }
}

/**
 * Memo of compiled chains by chain name and content key, shared by both IP families (a workload's
 * endpoint chains do not depend on the family) and surviving a replaced state entry: an endpoint
 * update that changes only its ingress policies re-renders only its ingress chain. The key must hold
 * everything the chain depends on besides the config; a config change (begin() with another cfgKey)
 * drops everything. Entries not used by a compile go at sweep().
 */
export class SharedChainMemo<T> {
  private readonly entries = new Map<string, { key: string; value: T; gen: number }>();
  private gen = 0;
  private cfgKey: string | undefined;

  begin(cfgKey: string): void {
    this.gen++;
    if (cfgKey !== this.cfgKey) this.entries.clear();
    this.cfgKey = cfgKey;
  }

  /** The value for id if made with the same key, else a fresh one (produce sees the previous value). */
  get(id: string, key: string, produce: (previous: T | undefined) => T): T {
    const e = this.entries.get(id);
    if (e && e.key === key) {
      e.gen = this.gen;
      return e.value;
    }
    const value = produce(e?.value);
    this.entries.set(id, { key, value, gen: this.gen });
    return value;
  }

  sweep(): void {
    for (const [id, e] of this.entries) if (e.gen !== this.gen) this.entries.delete(id);
  }

  get size(): number {
    return this.entries.size;
  }
}

/**
 * Memo of compiled chains per source object (a workload, host endpoint, policy or profile entry in
 * DataplaneState). State updates replace those objects, so identity is a safe "unchanged" test; the key
 * (config fingerprint, plus anything else the chains depend on) guards the rest. Entries die with
 * their source (WeakMap).
 */
export class ChainMemo<T> {
  private readonly memo = new WeakMap<object, Map<string, { key: string; value: T }>>();

  /** The value for (source, scope) if one was produced with this key; nothing is produced. */
  peek(source: object, scope: string, key: string): T | undefined {
    const e = this.memo.get(source)?.get(scope);
    return e && e.key === key ? e.value : undefined;
  }

  /** The value for (source, scope) if it was produced with the same key, else a fresh one. */
  get(source: object, scope: string, key: string, produce: () => T): T {
    let byScope = this.memo.get(source);
    if (!byScope) this.memo.set(source, (byScope = new Map()));
    const e = byScope.get(scope);
    if (e && e.key === key) return e.value;
    const value = produce();
    byScope.set(scope, { key, value });
    return value;
  }
}
