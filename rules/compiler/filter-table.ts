// The filter table of one IP family (felix/rules/static.go, endpoints.go, dispatch.go, policy.go):
// static chains, workload and host endpoint chains with their dispatch chains, policy-group, policy and
// profile chains, and the hooks into INPUT/FORWARD/OUTPUT. Only chains reachable from the hooks are
// kept (TableBuilder.build). A raw, mangle or nat table is a sibling module of the same shape.
import type { TierInfo } from '../dataplane-api/types.js';
import type { TableState } from '../model.js';
import { CHAIN, PREFIX } from './names.js';
import { act, type Action, type IRule } from './rule.js';
import { isStaged, policyChains, profileChains, type RenderCtx } from './policy-render.js';
import { endpointChain, endpointQos, type EndpointCtx } from './endpoint-chains.js';
import { dispatchChains } from './dispatch.js';
import { addHostEndpoints } from './host-endpoints.js';
import { groupChain, type PolicyGroup, type TierPlan } from './policy-groups.js';
import {
  cidrBlockChain,
  failsafeChains,
  filterForwardChain,
  filterHooks,
  filterInputChain,
  filterOutputChain,
  wlToHostChain,
  type StaticCtx,
} from './static-chains.js';
import { TableBuilder, type TableCompiler, type TableInput } from './table.js';
import type { PlannedTiers } from './tier-planner.js';
import { addIpvsFilterChains } from './ipvs-chains.js';

interface FilterCtx {
  readonly sctx: StaticCtx;
  readonly rctx: RenderCtx;
  readonly ectx: EndpointCtx;
  readonly denyAction: Action;
  /** Plans an endpoint's tiers and records the policy groups that get their own chain. */
  readonly plan: (tiers: readonly TierInfo[]) => PlannedTiers;
  readonly groups: Map<string, PolicyGroup>;
}

function filterCtx(input: TableInput): FilterCtx {
  const { cfg, family, marks } = input;
  const allowAction: Action = cfg.iptablesFilterAllowAction === 'RETURN' ? act.ret() : act.accept();
  const denyAction: Action = cfg.iptablesFilterDenyAction === 'REJECT' ? act.reject() : act.drop();
  const denyName = cfg.iptablesFilterDenyAction === 'REJECT' ? 'Reject' : 'Drop';
  const groups = new Map<string, PolicyGroup>();
  return {
    sctx: { cfg, family, marks, allowAction, denyAction, denyName },
    rctx: {
      family,
      marks,
      denyAction,
      logPrefix: cfg.logPrefix,
      logRateLimit: cfg.logRateLimit,
      logRateLimitBurst: cfg.logRateLimitBurst,
    },
    ectx: {
      marks,
      allowAction,
      denyAction,
      denyName,
      vxlanPort: cfg.vxlanPort,
      disableConntrackInvalid: cfg.disableConntrackInvalidCheck,
    },
    denyAction,
    plan: (tiers) => {
      const p = input.planned(tiers);
      for (const [name, g] of p.groups) groups.set(name, g);
      return p;
    },
    groups,
  };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * cali-tw-/cali-fw- per workload interface; returns the interfaces. Each chain is memoised on what it
 * depends on (shared by both families: nothing in it depends on the family), so a change to an
 * endpoint's ingress policies re-renders its ingress chain only, once for both families.
 */
function addWorkloads(input: TableInput, ctx: FilterCtx, b: TableBuilder): string[] {
  const { state, cfg } = input;
  const ifaces: string[] = [];
  const seen = new Set<string>();
  // In key order so a duplicate interface resolves the same way every time.
  for (const [key, entry] of [...state.workloads.entries()].sort(([x], [y]) => cmp(x, y))) {
    const ep = entry.endpoint;
    if (seen.has(ep.name)) {
      b.warnOnce(`workload ${key}: interface ${ep.name} is used by another endpoint; ignored`);
      continue;
    }
    seen.add(ep.name);
    ifaces.push(ep.name);
    const planned = ctx.plan(ep.tiers);
    const adminUp = ep.state === 'active';
    const common = { ifaceSuffix: ep.name, tiers: planned.plans, profileIds: ep.profileIds, adminUp };
    const id = ep.name;
    const warn = (t: string): void => b.warnOnce(`workload ${key}: ${t}`);
    const qosIn = endpointQos(ep.qosControls, 'ingress', warn);
    const qosOut = endpointQos(ep.qosControls, 'egress', warn);
    // Besides the config: the name, this direction's tiers, the profiles, admin state and QoS.
    const rest = JSON.stringify([ep.profileIds, adminUp]);
    b.addShared(`${planned.ingressKey}|${rest}|${JSON.stringify(qosIn ?? null)}`, PREFIX.wlTo + ep.name, () =>
      endpointChain(
        {
          ...common,
          chainPrefix: PREFIX.wlTo,
          direction: 'ingress',
          chainType: 'normal',
          dropVXLAN: false,
          dropIPIP: false,
          source: { kind: 'workload-endpoint', id, direction: 'ingress' },
          ...(qosIn ? { qos: qosIn } : {}),
        },
        ctx.ectx,
      ),
    );
    b.addShared(
      `${planned.egressKey}|${rest}|${JSON.stringify(qosOut ?? null)}`,
      PREFIX.wlFrom + ep.name,
      () =>
        endpointChain(
          {
            ...common,
            chainPrefix: PREFIX.wlFrom,
            direction: 'egress',
            chainType: 'normal',
            dropVXLAN: !cfg.allowVXLANPacketsFromWorkloads,
            dropIPIP: !cfg.allowIPIPPacketsFromWorkloads,
            source: { kind: 'workload-endpoint', id, direction: 'egress' },
            ...(qosOut ? { qos: qosOut } : {}),
          },
          ctx.ectx,
        ),
    );
  }
  return ifaces;
}

function addWorkloadDispatch(ifaces: readonly string[], ctx: FilterCtx, b: TableBuilder): void {
  const unknownIface: IRule[] = [{ match: [], action: ctx.denyAction, comments: ['Unknown interface'] }];
  const add = b.add.bind(b);
  dispatchChains(ifaces, {
    root: CHAIN.fromWlDispatch,
    endpointPrefix: PREFIX.wlFrom,
    direction: 'in',
    endRules: unknownIface,
  }).forEach(add);
  dispatchChains(ifaces, {
    root: CHAIN.toWlDispatch,
    endpointPrefix: PREFIX.wlTo,
    direction: 'out',
    endRules: unknownIface,
  }).forEach(add);
}

/** Policy and profile chains, memoised on their state entries and kept in the table's layers. */
function addPoliciesAndProfiles(input: TableInput, ctx: FilterCtx, b: TableBuilder): void {
  b.addEntries('policies', input.state.policies, (_key, { id, policy }) =>
    isStaged(id)
      ? []
      : policyChains(id, policy.inboundRules, policy.outboundRules, policy.tier ?? '', ctx.rctx),
  );
  // The same Profile object may be sent under two names, so the name is part of the key.
  b.addEntries(
    'profiles',
    input.state.profiles,
    (name, profile) => profileChains(name, profile.inboundRules, profile.outboundRules, ctx.rctx),
    (name) => `|${name}`,
  );
}

export const compileFilterTable: TableCompiler = (input: TableInput): TableState => {
  const ctx = filterCtx(input);
  const b = new TableBuilder('filter', input);
  const add = b.add.bind(b);
  [
    filterForwardChain(ctx.sctx),
    filterInputChain(ctx.sctx),
    filterOutputChain(ctx.sctx),
    wlToHostChain(ctx.sctx),
    cidrBlockChain(ctx.sctx, input.state.serviceCidrs),
  ].forEach(add);
  failsafeChains(ctx.sctx).forEach(add);

  const workloads = addWorkloads(input, ctx, b);
  addWorkloadDispatch(workloads, ctx, b);
  // kube-proxy IPVS (issue 13 item 4): forward check, endpoint marks and their dispatch.
  addIpvsFilterChains(input, b, workloads, ctx.sctx.allowAction, ctx.denyAction);
  const planHep = (t: readonly TierInfo[]): readonly TierPlan[] => ctx.plan(t).plans;
  addHostEndpoints({ state: input.state, ectx: ctx.ectx, plan: planHep }, b);
  // A group chain's name is a hash of its content (policy-groups.ts groupUid): the name is the key.
  for (const [name, g] of ctx.groups) b.addShared('', name, () => groupChain(g, input.marks));
  addPoliciesAndProfiles(input, ctx, b);

  // Hooks into the kernel chains (felix/rules/static.go StaticFilterTableChains and the insert mode).
  const hooks = filterHooks(ctx.sctx);
  const mode = input.cfg.chainInsertMode === 'insert' ? 'insert' : 'append';
  for (const [kernel, rules] of hooks.hooks) b.hook(kernel, rules, mode);
  b.alwaysAppend('FORWARD', hooks.forwardAppends);
  return b.build();
};
