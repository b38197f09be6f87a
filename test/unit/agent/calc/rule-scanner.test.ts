// The rule scanner (agent/calc/rule-scanner.ts) alone, then rule conversion through the graph.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RulesSink } from '../../../../agent/calc/event-sequencer.js';
import type { IPSetSpec } from '../../../../agent/calc/ipsets.js';
import { parsePolicyKey, RuleScanner, type ScannedPolicy } from '../../../../agent/calc/rule-scanner.js';
import type { ModelPolicy } from '../../../../agent/model/index.js';
import { parseSelector } from '../../../../agent/selector/index.js';
import type { PolicyID, ToDataplane } from '../../../../rules/dataplane-api/types.js';
import { DEFAULT_TIERS, gnp, nsProfile, wep } from './fixtures.js';
import { setup } from './scenario.js';

class RecordingRules implements RulesSink {
  readonly events: string[] = [];
  readonly msgs: ToDataplane[] = [];
  onPolicyActive(key: string, msg: ToDataplane): void {
    this.events.push(`policy+ ${key}`);
    this.msgs.push(msg);
  }
  onPolicyInactive(key: string, id: PolicyID): void {
    this.events.push(`policy- ${key} ${JSON.stringify(id)}`);
  }
  onProfileActive(name: string, msg: ToDataplane): void {
    this.events.push(`profile+ ${name}`);
    this.msgs.push(msg);
  }
  onProfileInactive(name: string): void {
    this.events.push(`profile- ${name}`);
  }
}

function scanned(model: ModelPolicy, key = 'gnp/p'): ScannedPolicy {
  return {
    key,
    id: parsePolicyKey(key),
    tier: 'default',
    untracked: false,
    preDnat: false,
    model,
    selector: parseSelector(model.selector ?? ''),
  };
}

test('rule scanner alone: converts active rules, references their sets (new before old), drops unchanged', () => {
  const refs: string[] = [];
  const sets = {
    ref: (s: IPSetSpec) => refs.push(`ref ${s.id}`),
    unref: (id: string) => refs.push(`unref ${id}`),
  };
  const sink = new RecordingRules();
  const rs = new RuleScanner(sets, sink);
  const a = parseSelector("app == 'a'").uniqueId();
  const b = parseSelector("app == 'b'").uniqueId();
  rs.onPolicyActive(
    scanned({ selector: 'all()', inbound_rules: [{ action: 'allow', src_selector: "app == 'a'" }] }),
    's1',
  );
  assert.deepEqual(refs.splice(0), [`ref ${a}`]);
  assert.deepEqual(sink.events.splice(0), ['policy+ gnp/p']);
  const m = sink.msgs[0];
  assert.ok(m && m.kind === 'activePolicyUpdate');
  assert.deepEqual(m.id, { kind: 'gnp', namespace: '', name: 'p' });
  assert.deepEqual(m.policy.inboundRules[0]?.srcIpSetIds, [a]);
  assert.equal(m.policy.originalSelector, 'all()');
  assert.equal(m.policy.tier, 'default');
  assert.equal(rs.policyIsCurrent('gnp/p', 's1'), true);
  rs.onPolicyActive(scanned({ selector: 'all()' }), 's1');
  assert.deepEqual([refs.length, sink.events.length], [0, 0], 'same source: nothing');
  rs.onPolicyActive(
    scanned({ selector: 'all()', outbound_rules: [{ action: 'deny', dst_selector: "app == 'b'" }] }),
    's2',
  );
  assert.deepEqual(refs.splice(0), [`ref ${b}`, `unref ${a}`]);
  assert.equal(rs.activePolicyCount, 1);
  rs.onPolicyInactive('gnp/p');
  rs.onPolicyInactive('gnp/p');
  assert.deepEqual(refs.splice(0), [`unref ${b}`]);
  assert.deepEqual(sink.events.splice(0), [
    'policy+ gnp/p',
    'policy- gnp/p {"kind":"gnp","namespace":"","name":"p"}',
  ]);
  assert.equal(rs.activePolicyCount, 0);
  rs.onProfileActive('kns.x', { inbound_rules: [{ action: 'allow' }] }, 'raw');
  assert.equal(rs.profileIsCurrent('kns.x', 'raw'), true);
  assert.equal(rs.activeProfileCount, 1);
  rs.onProfileInactive('kns.x');
  assert.deepEqual(sink.events.splice(0), ['profile+ kns.x', 'profile- kns.x']);
  assert.equal(rs.activeProfileCount, 0);
});

test('policy keys parse back to IDs, namespaced or not', () => {
  assert.deepEqual(parsePolicyKey('np/prod/web'), { kind: 'np', namespace: 'prod', name: 'web' });
  assert.deepEqual(parsePolicyKey('gnp/web'), { kind: 'gnp', namespace: '', name: 'web' });
});

test('rule conversion: ports, nets, negations, icmp, protocol, ip_version inference, stable rule IDs', () => {
  const rules = [
    {
      action: 'allow',
      protocol: 'tcp',
      src_nets: ['10.0.0.0/8'],
      src_net: '172.16.0.0/12',
      '!dst_nets': ['10.1.0.0/16'],
      dst_ports: [80, '8000:8080'],
      '!dst_ports': [8081],
      src_selector: "app == 'a'",
      '!src_selector': "app == 'b'",
      '!dst_selector': "app == 'c'",
    },
    { action: 'deny', protocol: 'icmp', icmp_type: 8, icmp_code: 0 },
    { action: 'deny', protocol: 'icmpv6', icmp_type: 128, '!icmp_type': 129 },
    { action: 'log', protocol: 17, '!protocol': 'tcp', ip_version: 6 },
  ];
  const { dp } = setup([
    ...DEFAULT_TIERS,
    ...nsProfile('prod'),
    wep({ ns: 'prod', pod: 'web-1', ip: '10.65.0.2' }),
    gnp('conv', { tier: 'default', selector: 'all()', inbound_rules: rules, outbound_rules: rules }),
  ]);
  const p = dp.policies.get('gnp/conv');
  assert.ok(p);
  const [r0, r1, r2, r3] = p.inboundRules;
  const merged = parseSelector("(app == 'a') && (!(app == 'b'))").uniqueId();
  assert.deepEqual(
    { ...r0, ruleId: undefined },
    {
      action: 'allow',
      protocol: { name: 'tcp' },
      srcNet: ['10.0.0.0/8', '172.16.0.0/12'],
      notDstNet: ['10.1.0.0/16'],
      dstPorts: [
        { first: 80, last: 80 },
        { first: 8000, last: 8080 },
      ],
      notDstPorts: [{ first: 8081, last: 8081 }],
      srcIpSetIds: [merged],
      notDstIpSetIds: [parseSelector("app == 'c'").uniqueId()],
      ruleId: undefined,
    },
  );
  assert.deepEqual(
    { ...r1, ruleId: undefined },
    {
      action: 'deny',
      ipVersion: 4,
      protocol: { name: 'icmp' },
      icmpTypeCode: { type: 8, code: 0 },
      ruleId: undefined,
    },
  );
  assert.deepEqual(
    { ...r2, ruleId: undefined },
    {
      action: 'deny',
      ipVersion: 6,
      protocol: { name: 'icmpv6' },
      icmpType: 128,
      notIcmpType: 129,
      ruleId: undefined,
    },
  );
  assert.deepEqual(
    { ...r3, ruleId: undefined },
    {
      action: 'log',
      ipVersion: 6,
      protocol: { number: 17 },
      notProtocol: { name: 'tcp' },
      ruleId: undefined,
    },
  );
  const ids = p.inboundRules.map((r) => r.ruleId);
  assert.ok(ids.every((id) => typeof id === 'string' && /^[A-Za-z0-9_-]{16}$/.test(id)));
  assert.equal(new Set(ids).size, 4);
  const outIds = p.outboundRules.map((r) => r.ruleId);
  assert.notDeepEqual(outIds, ids, 'direction is part of the seed');
  // IDs are stable across graph instances and depend on position.
  const again = setup([
    ...nsProfile('prod'),
    wep({ ns: 'prod', pod: 'web-1', ip: '10.65.0.2' }),
    gnp('conv', { tier: 'default', selector: 'all()', inbound_rules: rules }),
  ]);
  assert.deepEqual(
    again.dp.policies.get('gnp/conv')?.inboundRules.map((r) => r.ruleId),
    ids,
  );
  const swapped = setup([
    ...nsProfile('prod'),
    wep({ ns: 'prod', pod: 'web-1', ip: '10.65.0.2' }),
    gnp('conv', {
      tier: 'default',
      selector: 'all()',
      inbound_rules: [rules[1], rules[0], rules[2], rules[3]],
    }),
  ]);
  assert.notEqual(swapped.dp.policies.get('gnp/conv')?.inboundRules[1]?.ruleId, ids[0]);
  assert.equal(p.tier, 'default');
  assert.equal(p.originalSelector, 'all()');
});
