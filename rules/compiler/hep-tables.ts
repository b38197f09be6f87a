// Host-endpoint policy outside the filter table (felix/dataplane/linux/endpoint_mgr.go
// updateHostEndpoints, felix/rules/endpoints.go, felix/rules/dispatch.go):
// - raw: untracked policy (the policy's doNotTrack flag) in cali-th-/cali-fh- chains without conntrack
//   rules, profiles or end-of-tier drop, each allow followed by NOTRACK; only interfaces whose host
//   endpoint has untracked tiers are dispatched (HostDispatchChains(untracked, "", false)); the wildcard
//   host endpoint gets no untracked policy, as in Felix.
// - mangle: pre-DNAT policy in cali-fh- chains (IptablesMangleAllowAction, no end-of-tier drop, no
//   profiles) for host endpoints with pre-DNAT tiers (FromHostDispatchChains), and the normal egress
//   policy of every host endpoint in cali-th- chains with a RETURN allow action (ToHostDispatchChains),
//   applied in mangle POSTROUTING to host traffic that was DNATed.
// The policy, policy-group and profile chains those chains jump to are rendered as in the filter table;
// only the referenced ones are added (felix/dataplane/linux/policy_mgr.go offers every policy to raw,
// mangle and filter, and each table programs only the chains it references).
import type { HostEndpoint, PolicyID } from '../dataplane-api/types.js';
import type { Direction } from '../model.js';
import { CHAIN, PREFIX, WILDCARD_HEP_SUFFIX } from './names.js';
import { act, type Action, type IChain } from './rule.js';
import { endpointChain, type EndpointChainType, type EndpointCtx } from './endpoint-chains.js';
import { hostDispatchChains } from './host-dispatch.js';
import { hostEndpointsByIface } from './host-endpoints.js';
import {
  groupChain,
  groupChainName,
  shouldInline,
  type PolicyGroup,
  type TierPlan,
} from './policy-groups.js';
import { isStaged, policyChains, profileChains, type RenderCtx } from './policy-render.js';
import { policyKey, type PolicyEntry } from './state.js';
import type { TableBuilder, TableInput } from './table.js';

export const RAW_HEP_CHAIN = {
  fromHostEndpoint: CHAIN.fromHostEndpoint,
  toHostEndpoint: CHAIN.toHostEndpoint,
} as const;

/** The endpoint-chain context of a raw or mangle chain with the given allow action. */
function endpointCtx(input: TableInput, allowAction: Action): EndpointCtx {
  const { cfg, marks } = input;
  const reject = cfg.iptablesFilterDenyAction === 'REJECT';
  return {
    marks,
    allowAction,
    denyAction: reject ? act.reject() : act.drop(),
    denyName: reject ? 'Reject' : 'Drop',
    vxlanPort: cfg.vxlanPort,
    disableConntrackInvalid: cfg.disableConntrackInvalidCheck,
  };
}

function renderCtx(input: TableInput): RenderCtx {
  const { cfg, family, marks } = input;
  const denyAction = cfg.iptablesFilterDenyAction === 'REJECT' ? act.reject() : act.drop();
  return { family, marks, denyAction, logPrefix: cfg.logPrefix };
}

/** The policies and policy groups a set of endpoint chains jumps to. */
class References {
  readonly policies = new Map<string, PolicyEntry>();
  readonly groups = new Map<string, PolicyGroup>();

  constructor(private readonly input: TableInput) {}

  /** Records what the given direction of these tiers refers to (groups inlined or not, as the chain does). */
  note(plans: readonly TierPlan[], dir: Direction): void {
    for (const t of plans) {
      for (const g of dir === 'ingress' ? t.ingress : t.egress) {
        if (!shouldInline(g)) this.groups.set(groupChainName(g), g);
        for (const id of g.policies) this.notePolicy(id);
      }
    }
  }

  private notePolicy(id: PolicyID): void {
    if (isStaged(id)) return;
    const key = policyKey(id);
    const entry = this.input.state.policies.get(key);
    // A policy that has not arrived is programmed empty by the table builder, with a warning.
    if (entry) this.policies.set(key, entry);
  }

  groupChains(): IChain[] {
    return [...this.groups.values()].map((g) => groupChain(g, this.input.marks));
  }
}

function policyChainsOf(e: PolicyEntry, rctx: RenderCtx): IChain[] {
  return policyChains(e.id, e.policy.inboundRules, e.policy.outboundRules, e.policy.tier ?? '', rctx);
}

interface HepChainSpec {
  readonly iface: string;
  readonly hep: HostEndpoint;
  readonly prefix: string;
  readonly direction: Direction;
  readonly chainType: EndpointChainType;
  readonly tiers: readonly TierPlan[];
  readonly failsafeChain: string;
}

function hepChain(s: HepChainSpec, ectx: EndpointCtx): IChain {
  const normal = s.chainType === 'normal';
  return endpointChain(
    {
      chainPrefix: s.prefix,
      ifaceSuffix: s.iface === '*' ? WILDCARD_HEP_SUFFIX : s.iface,
      tiers: s.tiers,
      // Profiles are not rendered into untracked or pre-DNAT chains (felix/rules/endpoints.go).
      profileIds: normal ? s.hep.profileIds : [],
      direction: s.direction,
      chainType: s.chainType,
      adminUp: true,
      dropVXLAN: false,
      dropIPIP: false,
      failsafeChain: s.failsafeChain,
      source: { kind: 'host-endpoint', id: s.iface, direction: s.direction },
    },
    ectx,
  );
}

/**
 * The raw table's untracked host-endpoint chains for one family: the two dispatch chains (always), the
 * cali-th-/cali-fh- chains of interfaces with untracked tiers, and the policy and group chains they use.
 */
export function rawHostEndpointChains(input: TableInput): IChain[] {
  const ectx = endpointCtx(input, act.accept());
  const refs = new References(input);
  const chains: IChain[] = [];
  const names: string[] = [];
  for (const [iface, hep] of hostEndpointsByIface(input.state)) {
    if (hep.untrackedTiers.length === 0) continue;
    if (iface === '*') {
      // endpoint_mgr.go: "DoNotTrack policy is not supported for a HEP with `interfaceName: *`".
      if (input.family === 4)
        input.sink.warnings.push('untracked (doNotTrack) policy on the wildcard host endpoint is ignored');
      continue;
    }
    names.push(iface);
    const tiers = input.planned(hep.untrackedTiers).plans;
    const common = { iface, hep, chainType: 'untracked', tiers } as const;
    chains.push(
      hepChain(
        { ...common, prefix: PREFIX.hostTo, direction: 'egress', failsafeChain: CHAIN.failsafeOut },
        ectx,
      ),
      hepChain(
        { ...common, prefix: PREFIX.hostFrom, direction: 'ingress', failsafeChain: CHAIN.failsafeIn },
        ectx,
      ),
    );
    refs.note(tiers, 'egress');
    refs.note(tiers, 'ingress');
  }
  // HostDispatchChains(untracked, "", false): no default interface, so no end rules.
  chains.push(
    ...hostDispatchChains({ names, directions: 'to+from', applyOnForward: false, workloadPrefixes: [] }),
  );
  chains.push(...refs.groupChains());
  const rctx = renderCtx(input);
  for (const e of refs.policies.values()) chains.push(...policyChainsOf(e, rctx));
  return chains;
}

/**
 * The mangle table's host-endpoint chains into its builder: cali-th- (normal egress tiers and profiles,
 * RETURN on allow) for every host endpoint, cali-fh- (pre-DNAT tiers, IptablesMangleAllowAction) for
 * those with pre-DNAT tiers, both dispatch chains, and the policy, group and profile chains they use.
 */
export function addMangleHostEndpoints(input: TableInput, b: TableBuilder): void {
  const mangleAllow = input.cfg.iptablesMangleAllowAction === 'RETURN' ? act.ret() : act.accept();
  const egressCtx = endpointCtx(input, act.ret());
  const preDnatCtx = endpointCtx(input, mangleAllow);
  const refs = new References(input);
  const profiles = new Set<string>();
  const toNames: string[] = [];
  const fromNames: string[] = [];
  let wildcard = false;
  let wildcardPreDnat = false;
  for (const [iface, hep] of hostEndpointsByIface(input.state)) {
    const tiers = input.planned(hep.tiers).plans;
    b.add(
      hepChain(
        {
          iface,
          hep,
          prefix: PREFIX.hostTo,
          direction: 'egress',
          chainType: 'normal',
          tiers,
          failsafeChain: CHAIN.failsafeOut,
        },
        egressCtx,
      ),
    );
    refs.note(tiers, 'egress');
    for (const p of hep.profileIds) profiles.add(p);
    if (iface === '*') wildcard = true;
    else toNames.push(iface);
    if (hep.preDnatTiers.length === 0) continue;
    // groupTieredPolicy(PreDnatTiers, includeInbound): pre-DNAT policy is ingress only.
    const pd = input.planned(hep.preDnatTiers).plans;
    b.add(
      hepChain(
        {
          iface,
          hep,
          prefix: PREFIX.hostFrom,
          direction: 'ingress',
          chainType: 'preDNAT',
          tiers: pd,
          failsafeChain: CHAIN.failsafeIn,
        },
        preDnatCtx,
      ),
    );
    refs.note(pd, 'ingress');
    if (iface === '*') wildcardPreDnat = true;
    else fromNames.push(iface);
  }
  addMangleDispatch(input, b, { toNames, fromNames, wildcard, wildcardPreDnat });
  refs.groupChains().forEach((c) => b.add(c));
  const rctx = renderCtx(input);
  for (const e of refs.policies.values()) b.addMemo(e, () => policyChainsOf(e, rctx));
  for (const name of profiles) {
    const profile = input.state.profiles.get(name);
    // The same Profile object may be sent under two names, so the name is part of the key (as in filter).
    if (profile)
      b.addMemo(
        profile,
        () => profileChains(name, profile.inboundRules, profile.outboundRules, rctx),
        `|${name}`,
      );
  }
}

interface MangleDispatch {
  readonly toNames: readonly string[];
  readonly fromNames: readonly string[];
  readonly wildcard: boolean;
  readonly wildcardPreDnat: boolean;
}

/**
 * FromHostDispatchChains(pre-DNAT endpoints, wildcard if it has pre-DNAT tiers) and ToHostDispatchChains(all
 * endpoints, wildcard if any) (felix/dataplane/linux/endpoint_mgr.go updateHostEndpoints): not apply-on-forward,
 * so the to-dispatch skips the wildcard HEP's egress policy for traffic to local workloads.
 */
function addMangleDispatch(input: TableInput, b: TableBuilder, d: MangleDispatch): void {
  const add = b.add.bind(b);
  const workloadPrefixes = input.cfg.interfacePrefixes;
  hostDispatchChains({
    names: d.fromNames,
    ...(d.wildcardPreDnat ? { defaultIface: WILDCARD_HEP_SUFFIX } : {}),
    directions: 'from',
    applyOnForward: false,
    workloadPrefixes,
  }).forEach(add);
  hostDispatchChains({
    names: d.toNames,
    ...(d.wildcard ? { defaultIface: WILDCARD_HEP_SUFFIX } : {}),
    directions: 'to',
    applyOnForward: false,
    workloadPrefixes,
  }).forEach(add);
}
