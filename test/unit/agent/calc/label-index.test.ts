// The label index against brute force: random item/parent/selector churn, after every step the
// index's matches (and the stream of start/stop events) must equal evaluating every selector
// against every item's effective labels (profile label inheritance, felix/labelindex).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LabelIndex } from '../../../../agent/calc/index.js';
import { parseSelector, type Selector } from '../../../../agent/selector/index.js';
import { randomLabels, rng } from './random.js';

const SELECTORS = [
  "app == 'a'",
  "app == 'b' && env == 'c'",
  "has(tier) && env != 'a'",
  "pcns.team == 'b'",
  "app in {'a', 'c'}",
  '!has(app)',
  "app == 'a' || tier == 'b'",
  'all()',
  "env starts with 'b'",
  "(pcns.team == 'a' && app == 'c') || !(env == 'b')",
];

test('label index matches brute force under random churn', () => churn(12345, false));

// With deferSelectors(), a selector's matches come at settle() (or at the next call that is not a
// selector's update or delete): checked after each settle and after every such call.
test('label index with selectors put off in batches matches brute force under random churn', () =>
  churn(777, true));

function churn(seed: number, defer: boolean): void {
  const r = rng(seed);
  let deferring = false;
  let settles = 0;
  const events = new Set<string>();
  const idx = new LabelIndex({
    onMatchStarted(s, i) {
      assert.ok(!events.has(`${s}|${i}`), 'duplicate start');
      events.add(`${s}|${i}`);
    },
    onMatchStopped(s, i) {
      assert.ok(events.delete(`${s}|${i}`), 'stop without start');
    },
  });
  const items = new Map<string, { own: Map<string, string>; parents: string[] }>();
  const parents = new Map<string, Map<string, string>>();
  const sels = new Map<string, Selector>();
  const effective = (id: string): Map<string, string> => {
    const it = items.get(id)!;
    const m = new Map(it.own);
    for (const p of it.parents) for (const [k, v] of parents.get(p) ?? []) if (!m.has(k)) m.set(k, v);
    return m;
  };
  for (let stepNo = 0; stepNo < 3000; stepNo++) {
    const op = r();
    if (op < 0.45) {
      const id = `i${Math.floor(r() * 40)}`;
      const own = randomLabels(r, ['app', 'tier', 'env']);
      const ps = ['p0', 'p1', 'p2', 'p3'].filter(() => r() < 0.4);
      items.set(id, { own, parents: ps });
      idx.updateItem(id, own, ps);
    } else if (op < 0.55) {
      const id = `i${Math.floor(r() * 40)}`;
      items.delete(id);
      idx.deleteItem(id);
    } else if (op < 0.7) {
      const p = `p${Math.floor(r() * 4)}`;
      if (r() < 0.2) {
        parents.delete(p);
        idx.updateParent(p, undefined);
      } else {
        const l = randomLabels(r, ['pcns.team', 'env']);
        parents.set(p, l);
        idx.updateParent(p, l);
      }
    } else if (op < 0.9) {
      if (defer && !deferring && r() < 0.3) {
        idx.deferSelectors();
        deferring = true;
      }
      const id = `s${Math.floor(r() * 8)}`;
      const sel = parseSelector(SELECTORS[Math.floor(r() * SELECTORS.length)] as string);
      sels.set(id, sel);
      idx.updateSelector(id, sel);
      if (deferring && r() < 0.7) continue; // the batch grows; not evaluated yet
      if (deferring) {
        idx.settle();
        deferring = false;
        settles++;
      }
    } else {
      const id = `s${Math.floor(r() * 8)}`;
      sels.delete(id);
      idx.deleteSelector(id);
      if (deferring) continue; // the rest of the batch is still put off
    }
    const want = new Set<string>();
    for (const [sid, sel] of sels)
      for (const iid of items.keys()) if (sel.evaluate(effective(iid))) want.add(`${sid}|${iid}`);
    assert.deepEqual([...events].sort(), [...want].sort(), `step ${stepNo}`);
    for (const [sid] of sels) {
      assert.deepEqual(
        [...idx.matchesOfSelector(sid)].sort(),
        [...want]
          .filter((x) => x.startsWith(`${sid}|`))
          .map((x) => x.split('|')[1])
          .sort(),
      );
    }
  }
  if (defer) assert.ok(settles > 50, `only ${settles} batches settled`);
}

test('index work is proportional to candidates, not to all items × all selectors', () => {
  let evaluations = 0;
  const counted = (text: string): Selector => {
    const s = parseSelector(text);
    const inner = s.evaluate.bind(s);
    s.evaluate = (labels) => {
      evaluations++;
      return inner(labels);
    };
    return s;
  };
  let started = 0;
  const idx = new LabelIndex({
    onMatchStarted: () => started++,
    onMatchStopped: () => {},
  });
  // 2,000 items in 100 namespaces, 20 apps.
  for (let i = 0; i < 2000; i++) {
    idx.updateItem(
      `i${i}`,
      new Map([
        ['ns', `ns-${i % 100}`],
        ['app', `app-${i % 20}`],
        ['k8s', 'yes'],
      ]),
      [],
    );
  }
  // 1,000 selectors, each restricted by namespace.
  evaluations = 0;
  for (let s = 0; s < 1000; s++)
    idx.updateSelector(`s${s}`, counted(`k8s == 'yes' && ns == 'ns-${s % 100}' && app == 'app-${s % 20}'`));
  // Each selector is evaluated only against the 20 items of its namespace (not 2,000, and not
  // the 1,000 items carrying k8s == 'yes'), so 1,000 × 20.
  assert.equal(evaluations, 1000 * 20);
  assert.ok(started > 0);
  // One item changing its labels re-evaluates only the selectors keyed on its namespace(s).
  evaluations = 0;
  idx.updateItem(
    'i5',
    new Map([
      ['ns', 'ns-6'],
      ['app', 'app-5'],
      ['k8s', 'yes'],
    ]),
    [],
  );
  assert.ok(evaluations <= 20, `evaluated ${evaluations} selectors for one item change`);
  // A selector with no usable restriction is the only kind evaluated against everything.
  evaluations = 0;
  idx.updateSelector('any', counted(`ns != 'ns-1'`));
  assert.equal(evaluations, 2000);
  evaluations = 0;
  idx.updateItem('i7', new Map([['ns', 'ns-7']]), []);
  assert.ok(evaluations <= 1 + 10 + 10, `evaluated ${evaluations}`);
});
