// What `felix-ts inspect chains` shows: the desired chains the driver last applied, each with the
// policy/profile/endpoint it implements and, for policy and profile chains, the source rules, with
// each generated rule traced to the source rule it came from. All of it is read from the compiler's
// output (Chain.source, RenderedRule.source in rules/model.ts); nothing is re-compiled. The one thing
// read from rule text is a rule's jump/goto target, to walk an endpoint's chains in evaluation order.
import type { Chain, DesiredState, TableState } from '../../rules/model.js';
import type { Rule } from '../../rules/dataplane-api/types.js';

export interface ChainOwner {
  readonly kind: 'policy' | 'profile' | 'policy-group' | 'workload-endpoint' | 'host-endpoint' | 'static';
  /** Policy ID ("gnp/default.allow-dns"), profile name, policy group UID or interface name. */
  readonly id: string;
  readonly direction?: 'ingress' | 'egress';
}

export interface InspectedRule {
  readonly index: number;
  readonly hash: string;
  readonly body: string;
  /** Index into the chain's sourceRules this rule was generated from (policy/profile chains). */
  readonly source?: number;
}

export interface InspectedChain {
  readonly table: string;
  readonly ipVersion: number;
  readonly name: string;
  readonly owner: ChainOwner;
  /** The chain's comment (Felix puts it on the first rule). */
  readonly comment: string;
  readonly rules: readonly InspectedRule[];
  /** For policy/profile chains: the source rules, in order (action, ruleId, selectors). */
  readonly sourceRules?: readonly SourceRule[];
}

export interface SourceRule {
  readonly index: number;
  readonly action: string;
  readonly ruleId: string;
  readonly summary: string;
}

function summarize(r: Rule): string {
  const parts: string[] = [r.action];
  if (r.protocol) parts.push(`proto=${r.protocol.name ?? r.protocol.number}`);
  if (r.originalSrcSelector) parts.push(`src=${JSON.stringify(r.originalSrcSelector)}`);
  if (r.originalDstSelector) parts.push(`dst=${JSON.stringify(r.originalDstSelector)}`);
  if (r.srcNet?.length) parts.push(`srcNet=${r.srcNet.join(',')}`);
  if (r.dstNet?.length) parts.push(`dstNet=${r.dstNet.join(',')}`);
  if (r.dstPorts?.length)
    parts.push(
      `dstPorts=${r.dstPorts.map((p) => (p.first === p.last ? p.first : `${p.first}:${p.last}`)).join(',')}`,
    );
  return parts.join(' ');
}

function sourceRulesOf(rules: readonly Rule[]): SourceRule[] {
  return rules.map((r, i) => ({ index: i, action: r.action, ruleId: r.ruleId ?? '', summary: summarize(r) }));
}

function ownerOf(chain: Chain): ChainOwner {
  const s = chain.source;
  return s ? { kind: s.kind, id: s.id, direction: s.direction } : { kind: 'static', id: chain.name };
}

function describeChain(table: string, ipVersion: number, chain: Chain): InspectedChain {
  const sourceRules = chain.source?.rules;
  return {
    table,
    ipVersion,
    name: chain.name,
    owner: ownerOf(chain),
    comment: chain.comment ?? '',
    rules: chain.rules.map((r, i) =>
      r.source === undefined
        ? { index: i, hash: r.hash, body: r.body }
        : { index: i, hash: r.hash, body: r.body, source: r.source.index },
    ),
    ...(sourceRules ? { sourceRules: sourceRulesOf(sourceRules) } : {}),
  };
}

/** Describes the chains of the desired state the compiler produced last (none before the first compile). */
export function describeChains(desired: DesiredState | undefined): { chains: InspectedChain[] } {
  const chains: InspectedChain[] = [];
  for (const t of desired?.tables ?? []) {
    for (const [, chain] of [...t.chains].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      chains.push(describeChain(t.table, t.family, chain));
    }
  }
  return { chains };
}

/** The cali- chain a rule jumps or goes to (the action is the body's last fragment, rules/compiler/rule.ts). */
function targetOf(body: string): string | undefined {
  return /--(?:jump|goto) (cali-\S+)$/.exec(body)?.[1];
}

const FOLLOWED = new Set(['policy-group', 'policy', 'profile']);

function isEndpointChain(c: Chain, iface: string): boolean {
  const k = c.source?.kind;
  return (k === 'workload-endpoint' || k === 'host-endpoint') && c.source?.id === iface;
}

/** One table's chains of the endpoint, each followed depth-first by what it jumps to (evaluation order). */
function walkTable(t: TableState, iface: string, out: InspectedChain[]): void {
  const seen = new Set<string>();
  const visit = (c: Chain): void => {
    if (seen.has(c.name)) return;
    seen.add(c.name);
    out.push(describeChain(t.table, t.family, c));
    for (const r of c.rules) {
      const next = t.chains.get(targetOf(r.body) ?? '');
      if (next?.source && FOLLOWED.has(next.source.kind)) visit(next);
    }
  };
  const own = [...t.chains.values()].filter((c) => isEndpointChain(c, iface));
  // Ingress (cali-tw-, cali-fh-...) before egress, then by name.
  own.sort((a, b) =>
    a.source?.direction !== b.source?.direction
      ? a.source?.direction === 'ingress'
        ? -1
        : 1
      : a.name < b.name
        ? -1
        : a.name > b.name
          ? 1
          : 0,
  );
  for (const c of own) visit(c);
}

/**
 * The chains that implement one endpoint (by interface name), in evaluation order: each of its own
 * chains, then the policy-group, policy and profile chains it jumps to, in the order it jumps to them
 * (a group chain is followed by its policies' chains). Per table and IP version, in the desired
 * state's order.
 */
export function describeEndpointChains(desired: DesiredState | undefined, iface: string): InspectedChain[] {
  const out: InspectedChain[] = [];
  for (const t of desired?.tables ?? []) walkTable(t, iface, out);
  return out;
}
