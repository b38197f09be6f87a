// FelixConfig -> the rule compiler's and the driver's settings (felix/config/config_params.go).
import { defaultCompilerConfig, type CompilerConfig } from '../../rules/compiler/index.js';
import type { FelixConfig } from '../config/index.js';

/** Throws the compiler's CompilerConfigError when a value is out of its range. */
export function compilerConfigFrom(c: FelixConfig): CompilerConfig {
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
    // nat table (issue 12)
    natOutgoingAddress: c.NATOutgoingAddress,
    natPortRange: c.NATPortRange,
    natOutgoingExclusions: c.NATOutgoingExclusions,
    natOutgoingInterfaceFilter: c.IptablesNATOutgoingInterfaceFilter,
    floatingIPs: c.FloatingIPs === 'Enabled',
    tunnelMasqInterfaces: tunnelMasqInterfaces(c),
    // overlay host sets (issue 14, rules/compiler/overlay-sets.ts)
    externalNodesCidrs: c.ExternalNodesCIDRList,
    hostname: c.FelixHostname,
    // WireGuard's allow rules only accept; the IPIP/VXLAN allow-then-drop rules wait for all-hosts-net
    // (overlayNotices).
    wireguardEnabled: c.WireguardEnabled,
    wireguardEnabledV6: c.WireguardEnabledV6,
    wireguardListeningPort: c.WireguardListeningPort,
    wireguardListeningPortV6: c.WireguardListeningPortV6,
    wireguardInterfaceName: c.WireguardInterfaceName,
    wireguardInterfaceNameV6: c.WireguardInterfaceNameV6,
    wireguardHostEncryption: c.WireguardHostEncryptionEnabled,
  });
}

/**
 * The tunnel devices of Felix's cali-POSTROUTING masquerade rules (felix/rules/static.go
 * StaticNATPostroutingChains): tunl0 with IPIP and a tunnel address, vxlan.calico / vxlan-v6.calico
 * with VXLAN and a tunnel address, the WireGuard devices whenever WireGuard is on.
 */
export function tunnelMasqInterfaces(c: FelixConfig): { v4: string[]; v6: string[] } {
  const v4: string[] = [];
  const v6: string[] = [];
  if (c.IpInIpEnabled === true && c.IpInIpTunnelAddr !== '') v4.push('tunl0');
  if (c.VXLANEnabled === true && c.IPv4VXLANTunnelAddr !== '') v4.push('vxlan.calico');
  if (c.VXLANEnabled === true && c.IPv6VXLANTunnelAddr !== '') v6.push('vxlan-v6.calico');
  if (c.WireguardEnabled) v4.push(c.WireguardInterfaceName);
  if (c.WireguardEnabledV6) v6.push(c.WireguardInterfaceNameV6);
  return { v4, v6 };
}

/** What of the nat/overlay configuration felix-ts does not (fully) enforce: one warning each at start. */
export function natNotices(c: FelixConfig): string[] {
  const out: string[] = [];
  if (c.NATOutgoingExclusions === 'IPPoolsAndHostIPs')
    out.push(
      'NATOutgoingExclusions=IPPoolsAndHostIPs: the all-hosts-net IP set is programmed empty (felix-ts does not compute host addresses yet), so traffic to other nodes outside the pools is still NATed',
    );
  if (c.IpInIpEnabled === true || c.VXLANEnabled === true)
    out.push(
      'IpInIpEnabled/VXLANEnabled: only the tunnel masquerade rule is programmed; the cali-INPUT/cali-OUTPUT "allow from Calico hosts, drop the rest" overlay rules are not, because all-hosts-net/all-vxlan-net are not computed yet',
    );
  if (c.WireguardEnabled || c.WireguardEnabledV6)
    out.push(
      'WireguardEnabled: felix-ts programs the WireGuard allow and masquerade rules only; it does not create the WireGuard device, keys, routes or routing rules',
    );
  if (c.NATOutgoingAddress !== '' && c.Ipv6Support)
    out.push(
      'NATOutgoingAddress is IPv4: IPv6 NAT outgoing uses MASQUERADE (Felix writes the IPv4 address into the IPv6 SNAT rule, which ip6tables refuses)',
    );
  return out;
}
