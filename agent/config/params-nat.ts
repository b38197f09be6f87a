// The nat-table, overlay and feature-detection parameters (felix/config/config_params.go), spread into
// PARAMS (params.ts). Names, types and defaults are Felix v3.32.1's.
import { bool, oneOf, port } from './values.js';
import { ifaceParam, ipv4, ipv6, keyValueList, optBool, portRange } from './values-net.js';
import type { ParamDef } from './params.js';

function def<T>(schema: ParamDef<T>['schema'], dflt: string, doc: string): ParamDef<T> {
  return { schema, default: dflt, doc };
}

export const NAT_PARAMS = {
  NATOutgoingAddress: def(
    ipv4(),
    '',
    'SNAT NAT-outgoing traffic to this IPv4 address instead of MASQUERADE (IPv4 only).',
  ),
  NATPortRange: def(portRange(), '', 'Source ports for NAT-outgoing tcp/udp (n:m); empty for any.'),
  NATOutgoingExclusions: def(
    oneOf(['IPPoolsOnly', 'IPPoolsAndHostIPs']),
    'IPPoolsOnly',
    'Destinations never NATed: the IP pools, or the pools and the cluster hosts.',
  ),
  IptablesNATOutgoingInterfaceFilter: def(
    ifaceParam(),
    '',
    'Only NAT-outgoing traffic leaving through this interface (an iptables --out-interface, "+" wildcard).',
  ),
  FloatingIPs: def(
    oneOf(['Enabled', 'Disabled']),
    'Disabled',
    "Program the workloads' floating IPs (ipv4_nat/ipv6_nat) in cali-fip-dnat/cali-fip-snat.",
  ),
  FeatureDetectOverride: def(
    keyValueList(),
    '',
    'Override detected features, e.g. MASQFullyRandom=false,SNATFullyRandom=false.',
  ),
  // Overlay: Felix v3.32 takes the encapsulation from the IP pools; these override or complete it.
  IpInIpEnabled: def(optBool(), '', 'IPIP encapsulation on (true) or off (false); unset: from the IP pools.'),
  IpInIpTunnelAddr: def(
    ipv4(),
    '',
    'Address of tunl0 (written by calico-node); enables the tunnel masquerade rule.',
  ),
  VXLANEnabled: def(optBool(), '', 'VXLAN encapsulation on or off; unset: from the IP pools.'),
  IPv4VXLANTunnelAddr: def(ipv4(), '', 'Address of vxlan.calico; enables its masquerade rule.'),
  IPv6VXLANTunnelAddr: def(ipv6(), '', 'Address of vxlan-v6.calico; enables its masquerade rule.'),
  WireguardEnabled: def(bool(), 'false', 'WireGuard (IPv4): allow rules, masquerade and the incoming mark.'),
  WireguardEnabledV6: def(bool(), 'false', 'WireGuard (IPv6): allow rules and masquerade.'),
  WireguardListeningPort: def(port(), '51820', 'WireGuard IPv4 port (allow rules).'),
  WireguardListeningPortV6: def(port(), '51821', 'WireGuard IPv6 port (allow rules).'),
  WireguardHostEncryptionEnabled: def(
    bool(),
    'false',
    'WireGuard host encryption: raw cali-PREROUTING marks host traffic (cali-wireguard-incoming-mark).',
  ),
  WireguardInterfaceName: def(ifaceParam({ nonZero: true }), 'wireguard.cali', 'WireGuard IPv4 device.'),
  WireguardInterfaceNameV6: def(ifaceParam({ nonZero: true }), 'wg-v6.cali', 'WireGuard IPv6 device.'),
} as const;
