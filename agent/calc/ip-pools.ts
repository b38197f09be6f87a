// IP pools for the dataplane (felix/calc/dataplane_passthru.go passes IPPool KVs through; the message is
// built in felix/calc/event_sequencer.go flushIPPoolUpdates). Every pool is sent, disabled ones too: the
// disabled flag only stops IPAM allocating from a pool, and Felix's IPAMPool message does not carry it.
import type { IPAMPool } from '../../rules/dataplane-api/types.js';
import type { ModelIPPool } from '../model/index.js';

/** What the pool calculator reports (EventSequencer). */
export interface IPPoolSink {
  onIPPoolUpdate(id: string, pool: IPAMPool): void;
  onIPPoolRemove(id: string): void;
}

/** Felix's cidrToIPPoolID: the CIDR with its first "/" replaced by "-". */
export function ipPoolId(cidr: string): string {
  return cidr.replace('/', '-');
}

export function ipamPool(v: ModelIPPool): IPAMPool {
  return {
    cidr: v.cidr,
    masquerade: v.masquerade ?? false,
    ipipMode: v.ipip_mode ?? '',
    vxlanMode: v.vxlan_mode ?? '',
    allowedUses: [...(v.allowed_uses ?? [])],
  };
}

export class IPPoolCalculator {
  /** Pool id -> JSON of the message last reported, to drop unchanged updates. */
  private readonly known = new Map<string, string>();

  constructor(private readonly sink: IPPoolSink) {}

  /** An ipPool KV (key CIDR from the path); `value` undefined is a delete. */
  onUpdate(keyCidr: string, value: ModelIPPool | undefined): void {
    const id = ipPoolId(keyCidr);
    if (!value) {
      if (this.known.delete(id)) this.sink.onIPPoolRemove(id);
      return;
    }
    const pool = ipamPool(value);
    const json = JSON.stringify(pool);
    if (this.known.get(id) === json) return;
    this.known.set(id, json);
    this.sink.onIPPoolUpdate(id, pool);
  }

  get count(): number {
    return this.known.size;
  }
}
