// compile(): DataplaneState + CompilerConfig -> DesiredState for the filter table of each IP family,
// plus the desired IP sets (felix-iptables-dataplane.md §1, §3, §4, §14 items 1-2).
import type { HostEndpoint, PolicyID, TierInfo } from '../dataplane-api/types.js';
import type {
  Chain,
  DesiredState,
  IpFamily,
  IpSetState,
  IpSetType,
  RenderedRule,
  TableState,
} from '../model.js';
import type { CompilerConfig } from './config.js';
import { validateCompilerConfig } from './config.js';
import { CompilerConfigError } from './errors.js';
import { allocateMarks, type MarkBits } from './marks.js';
import { ruleHashes, safeChainName } from './hash.js';
import { CHAIN, PREFIX, WILDCARD_HEP_SUFFIX, ipSetName } from './names.js';
import { act, m, renderBody, type Action, type IChain, type IRule } from './rule.js';
import { isStaged, policyChains, profileChains, type RenderCtx } from './policy-render.js';
import { endpointChain, type EndpointCtx } from './endpoint-chains.js';
import { dispatchChains } from './dispatch.js';
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
import { policyKey, type DataplaneState } from './state.js';
import {
  groupChain,
  groupChainName,
  planTiers,
  shouldInline,
  type PolicyGroup,
  type TierPlan,
} from './policy-groups.js';

export interface CompileReport {
  readonly desired: DesiredState;
  /** Things that were compiled around (missing policy/profile/IP set, duplicate interface, ...). */
  readonly warnings: readonly string[];
}

/** The desired state Felix would program for this input (see compileWithReport for warnings). */
export function compile(state: DataplaneState, cfg: CompilerConfig): DesiredState {
  return compileWithReport(state, cfg).desired;
}

const SET_TYPE: Readonly<Record<number, IpSetType>> = { 0: 'hash:ip', 1: 'hash:ip,port', 2: 'hash:net' };

export function compileWithReport(state: DataplaneState, cfg: CompilerConfig): CompileReport {
  validateCompilerConfig(cfg);
  const marks = allocateMarks(cfg.iptablesMarkMask);
  if (!marks) throw new CompilerConfigError('iptablesMarkMask has too few bits');
  const warnings: string[] = [];
  const families: IpFamily[] = cfg.ipv6Support ? [4, 6] : [4];

  const ipsets = new Map<string, IpSetState>();
  const sortedSets = [...state.exposeIpSets().entries()].sort(([a], [b]) => cmp(a, b));
  for (const fam of families) {
    for (const [id, entry] of sortedSets) {
      const name = ipSetName(id, fam);
      ipsets.set(name, {
        name,
        type: SET_TYPE[entry.type] as IpSetType,
        family: fam,
        // Shared, not copied: DataplaneState copies an exposed set before a delta changes it.
        members: fam === 4 ? entry.v4 : entry.v6,
      });
    }
  }

  const tables: TableState[] = [];
  state.hashCache.begin();
  const planned = tierPlanner(state);
  for (const fam of families) {
    tables.push(compileFilter(state, cfg, marks, fam, ipsets, warnings, planned));
  }
  state.hashCache.sweep();
  return { desired: { tables, ipsets }, warnings };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** An endpoint's tiers grouped into policy groups; the same for both families. */
interface PlannedTiers {
  readonly plans: readonly TierPlan[];
  /** The groups that get their own chain, by chain name. */
  readonly groups: ReadonlyArray<readonly [string, PolicyGroup]>;
  /** JSON of plans: part of the memo key of chains built from them. */
  readonly key: string;
}

/** Plans each endpoint's tiers once per compile (memoised on the tiers array), not once per family. */
function tierPlanner(state: DataplaneState): (tiers: readonly TierInfo[]) => PlannedTiers {
  // Policy groups need each policy's selector; a policy that has not arrived groups under "" like Felix.
  const selectorOf = (id: PolicyID): string =>
    state.policies.get(policyKey(id))?.policy.originalSelector ?? '';
  const memo = new Map<readonly TierInfo[], PlannedTiers>();
  return (tiers) => {
    let p = memo.get(tiers);
    if (!p) {
      const plans = planTiers(tiers, selectorOf);
      const groups: [string, PolicyGroup][] = [];
      for (const t of plans) {
        for (const g of [...t.ingress, ...t.egress])
          if (!shouldInline(g)) groups.push([groupChainName(g), g]);
      }
      p = { plans, groups, key: JSON.stringify(plans) };
      memo.set(tiers, p);
    }
    return p;
  };
}

function compileFilter(
  state: DataplaneState,
  cfg: CompilerConfig,
  marks: MarkBits,
  family: IpFamily,
  ipsets: Map<string, IpSetState>,
  warnings: string[],
  planned: (tiers: readonly TierInfo[]) => PlannedTiers,
): TableState {
  const allowAction: Action = cfg.iptablesFilterAllowAction === 'RETURN' ? act.ret() : act.accept();
  const denyAction: Action = cfg.iptablesFilterDenyAction === 'REJECT' ? act.reject() : act.drop();
  const denyName = cfg.iptablesFilterDenyAction === 'REJECT' ? 'Reject' : 'Drop';
  const sctx: StaticCtx = { cfg, family, marks, allowAction, denyAction, denyName };
  const rctx: RenderCtx = { family, marks, denyAction, logPrefix: cfg.logPrefix };
  const ectx: EndpointCtx = {
    marks,
    allowAction,
    denyAction,
    denyName,
    vxlanPort: cfg.vxlanPort,
    disableConntrackInvalid: cfg.disableConntrackInvalidCheck,
  };

  const cfgKey = JSON.stringify(cfg);
  const groups = new Map<string, PolicyGroup>();
  const plan = (tiers: readonly TierInfo[]): PlannedTiers => {
    const p = planned(tiers);
    for (const [name, g] of p.groups) groups.set(name, g);
    return p;
  };
  const candidates = new Map<string, Prepared>();
  const scope = `filter${family}`;
  const prepare = (c: IChain): Prepared =>
    prepareChain(c, (name, bodies) => state.hashCache.hashes(scope, name, bodies));
  const add = (c: IChain): void => {
    candidates.set(c.name, prepare(c));
  };
  // Chains that depend only on one state entry (and the config) are memoised on that entry.
  const addMemo = (source: object, produce: () => IChain[], extraKey = ''): void => {
    const prepared = state.chainMemo.get(source, scope, cfgKey + extraKey, () =>
      produce().map((c) => prepareChain(c, ruleHashes)),
    ) as Prepared[];
    for (const p of prepared) candidates.set(p.chain.name, p);
  };
  [
    filterForwardChain(sctx),
    filterInputChain(sctx),
    filterOutputChain(sctx),
    wlToHostChain(sctx),
    cidrBlockChain(),
  ].forEach(add);
  failsafeChains(sctx).forEach(add);

  // Workload endpoints, in key order so a duplicate interface resolves the same way every time.
  const wlIfaces: string[] = [];
  const seenIface = new Set<string>();
  for (const [key, entry] of [...state.workloads.entries()].sort(([a], [b]) => cmp(a, b))) {
    const ep = entry.endpoint;
    if (seenIface.has(ep.name)) {
      if (family === 4)
        warnings.push(`workload ${key}: interface ${ep.name} is used by another endpoint; ignored`);
      continue;
    }
    seenIface.add(ep.name);
    wlIfaces.push(ep.name);
    const { plans: tiers, key: tiersKey } = plan(ep.tiers);
    addMemo(
      entry,
      () => {
        const common = {
          ifaceSuffix: ep.name,
          tiers,
          profileIds: ep.profileIds,
          adminUp: ep.state === 'active',
        };
        return [
          endpointChain(
            {
              ...common,
              chainPrefix: PREFIX.wlTo,
              direction: 'ingress',
              chainType: 'normal',
              dropVXLAN: false,
              dropIPIP: false,
            },
            ectx,
          ),
          endpointChain(
            {
              ...common,
              chainPrefix: PREFIX.wlFrom,
              direction: 'egress',
              chainType: 'normal',
              dropVXLAN: !cfg.allowVXLANPacketsFromWorkloads,
              dropIPIP: !cfg.allowIPIPPacketsFromWorkloads,
            },
            ectx,
          ),
        ];
      },
      tiersKey,
    );
  }
  const unknownIface = [{ match: [], action: denyAction, comments: ['Unknown interface'] }];
  dispatchChains(wlIfaces, {
    root: CHAIN.fromWlDispatch,
    endpointPrefix: PREFIX.wlFrom,
    direction: 'in',
    endRules: unknownIface,
  }).forEach(add);
  dispatchChains(wlIfaces, {
    root: CHAIN.toWlDispatch,
    endpointPrefix: PREFIX.wlTo,
    direction: 'out',
    endRules: unknownIface,
  }).forEach(add);

  compileHostEndpoints(state, ectx, add, warnings, family, cfg.interfacePrefixes, (t) => plan(t).plans);
  for (const g of groups.values()) add(groupChain(g, marks));

  for (const entry of state.policies.values()) {
    const { id, policy } = entry;
    if (isStaged(id)) continue;
    addMemo(entry, () =>
      policyChains(id, policy.inboundRules, policy.outboundRules, policy.tier ?? '', rctx),
    );
  }
  for (const [name, profile] of state.profiles) {
    // The same Profile object may be sent under two names, so the name is part of the key.
    addMemo(
      profile,
      () => profileChains(name, profile.inboundRules, profile.outboundRules, rctx),
      `|${name}`,
    );
  }

  // Hooks into the kernel chains (§4.1).
  const hooks = filterHooks(sctx);
  const inserts = new Map<string, readonly RenderedRule[]>();
  const appends = new Map<string, readonly RenderedRule[]>();
  for (const [kernel, rules] of hooks.hooks) {
    const rendered = renderRules(kernel, rules);
    // Append mode: the hook rules keep their kernel-chain hashes and come before the always-appends,
    // which is the order Felix expects there (§7.2: foreign rules, inserts, appends).
    (cfg.chainInsertMode === 'insert' ? inserts : appends).set(kernel, rendered);
  }
  const fwdAppends = renderRules('FORWARD*appends*', hooks.forwardAppends);
  appends.set('FORWARD', [...(appends.get('FORWARD') ?? []), ...fwdAppends]);

  // Only chains reachable from the hooks are programmed (§1).
  const chains = new Map<string, Chain>();
  const queue: string[] = [];
  const enqueued = new Set<string>();
  const visit = (p: ChainRefs): void => {
    for (const t of p.targets) {
      if (!enqueued.has(t)) {
        enqueued.add(t);
        queue.push(t);
      }
    }
    for (const frag of p.setFrags) noteSetRef(frag, family, ipsets, warnings);
  };
  for (const [, rules] of hooks.hooks) visit(chainRefs(rules));
  visit(chainRefs(hooks.forwardAppends));
  for (let qi = 0; qi < queue.length; qi++) {
    const name = queue[qi] as string;
    let p = candidates.get(name);
    if (!p) {
      // A policy or profile that has not arrived (yet): an empty chain gives no verdict, so the endpoint
      // falls through to its end-of-tier / no-profile drop, and restore does not fail on a missing chain.
      if (family === 4)
        warnings.push(`chain ${name} is referenced but its policy/profile is not known; programmed empty`);
      p = prepare({ name, rules: [] });
    }
    chains.set(name, p.chain);
    visit(p);
  }
  const sorted = new Map([...chains.entries()].sort(([a], [b]) => cmp(a, b)));
  return { table: 'filter', family, chains: sorted, inserts, appends };
}

const MATCH_SET = /--match-set (\S+) (src|dst)(,src|,dst)?$/;

/** A rule refers to an IP set that the calc graph has not sent: program it empty so restore succeeds. */
function noteSetRef(
  frag: string,
  family: IpFamily,
  ipsets: Map<string, IpSetState>,
  warnings: string[],
): void {
  if (!frag.includes('--match-set')) return;
  const mm = MATCH_SET.exec(frag);
  if (!mm) return;
  const name = mm[1] as string;
  if (ipsets.has(name)) return;
  warnings.push(`IP set ${name} is referenced but not known; programmed empty`);
  ipsets.set(name, { name, type: mm[3] ? 'hash:ip,port' : 'hash:net', family, members: new Set() });
}

/** What reachability needs from a chain's rules. */
interface ChainRefs {
  /** Chains it jumps or goes to. */
  readonly targets: readonly string[];
  /** Match fragments that name an IP set. */
  readonly setFrags: readonly string[];
}

/** A compiled chain plus its references. */
interface Prepared extends ChainRefs {
  readonly chain: Chain;
}

function chainRefs(rules: readonly IRule[]): ChainRefs {
  const targets: string[] = [];
  const setFrags: string[] = [];
  for (const r of rules) {
    if (r.action?.target !== undefined) targets.push(r.action.target);
    for (const f of r.match) if (f.includes('--match-set')) setFrags.push(f);
  }
  return { targets, setFrags };
}

type HashFn = (chainName: string, bodies: readonly string[]) => readonly string[];

function prepareChain(c: IChain, hashFn: HashFn): Prepared {
  const bodies = c.rules.map(renderBody);
  const hashes = hashFn(c.name, bodies);
  const rules = bodies.map((body, i) => ({ hash: hashes[i] as string, body }));
  return { chain: { name: c.name, rules }, ...chainRefs(c.rules) };
}

function renderRules(chainName: string, rules: readonly IRule[]): readonly RenderedRule[] {
  return prepareChain({ name: chainName, rules }, ruleHashes).chain.rules;
}

function compileHostEndpoints(
  state: DataplaneState,
  ectx: EndpointCtx,
  add: (c: IChain) => void,
  warnings: string[],
  family: IpFamily,
  workloadPrefixes: readonly string[],
  plan: (tiers: readonly TierInfo[]) => readonly TierPlan[],
): void {
  const byIface = new Map<string, HostEndpoint>();
  for (const [id, { endpoint }] of [...state.hostEndpoints.entries()].sort(([a], [b]) => cmp(a, b))) {
    if (endpoint.name === '') {
      // Felix maps IP-only host endpoints to interfaces with its interface monitor; we have none.
      if (family === 4) warnings.push(`host endpoint ${id} has no interface name; ignored`);
      continue;
    }
    if (byIface.has(endpoint.name)) {
      if (family === 4)
        warnings.push(`host endpoint ${id}: interface ${endpoint.name} already has a host endpoint; ignored`);
      continue;
    }
    byIface.set(endpoint.name, endpoint);
  }
  const names: string[] = [];
  let wildcard = false;
  for (const [iface, hep] of byIface) {
    const suffix = iface === '*' ? WILDCARD_HEP_SUFFIX : iface;
    if (iface === '*') wildcard = true;
    else names.push(iface);
    const base = {
      ifaceSuffix: suffix,
      profileIds: hep.profileIds,
      adminUp: true,
      dropVXLAN: false,
      dropIPIP: false,
    };
    const tiers = plan(hep.tiers);
    const forwardTiers = plan(hep.forwardTiers);
    add(
      endpointChain(
        {
          ...base,
          chainPrefix: PREFIX.hostTo,
          tiers,
          direction: 'egress',
          chainType: 'normal',
          failsafeChain: CHAIN.failsafeOut,
        },
        ectx,
      ),
    );
    add(
      endpointChain(
        {
          ...base,
          chainPrefix: PREFIX.hostFrom,
          tiers,
          direction: 'ingress',
          chainType: 'normal',
          failsafeChain: CHAIN.failsafeIn,
        },
        ectx,
      ),
    );
    add(
      endpointChain(
        {
          ...base,
          chainPrefix: PREFIX.hostToForward,
          tiers: forwardTiers,
          direction: 'egress',
          chainType: 'forward',
        },
        ectx,
      ),
    );
    add(
      endpointChain(
        {
          ...base,
          chainPrefix: PREFIX.hostFromForward,
          tiers: forwardTiers,
          direction: 'ingress',
          chainType: 'forward',
        },
        ectx,
      ),
    );
  }
  // With a wildcard HEP, unmatched interfaces go to its chains; otherwise they fall out (§4.6).
  const end = (prefix: string): IRule[] =>
    wildcard
      ? [{ match: [], action: act.goto(safeChainName(prefix, WILDCARD_HEP_SUFFIX)), comments: [] }]
      : [];
  dispatchChains(names, {
    root: CHAIN.fromHostEndpoint,
    endpointPrefix: PREFIX.hostFrom,
    direction: 'in',
    endRules: end(PREFIX.hostFrom),
  }).forEach(add);
  // In the (non-forward) to direction the wildcard HEP's egress policy is skipped for traffic to local
  // workloads: one RETURN per workload prefix comes before the goto (§4.6; felix/rules/dispatch.go).
  const skipLocalWorkloads: IRule[] = wildcard
    ? workloadPrefixes.map((p) => ({
        match: [m.outInterface(p + '+')],
        action: act.ret(),
        comments: ['Skip egress WHEP policy for traffic to local workload'],
      }))
    : [];
  dispatchChains(names, {
    root: CHAIN.toHostEndpoint,
    endpointPrefix: PREFIX.hostTo,
    direction: 'out',
    endRules: [...skipLocalWorkloads, ...end(PREFIX.hostTo)],
  }).forEach(add);
  dispatchChains(names, {
    root: CHAIN.fromHepForward,
    endpointPrefix: PREFIX.hostFromForward,
    direction: 'in',
    endRules: end(PREFIX.hostFromForward),
  }).forEach(add);
  dispatchChains(names, {
    root: CHAIN.toHepForward,
    endpointPrefix: PREFIX.hostToForward,
    direction: 'out',
    endRules: end(PREFIX.hostToForward),
  }).forEach(add);
}
