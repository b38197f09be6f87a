// Floating IPs: cali-fip-dnat and cali-fip-snat from the local workloads' ipv4Nat/ipv6Nat
// (felix/dataplane/linux/floating_ip_mgr.go, felix/rules/nat.go DNATsToIptablesChains,
// SNATsToIptablesChains). Used when FloatingIPs=Enabled or for OpenStack workloads, as in Felix.
import type { IpFamily } from '../model.js';
import type { CompilerConfig } from './config.js';
import { formatIp, parseIp } from './ipaddr.js';
import { snatAction } from './nat-outgoing.js';
import { m, rule, type IRule } from './rule.js';
import type { DataplaneState } from './state.js';

const OPENSTACK = 'openstack';

function canonicalAddr(s: string, family: IpFamily): string | undefined {
  const p = parseIp(s);
  return p && p.family === family ? formatIp(family, p.bytes) : undefined;
}

/** Go's string "<" on the canonical address text (Felix picks the smallest on a clash). */
const less = (a: string, b: string): boolean => a < b;

/** ext -> int (DNAT) and int -> ext (SNAT) maps as Felix resolves clashes, plus the entries refused. */
export function floatingIpMaps(
  state: DataplaneState,
  family: IpFamily,
  cfg: CompilerConfig,
): { dnats: Map<string, string>; snats: Map<string, string>; bad: string[] } {
  const dnats = new Map<string, string>();
  const bad: string[] = [];
  for (const [key, w] of state.workloads) {
    if (!cfg.floatingIPs && w.id.orchestratorId !== OPENSTACK) continue;
    const nats = (family === 4 ? w.endpoint.ipv4Nat : w.endpoint.ipv6Nat) ?? [];
    for (const n of nats) {
      const ext = canonicalAddr(n.extIp, family);
      const int = canonicalAddr(n.intIp, family);
      if (!ext || !int) {
        bad.push(
          `workload ${key}: floating IP ${JSON.stringify(n.extIp)} -> ${JSON.stringify(n.intIp)} is not a valid IPv${family} pair; skipped`,
        );
        continue;
      }
      const cur = dnats.get(ext);
      if (cur === undefined || less(int, cur)) dnats.set(ext, int);
    }
  }
  const snats = new Map<string, string>();
  for (const [ext, int] of dnats) {
    const cur = snats.get(int);
    if (cur === undefined || less(ext, cur)) snats.set(int, ext);
  }
  return { dnats, snats, bad };
}

function sortedKeys(mp: Map<string, string>): string[] {
  return [...mp.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

export function fipChains(
  state: DataplaneState,
  family: IpFamily,
  cfg: CompilerConfig,
): { dnat: IRule[]; snat: IRule[]; bad: string[] } {
  const { dnats, snats, bad } = floatingIpMaps(state, family, cfg);
  // DNATAction with no port: "--jump DNAT --to-destination <ip>".
  const dnat = sortedKeys(dnats).map((ext) =>
    rule([m.destNet(ext)], { frag: `--jump DNAT --to-destination ${dnats.get(ext) ?? ''}` }),
  );
  const snatRandom = cfg.snatFullyRandom !== false;
  const snat = sortedKeys(snats).map((int) =>
    rule([m.destNet(int), m.sourceNet(int)], snatAction(snats.get(int) ?? '', snatRandom)),
  );
  return { dnat, snat, bad };
}
