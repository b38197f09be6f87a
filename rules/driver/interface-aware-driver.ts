// The DataplaneDriver plus the node's interfaces (issue 13 item 4): an interface monitor
// (iface-monitor.ts) in the namespace the driver programs, whose readings become the compiler's
// DataplaneState.hostInterfaces (the this-host set, kube-ipvs0 switching kube-proxy IPVS support).
// The first reading is taken before the driver's first apply, so that apply has it (Felix's first
// apply waits for its interface monitor too: felix/dataplane/linux/int_dataplane.go). A reading is
// applied only when it changes this-host or the IPVS mode; kube-ipvs0 appearing or going is applied
// live, where Felix restarts (int_dataplane.go checkIPVSConfigOnStateUpdate) to the same end state.
import { DataplaneDriver, type DataplaneDriverOptions } from './driver.js';
import { startHostMonitor, type HostMonitorOptions, type InterfaceMonitor } from './iface-monitor.js';
import type { HostInterfaces } from '../compiler/host-ifaces.js';

export interface InterfaceAwareDriverOptions extends DataplaneDriverOptions {
  /** Re-read every resyncMs (InterfaceRefreshInterval) and, with events, on `ip monitor` lines; absent: never (tests). */
  readonly hostInterfaces?: HostMonitorOptions;
}

export class InterfaceAwareDriver extends DataplaneDriver {
  private monitor: InterfaceMonitor | undefined;

  constructor(private readonly ifaceOpts: InterfaceAwareDriverOptions) {
    super(ifaceOpts);
  }

  /**
   * The monitor's first reading (none in a dry run) and the driver's detection side by side: they
   * run different commands and neither needs the other. The first apply waits for both.
   */
  override async start(): Promise<void> {
    if (this.isStarted) return;
    const [mon, prep] = await Promise.allSettled([
      this.monitor
        ? Promise.resolve(this.monitor)
        : startHostMonitor(this.ifaceOpts, this.runner, this.log, this),
      this.prepare(),
    ]);
    if (mon.status === 'fulfilled') this.monitor = mon.value;
    if (mon.status === 'rejected') throw mon.reason;
    if (prep.status === 'rejected') throw prep.reason;
    this.begin();
  }

  override async stop(): Promise<void> {
    this.monitor?.stop();
    this.monitor = undefined;
    await super.stop();
  }

  /** A reading of the node's interfaces (the monitor's, or a test's). */
  onHostInterfaces(h: HostInterfaces): void {
    // An empty batch recompiles and schedules an apply (after InSync), as a message would. So does a
    // workload interface appearing whose rp_filter waits for it.
    const appeared = this.rpFilter?.linksAppeared(h.links) ?? false;
    if (this.source.setHostInterfaces?.(h) !== false || appeared) this.onMessages([]);
  }
}
