// What the datastore asks of this node that felix-ts does not enforce (issue 14 item 5), counted per KV:
// a local workload's bandwidth QoS controls (tc in Felix, felix/dataplane/linux/qos) and rules with an
// HTTP match (application-layer policy: Felix's iptables dataplane passes it through for Dikastes,
// felix/calc/rule_scanner.go, and the rule then matches whatever the HTTP request is). Each KV that
// starts using a feature is logged once at WARNING; the daemon puts the counts in the readiness detail
// and in felix_ts_unsupported_features{feature}. Pure: no I/O.
import type { Key } from '../model/index.js';
import {
  qosControlsOf,
  type ModelPolicy,
  type ModelProfileRules,
  type ModelWorkloadEndpoint,
} from '../model/index.js';
import type { Logger } from '../log/index.js';

export interface UnsupportedUse {
  /** The metric label. */
  readonly feature: string;
  readonly detail: string;
  /** How many KVs use it now. */
  readonly uses: number;
}

const DETAIL: Readonly<Record<string, string>> = {
  'qos-bandwidth':
    'a local workload asks for bandwidth QoS controls (ingress/egress bandwidth, burst, peakrate); felix-ts does not program tc, so they are not applied',
  'policy-http-match':
    'a policy or profile rule has an HTTP match (application-layer policy); the iptables dataplane does not enforce it, so the rule matches any request (as in Felix without Dikastes)',
};

type Rules = { readonly inbound_rules?: unknown; readonly outbound_rules?: unknown };

function hasHttpMatch(v: Rules | undefined): boolean {
  if (!v) return false;
  for (const list of [v.inbound_rules, v.outbound_rules]) {
    if (!Array.isArray(list)) continue;
    for (const r of list as { http?: unknown }[])
      if (r && r.http !== undefined && r.http !== null) return true;
  }
  return false;
}

export class UnsupportedUses {
  private readonly byFeature = new Map<string, Set<string>>();
  private changedSinceRead = false;

  constructor(
    private readonly hostname: string,
    private readonly log: Logger,
  ) {}

  /** One decoded KV (value undefined = deleted or invalid) on its way to the calculators. */
  observe(key: Key, path: string, value: unknown): void {
    switch (key.type) {
      case 'workloadEndpoint': {
        const local = key.hostname === this.hostname;
        const wep = value as ModelWorkloadEndpoint | undefined;
        this.set(
          'qos-bandwidth',
          path,
          local && wep !== undefined && qosControlsOf(wep.qosControls).bandwidth,
        );
        return;
      }
      case 'policy':
      case 'profileRules':
        this.set(
          'policy-http-match',
          path,
          hasHttpMatch(value as ModelPolicy | ModelProfileRules | undefined),
        );
        return;
      default:
        return;
    }
  }

  /** Features in use now, and whether that changed since the last call. */
  read(): { readonly changed: boolean; readonly uses: readonly UnsupportedUse[] } {
    const changed = this.changedSinceRead;
    this.changedSinceRead = false;
    const uses: UnsupportedUse[] = [];
    for (const [feature, keys] of [...this.byFeature].sort(([a], [b]) => (a < b ? -1 : 1)))
      if (keys.size > 0) uses.push({ feature, detail: DETAIL[feature] ?? feature, uses: keys.size });
    return { changed, uses };
  }

  private set(feature: string, path: string, inUse: boolean): void {
    let keys = this.byFeature.get(feature);
    if (!inUse) {
      if (keys?.delete(path)) this.changedSinceRead = true;
      return;
    }
    if (!keys) this.byFeature.set(feature, (keys = new Set()));
    if (keys.has(path)) return;
    keys.add(path);
    this.changedSinceRead = true;
    this.log.warn('Not enforced by felix-ts: ' + (DETAIL[feature] ?? feature), { feature, key: path });
  }
}
