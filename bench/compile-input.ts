// Reproducible generated calc->dataplane input for the compiler and writer benches: N local workload
// endpoints, P policies (tcp/udp ports, selectors, CIDRs, named ports), namespace and service-account
// profiles. The same seed always gives the same messages.
import type { PolicyID, Rule, ToDataplane } from '../rules/dataplane-api/types.js';
import { mulberry32 } from '../test/fuzz/prng.js';

export interface GenOptions {
  readonly endpoints: number;
  readonly policies: number;
  /** How many of the policies apply to each endpoint (in both directions). */
  readonly policiesPerEndpoint: number;
  readonly namespaces?: number;
  readonly seed?: number;
}

const prng = mulberry32;

function setId(rand: () => number, prefix: string): string {
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  let s = prefix + ':';
  for (let i = 0; i < 38; i++) s += abc[Math.floor(rand() * 64)];
  return s;
}

export function generateMessages(o: GenOptions): ToDataplane[] {
  const rand = prng(o.seed ?? 42);
  const nsCount = o.namespaces ?? 10;
  const msgs: ToDataplane[] = [];
  const ids: PolicyID[] = [];
  const selectorSets: string[] = [];
  for (let i = 0; i < o.policies; i++) {
    const sel = setId(rand, 's');
    const named = setId(rand, 'n');
    selectorSets.push(sel);
    msgs.push({ kind: 'ipsetUpdate', id: sel, type: 2, members: [] });
    msgs.push({ kind: 'ipsetUpdate', id: named, type: 1, members: [] });
    const port = 1000 + Math.floor(rand() * 60000);
    const inbound: Rule[] = [
      {
        action: 'allow',
        protocol: { name: 'tcp' },
        srcIpSetIds: [sel],
        dstPorts: [{ first: port, last: port }],
      },
      {
        action: 'allow',
        protocol: { name: 'udp' },
        srcNet: ['10.0.0.0/8', '192.168.0.0/16'],
        dstPorts: [{ first: 53, last: 53 }],
      },
      { action: 'allow', protocol: { name: 'tcp' }, dstNamedPortIpSetIds: [named] },
    ];
    const outbound: Rule[] = [
      { action: 'deny', protocol: { name: 'tcp' }, dstNet: ['169.254.169.254/32'] },
      { action: 'allow', dstIpSetIds: [sel] },
    ];
    const ns = `ns${i % nsCount}`;
    const id: PolicyID = { kind: i % 2 === 0 ? 'knp' : 'np', namespace: ns, name: `policy-${i}` };
    ids.push(id);
    msgs.push({
      kind: 'activePolicyUpdate',
      id,
      policy: {
        tier: 'default',
        namespace: ns,
        inboundRules: inbound,
        outboundRules: outbound,
        // Distinct selectors: no policy groups, so every policy is its own jump (worst case for size).
        originalSelector: `app == "app-${i}"`,
      },
    });
  }
  for (let n = 0; n < nsCount; n++) {
    const allow = [{ action: 'allow' }];
    msgs.push({
      kind: 'activeProfileUpdate',
      id: { name: `kns.ns${n}` },
      profile: { inboundRules: allow, outboundRules: allow },
    });
    msgs.push({
      kind: 'activeProfileUpdate',
      id: { name: `ksa.ns${n}.default` },
      profile: { inboundRules: [], outboundRules: [] },
    });
  }
  const members = new Map<string, string[]>();
  for (let e = 0; e < o.endpoints; e++) {
    const ns = `ns${e % nsCount}`;
    let iface = 'cali';
    for (let k = 0; k < 11; k++) iface += Math.floor(rand() * 16).toString(16);
    const ip = `10.65.${(e >> 8) & 0xff}.${e & 0xff}`;
    const pols: PolicyID[] = [];
    for (let k = 0; k < o.policiesPerEndpoint; k++) pols.push(ids[(e + k) % ids.length] as PolicyID);
    for (const p of pols.slice(0, 2)) {
      const sel = selectorSets[ids.indexOf(p)] as string;
      members.set(sel, [...(members.get(sel) ?? []), `${ip}/32`]);
    }
    msgs.push({
      kind: 'workloadEndpointUpdate',
      id: { orchestratorId: 'k8s', workloadId: `${ns}/pod-${e}`, endpointId: 'eth0' },
      endpoint: {
        state: 'active',
        name: iface,
        profileIds: [`kns.${ns}`, `ksa.${ns}.default`],
        ipv4Nets: [`${ip}/32`],
        ipv6Nets: [],
        tiers: [{ name: 'default', ingressPolicies: pols, egressPolicies: pols }],
      },
    });
  }
  for (const [id, m] of members) msgs.push({ kind: 'ipsetUpdate', id, type: 2, members: m });
  msgs.push({ kind: 'inSync' });
  return msgs;
}
