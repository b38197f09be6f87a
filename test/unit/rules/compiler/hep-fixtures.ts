// Message builders and table helpers shared by the raw/mangle host-endpoint tests (mangle-table.test.ts,
// hep-tables.test.ts).
import assert from 'node:assert/strict';
import type { HostEndpoint, PolicyID, TierInfo, ToDataplane } from '../../../../rules/dataplane-api/types.js';
import type { TableState } from '../../../../rules/model.js';
import {
  DataplaneState,
  compileWithReport,
  defaultCompilerConfig,
  type CompilerConfig,
} from '../../../../rules/compiler/index.js';
import type { CompileReport } from '../../../../rules/compiler/compile.js';

export const gnp = (name: string): PolicyID => ({ kind: 'gnp', namespace: '', name });

export function policy(
  id: PolicyID,
  opts: { untracked?: boolean; preDnat?: boolean; selector?: string } = {},
): ToDataplane {
  return {
    kind: 'activePolicyUpdate',
    id,
    policy: {
      tier: 'default',
      inboundRules: [{ action: 'allow', protocol: { name: 'tcp' }, dstPorts: [{ first: 80, last: 80 }] }],
      outboundRules: [{ action: 'deny' }],
      originalSelector: opts.selector ?? `name == '${id.name}'`,
      ...(opts.untracked ? { untracked: true } : {}),
      ...(opts.preDnat ? { preDnat: true } : {}),
    },
  };
}

export const profile = (name: string): ToDataplane => ({
  kind: 'activeProfileUpdate',
  id: { name },
  profile: { inboundRules: [{ action: 'allow' }], outboundRules: [{ action: 'allow' }] },
});

export const tier = (ingress: PolicyID[], egress: PolicyID[] = []): TierInfo => ({
  name: 'default',
  ingressPolicies: ingress,
  egressPolicies: egress,
  defaultAction: 'Pass',
});

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

export const pool: ToDataplane = {
  kind: 'ipamPoolUpdate',
  id: '10.65.0.0-16',
  pool: { cidr: '10.65.0.0/16', masquerade: true, ipipMode: '', vxlanMode: '', allowedUses: [] },
};

export function stateOf(msgs: readonly ToDataplane[]): DataplaneState {
  const st = new DataplaneState();
  assert.deepEqual(st.applyAll(msgs), []);
  return st;
}

export function compiled(msgs: readonly ToDataplane[], over: Partial<CompilerConfig> = {}): CompileReport {
  return compileWithReport(stateOf(msgs), defaultCompilerConfig({ ipv6Support: true, ...over }));
}

export function table(r: CompileReport, name: TableState['table'], family: 4 | 6 = 4): TableState {
  const t = r.desired.tables.find((x) => x.table === name && x.family === family);
  assert.ok(t, `${name} v${family} is programmed`);
  return t;
}

export function bodies(t: TableState, chain: string): string[] {
  const c = t.chains.get(chain);
  assert.ok(c, `chain ${chain} present in ${t.table} v${t.family}`);
  return c.rules.map((r) => r.body);
}

export function hashes(t: TableState, chain: string): string[] {
  const c = t.chains.get(chain);
  assert.ok(c, `chain ${chain} present in ${t.table} v${t.family}`);
  return c.rules.map((r) => r.hash);
}
