// The nat table of one IP family (felix/rules/static.go StaticNATTableChains, hooks from
// felix/dataplane/linux/int_dataplane.go): cali-PREROUTING/cali-OUTPUT jump to the floating-IP DNATs,
// cali-POSTROUTING to the floating-IP SNATs, NAT outgoing and the tunnel masquerade rules.
// NAT outgoing and its sets: nat-outgoing.ts; floating IPs: nat-fip.ts. See docs/nat-plan.md.
import { fipChains } from './nat-fip.js';
import { natOutgoingRules, tunnelMasqRules } from './nat-outgoing.js';
import { act, rule } from './rule.js';
import { TableBuilder, type TableInput } from './table.js';

export { POOL_SET_ID, poolIpSets } from './nat-outgoing.js';

export const NAT_CHAIN = {
  prerouting: 'cali-PREROUTING',
  postrouting: 'cali-POSTROUTING',
  output: 'cali-OUTPUT',
  natOutgoing: 'cali-nat-outgoing',
  fipDnat: 'cali-fip-dnat',
  fipSnat: 'cali-fip-snat',
} as const;

export function compileNatTable(input: TableInput): ReturnType<TableBuilder['build']> {
  const { state, family, cfg } = input;
  const b = new TableBuilder('nat', input);
  b.add({ name: NAT_CHAIN.prerouting, rules: [rule([], act.jump(NAT_CHAIN.fipDnat))] });
  b.add({
    name: NAT_CHAIN.postrouting,
    rules: [
      rule([], act.jump(NAT_CHAIN.fipSnat)),
      rule([], act.jump(NAT_CHAIN.natOutgoing)),
      ...tunnelMasqRules(cfg, family),
    ],
  });
  b.add({ name: NAT_CHAIN.output, rules: [rule([], act.jump(NAT_CHAIN.fipDnat))] });
  const fip = fipChains(state, family, cfg);
  for (const w of fip.bad) input.sink.warnings.push(w);
  b.add({ name: NAT_CHAIN.fipDnat, rules: fip.dnat });
  b.add({ name: NAT_CHAIN.fipSnat, rules: fip.snat });
  b.add({ name: NAT_CHAIN.natOutgoing, rules: natOutgoingRules(state, family, cfg) });
  // NATOutgoingExclusions=IPPoolsAndHostIPs refers to all-hosts-net, which compile() adds with the nodes'
  // addresses for each family in that case (overlay-sets.ts).
  // InsertOrAppendRules: at the top unless ChainInsertMode is Append.
  b.hook('PREROUTING', [rule([], act.jump(NAT_CHAIN.prerouting))], cfg.chainInsertMode);
  // AppendRules, not InsertOrAppendRules: always appended, so that kube-proxy's POSTROUTING rules run
  // first, and hashed as "POSTROUTING*appends*" (felix/dataplane/linux/int_dataplane.go; Felix's hash
  // on real nodes is cali:0i8pjzKKPyA34aQD, docs/reference/felix-iptables-dataplane.md §5.3).
  b.alwaysAppend('POSTROUTING', [rule([], act.jump(NAT_CHAIN.postrouting))]);
  b.hook('OUTPUT', [rule([], act.jump(NAT_CHAIN.output))], cfg.chainInsertMode);
  return b.build();
}
