// The pure trace evaluator (agent/daemon/trace.ts, trace-eval.ts, trace-match.ts) over a real
// DataplaneState and the real compiler's output: verdicts, the deciding tier/policy/rule, and the
// kernel chain and rule hash, which must be rules the compiler actually produced.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataplaneState, compile, defaultCompilerConfig } from '../../../../rules/compiler/index.js';
import type { PolicyID, Rule, TierInfo, ToDataplane } from '../../../../rules/dataplane-api/types.js';
import type { DesiredState } from '../../../../rules/model.js';
import { parsePacketSpec, trace, TraceError, type TraceResult } from '../../../../agent/daemon/index.js';

const np = (ns: string, name: string): PolicyID => ({ kind: 'np', namespace: ns, name });
const DENY_ALL = np('prod', 'default-deny');
const ALLOW_WEB = np('prod', 'allow-client-web');
const GUARD = { kind: 'gnp', namespace: '', name: 'security.guard' };
const STAGED = { kind: 'snp', namespace: 'prod', name: 'staged-deny' };
const EGRESS = np('prod', 'egress');

const pods = {
  web: { ip: '10.65.1.1', iface: 'caliweb0000001', ns: 'prod' },
  db: { ip: '10.65.1.2', iface: 'calidb00000002', ns: 'prod' },
  client: { ip: '10.65.1.3', iface: 'caliclient0003', ns: 'prod' },
  tool: { ip: '10.65.1.4', iface: 'calitool000004', ns: 'dev' },
};
type PodName = keyof typeof pods;

function wep(name: PodName, tiers: TierInfo[], state = 'active'): ToDataplane {
  const p = pods[name];
  return {
    kind: 'workloadEndpointUpdate',
    id: { orchestratorId: 'k8s', workloadId: `${p.ns}/${name}`, endpointId: 'eth0' },
    endpoint: {
      state,
      name: p.iface,
      profileIds: [`kns.${p.ns}`],
      ipv4Nets: [`${p.ip}/32`],
      ipv6Nets: [`fd00::${name === 'web' ? 1 : name === 'db' ? 2 : name === 'client' ? 3 : 4}/128`],
      tiers,
    },
  };
}

const pol = (id: PolicyID, tier: string, inbound: Rule[], outbound: Rule[] = []): ToDataplane => ({
  kind: 'activePolicyUpdate',
  id,
  policy: { tier, namespace: id.namespace, inboundRules: inbound, outboundRules: outbound },
});

interface World {
  state: DataplaneState;
  desired: DesiredState;
  run: (src: string, dst: string, packet?: string) => TraceResult;
}

function world(msgs: ToDataplane[], ipv6 = true): World {
  const state = new DataplaneState();
  const base: ToDataplane[] = [
    { kind: 'ipsetUpdate', id: 's:client', type: 2, members: ['10.65.1.3/32', 'fd00::3/128'] },
    { kind: 'ipsetUpdate', id: 's:dev', type: 2, members: ['10.65.1.4/32'] },
    { kind: 'ipsetUpdate', id: 'n:http', type: 1, members: ['10.65.1.1,tcp:8080', '10.65.1.2,tcp:5432'] },
    ...(['prod', 'dev'] as const).map((ns): ToDataplane => ({
      kind: 'activeProfileUpdate',
      id: { name: `kns.${ns}` },
      profile: {
        inboundRules: [{ action: 'allow', ruleId: `in-${ns}` }],
        outboundRules: [{ action: 'allow' }],
      },
    })),
  ];
  assert.deepEqual(state.applyAll([...base, ...msgs, { kind: 'inSync' }]), []);
  const config = defaultCompilerConfig({ ipv6Support: ipv6 });
  const desired = compile(state, config);
  return { state, desired, run: (s, d, p) => trace(s, d, p, { state, config, desired }) };
}

/** The kernel rule named by the trace is one the compiler produced, at that position of that chain. */
function assertKernel(w: World, r: TraceResult): void {
  for (const d of r.directions) {
    assert.ok(d.kernel.length > 0, `${d.direction}: a kernel rule is named`);
    for (const k of d.kernel) {
      const t = w.desired.tables.find((x) => x.table === 'filter' && x.family === k.ipVersion);
      const chain = t?.chains.get(k.chain);
      assert.ok(chain, `chain ${k.chain} exists`);
      assert.equal(chain.rules[k.index]?.hash, k.hash);
    }
  }
}

const noTiers: TierInfo[] = [];
const defaultTier = (ingress: PolicyID[], egress: PolicyID[] = []): TierInfo => ({
  name: 'default',
  ingressPolicies: ingress,
  egressPolicies: egress,
});

test('profiles only: both directions allowed by the namespace profiles, with their chains', () => {
  const w = world([wep('client', noTiers), wep('web', noTiers)]);
  const r = w.run('prod/client', 'web', 'tcp/8080');
  assert.equal(r.verdict, 'allow');
  assert.deepEqual(
    r.directions.map((d) => [d.direction, d.decidedBy, d.profile, d.rule]),
    [
      ['egress', 'profile', 'kns.prod', 0],
      ['ingress', 'profile', 'kns.prod', 0],
    ],
  );
  assert.equal(r.directions[1]?.ruleId, 'in-prod');
  assert.equal(r.directions[1]?.kernel.at(-1)?.chain, 'cali-pri-kns.prod');
  assert.equal(r.directions[0]?.endpointChain, `cali-fw-${pods.client.iface}`);
  assert.equal(r.src.workload, 'prod/client/eth0');
  assert.equal(r.dst.address, '10.65.1.1');
  assertKernel(w, r);
});

test('default deny plus an allow by IP set and port: allow, end-of-tier drop, wrong source', () => {
  const tiers = [defaultTier([ALLOW_WEB, DENY_ALL])];
  const w = world([
    pol(ALLOW_WEB, 'default', [
      {
        action: 'allow',
        protocol: { name: 'tcp' },
        srcIpSetIds: ['s:client'],
        originalSrcSelector: "app == 'client'",
        dstPorts: [{ first: 8080, last: 8080 }],
      },
    ]),
    pol(DENY_ALL, 'default', []),
    wep('client', noTiers),
    wep('tool', noTiers),
    wep('web', tiers),
  ]);
  const ok = w.run('client', 'web', 'tcp/8080');
  assert.equal(ok.verdict, 'allow');
  const ing = ok.directions[1];
  assert.equal(ing?.decidedBy, 'policy');
  assert.equal(ing?.policy, 'np/prod/allow-client-web');
  assert.equal(ing?.tier, 'default');
  assert.equal(ing?.rule, 0);
  assert.match(ing?.kernel.at(-1)?.chain ?? '', /^cali-pi-/);
  assertKernel(w, ok);

  const port = w.run('client', 'web', 'tcp/9090');
  assert.equal(port.verdict, 'deny');
  assert.equal(port.directions[1]?.decidedBy, 'end-of-tier');
  assert.match(port.directions[1]?.kernel[0]?.body ?? '', /End of tier default/);
  assert.match(port.directions[1]?.steps[0]?.why ?? '', /dst port 9090 not in 8080/);
  assertKernel(w, port);

  const other = w.run('dev/tool', 'prod/web', 'tcp/8080');
  assert.equal(other.verdict, 'deny');
  assert.match(
    other.directions[1]?.steps[0]?.why ?? '',
    /not in IP set cali40s:client, the src selector "app == 'client'"$/,
  );
  // The same address given as an IP is the same workload; an outside address is only traced at web.
  assert.equal(w.run('10.65.1.3', '10.65.1.1', 'tcp/8080').directions.length, 2);
  const outside = w.run('192.0.2.7', 'web', 'tcp/8080');
  assert.deepEqual(
    outside.directions.map((d) => d.direction),
    ['ingress'],
  );
  assert.equal(outside.verdict, 'deny');
  // No protocol: the tcp rule cannot match.
  assert.equal(w.run('client', 'web').verdict, 'deny');
});

test('tiers: pass goes to the next tier, no verdict drops at the tier end, Pass default continues', () => {
  const security = (defaultAction: string): TierInfo => ({
    name: 'security',
    ingressPolicies: [GUARD, STAGED],
    egressPolicies: [],
    defaultAction,
  });
  const msgs = (defaultAction: string): ToDataplane[] => [
    pol(GUARD, 'security', [
      { action: 'log', srcIpSetIds: ['s:client'] },
      { action: 'pass', srcIpSetIds: ['s:client'] },
      { action: 'allow', srcIpSetIds: ['s:dev'] },
    ]),
    pol(STAGED, 'security', [{ action: 'deny' }]),
    pol(ALLOW_WEB, 'default', [
      {
        action: 'allow',
        srcIpSetIds: ['s:client'],
        protocol: { name: 'tcp' },
        dstPorts: [{ first: 8080, last: 8080 }],
      },
    ]),
    wep('client', noTiers),
    wep('tool', noTiers),
    wep('db', noTiers),
    wep('web', [security(defaultAction), defaultTier([ALLOW_WEB])]),
  ];
  const w = world(msgs('Deny'));
  const passed = w.run('client', 'web', 'tcp/8080').directions[1];
  assert.equal(passed?.policy, 'np/prod/allow-client-web');
  assert.deepEqual(
    passed?.steps.slice(0, 2).map((s) => s.result),
    ['log', 'pass'],
  );
  assert.ok(!passed?.steps.some((s) => s.policy === 'snp/prod/staged-deny' && s.result !== 'staged-skipped'));
  const byTier = w.run('tool', 'web', 'tcp/9090').directions[1];
  assert.equal(byTier?.verdict, 'allow');
  assert.equal(byTier?.tier, 'security');
  assert.equal(byTier?.rule, 2);
  const dropped = w.run('db', 'web', 'tcp/8080').directions[1];
  assert.equal(dropped?.decidedBy, 'end-of-tier');
  assert.equal(dropped?.tier, 'security');
  // With default action Pass, the same flow reaches the default tier, which drops it at its end.
  const w2 = world(msgs('Pass'));
  const p2 = w2.run('db', 'web', 'tcp/8080').directions[1];
  assert.equal(p2?.decidedBy, 'end-of-tier');
  assert.equal(p2?.tier, 'default');
  assert.ok(p2?.steps.some((s) => s.result === 'end-of-tier-pass' && s.tier === 'security'));
  assertKernel(w2, w2.run('db', 'web', 'tcp/8080'));
});

test('egress deny, named ports, negations, ICMP and the IP family', () => {
  const rules: Rule[] = [
    { action: 'deny', dstIpSetIds: ['s:dev'], protocol: { name: 'icmp' }, icmpType: 8 },
    { action: 'allow', protocol: { name: 'tcp' }, dstNamedPortIpSetIds: ['n:http'] },
    {
      action: 'allow',
      protocol: { name: 'udp' },
      notDstPorts: [{ first: 53, last: 53 }],
      notDstNet: ['10.65.1.2/32'],
    },
    { action: 'allow', notProtocol: { name: 'tcp' }, srcNet: ['10.65.1.0/24'], ipVersion: 4 },
    { action: 'allow', protocol: { number: 58 }, dstNet: ['fd00::/64'] },
  ];
  const w = world([
    pol(EGRESS, 'default', [], rules),
    wep('client', [defaultTier([], [EGRESS])]),
    wep('web', noTiers),
    wep('db', noTiers),
    wep('tool', noTiers),
  ]);
  const v = (dst: string, p: string): [string, string, number | undefined] => {
    const d = w.run('client', dst, p).directions[0];
    return [d?.verdict ?? '', d?.decidedBy ?? '', d?.rule];
  };
  assert.deepEqual(v('tool', 'icmp'), ['deny', 'policy', 0]);
  assert.deepEqual(v('tool', 'icmp/0'), ['allow', 'policy', 3]); // not echo: rule 0 misses, rule 3 (not tcp)
  assert.deepEqual(v('web', 'tcp/8080'), ['allow', 'policy', 1]); // web's named port http
  assert.deepEqual(v('db', 'tcp/5432'), ['allow', 'policy', 1]); // db's http is 5432
  assert.deepEqual(v('web', 'tcp/5432'), ['deny', 'end-of-tier', undefined]);
  assert.deepEqual(v('web', 'udp/5000'), ['allow', 'policy', 2]);
  assert.deepEqual(v('db', 'udp/5000'), ['allow', 'policy', 3]); // notDstNet excludes db from rule 2
  assert.deepEqual(v('web', 'udp/53'), ['allow', 'policy', 3]);
  assert.equal(w.run('client', 'fd00::1', 'icmp').directions[0]?.rule, 4, 'icmp on IPv6 is ICMPv6');
  assert.match(w.run('client', '192.0.2.1', 'tcp/80').notes.join('\n'), /DefaultEndpointToHostAction=DROP/);
  const v6 = w.run('client', 'fd00::1', 'icmpv6');
  assert.equal(v6.ipVersion, 6);
  assert.equal(v6.directions[0]?.rule, 4); // rule 3 is IPv4 only
  assert.equal(v6.directions[0]?.kernel[0]?.ipVersion, 6);
  assertKernel(w, v6);
  assertKernel(w, w.run('client', 'web', 'tcp/8080'));
});

test('admin-down endpoints drop; the endpoint with no profile drops at the end', () => {
  const w = world([wep('web', noTiers, 'inactive'), wep('client', noTiers)]);
  const r = w.run('client', 'web', 'tcp/80');
  assert.equal(r.directions[1]?.decidedBy, 'admin-down');
  assertKernel(w, r);
});

test('names: ambiguous and unknown ends, bad packet specs', () => {
  const w = world([wep('web', noTiers), wep('client', noTiers)]);
  const err = (f: () => unknown): string => {
    try {
      f();
    } catch (e) {
      assert.ok(e instanceof TraceError);
      return e.code;
    }
    return 'no error';
  };
  assert.equal(
    err(() => w.run('nosuch', 'web', 'tcp/80')),
    'ERR_TRACE_UNKNOWN',
  );
  assert.equal(
    err(() => w.run('10.65.1.1', 'fd00::9', 'tcp/80')),
    'ERR_TRACE_FAMILY',
  );
  assert.equal(
    err(() => parsePacketSpec('tcp/99999')),
    'ERR_TRACE_ARGS',
  );
  assert.equal(
    err(() => parsePacketSpec('gre/1')),
    'ERR_TRACE_ARGS',
  );
  assert.equal(
    err(() => parsePacketSpec('icmp/8/0/1')),
    'ERR_TRACE_ARGS',
  );
  assert.deepEqual(parsePacketSpec('icmp'), { protocol: 1, icmpType: 8, icmpCode: 0 });
  assert.deepEqual(parsePacketSpec('icmpv6'), { protocol: 58, icmpType: 128, icmpCode: 0 });
  assert.deepEqual(parsePacketSpec('UDP/53'), { protocol: 17, dstPort: 53 });
  assert.equal(w.run(pods.client.iface, 'k8s/prod/web/eth0', 'tcp/1').dst.workload, 'prod/web/eth0');
  const two = world([
    wep('web', noTiers),
    {
      kind: 'workloadEndpointUpdate',
      id: { orchestratorId: 'k8s', workloadId: 'other/web', endpointId: 'eth0' },
      endpoint: {
        state: 'active',
        name: 'caliotherweb01',
        profileIds: [],
        ipv4Nets: ['10.65.9.9/32'],
        ipv6Nets: [],
        tiers: [],
      },
    },
  ]);
  assert.equal(
    err(() => two.run('web', '10.65.9.9', 'tcp/80')),
    'ERR_TRACE_AMBIGUOUS',
  );
  assert.equal(two.run('other/web', 'prod/web', 'tcp/80').directions[0]?.decidedBy, 'no-profile-matched');
});

test('selector cross-check: a rule selector on a local end disagreeing with its IP set is reported', () => {
  const w = world([
    pol(ALLOW_WEB, 'default', [
      { action: 'allow', srcIpSetIds: ['s:client'], originalSrcSelector: "app == 'client'" },
    ]),
    wep('client', noTiers),
    wep('tool', noTiers),
    wep('web', [defaultTier([ALLOW_WEB])]),
  ]);
  const config = defaultCompilerConfig({ ipv6Support: true });
  const run = (labels: Record<string, Record<string, string>>, from: string): TraceResult =>
    trace(from, 'web', 'tcp/80', {
      state: w.state,
      config,
      desired: w.desired,
      labelsOf: (name) => labels[name],
    });
  const consistent = run(
    { 'prod/client/eth0': { app: 'client' }, 'dev/tool/eth0': { app: 'tool' } },
    'client',
  );
  assert.equal(consistent.verdict, 'allow');
  assert.ok(consistent.directions.every((d) => d.steps.every((s) => s.selectorCheck === undefined)));
  // tool's labels now say app=client, but its address is not in the set: reported, verdict stays the kernel's.
  const stale = run({ 'dev/tool/eth0': { app: 'client' } }, 'tool');
  assert.equal(stale.verdict, 'deny');
  assert.match(
    stale.directions[1]?.steps[0]?.selectorCheck ?? '',
    /^src selector "app == 'client'" matches the src workload's labels, but its address is not in cali40s:client$/,
  );
});
