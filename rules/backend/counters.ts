// Counters shared by the writers, read by health and metrics (docs/operations.md).
export interface DataplaneCounters {
  iptablesRestoreCalls: number;
  iptablesRestoreErrors: number;
  iptablesSaveCalls: number;
  iptablesSaveErrors: number;
  ipsetCalls: number;
  ipsetErrors: number;
  /** Date.now() of the last successful apply. */
  lastApplyTime: number | undefined;
  lastError: string | undefined;
}

export function newCounters(): DataplaneCounters {
  return {
    iptablesRestoreCalls: 0,
    iptablesRestoreErrors: 0,
    iptablesSaveCalls: 0,
    iptablesSaveErrors: 0,
    ipsetCalls: 0,
    ipsetErrors: 0,
    lastApplyTime: undefined,
    lastError: undefined,
  };
}
