// The node's interfaces and local addresses as compiler input (pure; rules/driver/iface-monitor.ts reads
// them from the kernel). Felix's interface monitor (felix/ifacemonitor/iface_monitor.go) reports, per
// interface not matched by InterfaceExclude, the destinations of its `local` routes in the local table;
// hostip_mgr.go puts those of every non-workload interface into the this-host IP set. The presence of
// kube-ipvs0 (felix/dataplane/linux/int_dataplane.go KubeIPVSInterface) switches IPVS support on.
import { formatIp, parseIp } from './ipaddr.js';

/** KubeIPVSInterface (felix/dataplane/linux/int_dataplane.go). */
export const KUBE_IPVS_INTERFACE = 'kube-ipvs0';

export interface HostInterfaces {
  /** Every link that exists, up or down (ifacemonitor.IsInterfacePresent). */
  readonly links: ReadonlySet<string>;
  /** Interface -> the addresses of its local routes (both families, canonical text). */
  readonly addrs: ReadonlyMap<string, readonly string[]>;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

/** The link names of `ip -j link show`. Throws on output that is not that JSON. */
export function parseLinks(json: string): Set<string> {
  const data: unknown = JSON.parse(json === '' ? '[]' : json);
  if (!Array.isArray(data)) throw new Error('ip -j link: not a JSON array');
  const out = new Set<string>();
  for (const l of data) if (isRecord(l) && typeof l.ifname === 'string') out.add(l.ifname);
  return out;
}

/**
 * `ip -j route show table all type local`: per device, the IP of each local route's destination
 * (a prefix such as lo's 127.0.0.0/8 gives its network address, as netlink's Dst.IP does in Felix).
 */
export function parseLocalRoutes(json: string): Map<string, string[]> {
  const data: unknown = JSON.parse(json === '' ? '[]' : json);
  if (!Array.isArray(data)) throw new Error('ip -j route: not a JSON array');
  const out = new Map<string, string[]>();
  for (const r of data) {
    if (!isRecord(r) || r.type !== 'local' || typeof r.dst !== 'string' || typeof r.dev !== 'string')
      continue;
    if (r.table !== undefined && r.table !== 'local') continue;
    const ip = parseIp(r.dst.split('/')[0] as string);
    if (!ip) continue;
    let list = out.get(r.dev);
    if (!list) out.set(r.dev, (list = []));
    const text = formatIp(ip.family, ip.bytes);
    if (!list.includes(text)) list.push(text);
  }
  return out;
}

/**
 * Felix's iface-list-regexp (felix/config/param_types.go RegexpPatternListParam): "/re/" is a regular
 * expression, anything else an exact interface name. Entries that do not compile are skipped.
 */
export function excludeMatchers(entries: readonly string[]): RegExp[] {
  const out: RegExp[] = [];
  for (const e of entries) {
    if (e === '') continue;
    try {
      if (e.length >= 2 && e.startsWith('/') && e.endsWith('/')) out.push(new RegExp(e.slice(1, -1)));
      else out.push(new RegExp('^' + e.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + '$'));
    } catch {
      // Refused by the parameter parser already; nothing to match.
    }
  }
  return out;
}

/**
 * The this-host members per family (hostip_mgr.go): addresses of every interface that is neither
 * excluded (InterfaceExclude: its addresses are never reported) nor a workload interface
 * (`^(prefix1|prefix2).*`), sorted.
 */
export function thisHostMembers(
  h: HostInterfaces | undefined,
  interfacePrefixes: readonly string[],
  interfaceExclude: readonly string[],
): { v4: string[]; v6: string[] } {
  const v4 = new Set<string>();
  const v6 = new Set<string>();
  if (!h) return { v4: [], v6: [] };
  const excluded = excludeMatchers(interfaceExclude);
  for (const [iface, addrs] of h.addrs) {
    if (excluded.some((re) => re.test(iface))) continue;
    if (interfacePrefixes.some((p) => iface.startsWith(p))) continue;
    for (const a of addrs) {
      const ip = parseIp(a);
      if (ip) (ip.family === 4 ? v4 : v6).add(formatIp(ip.family, ip.bytes));
    }
  }
  return { v4: [...v4].sort(), v6: [...v6].sort() };
}

/** Whether kube-proxy runs in IPVS mode: the kube-ipvs0 device exists (felix/dataplane/driver.go). */
export function kubeIPVSPresent(h: HostInterfaces | undefined): boolean {
  return h?.links.has(KUBE_IPVS_INTERFACE) ?? false;
}

/** Same content (for change detection without a recompile). */
export function sameHostInterfaces(a: HostInterfaces | undefined, b: HostInterfaces | undefined): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  if (a.links.size !== b.links.size || a.addrs.size !== b.addrs.size) return false;
  for (const l of a.links) if (!b.links.has(l)) return false;
  for (const [k, v] of a.addrs) {
    const w = b.addrs.get(k);
    if (!w || w.length !== v.length || v.some((x, i) => w[i] !== x)) return false;
  }
  return true;
}
