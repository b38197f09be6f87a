// Where the driver's desired state comes from: something that absorbs calc->dataplane messages
// and can produce a DesiredState on demand (normally the rule compiler, rules/compiler).
import type { ToDataplane } from '../dataplane-api/types.js';
import type { DesiredState, IpSetState } from '../model.js';
import type { DataplaneFeatures } from '../backend/features.js';
import type { HostInterfaces } from '../compiler/host-ifaces.js';

export interface DesiredStateSource {
  apply(msgs: readonly ToDataplane[]): void;
  desired(): DesiredState;
  /**
   * The IP sets desired() would start from, without compiling the tables (compileIpSets); the driver
   * writes them while the tables compile. Absent: the driver writes the sets after desired().
   */
  desiredIpSets?(): ReadonlyMap<string, IpSetState>;
  /** The kernel's and iptables' detected features, once the backend is chosen (rules/backend/features.ts). */
  setFeatures?(f: DataplaneFeatures): void;
  /** The node's interfaces and local addresses (rules/driver/iface-monitor.ts); false: nothing to apply. */
  setHostInterfaces?(h: HostInterfaces): boolean;
}

/** A source that ignores messages and returns whatever was last set (tests, bench, demo). */
export class StaticSource implements DesiredStateSource {
  private state: DesiredState;
  constructor(initial: DesiredState = { tables: [], ipsets: new Map() }) {
    this.state = initial;
  }
  set(state: DesiredState): void {
    this.state = state;
  }
  apply(): void {
    // Messages carry no state for a static source.
  }
  desired(): DesiredState {
    return this.state;
  }
}
