// Traffic matrices: each flow is a real TCP connect with an echoed round trip (netns-worker) or
// one ICMP echo (ping -W 1), from one pod namespace to another pod's IP.
import type { Topology } from './topology.js';
import { pollUntil } from './poll.js';

export interface Flow {
  readonly from: string;
  readonly to: string;
  /** TCP port, or 'icmp' for one ping. */
  readonly port: number | 'icmp';
  readonly expect: 'allow' | 'deny';
}

export interface FlowResult extends Flow {
  readonly got: 'allow' | 'deny';
}

export function flowName(f: Flow): string {
  return `${f.from} -> ${f.to}:${f.port}`;
}

/** Probes one flow once. A TCP attempt that does not complete in timeoutMs counts as denied. */
export async function probe(topo: Topology, from: string, to: string, port: number | 'icmp', timeoutMs = 1000): Promise<boolean> {
  const dst = topo.pod(to).ip;
  if (port === 'icmp') return topo.ping(from, dst);
  const r = await topo.pod(from).worker.connect(dst, port, timeoutMs);
  return r.ok;
}

/** Probes every flow once (concurrently) and returns what each got. */
export async function probeAll(topo: Topology, flows: readonly Flow[]): Promise<FlowResult[]> {
  return Promise.all(
    flows.map(async (f) => ({ ...f, got: (await probe(topo, f.from, f.to, f.port)) ? ('allow' as const) : ('deny' as const) })),
  );
}

function describeMismatch(results: readonly FlowResult[]): string {
  return results
    .filter((r) => r.got !== r.expect)
    .map((r) => `${flowName(r)} expected ${r.expect}, got ${r.got}`)
    .join('; ');
}

/**
 * Polls the whole matrix until every flow behaves as expected (the agent applies changes
 * asynchronously), failing with the list of mismatching flows after timeoutMs.
 */
export async function expectMatrix(
  topo: Topology,
  flows: readonly Flow[],
  opts: { timeoutMs?: number; what?: string } = {},
): Promise<number> {
  const { elapsedMs } = await pollUntil(
    opts.what ?? 'traffic matrix',
    async () => {
      const results = await probeAll(topo, flows);
      const bad = describeMismatch(results);
      return { ok: bad === '', value: results, describe: bad };
    },
    { timeoutMs: opts.timeoutMs ?? 30_000, intervalMs: 200 },
  );
  return elapsedMs;
}

/** Shorthand to build flows: allow('a', 'b', 80). */
export const allow = (from: string, to: string, port: number | 'icmp'): Flow => ({ from, to, port, expect: 'allow' });
export const deny = (from: string, to: string, port: number | 'icmp'): Flow => ({ from, to, port, expect: 'deny' });
