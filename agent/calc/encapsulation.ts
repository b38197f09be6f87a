// Encapsulation resolver: which overlays (IPIP, VXLAN, VXLAN over IPv6) are on, from the IP pools and the
// IpInIpEnabled / VXLANEnabled config overrides. Facts from Felix v3.32.1 felix/calc/encapsulation_resolver.go:
// a pool counts for IPIP when its IPIP mode is not Never, for VXLAN (v4 or v6 by the pool's CIDR) when its
// VXLAN mode is not Never; a set config param wins over the pools; VXLANEnabledV6 comes from the pools only.
// felix/daemon/daemon.go restarts Felix (exit code 129, "Exiting for encapsulation change") when the
// resolved encapsulation, once in sync, differs from the one the config had at start.
import type { CalcLogger } from './types.js';

export interface Encapsulation {
  ipipEnabled: boolean;
  vxlanEnabled: boolean;
  vxlanEnabledV6: boolean;
}

/** The config overrides (undefined: decided by the pools). */
export interface EncapOverrides {
  IpInIpEnabled?: boolean | undefined;
  VXLANEnabled?: boolean | undefined;
}

/** Felix's configChangedRC (felix/daemon/daemon.go), also used for an encapsulation change. */
export const ENCAP_CHANGED_EXIT_CODE = 129;
export const ENCAP_CHANGED_LOG = 'IPIP and/or VXLAN encapsulation changed, need to restart.';

/**
 * A pool's encapsulation mode -> on/off, or undefined when the value is not one Calico knows. Both the v1
 * model spelling (libcalico-go encap: "" = Never, "always", "cross-subnet") and the v3 one ("Never",
 * "Always", "CrossSubnet") are accepted.
 */
export function encapModeOn(mode: string | null | undefined): boolean | undefined {
  switch ((mode ?? '').toLowerCase()) {
    case '':
    case 'never':
      return false;
    case 'always':
    case 'cross-subnet':
    case 'crosssubnet':
      return true;
    default:
      return undefined;
  }
}

const NOOP: CalcLogger = { debug() {}, info() {}, warn() {}, error() {} };

export class EncapsulationCalculator {
  private readonly ipipPools = new Set<string>();
  private readonly vxlanPools = new Set<string>();
  private readonly vxlanPoolsV6 = new Set<string>();

  constructor(
    private readonly overrides: EncapOverrides = {},
    private readonly log: CalcLogger = NOOP,
  ) {}

  /**
   * A pool update; `pool` undefined is a delete. A bad mode is logged with its key and the update skipped,
   * leaving every other pool (and this pool's previous state) alone. Returns whether it was applied.
   */
  onPoolUpdate(
    cidr: string,
    pool: { ipipMode?: string | null; vxlanMode?: string | null } | undefined,
  ): boolean {
    if (!pool) {
      this.removePool(cidr);
      return true;
    }
    const ipip = encapModeOn(pool.ipipMode);
    const vxlan = encapModeOn(pool.vxlanMode);
    if (ipip === undefined || vxlan === undefined) {
      this.log.warn('EncapsulationResolver: invalid encapsulation mode in IP pool; ignoring update', {
        key: cidr,
        ipipMode: pool.ipipMode,
        vxlanMode: pool.vxlanMode,
      });
      return false;
    }
    if (vxlan && !cidr.includes(':') && !/^\d+\.\d+\.\d+\.\d+\/\d+$/.test(cidr)) {
      this.log.warn('EncapsulationResolver: invalid IP pool CIDR; ignoring update', { key: cidr });
      return false;
    }
    if (ipip) this.ipipPools.add(cidr);
    else this.ipipPools.delete(cidr);
    this.vxlanPools.delete(cidr);
    this.vxlanPoolsV6.delete(cidr);
    if (vxlan) (cidr.includes(':') ? this.vxlanPoolsV6 : this.vxlanPools).add(cidr);
    return true;
  }

  removePool(cidr: string): void {
    this.ipipPools.delete(cidr);
    this.vxlanPools.delete(cidr);
    this.vxlanPoolsV6.delete(cidr);
  }

  get ipipEnabled(): boolean {
    return this.overrides.IpInIpEnabled ?? this.ipipPools.size > 0;
  }

  get vxlanEnabled(): boolean {
    return this.overrides.VXLANEnabled ?? this.vxlanPools.size > 0;
  }

  get vxlanEnabledV6(): boolean {
    return this.vxlanPoolsV6.size > 0;
  }

  get encapsulation(): Encapsulation {
    return {
      ipipEnabled: this.ipipEnabled,
      vxlanEnabled: this.vxlanEnabled,
      vxlanEnabledV6: this.vxlanEnabledV6,
    };
  }
}

/** Felix's restart rule (felix/daemon/daemon.go): any of the three flags differs from the config at start. */
export function encapChanged(atStart: Encapsulation, now: Encapsulation): boolean {
  return (
    atStart.ipipEnabled !== now.ipipEnabled ||
    atStart.vxlanEnabled !== now.vxlanEnabled ||
    atStart.vxlanEnabledV6 !== now.vxlanEnabledV6
  );
}
