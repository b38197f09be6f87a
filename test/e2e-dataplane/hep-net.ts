// Shared set-up of the host-endpoint kernel tests (untracked.test.ts, pre-dnat.test.ts): a "node"
// namespace whose veth end is the host endpoint's interface, a "client" namespace on the other end,
// servers in the node, clients in the client, and the node's conntrack table. Namespaces are ftm-*.
import { spawn, type ChildProcess } from 'node:child_process';
import type { HostEndpoint, PolicyID, Rule, ToDataplane } from '../../rules/dataplane-api/types.js';
import { Netns, saveCmd, veth, type Backend } from './netns.js';

export type Family = 4 | 6;

/** The node's and the client's address per family (only inside the test's own namespaces). */
const ADDRS: Record<Family, { node: string; client: string; len: number }> = {
  4: { node: '192.168.78.1', client: '192.168.78.2', len: 24 },
  6: { node: 'fd78::1', client: 'fd78::2', len: 64 },
};

export interface HepNet {
  readonly node: Netns;
  readonly client: Netns;
  /** The node's end of the veth: the host endpoint's interface. */
  readonly iface: string;
  readonly family: Family;
  readonly nodeIp: string;
}

async function mac(ns: Netns, dev: string): Promise<string> {
  return (await ns.exec('cat', [`/sys/class/net/${dev}/address`])).stdout.trim();
}

export async function hepNet(tag: string, family: Family = 4): Promise<HepNet> {
  const node = await Netns.create(`${tag}n`, 'ftm');
  const client = await Netns.create(`${tag}c`, 'ftm');
  const iface = `ftm${process.pid % 10000}${tag}`;
  const a = ADDRS[family];
  await veth(node, iface, client, 'peer0');
  // nodad: usable at once. IPv6 neighbours are static, so that neighbour discovery (ICMPv6, which the
  // host endpoint's policy would have to allow) plays no part in what the tests see.
  const extra = family === 6 ? ['nodad'] : [];
  await node.exec('ip', ['addr', 'add', `${a.node}/${a.len}`, 'dev', iface, ...extra]);
  await client.exec('ip', ['addr', 'add', `${a.client}/${a.len}`, 'dev', 'peer0', ...extra]);
  if (family === 6) {
    const nodeMac = await mac(node, iface);
    const clientMac = await mac(client, 'peer0');
    await node.exec('ip', [
      '-6',
      'neigh',
      'replace',
      a.client,
      'lladdr',
      clientMac,
      'dev',
      iface,
      'nud',
      'permanent',
    ]);
    await client.exec('ip', [
      '-6',
      'neigh',
      'replace',
      a.node,
      'lladdr',
      nodeMac,
      'dev',
      'peer0',
      'nud',
      'permanent',
    ]);
  }
  return { node, client, iface, family, nodeIp: a.node };
}

/** iptables-save of one table of the net's family, without banners (with counters when asked). */
export async function saveTable(
  net: HepNet,
  backend: Backend,
  table: string,
  counters = false,
): Promise<string[]> {
  const args = counters ? ['-c', '-t', table] : ['-t', table];
  const r = await net.node.exec(saveCmd(backend, net.family), args);
  return r.stdout.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
}

/** A long-running node process in the namespace (a server); killed by the caller. */
export function serve(ns: Netns, script: string): ChildProcess {
  return spawn('ip', ['netns', 'exec', ns.name, process.execPath, '-e', script], { stdio: 'ignore' });
}

/** UDP echo on each port, TCP "ok" on each port, bound to every address of the node (both families). */
export function udpEcho(ports: readonly number[]): string {
  return `const d = require('dgram'); for (const p of ${JSON.stringify(ports)}) {
    const s = d.createSocket('udp6'); s.on('message', (m, r) => s.send(m, r.port, r.address)); s.bind(p, '::'); }`;
}
export function tcpOk(ports: readonly number[]): string {
  return `const n = require('net'); for (const p of ${JSON.stringify(ports)})
    n.createServer((s) => s.end('ok')).listen(p, '::');`;
}

/** One UDP round trip from the client: the echoed text, or '' when nothing came back in time. */
export async function udpRoundTrip(net: HepNet, port: number, text: string): Promise<string> {
  const script = `const s = require('dgram').createSocket('udp${net.family}');
    s.on('message', (m) => { process.stdout.write(String(m)); process.exit(0); });
    s.send(${JSON.stringify(text)}, ${port}, '${net.nodeIp}'); setTimeout(() => process.exit(2), 1500);`;
  return (await net.client.exec(process.execPath, ['-e', script], { reject: false })).stdout;
}

/** One TCP connection from the client: what the server sent, or '' when it did not connect in time. */
export async function tcpFetch(net: HepNet, port: number): Promise<string> {
  const script = `const s = require('net').connect(${port}, '${net.nodeIp}'); let d = '';
    s.on('data', (c) => (d += c)); s.on('end', () => { process.stdout.write(d); process.exit(0); });
    s.on('error', () => process.exit(1)); setTimeout(() => process.exit(2), 1500);`;
  return (await net.client.exec(process.execPath, ['-e', script], { reject: false })).stdout;
}

/** The node's conntrack entries (its own namespace's /proc/net/nf_conntrack), one per line. */
export async function conntrack(node: Netns): Promise<string[]> {
  const r = await node.exec('cat', ['/proc/net/nf_conntrack'], { reject: false });
  return r.stdout.split('\n').filter((l) => l !== '');
}

export const gnp = (name: string): PolicyID => ({ kind: 'gnp', namespace: '', name });

export function policyMsg(
  id: PolicyID,
  inboundRules: Rule[],
  outboundRules: Rule[],
  flags: { untracked?: boolean; preDnat?: boolean } = {},
): ToDataplane {
  return {
    kind: 'activePolicyUpdate',
    id,
    policy: {
      tier: 'default',
      inboundRules,
      outboundRules,
      originalSelector: `name == '${id.name}'`,
      ...flags,
    },
  };
}

export function hepMsg(iface: string, ep: Partial<HostEndpoint>): ToDataplane {
  return {
    kind: 'hostEndpointUpdate',
    id: { endpointId: 'hep1' },
    endpoint: {
      name: iface,
      profileIds: [],
      tiers: [],
      untrackedTiers: [],
      preDnatTiers: [],
      forwardTiers: [],
      expectedIpv4Addrs: [],
      expectedIpv6Addrs: [],
      ...ep,
    },
  };
}

/** Retries a probe until it returns `want` (the first apply and ARP take a moment), at most ~5 s. */
export async function eventually(probe: () => Promise<string>, want: string): Promise<string> {
  let got = '';
  for (let i = 0; i < 10; i++) {
    got = await probe();
    if (got === want) return got;
    await new Promise((r) => setTimeout(r, 200));
  }
  return got;
}
