// Dispatch chains with the one-level prefix tree (felix/rules/dispatch.go) for 1, 2, 17 and
// 1000 interfaces. Besides the exact shape, each tree is "executed" the way iptables would walk it
// (goto, "+" wildcards) to check every interface reaches its own chain and unknown ones are dropped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { ToDataplane } from '../../../../rules/dataplane-api/types.js';
import type { TableState } from '../../../../rules/model.js';
import {
  DataplaneState,
  compile,
  defaultCompilerConfig,
  prefixTree,
} from '../../../../rules/compiler/index.js';

function wep(name: string, i: number): ToDataplane {
  return {
    kind: 'workloadEndpointUpdate',
    id: { orchestratorId: 'k8s', workloadId: `ns/pod-${i}`, endpointId: 'eth0' },
    endpoint: { state: 'active', name, profileIds: [], ipv4Nets: [], ipv6Nets: [], tiers: [] },
  };
}

function compileIfaces(names: readonly string[]): TableState {
  const st = new DataplaneState();
  assert.deepEqual(st.applyAll(names.map(wep)), []);
  return compile(st, defaultCompilerConfig({ ipv6Support: false })).tables[0]!;
}

const DROP = '-m comment --comment "Unknown interface" --jump DROP';

/** Walks a dispatch tree like iptables: first matching rule wins, --goto follows. */
function dispatch(t: TableState, root: string, dir: 'in' | 'out', iface: string): string {
  const opt = dir === 'in' ? '--in-interface' : '--out-interface';
  let chain = root;
  for (let hops = 0; hops < 5; hops++) {
    const rules = t.chains.get(chain)?.rules;
    assert.ok(rules, `chain ${chain} exists`);
    let next: string | undefined;
    for (const r of rules) {
      const mm = new RegExp(`^${opt} (\\S+) --goto (\\S+)$`).exec(r.body);
      if (!mm) {
        if (r.body === DROP) return 'DROP';
        assert.fail(`unexpected dispatch rule ${r.body}`);
      }
      const pat = mm[1]!;
      const hit = pat.endsWith('+') ? iface.startsWith(pat.slice(0, -1)) : iface === pat;
      if (hit) {
        next = mm[2]!;
        break;
      }
    }
    if (next === undefined) assert.fail('fell off the end of a dispatch chain');
    if (!next.startsWith(root)) return next;
    chain = next;
  }
  assert.fail('dispatch too deep');
}

function dispatchChainsOf(t: TableState, root: string): string[] {
  return [...t.chains.keys()].filter((n) => n === root || n.startsWith(root + '-'));
}

test('1 interface: one direct rule and the end rule, in both directions', () => {
  const t = compileIfaces(['cali1a2b3c4d5e6']);
  assert.deepEqual(
    t.chains.get('cali-from-wl-dispatch')!.rules.map((r) => r.body),
    ['--in-interface cali1a2b3c4d5e6 --goto cali-fw-cali1a2b3c4d5e6', DROP],
  );
  assert.deepEqual(
    t.chains.get('cali-to-wl-dispatch')!.rules.map((r) => r.body),
    ['--out-interface cali1a2b3c4d5e6 --goto cali-tw-cali1a2b3c4d5e6', DROP],
  );
  assert.deepEqual(dispatchChainsOf(t, 'cali-from-wl-dispatch'), ['cali-from-wl-dispatch']);
});

test('2 interfaces: distinct next characters give two direct rules, no child chain', () => {
  const t = compileIfaces(['cali9f8e7d6c5b4', 'cali1a2b3c4d5e6']);
  assert.deepEqual(
    t.chains.get('cali-from-wl-dispatch')!.rules.map((r) => r.body),
    [
      '--in-interface cali1a2b3c4d5e6 --goto cali-fw-cali1a2b3c4d5e6',
      '--in-interface cali9f8e7d6c5b4 --goto cali-fw-cali9f8e7d6c5b4',
      DROP,
    ],
  );
  // A long common prefix is still only one level: bins by the character after it.
  const t2 = compileIfaces(['caliab1', 'caliab2']);
  assert.deepEqual(
    t2.chains.get('cali-to-wl-dispatch')!.rules.map((r) => r.body),
    [
      '--out-interface caliab1 --goto cali-tw-caliab1',
      '--out-interface caliab2 --goto cali-tw-caliab2',
      DROP,
    ],
  );
});

test('17 interfaces: 16 bins, the shared one becomes child chain -0 with its own end rule', () => {
  const hexs = '0123456789abcdef';
  const names = [...hexs].map((h) => `cali${h}000000000a`);
  names.push('cali0000000000b');
  const t = compileIfaces(names);
  const root = t.chains.get('cali-from-wl-dispatch')!.rules.map((r) => r.body);
  assert.equal(root.length, 17);
  assert.equal(root[0], '--in-interface cali0+ --goto cali-from-wl-dispatch-0');
  for (let i = 1; i < 16; i++) {
    const h = hexs[i]!;
    assert.equal(root[i], `--in-interface cali${h}000000000a --goto cali-fw-cali${h}000000000a`);
  }
  assert.equal(root[16], DROP);
  assert.deepEqual(
    t.chains.get('cali-from-wl-dispatch-0')!.rules.map((r) => r.body),
    [
      '--in-interface cali0000000000a --goto cali-fw-cali0000000000a',
      '--in-interface cali0000000000b --goto cali-fw-cali0000000000b',
      DROP,
    ],
  );
  assert.deepEqual(dispatchChainsOf(t, 'cali-to-wl-dispatch'), [
    'cali-to-wl-dispatch',
    'cali-to-wl-dispatch-0',
  ]);
  for (const n of names) assert.equal(dispatch(t, 'cali-from-wl-dispatch', 'in', n), `cali-fw-${n}`);
});

test('1000 interfaces: at most 16 child chains of about 63 rules, every interface dispatched correctly', () => {
  const names = Array.from(
    { length: 1000 },
    (_, i) => 'cali' + createHash('sha1').update(String(i)).digest('hex').slice(0, 11),
  );
  const t = compileIfaces(names);
  for (const [root, dir, pfx] of [
    ['cali-from-wl-dispatch', 'in', 'cali-fw-'],
    ['cali-to-wl-dispatch', 'out', 'cali-tw-'],
  ] as const) {
    const children = dispatchChainsOf(t, root).filter((n) => n !== root);
    assert.equal(children.length, 16);
    const rootRules = t.chains.get(root)!.rules;
    assert.equal(rootRules.length, 17, 'one goto per hex bin + end rule');
    let total = 0;
    for (const c of children) {
      assert.match(c, new RegExp(`^${root}-[0-9a-f]$`));
      const rules = t.chains.get(c)!.rules;
      assert.ok(rules.length > 40 && rules.length < 100, `${c} has ${rules.length} rules`);
      assert.equal(rules[rules.length - 1]!.body, DROP);
      total += rules.length - 1;
    }
    assert.equal(total, 1000);
    for (const n of names) assert.equal(dispatch(t, root, dir, n), pfx + n);
    assert.equal(dispatch(t, root, dir, 'cali00000000000'), 'DROP');
    assert.equal(dispatch(t, root, dir, 'eth0'), 'DROP');
  }
  // Every endpoint chain is present (2 per endpoint).
  assert.equal([...t.chains.keys()].filter((n) => /^cali-[tf]w-/.test(n)).length, 2000);
});

test('prefixTree: sorted, deduplicated, binned by the next character', () => {
  const tree = prefixTree(['calib2', 'calia1', 'calia2', 'calia1']);
  assert.equal(tree.common, 'cali');
  assert.deepEqual(tree.bins, [
    ['calia', ['calia1', 'calia2']],
    ['calib', ['calib2']],
  ]);
  // One name: common prefix is the whole name, one bin.
  assert.deepEqual(prefixTree(['eth0']), { common: 'eth0', bins: [['eth0', ['eth0']]] });
  // A name equal to the common prefix gets its own bin.
  assert.deepEqual(prefixTree(['cali1', 'cali12', 'cali13']).bins, [
    ['cali1', ['cali1']],
    ['cali12', ['cali12']],
    ['cali13', ['cali13']],
  ]);
});
