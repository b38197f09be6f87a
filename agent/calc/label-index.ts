// Label index: which selectors match which labelled items, maintained incrementally
// (felix/labelindex/label_inheritance_index.go, felix/labelindex/labelrestrictionindex), used by
// the active rules calculator (policies over local endpoints) and the IP set calculator.
//
// Items carry their own labels plus a list of parents (profiles) whose labels they inherit.
// To avoid evaluating every selector against every item, both sides are indexed by label:
// a selector that requires `k == v` (or the presence of `k`) is only evaluated against items
// carrying that label, and an item change only re-evaluates selectors keyed on one of its
// labels, the unrestricted selectors, and the selectors it currently matches.
//
// Built for 250k items (issue 15): items are small integers (struct of arrays, ids reused),
// their labels are interned flat arrays (label-sets.ts) and their effective labels are read
// through own + parents instead of being copied. Only selectors hold match sets (Set<number>);
// an item's matches are the selectors that can match its labels and hold it. Per-label item
// lists are built only for label keys some selector is indexed under; other keys are counted
// (label-keys.ts).
import type { Selector } from '../selector/index.js';
import { LabelKeys } from './label-keys.js';
import {
  addTo,
  removeFrom,
  sameList,
  EffectiveView,
  LabelSetPool,
  NO_LABELS,
  effectiveFlat,
  flatten,
  sameContent,
  type Flat,
  type LabelSet,
  type ParentList,
  type ParentRec,
} from './label-sets.js';

export { toLabelMap } from './label-sets.js';

/** Called synchronously from index updates; must not update this index's selectors from inside a callback. */
export interface MatchListener {
  onMatchStarted(selectorId: string, itemId: string): void;
  onMatchStopped(selectorId: string, itemId: string): void;
}

type Labels = ReadonlyMap<string, string>;

interface SelRec {
  readonly id: string;
  sel: Selector;
  /** The restriction the selector is indexed under (undefined = evaluated against every item). */
  key: string | undefined;
  values: readonly string[] | undefined;
  readonly matches: Set<number>;
}

/** Items without parents; shared, and never holds item ids (nothing inherits through it). */
const NO_PARENTS: ParentList = { names: [], recs: [], items: new Set() };

export class LabelIndex {
  // Items, by integer id.
  private readonly ids = new Map<string, number>();
  private readonly names: string[] = [];
  private readonly own: (LabelSet | undefined)[] = [];
  private readonly plists: ParentList[] = [];
  private readonly freeIds: number[] = [];
  private readonly pool = new LabelSetPool();
  private readonly parents = new Map<string, ParentRec>();
  /** Interned parent lists by their first name. */
  private readonly parentLists = new Map<string, ParentList[]>();
  private readonly sels = new Map<string, SelRec>();
  /** label key → value → selectors requiring key == value. */
  private readonly selsByKV = new Map<string, Map<string, Set<SelRec>>>();
  /** label key → selectors requiring only the key. */
  private readonly selsByKey = new Map<string, Set<SelRec>>();
  private readonly selsUnrestricted = new Set<SelRec>();
  private readonly view = new EffectiveView();
  /** label key → item counts (and item lists) over effective labels. */
  private readonly keys = new LabelKeys({ own: this.own, plists: this.plists }, new EffectiveView());
  /** Selectors put off by deferSelectors(), evaluated together at settle() (in arrival order). */
  private readonly pending = new Map<string, Selector>();
  private deferring = false;

  constructor(private readonly listener: MatchListener) {}

  /**
   * Puts off the evaluation of updateSelector calls until settle(). Selectors indexed under a label key
   * no selector used before need that key's item lists, and building them reads every item's labels:
   * selectors settled together share one read (the first in-sync activates every policy's IP sets at
   * once). Any call other than a selector's update or delete evaluates them first, so what the index
   * answers and tells its listener is the same, only later; a selector deleted before it was evaluated
   * is never evaluated.
   */
  deferSelectors(): void {
    this.deferring = true;
  }

  /** Whether this selector's evaluation is put off (its matches reach the listener at settle()). */
  isPending(id: string): boolean {
    return this.pending.has(id);
  }

  /** Evaluates the selectors put off since deferSelectors() and stops deferring. */
  settle(): void {
    this.deferring = false;
    this.evaluatePending();
  }

  /** Evaluates the selectors put off so far; deferring, if on, goes on for the next ones. */
  private evaluatePending(): void {
    if (this.pending.size === 0) return;
    const deferring = this.deferring;
    this.deferring = false;
    const batch = [...this.pending];
    this.pending.clear();
    const keys = new Set<string>();
    for (const [id, sel] of batch) {
      if (this.sels.get(id)?.sel.canonical() === sel.canonical()) continue;
      const key = this.restriction(sel).key;
      if (key !== undefined && !this.keys.hasPosting(key)) keys.add(key);
    }
    this.keys.buildPostings([...keys]);
    try {
      for (const [id, sel] of batch) this.updateSelector(id, sel);
    } finally {
      this.deferring = deferring;
    }
  }

  get itemCount(): number {
    return this.ids.size;
  }

  /** Sizes of the internal tables (tests check that nothing is left behind; memory debugging). */
  sizes(): {
    items: number;
    slots: number;
    labelSets: number;
    parents: number;
    parentLists: number;
    labelKeys: number;
    selectors: number;
  } {
    let parentLists = 0;
    for (const l of this.parentLists.values()) parentLists += l.length;
    return {
      items: this.ids.size,
      slots: this.names.length,
      labelSets: this.pool.size,
      parents: this.parents.size,
      parentLists,
      labelKeys: this.keys.size,
      selectors: this.sels.size,
    };
  }

  hasItem(id: string): boolean {
    return this.ids.has(id);
  }

  /** Effective labels (own, then inherited in profile order, felix/labelindex/label_inheritance_index.go). */
  labelsOf(id: string): Labels | undefined {
    this.evaluatePending();
    const n = this.ids.get(id);
    if (n === undefined) return undefined;
    const kv = this.effective(n);
    const m = new Map<string, string>();
    for (let i = 0; i < kv.length; i += 2) m.set(kv[i] as string, kv[i + 1] as string);
    return m;
  }

  matchesOfSelector(selId: string): ReadonlySet<string> {
    this.evaluatePending();
    const rec = this.sels.get(selId);
    const out = new Set<string>();
    if (rec) for (const n of rec.matches) out.add(this.names[n] as string);
    return out;
  }

  matchesOfItem(itemId: string): ReadonlySet<string> {
    this.evaluatePending();
    const n = this.ids.get(itemId);
    const out = new Set<string>();
    if (n !== undefined) for (const s of this.matchingSelectors(n, this.effective(n))) out.add(s.id);
    return out;
  }

  private effective(n: number): Flat {
    return effectiveFlat((this.own[n] as LabelSet).kv, (this.plists[n] as ParentList).recs);
  }

  private bindView(n: number): EffectiveView {
    return this.view.bind((this.own[n] as LabelSet).kv, (this.plists[n] as ParentList).recs);
  }

  /**
   * Calls `f` for each selector whose restriction the labels satisfy (every possible match), in
   * index order. Each selector is indexed under one key and an item has one value per key, so no
   * selector comes twice.
   */
  private forCandidates(kv: Flat, f: (s: SelRec) => void): void {
    for (const s of this.selsUnrestricted) f(s);
    for (let i = 0; i < kv.length; i += 2) {
      const k = kv[i] as string;
      const byKey = this.selsByKey.get(k);
      if (byKey) for (const s of byKey) f(s);
      const byKV = this.selsByKV.get(k)?.get(kv[i + 1] as string);
      if (byKV) for (const s of byKV) f(s);
    }
  }

  private matchingSelectors(n: number, kv: Flat): SelRec[] {
    const out: SelRec[] = [];
    this.forCandidates(kv, (s) => {
      if (s.matches.has(n)) out.push(s);
    });
    return out;
  }

  /** Re-evaluates an item: the selectors it matched (by its old labels) and its new candidates. */
  private evaluateItem(n: number, before: Flat | undefined, after: Flat): void {
    // The view is rebound per evaluation: a listener may use the index in between.
    const olds = before ? this.matchingSelectors(n, before) : [];
    for (const s of olds) this.setMatch(s, n, s.sel.evaluate(this.bindView(n)));
    this.forCandidates(after, (s) => {
      if (olds.length === 0 || !olds.includes(s)) this.setMatch(s, n, s.sel.evaluate(this.bindView(n)));
    });
  }

  private setMatch(srec: SelRec, n: number, matches: boolean): void {
    const had = srec.matches.has(n);
    if (matches === had) return;
    if (matches) {
      srec.matches.add(n);
      this.listener.onMatchStarted(srec.id, this.names[n] as string);
    } else {
      srec.matches.delete(n);
      this.listener.onMatchStopped(srec.id, this.names[n] as string);
    }
  }

  /** The interned list for these parent names (lists are found by their first name: no join). */
  private acquireParents(names: readonly string[]): ParentList {
    if (names.length === 0) return NO_PARENTS;
    const first = names[0] as string;
    const lists = this.parentLists.get(first);
    if (lists) for (const pl of lists) if (sameList(pl.names, names)) return pl;
    const recs = names.map((p) => {
      let pr = this.parents.get(p);
      if (!pr) this.parents.set(p, (pr = { name: p, labels: undefined, lists: new Set() }));
      return pr;
    });
    const pl: ParentList = { names: names.slice(), recs, items: new Set() };
    for (const pr of recs) pr.lists.add(pl);
    if (lists) lists.push(pl);
    else this.parentLists.set(first, [pl]);
    return pl;
  }

  private releaseParents(pl: ParentList): void {
    if (pl === NO_PARENTS || pl.items.size > 0) return;
    const first = pl.names[0] as string;
    const rest = (this.parentLists.get(first) ?? []).filter((x) => x !== pl);
    if (rest.length === 0) this.parentLists.delete(first);
    else this.parentLists.set(first, rest);
    for (const pr of pl.recs) {
      pr.lists.delete(pl);
      if (pr.labels === undefined && pr.lists.size === 0) this.parents.delete(pr.name);
    }
  }

  updateItem(id: string, own: Labels, parents: readonly string[]): void {
    this.evaluatePending();
    let n = this.ids.get(id);
    const ownKV = flatten(own);
    const oldOwn = n === undefined ? undefined : (this.own[n] as LabelSet);
    const oldPl = n === undefined ? undefined : (this.plists[n] as ParentList);
    if (oldOwn && oldPl && sameContent(oldOwn.kv, ownKV) && sameList(oldPl.names, parents)) return;
    const before = n === undefined ? undefined : this.effective(n);
    const pl = oldPl && sameList(oldPl.names, parents) ? oldPl : this.acquireParents(parents);
    const ownSet = this.pool.acquire(ownKV.length === 0 ? NO_LABELS : ownKV);
    if (n === undefined) {
      n = this.freeIds.pop() ?? this.names.length;
      this.ids.set(id, n);
      this.names[n] = id;
    }
    this.own[n] = ownSet;
    this.plists[n] = pl;
    if (pl !== NO_PARENTS) pl.items.add(n); // the shared empty list tracks no items
    if (oldOwn) this.pool.release(oldOwn);
    if (oldPl && oldPl !== pl) {
      oldPl.items.delete(n);
      this.releaseParents(oldPl);
    }
    const after = this.effective(n);
    if (before === undefined) this.keys.index(n, after, true);
    else if (!sameContent(before, after)) this.keys.reindex(n, before, after);
    else return;
    this.evaluateItem(n, before, after);
  }

  deleteItem(id: string): void {
    this.evaluatePending();
    const n = this.ids.get(id);
    if (n === undefined) return;
    const kv = this.effective(n);
    for (const s of this.matchingSelectors(n, kv)) this.setMatch(s, n, false);
    this.keys.index(n, kv, false);
    const pl = this.plists[n] as ParentList;
    pl.items.delete(n);
    this.pool.release(this.own[n] as LabelSet);
    this.own[n] = undefined;
    this.plists[n] = NO_PARENTS;
    this.names[n] = '';
    this.ids.delete(id);
    this.freeIds.push(n);
    this.releaseParents(pl);
  }

  /** Profile labels (labelsToApply); undefined = the profile is gone. */
  updateParent(name: string, labels: Labels | undefined): void {
    this.evaluatePending();
    let pr = this.parents.get(name);
    if (!pr) {
      if (labels === undefined) return;
      this.parents.set(name, (pr = { name, labels: undefined, lists: new Set() }));
    }
    const kv = labels === undefined ? undefined : flatten(labels);
    if (pr.labels === kv || (pr.labels && kv && sameContent(pr.labels, kv))) return;
    const children: number[] = [];
    const befores: Flat[] = [];
    for (const pl of pr.lists) {
      for (const n of pl.items) {
        children.push(n);
        befores.push(this.effective(n));
      }
    }
    pr.labels = kv;
    for (let i = 0; i < children.length; i++) {
      const n = children[i] as number;
      const before = befores[i] as Flat;
      const after = this.effective(n);
      if (sameContent(before, after)) continue;
      this.keys.reindex(n, before, after);
      this.evaluateItem(n, before, after);
    }
    if (pr.labels === undefined && pr.lists.size === 0) this.parents.delete(name);
  }

  /** The restriction with the fewest candidate items right now (undefined key = none). */
  private restriction(sel: Selector): { key: string | undefined; values: readonly string[] | undefined } {
    let key: string | undefined;
    let values: readonly string[] | undefined;
    let best = Infinity;
    for (const r of sel.labelRestrictions()) {
      const cost = this.keys.cost(r.key, r.values);
      if (cost < best) {
        best = cost;
        key = r.key;
        values = r.values;
      }
    }
    return { key, values };
  }

  updateSelector(id: string, sel: Selector): void {
    if (this.deferring) {
      this.pending.delete(id);
      this.pending.set(id, sel);
      return;
    }
    const old = this.sels.get(id);
    if (old && old.sel.canonical() === sel.canonical()) return;
    if (old) this.unindexSelector(old);
    // Index under the restriction with the fewest candidate items right now; any restriction
    // is sound because every match must satisfy all of them.
    const { key, values } = this.restriction(sel);
    const rec: SelRec = old ?? { id, sel, key, values, matches: new Set() };
    rec.sel = sel;
    rec.key = key;
    rec.values = values;
    if (!old) this.sels.set(id, rec);
    this.indexSelector(rec);
    const result = new Set<number>();
    const consider = (n: number): void => {
      if (sel.evaluate(this.bindView(n))) result.add(n);
    };
    if (key === undefined) {
      for (const n of this.ids.values()) consider(n);
    } else {
      const byVal = this.keys.posting(key);
      if (values === undefined) {
        for (const set of byVal.values()) for (const n of set) consider(n);
      } else {
        for (const v of values) for (const n of byVal.get(v) ?? []) consider(n);
      }
    }
    // Stop matches that no longer hold, then start the new ones.
    for (const n of [...rec.matches]) if (!result.has(n)) this.setMatch(rec, n, false);
    for (const n of result) this.setMatch(rec, n, true);
  }

  private indexSelector(rec: SelRec): void {
    const { key, values } = rec;
    if (key === undefined) {
      this.selsUnrestricted.add(rec);
      return;
    }
    this.keys.use(key);
    if (values === undefined) addTo(this.selsByKey, key, rec);
    else {
      let byVal = this.selsByKV.get(key);
      if (!byVal) this.selsByKV.set(key, (byVal = new Map()));
      for (const v of values) addTo(byVal, v, rec);
    }
  }

  private unindexSelector(rec: SelRec): void {
    const { key, values } = rec;
    if (key === undefined) {
      this.selsUnrestricted.delete(rec);
      return;
    }
    this.keys.unuse(key);
    if (values === undefined) removeFrom(this.selsByKey, key, rec);
    else {
      const byVal = this.selsByKV.get(key);
      if (byVal) {
        for (const v of values) removeFrom(byVal, v, rec);
        if (byVal.size === 0) this.selsByKV.delete(key);
      }
    }
  }

  deleteSelector(id: string): void {
    // Selectors do not depend on each other: one put off and deleted is never evaluated.
    this.pending.delete(id);
    const rec = this.sels.get(id);
    if (!rec) return;
    for (const n of [...rec.matches]) this.setMatch(rec, n, false);
    this.unindexSelector(rec);
    this.sels.delete(id);
  }
}
