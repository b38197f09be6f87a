// The text of the daemon's health reports and the JSON details of /readiness and /liveness
// (docs/operations.md "Health"): pure functions of DaemonStatus.
import type { HealthReport } from '../health/index.js';
import type { CalcCounts, DataplaneCounts } from '../metrics/index.js';
import type { DaemonStatus } from './status.js';

/** CalculationGraph: ready when connected to Typha and in sync. */
export function calcGraphReport(s: DaemonStatus): HealthReport {
  const t = s.typha;
  const ready = t.connected && s.syncStatus === 'in-sync';
  const detail = !t.connected
    ? t.lastDisconnectReason
      ? `Not connected to Typha: ${t.lastDisconnectReason}`
      : 'Not connected to Typha'
    : ready
      ? ''
      : `Sync status: ${s.syncStatus}`;
  return { live: true, ready, detail };
}

/**
 * InternalDataplaneMainLoop: ready after the first apply, while the last apply succeeded in full.
 * A chain or set the kernel refused (isolated, everything else programmed) keeps it not ready and
 * is named in the detail until an apply gets it in. So do our rules left in the iptables backend
 * not in use that the sweep could not remove: they may still drop traffic that policy allows.
 */
export function dataplaneReport(dp: DaemonStatus['dataplane']): HealthReport {
  const ready = dp.firstApplyDone && !dp.lastApplyFailed;
  const detail = !dp.started
    ? dp.lastApplyFailed
      ? dp.lastApplyError
      : 'Waiting for the datastore to be in sync'
    : !dp.firstApplyDone
      ? dp.lastApplyFailed
        ? `First apply failed: ${dp.lastApplyError}`
        : 'Waiting for the first apply'
      : dp.lastApplyFailed
        ? `Last apply failed: ${dp.lastApplyError}`
        : dp.refused
          ? `Refused by the kernel, retrying: ${dp.refused}`
          : dp.otherBackend
            ? `Calico rules in the iptables backend not in use could not be removed, retrying: ${dp.otherBackend}`
            : '';
  return { live: true, ready: ready && !dp.refused && !dp.otherBackend, detail };
}

/** "ipv4 filter chain cali-x, ipv6 ipset cali60s:y": what the readiness detail names. */
export function refusedDetail(
  refused: readonly {
    readonly ipVersion: number;
    readonly table: string;
    readonly kind: string;
    readonly name: string;
  }[],
): string {
  return refused
    .map((r) => `ipv${r.ipVersion} ${r.kind === 'set' ? 'ipset' : `${r.table} chain`} ${r.name}`)
    .join(', ');
}

export interface DetailsInput {
  readonly status: DaemonStatus;
  readonly version: string;
  readonly hostname: string;
  readonly nowMs: number;
  readonly dataplaneCounts: DataplaneCounts | undefined;
  readonly calcCounts: CalcCounts | undefined;
  readonly mainLoop: { readonly queued: number; readonly jobs: number; readonly errors: number };
  readonly datastoreConfigKeys: number;
}

/** The `details` object of the JSON health body (also what `felix-ts status` prints). */
export function healthDetails(d: DetailsInput): Record<string, unknown> {
  const s = d.status;
  const ageMs = (t: number): number | null => (t > 0 ? d.nowMs - t : null);
  return {
    version: d.version,
    hostname: d.hostname,
    typha: { ...s.typha, lastUpdateAgeMs: ageMs(s.typha.lastUpdateMs) },
    syncStatus: s.syncStatus,
    dataplane: {
      ...s.dataplane,
      lastApplyTime: s.dataplane.lastApplyMs > 0 ? new Date(s.dataplane.lastApplyMs).toISOString() : null,
      counts: d.dataplaneCounts ?? null,
    },
    counts: {
      ...(d.calcCounts ?? {}),
      kvsProcessed: s.kvsProcessed,
      messagesToDataplane: s.messagesToDataplane,
    },
    mainLoop: d.mainLoop,
    timeToTyphaMs: s.timeToTyphaMs,
    timeToInSyncMs: s.timeToInSyncMs,
    timeToFirstApplyMs: s.timeToFirstApplyMs,
    datastoreConfigKeys: d.datastoreConfigKeys,
    unsupported: [...s.unsupported, ...s.unsupportedInUse],
  };
}
