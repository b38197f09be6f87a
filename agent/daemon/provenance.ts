// Which source rule each generated iptables rule came from, for `felix-ts inspect`.
// Rule hashes are chained over the rules before them in the same chain (felix-iptables-dataplane.md
// §3.2), so compiling the same policy truncated to its first i rules reproduces exactly the hashes
// of the real chain's prefix. Generated rule j therefore comes from the smallest i whose
// truncated chain already contains j's hash. Each truncated compile is a tiny state (the policy,
// the IP sets it may use and one synthetic endpoint that references it).
import {
  DataplaneState,
  compile,
  type CompilerConfig,
  type PolicyEntry,
} from '../../rules/compiler/index.js';
import type { Policy, Profile, Rule, ToDataplane } from '../../rules/dataplane-api/types.js';

const FAKE_IFACE = 'caliinspect0';

function ipsetMessages(state: DataplaneState): ToDataplane[] {
  const out: ToDataplane[] = [];
  for (const [id, e] of state.ipsets) {
    out.push({ kind: 'ipsetUpdate', id, type: e.type, members: [...e.v4, ...e.v6] });
  }
  return out;
}

function chainHashes(
  msgs: readonly ToDataplane[],
  cfg: CompilerConfig,
  family: number,
  isChain: (firstBody: string) => boolean,
): string[] {
  const st = new DataplaneState();
  st.applyAll(msgs);
  const desired = compile(st, cfg);
  for (const t of desired.tables) {
    if (t.family !== family) continue;
    for (const c of t.chains.values()) {
      if (c.rules.length > 0 && isChain(c.rules[0]?.body ?? '')) return c.rules.map((r) => r.hash);
    }
  }
  return [];
}

function originsFrom(prefixHashes: readonly string[][], real: readonly string[]): (number | null)[] {
  return real.map((h) => {
    const i = prefixHashes.findIndex((hs) => hs.includes(h));
    return i < 0 ? null : i;
  });
}

/**
 * For a policy chain (direction, real rule hashes), the index of the source rule behind each
 * generated rule (null when none, e.g. the chain's own bookkeeping rules).
 */
export function policyRuleOrigins(
  state: DataplaneState,
  cfg: CompilerConfig,
  entry: PolicyEntry,
  direction: 'ingress' | 'egress',
  family: number,
  comment: string,
  realHashes: readonly string[],
): (number | null)[] {
  const rules = direction === 'ingress' ? entry.policy.inboundRules : entry.policy.outboundRules;
  const sets = ipsetMessages(state);
  const prefixes: string[][] = [];
  for (let i = 1; i <= rules.length; i++) {
    const truncated: Rule[] = rules.slice(0, i);
    const policy: Policy = {
      ...entry.policy,
      inboundRules: direction === 'ingress' ? truncated : [],
      outboundRules: direction === 'egress' ? truncated : [],
    };
    const tier = entry.policy.tier || 'default';
    prefixes.push(
      chainHashes(
        [
          ...sets,
          { kind: 'activePolicyUpdate', id: entry.id, policy },
          {
            kind: 'workloadEndpointUpdate',
            id: { orchestratorId: 'k8s', workloadId: 'inspect/inspect', endpointId: 'eth0' },
            endpoint: {
              state: 'active',
              name: FAKE_IFACE,
              profileIds: [],
              ipv4Nets: ['10.255.255.254/32'],
              ipv6Nets: [],
              tiers: [{ name: tier, ingressPolicies: [entry.id], egressPolicies: [entry.id] }],
            },
          },
          { kind: 'inSync' },
        ],
        cfg,
        family,
        (body) => body.includes(`--comment "${comment}"`),
      ),
    );
  }
  return originsFrom(prefixes, realHashes);
}

export function profileRuleOrigins(
  state: DataplaneState,
  cfg: CompilerConfig,
  name: string,
  profile: Profile,
  direction: 'ingress' | 'egress',
  family: number,
  comment: string,
  realHashes: readonly string[],
): (number | null)[] {
  const rules = direction === 'ingress' ? profile.inboundRules : profile.outboundRules;
  const sets = ipsetMessages(state);
  const prefixes: string[][] = [];
  for (let i = 1; i <= rules.length; i++) {
    const truncated = rules.slice(0, i);
    prefixes.push(
      chainHashes(
        [
          ...sets,
          {
            kind: 'activeProfileUpdate',
            id: { name },
            profile: {
              inboundRules: direction === 'ingress' ? truncated : [],
              outboundRules: direction === 'egress' ? truncated : [],
            },
          },
          {
            kind: 'workloadEndpointUpdate',
            id: { orchestratorId: 'k8s', workloadId: 'inspect/inspect', endpointId: 'eth0' },
            endpoint: {
              state: 'active',
              name: FAKE_IFACE,
              profileIds: [name],
              ipv4Nets: ['10.255.255.254/32'],
              ipv6Nets: [],
              tiers: [],
            },
          },
          { kind: 'inSync' },
        ],
        cfg,
        family,
        (body) => body.includes(`--comment "${comment}"`),
      ),
    );
  }
  return originsFrom(prefixes, realHashes);
}
