// The per-state hash memo never changes results: a recompile after changes equals a fresh compile.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ToDataplane } from '../../../../rules/dataplane-api/types.js';
import {
  DataplaneState,
  compile,
  defaultCompilerConfig,
  renderRestoreText,
} from '../../../../rules/compiler/index.js';
import { workedExampleMessages } from './worked-example.js';

const cfg = defaultCompilerConfig();
const texts = (st: DataplaneState): string[] => compile(st, cfg).tables.map(renderRestoreText);

test('recompiling a changed state with a warm cache equals compiling the same messages from scratch', () => {
  const base = workedExampleMessages();
  const changes: ToDataplane[] = [
    {
      kind: 'activePolicyUpdate',
      id: { kind: 'gnp', namespace: '', name: 'allow-http' },
      policy: { tier: 'default', inboundRules: [{ action: 'deny' }], outboundRules: [{ action: 'allow' }] },
    },
    {
      kind: 'workloadEndpointUpdate',
      id: { orchestratorId: 'k8s', workloadId: 'default/web-1', endpointId: 'eth0' },
      endpoint: {
        state: 'active',
        name: 'cali2',
        profileIds: ['kns.default'],
        ipv4Nets: [],
        ipv6Nets: [],
        tiers: [],
      },
    },
    {
      kind: 'workloadEndpointRemove',
      id: { orchestratorId: 'k8s', workloadId: 'default/web-0', endpointId: 'eth0' },
    },
  ];
  const warm = new DataplaneState();
  warm.applyAll(base);
  const first = texts(warm);
  assert.ok(warm.hashCache.size > 0);
  assert.deepEqual(texts(warm), first, 'unchanged state, same output');
  const applied: ToDataplane[] = [...base];
  for (const ch of changes) {
    warm.apply(ch);
    applied.push(ch);
    const fresh = new DataplaneState();
    fresh.applyAll(applied);
    assert.deepEqual(texts(warm), texts(fresh));
  }
});

test('memo: an unchanged entry reuses its compiled chain, a changed one is recompiled', () => {
  const st = new DataplaneState();
  st.applyAll(workedExampleMessages());
  const a = compile(st, cfg).tables[0]!;
  const b = compile(st, cfg).tables[0]!;
  assert.equal(b.chains.get('cali-tw-cali1a2b3c4d5e6'), a.chains.get('cali-tw-cali1a2b3c4d5e6'));
  assert.equal(b.chains.get('cali-pi-gnp/allow-http'), a.chains.get('cali-pi-gnp/allow-http'));
  st.apply({
    kind: 'activePolicyUpdate',
    id: { kind: 'gnp', namespace: '', name: 'allow-http' },
    policy: {
      tier: 'default',
      inboundRules: [{ action: 'deny' }],
      outboundRules: [],
      originalSelector: 'app == "web"',
    },
  });
  const c = compile(st, cfg).tables[0]!;
  assert.notEqual(c.chains.get('cali-pi-gnp/allow-http'), a.chains.get('cali-pi-gnp/allow-http'));
  assert.equal(c.chains.get('cali-tw-cali1a2b3c4d5e6'), a.chains.get('cali-tw-cali1a2b3c4d5e6'));
  // A config change invalidates the memo.
  const d = compile(st, defaultCompilerConfig({ iptablesMarkMask: 0xff00 })).tables[0]!;
  assert.notDeepEqual(d.chains.get('cali-tw-cali1a2b3c4d5e6'), c.chains.get('cali-tw-cali1a2b3c4d5e6'));
  assert.deepEqual(
    compile(st, cfg).tables[0]!.chains.get('cali-tw-cali1a2b3c4d5e6'),
    c.chains.get('cali-tw-cali1a2b3c4d5e6'),
  );
});

test('memo: one Profile object sent under two names compiles to two correctly named chain pairs', () => {
  const shared = { inboundRules: [{ action: 'allow' }], outboundRules: [] };
  const st = new DataplaneState();
  st.applyAll([
    { kind: 'activeProfileUpdate', id: { name: 'a' }, profile: shared },
    { kind: 'activeProfileUpdate', id: { name: 'b' }, profile: shared },
    {
      kind: 'workloadEndpointUpdate',
      id: { orchestratorId: 'k8s', workloadId: 'x/y', endpointId: 'eth0' },
      endpoint: {
        state: 'active',
        name: 'cali1',
        profileIds: ['a', 'b'],
        ipv4Nets: [],
        ipv6Nets: [],
        tiers: [],
      },
    },
  ]);
  const t = compile(st, cfg).tables[0]!;
  for (const n of ['a', 'b']) {
    assert.deepEqual(
      t.chains.get(`cali-pri-${n}`)!.rules.map((r) => r.body),
      [`-m comment --comment "Profile ${n} ingress" --jump MARK --set-mark 0x10000/0x10000`],
    );
  }
});
