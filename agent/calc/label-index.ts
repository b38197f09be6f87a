// Label index: which selectors match which labelled items, maintained incrementally
// (felix/labelindex/label_inheritance_index.go, felix/labelindex/labelrestrictionindex), used by
// the active rules calculator (policies over local endpoints) and the IP set calculator.
//
// Items carry their own labels plus a list of parents (profiles) whose labels they inherit.
// To avoid evaluating every selector against every item, both sides are indexed by label:
// a selector that requires `k == v` (or the presence of `k`) is only evaluated against items
// carrying that label, and an item change only re-evaluates selectors keyed on one of its
// labels, the unrestricted selectors, and the selectors it currently matches.
import type { Selector } from '../selector/index.js';

export interface MatchListener {
  onMatchStarted(selectorId: string, itemId: string): void;
  onMatchStopped(selectorId: string, itemId: string): void;
}

type Labels = ReadonlyMap<string, string>;
const EMPTY: Labels = new Map();

interface ItemRec {
  own: Labels;
  parents: readonly string[];
  effective: Labels;
  matches: Set<string>;
}

interface ParentRec {
  labels: Labels | undefined;
  children: Set<string>;
}

interface SelRec {
  sel: Selector;
  /** The restriction the selector is indexed under (undefined = evaluated against every item). */
  key: string | undefined;
  values: readonly string[] | undefined;
  matches: Set<string>;
}

function addTo<K, V>(m: Map<K, Set<V>>, k: K, v: V): void {
  let s = m.get(k);
  if (!s) m.set(k, (s = new Set()));
  s.add(v);
}
function removeFrom<K, V>(m: Map<K, Set<V>>, k: K, v: V): void {
  const s = m.get(k);
  if (!s) return;
  s.delete(v);
  if (s.size === 0) m.delete(k);
}

function sameLabels(a: Labels, b: Labels): boolean {
  if (a === b) return true;
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export function toLabelMap(labels: Readonly<Record<string, string>> | null | undefined): Labels {
  if (!labels) return EMPTY;
  const keys = Object.keys(labels);
  if (keys.length === 0) return EMPTY;
  const m = new Map<string, string>();
  for (const k of keys) m.set(k, labels[k] as string);
  return m;
}

export class LabelIndex {
  private readonly items = new Map<string, ItemRec>();
  private readonly parents = new Map<string, ParentRec>();
  private readonly sels = new Map<string, SelRec>();
  /** label key → value → item ids (over effective labels). */
  private readonly itemsByLabel = new Map<string, Map<string, Set<string>>>();
  /** label key → number of items carrying it. */
  private readonly keyCounts = new Map<string, number>();
  /** label key → value → selector ids requiring key == value. */
  private readonly selsByKV = new Map<string, Map<string, Set<string>>>();
  /** label key → selector ids requiring only the key. */
  private readonly selsByKey = new Map<string, Set<string>>();
  private readonly selsUnrestricted = new Set<string>();

  constructor(private readonly listener: MatchListener) {}

  get itemCount(): number {
    return this.items.size;
  }

  hasItem(id: string): boolean {
    return this.items.has(id);
  }

  /** Effective labels (own, then inherited in profile order, felix/labelindex/label_inheritance_index.go). */
  labelsOf(id: string): Labels | undefined {
    return this.items.get(id)?.effective;
  }

  matchesOfSelector(selId: string): ReadonlySet<string> {
    return this.sels.get(selId)?.matches ?? new Set();
  }

  matchesOfItem(itemId: string): ReadonlySet<string> {
    return this.items.get(itemId)?.matches ?? new Set();
  }

  private computeEffective(own: Labels, parents: readonly string[]): Labels {
    let eff: Map<string, string> | undefined;
    for (const p of parents) {
      const pl = this.parents.get(p)?.labels;
      if (!pl || pl.size === 0) continue;
      for (const [k, v] of pl) {
        if (own.has(k) || eff?.has(k)) continue;
        eff ??= new Map(own);
        eff.set(k, v);
      }
    }
    return eff ?? own;
  }

  private indexItemLabels(id: string, labels: Labels, add: boolean): void {
    for (const [k, v] of labels) {
      let byVal = this.itemsByLabel.get(k);
      if (add) {
        if (!byVal) this.itemsByLabel.set(k, (byVal = new Map()));
        addTo(byVal, v, id);
        this.keyCounts.set(k, (this.keyCounts.get(k) ?? 0) + 1);
      } else if (byVal) {
        removeFrom(byVal, v, id);
        if (byVal.size === 0) this.itemsByLabel.delete(k);
        const n = (this.keyCounts.get(k) ?? 1) - 1;
        if (n === 0) this.keyCounts.delete(k);
        else this.keyCounts.set(k, n);
      }
    }
  }

  /** Re-indexes only the labels that differ between two label sets. */
  private reindexItemLabels(id: string, before: Labels, after: Labels): void {
    let removed: Map<string, string> | undefined;
    let added: Map<string, string> | undefined;
    for (const [k, v] of before) if (after.get(k) !== v) (removed ??= new Map()).set(k, v);
    for (const [k, v] of after) if (before.get(k) !== v) (added ??= new Map()).set(k, v);
    if (removed) this.indexItemLabels(id, removed, false);
    if (added) this.indexItemLabels(id, added, true);
  }

  /** Current number of candidate items under a restriction. */
  private restrictionCost(key: string, values: readonly string[] | undefined): number {
    if (values === undefined) return this.keyCounts.get(key) ?? 0;
    const byVal = this.itemsByLabel.get(key);
    let n = 0;
    for (const v of values) n += byVal?.get(v)?.size ?? 0;
    return n;
  }

  private evaluateItem(id: string, rec: ItemRec): void {
    const candidates = new Set<string>(rec.matches);
    for (const s of this.selsUnrestricted) candidates.add(s);
    for (const [k, v] of rec.effective) {
      const byKey = this.selsByKey.get(k);
      if (byKey) for (const s of byKey) candidates.add(s);
      const byKV = this.selsByKV.get(k)?.get(v);
      if (byKV) for (const s of byKV) candidates.add(s);
    }
    for (const sid of candidates) {
      const srec = this.sels.get(sid);
      if (!srec) continue;
      this.setMatch(sid, srec, id, rec, srec.sel.evaluate(rec.effective));
    }
  }

  private setMatch(sid: string, srec: SelRec, iid: string, irec: ItemRec, matches: boolean): void {
    const had = srec.matches.has(iid);
    if (matches === had) return;
    if (matches) {
      srec.matches.add(iid);
      irec.matches.add(sid);
      this.listener.onMatchStarted(sid, iid);
    } else {
      srec.matches.delete(iid);
      irec.matches.delete(sid);
      this.listener.onMatchStopped(sid, iid);
    }
  }

  updateItem(id: string, own: Labels, parents: readonly string[]): void {
    const old = this.items.get(id);
    if (old && sameLabels(old.own, own) && sameList(old.parents, parents)) return;
    const effective = this.computeEffective(own, parents);
    if (old) {
      for (const p of old.parents) this.parents.get(p)?.children.delete(id);
    }
    for (const p of parents) {
      let pr = this.parents.get(p);
      if (!pr) this.parents.set(p, (pr = { labels: undefined, children: new Set() }));
      pr.children.add(id);
    }
    const rec: ItemRec = old ?? { own, parents, effective, matches: new Set() };
    const labelsChanged = !old || !sameLabels(old.effective, effective);
    if (old && labelsChanged) this.reindexItemLabels(id, old.effective, effective);
    else if (!old) this.indexItemLabels(id, effective, true);
    rec.own = own;
    rec.parents = parents;
    rec.effective = effective;
    if (!old) this.items.set(id, rec);
    if (labelsChanged) this.evaluateItem(id, rec);
    this.gcParents(old?.parents);
  }

  deleteItem(id: string): void {
    const rec = this.items.get(id);
    if (!rec) return;
    for (const sid of [...rec.matches]) {
      const srec = this.sels.get(sid);
      if (srec) this.setMatch(sid, srec, id, rec, false);
    }
    this.indexItemLabels(id, rec.effective, false);
    for (const p of rec.parents) this.parents.get(p)?.children.delete(id);
    this.items.delete(id);
    this.gcParents(rec.parents);
  }

  /** Profile labels (labelsToApply); undefined = the profile is gone. */
  updateParent(name: string, labels: Labels | undefined): void {
    let pr = this.parents.get(name);
    if (!pr) {
      if (labels === undefined) return;
      this.parents.set(name, (pr = { labels: undefined, children: new Set() }));
    }
    if (pr.labels === labels || (pr.labels && labels && sameLabels(pr.labels, labels))) return;
    pr.labels = labels;
    for (const child of pr.children) {
      const rec = this.items.get(child);
      if (!rec) continue;
      const eff = this.computeEffective(rec.own, rec.parents);
      if (sameLabels(eff, rec.effective)) continue;
      this.reindexItemLabels(child, rec.effective, eff);
      rec.effective = eff;
      this.evaluateItem(child, rec);
    }
    this.gcParents([name]);
  }

  private gcParents(names: readonly string[] | undefined): void {
    if (!names) return;
    for (const n of names) {
      const pr = this.parents.get(n);
      if (pr && pr.labels === undefined && pr.children.size === 0) this.parents.delete(n);
    }
  }

  updateSelector(id: string, sel: Selector): void {
    const old = this.sels.get(id);
    if (old && old.sel.canonical() === sel.canonical()) return;
    if (old) this.unindexSelector(id, old);
    // Index under the restriction with the fewest candidate items right now; any restriction
    // is sound because every match must satisfy all of them.
    let key: string | undefined;
    let values: readonly string[] | undefined;
    let best = Infinity;
    for (const r of sel.labelRestrictions()) {
      const cost = this.restrictionCost(r.key, r.values);
      if (cost < best) {
        best = cost;
        key = r.key;
        values = r.values;
      }
    }
    const rec: SelRec = old ?? { sel, key, values, matches: new Set() };
    rec.sel = sel;
    rec.key = key;
    rec.values = values;
    if (!old) this.sels.set(id, rec);
    if (key === undefined) this.selsUnrestricted.add(id);
    else if (values === undefined) addTo(this.selsByKey, key, id);
    else {
      let byVal = this.selsByKV.get(key);
      if (!byVal) this.selsByKV.set(key, (byVal = new Map()));
      for (const v of values) addTo(byVal, v, id);
    }
    const result = new Set<string>();
    const consider = (iid: string): void => {
      const irec = this.items.get(iid);
      if (irec && sel.evaluate(irec.effective)) result.add(iid);
    };
    if (key === undefined) {
      for (const iid of this.items.keys()) consider(iid);
    } else {
      const byVal = this.itemsByLabel.get(key);
      if (byVal) {
        if (values === undefined) {
          for (const set of byVal.values()) for (const iid of set) consider(iid);
        } else {
          for (const v of values) for (const iid of byVal.get(v) ?? []) consider(iid);
        }
      }
    }
    // Stop matches that no longer hold, then start the new ones.
    for (const iid of [...rec.matches]) {
      if (!result.has(iid)) this.setMatch(id, rec, iid, this.items.get(iid) as ItemRec, false);
    }
    for (const iid of result) this.setMatch(id, rec, iid, this.items.get(iid) as ItemRec, true);
  }

  private unindexSelector(id: string, rec: SelRec): void {
    if (rec.key === undefined) this.selsUnrestricted.delete(id);
    else if (rec.values === undefined) removeFrom(this.selsByKey, rec.key, id);
    else {
      const byVal = this.selsByKV.get(rec.key);
      if (byVal) {
        for (const v of rec.values) removeFrom(byVal, v, id);
        if (byVal.size === 0) this.selsByKV.delete(rec.key);
      }
    }
  }

  deleteSelector(id: string): void {
    const rec = this.sels.get(id);
    if (!rec) return;
    for (const iid of [...rec.matches]) this.setMatch(id, rec, iid, this.items.get(iid) as ItemRec, false);
    this.unindexSelector(id, rec);
    this.sels.delete(id);
  }
}
