// Interface dispatch chains with Felix's one-level prefix tree (felix/rules/dispatch.go;
// felix/rules/dispatch.go).
import { safeChainName } from './hash.js';
import { act, m, type IChain, type IRule } from './rule.js';

export interface DispatchSpec {
  /** Root chain, e.g. cali-from-wl-dispatch. Child chains are "<root>-<nextchar>". */
  readonly root: string;
  /** Endpoint chain prefix the rules go to, e.g. cali-fw-. */
  readonly endpointPrefix: string;
  readonly direction: 'in' | 'out';
  /** Rules at the end of the root and of every child chain. */
  readonly endRules: readonly IRule[];
}

export interface PrefixTree {
  readonly common: string;
  /** Bins in sorted order: [binPrefix, sorted names]. */
  readonly bins: ReadonlyArray<readonly [string, readonly string[]]>;
}

function commonPrefix(sorted: readonly string[]): string {
  if (sorted.length === 0) return '';
  // For sorted input the common prefix of all names is that of the first and last.
  const a = sorted[0] as string;
  const b = sorted[sorted.length - 1] as string;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return a.slice(0, i);
}

/** sortAndDivideEndpointNamesToPrefixTree: sort, dedupe, bin by name[:len(common)+1]. */
export function prefixTree(names: readonly string[]): PrefixTree {
  const sorted = [...new Set(names)].sort();
  const common = commonPrefix(sorted);
  const bins = new Map<string, string[]>();
  for (const n of sorted) {
    const key = n.length > common.length ? n.slice(0, common.length + 1) : common;
    let bin = bins.get(key);
    if (!bin) bins.set(key, (bin = []));
    bin.push(n);
  }
  return { common, bins: [...bins.entries()] };
}

/** buildSingleDispatchChains: child chains first, then the root (goto everywhere, felix/rules/dispatch.go). */
export function dispatchChains(names: readonly string[], spec: DispatchSpec): IChain[] {
  const { common, bins } = prefixTree(names);
  const match = spec.direction === 'in' ? m.inInterface : m.outInterface;
  const target = (iface: string): string => safeChainName(spec.endpointPrefix, iface);
  const children: IChain[] = [];
  const root: IRule[] = [];
  for (const [prefix, ifaces] of bins) {
    if (ifaces.length > 1) {
      const child = `${spec.root}-${prefix.slice(common.length)}`;
      root.push({ match: [match(prefix + '+')], action: act.goto(child), comments: [] });
      const rules: IRule[] = ifaces.map((i) => ({
        match: [match(i)],
        action: act.goto(target(i)),
        comments: [],
      }));
      children.push({ name: child, rules: [...rules, ...spec.endRules] });
    } else {
      const i = ifaces[0] as string;
      root.push({ match: [match(i)], action: act.goto(target(i)), comments: [] });
    }
  }
  return [...children, { name: spec.root, rules: [...root, ...spec.endRules] }];
}
