// Compact label storage for the label index (agent/calc/label-index.ts): flat [key, value, …]
// arrays interned by content and refcounted, so items with the same labels (the pods of one
// deployment) share one array, and interned parent (profile) lists shared by the items naming
// them. An item's effective labels (felix/labelindex/label_inheritance_index.go: own labels,
// then each parent's in order, the first one wins) are never stored; EffectiveView reads them
// through own + parents, which is all selector evaluation needs (LabelSource).
import type { LabelSource } from '../selector/index.js';

/** Labels as [k0, v0, k1, v1, …] in the caller's insertion order. */
export type Flat = readonly string[];

export interface LabelSet {
  readonly kv: Flat;
  readonly hash: number;
  refs: number;
}

export interface ParentRec {
  readonly name: string;
  labels: Flat | undefined;
  /** The interned parent lists naming this parent. */
  readonly lists: Set<ParentList>;
}

export interface ParentList {
  readonly names: readonly string[];
  readonly recs: readonly ParentRec[];
  /** Item ids using this list. */
  readonly items: Set<number>;
}

export const NO_LABELS: Flat = [];

export function flatten(m: ReadonlyMap<string, string>): Flat {
  if (m.size === 0) return NO_LABELS;
  // Sized up front: an array grown by push keeps spare capacity, and interned ones live long.
  const out = new Array<string>(m.size * 2);
  let i = 0;
  for (const [k, v] of m) {
    out[i++] = k;
    out[i++] = v;
  }
  return out;
}

export function lookup(kv: Flat, key: string): string | undefined {
  for (let i = 0; i < kv.length; i += 2) if (kv[i] === key) return kv[i + 1];
  return undefined;
}

/** Same content as maps (order ignored), like comparing two Maps entry by entry. */
export function sameContent(a: Flat, b: Flat): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < b.length; i += 2) if (lookup(a, b[i] as string) !== b[i + 1]) return false;
  return true;
}

function sameOrder(a: Flat, b: Flat): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function hashFlat(kv: Flat): number {
  // FNV-1a over the characters, a separator after each string.
  let h = 0x811c9dc5;
  for (const s of kv) {
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
    h = Math.imul(h ^ 0xffff, 0x01000193);
  }
  // Kept in small-integer range so Map keys stay unboxed.
  return h & 0x3fffffff;
}

/** Interns label arrays by exact content and order (so labelsOf keeps the caller's order). */
export class LabelSetPool {
  private readonly byHash = new Map<number, LabelSet | LabelSet[]>();

  private count = 0;

  /** Distinct label sets held. */
  get size(): number {
    return this.count;
  }

  acquire(kv: Flat): LabelSet {
    const hash = hashFlat(kv);
    const slot = this.byHash.get(hash);
    if (slot === undefined) {
      const set: LabelSet = { kv, hash, refs: 1 };
      this.byHash.set(hash, set);
      this.count++;
      return set;
    }
    const list = Array.isArray(slot) ? slot : [slot];
    for (const s of list) {
      if (sameOrder(s.kv, kv)) {
        s.refs++;
        return s;
      }
    }
    const set: LabelSet = { kv, hash, refs: 1 };
    list.push(set);
    this.count++;
    if (!Array.isArray(slot)) this.byHash.set(hash, list);
    return set;
  }

  release(set: LabelSet): void {
    if (--set.refs > 0) return;
    this.count--;
    const slot = this.byHash.get(set.hash);
    if (slot === set) this.byHash.delete(set.hash);
    else if (Array.isArray(slot)) {
      const rest = slot.filter((s) => s !== set);
      if (rest.length === 0) this.byHash.delete(set.hash);
      else this.byHash.set(set.hash, rest.length === 1 ? (rest[0] as LabelSet) : rest);
    }
  }
}

/** Effective labels of one item, read through its own labels and its parents'. Rebound per use. */
export class EffectiveView implements LabelSource {
  own: Flat = NO_LABELS;
  parents: readonly ParentRec[] = [];

  bind(own: Flat, parents: readonly ParentRec[]): this {
    this.own = own;
    this.parents = parents;
    return this;
  }

  get(key: string): string | undefined {
    const v = lookup(this.own, key);
    if (v !== undefined) return v;
    for (const p of this.parents) {
      const l = p.labels;
      if (l === undefined) continue;
      const pv = lookup(l, key);
      if (pv !== undefined) return pv;
    }
    return undefined;
  }
}

/** The effective labels as a flat array (own first, then inherited keys not yet seen). */
export function effectiveFlat(own: Flat, parents: readonly ParentRec[]): Flat {
  let out: string[] | undefined;
  for (const p of parents) {
    const l = p.labels;
    if (l === undefined || l.length === 0) continue;
    for (let i = 0; i < l.length; i += 2) {
      const k = l[i] as string;
      if (lookup(own, k) !== undefined || (out !== undefined && lookup(out, k) !== undefined)) continue;
      out ??= own.slice();
      out.push(k, l[i + 1] as string);
    }
  }
  return out ?? own;
}

const EMPTY: ReadonlyMap<string, string> = new Map();

export function addTo<K, V>(m: Map<K, Set<V>>, k: K, v: V): void {
  let s = m.get(k);
  if (!s) m.set(k, (s = new Set()));
  s.add(v);
}
export function removeFrom<K, V>(m: Map<K, Set<V>>, k: K, v: V): void {
  const s = m.get(k);
  if (!s) return;
  s.delete(v);
  if (s.size === 0) m.delete(k);
}

export function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export function toLabelMap(
  labels: Readonly<Record<string, string>> | null | undefined,
): ReadonlyMap<string, string> {
  if (!labels) return EMPTY;
  const keys = Object.keys(labels);
  if (keys.length === 0) return EMPTY;
  const m = new Map<string, string>();
  for (const k of keys) m.set(k, labels[k] as string);
  return m;
}
