// Rendering one Calico rule into iptables rules, and policy/profile chains
// (felix/rules/policy.go).
import { policyIdString, type PolicyID, type Rule } from '../dataplane-api/types.js';
import type { ChainSource, Direction, IpFamily, RuleSource } from '../model.js';
import type { MarkBits } from './marks.js';
import { ipSetName, PREFIX } from './names.js';
import { safeChainName } from './hash.js';
import {
  act,
  m,
  portList,
  rule,
  splitPortList,
  type Action,
  type IChain,
  type IRule,
  type Match,
  type PortRange,
} from './rule.js';

export interface RenderCtx {
  readonly family: IpFamily;
  readonly marks: MarkBits;
  /** IptablesFilterDenyAction as an action (DROP or REJECT). */
  readonly denyAction: Action;
  /** Configured LogPrefix (may contain %t %k %n %p). */
  readonly logPrefix: string;
  /** LogActionRateLimit ("N/second|minute|hour|day"), empty for none. */
  readonly logRateLimit?: string;
  /** LogActionRateLimitBurst; 0 leaves --limit-burst out. */
  readonly logRateLimitBurst?: number;
}

function logLimit(rate: string, burst: number): string {
  return burst === 0 ? `-m limit --limit ${rate}` : `-m limit --limit ${rate} --limit-burst ${burst}`;
}

/** Who owns the rules, for the log prefix (%k %n %p %t). */
export interface RuleOwner {
  readonly kindShort: string;
  readonly name: string;
  readonly namespace: string;
  readonly tier: string;
}

const KIND_SHORT: Readonly<Record<string, string>> = {
  NetworkPolicy: 'np',
  GlobalNetworkPolicy: 'gnp',
  StagedNetworkPolicy: 'snp',
  StagedGlobalNetworkPolicy: 'sgnp',
  StagedKubernetesNetworkPolicy: 'sknp',
  KubernetesNetworkPolicy: 'knp',
  KubernetesClusterNetworkPolicy: 'kcnp',
};
const KIND_LONG: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(KIND_SHORT).map(([long, short]) => [short, long]),
);

/** The short kind ("gnp"); our proto carries the short form, Felix's the long one: accept both. */
export function kindShort(kind: string): string {
  return KIND_SHORT[kind] ?? kind;
}
/** The long kind used in chain comments ("GlobalNetworkPolicy"). */
export function kindLong(kind: string): string {
  return KIND_LONG[kind] ?? kind;
}
/** Staged policies are never rendered (felix/rules/endpoints.go). */
export function isStaged(id: PolicyID): boolean {
  const k = kindShort(id.kind);
  return k === 'snp' || k === 'sgnp' || k === 'sknp';
}
/** PolicyID.ID(): "<kind>/<name>" or "<kind>/<ns>/<name>" (felix/rules/rule_defs.go). */
export function policyIdText(id: PolicyID): string {
  return policyIdString({ ...id, kind: kindShort(id.kind) });
}
export function policyChainName(dir: 'in' | 'out', id: PolicyID): string {
  return safeChainName(dir === 'in' ? PREFIX.policyIn : PREFIX.policyOut, policyIdText(id));
}
export function profileChainName(dir: 'in' | 'out', name: string): string {
  return safeChainName(dir === 'in' ? PREFIX.profileIn : PREFIX.profileOut, name);
}

// ---- IP-version filtering (felix/rules/policy.go, FilterRuleToIPVersion) ----

function filterNets(
  nets: readonly string[] | undefined,
  family: IpFamily,
  negated: boolean,
): string[] | 'skip' {
  if (!nets || nets.length === 0) return [];
  const out: string[] = [];
  for (const n of nets) {
    // Felix decides the family by looking for ":" (policy.go filterNets).
    if (n.includes(':') !== (family === 6)) continue;
    if (negated && (n === '0.0.0.0/0' || n === '::/0')) return 'skip';
    out.push(n);
  }
  return out.length === 0 ? 'skip' : out;
}

// ---- Match blocks (felix/rules/policy.go) ----

class MatchBlockBuilder {
  using = false;
  private donePositive = false;
  readonly rules: IRule[] = [];
  constructor(
    private readonly allBlocks: number,
    private readonly thisBlock: number,
  ) {}

  private initial(markBits: number): void {
    if (this.using) return;
    this.rules.push(rule([], act.setMaskedMark(markBits, this.allBlocks | this.thisBlock)));
    this.using = true;
  }
  private markToSet(): number {
    return this.donePositive ? this.thisBlock : this.allBlocks;
  }
  private finishPositive(): void {
    if (!this.donePositive) {
      this.donePositive = true;
      return;
    }
    this.rules.push(rule([m.markClear(this.thisBlock)], act.clearMark(this.allBlocks)));
  }
  portBlock(
    protoFrag: string | undefined,
    splits: PortRange[][],
    namedSets: string[],
    dir: 'src' | 'dst',
  ): void {
    this.initial(0);
    const mark = this.markToSet();
    for (const split of splits) {
      const match = protoFrag ? [protoFrag] : [];
      match.push(dir === 'src' ? m.sourcePorts(portList(split)) : m.destPorts(portList(split)));
      this.rules.push(rule(match, act.setMark(mark)));
    }
    for (const s of namedSets) {
      this.rules.push(rule([dir === 'src' ? m.sourceIPPortSet(s) : m.destIPPortSet(s)], act.setMark(mark)));
    }
    this.finishPositive();
  }
  cidrBlock(cidrs: readonly string[], dir: 'src' | 'dst'): void {
    this.initial(0);
    const mark = this.markToSet();
    for (const c of cidrs)
      this.rules.push(rule([dir === 'src' ? m.sourceNet(c) : m.destNet(c)], act.setMark(mark)));
    this.finishPositive();
  }
  negatedCidrBlock(cidrs: readonly string[], dir: 'src' | 'dst'): void {
    // A negated first block starts with "all blocks pass" set: pass unless something matches.
    this.initial(this.allBlocks);
    for (const c of cidrs) {
      this.rules.push(rule([dir === 'src' ? m.sourceNet(c) : m.destNet(c)], act.clearMark(this.allBlocks)));
    }
  }
}

function protoFrag(p: Rule['protocol'], negate = false): string | undefined {
  if (!p) return undefined;
  const v = p.name !== undefined ? p.name : String(p.number);
  return negate ? m.notProtocol(v) : m.protocol(v);
}

interface WorkingRule {
  srcNet: string[];
  dstNet: string[];
  notSrcNet: string[];
  notDstNet: string[];
  srcPorts: readonly PortRange[];
  dstPorts: readonly PortRange[];
  srcNamedPortIpSetIds: readonly string[];
  dstNamedPortIpSetIds: readonly string[];
}

/** CalculateRuleMatch: the main rule's fragments in Felix's order (felix/rules/policy.go). */
function calculateRuleMatch(r: Rule, w: WorkingRule, family: IpFamily): Match[] {
  const set = (id: string): string => ipSetName(id, family);
  const out: Match[] = [];
  const p = protoFrag(r.protocol);
  if (p) out.push(p);
  if (w.srcNet.length === 1) out.push(m.sourceNet(w.srcNet[0] as string));
  for (const id of r.srcIpSetIds ?? []) out.push(m.sourceIPSet(set(id)));
  if (w.srcPorts.length > 0) out.push(m.sourcePorts(portList(w.srcPorts)));
  for (const id of w.srcNamedPortIpSetIds) out.push(m.sourceIPPortSet(set(id)));
  if (w.dstNet.length === 1) out.push(m.destNet(w.dstNet[0] as string));
  for (const id of r.dstIpSetIds ?? []) out.push(m.destIPSet(set(id)));
  for (const id of r.dstIpPortSetIds ?? []) out.push(m.destIPPortSet(set(id)));
  if (w.dstPorts.length > 0) out.push(m.destPorts(portList(w.dstPorts)));
  for (const id of w.dstNamedPortIpSetIds) out.push(m.destIPPortSet(set(id)));
  if (r.icmpTypeCode) {
    const { type, code } = r.icmpTypeCode;
    out.push(family === 4 ? m.icmpTypeCode(type, code) : m.icmp6TypeCode(type, code));
  } else if (r.icmpType !== undefined && r.icmpType !== null) {
    out.push(family === 4 ? m.icmpType(r.icmpType) : m.icmp6Type(r.icmpType));
  }
  // Negated fields.
  const np = protoFrag(r.notProtocol, true);
  if (np) out.push(np);
  if (w.notSrcNet.length === 1) out.push(m.notSourceNet(w.notSrcNet[0] as string));
  for (const id of r.notSrcIpSetIds ?? []) out.push(m.notSourceIPSet(set(id)));
  // Several negated multiport matches are ANDed, which is right for a negation.
  for (const split of splitPortList(r.notSrcPorts ?? [])) out.push(m.notSourcePorts(portList(split)));
  for (const id of r.notSrcNamedPortIpSetIds ?? []) out.push(m.notSourceIPPortSet(set(id)));
  if (w.notDstNet.length === 1) out.push(m.notDestNet(w.notDstNet[0] as string));
  for (const id of r.notDstIpSetIds ?? []) out.push(m.notDestIPSet(set(id)));
  for (const split of splitPortList(r.notDstPorts ?? [])) out.push(m.notDestPorts(portList(split)));
  for (const id of r.notDstNamedPortIpSetIds ?? []) out.push(m.notDestIPPortSet(set(id)));
  if (r.notIcmpTypeCode) {
    const { type, code } = r.notIcmpTypeCode;
    out.push(family === 4 ? m.notIcmpTypeCode(type, code) : m.notIcmp6TypeCode(type, code));
  } else if (r.notIcmpType !== undefined && r.notIcmpType !== null) {
    out.push(family === 4 ? m.notIcmpType(r.notIcmpType) : m.notIcmp6Type(r.notIcmpType));
  }
  return out;
}

const LOG_SPECIFIER = /%[tknp]/g;
/** What cannot appear inside the quoted --log-prefix of a restore line: quote, backslash, control. */
// eslint-disable-next-line no-control-regex
const LOG_UNQUOTABLE = /["\\\x00-\x1f\x7f]/g;

/**
 * Felix's generateLogPrefix (felix/rules/policy.go): %t tier, %k kind short name, %n name, %p
 * namespace/name (name when not namespaced); nothing else is a specifier, so "%%" stays "%%". The text
 * is not shortened: iptables keeps the first 29 bytes of "<prefix>: " on both backends (legacy and
 * nft), as it does for Felix, and the rule hash is Felix's. Only characters that cannot be quoted in a
 * restore line are replaced with "_" (configuration refuses them; a name cannot carry them in).
 */
export function logPrefixFor(configured: string, owner: RuleOwner): string {
  let p = configured || 'calico-packet';
  if (p.includes('%')) {
    p = p.replace(LOG_SPECIFIER, (s) => {
      switch (s) {
        case '%k':
          return owner.kindShort;
        case '%n':
          return owner.name;
        case '%p':
          return owner.namespace ? `${owner.namespace}/${owner.name}` : owner.name;
        default:
          return owner.tier;
      }
    });
  }
  return p.replace(LOG_UNQUOTABLE, '_');
}

/**
 * ProtoRuleToIptablesRules: one Calico rule to zero or more iptables rules for one IP family (felix/rules/policy.go).
 * Annotations become "k=v" comments on every generated rule (sorted by key; Go's map order is random).
 */
export function renderCalicoRule(r: Rule, ctx: RenderCtx, owner: RuleOwner): IRule[] {
  const fam = ctx.family;
  if (r.ipVersion && r.ipVersion !== fam) return [];
  const srcNet = filterNets(r.srcNet, fam, false);
  const notSrcNet = filterNets(r.notSrcNet, fam, true);
  const dstNet = filterNets(r.dstNet, fam, false);
  const notDstNet = filterNets(r.notDstNet, fam, true);
  if (srcNet === 'skip' || notSrcNet === 'skip' || dstNet === 'skip' || notDstNet === 'skip') return [];

  const w: WorkingRule = {
    srcNet,
    dstNet,
    notSrcNet,
    notDstNet,
    srcPorts: r.srcPorts ?? [],
    dstPorts: r.dstPorts ?? [],
    srcNamedPortIpSetIds: r.srcNamedPortIpSetIds ?? [],
    dstNamedPortIpSetIds: r.dstNamedPortIpSetIds ?? [],
  };
  const b = new MatchBlockBuilder(ctx.marks.scratch0, ctx.marks.scratch1);
  const pf = protoFrag(r.protocol);
  const srcSplits = splitPortList(w.srcPorts);
  if (srcSplits.length + w.srcNamedPortIpSetIds.length > 1) {
    b.portBlock(
      pf,
      srcSplits,
      w.srcNamedPortIpSetIds.map((id) => ipSetName(id, fam)),
      'src',
    );
    w.srcPorts = [];
    w.srcNamedPortIpSetIds = [];
  }
  const dstSplits = splitPortList(w.dstPorts);
  if (dstSplits.length + w.dstNamedPortIpSetIds.length > 1) {
    b.portBlock(
      pf,
      dstSplits,
      w.dstNamedPortIpSetIds.map((id) => ipSetName(id, fam)),
      'dst',
    );
    w.dstPorts = [];
    w.dstNamedPortIpSetIds = [];
  }
  if (w.srcNet.length > 1) {
    b.cidrBlock(w.srcNet, 'src');
    w.srcNet = [];
  }
  if (w.dstNet.length > 1) {
    b.cidrBlock(w.dstNet, 'dst');
    w.dstNet = [];
  }
  if (w.srcNet.length + w.notSrcNet.length > 1) {
    b.negatedCidrBlock(w.notSrcNet, 'src');
    w.notSrcNet = [];
  }
  if (w.dstNet.length + w.notDstNet.length > 1) {
    b.negatedCidrBlock(w.notDstNet, 'dst');
    w.notDstNet = [];
  }
  let match = calculateRuleMatch(r, w, fam);
  if (b.using) match = [...match, m.markSingleBitSet(ctx.marks.scratch0)];

  const out: IRule[] = [...b.rules];
  const after: IRule[] = [];
  let mark = 0;
  switch (r.action) {
    case 'log':
      // LogActionRateLimit[/Burst] as Felix's MatchCriteria.Limit (felix/iptables/match_builder.go).
      after.push(
        rule(
          ctx.logRateLimit ? [logLimit(ctx.logRateLimit, ctx.logRateLimitBurst ?? 0)] : [],
          act.log(logPrefixFor(ctx.logPrefix, owner)),
        ),
      );
      break;
    case '':
    case 'allow':
      mark = ctx.marks.accept;
      after.push(rule([], act.ret()));
      break;
    case 'next-tier':
    case 'pass':
      mark = ctx.marks.pass;
      after.push(rule([], act.ret()));
      break;
    case 'deny':
      mark = ctx.marks.drop;
      after.push(rule([], ctx.denyAction));
      break;
  }
  if (mark !== 0) {
    out.push(rule(match, act.setMark(mark)));
    match = [m.markSingleBitSet(mark)];
  }
  for (const a of after)
    out.push({ match: [...a.match, ...match], action: a.action as Action, comments: [] });

  const ann = r.metadata?.annotations;
  if (ann) {
    const extra = Object.keys(ann)
      .sort()
      .map((k) => `${k}=${ann[k] as string}`);
    if (extra.length > 0) return out.map((x) => ({ ...x, comments: [...x.comments, ...extra] }));
  }
  return out;
}

/**
 * ProtoRulesToIptablesRules: renders a rule list, trims trailing RETURNs (felix/rules/policy.go) and puts the chain
 * comment on the first rule (an empty list still yields one comment-only rule). Each generated rule
 * carries the index of the Calico rule it came from (`source`: the policy/profile and direction).
 */
export function renderRuleList(
  rules: readonly Rule[],
  ctx: RenderCtx,
  owner: RuleOwner,
  chainComment: string,
  source?: Omit<RuleSource, 'index'>,
): IRule[] {
  const out: IRule[] = [];
  for (let i = 0; i < rules.length; i++) {
    const generated = renderCalicoRule(rules[i] as Rule, ctx, owner);
    if (!source) {
      out.push(...generated);
      continue;
    }
    const from: RuleSource = { kind: source.kind, id: source.id, direction: source.direction, index: i };
    for (const g of generated) out.push({ ...g, source: from });
  }
  while (out.length > 0 && (out[out.length - 1] as IRule).action?.isReturn) out.pop();
  if (out.length === 0) out.push(rule([]));
  const first = out[0] as IRule;
  out[0] = { ...first, comments: [...first.comments, chainComment] };
  return out;
}

/**
 * The ingress and egress chains of a policy or profile: their rules carry their sources, the chain its
 * comment ("<head> ingress") and its ChainSource (with the source rules).
 */
function sourcedChains(
  names: readonly [string, string],
  kind: ChainSource['kind'] & RuleSource['kind'],
  id: string,
  rules: readonly [readonly Rule[], readonly Rule[]],
  ctx: RenderCtx,
  owner: RuleOwner,
  commentHead: string,
): IChain[] {
  return (['ingress', 'egress'] as const).map((direction: Direction, i): IChain => {
    const comment = `${commentHead} ${direction}`;
    const src = rules[i] as readonly Rule[];
    return {
      name: names[i] as string,
      rules: renderRuleList(src, ctx, owner, comment, { kind, id, direction }),
      comment,
      source: { kind, id, direction, rules: src },
    };
  });
}

export function policyChains(
  id: PolicyID,
  inbound: readonly Rule[],
  outbound: readonly Rule[],
  tier: string,
  ctx: RenderCtx,
): IChain[] {
  const who = id.namespace ? `${id.namespace}/${id.name}` : id.name;
  const owner: RuleOwner = { kindShort: kindShort(id.kind), name: id.name, namespace: id.namespace, tier };
  const names = [policyChainName('in', id), policyChainName('out', id)] as const;
  const head = `${kindLong(id.kind)} ${who}`;
  return sourcedChains(names, 'policy', policyIdString(id), [inbound, outbound], ctx, owner, head);
}

export function profileChains(
  name: string,
  inbound: readonly Rule[],
  outbound: readonly Rule[],
  ctx: RenderCtx,
): IChain[] {
  const owner: RuleOwner = { kindShort: 'pro', name, namespace: '', tier: '' };
  const names = [profileChainName('in', name), profileChainName('out', name)] as const;
  return sourcedChains(names, 'profile', name, [inbound, outbound], ctx, owner, `Profile ${name}`);
}
