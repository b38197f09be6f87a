// The active rules calculator (agent/calc/active-rules.ts) alone, then through the graph.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ActiveRulesCalculator } from '../../../../agent/calc/active-rules.js';
import type { RulesSink } from '../../../../agent/calc/event-sequencer.js';
import { RuleScanner } from '../../../../agent/calc/rule-scanner.js';
import { parseKey, type Key } from '../../../../agent/model/index.js';
import { kv } from './fake-dataplane.js';
import { DEFAULT_TIERS, np, nsProfile, wep } from './fixtures.js';
import { DB, RecordingLogger, WEB, setup, step } from './scenario.js';

function arc(): {
  a: ActiveRulesCalculator;
  dirty: string[];
  sink: { events: string[] };
  log: RecordingLogger;
} {
  const events: string[] = [];
  const sink: RulesSink = {
    onPolicyActive: (k) => events.push(`policy+ ${k}`),
    onPolicyInactive: (k) => events.push(`policy- ${k}`),
    onProfileActive: (n) => events.push(`profile+ ${n}`),
    onProfileInactive: (n) => events.push(`profile- ${n}`),
  };
  const scanner = new RuleScanner({ ref() {}, unref() {} }, sink);
  const dirty: string[] = [];
  const log = new RecordingLogger();
  const a = new ActiveRulesCalculator(scanner, (k) => dirty.push(k), log);
  return { a, dirty, sink: { events }, log };
}

const gnpKey = (name: string, kind = 'GlobalNetworkPolicy'): Key & { type: 'policy' } => {
  const k = parseKey(`/calico/v1/policy/${kind}//${name}`);
  assert.ok(k && k.type === 'policy');
  return k;
};

test('active rules alone: a policy is active while it matches a local endpoint; profiles while referenced', () => {
  const { a, dirty, sink, log } = arc();
  a.onPolicyUpdate(gnpKey('web'), { selector: "app == 'web'", tier: 'default' }, 'r1');
  a.onPolicyUpdate(
    gnpKey('hint'),
    { selector: "app == 'none'", performance_hints: ['AssumeNeededOnEveryNode'] },
    'h',
  );
  a.flush();
  assert.deepEqual(
    sink.events.splice(0),
    ['policy- gnp/web', 'policy+ gnp/hint'].filter((e) => e.includes('+')),
  );
  a.updateEndpoint('ep1', new Map([['app', 'web']]), [], ['kns.prod']);
  assert.deepEqual(dirty.splice(0), ['ep1']);
  assert.deepEqual(
    [...a.policiesOf('ep1')].map((p) => p.key),
    ['gnp/web'],
  );
  a.flush();
  assert.deepEqual(sink.events.splice(0), ['policy+ gnp/web', 'profile+ kns.prod']);
  assert.equal(log.lines.length, 0, 'before InSync a profile without rules is not worth a warning');
  // Rules-only edit: the policy is rebuilt, its endpoints are not re-resolved.
  a.onPolicyUpdate(gnpKey('web'), { selector: "app == 'web'", tier: 'default' }, 'r2');
  assert.deepEqual(dirty, []);
  // Same value again: nothing at all.
  a.onPolicyUpdate(gnpKey('web'), { selector: "app == 'web'", tier: 'default' }, 'r2');
  a.flush();
  assert.deepEqual(sink.events.splice(0), ['policy+ gnp/web']);
  // Order change: placement changed, the matching endpoint is re-resolved; a tier change too.
  a.onPolicyUpdate(gnpKey('web'), { selector: "app == 'web'", tier: 'default', order: 3 }, 'r3');
  assert.deepEqual(dirty.splice(0), ['ep1']);
  a.onTierUpdate('default', { order: 1, defaultAction: 'Deny' });
  assert.deepEqual(dirty.splice(0), ['ep1']);
  assert.equal(a.tiers.get('default')?.order, 1);
  a.onTierUpdate('ghost', undefined);
  assert.deepEqual(dirty, [], 'deleting an unknown tier is a no-op');
  // Profile rules arrive after InSync; losing them again warns (deny-all).
  a.onInSync();
  a.onProfileRulesUpdate('kns.prod', { inbound_rules: [] }, 'p1');
  a.flush();
  assert.deepEqual(sink.events.splice(0), ['policy+ gnp/web', 'profile+ kns.prod']);
  a.onProfileRulesUpdate('kns.prod', undefined, '');
  a.flush();
  assert.deepEqual(sink.events.splice(0), ['profile+ kns.prod']);
  assert.deepEqual(
    log.lines.map((l) => [l.level, l.msg, l.fields]),
    [['warn', 'calc: active profile has no rules; using deny-all', { profile: 'kns.prod' }]],
  );
  a.flush();
  assert.equal(log.lines.length, 1, 'an unchanged deny-all profile is not rebuilt or re-warned');
  // The endpoint leaves: the policy and the profile go inactive.
  a.removeEndpoint('ep1', ['kns.prod']);
  assert.deepEqual(dirty.splice(0), ['ep1']);
  a.flush();
  assert.deepEqual(sink.events.splice(0), ['policy- gnp/web', 'profile- kns.prod']);
  assert.deepEqual([...a.policiesOf('ep1')], []);
});

test('active rules alone: profile labels are inherited by endpoints; staged policies are never active', () => {
  const { a, sink, log } = arc();
  a.onPolicyUpdate(gnpKey('team'), { selector: "pcns.team == 'sre'" }, 't');
  a.onPolicyUpdate(gnpKey('staged', 'StagedGlobalNetworkPolicy'), { selector: 'all()' }, 's');
  a.updateEndpoint('ep1', new Map(), [], ['kns.ops']);
  a.flush();
  assert.deepEqual(sink.events.splice(0), ['profile+ kns.ops']);
  assert.ok(log.lines.some((l) => l.msg === 'calc: ignoring staged policy'));
  a.onProfileLabels('kns.ops', new Map([['pcns.team', 'sre']]));
  assert.equal(a.labelsOf('ep1')?.get('pcns.team'), 'sre');
  a.flush();
  assert.deepEqual(sink.events.splice(0), ['policy+ gnp/team']);
  a.onProfileLabels('kns.ops', undefined);
  a.flush();
  assert.deepEqual(sink.events.splice(0), ['policy- gnp/team']);
  // Two endpoints share a profile: it stays active until the last one goes.
  a.updateEndpoint('ep2', new Map(), [], ['kns.ops']);
  a.removeEndpoint('ep1', ['kns.ops']);
  a.flush();
  assert.deepEqual(sink.events.splice(0), []);
  a.updateEndpoint('ep2', new Map(), ['kns.ops'], ['kns.dev']);
  a.flush();
  assert.deepEqual(sink.events.splice(0), ['profile- kns.ops', 'profile+ kns.dev']);
});

test('an endpoint starts and stops matching as its labels change', () => {
  const { g, dp } = setup([
    ...DEFAULT_TIERS,
    ...nsProfile('prod'),
    wep({ ns: 'prod', pod: 'web-1', ip: '10.65.0.2', labels: { app: 'db' } }),
    wep({ ns: 'prod', pod: 'peer', ip: '10.65.9.9', labels: { app: 'peer' }, host: 'node-2' }),
    np('prod', 'web', {
      tier: 'default',
      selector: "app == 'web'",
      inbound_rules: [{ action: 'allow', src_selector: "app == 'peer'" }],
    }),
  ]);
  assert.equal(dp.policies.size, 0, 'not active: matches no local endpoint');
  assert.equal(dp.ipsets.size, 0, 'its sets are not active either');
  assert.deepEqual(dp.endpoints.get(WEB)?.tiers, []);
  const on = step(g, dp, [wep({ ns: 'prod', pod: 'web-1', ip: '10.65.0.2', labels: { app: 'web' } })]);
  assert.deepEqual(
    on.map((m) => m.kind),
    ['ipsetUpdate', 'activePolicyUpdate', 'workloadEndpointUpdate'],
  );
  assert.deepEqual(
    dp.endpoints.get(WEB)?.tiers.map((t) => t.ingressPolicies.map((p) => p.name)),
    [['web']],
  );
  assert.equal(dp.verdict(WEB, 'ingress', { src: '10.65.9.9' }), 'allow');
  assert.equal(dp.verdict(WEB, 'ingress', { src: '10.65.9.8' }), 'deny');
  // A remote endpoint relabelled into the rule's selector joins the set.
  const joined = step(g, dp, [
    wep({ ns: 'prod', pod: 'other', ip: '10.65.9.8', labels: { app: 'peer' }, host: 'node-2' }),
  ]);
  assert.deepEqual(
    joined.map((m) => m.kind),
    ['ipsetDeltaUpdate'],
  );
  const off = step(g, dp, [wep({ ns: 'prod', pod: 'web-1', ip: '10.65.0.2', labels: { app: 'other' } })]);
  assert.deepEqual(
    off.map((m) => m.kind),
    ['workloadEndpointUpdate', 'activePolicyRemove', 'ipsetRemove'],
    'removals after the endpoint update',
  );
  assert.equal(dp.policies.size, 0);
});

test('a policy whose selector changes moves between endpoints', () => {
  const { g, dp } = setup([
    ...DEFAULT_TIERS,
    ...nsProfile('prod'),
    wep({ ns: 'prod', pod: 'web-1', ip: '10.65.0.2', labels: { app: 'web' } }),
    wep({ ns: 'prod', pod: 'db-1', ip: '10.65.0.3', labels: { app: 'db' } }),
    np('prod', 'p', { tier: 'default', selector: "app == 'web'", inbound_rules: [{ action: 'deny' }] }),
  ]);
  assert.equal(dp.endpoints.get(WEB)?.tiers.length, 1);
  assert.equal(dp.endpoints.get(DB)?.tiers.length, 0);
  const out = step(g, dp, [
    np('prod', 'p', { tier: 'default', selector: "app == 'db'", inbound_rules: [{ action: 'deny' }] }),
  ]);
  assert.deepEqual(out.map((m) => m.kind).sort(), [
    'activePolicyUpdate',
    'workloadEndpointUpdate',
    'workloadEndpointUpdate',
  ]);
  assert.equal(dp.endpoints.get(WEB)?.tiers.length, 0);
  assert.equal(dp.endpoints.get(DB)?.tiers.length, 1);
  // Normalised as Felix's rule scanner does (selector.Normalise): double quotes.
  assert.equal(dp.policies.get('np/prod/p')?.originalSelector, 'app == "db"');
  // Same value again: a no-op.
  assert.deepEqual(
    step(g, dp, [
      np('prod', 'p', { tier: 'default', selector: "app == 'db'", inbound_rules: [{ action: 'deny' }] }),
    ]),
    [],
  );
  // A selector matching nothing: the policy is removed after the endpoint update.
  const gone = step(g, dp, [
    np('prod', 'p', { tier: 'default', selector: "app == 'none'", inbound_rules: [{ action: 'deny' }] }),
  ]);
  assert.deepEqual(
    gone.map((m) => m.kind),
    ['workloadEndpointUpdate', 'activePolicyRemove'],
  );
});

test('staged policies are ignored; legacy policy keys work', () => {
  const { dp } = setup([
    ...DEFAULT_TIERS,
    ...nsProfile('prod'),
    wep({ ns: 'prod', pod: 'web-1', ip: '10.65.0.2', labels: { app: 'web' } }),
    kv('/calico/v1/policy/StagedGlobalNetworkPolicy//s1', {
      tier: 'default',
      selector: 'all()',
      inbound_rules: [{ action: 'deny' }],
      staged_action: 'Set',
    }),
    kv('/calico/v1/policy/StagedNetworkPolicy/prod/s2', {
      namespace: 'prod',
      tier: 'default',
      selector: 'all()',
    }),
    kv('/calico/v1/policy/tier/default/policy/prod%2flegacy', {
      namespace: 'prod',
      order: 5,
      selector: "app == 'web'",
      inbound_rules: [{ action: 'allow' }],
    }),
  ]);
  assert.deepEqual([...dp.policies.keys()], ['np/prod/legacy']);
  assert.deepEqual(
    dp.endpoints.get(WEB)?.tiers.map((t) => t.ingressPolicies.map((p) => p.name)),
    [['legacy']],
  );
});

test('a policy whose selector is nested 50,000 deep is matched and enforced, not dropped (issue 16 item 2)', () => {
  const { g, dp } = setup([...DEFAULT_TIERS, ...nsProfile('prod')]);
  const deep = '('.repeat(50_000) + "app == 'web'" + ')'.repeat(50_000);
  step(g, dp, [
    wep({ ns: 'prod', pod: 'web-1', ip: '10.65.0.2', labels: { app: 'web' } }),
    np('prod', 'p', { tier: 'default', selector: deep, inbound_rules: [{ action: 'deny' }] }),
  ]);
  assert.equal(dp.endpoints.get(WEB)?.tiers.length, 1);
  assert.equal(dp.policies.get('np/prod/p')?.originalSelector, 'app == "web"');
});
