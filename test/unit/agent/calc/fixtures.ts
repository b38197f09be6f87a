// Builders for felix-syncer KVs as Typha would send them in a KDD cluster (libcalico-go/lib/backend/syncersv1/felixsyncer).
import type { KVUpdate } from '../../../../syncer-client/api.js';
import { kv } from './fake-dataplane.js';

export const HOST = 'node-1';

export function wepKey(ns: string, pod: string, host = HOST): string {
  return `/calico/v1/host/${host}/workload/k8s/${ns}%2f${pod}/endpoint/eth0`;
}

export interface WepOpts {
  readonly ns: string;
  readonly pod: string;
  readonly ip: string;
  readonly labels?: Record<string, string>;
  readonly sa?: string;
  readonly host?: string;
  readonly ports?: ReadonlyArray<{ name: string; protocol: string; port: number }>;
}

export function wep(o: WepOpts): KVUpdate {
  const labels: Record<string, string> = {
    ...(o.labels ?? {}),
    'projectcalico.org/namespace': o.ns,
    'projectcalico.org/orchestrator': 'k8s',
  };
  const profile_ids = [`kns.${o.ns}`];
  if (o.sa) {
    labels['projectcalico.org/serviceaccount'] = o.sa;
    profile_ids.push(`ksa.${o.ns}.${o.sa}`);
  }
  return kv(wepKey(o.ns, o.pod, o.host), {
    state: 'active',
    name: `cali${o.pod
      .replace(/[^a-z0-9]/g, '')
      .padEnd(11, '0')
      .slice(0, 11)}`,
    active_instance_id: '',
    mac: 'ee:ee:ee:ee:ee:ee',
    profile_ids,
    ipv4_nets: [`${o.ip}/32`],
    ipv6_nets: null,
    labels,
    ...(o.ports ? { ports: o.ports } : {}),
  });
}

/** The kns.<ns> profile: rules key (allow both ways) and the v3 resource with pcns.* labels. */
export function nsProfile(ns: string, nsLabels: Record<string, string> = {}): KVUpdate[] {
  const labelsToApply: Record<string, string> = { 'pcns.projectcalico.org/name': ns };
  for (const [k, v] of Object.entries(nsLabels)) labelsToApply[`pcns.${k}`] = v;
  return [
    kv(`/calico/v1/policy/profile/kns.${ns}/rules`, {
      inbound_rules: [{ action: 'allow' }],
      outbound_rules: [{ action: 'allow' }],
    }),
    kv(`/calico/resources/v3/projectcalico.org/profiles/kns.${ns}`, {
      kind: 'Profile',
      apiVersion: 'projectcalico.org/v3',
      metadata: { name: `kns.${ns}` },
      spec: { labelsToApply, ingress: [{ action: 'Allow' }], egress: [{ action: 'Allow' }] },
    }),
  ];
}

export function gnp(name: string, body: Record<string, unknown>): KVUpdate {
  return kv(`/calico/v1/policy/GlobalNetworkPolicy//${name}`, body);
}

export function np(ns: string, name: string, body: Record<string, unknown>): KVUpdate {
  return kv(`/calico/v1/policy/NetworkPolicy/${ns}/${name}`, { namespace: ns, ...body });
}

export function tier(name: string, order: number | undefined, defaultAction: 'Deny' | 'Pass'): KVUpdate {
  return kv(`/calico/v1/policy/tier/${name}/metadata`, {
    ...(order !== undefined ? { order } : {}),
    defaultAction,
  });
}

export const DEFAULT_TIERS: KVUpdate[] = [
  tier('default', 1_000_000, 'Deny'),
  tier('kube-admin', 1_000, 'Pass'),
  tier('kube-baseline', 10_000_000, 'Pass'),
];
