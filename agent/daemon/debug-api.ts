// The health server's /debug handlers, behind `felix-ts inspect endpoint|chains`: what the calc
// graph knows about a local endpoint, and the chains the compiler produced last (./inspect.ts).
import type { DebugHandler } from '../health/index.js';
import type { CalcLike, CompiledView } from './deps.js';
import { describeChains } from './inspect.js';

/** What the handlers read, at request time (both are absent early in the start-up). */
export interface DebugSources {
  readonly calc: () => CalcLike | undefined;
  readonly compiled: () => CompiledView | undefined;
}

export function debugHandlers(src: DebugSources): Record<string, DebugHandler> {
  const chains = (): ReturnType<typeof describeChains> => describeChains(src.compiled()?.last);
  return {
    endpoint: (q) => {
      const name = q.get('name') ?? '';
      if (name === '') return { status: 400, body: { error: 'name is required' } };
      const ep = src.calc()?.describeEndpoint(name);
      if (ep === null || ep === undefined)
        return { status: 404, body: { error: `no local endpoint ${JSON.stringify(name)}` } };
      return { status: 200, body: { endpoint: ep, chains: chains() } };
    },
    chains: () => ({ status: 200, body: chains() }),
  };
}
