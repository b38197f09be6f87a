// The raw table of one IP family in iptables mode (felix/rules/static.go StaticRawTableChains,
// StaticRawPreroutingChain, RPFilter, StaticRawOutputChain, failsafeInChain/failsafeOutChain("raw");
// cali-rpf-skip from felix/dataplane/linux/endpoint_mgr.go updateRPFSkipChain; hooks from
// felix/dataplane/linux/int_dataplane.go setUpIptablesNormal). Programmed always, as Felix does.
// The untracked host-endpoint dispatch chains come from hep-tables.ts.
import type { IpFamily, TableState, WorkloadInterfaceState } from '../model.js';
import type { CompilerConfig, FailsafePort } from './config.js';
import { rawHostEndpointChains, RAW_HEP_CHAIN } from './hep-tables.js';
import { parseCidr } from './ipaddr.js';
import { CHAIN } from './names.js';
import { act, m, rule, type Action, type IChain, type IRule } from './rule.js';
import type { DataplaneState, WorkloadEntry } from './state.js';
import { TableBuilder, type TableInput } from './table.js';

export const RAW_CHAIN = {
  prerouting: 'cali-PREROUTING',
  output: 'cali-OUTPUT',
  rpfSkip: 'cali-rpf-skip',
  wireguardIncomingMark: 'cali-wireguard-incoming-mark',
} as const;

/** felix/iptables/match_builder.go RPFCheckFailed. */
const RPF_CHECK_FAILED = '-m rpfilter --invert --validmark';
/** felix/iptables/actions.go NoTrackAction. */
const NOTRACK: Action = { frag: '--jump NOTRACK' };

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The workload endpoint behind each interface: in key order, the first endpoint of a duplicated interface
 * wins (the filter table resolves duplicates the same way, filter-table.ts addWorkloads).
 */
export function workloadsByInterface(state: DataplaneState): Map<string, WorkloadEntry> {
  const out = new Map<string, WorkloadEntry>();
  for (const [, e] of [...state.workloads.entries()].sort(([x], [y]) => cmp(x, y))) {
    if (!out.has(e.endpoint.name)) out.set(e.endpoint.name, e);
  }
  return out;
}

/** The spoofed source prefixes an endpoint may use: none unless WorkloadSourceSpoofing is Any. */
function spoofedPrefixes(entry: WorkloadEntry, cfg: CompilerConfig): readonly string[] {
  if (cfg.workloadSourceSpoofing !== 'Any') return [];
  return entry.endpoint.allowSpoofedSourcePrefixes ?? [];
}

/**
 * Each workload interface and whether its rp_filter sysctl is 0 (felix/dataplane/linux/endpoint_mgr.go
 * configureInterface: "0" when the interface has source-spoofing configuration, i.e. any valid allowed
 * prefix of either family; otherwise the node's default).
 */
export function workloadInterfaces(
  state: DataplaneState,
  cfg: CompilerConfig,
): Map<string, WorkloadInterfaceState> {
  const out = new Map<string, WorkloadInterfaceState>();
  for (const [iface, e] of workloadsByInterface(state)) {
    out.set(iface, { allowSpoofing: spoofedPrefixes(e, cfg).some((p) => parseCidr(p) !== undefined) });
  }
  return out;
}

/**
 * Raw failsafe rules: the chain's own direction's ports by destination port, then (raw only, "before
 * conntrack, so we need to allow response traffic") the other direction's ports by source port. A port's
 * CIDR of the other family drops the rule; `in` matches the CIDR as source, `out` as destination.
 */
function rawFailsafeRules(
  own: readonly FailsafePort[],
  other: readonly FailsafePort[],
  family: IpFamily,
  dir: 'in' | 'out',
): IRule[] {
  const out: IRule[] = [];
  const add = (fp: FailsafePort, portMatch: string): void => {
    const match = [m.protocol(fp.protocol), portMatch];
    if (fp.net) {
      const c = parseCidr(fp.net);
      if (!c || c.family !== family) return;
      match.push(dir === 'in' ? m.sourceNet(fp.net) : m.destNet(fp.net));
    }
    out.push(rule(match, act.accept()));
  };
  for (const fp of own) add(fp, m.destPorts(String(fp.port)));
  for (const fp of other) add(fp, m.sourcePorts(String(fp.port)));
  return out;
}

/** cali-failsafe-in / cali-failsafe-out of the raw table (felix/rules/static.go failsafeInChain("raw")). */
export function rawFailsafeChains(input: TableInput): IChain[] {
  const { cfg, family } = input;
  const inbound = cfg.failsafeInboundHostPorts;
  const outbound = cfg.failsafeOutboundHostPorts;
  return [
    { name: CHAIN.failsafeIn, rules: rawFailsafeRules(inbound, outbound, family, 'in') },
    { name: CHAIN.failsafeOut, rules: rawFailsafeRules(outbound, inbound, family, 'out') },
  ];
}

function vxlanOn(input: TableInput): boolean {
  return input.family === 4 ? input.cfg.vxlanEnabled : input.cfg.vxlanEnabledV6;
}

/** `-p udp --dport <VXLANPort> --jump NOTRACK` (match_builder.go DestPort renders --dport). */
function vxlanNoTrack(input: TableInput): IRule {
  return rule([m.protocol('udp'), `--dport ${input.cfg.vxlanPort}`], NOTRACK);
}

/**
 * The deny action of the RPF drop. Felix uses IptablesFilterDenyAction here, but the kernel refuses
 * REJECT outside the filter table (xt_REJECT is filter-only), so Felix's REJECT rule can never be
 * programmed; felix-ts drops instead of having cali-PREROUTING refused.
 */
function rpfDenyAction(): Action {
  return act.drop();
}

/** WireGuard's host-encryption mark is set in raw (felix/rules/static.go StaticRawPreroutingChain). */
function wireguardMarkOn(input: TableInput): boolean {
  const { cfg } = input;
  return (cfg.wireguardEnabled || cfg.wireguardEnabledV6) && cfg.wireguardHostEncryption;
}

/**
 * cali-wireguard-incoming-mark (felix/rules/static.go WireguardIncomingMarkChain): everything but lo, the
 * WireGuard devices and workload interfaces gets the WireGuard mark, so that the RPF check passes it.
 */
function wireguardIncomingMarkChain(input: TableInput): IChain {
  const { cfg, marks } = input;
  const ifaces = [
    'lo',
    cfg.wireguardInterfaceName,
    cfg.wireguardInterfaceNameV6,
    ...cfg.interfacePrefixes.map((p) => `${p}+`),
  ];
  const rules = ifaces.map((i) => rule([m.inInterface(i)], act.ret()));
  rules.push(rule([], act.setMark(marks.wireguard)));
  return { name: RAW_CHAIN.wireguardIncomingMark, rules };
}

/** cali-PREROUTING (felix/rules/static.go StaticRawPreroutingChain, without OpenStack). */
function preroutingChain(input: TableInput): IChain {
  const { cfg, marks } = input;
  const fromWorkload = marks.scratch0;
  const rules: IRule[] = [rule([], act.clearMark(marks.allCalico))];
  if (wireguardMarkOn(input)) rules.push(rule([], act.jump(RAW_CHAIN.wireguardIncomingMark)));
  if (vxlanOn(input)) rules.push(vxlanNoTrack(input));
  for (const p of cfg.interfacePrefixes) {
    rules.push(rule([m.inInterface(`${p}+`)], act.setMark(fromWorkload)));
  }
  rules.push(rule([m.markSingleBitSet(fromWorkload)], act.jump(RAW_CHAIN.rpfSkip)));
  rules.push(rule([m.markSingleBitSet(fromWorkload), RPF_CHECK_FAILED], rpfDenyAction()));
  rules.push(rule([m.markClear(fromWorkload)], act.jump(RAW_HEP_CHAIN.fromHostEndpoint)));
  rules.push(rule([m.markSingleBitSet(marks.accept)], act.accept()));
  return { name: RAW_CHAIN.prerouting, rules };
}

/** cali-OUTPUT (felix/rules/static.go StaticRawOutputChain with tcBypassMark 0). */
function outputChain(input: TableInput): IChain {
  const { marks } = input;
  const rules: IRule[] = [
    rule([], act.clearMark(marks.allCalico)),
    rule([], act.jump(RAW_HEP_CHAIN.toHostEndpoint)),
  ];
  if (vxlanOn(input)) rules.push(vxlanNoTrack(input));
  rules.push(rule([m.markSingleBitSet(marks.accept)], act.accept()));
  return { name: RAW_CHAIN.output, rules };
}

/**
 * cali-rpf-skip: `--in-interface <iface> --source <prefix> --jump ACCEPT` for each allowed spoofed source
 * prefix of this family (felix/dataplane/linux/endpoint_mgr.go updateRPFSkipChain). Felix walks a Go map,
 * so its rule order is not fixed; here interfaces are sorted by name, prefixes keep the endpoint's order.
 * The calc sends prefixes only with WorkloadSourceSpoofing=Any (felix/calc/validation_filter.go); the
 * compiler checks it again. A malformed prefix is skipped with a warning naming the endpoint.
 */
export function rpfSkipRules(input: TableInput, b: TableBuilder): IRule[] {
  const { cfg, family, state } = input;
  const rules: IRule[] = [];
  const byIface = [...workloadsByInterface(state).entries()].sort(([x], [y]) => cmp(x, y));
  for (const [iface, entry] of byIface) {
    for (const prefix of spoofedPrefixes(entry, cfg)) {
      const c = parseCidr(prefix);
      if (!c) {
        b.warnOnce(
          `workload ${iface}: allowSpoofedSourcePrefixes entry ${JSON.stringify(prefix)} is not a CIDR; skipped`,
        );
        continue;
      }
      if (c.family !== family) continue;
      rules.push(rule([m.inInterface(iface), m.sourceNet(prefix)], act.accept()));
    }
  }
  return rules;
}

export function compileRawTable(input: TableInput): TableState {
  const b = new TableBuilder('raw', input);
  for (const c of rawFailsafeChains(input)) b.add(c);
  b.add(preroutingChain(input));
  b.add(outputChain(input));
  b.add(wireguardIncomingMarkChain(input));
  b.add({ name: RAW_CHAIN.rpfSkip, rules: rpfSkipRules(input, b) });
  for (const c of rawHostEndpointChains(input)) b.add(c);
  // InsertOrAppendRules: at the top unless ChainInsertMode is Append (int_dataplane.go setUpIptablesNormal).
  b.hook('PREROUTING', [rule([], act.jump(RAW_CHAIN.prerouting))], input.cfg.chainInsertMode);
  b.hook('OUTPUT', [rule([], act.jump(RAW_CHAIN.output))], input.cfg.chainInsertMode);
  return b.build();
}
