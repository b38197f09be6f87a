// The chains of many state entries (every policy, every profile) for one table of one family, kept
// from one compile to the next. A compile visits the entries, but one that is the same object as last
// time (state updates replace entries, state.ts) costs a map lookup: its chains stay in the layer and
// are not put into the builder's candidates again. At bench/scale's 2,000 policies and 400 profiles
// that walk was 1.5 ms per family per compile (bench/scale.md, Win 9).
import type { DataplaneState } from './state.js';

interface Held {
  source: object;
  names: readonly string[];
  /** The compile that last saw the entry. */
  gen: number;
}

/** The layer of one (state, scope); entries' chains by chain name. */
export class EntryLayer<P extends { readonly chain: { readonly name: string } }> {
  private readonly held = new Map<string, Held>();
  private readonly chains = new Map<string, P>();
  private gen = 0;

  constructor(readonly cfgKey: string) {}

  /** Starts a visit of every entry; end() drops the entries it did not see. */
  begin(): void {
    this.gen++;
  }

  /** Records the entry `key` as `source`; `make` gives its chains when it is new or changed. */
  visit<S extends object>(key: string, source: S, make: (key: string, source: S) => readonly P[]): void {
    const h = this.held.get(key);
    if (h && h.source === source) {
      h.gen = this.gen;
      return;
    }
    if (h) for (const n of h.names) this.chains.delete(n);
    const made = make(key, source);
    for (const p of made) this.chains.set(p.chain.name, p);
    this.held.set(key, { source, names: made.map((p) => p.chain.name), gen: this.gen });
  }

  end(): void {
    for (const [key, h] of this.held) {
      if (h.gen === this.gen) continue;
      for (const n of h.names) this.chains.delete(n);
      this.held.delete(key);
    }
  }

  get(name: string): P | undefined {
    return this.chains.get(name);
  }
}

const LAYERS = new WeakMap<DataplaneState, Map<string, EntryLayer<never>>>();

/** The layer of this state and scope; a new one when the config changed since the last compile. */
export function entryLayer<P extends { readonly chain: { readonly name: string } }>(
  state: DataplaneState,
  scope: string,
  cfgKey: string,
): EntryLayer<P> {
  let byScope = LAYERS.get(state);
  if (!byScope) LAYERS.set(state, (byScope = new Map()));
  let layer = byScope.get(scope) as EntryLayer<P> | undefined;
  if (!layer || layer.cfgKey !== cfgKey) {
    layer = new EntryLayer<P>(cfgKey);
    byScope.set(scope, layer as unknown as EntryLayer<never>);
  }
  return layer;
}
