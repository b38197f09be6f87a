// The label index against brute force: random item/parent/selector churn, after every step the
// index's matches (and the stream of start/stop events) must equal evaluating every selector
// against every item's effective labels (§5.2 inheritance, §5.8).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LabelIndex, IPSetCalculator } from '../../../../agent/calc/index.js';
import { EventSequencer } from '../../../../agent/calc/event-sequencer.js';
import { parseSelector, type Selector } from '../../../../agent/selector/index.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const KEYS = ['app', 'tier', 'env', 'pcns.team'];
const VALS = ['a', 'b', 'c'];
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

function randomLabels(r: () => number, keys = KEYS): Map<string, string> {
  const m = new Map<string, string>();
  for (const k of keys) if (r() < 0.5) m.set(k, VALS[Math.floor(r() * VALS.length)] as string);
  return m;
}

test('label index matches brute force under random churn', () => {
  const r = rng(12345);
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
      const id = `s${Math.floor(r() * 8)}`;
      const sel = parseSelector(SELECTORS[Math.floor(r() * SELECTORS.length)] as string);
      sels.set(id, sel);
      idx.updateSelector(id, sel);
    } else {
      const id = `s${Math.floor(r() * 8)}`;
      sels.delete(id);
      idx.deleteSelector(id);
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
});

test('IP set calculator membership matches brute force, deltas replay to the same state', () => {
  const r = rng(777);
  const seq = new EventSequencer(() => undefined);
  const calc = new IPSetCalculator(seq);
  const items = new Map<
    string,
    { labels: Map<string, string>; nets: string[]; ports: { name: string; proto: string; port: number }[] }
  >();
  const sent = new Map<string, Set<string>>();
  const specs = [
    { kind: 'selector' as const, sel: "app == 'a'" },
    { kind: 'selector' as const, sel: "env in {'a', 'b'}" },
    { kind: 'namedPort' as const, sel: "app == 'a'", proto: 'tcp' as const, port: 'http' },
    { kind: 'namedPort' as const, sel: 'all()', proto: 'any' as const, port: 'dns' },
  ].map((s, i) => ({ ...s, id: `set${i}`, selector: parseSelector(s.sel) }));
  const refs = new Map<string, number>();
  for (let stepNo = 0; stepNo < 2000; stepNo++) {
    const op = r();
    if (op < 0.6) {
      const id = `e${Math.floor(r() * 30)}`;
      const n = Math.floor(r() * 3);
      const nets = [...new Set(Array.from({ length: n }, () => `10.0.0.${Math.floor(r() * 20)}/32`))];
      const ports =
        r() < 0.5
          ? [
              {
                name: r() < 0.5 ? 'http' : 'dns',
                proto: r() < 0.5 ? 'tcp' : 'udp',
                port: 80 + Math.floor(r() * 3),
              },
            ]
          : [];
      const labels = randomLabels(r, ['app', 'env']);
      items.set(id, { labels, nets, ports });
      calc.updateItem(id, labels, [], { nets, addrs: nets.map((x) => x.split('/')[0] as string), ports });
    } else if (op < 0.7) {
      const id = `e${Math.floor(r() * 30)}`;
      items.delete(id);
      calc.deleteItem(id);
    } else {
      const s = specs[Math.floor(r() * specs.length)]!;
      const n = refs.get(s.id) ?? 0;
      if (n > 0 && r() < 0.5) {
        calc.unref(s.id);
        refs.set(s.id, n - 1);
      } else {
        calc.ref(
          s.kind === 'selector'
            ? { kind: 'selector', id: s.id, selector: s.selector }
            : { kind: 'namedPort', id: s.id, selector: s.selector, proto: s.proto, port: s.port },
        );
        refs.set(s.id, n + 1);
      }
    }
    if (r() < 0.3) {
      for (const m of seq.flush()) {
        if (m.kind === 'ipsetUpdate') sent.set(m.id, new Set(m.members));
        else if (m.kind === 'ipsetDeltaUpdate') {
          const s = sent.get(m.id)!;
          for (const x of m.removedMembers) assert.ok(s.delete(x));
          for (const x of m.addedMembers) {
            assert.ok(!s.has(x));
            s.add(x);
          }
        } else if (m.kind === 'ipsetRemove') assert.ok(sent.delete(m.id));
      }
      for (const s of specs) {
        const active = (refs.get(s.id) ?? 0) > 0;
        assert.equal(sent.has(s.id), active, `step ${stepNo} ${s.id} active`);
        if (!active) continue;
        const want = new Set<string>();
        for (const it of items.values()) {
          if (!s.selector.evaluate(it.labels)) continue;
          if (s.kind === 'selector') for (const n of it.nets) want.add(n);
          else
            for (const p of it.ports) {
              if (p.name !== s.port || (s.proto !== 'any' && p.proto !== s.proto)) continue;
              for (const n of it.nets) want.add(`${n.split('/')[0]},${p.proto}:${p.port}`);
            }
        }
        assert.deepEqual([...sent.get(s.id)!].sort(), [...want].sort(), `step ${stepNo} ${s.id}`);
      }
    }
  }
});

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
