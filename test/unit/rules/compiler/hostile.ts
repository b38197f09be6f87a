// Hostile datastore input for the injection tests (issue 5, item 4): names, tiers, labels and
// annotations that try to smuggle lines into iptables-restore / ipset restore input.
import type { PolicyID, ToDataplane } from '../../../../rules/dataplane-api/types.js';

export const EVIL = 'evil"\n-A INPUT -j ACCEPT\nCOMMIT';

export interface Names {
  readonly policy: string;
  readonly ns: string;
  readonly nsPolicy: string;
  readonly profile: string;
  readonly tier: string;
  readonly setId: string;
  readonly annKey: string;
  readonly annVal: string;
}

export const HOSTILE: Names = {
  policy: EVIL,
  ns: "ns x'; COMMIT",
  nsPolicy: 'n\'y" --jump ACCEPT',
  profile: 'kns.evil ns\n:INPUT ACCEPT [0:0]',
  tier: 't "x"\n*filter',
  setId: 's:bad id\n-A INPUT -j ACCEPT',
  annKey: 'k"\r\n',
  annVal: 'v\n-A FORWARD -j ACCEPT\nCOMMIT\n',
};

export const BENIGN: Names = {
  policy: 'good',
  ns: 'ns-x',
  nsPolicy: 'ny',
  profile: 'kns.good',
  tier: 'tier1',
  setId: 's:goodid',
  annKey: 'k',
  annVal: 'v',
};

export function messages(n: Names): ToDataplane[] {
  const gnp: PolicyID = { kind: 'gnp', namespace: '', name: n.policy };
  const np: PolicyID = { kind: 'np', namespace: n.ns, name: n.nsPolicy };
  const ann = { [n.annKey]: n.annVal, COMMIT: '*filter' };
  return [
    { kind: 'ipsetUpdate', id: n.setId, type: 2, members: ['10.0.0.1/32', 'fd00::1'] },
    {
      kind: 'activePolicyUpdate',
      id: gnp,
      policy: {
        tier: n.tier,
        inboundRules: [
          { action: 'allow', srcIpSetIds: [n.setId], metadata: { annotations: ann }, ruleId: EVIL },
          { action: 'log', protocol: { name: 'tcp' } },
        ],
        outboundRules: [{ action: 'deny', dstIpSetIds: [n.setId], originalDstSelector: EVIL }],
      },
    },
    {
      kind: 'activePolicyUpdate',
      id: np,
      policy: { tier: n.tier, inboundRules: [{ action: 'pass' }], outboundRules: [] },
    },
    {
      kind: 'activeProfileUpdate',
      id: { name: n.profile },
      profile: { inboundRules: [{ action: 'allow', metadata: { annotations: ann } }], outboundRules: [] },
    },
    {
      kind: 'workloadEndpointUpdate',
      id: { orchestratorId: 'k8s', workloadId: `${n.ns}/${n.policy}`, endpointId: 'eth0' },
      endpoint: {
        state: 'active',
        name: 'cali12345',
        profileIds: [n.profile],
        ipv4Nets: ['10.0.0.1/32'],
        ipv6Nets: [],
        tiers: [{ name: n.tier, ingressPolicies: [gnp, np], egressPolicies: [gnp] }],
        annotations: { [n.annKey]: n.annVal },
      },
    },
    {
      kind: 'hostEndpointUpdate',
      id: { endpointId: n.policy },
      endpoint: {
        name: '*',
        profileIds: [n.profile],
        tiers: [{ name: n.tier, ingressPolicies: [gnp], egressPolicies: [] }],
        untrackedTiers: [],
        preDnatTiers: [],
        forwardTiers: [],
        expectedIpv4Addrs: [],
        expectedIpv6Addrs: [],
      },
    },
  ];
}
