// What `felix-ts inspect chains` shows: the desired chains the driver last applied, each rule with
// the policy/profile/endpoint its chain implements (from the chain name and its comment), and, for
// policy and profile chains, the source rules of that policy so each rule can be traced back.
import type { DesiredState, TableState } from '../../rules/model.js';
import type { CompilerConfig, DataplaneState, PolicyEntry } from '../../rules/compiler/index.js';
import { policyRuleOrigins, profileRuleOrigins } from './provenance.js';
import type { Rule } from '../../rules/dataplane-api/types.js';
import { policyIdString } from '../../rules/dataplane-api/types.js';

export interface ChainOwner {
  readonly kind: 'policy' | 'profile' | 'policy-group' | 'workload-endpoint' | 'host-endpoint' | 'static';
  /** Policy ID ("gnp/default.allow-dns"), profile name, or interface name. */
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

const PREFIXES: readonly [string, ChainOwner['kind'], ChainOwner['direction'] | undefined][] = [
  ['cali-pi-', 'policy', 'ingress'],
  ['cali-po-', 'policy', 'egress'],
  ['cali-pri-', 'profile', 'ingress'],
  ['cali-pro-', 'profile', 'egress'],
  ['cali-gi-', 'policy-group', 'ingress'],
  ['cali-go-', 'policy-group', 'egress'],
  ['cali-tw-', 'workload-endpoint', 'ingress'],
  ['cali-fw-', 'workload-endpoint', 'egress'],
  ['cali-th-', 'host-endpoint', 'ingress'],
  ['cali-fh-', 'host-endpoint', 'egress'],
];

function chainComment(t: TableState, name: string): string {
  const first = t.chains.get(name)?.rules[0]?.body ?? '';
  const m = /--comment "([^"]*)"/.exec(first);
  return m ? (m[1] as string) : '';
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

/** Describes the filter-table chains of a desired state; `state` supplies policy/profile sources. */
export function describeChains(
  desired: DesiredState | undefined,
  state: DataplaneState | undefined,
  cfg?: CompilerConfig,
): { chains: InspectedChain[] } {
  const chains: InspectedChain[] = [];
  if (!desired) return { chains };
  // Policy/profile comments name the owner; map them back to source rules.
  const policiesByComment = new Map<string, { id: string; rules: readonly Rule[]; entry: PolicyEntry }>();
  for (const e of state?.policies.values() ?? []) {
    const who = e.id.namespace ? `${e.id.namespace}/${e.id.name}` : e.id.name;
    policiesByComment.set(`${who} ingress`, {
      id: policyIdString(e.id),
      rules: e.policy.inboundRules,
      entry: e,
    });
    policiesByComment.set(`${who} egress`, {
      id: policyIdString(e.id),
      rules: e.policy.outboundRules,
      entry: e,
    });
  }
  // Provenance is best effort: a failure here must not break `inspect`.
  const origins = (f: () => (number | null)[]): (number | null)[] => {
    try {
      return f();
    } catch {
      return [];
    }
  };
  for (const t of desired.tables) {
    for (const [name, chain] of [...t.chains].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const comment = chainComment(t, name);
      const p = PREFIXES.find(([pre]) => name.startsWith(pre));
      let owner: ChainOwner = { kind: 'static', id: name };
      let sourceRules: SourceRule[] | undefined;
      let from: (number | null)[] = [];
      const hashes = chain.rules.map((r) => r.hash);
      if (p) {
        const [pre, kind, direction] = p;
        owner = direction
          ? { kind, id: name.slice(pre.length), direction }
          : { kind, id: name.slice(pre.length) };
        if (kind === 'policy') {
          // "GlobalNetworkPolicy default.x ingress" -> "default.x ingress"
          const key = comment.split(' ').slice(1).join(' ');
          const src = policiesByComment.get(key);
          if (src) {
            owner = { ...owner, id: src.id };
            sourceRules = sourceRulesOf(src.rules);
            if (state && cfg && direction) {
              const e = src.entry;
              from = origins(() => policyRuleOrigins(state, cfg, e, direction, t.family, comment, hashes));
            }
          }
        } else if (kind === 'profile') {
          const prof = state?.profiles.get(owner.id);
          if (prof) {
            const rules = direction === 'ingress' ? prof.inboundRules : prof.outboundRules;
            sourceRules = sourceRulesOf(rules);
            if (state && cfg && direction) {
              const id = owner.id;
              from = origins(() =>
                profileRuleOrigins(state, cfg, id, prof, direction, t.family, comment, hashes),
              );
            }
          }
        }
      }
      chains.push({
        table: t.table,
        ipVersion: t.family,
        name,
        owner,
        comment,
        rules: chain.rules.map((r, i) => {
          const src = from[i];
          return src === null || src === undefined
            ? { index: i, hash: r.hash, body: r.body }
            : { index: i, hash: r.hash, body: r.body, source: src };
        }),
        ...(sourceRules ? { sourceRules } : {}),
      });
    }
  }
  return { chains };
}
