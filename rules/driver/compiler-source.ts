// The normal desired-state source: the rule compiler's DataplaneState fed with messages, compiled
// on demand (rules/compiler). A message the compiler rejects is logged and skipped, never fatal. The
// last compiled desired state is kept (`last`): `felix-ts inspect` and the metrics read it.
import type { ToDataplane } from '../dataplane-api/types.js';
import type { DesiredState } from '../model.js';
import { DataplaneState, compile, type CompilerConfig } from '../compiler/index.js';
import { DataplaneError } from '../backend/errors.js';
import type { DesiredStateSource } from './source.js';
import type { DataplaneFeatures } from '../backend/features.js';
import type { DriverLogger } from './logger.js';
import { kubeIPVSPresent, type HostInterfaces } from '../compiler/host-ifaces.js';
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

  /** The interface monitor's reading: this-host and kube-ipvs0 (issue 13 item 4). */
  setHostInterfaces(h: HostInterfaces): void {
    this.state.hostInterfaces = h;
    const marks = allocateMarks(
      this._config.iptablesMarkMask,
      this._config.wireguardEnabled || this._config.wireguardEnabledV6,
    );
    if (kubeIPVSPresent(h) && marks?.endpoint === 0 && this._config.kubeIPVSSupportEnabled !== false)
      this.log.warn(
        'kube-proxy IPVS mode detected but IptablesMarkMask leaves no endpoint mark bits; IPVS support is off',
        {
          iptablesMarkMask: this._config.iptablesMarkMask,
        },
      );
  }

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

  desired(): DesiredState {
    try {
      this._last = compile(this.state, this._config);
      return this._last;
    } catch (err) {
      throw new DataplaneError('ERR_COMPILE', `compile failed: ${String(err)}`, { cause: err });
    }
  }
}
