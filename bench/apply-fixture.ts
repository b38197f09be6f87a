// Generated calc->dataplane messages for the apply bench: N endpoints, each using all of 20
// policies (ingress) and 5 of them (egress), 20 IP sets of 50 members.
import type { ToDataplane } from '../rules/dataplane-api/types.js';

export const POLICIES = 20;
export const SETS = 20;

export function policyMsg(i: number, port: number): ToDataplane {
  return {
    kind: 'activePolicyUpdate',
    id: { kind: 'gnp', namespace: '', name: `bench-policy-${i}` },
    policy: {
      tier: 'default',
      inboundRules: [
        {
          action: 'allow',
          protocol: { name: 'tcp' },
          srcIpSetIds: [`s:bench-set-${i % SETS}`],
          dstPorts: [{ first: port, last: port }],
        },
        {
          action: 'allow',
          protocol: { name: 'udp' },
          srcNet: [`10.${100 + i}.0.0/16`],
          dstPorts: [{ first: 53, last: 53 }],
        },
        { action: 'deny', protocol: { name: 'tcp' }, srcIpSetIds: [`s:bench-set-${(i + 1) % SETS}`] },
      ],
      outboundRules: [{ action: 'allow', dstIpSetIds: [`s:bench-set-${(i + 2) % SETS}`] }],
    },
  };
}

export function messages(endpoints: number): ToDataplane[] {
  const msgs: ToDataplane[] = [];
  for (let s = 0; s < SETS; s++) {
    const members = Array.from({ length: 50 }, (_, m) => `10.${s}.${m >> 8}.${m & 255}`);
    msgs.push({ kind: 'ipsetUpdate', id: `s:bench-set-${s}`, members, type: 2 });
  }
  msgs.push({
    kind: 'activeProfileUpdate',
    id: { name: 'kns.default' },
    profile: { inboundRules: [{ action: 'allow' }], outboundRules: [{ action: 'allow' }] },
  });
  for (let p = 0; p < POLICIES; p++) msgs.push(policyMsg(p, 8000 + p));
  const ids = Array.from({ length: POLICIES }, (_, p) => ({
    kind: 'gnp',
    namespace: '',
    name: `bench-policy-${p}`,
  }));
  for (let e = 0; e < endpoints; e++) {
    msgs.push({
      kind: 'workloadEndpointUpdate',
      id: { orchestratorId: 'k8s', workloadId: `default/pod-${e}`, endpointId: 'eth0' },
      endpoint: {
        state: 'active',
        name: `cali${e.toString(16).padStart(11, '0')}`,
        profileIds: ['kns.default'],
        ipv4Nets: [`10.200.${e >> 8}.${e & 255}/32`],
        ipv6Nets: [],
        tiers: [{ name: 'default', ingressPolicies: ids, egressPolicies: ids.slice(0, 5) }],
      },
    });
  }
  msgs.push({ kind: 'inSync' });
  return msgs;
}

/** One IP pool with natOutgoing covering the endpoints, so that the nat table is compiled too. */
export function poolMsg(): ToDataplane {
  return {
    kind: 'ipamPoolUpdate',
    id: '10.200.0.0-16',
    pool: { cidr: '10.200.0.0/16', masquerade: true, ipipMode: '', vxlanMode: '', allowedUses: [] },
  };
}
