// bench/e2e-enforcement: how long after a policy change does the kernel enforce it, end to end
// (Typha-protocol server -> agent over mTLS -> calc -> compile -> iptables-restore)? The
// baseline, run side by side on the same topology and the same flow, is the kernel floor: the
// same flow flipped by one `iptables -I/-D FORWARD` in the node namespace. Needs root.
//
//   npx tsc -p tsconfig.json && node dist/bench/e2e-enforcement.js [--reps 10]
import {
  allow,
  Cluster,
  deny,
  expectMatrix,
  inNs,
  isRoot,
  kv,
  measureFlip,
  must,
} from '../test/e2e/index.js';

const { flipPolicies } = kv;

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function main(): Promise<void> {
  if (!isRoot()) {
    console.error('bench/e2e-enforcement needs root (network namespaces, iptables)');
    process.exit(2);
  }
  const reps = arg('reps', 10);
  const c = await Cluster.start({
    pods: [
      { name: 'src', namespace: 'bench', ip: '10.65.90.1', ports: [8080], labels: { app: 'src' } },
      { name: 'dst', namespace: 'bench', ip: '10.65.90.2', ports: [8080], labels: { app: 'dst' } },
    ],
    figureName: 'bench_agent_start_to_ready',
  });
  const flow = { from: 'src', to: 'dst', port: 8080 };
  const { closed, open } = flipPolicies('bench', "app == 'dst'", 8080);
  // The raw rule uses the backend the agent chose, so both paths hit the same kernel tables.
  const save = await must(inNs(c.topo.nodeNs, ['iptables-legacy-save', '-t', 'filter']));
  const ipt = save.includes('cali-FORWARD') ? 'iptables-legacy' : 'iptables-nft';
  const rule = ['FORWARD', '-o', c.pod('dst').iface, '-p', 'tcp', '--dport', '8080', '-j', 'DROP'];
  const raw = (op: '-I' | '-D'): Promise<string> => must(inNs(c.topo.nodeNs, [ipt, op, ...rule]));
  const agentMs: number[] = [];
  const rawMs: number[] = [];
  const opts = { everyMs: 5, stableRun: 8 };
  try {
    await c.apply([open]);
    await expectMatrix(c.topo, [allow('src', 'dst', 8080)]);
    for (let i = 0; i < reps; i++) {
      // Agent path: allow -> deny -> allow.
      const d = await measureFlip(c.topo, flow, 'deny', () => c.apply([closed]), opts);
      const a = await measureFlip(c.topo, flow, 'allow', () => c.apply([open]), opts);
      if (d === undefined || a === undefined) throw new Error('agent flip did not happen within 5 s');
      agentMs.push(d, a);
      // Kernel floor: the same flow, one iptables call each way.
      const rd = await measureFlip(c.topo, flow, 'deny', () => raw('-I'), opts);
      const ra = await measureFlip(c.topo, flow, 'allow', () => raw('-D'), opts);
      if (rd === undefined || ra === undefined) throw new Error('raw flip did not happen within 5 s');
      rawMs.push(rd, ra);
    }
    await expectMatrix(c.topo, [allow('src', 'dst', 8080)]);
    await c.apply([closed]);
    await expectMatrix(c.topo, [deny('src', 'dst', 8080)]);
  } finally {
    await c.destroy();
  }
  const ma = median(agentMs);
  const mr = median(rawMs);
  console.log(`flips: ${agentMs.length} agent, ${rawMs.length} raw (probe every ${opts.everyMs} ms)`);
  console.log(
    `agent policy change -> enforced: median ${ma.toFixed(1)} ms, max ${Math.max(...agentMs).toFixed(1)} ms`,
  );
  console.log(
    `raw iptables -I/-D -> enforced:  median ${mr.toFixed(1)} ms, max ${Math.max(...rawMs).toFixed(1)} ms`,
  );
  console.log(`ratio agent/raw (medians): ${(ma / Math.max(mr, 0.001)).toFixed(2)}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
