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
import type { Profile, Rule, TierInfo, ToDataplane } from '../../rules/dataplane-api/types.js';

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

/** A synthetic active endpoint on FAKE_IFACE that makes the compiler emit the chain under test. */
function fakeEndpoint(profileIds: string[], tiers: TierInfo[]): ToDataplane {
  return {
    kind: 'workloadEndpointUpdate',
    id: { orchestratorId: 'k8s', workloadId: 'inspect/inspect', endpointId: 'eth0' },
    endpoint: {
      state: 'active',
      name: FAKE_IFACE,
      profileIds,
      ipv4Nets: ['10.255.255.254/32'],
      ipv6Nets: [],
      tiers,
    },
  };
}

/**
 * Compiles the chain commented `comment` once per prefix of `rules` (`owner` gives the messages
 * that define it for a prefix) and maps each real rule hash to the first prefix that produces it.
 */
function ruleOrigins(
  state: DataplaneState,
  cfg: CompilerConfig,
  rules: readonly Rule[],
  family: number,
  comment: string,
  realHashes: readonly string[],
  owner: (truncated: Rule[]) => ToDataplane[],
): (number | null)[] {
  const sets = ipsetMessages(state);
  const isChain = (body: string): boolean => body.includes(`--comment "${comment}"`);
  const prefixes: string[][] = [];
  for (let i = 1; i <= rules.length; i++) {
    prefixes.push(
      chainHashes([...sets, ...owner(rules.slice(0, i)), { kind: 'inSync' }], cfg, family, isChain),
    );
  }
  return originsFrom(prefixes, realHashes);
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
  const tier = entry.policy.tier || 'default';
  return ruleOrigins(state, cfg, rules, family, comment, realHashes, (truncated) => [
    {
      kind: 'activePolicyUpdate',
      id: entry.id,
      policy: {
        ...entry.policy,
        inboundRules: direction === 'ingress' ? truncated : [],
        outboundRules: direction === 'egress' ? truncated : [],
      },
    },
    fakeEndpoint([], [{ name: tier, ingressPolicies: [entry.id], egressPolicies: [entry.id] }]),
  ]);
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
  return ruleOrigins(state, cfg, rules, family, comment, realHashes, (truncated) => [
    {
      kind: 'activeProfileUpdate',
      id: { name },
      profile: {
        inboundRules: direction === 'ingress' ? truncated : [],
        outboundRules: direction === 'egress' ? truncated : [],
      },
    },
    fakeEndpoint([name], []),
  ]);
}
