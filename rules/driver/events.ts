// What the driver reports after each apply.
import type { DataplaneError } from '../backend/errors.js';
import type { IpFamily, TableName } from '../model.js';
import type { CpuBeforeRestore } from './cpu-clock.js';

export interface ApplyEvent {
  readonly durationMs: number;
  /** `<ipv4|ipv6>/<table>:<chain>` for every chain written (created, changed, deleted, hooked). */
  readonly changedChains: readonly string[];
  /** iptables-restore processes run (0 when the kernel already matched). */
  readonly restoreCalls: number;
  /** Sets created, changed or destroyed. */
  readonly changedSets: readonly string[];
  /** What the kernel refused in this apply; everything else was programmed. Retried on back-off. */
  readonly refused: readonly RefusedItem[];
  /** The apply programmed the state of the first this-many messages given to onMessages (later ones wait). */
  readonly messages: number;
  /** Why our rules in the iptables backend not in use could not be removed ([] = swept or nothing there). */
  readonly otherBackendErrors?: readonly string[];
  /** CPU from the first update this apply covers to its first restore (cpu-clock.ts); none ran: undefined. */
  readonly cpuBeforeRestore?: CpuBeforeRestore;
}

/** A chain or set the kernel refused, isolated so that the rest could be programmed. */
export interface RefusedItem {
  readonly ipVersion: IpFamily;
  /** raw, mangle, nat, filter, or 'ipsets'. */
  readonly table: TableName | 'ipsets';
  readonly kind: 'chain' | 'set';
  readonly name: string;
  readonly reason: string;
}

export interface DriverEvents {
  apply: [ApplyEvent];
  'apply-error': [{ readonly error: DataplaneError }];
  'first-apply': [ApplyEvent];
}
