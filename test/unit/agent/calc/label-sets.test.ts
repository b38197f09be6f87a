// The label index's compact storage (agent/calc/label-sets.ts): interning, effective labels read
// through own + parents (felix/labelindex/label_inheritance_index.go: own labels win, then the
// first parent naming a key), and the index leaving nothing behind once its inputs are gone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LabelIndex } from '../../../../agent/calc/index.js';
import {
  EffectiveView,
  LabelSetPool,
  effectiveFlat,
  hashFlat,
  type ParentRec,
} from '../../../../agent/calc/label-sets.js';
import { parseSelector } from '../../../../agent/selector/index.js';
import { randomLabels, rng } from './random.js';

test('label set pool: equal arrays share one set, refcounted; order is part of the identity', () => {
  const pool = new LabelSetPool();
  const a = pool.acquire(['app', 'a', 'tier', 'db']);
  const b = pool.acquire(['app', 'a', 'tier', 'db']);
  const c = pool.acquire(['tier', 'db', 'app', 'a']);
  assert.equal(a, b);
  assert.notEqual(a, c);
  assert.equal(a.refs, 2);
  assert.equal(pool.size, 2);
  pool.release(a);
  assert.equal(pool.size, 2);
  pool.release(b);
  assert.equal(pool.size, 1);
  // Gone means gone: the next acquire makes a new set.
  const d = pool.acquire(['app', 'a', 'tier', 'db']);
  assert.notEqual(d, a);
  assert.equal(d.refs, 1);
  pool.release(c);
  pool.release(d);
  assert.equal(pool.size, 0);
});

test('label set pool: two arrays with the same hash stay distinct and are released separately', () => {
  // Search for a collision of the 30-bit hash (birthday bound: tens of thousands of tries).
  const seen = new Map<number, string>();
  let pair: [string, string] | undefined;
  for (let i = 0; pair === undefined; i++) {
    const v = `v${i}`;
    const h = hashFlat(['k', v]);
    const other = seen.get(h);
    if (other !== undefined) pair = [other, v];
    else seen.set(h, v);
  }
  const [x, y] = pair;
  assert.notEqual(x, y);
  const pool = new LabelSetPool();
  const sx = pool.acquire(['k', x]);
  const sy = pool.acquire(['k', y]);
  assert.notEqual(sx, sy);
  assert.equal(sx.hash, sy.hash);
  assert.equal(pool.acquire(['k', y]), sy);
  assert.equal(pool.acquire(['k', x]), sx);
  assert.equal(pool.size, 2);
  pool.release(sx);
  pool.release(sx);
  assert.equal(pool.size, 1);
  assert.equal(pool.acquire(['k', y]), sy, 'the survivor is still found');
  pool.release(sy);
  pool.release(sy);
  pool.release(sy);
  assert.equal(pool.size, 0);
});

test('effective labels: own labels win, then the first parent naming a key', () => {
  const p1: ParentRec = { name: 'p1', labels: ['env', 'p1', 'team', 'a'], lists: new Set() };
  const p2: ParentRec = { name: 'p2', labels: ['env', 'p2', 'zone', 'z'], lists: new Set() };
  const gone: ParentRec = { name: 'gone', labels: undefined, lists: new Set() };
  const own = ['app', 'x', 'team', 'own'];
  assert.deepEqual(effectiveFlat(own, [gone, p1, p2]), ['app', 'x', 'team', 'own', 'env', 'p1', 'zone', 'z']);
  assert.equal(effectiveFlat(own, [gone]), own, 'nothing inherited: the own array itself');
  const view = new EffectiveView().bind(own, [gone, p1, p2]);
  assert.equal(view.get('team'), 'own');
  assert.equal(view.get('env'), 'p1');
  assert.equal(view.get('zone'), 'z');
  assert.equal(view.get('none'), undefined);
  assert.equal(new EffectiveView().bind(['e', ''], []).get('e'), '', 'an empty value is present');
});

test('label index: labelsOf and matchesOfItem agree with brute force; nothing is left behind', () => {
  const r = rng(777);
  const SELS = ["app == 'a'", "has(tier) && env != 'a'", "pcns.team in {'a', 'b'}", 'all()', '!has(app)'];
  const idx = new LabelIndex({ onMatchStarted: () => {}, onMatchStopped: () => {} });
  const items = new Map<string, { own: Map<string, string>; parents: string[] }>();
  const parents = new Map<string, Map<string, string>>();
  const sels = new Map<string, ReturnType<typeof parseSelector>>();
  const effective = (id: string): [string, string][] => {
    const it = items.get(id)!;
    const m = new Map(it.own);
    for (const p of it.parents) for (const [k, v] of parents.get(p) ?? []) if (!m.has(k)) m.set(k, v);
    return [...m];
  };
  let most = 0;
  for (let step = 0; step < 2000; step++) {
    const op = r();
    const id = `i${Math.floor(r() * 30)}`;
    if (op < 0.45) {
      const own = randomLabels(r, ['app', 'tier', 'env']);
      const ps = ['p0', 'p1', 'p2'].filter(() => r() < 0.5);
      const old = items.get(id);
      // labelsOf keeps the item's first order when only the order changes (same content).
      const same =
        old &&
        old.own.size === own.size &&
        [...own].every(([k, v]) => old.own.get(k) === v) &&
        old.parents.join() === ps.join();
      if (!same) items.set(id, { own, parents: ps });
      idx.updateItem(id, own, ps);
    } else if (op < 0.6) {
      items.delete(id);
      idx.deleteItem(id);
    } else if (op < 0.75) {
      const p = `p${Math.floor(r() * 3)}`;
      if (r() < 0.3) {
        parents.delete(p);
        idx.updateParent(p, undefined);
      } else {
        const l = randomLabels(r, ['pcns.team', 'env']);
        parents.set(p, l);
        idx.updateParent(p, l);
      }
    } else if (op < 0.9) {
      const s = `s${Math.floor(r() * 5)}`;
      const sel = parseSelector(SELS[Math.floor(r() * SELS.length)] as string);
      sels.set(s, sel);
      idx.updateSelector(s, sel);
    } else {
      const s = `s${Math.floor(r() * 5)}`;
      sels.delete(s);
      idx.deleteSelector(s);
    }
    most = Math.max(most, items.size);
    for (const iid of items.keys()) {
      assert.deepEqual([...(idx.labelsOf(iid) ?? [])], effective(iid), `step ${step} labels of ${iid}`);
      const want = [...sels].filter(([, sel]) => sel.evaluate(new Map(effective(iid)))).map(([s]) => s);
      assert.deepEqual([...idx.matchesOfItem(iid)].sort(), want.sort(), `step ${step} matches of ${iid}`);
    }
    assert.equal(idx.labelsOf('nope'), undefined);
    assert.equal(idx.itemCount, items.size);
  }
  // Ids are reused: the slot arrays never outgrow the most items held at once.
  assert.ok(idx.sizes().slots <= most, `${idx.sizes().slots} slots for at most ${most} items`);
  for (const id of [...items.keys()]) idx.deleteItem(id);
  for (const s of [...sels.keys()]) idx.deleteSelector(s);
  for (const p of ['p0', 'p1', 'p2']) idx.updateParent(p, undefined);
  assert.deepEqual(idx.sizes(), {
    items: 0,
    slots: idx.sizes().slots,
    labelSets: 0,
    parents: 0,
    parentLists: 0,
    labelKeys: 0,
    selectors: 0,
  });
});
