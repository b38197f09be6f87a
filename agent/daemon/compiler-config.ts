// FelixConfig -> the rule compiler's and the driver's settings (felix/config/config_params.go), with the
// overlay facts the calc graph resolved (issue 14): the encapsulation from the IP pools and this node's
// tunnel addresses, as felix/daemon/daemon.go puts them into configParams.Encapsulation at start.
import { defaultCompilerConfig, type CompilerConfig } from '../../rules/compiler/index.js';
import type { Encapsulation, OverlayFacts } from '../calc/index.js';
import type { FelixConfig } from '../config/index.js';

const NO_ENCAP: Encapsulation = { ipipEnabled: false, vxlanEnabled: false, vxlanEnabledV6: false };

/**
 * Felix's EncapsulationCalculator (felix/calc/encapsulation_resolver.go): a set IpInIpEnabled / VXLANEnabled
 * wins over the pools; VXLANEnabledV6 comes from the pools only.
 */
export function resolvedEncapsulation(c: FelixConfig, pools: Encapsulation = NO_ENCAP): Encapsulation {
  return {
    ipipEnabled: c.IpInIpEnabled ?? pools.ipipEnabled,
    vxlanEnabled: c.VXLANEnabled ?? pools.vxlanEnabled,
    vxlanEnabledV6: pools.vxlanEnabledV6,
  };
}

/**
 * Throws the compiler's CompilerConfigError when a value is out of its range. Without `overlay` (config
 * checks before any datastore is seen) the encapsulation is the config's overrides alone.
 */
export function compilerConfigFrom(c: FelixConfig, overlay?: OverlayFacts): CompilerConfig {
  const encap = resolvedEncapsulation(c, overlay?.pools);
  return defaultCompilerConfig({
    iptablesMarkMask: c.IptablesMarkMask,
    chainInsertMode: c.ChainInsertMode,
    defaultEndpointToHostAction: c.DefaultEndpointToHostAction,
    failsafeInboundHostPorts: c.FailsafeInboundHostPorts,
    failsafeOutboundHostPorts: c.FailsafeOutboundHostPorts,
    ipv6Support: c.Ipv6Support,
    interfacePrefixes: c.InterfacePrefix,
    iptablesFilterAllowAction: c.IptablesFilterAllowAction,
    iptablesFilterDenyAction: c.IptablesFilterDenyAction,
    maxIpsetSize: c.MaxIpsetSize,
    logPrefix: c.LogPrefix,
    logRateLimit: c.LogActionRateLimit,
    logRateLimitBurst: c.LogActionRateLimitBurst,
    vxlanPort: c.VXLANPort,
    allowVXLANPacketsFromWorkloads: c.AllowVXLANPacketsFromWorkloads,
    allowIPIPPacketsFromWorkloads: c.AllowIPIPPacketsFromWorkloads,
    disableConntrackInvalidCheck: c.DisableConntrackInvalidCheck,
    // mangle table (issue 12)
    iptablesMangleAllowAction: c.IptablesMangleAllowAction,
    // raw table (issue 12)
    workloadSourceSpoofing: c.WorkloadSourceSpoofing,
    serviceLoopPrevention: c.ServiceLoopPrevention,
    // nat table (issue 12)
    natOutgoingAddress: c.NATOutgoingAddress,
    natPortRange: c.NATPortRange,
    natOutgoingExclusions: c.NATOutgoingExclusions,
    natOutgoingInterfaceFilter: c.IptablesNATOutgoingInterfaceFilter,
    floatingIPs: c.FloatingIPs === 'Enabled',
    tunnelMasqInterfaces: tunnelMasqInterfaces(c, encap, overlay?.tunnels),
    // overlay host sets (issue 14, rules/compiler/overlay-sets.ts)
    externalNodesCidrs: c.ExternalNodesCIDRList,
    hostname: c.FelixHostname,
    // cali-INPUT/cali-OUTPUT's overlay rules and the all-hosts-net/all-vxlan-net sets (felix/rules/static.go,
    // rules/compiler/overlay-sets.ts).
    ipipEnabled: encap.ipipEnabled,
    vxlanEnabled: encap.vxlanEnabled,
    vxlanEnabledV6: encap.vxlanEnabledV6,
    // WireGuard's allow rules only accept (no drop rule: WireGuard's own peering does that, static.go).
    wireguardEnabled: c.WireguardEnabled,
    wireguardEnabledV6: c.WireguardEnabledV6,
    wireguardListeningPort: c.WireguardListeningPort,
    wireguardListeningPortV6: c.WireguardListeningPortV6,
    wireguardInterfaceName: c.WireguardInterfaceName,
    wireguardInterfaceNameV6: c.WireguardInterfaceNameV6,
    wireguardHostEncryption: c.WireguardHostEncryptionEnabled,
    // kube-proxy IPVS (issue 13 item 4); KubeIPVSSupportEnabled itself is detected (kube-ipvs0).
    kubeNodePortRanges: c.KubeNodePortRanges,
    interfaceExclude: c.InterfaceExclude,
  });
}

/** The tunnel-address parameters the masquerade rules read (felix/rules/static.go). */
export const TUNNEL_ADDR_PARAMS = ['IpInIpTunnelAddr', 'IPv4VXLANTunnelAddr', 'IPv6VXLANTunnelAddr'] as const;
type TunnelAddrParam = (typeof TUNNEL_ADDR_PARAMS)[number];

/**
 * This node's tunnel address: Felix reads the config parameter (calico-node writes it as per-host config);
 * without one, the address on this node's v3 Node resource (HostMetadataCalculator.localTunnelAddrs).
 */
export function tunnelAddr(
  c: FelixConfig,
  n: TunnelAddrParam,
  tunnels: OverlayFacts['tunnels'] = {},
): string {
  const configured = {
    IpInIpTunnelAddr: c.IpInIpTunnelAddr,
    IPv4VXLANTunnelAddr: c.IPv4VXLANTunnelAddr,
    IPv6VXLANTunnelAddr: c.IPv6VXLANTunnelAddr,
  }[n];
  return configured !== '' ? configured : (tunnels[n] ?? '');
}

/**
 * The tunnel devices of Felix's cali-POSTROUTING masquerade rules (felix/rules/static.go
 * StaticNATPostroutingChains): tunl0 with IPIP and a tunnel address, vxlan.calico / vxlan-v6.calico
 * with VXLAN / VXLANv6 and a tunnel address, the WireGuard devices whenever WireGuard is on.
 */
export function tunnelMasqInterfaces(
  c: FelixConfig,
  encap: Encapsulation,
  tunnels: OverlayFacts['tunnels'] = {},
): { v4: string[]; v6: string[] } {
  const v4: string[] = [];
  const v6: string[] = [];
  const has = (n: TunnelAddrParam): boolean => tunnelAddr(c, n, tunnels) !== '';
  if (encap.ipipEnabled && has('IpInIpTunnelAddr')) v4.push('tunl0');
  if (encap.vxlanEnabled && has('IPv4VXLANTunnelAddr')) v4.push('vxlan.calico');
  if (encap.vxlanEnabledV6 && has('IPv6VXLANTunnelAddr')) v6.push('vxlan-v6.calico');
  if (c.WireguardEnabled) v4.push(c.WireguardInterfaceName);
  if (c.WireguardEnabledV6) v6.push(c.WireguardInterfaceNameV6);
  return { v4, v6 };
}

/** What of the nat configuration felix-ts does not (fully) enforce: one warning each at start. */
export function natNotices(c: FelixConfig): string[] {
  const out: string[] = [];
  if (c.NATOutgoingAddress !== '' && c.Ipv6Support)
    out.push(
      'NATOutgoingAddress is IPv4: IPv6 NAT outgoing uses MASQUERADE (Felix writes the IPv4 address into the IPv6 SNAT rule, which ip6tables refuses)',
    );
  return out;
}

/** Something in use that felix-ts does not enforce (logged once, in the readiness detail and a metric). */
export interface UnsupportedFeature {
  /** The metric label: a short stable name. */
  readonly feature: string;
  readonly detail: string;
}

/**
 * The parts of the overlay Felix would program and felix-ts does not, for the encapsulation the dataplane
 * starts with: the tunnel devices, routes and neighbours of felix/dataplane/linux/ipip_mgr.go, vxlan_mgr.go and
 * the WireGuard device, keys and routing (felix/wireguard). The filter rules, host sets and masquerade are.
 */
export function unsupportedOverlay(c: FelixConfig, encap: Encapsulation): UnsupportedFeature[] {
  const out: UnsupportedFeature[] = [];
  const rules = 'felix-ts programs its filter rules, host IP set and tunnel masquerade only';
  if (encap.ipipEnabled)
    out.push({
      feature: 'ipip-tunnel',
      detail: `IPIP encapsulation is on: ${rules}; it does not create or configure tunl0 or program IPIP routes`,
    });
  if (encap.vxlanEnabled || encap.vxlanEnabledV6)
    out.push({
      feature: 'vxlan-tunnel',
      detail: `VXLAN encapsulation is on: ${rules}; it does not create vxlan.calico/vxlan-v6.calico or program their routes and neighbour/FDB entries`,
    });
  if (c.WireguardEnabled || c.WireguardEnabledV6)
    out.push({
      feature: 'wireguard',
      detail:
        'WireguardEnabled: felix-ts programs the WireGuard allow and masquerade rules only; it does not create the WireGuard device, keys, routes or routing rules',
    });
  return out;
}
