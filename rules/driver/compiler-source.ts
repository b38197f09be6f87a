// The normal desired-state source: the rule compiler's DataplaneState fed with messages, compiled
// on demand (rules/compiler). A message the compiler rejects is logged and skipped, never fatal. The
// last compiled desired state is kept (`last`): `felix-ts inspect` and the metrics read it.
import type { ToDataplane } from '../dataplane-api/types.js';
import type { DesiredState, IpSetState } from '../model.js';
import { DataplaneState, compile, compileIpSets, type CompilerConfig } from '../compiler/index.js';
import { DataplaneError } from '../backend/errors.js';
import type { DesiredStateSource } from './source.js';
import type { DataplaneFeatures } from '../backend/features.js';
import type { DriverLogger } from './logger.js';
import { kubeIPVSPresent, thisHostMembers, type HostInterfaces } from '../compiler/host-ifaces.js';
import { allocateMarks } from '../compiler/marks.js';

export class CompilerSource implements DesiredStateSource {
  readonly state = new DataplaneState();
  private _config: CompilerConfig;
  private readonly log: DriverLogger;
  /** Messages the compiler rejected (for health/metrics). */
  rejected = 0;
  private _last: DesiredState | undefined;

  constructor(cfg: CompilerConfig, log: DriverLogger) {
    this._config = cfg;
    this.log = log;
  }

  get config(): CompilerConfig {
    return this._config;
  }

  /** Detected --random-fully support; an explicit false in the config (tests) is kept. */
  setFeatures(f: DataplaneFeatures): void {
    this._config = {
      ...this._config,
      masqFullyRandom: this._config.masqFullyRandom === false ? false : f.masqFullyRandom,
      snatFullyRandom: this._config.snatFullyRandom === false ? false : f.snatFullyRandom,
    };
  }

  /**
   * The interface monitor's reading: this-host and kube-ipvs0 (issue 13 item 4). Returns whether it
   * changes what is compiled (a new workload interface, say, does not), so the driver can skip an apply.
   */
  setHostInterfaces(h: HostInterfaces): boolean {
    this.state.hostInterfaces = h;
    const cfg = this._config;
    const ipvs = kubeIPVSPresent(h);
    const key = JSON.stringify([ipvs, thisHostMembers(h, cfg.interfacePrefixes, cfg.interfaceExclude)]);
    if (key === this.hostKey) return false;
    this.hostKey = key;
    const marks = allocateMarks(cfg.iptablesMarkMask, cfg.wireguardEnabled || cfg.wireguardEnabledV6);
    if (ipvs && marks?.endpoint === 0 && cfg.kubeIPVSSupportEnabled !== false)
      this.log.warn(
        'kube-proxy IPVS mode detected but IptablesMarkMask leaves no endpoint mark bits; IPVS support is off',
        { iptablesMarkMask: cfg.iptablesMarkMask },
      );
    return true;
  }
  private hostKey: string | undefined;

  /** What desired() compiled last; undefined until the first successful compile. */
  get last(): DesiredState | undefined {
    return this._last;
  }

  apply(msgs: readonly ToDataplane[]): void {
    for (const m of msgs) {
      try {
        this.state.apply(m);
      } catch (err) {
        this.rejected++;
        this.log.warn('dataplane message rejected by the compiler', { kind: m.kind, error: String(err) });
      }
    }
  }

  desiredIpSets(): ReadonlyMap<string, IpSetState> {
    return compileIpSets(this.state, this._config);
  }

  desired(): DesiredState {
    try {
      this._last = compile(this.state, this._config);
      return this._last;
    } catch (err) {
      throw new DataplaneError('ERR_COMPILE', `compile failed: ${String(err)}`, { cause: err });
    }
  }
}
