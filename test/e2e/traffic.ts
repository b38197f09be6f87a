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
export async function probe(
  topo: Topology,
  from: string,
  to: string,
  port: number | 'icmp',
  timeoutMs = 1000,
): Promise<boolean> {
  const dst = topo.pod(to).ip;
  if (port === 'icmp') return topo.ping(from, dst);
  const r = await topo.pod(from).worker.connect(dst, port, timeoutMs);
  return r.ok;
}

/** Probes every flow once (concurrently) and returns what each got. */
export async function probeAll(topo: Topology, flows: readonly Flow[]): Promise<FlowResult[]> {
  return Promise.all(
    flows.map(async (f) => ({
      ...f,
      got: (await probe(topo, f.from, f.to, f.port)) ? ('allow' as const) : ('deny' as const),
    })),
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
export const allow = (from: string, to: string, port: number | 'icmp'): Flow => ({
  from,
  to,
  port,
  expect: 'allow',
});
export const deny = (from: string, to: string, port: number | 'icmp'): Flow => ({
  from,
  to,
  port,
  expect: 'deny',
});

/**
 * Makes `change` and measures when a flow flips to `expect`, in ms from the moment the change
 * started. A new probe starts every `everyMs` (each with its own timeout), so a dropped SYN waiting
 * for retransmission does not hide the moment the rules changed. The flip time is the start of
 * the first probe of the final unbroken run of `stableRun` probes that all got `expect`; returns
 * undefined if that did not happen for probes started within `withinMs`.
 */
export async function measureFlip(
  topo: Topology,
  flow: { from: string; to: string; port: number },
  expect: 'allow' | 'deny',
  change: () => Promise<unknown>,
  opts: { withinMs?: number; everyMs?: number; probeTimeoutMs?: number; stableRun?: number } = {},
): Promise<number | undefined> {
  const t0 = performance.now();
  await change();
  const withinMs = opts.withinMs ?? 5000;
  const everyMs = opts.everyMs ?? 25;
  const stableRun = opts.stableRun ?? 8;
  const results: { start: number; got: 'allow' | 'deny' | undefined }[] = [];
  const inflight: Promise<void>[] = [];
  const flipAt = (): number | undefined => {
    // Walk back from the newest completed probe while the results match.
    let run = 0;
    let first: number | undefined;
    for (let i = results.length - 1; i >= 0; i--) {
      const r = results[i]!;
      if (r.got === undefined) {
        if (run === 0) continue; // still in flight at the tail
        break;
      }
      if (r.got !== expect) break;
      run++;
      first = r.start;
    }
    return run >= stableRun ? first : undefined;
  };
  while (performance.now() - t0 <= withinMs) {
    const slot = { start: performance.now() - t0, got: undefined as 'allow' | 'deny' | undefined };
    results.push(slot);
    inflight.push(
      probe(topo, flow.from, flow.to, flow.port, opts.probeTimeoutMs ?? 1000).then((ok) => {
        slot.got = ok ? 'allow' : 'deny';
      }),
    );
    if (flipAt() !== undefined) break;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  await Promise.all(inflight);
  return flipAt();
}
