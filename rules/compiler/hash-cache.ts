// The compiler's memos (DataplaneState.hashCache, sharedChains, chainMemo): a recompile after a small
// change renders and re-hashes only the chains whose inputs changed. SHA-224 per rule is most of
// compile()'s cost (bench/compile.md).
import { ruleHashes } from './hash.js';

/**
 * A memo by id and content key, swept per compile: begin() starts a compile, and entries no compile
 * asked for since go at sweep(). A `scopeKey` given to begin() that differs from the last one (the
 * config) drops everything.
 */
export class KeyedMemo<T> {
  private readonly entries = new Map<string, { key: string; value: T; gen: number }>();
  private gen = 0;
  private scopeKey: string | undefined;

  begin(scopeKey?: string): void {
    this.gen++;
    if (scopeKey !== undefined && scopeKey !== this.scopeKey) this.entries.clear();
    if (scopeKey !== undefined) this.scopeKey = scopeKey;
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

/** Rule hashes per (scope, chain), keyed by the chain's bodies. */
export class HashCache {
  private readonly memo = new KeyedMemo<readonly string[]>();

  /** Starts a compile: entries not used until the next sweep() are dropped then. */
  begin(): void {
    this.memo.begin();
  }

  hashes(scope: string, chainName: string, bodies: readonly string[]): readonly string[] {
    // Bodies never contain "\n" (names are validated or hashed, comments escaped), so the count and
    // the join are an unambiguous key.
    const key = `${bodies.length}\n${bodies.join('\n')}`;
    return this.memo.get(`${scope}|${chainName}`, key, () => ruleHashes(chainName, bodies));
  }

  /** Drops entries for chains that the last compile no longer produced. */
  sweep(): void {
    this.memo.sweep();
  }

  get size(): number {
    return this.memo.size;
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
