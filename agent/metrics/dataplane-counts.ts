// The dataplane's numbers for metrics and the health details: the driver's cumulative counters
// (rules/backend/counters.ts) and the sizes of the desired state it last applied.
import type { DesiredState } from '../../rules/model.js';
import type { LineCounts } from './line-counter.js';

/** The driver's cumulative counters (DataplaneDriver.counters). */
export interface DriverCounters {
  readonly iptablesRestoreCalls: number;
  readonly iptablesRestoreErrors: number;
  readonly iptablesSaveCalls: number;
  readonly iptablesSaveErrors: number;
  readonly ipsetCalls: number;
  readonly ipsetErrors: number;
}

export interface DataplaneCounts extends DriverCounters {
  readonly ipsetsTotal: number;
  /** Calico IP sets by IP version. */
  readonly ipsetsCalico: Readonly<Record<string, number>>;
  /** Programmed chains / rules keyed by "<ipVersion>/<table>". */
  readonly iptablesChains: Readonly<Record<string, number>>;
  readonly iptablesRules: Readonly<Record<string, number>>;
  readonly backend?: string;
  /** Restore lines executed (absent when the runner is not counted, e.g. test drivers). */
  readonly lines?: LineCounts;
}

/** What the metrics read from a driver (DataplaneDriver satisfies it). */
export interface CountedDriver {
  readonly counters: DriverCounters;
  readonly backend: string | undefined;
}

interface SizeCounts {
  readonly chains: Record<string, number>;
  readonly rules: Record<string, number>;
  readonly sets: Record<string, number>;
}

/** The sizes of one desired state, counted once: the readiness and metrics endpoints ask on every request. */
const SIZES = new WeakMap<DesiredState, SizeCounts>();

function desiredCounts(desired: DesiredState): SizeCounts {
  const memo = SIZES.get(desired);
  if (memo) return memo;
  const chains: Record<string, number> = {};
  const rules: Record<string, number> = {};
  const sets: Record<string, number> = {};
  for (const t of desired.tables) {
    const k = `${t.family}/${t.table}`;
    chains[k] = t.chains.size;
    let n = 0;
    for (const ch of t.chains.values()) n += ch.rules.length;
    for (const r of t.inserts.values()) n += r.length;
    for (const r of t.appends.values()) n += r.length;
    rules[k] = n;
  }
  for (const s of desired.ipsets.values()) sets[String(s.family)] = (sets[String(s.family)] ?? 0) + 1;
  const out = { chains, rules, sets };
  SIZES.set(desired, out);
  return out;
}

export function dataplaneCounts(
  driver: CountedDriver,
  desired: DesiredState | undefined,
  lines?: LineCounts,
): DataplaneCounts {
  const c = driver.counters;
  const { chains, rules, sets } = desired ? desiredCounts(desired) : { chains: {}, rules: {}, sets: {} };
  return {
    iptablesRestoreCalls: c.iptablesRestoreCalls,
    iptablesRestoreErrors: c.iptablesRestoreErrors,
    iptablesSaveCalls: c.iptablesSaveCalls,
    iptablesSaveErrors: c.iptablesSaveErrors,
    ipsetCalls: c.ipsetCalls,
    ipsetErrors: c.ipsetErrors,
    ipsetsTotal: desired?.ipsets.size ?? 0,
    ipsetsCalico: sets,
    iptablesChains: chains,
    iptablesRules: rules,
    ...(driver.backend ? { backend: driver.backend } : {}),
    ...(lines ? { lines } : {}),
  };
}
