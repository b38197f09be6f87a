// The health server's /debug handlers, behind `felix-ts inspect endpoint|chains` and `felix-ts trace`: what the calc
// graph knows about a local endpoint, and the chains the compiler produced last (./inspect.ts).
import type { DebugHandler } from '../health/index.js';
import { effectiveConfig, type LoadedConfig } from '../config/index.js';
import type { CalcLike, CompiledView } from './deps.js';
import { describeChains, describeEndpointChains } from './inspect.js';
import { trace, TraceError } from './trace.js';

/** What the handlers read, at request time (all are absent early in the start-up). */
export interface DebugSources {
  readonly calc: () => CalcLike | undefined;
  readonly compiled: () => CompiledView | undefined;
  /** The chains are computed but not programmed (`run --dry-run`). */
  readonly dryRun?: () => boolean;
  /** The configuration in effect (local sources merged with the datastore's), for `felix-ts diags`. */
  readonly loaded?: () => LoadedConfig | undefined;
}

export function debugHandlers(src: DebugSources): Record<string, DebugHandler> {
  const dryRun = (): boolean => src.dryRun?.() ?? false;
  return {
    endpoint: (q) => {
      const name = q.get('name') ?? '';
      if (name === '') return { status: 400, body: { error: 'name is required' } };
      const calc = src.calc();
      const ep = calc?.describeEndpoint(name) as { iface?: unknown } | null | undefined;
      if (ep === null || ep === undefined) {
        const candidates = calc?.endpointCandidates?.(name) ?? [];
        if (candidates.length > 1)
          return {
            status: 409,
            body: {
              error: `${JSON.stringify(name)} matches ${candidates.length} local endpoints; name one of them`,
              candidates,
            },
          };
        return { status: 404, body: { error: `no local endpoint ${JSON.stringify(name)}` } };
      }
      const iface = typeof ep.iface === 'string' ? ep.iface : '';
      const chains = describeEndpointChains(src.compiled()?.last, iface);
      return { status: 200, body: { endpoint: ep, chains: { chains }, dryRun: dryRun() } };
    },
    chains: () => ({ status: 200, body: { ...describeChains(src.compiled()?.last), dryRun: dryRun() } }),
    config: () => {
      const l = src.loaded?.();
      return l
        ? { status: 200, body: { params: effectiveConfig(l) } }
        : { status: 404, body: { error: 'no configuration' } };
    },
    // `felix-ts trace`: the verdict of a flow over the dataplane's state (./trace.ts).
    trace: (q) => {
      const c = src.compiled();
      if (!c)
        return { status: 503, body: { error: 'the dataplane has not started yet (not in sync with Typha)' } };
      const [from, to] = [q.get('src') ?? '', q.get('dst') ?? ''];
      if (from === '' || to === '') return { status: 400, body: { error: 'src and dst are required' } };
      try {
        // The calc's labels of a local workload ("ns/pod/eth0"), for the selector cross-check.
        const labelsOf = (name: string): Record<string, string> | undefined =>
          (src.calc()?.describeEndpoint(name) as { labels?: Record<string, string> } | undefined)?.labels;
        const sources = { state: c.state, config: c.config, desired: c.last, labelsOf };
        return {
          status: 200,
          body: { ...trace(from, to, q.get('packet') ?? undefined, sources), dryRun: dryRun() },
        };
      } catch (e) {
        if (!(e instanceof TraceError)) throw e;
        const status = e.code === 'ERR_TRACE_ARGS' ? 400 : e.code === 'ERR_TRACE_AMBIGUOUS' ? 409 : 404;
        return { status, body: { error: e.message, code: e.code, candidates: e.candidates } };
      }
    },
  };
}
