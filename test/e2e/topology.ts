// The e2e network: a "node" namespace (where the agent runs and programs iptables), one or two
// "typha" namespaces reached over veth uplinks, and pod namespaces wired the way Calico's CNI
// plugin wires them (felix/rules/static.go: cali* host-side interfaces):
//   pod:  eth0 with <podIP>/32, route 169.254.1.1 dev eth0 scope link, default via 169.254.1.1
//   node: cali<11 hex> (the veth peer), route <podIP>/32 dev cali..., proxy_arp=1 on it,
//         proxy_delay=0, ip_forward=1.
// Every name includes the test process id, so parallel runs never collide, and veths are created
// directly inside the namespaces (ip -n ... peer netns ...), so the root namespace is not touched.
import { createHash } from 'node:crypto';
import { must, run, inNs, runSyncQuiet } from './exec.js';
import { NetnsWorker } from './worker.js';
import { cniPodCommands } from '../../tools/demo/netns.js';

export interface PodSpec {
  /** Kubernetes pod name. */
  readonly name: string;
  /** Kubernetes namespace. */
  readonly namespace: string;
  readonly ip: string;
  /** TCP ports the pod serves (echo). */
  readonly ports: readonly number[];
}

export interface Pod extends PodSpec {
  readonly netns: string;
  /** Host-side interface in the node namespace (the WorkloadEndpoint's "name"). */
  readonly iface: string;
  readonly worker: NetnsWorker;
}

export interface TyphaSite {
  readonly netns: string;
  /** Address of the typha namespace's end of the uplink (where the server listens). */
  readonly ip: string;
}

const liveNamespaces = new Set<string>();
let hookInstalled = false;
let counter = 0;

function trackNs(ns: string): void {
  if (!hookInstalled) {
    hookInstalled = true;
    process.on('exit', () => {
      for (const n of liveNamespaces) runSyncQuiet(['ip', 'netns', 'del', n]);
    });
    // A test runner timeout or ^C must not leave namespaces behind: turn the signal into an
    // ordinary exit so the 'exit' hooks (here and in processes.ts) run.
    process.once('SIGINT', () => process.exit(130));
    process.once('SIGTERM', () => process.exit(143));
  }
  liveNamespaces.add(ns);
}

async function addNs(ns: string): Promise<void> {
  await must(['ip', 'netns', 'add', ns]);
  trackNs(ns);
  await must(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
}

async function delNs(ns: string): Promise<void> {
  await run(['ip', 'netns', 'del', ns]);
  liveNamespaces.delete(ns);
}

/** Calico's CNI names the host side "cali" + 11 hex chars of a hash of the workload (≤15 chars). */
export function caliName(namespace: string, pod: string): string {
  return 'cali' + createHash('sha1').update(`${namespace}.${pod}`).digest('hex').slice(0, 11);
}

async function sysctl(ns: string, key: string, value: string): Promise<void> {
  await must(inNs(ns, ['sysctl', '-q', '-w', `${key}=${value}`]));
}

export class Topology {
  readonly pods = new Map<string, Pod>();
  private nodeWorkerP: Promise<NetnsWorker> | undefined;
  private destroyed = false;

  private constructor(
    readonly id: string,
    readonly nodeNs: string,
    readonly typhas: readonly TyphaSite[],
  ) {}

  /** Builds the node namespace, `typhaCount` uplinks and the given pods. */
  static async create(opts: {
    pods: readonly PodSpec[];
    typhaCount?: number;
    /** Namespace-name prefix (default E2E_NETNS_PREFIX, else fe2e). */
    prefix?: string;
  }): Promise<Topology> {
    // E2E_NETNS_PREFIX (default fe2e) lets concurrent users of one machine tell their namespaces apart.
    const id = `${opts.prefix ?? process.env.E2E_NETNS_PREFIX ?? 'fe2e'}-${process.pid}-${++counter}`;
    const nodeNs = `${id}-node`;
    const typhas: TyphaSite[] = [];
    const topo = new Topology(id, nodeNs, typhas);
    try {
      await addNs(nodeNs);
      await sysctl(nodeNs, 'net.ipv4.ip_forward', '1');
      for (let i = 1; i <= (opts.typhaCount ?? 1); i++) {
        const tns = `${id}-typha${i}`;
        await addNs(tns);
        const up = `uplink${i}`;
        await must([
          'ip',
          '-n',
          nodeNs,
          'link',
          'add',
          up,
          'type',
          'veth',
          'peer',
          'name',
          'eth0',
          'netns',
          tns,
        ]);
        await must(['ip', '-n', nodeNs, 'addr', 'add', `172.31.${i}.1/24`, 'dev', up]);
        await must(['ip', '-n', tns, 'addr', 'add', `172.31.${i}.2/24`, 'dev', 'eth0']);
        await must(['ip', '-n', nodeNs, 'link', 'set', up, 'up']);
        await must(['ip', '-n', tns, 'link', 'set', 'eth0', 'up']);
        typhas.push({ netns: tns, ip: `172.31.${i}.2` });
      }
      // A default route out of the node (as on a real host) is what makes proxy ARP answer for
      // 169.254.1.1: the kernel proxies only for targets it routes via another interface.
      await must(['ip', '-n', nodeNs, 'route', 'add', 'default', 'via', '172.31.1.2']);
      for (const spec of opts.pods) await topo.addPod(spec);
      return topo;
    } catch (err) {
      await topo.destroy();
      throw err;
    }
  }

  pod(name: string): Pod {
    const p = this.pods.get(name);
    if (!p) throw new Error(`no pod ${name} in topology ${this.id}`);
    return p;
  }

  /** Creates a pod namespace wired like Calico's CNI and starts its traffic worker. */
  async addPod(spec: PodSpec): Promise<Pod> {
    const netns = `${this.id}-p-${spec.name}`.slice(0, 60);
    const iface = caliName(spec.namespace, spec.name);
    await addNs(netns);
    for (const cmd of cniPodCommands(this.nodeNs, netns, iface, spec.ip)) await must(cmd);
    const worker = await NetnsWorker.start(netns, spec.ports);
    const pod: Pod = { ...spec, netns, iface, worker };
    this.pods.set(spec.name, pod);
    return pod;
  }

  /** Stops the pod's worker and deletes its veth and namespace (the route goes with the veth). */
  async removePod(name: string): Promise<void> {
    const pod = this.pod(name);
    this.pods.delete(name);
    await pod.worker.stop();
    await run(['ip', '-n', this.nodeNs, 'link', 'del', pod.iface]);
    await delNs(pod.netns);
  }

  /** A worker inside the node namespace (for the agent's health endpoint on its loopback). */
  nodeWorker(): Promise<NetnsWorker> {
    this.nodeWorkerP ??= NetnsWorker.start(this.nodeNs, []);
    return this.nodeWorkerP;
  }

  /** ICMP echo from a pod: one packet, 1 s wait. */
  async ping(from: string, toIp: string): Promise<boolean> {
    const res = await run(inNs(this.pod(from).netns, ['ping', '-n', '-q', '-c', '1', '-W', '1', toIp]), {
      timeoutMs: 10_000,
    });
    return res.code === 0;
  }

  /**
   * The node namespace's filter table as both backends see it (the agent may pick either:
   * felix/environment/feature_detect_linux.go), concatenated.
   */
  async iptablesSave(): Promise<string> {
    const outs = await Promise.all(
      ['iptables-legacy-save', 'iptables-nft-save'].map((bin) =>
        run(inNs(this.nodeNs, [bin, '-t', 'filter'])),
      ),
    );
    return outs.map((o) => o.stdout).join('\n');
  }

  /** Names of the IP sets in the node namespace. */
  async ipsetNames(): Promise<string[]> {
    const out = await must(inNs(this.nodeNs, ['ipset', 'list', '-n']));
    return out.split('\n').filter((l) => l !== '');
  }

  /** Idempotent teardown: workers, then every namespace of this topology. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    const workers = [...this.pods.values()].map((p) => p.worker.stop().catch(() => undefined));
    if (this.nodeWorkerP) workers.push(this.nodeWorkerP.then((w) => w.stop()).catch(() => undefined));
    await Promise.all(workers);
    for (const ns of [...liveNamespaces]) if (ns.startsWith(`${this.id}-`)) await delNs(ns);
  }
}
