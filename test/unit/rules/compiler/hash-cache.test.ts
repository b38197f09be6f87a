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

test('policies and profiles that come, change and go across compiles: each recompile equals a fresh compile', () => {
  // The tables keep the policy and profile chains from one compile to the next (entry-layer.ts); a
  // removed entry must leave them, a changed one replace them, and a config change start over.
  const base = workedExampleMessages();
  const gnp = { kind: 'gnp', namespace: '', name: 'allow-http' } as const;
  const kns = { name: 'kns.default' };
  const steps: (ToDataplane | 'config')[] = [
    { kind: 'activePolicyRemove', id: gnp },
    {
      kind: 'activeProfileUpdate',
      id: kns,
      profile: { inboundRules: [{ action: 'deny' }], outboundRules: [] },
    },
    {
      kind: 'activePolicyUpdate',
      id: gnp,
      policy: {
        tier: 'default',
        inboundRules: [{ action: 'allow', protocol: { name: 'tcp' } }],
        outboundRules: [],
      },
    },
    'config',
    { kind: 'activeProfileRemove', id: kns },
    {
      kind: 'activePolicyUpdate',
      id: gnp,
      policy: { tier: 'default', inboundRules: [{ action: 'deny' }], outboundRules: [] },
    },
    { kind: 'activePolicyRemove', id: gnp },
    'config',
  ];
  const other = defaultCompilerConfig({ iptablesMarkMask: 0xff00 });
  let current = cfg;
  const warm = new DataplaneState();
  warm.applyAll(base);
  const out = (st: DataplaneState): string[] => compile(st, current).tables.map(renderRestoreText);
  const applied: ToDataplane[] = [...base];
  let before = out(warm);
  for (const [i, step] of steps.entries()) {
    if (step === 'config') current = current === cfg ? other : cfg;
    else {
      warm.apply(step);
      applied.push(step);
    }
    const fresh = new DataplaneState();
    fresh.applyAll(applied);
    const now = out(warm);
    assert.deepEqual(now, out(fresh), `step ${i}`);
    assert.notDeepEqual(now, before, `step ${i} changed nothing: the test would not see a stale chain`);
    before = now;
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

test('shared endpoint chains: one object for both families, an ingress-only change keeps the egress chain', () => {
  const st = new DataplaneState();
  const msgs = workedExampleMessages();
  st.applyAll(msgs);
  const wep = msgs.find((m) => m.kind === 'workloadEndpointUpdate')!;
  if (wep.kind !== 'workloadEndpointUpdate') throw new Error('fixture');
  const tw = 'cali-tw-cali1a2b3c4d5e6';
  const fw = 'cali-fw-cali1a2b3c4d5e6';
  const filters = (): [
    ReturnType<typeof compile>['tables'][number],
    ReturnType<typeof compile>['tables'][number],
  ] => {
    const ts = compile(st, cfg).tables.filter((t) => t.table === 'filter');
    assert.equal(ts.length, 2);
    return [ts[0]!, ts[1]!];
  };
  const [v4, v6] = filters();
  assert.equal(v4.chains.get(tw), v6.chains.get(tw), 'the same chain object serves both families');
  // A replaced endpoint entry whose ingress policies change: a new ingress chain, the same egress one.
  const policies: ToDataplane[] = [
    {
      kind: 'activePolicyUpdate',
      id: { kind: 'gnp', namespace: '', name: 'second' },
      policy: {
        tier: 'default',
        inboundRules: [{ action: 'allow' }],
        outboundRules: [],
        originalSelector: 'all()',
      },
    },
  ];
  st.applyAll(policies);
  const tiers = [
    {
      name: 'default',
      ingressPolicies: [
        { kind: 'gnp' as const, namespace: '', name: 'allow-http' },
        { kind: 'gnp' as const, namespace: '', name: 'second' },
      ],
      egressPolicies: [],
    },
  ];
  const changed: ToDataplane = { ...wep, endpoint: { ...wep.endpoint, tiers } };
  st.apply(changed);
  const [a4] = filters();
  assert.notEqual(a4.chains.get(tw), v4.chains.get(tw));
  assert.equal(a4.chains.get(fw), v4.chains.get(fw));
  assert.ok(a4.chains.get(tw)!.rules.some((r) => r.body.includes('cali-pi-gnp/second')));
  // Same output as a fresh compile of the same messages, including after a selector change that
  // regroups the tier (both policies get the same selector: one policy-group chain).
  const same: ToDataplane = {
    kind: 'activePolicyUpdate',
    id: { kind: 'gnp', namespace: '', name: 'allow-http' },
    policy: {
      tier: 'default',
      inboundRules: [{ action: 'deny' }],
      outboundRules: [],
      originalSelector: 'all()',
    },
  };
  st.apply(same);
  const fresh = new DataplaneState();
  fresh.applyAll([...msgs, ...policies, changed, same]);
  assert.deepEqual(texts(st), texts(fresh));
  assert.ok(texts(st)[0]!.includes(':cali-gi-'), 'the regrouped tier has a group chain');
});

test('a profile chain that renders the same in both families is one object; a policy with IP sets is not', () => {
  const st = new DataplaneState();
  st.applyAll(workedExampleMessages());
  const [v4, v6] = compile(st, cfg).tables.filter((t) => t.table === 'filter');
  assert.equal(v4!.chains.get('cali-pri-kns.default'), v6!.chains.get('cali-pri-kns.default'));
  const p4 = v4!.chains.get('cali-pi-gnp/allow-http')!;
  const p6 = v6!.chains.get('cali-pi-gnp/allow-http')!;
  assert.notEqual(p4, p6);
  assert.ok(
    p4.rules.some((r) => r.body.includes('cali40')) && p6.rules.some((r) => r.body.includes('cali60')),
  );
});
