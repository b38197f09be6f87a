// The demo's throw-away network: a "node" namespace (the agent programs its iptables, never the
// root namespace's) and one namespace per pod, wired the way Calico's CNI plugin does it:
//   pod:  eth0 <ip>/32, route 169.254.1.1 dev eth0 scope link, default via 169.254.1.1
//   node: cali<11 hex> veth peer, route <ip>/32 dev cali..., proxy_arp=1, ip_forward=1.
// Names carry the process id so concurrent runs never collide; everything is deleted at the end.
import { spawn, type ChildProcess } from 'node:child_process';
import { execa } from 'execa';
import type { DemoPod } from './cluster.js';

export class DemoNetError extends Error {
  readonly code = 'ERR_DEMO_NETNS';
}

async function must(cmd: readonly string[]): Promise<void> {
  const r = await execa(cmd[0] as string, cmd.slice(1), { reject: false });
  if (r.exitCode !== 0) throw new DemoNetError(`${cmd.join(' ')} failed: ${String(r.stderr).trim()}`);
}

// A TCP server on the given ports; prints "ready" once listening.
const SERVER_JS = `
const net = require('net');
const ports = process.argv.slice(1).map(Number);
let n = 0;
for (const p of ports) net.createServer((s) => { s.on('error', () => {}); s.end('ok\\n'); }).listen(p, '0.0.0.0', () => { if (++n === ports.length) console.log('ready'); });
if (ports.length === 0) console.log('ready');
`;
// Connect with a deadline: exit 0 connected, 2 timed out (dropped), 3 refused/error.
const CLIENT_JS = `
const net = require('net');
const [ip, port, ms] = process.argv.slice(1);
const s = net.connect({ host: ip, port: Number(port) });
const t = setTimeout(() => { s.destroy(); process.exit(2); }, Number(ms));
s.on('connect', () => { clearTimeout(t); s.destroy(); process.exit(0); });
s.on('error', () => { clearTimeout(t); process.exit(3); });
`;

/**
 * The commands that wire an existing pod namespace `podNs` to the node namespace the way Calico's
 * CNI plugin does (see the top of this file); the e2e topology runs the same list.
 */
export function cniPodCommands(nodeNs: string, podNs: string, iface: string, ip: string): string[][] {
  const sysctl = (kv: string): string[] => ['ip', 'netns', 'exec', nodeNs, 'sysctl', '-q', '-w', kv];
  return [
    ['ip', '-n', nodeNs, 'link', 'add', iface, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', podNs],
    // Pod side.
    ['ip', '-n', podNs, 'addr', 'add', `${ip}/32`, 'dev', 'eth0'],
    ['ip', '-n', podNs, 'link', 'set', 'eth0', 'up'],
    ['ip', '-n', podNs, 'route', 'add', '169.254.1.1', 'dev', 'eth0', 'scope', 'link'],
    ['ip', '-n', podNs, 'route', 'add', 'default', 'via', '169.254.1.1', 'dev', 'eth0'],
    // Node side.
    ['ip', '-n', nodeNs, 'link', 'set', iface, 'up'],
    sysctl(`net.ipv4.conf.${iface}.proxy_arp=1`),
    sysctl(`net.ipv4.neigh.${iface}.proxy_delay=0`),
    ['ip', '-n', nodeNs, 'route', 'add', `${ip}/32`, 'dev', iface],
  ];
}

export type FlowResult = 'allowed' | 'denied' | 'refused';

export class DemoNetwork {
  readonly nodeNs: string;
  private readonly namespaces: string[] = [];
  private readonly servers: ChildProcess[] = [];
  private readonly podNs = new Map<string, string>();
  private aborted = false;
  private creating: Promise<void> | undefined;

  constructor(readonly id: string = `ftsdemo-${process.pid}`) {
    this.nodeNs = `${id}-node`;
  }

  /** Runs one set-up command unless destroy() has begun (then set-up stops with an error). */
  private async must(cmd: readonly string[]): Promise<void> {
    if (this.aborted) throw new DemoNetError('demo network set-up interrupted');
    await must(cmd);
  }

  private async addNs(ns: string): Promise<void> {
    // Recorded first: a namespace whose `ip netns add` was under way when interrupted is deleted too.
    this.namespaces.push(ns);
    await this.must(['ip', 'netns', 'add', ns]);
    await this.must(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
  }

  create(pods: readonly DemoPod[]): Promise<void> {
    this.creating = this.doCreate(pods);
    return this.creating;
  }

  private async doCreate(pods: readonly DemoPod[]): Promise<void> {
    const must = (cmd: readonly string[]): Promise<void> => this.must(cmd);
    const node = this.nodeNs;
    await this.addNs(node);
    await must(['ip', 'netns', 'exec', node, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
    // A default route out of the node is what makes proxy ARP answer for 169.254.1.1 (the kernel
    // only proxies for targets routed via another interface): a veth pair inside the node.
    await must(['ip', '-n', node, 'link', 'add', 'uplink0', 'type', 'veth', 'peer', 'name', 'uplink1']);
    await must(['ip', '-n', node, 'addr', 'add', '172.31.255.1/30', 'dev', 'uplink0']);
    await must(['ip', '-n', node, 'link', 'set', 'uplink0', 'up']);
    await must(['ip', '-n', node, 'link', 'set', 'uplink1', 'up']);
    await must(['ip', '-n', node, 'route', 'add', 'default', 'via', '172.31.255.2']);
    for (const p of pods) {
      const ns = `${this.id}-${p.name}`;
      await this.addNs(ns);
      this.podNs.set(p.name, ns);
      for (const cmd of cniPodCommands(node, ns, p.iface, p.ip)) await must(cmd);
      await this.startServer(ns, p.ports);
    }
  }

  private startServer(ns: string, ports: readonly number[]): Promise<void> {
    if (this.aborted) return Promise.reject(new DemoNetError('demo network set-up interrupted'));
    const child = spawn(
      'ip',
      ['netns', 'exec', ns, process.execPath, '-e', SERVER_JS, ...ports.map(String)],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    this.servers.push(child);
    return new Promise((resolve, reject) => {
      child.stdout?.once('data', () => resolve());
      child.once('exit', (c) => reject(new DemoNetError(`traffic server in ${ns} exited with ${String(c)}`)));
    });
  }

  /** One TCP connection attempt from pod `from` to ip:port. */
  async connect(from: string, ip: string, port: number, timeoutMs = 1500): Promise<FlowResult> {
    const ns = this.podNs.get(from);
    if (!ns) throw new DemoNetError(`no pod ${from}`);
    const r = await execa(
      'ip',
      ['netns', 'exec', ns, process.execPath, '-e', CLIENT_JS, ip, String(port), String(timeoutMs)],
      {
        reject: false,
      },
    );
    return r.exitCode === 0 ? 'allowed' : r.exitCode === 2 ? 'denied' : 'refused';
  }

  /**
   * Kills the servers and deletes every namespace (the veths go with them). Idempotent. A set-up
   * still under way is stopped first (no command after this point), so nothing appears later.
   */
  async destroy(): Promise<void> {
    this.aborted = true;
    await this.creating?.catch(() => undefined);
    for (const s of this.servers.splice(0)) {
      if (s.exitCode === null && s.signalCode === null) {
        const gone = new Promise((r) => s.once('exit', r));
        s.kill('SIGKILL');
        await gone;
      }
    }
    for (const ns of this.namespaces.splice(0).reverse()) {
      await execa('ip', ['netns', 'del', ns], { reject: false });
    }
  }
}
