// Compiler configuration: the Felix parameters that change what the filter table looks like
// (felix/dataplane/driver.go, felix/rules/static.go;
// felix/config/config_params.go for the parameter names and defaults).
import { CompilerConfigError } from './errors.js';
import { allocateMarks } from './marks.js';
import { parseCidr } from './ipaddr.js';
import { natConfigProblems } from './nat-config.js';

export interface FailsafePort {
  /** "tcp" | "udp" | "sctp" */
  readonly protocol: string;
  readonly port: number;
  /** Optional CIDR: -s for inbound, -d for outbound (felix/rules/static.go). */
  readonly net?: string;
}

export interface CompilerConfig {
  /** IptablesMarkMask (felix/dataplane/driver.go). */
  readonly iptablesMarkMask: number;
  /** ChainInsertMode: where the INPUT/FORWARD/OUTPUT hooks go (felix/rules/static.go). */
  readonly chainInsertMode: 'insert' | 'append';
  /** DefaultEndpointToHostAction (felix/rules/static.go). Felix's built-in default is DROP. */
  readonly defaultEndpointToHostAction: 'DROP' | 'RETURN' | 'ACCEPT';
  readonly failsafeInboundHostPorts: readonly FailsafePort[];
  readonly failsafeOutboundHostPorts: readonly FailsafePort[];
  /** Ipv6Support: also compile the IPv6 filter table and the cali6 IP sets. */
  readonly ipv6Support: boolean;
  /** InterfacePrefix, split on ",": workload interface prefixes. */
  readonly interfacePrefixes: readonly string[];
  readonly iptablesFilterAllowAction: 'ACCEPT' | 'RETURN';
  readonly iptablesFilterDenyAction: 'DROP' | 'REJECT';
  /** MaxIpsetSize: maxelem for every set (used by the IP set writer). */
  readonly maxIpsetSize: number;
  /** LogPrefix for "log" rules; %t %k %n %p are expanded as in Felix. */
  readonly logPrefix: string;
  /** LogActionRateLimit: "N/second|minute|hour|day", or empty for no limit on LOG rules. */
  readonly logRateLimit: string;
  /** LogActionRateLimitBurst (0..9999; 0 renders no --limit-burst). */
  readonly logRateLimitBurst: number;
  /** VXLANPort: the port of the "Drop VXLAN encapped packets" rule in cali-fw chains (felix/rules/endpoints.go). */
  readonly vxlanPort: number;
  /**
   * Feature MASQFullyRandom (felix/environment/feature_detect_linux.go: iptables >= 1.6.2 and kernel >= 3.14):
   * MASQUERADE gets --random-fully. Absent means detected (true).
   */
  readonly masqFullyRandom?: boolean;
  readonly allowVXLANPacketsFromWorkloads: boolean;
  readonly allowIPIPPacketsFromWorkloads: boolean;
  /** DisableConntrackInvalidCheck (felix/rules/endpoints.go). */
  readonly disableConntrackInvalidCheck: boolean;
  /** IpInIpEnabled: cali-INPUT/cali-OUTPUT allow IPIP from/to the all-hosts-net set (felix/rules/static.go). */
  readonly ipipEnabled: boolean;
  /** VXLANEnabled / VXLANEnabledV6: the same for VXLAN and the all-vxlan-net set. */
  readonly vxlanEnabled: boolean;
  readonly vxlanEnabledV6: boolean;
  /**
   * ExternalNodesCIDRList: non-Calico hosts allowed to send IPIP/VXLAN here, added to all-hosts-net (IPv4) and
   * all-vxlan-net (felix/dataplane/linux/ipset_hosts_mgr.go, vxlan_mgr.go).
   */
  readonly externalNodesCidrs: readonly string[];
  /** FelixHostname: this node's own VTEP is not an allowed VXLAN source (felix/dataplane/linux/vxlan_mgr.go). */
  readonly hostname: string;
  /** WireguardEnabled / WireguardEnabledV6 and their listening ports (defaults 51820 / 51821). */
  readonly wireguardEnabled: boolean;
  readonly wireguardEnabledV6: boolean;
  readonly wireguardListeningPort: number;
  readonly wireguardListeningPortV6: number;
  // ---- mangle table (issue 12, rules/compiler/mangle-table.ts) ----
  /** IptablesMangleAllowAction: verdict of an allowed packet in the mangle table (felix/rules/rule_defs.go). */
  readonly iptablesMangleAllowAction: 'ACCEPT' | 'RETURN';
  // ---- end mangle table ----
  // ---- raw table (issue 12) ----
  /**
   * WorkloadSourceSpoofing (felix/config/config_params.go, Disabled|Any): with Any, cali-rpf-skip accepts
   * each workload's allowSpoofedSourcePrefixes before the RPF check (felix/dataplane/linux/endpoint_mgr.go).
   */
  readonly workloadSourceSpoofing: 'Disabled' | 'Any';
  // ---- Kubernetes Services (issue 13) ----
  /** ServiceLoopPrevention: the cali-cidr-block verdict for service CIDRs, or no rules (felix/rules/rule_defs.go). */
  readonly serviceLoopPrevention: 'Drop' | 'Reject' | 'Disabled';
  // ---- nat table (issue 12, rules/compiler/nat-outgoing.ts, nat-fip.ts) ----
  /** Feature SNATFullyRandom (iptables >= 1.6.0, kernel >= 3.14): SNAT gets --random-fully. Absent: detected (true). */
  readonly snatFullyRandom?: boolean;
  /** NATOutgoingAddress: SNAT to this IPv4 address instead of MASQUERADE ('' for none). */
  readonly natOutgoingAddress: string;
  /** NATPortRange: tcp/udp source ports of NAT outgoing; max 0 means none. */
  readonly natPortRange: { readonly min: number; readonly max: number };
  /** NATOutgoingExclusions: IPPoolsAndHostIPs also exempts the all-hosts-net set. */
  readonly natOutgoingExclusions: 'IPPoolsOnly' | 'IPPoolsAndHostIPs';
  /** IptablesNATOutgoingInterfaceFilter: --out-interface of the NAT-outgoing rules ('' for any). */
  readonly natOutgoingInterfaceFilter: string;
  /** FloatingIPs=Enabled: the workloads' ipv4Nat/ipv6Nat become cali-fip-dnat/cali-fip-snat rules. */
  readonly floatingIPs: boolean;
  /**
   * Tunnel devices whose wrongly-sourced host traffic is masqueraded (cali-POSTROUTING), per family, in
   * Felix's order: tunl0, vxlan.calico / vxlan-v6.calico, the WireGuard device (felix/rules/static.go).
   */
  readonly tunnelMasqInterfaces: { readonly v4: readonly string[]; readonly v6: readonly string[] };
  /** WireguardInterfaceName / WireguardInterfaceNameV6 (cali-wireguard-incoming-mark). */
  readonly wireguardInterfaceName: string;
  readonly wireguardInterfaceNameV6: string;
  /** WireguardHostEncryptionEnabled: raw cali-PREROUTING marks non-workload, non-WireGuard traffic. */
  readonly wireguardHostEncryption: boolean;
  // ---- kube-proxy IPVS (issue 13 item 4, rules/compiler/ipvs-chains.ts) ----
  /**
   * Felix's RulesConfig.KubeIPVSSupportEnabled. Felix has no parameter for it: it is on when the
   * kube-ipvs0 device exists (felix/dataplane/driver.go), which is what undefined means here (read from
   * DataplaneState.hostInterfaces on every compile); true/false force it (tests).
   */
  readonly kubeIPVSSupportEnabled?: boolean;
  /** KubeNodePortRanges: cali-forward-check's NodePort rules (felix/rules/static.go). */
  readonly kubeNodePortRanges: readonly { readonly first: number; readonly last: number }[];
  /** InterfaceExclude (names, or /regexp/): interfaces whose addresses are not in this-host. */
  readonly interfaceExclude: readonly string[];
}

const tcp = (port: number): FailsafePort => ({ protocol: 'tcp', port });
const udp = (port: number): FailsafePort => ({ protocol: 'udp', port });

/** Felix's FailsafeInboundHostPorts default (felix/rules/static.go). */
export const DEFAULT_FAILSAFE_INBOUND: readonly FailsafePort[] = [
  tcp(22),
  udp(68),
  tcp(179),
  tcp(2379),
  tcp(2380),
  tcp(5473),
  tcp(6443),
  tcp(6666),
  tcp(6667),
];
/** Felix's FailsafeOutboundHostPorts default (felix/rules/static.go). */
export const DEFAULT_FAILSAFE_OUTBOUND: readonly FailsafePort[] = [
  udp(53),
  udp(67),
  tcp(179),
  tcp(2379),
  tcp(2380),
  tcp(5473),
  tcp(6443),
  tcp(6666),
  tcp(6667),
];

const DEFAULTS: CompilerConfig = {
  iptablesMarkMask: 0xffff0000,
  chainInsertMode: 'insert',
  defaultEndpointToHostAction: 'DROP',
  failsafeInboundHostPorts: DEFAULT_FAILSAFE_INBOUND,
  failsafeOutboundHostPorts: DEFAULT_FAILSAFE_OUTBOUND,
  ipv6Support: true,
  interfacePrefixes: ['cali'],
  iptablesFilterAllowAction: 'ACCEPT',
  iptablesFilterDenyAction: 'DROP',
  maxIpsetSize: 1048576,
  logPrefix: 'calico-packet',
  logRateLimit: '',
  logRateLimitBurst: 5,
  vxlanPort: 4789,
  allowVXLANPacketsFromWorkloads: false,
  allowIPIPPacketsFromWorkloads: false,
  disableConntrackInvalidCheck: false,
  ipipEnabled: false,
  vxlanEnabled: false,
  vxlanEnabledV6: false,
  externalNodesCidrs: [],
  hostname: '',
  wireguardEnabled: false,
  wireguardEnabledV6: false,
  wireguardListeningPort: 51820,
  wireguardListeningPortV6: 51821,
  // ---- mangle table (issue 12) ----
  iptablesMangleAllowAction: 'ACCEPT',
  // ---- end mangle table ----
  // raw table (issue 12)
  workloadSourceSpoofing: 'Disabled',
  serviceLoopPrevention: 'Drop',
  // nat table (issue 12)
  natOutgoingAddress: '',
  natPortRange: { min: 0, max: 0 },
  natOutgoingExclusions: 'IPPoolsOnly',
  natOutgoingInterfaceFilter: '',
  floatingIPs: false,
  tunnelMasqInterfaces: { v4: [], v6: [] },
  wireguardInterfaceName: 'wireguard.cali',
  wireguardInterfaceNameV6: 'wg-v6.cali',
  wireguardHostEncryption: false,
  // kube-proxy IPVS (issue 13 item 4)
  kubeNodePortRanges: [{ first: 30000, last: 32767 }],
  interfaceExclude: ['kube-ipvs0'],
};

/** Felix's defaults with the given overrides, validated. Throws CompilerConfigError. */
export function defaultCompilerConfig(overrides: Partial<CompilerConfig> = {}): CompilerConfig {
  const cfg: CompilerConfig = { ...DEFAULTS, ...stripUndefined(overrides) };
  validateCompilerConfig(cfg);
  return cfg;
}

function stripUndefined(o: Partial<CompilerConfig>): Partial<CompilerConfig> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as Partial<CompilerConfig>;
}

const PREFIX_RE = /^[A-Za-z0-9_.@-]{1,14}$/;
// Felix takes any one-line string; a quote, backslash or control character cannot be quoted in restore.
// eslint-disable-next-line no-control-regex
const LOG_PREFIX_RE = /^[^"\\\x00-\x1f\x7f]*$/;
const LOG_RATE_RE = /^([1-9]\d{0,3}\/(?:second|minute|hour|day))?$/;

/** Checks every field; one error listing every problem. */
export function validateCompilerConfig(cfg: CompilerConfig): void {
  const problems: string[] = [];
  const mask = cfg.iptablesMarkMask;
  if (!Number.isInteger(mask) || mask < 0 || mask > 0xffffffff) {
    problems.push(`iptablesMarkMask must be a 32-bit unsigned integer, got ${String(mask)}`);
  } else if (!allocateMarks(mask, cfg.wireguardEnabled || cfg.wireguardEnabledV6)) {
    problems.push(
      `iptablesMarkMask 0x${mask.toString(16)} has fewer than the 5 bits Felix needs (6 with WireGuard)`,
    );
  }
  if (cfg.chainInsertMode !== 'insert' && cfg.chainInsertMode !== 'append') {
    problems.push(`chainInsertMode must be insert or append, got ${String(cfg.chainInsertMode)}`);
  }
  if (!['DROP', 'RETURN', 'ACCEPT'].includes(cfg.defaultEndpointToHostAction)) {
    problems.push(`defaultEndpointToHostAction must be DROP, RETURN or ACCEPT`);
  }
  if (!['ACCEPT', 'RETURN'].includes(cfg.iptablesFilterAllowAction)) {
    problems.push(`iptablesFilterAllowAction must be ACCEPT or RETURN`);
  }
  if (!['DROP', 'REJECT'].includes(cfg.iptablesFilterDenyAction)) {
    problems.push(`iptablesFilterDenyAction must be DROP or REJECT`);
  }
  // ---- mangle table (issue 12) ----
  if (!['ACCEPT', 'RETURN'].includes(cfg.iptablesMangleAllowAction)) {
    problems.push(`iptablesMangleAllowAction must be ACCEPT or RETURN`);
  }
  // ---- end mangle table ----
  if (cfg.interfacePrefixes.length === 0) problems.push('interfacePrefixes must not be empty');
  for (const p of cfg.interfacePrefixes) {
    if (!PREFIX_RE.test(p))
      problems.push(`interface prefix ${JSON.stringify(p)} is not a valid interface name prefix`);
  }
  for (const [name, list] of [
    ['failsafeInboundHostPorts', cfg.failsafeInboundHostPorts],
    ['failsafeOutboundHostPorts', cfg.failsafeOutboundHostPorts],
  ] as const) {
    list.forEach((fp, i) => {
      if (!['tcp', 'udp', 'sctp'].includes(fp.protocol)) {
        problems.push(`${name}[${i}].protocol must be tcp, udp or sctp, got ${JSON.stringify(fp.protocol)}`);
      }
      if (!Number.isInteger(fp.port) || fp.port < 0 || fp.port > 65535) {
        problems.push(`${name}[${i}].port must be 0..65535, got ${String(fp.port)}`);
      }
      if (fp.net !== undefined && fp.net !== '' && !parseCidr(fp.net)) {
        problems.push(`${name}[${i}].net is not a CIDR: ${JSON.stringify(fp.net)}`);
      }
    });
  }
  if (!Number.isInteger(cfg.maxIpsetSize) || cfg.maxIpsetSize < 1)
    problems.push('maxIpsetSize must be a positive integer');
  if (!LOG_PREFIX_RE.test(cfg.logPrefix)) {
    problems.push('logPrefix must be one line without a double quote or backslash');
  }
  if (!LOG_RATE_RE.test(cfg.logRateLimit))
    problems.push(
      `logRateLimit must be N/second|minute|hour|day (N 1..9999), got ${JSON.stringify(cfg.logRateLimit)}`,
    );
  if (!Number.isInteger(cfg.logRateLimitBurst) || cfg.logRateLimitBurst < 0 || cfg.logRateLimitBurst > 9999)
    problems.push('logRateLimitBurst must be 0..9999');
  for (const k of ['vxlanPort', 'wireguardListeningPort', 'wireguardListeningPortV6'] as const) {
    const v = cfg[k];
    if (!Number.isInteger(v) || v < 1 || v > 65535) problems.push(`${k} must be 1..65535`);
  }
  cfg.externalNodesCidrs.forEach((c, i) => {
    if (!parseCidr(c)) problems.push(`externalNodesCidrs[${i}] is not a CIDR: ${JSON.stringify(c)}`);
  });
  // raw table (issue 12)
  if (cfg.workloadSourceSpoofing !== 'Disabled' && cfg.workloadSourceSpoofing !== 'Any') {
    problems.push(
      `workloadSourceSpoofing must be Disabled or Any, got ${String(cfg.workloadSourceSpoofing)}`,
    );
  }
  if (!['Drop', 'Reject', 'Disabled'].includes(cfg.serviceLoopPrevention)) {
    problems.push(`serviceLoopPrevention must be Drop, Reject or Disabled`);
  }
  problems.push(...natConfigProblems(cfg));
  // kube-proxy IPVS (issue 13 item 4)
  cfg.kubeNodePortRanges.forEach((r, i) => {
    if (
      !Number.isInteger(r.first) ||
      !Number.isInteger(r.last) ||
      r.first < 0 ||
      r.last > 65535 ||
      r.first > r.last
    )
      problems.push(`kubeNodePortRanges[${i}] must be a port range within 0..65535`);
  });
  if (problems.length > 0) throw new CompilerConfigError(`invalid compiler config: ${problems.join('; ')}`);
}
