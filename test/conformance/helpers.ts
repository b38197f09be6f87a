// Shared by the conformance tests: felix-ts chains as Felix's test expectations are written (chain name ->
// rule bodies, the text after "-A <chain>" minus the rule-hash comment), and the rule shapes Felix's tests
// build with helper functions, rendered to iptables text (felix/iptables/actions.go, match_builder.go).
import assert from 'node:assert/strict';
import type { ToDataplane, WorkloadEndpoint, HostEndpoint } from '../../rules/dataplane-api/types.js';
import type { TableState } from '../../rules/model.js';
import { renderBody, type IChain } from '../../rules/compiler/rule.js';

export type ChainText = Readonly<Record<string, readonly string[]>>;

/** Rendered chains from the compiler's IR. */
export function irText(chains: readonly IChain[]): ChainText {
  const out: Record<string, string[]> = {};
  for (const c of chains) {
    assert.ok(!(c.name in out), `chain ${c.name} rendered once`);
    out[c.name] = c.rules.map(renderBody);
  }
  return out;
}

/** The ordered chain names (Felix's tests compare the whole slice, so the order is part of the fact). */
export const irNames = (chains: readonly IChain[]): string[] => chains.map((c) => c.name);

/** Chains of a compiled table whose names start with one of the prefixes. */
export function tableText(t: TableState, ...prefixes: string[]): ChainText {
  const out: Record<string, string[]> = {};
  for (const [name, c] of t.chains)
    if (prefixes.some((p) => name.startsWith(p))) out[name] = c.rules.map((r) => r.body);
  return out;
}

export const comment = (c: string): string => `-m comment --comment "${c}"`;
export const gotoRule = (target: string): string => `--goto ${target}`;
export const inboundGotoRule = (iface: string, target: string): string =>
  `--in-interface ${iface} --goto ${target}`;
export const outboundGotoRule = (iface: string, target: string): string =>
  `--out-interface ${iface} --goto ${target}`;

export function wep(
  name: string,
  ep: Partial<WorkloadEndpoint> = {},
  workloadId = `ns/${name}`,
): ToDataplane {
  return {
    kind: 'workloadEndpointUpdate',
    id: { orchestratorId: 'k8s', workloadId, endpointId: 'eth0' },
    endpoint: { state: 'active', name, profileIds: [], ipv4Nets: [], ipv6Nets: [], tiers: [], ...ep },
  };
}

export function hep(id: string, ep: Partial<HostEndpoint>): ToDataplane {
  return {
    kind: 'hostEndpointUpdate',
    id: { endpointId: id },
    endpoint: {
      name: '',
      profileIds: [],
      tiers: [],
      untrackedTiers: [],
      preDnatTiers: [],
      forwardTiers: [],
      expectedIpv4Addrs: [],
      expectedIpv6Addrs: [],
      ...ep,
    },
  };
}
