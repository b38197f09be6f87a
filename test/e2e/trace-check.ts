// `felix-ts trace` against real packets: after a traffic matrix holds, every flow of it is traced
// with the real CLI inside the node namespace (against the running agent's /debug/trace), and the
// trace's verdict must equal what the packets got. The rule the trace names must be one the kernel
// really has: each kernel rule's `cali:<hash>` must be in the node's iptables-save output, and a
// policy or profile decision must name the policy or profile the chain comment carries.
import assert from 'node:assert/strict';
import { inNs, run } from './exec.js';
import { agentMain } from './paths.js';
import { HEALTH_PORT } from './agent.js';
import type { Cluster } from './cluster.js';
import { expectMatrix, flowName, type Flow } from './traffic.js';

interface TraceJson {
  readonly verdict: 'allow' | 'deny';
  readonly directions: readonly {
    readonly direction: string;
    readonly verdict: string;
    readonly decidedBy: string;
    readonly policy?: string;
    readonly profile?: string;
    readonly kernel: readonly { readonly chain: string; readonly hash: string }[];
  }[];
}

/** Runs `felix-ts trace <from> <to> <packet> --json` in the node namespace; returns exit code and JSON. */
export async function runTrace(
  c: Cluster,
  from: string,
  to: string,
  packet: string,
): Promise<{ code: number; json: TraceJson }> {
  const argv = [
    process.execPath,
    agentMain,
    'trace',
    from,
    to,
    packet,
    '--json',
    '--host',
    '127.0.0.1',
    '--port',
    String(HEALTH_PORT),
  ];
  const r = await run(inNs(c.topo.nodeNs, argv), { timeoutMs: 30_000 });
  assert.ok(r.code === 0 || r.code === 1, `trace ${from} ${to} ${packet} exited ${r.code}: ${r.stderr}`);
  return { code: r.code, json: JSON.parse(r.stdout) as TraceJson };
}

function podRef(c: Cluster, name: string): string {
  const p = c.pod(name);
  return `${p.namespace}/${p.name}`;
}

/** Traces every flow; each verdict must be the flow's (already observed) packet result. */
export async function expectTraceAgrees(c: Cluster, flows: readonly Flow[]): Promise<void> {
  const save = await c.topo.iptablesSave();
  const bad: string[] = [];
  // A few at a time: each is one node process, and the machine is small.
  for (let i = 0; i < flows.length; i += 4) {
    await Promise.all(
      flows.slice(i, i + 4).map(async (f, j) => {
        const packet = f.port === 'icmp' ? 'icmp' : `tcp/${f.port}`;
        // Every other flow names the destination by its IP (a local workload's address is that workload).
        const to = (i + j) % 2 === 0 ? podRef(c, f.to) : c.pod(f.to).ip;
        const { code, json } = await runTrace(c, podRef(c, f.from), to, packet);
        if (json.verdict !== f.expect) bad.push(`${flowName(f)}: packets ${f.expect}, trace ${json.verdict}`);
        assert.equal(code, json.verdict === 'allow' ? 0 : 1, `${flowName(f)}: exit code follows the verdict`);
        assert.equal(json.directions.length, 2, `${flowName(f)}: both ends are local workloads`);
        for (const d of json.directions) {
          assert.ok(d.kernel.length > 0, `${flowName(f)} ${d.direction}: names a kernel rule`);
          for (const k of d.kernel)
            assert.ok(
              save.includes(`cali:${k.hash}`),
              `${flowName(f)} ${d.direction}: rule ${k.hash} of ${k.chain} is in the kernel`,
            );
          const owner = d.policy ?? d.profile;
          if (owner !== undefined) {
            const comment = save
              .split('\n')
              .find(
                (l) => l.startsWith(`-A ${d.kernel[0]?.chain} `) && l.includes(owner.split('/').at(-1) ?? ''),
              );
            assert.ok(comment, `${flowName(f)} ${d.direction}: chain ${d.kernel[0]?.chain} is ${owner}'s`);
          }
        }
      }),
    );
  }
  assert.deepEqual(bad, [], `trace disagrees with packets: ${bad.join('; ')}`);
}

/** expectMatrix, then every flow of it traced (the trace's verdict must be the packets'). */
export async function expectMatrixTraced(c: Cluster, flows: readonly Flow[]): Promise<void> {
  await expectMatrix(c.topo, flows);
  await expectTraceAgrees(c, flows);
}
