// The label index's per-key side (label-index.ts): for each label key, how many items carry it and
// with which values (counted always, to choose a selector's cheapest restriction), and the items
// themselves by value, built only for keys some selector is indexed under. Items are the index's
// integer ids; their effective labels are read through own + parents (label-sets.ts).
import {
  addTo,
  removeFrom,
  lookup,
  type EffectiveView,
  type Flat,
  type LabelSet,
  type ParentList,
} from './label-sets.js';

interface KeyStat {
  items: number;
  readonly perValue: Map<string, number>;
  posting: Map<string, Set<number>> | undefined;
  /** Selectors indexed under this key. */
  users: number;
}

/** The index's items as it stores them: own labels (undefined = a free id) and parent lists, by id. */
export interface ItemTable {
  readonly own: readonly (LabelSet | undefined)[];
  readonly plists: readonly ParentList[];
}

export class LabelKeys {
  private readonly keys = new Map<string, KeyStat>();

  constructor(
    private readonly items: ItemTable,
    private readonly view: EffectiveView,
  ) {}

  get size(): number {
    return this.keys.size;
  }

  private stat(key: string): KeyStat {
    let st = this.keys.get(key);
    if (!st) this.keys.set(key, (st = { items: 0, perValue: new Map(), posting: undefined, users: 0 }));
    return st;
  }

  /** Counts (add) or uncounts an item's labels, keeping built item lists up to date. */
  index(n: number, kv: Flat, add: boolean): void {
    for (let i = 0; i < kv.length; i += 2) {
      const k = kv[i] as string;
      const v = kv[i + 1] as string;
      if (add) {
        const st = this.stat(k);
        st.items++;
        st.perValue.set(v, (st.perValue.get(v) ?? 0) + 1);
        if (st.posting) addTo(st.posting, v, n);
        continue;
      }
      const st = this.keys.get(k);
      if (!st) continue;
      st.items--;
      const c = (st.perValue.get(v) ?? 1) - 1;
      if (c === 0) st.perValue.delete(v);
      else st.perValue.set(v, c);
      if (st.posting) removeFrom(st.posting, v, n);
      if (st.items === 0 && st.users === 0) this.keys.delete(k);
    }
  }

  /** Re-indexes only the labels that differ between two label sets. */
  reindex(n: number, before: Flat, after: Flat): void {
    let removed: string[] | undefined;
    let added: string[] | undefined;
    for (let i = 0; i < before.length; i += 2)
      if (lookup(after, before[i] as string) !== before[i + 1])
        (removed ??= []).push(before[i] as string, before[i + 1] as string);
    for (let i = 0; i < after.length; i += 2)
      if (lookup(before, after[i] as string) !== after[i + 1])
        (added ??= []).push(after[i] as string, after[i + 1] as string);
    if (removed) this.index(n, removed, false);
    if (added) this.index(n, added, true);
  }

  /** Current number of candidate items under a restriction. */
  cost(key: string, values: readonly string[] | undefined): number {
    const st = this.keys.get(key);
    if (!st) return 0;
    if (values === undefined) return st.items;
    let c = 0;
    for (const v of values) c += st.perValue.get(v) ?? 0;
    return c;
  }

  hasPosting(key: string): boolean {
    return this.keys.get(key)?.posting !== undefined;
  }

  /** The item lists under one key, built from every item on first use. */
  posting(key: string): Map<string, Set<number>> {
    const st = this.keys.get(key);
    if (st?.posting) return st.posting;
    this.buildPostings([key]);
    return this.stat(key).posting as Map<string, Set<number>>;
  }

  /** Builds the item lists of keys that have none, reading each item's labels once for all of them. */
  buildPostings(keys: readonly string[]): void {
    const todo: string[] = [];
    const lists: Map<string, Set<number>>[] = [];
    for (const key of keys) {
      const st = this.stat(key);
      if (st.posting) continue;
      st.posting = new Map();
      if (st.items === 0) continue;
      todo.push(key);
      lists.push(st.posting);
    }
    if (todo.length === 0) return;
    const { own, plists } = this.items;
    const view = this.view;
    for (let n = 0; n < own.length; n++) {
      const o = own[n];
      if (o === undefined) continue; // a free id
      view.bind(o.kv, (plists[n] as ParentList).recs);
      for (let i = 0; i < todo.length; i++) {
        const v = view.get(todo[i] as string);
        if (v !== undefined) addTo(lists[i] as Map<string, Set<number>>, v, n);
      }
    }
  }

  /** A selector is indexed under the key: its item lists are built and kept. */
  use(key: string): void {
    this.posting(key);
    this.stat(key).users++;
  }

  /**
   * A selector no longer is. The key's item lists stay built: dropping them would make a selector
   * edit loop rescan every item each time.
   */
  unuse(key: string): void {
    const st = this.keys.get(key);
    if (st && --st.users === 0 && st.items === 0) this.keys.delete(key);
  }
}
