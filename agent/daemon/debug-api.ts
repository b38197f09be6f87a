// The health server's /debug handlers, behind `felix-ts inspect endpoint|chains`: what the calc
// graph knows about a local endpoint, and the chains the compiler produced last (./inspect.ts).
import type { DebugHandler } from '../health/index.js';
import type { CalcLike, CompiledView } from './deps.js';
import { describeChains, describeEndpointChains } from './inspect.js';

/** What the handlers read, at request time (all are absent early in the start-up). */
export interface DebugSources {
  readonly calc: () => CalcLike | undefined;
  readonly compiled: () => CompiledView | undefined;
  /** The chains are computed but not programmed (`run --dry-run`). */
  readonly dryRun?: () => boolean;
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
  };
}
