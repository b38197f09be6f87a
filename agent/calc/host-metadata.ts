// Host metadata: each Calico node's addresses, labels and tunnel addresses, from the v3 Node resources and
// the legacy host keys (/calico/v1/host/<h>/bird_ip, HostConfig IpInIpTunnelAddr / IPv4VXLANTunnelAddr /
// IPv6VXLANTunnelAddr / WireguardInterfaceAddr). Facts from Felix v3.32.1:
// - felix/dataplane/linux/ipset_hosts_mgr.go: all-hosts-net = every host's IPv4 (IPv6) address without its
//   prefix length, plus ExternalNodesCIDRList (IPv4 only; "IPIP is only supported with IPv4").
// - felix/dataplane/linux/vxlan_mgr.go updateNeighborsAndAllowedSources: all-vxlan-net = ExternalNodesCIDRList
//   plus the parent-device (host) address of every node that has a VXLAN tunnel address (a VTEP).
// A v3 Node's address wins over the legacy bird_ip key for the same host.
import type { HostMetadata } from '../../rules/dataplane-api/types.js';
import type { CalcLogger } from './types.js';

export const TUNNEL_CONFIG_NAMES = [
  'IpInIpTunnelAddr',
  'IPv4VXLANTunnelAddr',
  'IPv6VXLANTunnelAddr',
  'WireguardInterfaceAddr',
] as const;
export type TunnelConfigName = (typeof TUNNEL_CONFIG_NAMES)[number];

/** The parts of a v3 Node resource Felix reads (projectcalico.org/v3 NodeSpec). */
export interface NodeResource {
  metadata?: { labels?: Record<string, string> | null } | null;
  spec?: {
    bgp?: { ipv4Address?: string; ipv6Address?: string; ipv4IPIPTunnelAddr?: string } | null;
    ipv4VXLANTunnelAddr?: string;
    ipv6VXLANTunnelAddr?: string;
    wireguard?: { interfaceIPv4Address?: string; interfaceIPv6Address?: string } | null;
  } | null;
}

interface HostInfo {
  nodeV4?: string;
  nodeV6?: string;
  legacyV4?: string;
  labels?: Record<string, string>;
  nodeTunnels: Partial<Record<TunnelConfigName, string>>;
  configTunnels: Partial<Record<TunnelConfigName, string>>;
}

const V4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** An address (optionally with /len) -> the bare address, or undefined when malformed. */
export function bareAddr(s: string, family: 4 | 6): string | undefined {
  const [ip, len, extra] = s.trim().split('/');
  if (extra !== undefined || ip === undefined || ip === '') return undefined;
  if (len !== undefined && !/^\d{1,3}$/.test(len)) return undefined;
  if (family === 4) {
    const m = V4.exec(ip);
    return m && m.slice(1).every((o) => Number(o) <= 255) ? ip : undefined;
  }
  return /^[0-9a-fA-F:.]+$/.test(ip) && ip.includes(':') ? ip.toLowerCase() : undefined;
}

const NOOP: CalcLogger = { debug() {}, info() {}, warn() {}, error() {} };

export class HostMetadataCalculator {
  private readonly hosts = new Map<string, HostInfo>();
  private externalCidrs: string[] = [];

  constructor(
    private readonly hostname: string,
    private readonly log: CalcLogger = NOOP,
  ) {}

  private host(h: string): HostInfo {
    let info = this.hosts.get(h);
    if (!info) {
      info = { nodeTunnels: {}, configTunnels: {} };
      this.hosts.set(h, info);
    }
    return info;
  }

  private addr(key: string, s: string | undefined, family: 4 | 6): string | undefined {
    if (s === undefined || s === '') return undefined;
    const a = bareAddr(s, family);
    if (a === undefined) this.log.warn('HostMetadata: malformed address; ignoring it', { key, address: s });
    return a;
  }

  /** The legacy HostIPKey (/calico/v1/host/<h>/bird_ip); `ip` undefined is a delete. */
  onHostIp(hostname: string, ip: string | undefined): void {
    const info = this.host(hostname);
    const a = this.addr(`/calico/v1/host/${hostname}/bird_ip`, ip, 4);
    if (a === undefined) delete info.legacyV4;
    else info.legacyV4 = a;
  }

  /** A HostConfig key; names other than the tunnel addresses are not this calculator's. */
  onHostConfig(hostname: string, name: string, value: string | undefined): void {
    if (!(TUNNEL_CONFIG_NAMES as readonly string[]).includes(name)) return;
    const info = this.host(hostname);
    const n = name as TunnelConfigName;
    const family = n === 'IPv6VXLANTunnelAddr' ? 6 : 4;
    const a = this.addr(`/calico/v1/host/${hostname}/config/${name}`, value, family);
    if (a === undefined) delete info.configTunnels[n];
    else info.configTunnels[n] = a;
  }

  /** A v3 Node resource; `node` undefined is a delete. Each malformed field is logged and left out. */
  onNode(name: string, node: NodeResource | undefined): void {
    const info = this.host(name);
    if (!node) {
      delete info.nodeV4;
      delete info.nodeV6;
      delete info.labels;
      info.nodeTunnels = {};
      return;
    }
    const key = `Node(${name})`;
    const spec = node.spec ?? {};
    info.nodeV4 = this.addr(key, spec.bgp?.ipv4Address, 4);
    info.nodeV6 = this.addr(key, spec.bgp?.ipv6Address, 6);
    info.labels = { ...(node.metadata?.labels ?? {}) };
    const t: Partial<Record<TunnelConfigName, string>> = {};
    const set = (n: TunnelConfigName, v: string | undefined, f: 4 | 6): void => {
      const a = this.addr(key, v, f);
      if (a !== undefined) t[n] = a;
    };
    set('IpInIpTunnelAddr', spec.bgp?.ipv4IPIPTunnelAddr, 4);
    set('IPv4VXLANTunnelAddr', spec.ipv4VXLANTunnelAddr, 4);
    set('IPv6VXLANTunnelAddr', spec.ipv6VXLANTunnelAddr, 6);
    set('WireguardInterfaceAddr', spec.wireguard?.interfaceIPv4Address, 4);
    info.nodeTunnels = t;
  }

  /** Felix's ExternalNodesCIDRList. */
  setExternalNodesCidrs(cidrs: readonly string[]): void {
    this.externalCidrs = [...cidrs];
  }

  private v4(info: HostInfo): string | undefined {
    return info.nodeV4 ?? info.legacyV4;
  }

  private tunnels(info: HostInfo): Partial<Record<TunnelConfigName, string>> {
    return { ...info.configTunnels, ...info.nodeTunnels };
  }

  /** Members of all-hosts-net for a family (sorted, de-duplicated). */
  allHostsNet(family: 4 | 6): string[] {
    const out = new Set<string>();
    for (const info of this.hosts.values()) {
      const a = family === 4 ? this.v4(info) : info.nodeV6;
      if (a !== undefined) out.add(a);
    }
    if (family === 4) for (const c of this.externalCidrs) out.add(c);
    return [...out].sort();
  }

  /** Members of all-vxlan-net for a family: host addresses of the nodes with a VXLAN tunnel address. */
  allVxlanNet(family: 4 | 6): string[] {
    const out = new Set<string>(this.externalCidrs.filter((c) => c.includes(':') === (family === 6)));
    for (const info of this.hosts.values()) {
      const t = this.tunnels(info);
      const vtep = family === 4 ? t.IPv4VXLANTunnelAddr : t.IPv6VXLANTunnelAddr;
      const parent = family === 4 ? this.v4(info) : info.nodeV6;
      if (vtep !== undefined && parent !== undefined) out.add(parent);
    }
    return [...out].sort();
  }

  /** One node's addresses for the dataplane (hostMetadataUpdate), undefined when it has none. */
  hostView(hostname: string): HostMetadata | undefined {
    const info = this.hosts.get(hostname);
    if (!info) return undefined;
    const t = this.tunnels(info);
    const view: HostMetadata = {
      ipv4Addr: this.v4(info) ?? '',
      ipv6Addr: info.nodeV6 ?? '',
      vxlanTunnelAddr: t.IPv4VXLANTunnelAddr ?? '',
      vxlanTunnelAddrV6: t.IPv6VXLANTunnelAddr ?? '',
    };
    return Object.values(view).some((v) => v !== '') ? view : undefined;
  }

  /** A node's labels (from its v3 Node), for selector-scoped config later. */
  labels(hostname: string): Readonly<Record<string, string>> | undefined {
    return this.hosts.get(hostname)?.labels;
  }

  /** This node's tunnel addresses (Node resource first, then HostConfig). */
  localTunnelAddrs(): Partial<Record<TunnelConfigName, string>> {
    const info = this.hosts.get(this.hostname);
    return info ? this.tunnels(info) : {};
  }
}
