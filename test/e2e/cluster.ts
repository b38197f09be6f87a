// One e2e "cluster": topology + dev PKI + Typha server(s) in their namespaces + the real agent in
// the node namespace, with the base datastore contents (Ready flag, default tier, a kns.<ns>
// profile per namespace, and a WorkloadEndpoint per pod on this node).
import { AgentProcess } from './agent.js';
import { makeE2ePki, type E2ePki } from './pki.js';
import { figure } from './poll.js';
import { Topology, type Pod, type PodSpec } from './topology.js';
import { TyphaProcess } from './typha.js';
import { defaultTier, del, namespaceProfile, readyFlag, wep, wepKey, type KV } from './fixtures/kv.js';

export interface ClusterPodSpec extends PodSpec {
  readonly labels: Readonly<Record<string, string>>;
  readonly namedPorts?: readonly { name: string; protocol: string; port: number }[];
}

export interface ClusterOpts {
  readonly pods: readonly ClusterPodSpec[];
  readonly typhaCount?: number;
  /** Extra KVs in the initial snapshot. */
  readonly initial?: readonly KV[];
  readonly agentEnv?: Readonly<Record<string, string>>;
  readonly pingIntervalMs?: number;
  /** Label for the start-to-ready figure. */
  readonly figureName?: string;
  /** Namespace-name prefix of the topology (default fe2e). */
  readonly netnsPrefix?: string;
}

export class Cluster {
  readonly hostname: string;
  private readonly specs = new Map<string, ClusterPodSpec>();

  private constructor(
    readonly topo: Topology,
    readonly pki: E2ePki,
    readonly typhas: TyphaProcess[],
    readonly agent: AgentProcess,
  ) {
    this.hostname = `${topo.id}-host`;
  }

  static async start(opts: ClusterOpts): Promise<Cluster> {
    const pki = makeE2ePki();
    let topo: Topology | undefined;
    const typhas: TyphaProcess[] = [];
    try {
      topo = await Topology.create({
        pods: opts.pods,
        typhaCount: opts.typhaCount ?? 1,
        ...(opts.netnsPrefix !== undefined ? { prefix: opts.netnsPrefix } : {}),
      });
      for (const site of topo.typhas) {
        typhas.push(
          await TyphaProcess.start(
            site,
            pki,
            opts.pingIntervalMs !== undefined ? { pingIntervalMs: opts.pingIntervalMs } : {},
          ),
        );
      }
      const hostname = `${topo.id}-host`;
      const agent = new AgentProcess({
        topo,
        pki,
        hostname,
        typhaAddrs: typhas.map((t) => t.addr),
        ...(opts.agentEnv ? { extraEnv: opts.agentEnv } : {}),
      });
      const c = new Cluster(topo, pki, typhas, agent);
      for (const p of opts.pods) c.specs.set(p.name, p);
      const namespaces = [...new Set(opts.pods.map((p) => p.namespace))];
      const base: KV[] = [
        readyFlag(),
        defaultTier(),
        ...namespaces.flatMap((ns) => namespaceProfile(ns, { name: ns })),
        ...opts.pods.map((p) => c.wepFor(p.name)),
        ...(opts.initial ?? []),
      ];
      await c.apply(base);
      for (const t of typhas) await t.status('in-sync');
      const t0 = performance.now();
      agent.start();
      await agent.waitReady(30_000);
      figure(
        opts.figureName ?? 'agent_start_to_ready',
        performance.now() - t0,
        'ms',
        `${opts.pods.length} pods`,
      );
      return c;
    } catch (err) {
      for (const t of typhas) await t.kill().catch(() => undefined);
      await topo?.destroy();
      pki.cleanup();
      throw err;
    }
  }

  pod(name: string): Pod {
    return this.topo.pod(name);
  }

  /** The WorkloadEndpoint KV of a pod in this cluster. */
  wepFor(name: string): KV {
    const p = this.specs.get(name);
    if (!p) throw new Error(`unknown pod ${name}`);
    return wep({
      hostname: this.hostname,
      namespace: p.namespace,
      pod: p.name,
      iface: this.topo.pod(name).iface,
      ip: p.ip,
      labels: p.labels,
      ...(p.namedPorts ? { ports: p.namedPorts } : {}),
    });
  }

  /** Sends KVs to every running Typha server (they all serve the same datastore). */
  async apply(kvs: readonly KV[]): Promise<void> {
    for (const t of this.typhas) if (t.running) await t.apply(kvs);
  }

  /** Adds a pod namespace and then its WorkloadEndpoint (the CNI runs before the datastore update). */
  async addPod(spec: ClusterPodSpec): Promise<Pod> {
    const pod = await this.topo.addPod(spec);
    this.specs.set(spec.name, spec);
    await this.apply([this.wepFor(spec.name)]);
    return pod;
  }

  /** Deletes a pod's WorkloadEndpoint, then its namespace and veth. */
  async removePod(name: string): Promise<void> {
    const p = this.specs.get(name)!;
    await this.apply([del(wepKey(this.hostname, p.namespace, p.name))]);
    this.specs.delete(name);
    await this.topo.removePod(name);
  }

  async destroy(): Promise<void> {
    // E2E_DUMP_LOGS=1 prints the agent's whole log (debugging aid; off in CI).
    if (process.env.E2E_DUMP_LOGS === '1') {
      console.log(`--- agent log (${this.topo.id}) ---\n${this.agent.log.join('\n')}`);
    } else if (this.agent.unexpectedExits() > 0) {
      console.log(`--- agent exited unexpectedly; log tail (${this.topo.id}) ---\n${this.agent.tail(60)}`);
    }
    await this.agent.stop().catch(() => undefined);
    for (const t of this.typhas) await t.stop().catch(() => undefined);
    await this.topo.destroy();
    this.pki.cleanup();
  }
}
