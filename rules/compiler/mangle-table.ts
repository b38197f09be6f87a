// The mangle table of one IP family (felix/rules/static.go StaticMangleTableChains,
// StaticManglePreroutingChain, StaticManglePostroutingChain, failsafeInChain/failsafeOutChain("mangle");
// hooks from felix/dataplane/linux/int_dataplane.go setUpIptablesNormal; host-endpoint chains in
// hep-tables.ts). DSCP is not supported: cali-egress-dscp is empty and the dscp-src-net set is empty, as
// Felix programs them when no endpoint has a DSCP annotation (felix/dataplane/linux/dscp_mgr.go), so the
// DSCP rule of cali-POSTROUTING never matches. this-host is created empty here; compile.ts fills it with
// the node's addresses from the interface monitor (felix/dataplane/linux/hostip_mgr.go).
import type { IpFamily, IpSetState, TableState } from '../model.js';
import { addMangleHostEndpoints } from './hep-tables.js';
import { CHAIN, ipSetName } from './names.js';
import { POOL_SET_ID, poolIpSets } from './nat-table.js';
import { act, m, rule, type Action, type IChain } from './rule.js';
import { failsafeChains } from './static-chains.js';
import type { DataplaneState } from './state.js';
import { TableBuilder, type TableCompiler, type TableInput } from './table.js';
import { ipvsManglePostroutingRules, ipvsMarks } from './ipvs-chains.js';

export const MANGLE_CHAIN = {
  prerouting: 'cali-PREROUTING',
  postrouting: 'cali-POSTROUTING',
  egressDscp: 'cali-egress-dscp',
} as const;

/** Felix's set IDs (felix/rules/rule_defs.go IPSetIDDSCPEndpoints, IPSetIDThisHostIPs). */
export const MANGLE_SET_ID = { dscp: 'dscp-src-net', thisHost: 'this-host' } as const;

/** The sets cali-POSTROUTING's DSCP rule refers to: dscp-src-net and this-host empty, network-ip-pools. */
export function mangleIpSets(state: DataplaneState, family: IpFamily): IpSetState[] {
  const pools = poolIpSets(state, family).filter((s) => s.name === ipSetName(POOL_SET_ID.all, family));
  return [
    { name: ipSetName(MANGLE_SET_ID.dscp, family), type: 'hash:net', family, members: new Set() },
    { name: ipSetName(MANGLE_SET_ID.thisHost, family), type: 'hash:ip', family, members: new Set() },
    ...pools,
  ];
}

/** StaticManglePreroutingChain. */
function preroutingChain(input: TableInput, allow: Action): IChain {
  const { marks } = input;
  return {
    name: MANGLE_CHAIN.prerouting,
    rules: [
      rule([m.conntrackState('RELATED,ESTABLISHED')], allow),
      // Already accepted in the raw table (untracked policy).
      rule([m.markSingleBitSet(marks.accept)], allow),
      // Pre-DNAT host-endpoint policy: a deny drops, an allow sets the accept bit.
      rule([], act.jump(CHAIN.fromHostEndpoint)),
      rule([m.markSingleBitSet(marks.accept)], allow, 'Host endpoint policy accepted packet.'),
    ],
  };
}

/** StaticManglePostroutingChain (no Istio ambient mode, not BPF). */
function postroutingChain(input: TableInput): IChain {
  const { marks, family } = input;
  // kube-proxy IPVS (issue 13 item 4): IPVS-forwarded traffic gets no host endpoint policy here either.
  const im = input.cfg.kubeIPVSSupportEnabled === true ? ipvsMarks(marks) : undefined;
  return {
    name: MANGLE_CHAIN.postrouting,
    rules: [
      rule(
        [
          m.sourceIPSet(ipSetName(MANGLE_SET_ID.dscp, family)),
          m.notDestIPSet(ipSetName(POOL_SET_ID.all, family)),
          m.notDestIPSet(ipSetName(MANGLE_SET_ID.thisHost, family)),
        ],
        act.jump(MANGLE_CHAIN.egressDscp),
        'set dscp for traffic leaving cluster.',
      ),
      // filter FORWARD's last appended rule sets the accept bit: forwarded traffic gets no HEP policy here.
      rule([m.markSingleBitSet(marks.accept)], act.ret()),
      ...(im ? ipvsManglePostroutingRules(im) : []),
      rule([], act.clearMark(marks.allCalico)),
      // Host-originated traffic that was DNATed gets its host endpoint's egress policy here, once the
      // kernel has recalculated the outgoing interface.
      rule([m.conntrackState('DNAT')], act.jump(CHAIN.toHostEndpoint)),
      rule([m.markSingleBitSet(marks.accept)], act.ret(), 'Host endpoint policy accepted packet.'),
    ],
  };
}

export const compileMangleTable: TableCompiler = (input: TableInput): TableState => {
  const { cfg, family, marks } = input;
  const allow = cfg.iptablesMangleAllowAction === 'RETURN' ? act.ret() : act.accept();
  const b = new TableBuilder('mangle', input);
  b.add(preroutingChain(input, allow));
  b.add(postroutingChain(input));
  // dscp_mgr.go programs the chain at start, empty without DSCP endpoints (felix/rules/dscp.go).
  b.add({ name: MANGLE_CHAIN.egressDscp, rules: [] });
  // failsafeInChain/failsafeOutChain("mangle"): the filter table's rules (only raw adds source-port rules).
  const denyAction = cfg.iptablesFilterDenyAction === 'REJECT' ? act.reject() : act.drop();
  const denyName = cfg.iptablesFilterDenyAction === 'REJECT' ? 'Reject' : 'Drop';
  failsafeChains({ cfg, family, marks, allowAction: allow, denyAction, denyName }).forEach((c) => b.add(c));
  addMangleHostEndpoints(input, b);
  // Both InsertOrAppendRules (int_dataplane.go setUpIptablesNormal).
  b.hook('PREROUTING', [rule([], act.jump(MANGLE_CHAIN.prerouting))], cfg.chainInsertMode);
  b.hook('POSTROUTING', [rule([], act.jump(MANGLE_CHAIN.postrouting))], cfg.chainInsertMode);
  return b.build();
};
