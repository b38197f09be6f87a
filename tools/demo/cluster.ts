// The demo's sample cluster, as felix-syncer KVs the way Typha sends them for a KDD cluster
// (felix/calc/calc_graph.go): two namespaces (profiles kns.*), three pods on this node, a
// "security" tier in front of the default tier, and a network set.
import { createHash } from 'node:crypto';

export const DEMO_HOST = 'demo-node';

export interface DemoPod {
  readonly namespace: string;
  readonly name: string;
  readonly ip: string;
  readonly labels: Readonly<Record<string, string>>;
  /** TCP ports it serves in the traffic check. */
  readonly ports: readonly number[];
  /** Host-side interface name, as Calico's CNI names it (cali + 11 hex). */
  readonly iface: string;
}

function caliName(ns: string, pod: string): string {
  return 'cali' + createHash('sha1').update(`${ns}.${pod}`).digest('hex').slice(0, 11);
}

function pod(
  namespace: string,
  name: string,
  ip: string,
  labels: Record<string, string>,
  ports: number[],
): DemoPod {
  return { namespace, name, ip, labels, ports, iface: caliName(namespace, name) };
}

export const DEMO_PODS: readonly DemoPod[] = [
  pod('frontend', 'web-1', '10.65.0.2', { app: 'web' }, []),
  pod('backend', 'api-1', '10.65.0.3', { app: 'api' }, [8080]),
  pod('backend', 'db-1', '10.65.0.4', { app: 'db' }, [5432]),
];

export interface Flow {
  readonly from: string;
  readonly to: string;
  readonly port: number;
  readonly expect: 'allowed' | 'denied';
  readonly why: string;
}

/** Flows checked after the first apply. */
export const INITIAL_FLOWS: readonly Flow[] = [
  {
    from: 'web-1',
    to: 'api-1',
    port: 8080,
    expect: 'allowed',
    why: 'GNP default.api-allow-web allows web -> api:8080',
  },
  {
    from: 'api-1',
    to: 'db-1',
    port: 5432,
    expect: 'allowed',
    why: 'NP backend/db-allow-api allows api -> db:5432',
  },
  {
    from: 'web-1',
    to: 'db-1',
    port: 5432,
    expect: 'denied',
    why: 'db has an ingress policy that does not match web: end of tier drops',
  },
  { from: 'db-1', to: 'api-1', port: 8080, expect: 'denied', why: 'api only admits app=web' },
];

/** After the live update (a new policy arrives through Typha). */
export const UPDATED_FLOWS: readonly Flow[] = [
  {
    from: 'web-1',
    to: 'db-1',
    port: 5432,
    expect: 'allowed',
    why: 'new NP backend/db-allow-web, pushed live through Typha',
  },
];

export type KV = readonly [key: string, value: string];

const j = (v: unknown): string => JSON.stringify(v);

function wep(p: DemoPod): KV {
  const labels = {
    ...p.labels,
    'projectcalico.org/namespace': p.namespace,
    'projectcalico.org/orchestrator': 'k8s',
  };
  return [
    `/calico/v1/host/${DEMO_HOST}/workload/k8s/${p.namespace}%2f${p.name}/endpoint/eth0`,
    j({
      state: 'active',
      name: p.iface,
      active_instance_id: '',
      mac: 'ee:ee:ee:ee:ee:ee',
      profile_ids: [`kns.${p.namespace}`],
      ipv4_nets: [`${p.ip}/32`],
      ipv6_nets: null,
      labels,
    }),
  ];
}

function nsProfile(ns: string): KV[] {
  return [
    [
      `/calico/v1/policy/profile/kns.${ns}/rules`,
      j({ inbound_rules: [{ action: 'allow' }], outbound_rules: [{ action: 'allow' }] }),
    ],
    [
      `/calico/resources/v3/projectcalico.org/profiles/kns.${ns}`,
      j({
        kind: 'Profile',
        apiVersion: 'projectcalico.org/v3',
        metadata: { name: `kns.${ns}` },
        spec: {
          labelsToApply: { 'pcns.projectcalico.org/name': ns },
          ingress: [{ action: 'Allow' }],
          egress: [{ action: 'Allow' }],
        },
      }),
    ],
  ];
}

export function demoCluster(): KV[] {
  return [
    ['/calico/v1/policy/tier/default/metadata', j({ order: 1_000_000, defaultAction: 'Deny' })],
    ['/calico/v1/policy/tier/security/metadata', j({ order: 100, defaultAction: 'Pass' })],
    ...nsProfile('frontend'),
    ...nsProfile('backend'),
    ...DEMO_PODS.map(wep),
    [
      '/calico/v1/netset/blocked-nets',
      j({ nets: ['192.0.2.0/24', '198.51.100.0/24'], labels: { role: 'blocked' } }),
    ],
    [
      '/calico/v1/policy/GlobalNetworkPolicy//security.deny-blocked',
      j({
        tier: 'security',
        order: 10,
        selector: 'all()',
        types: ['ingress', 'egress'],
        inbound_rules: [{ action: 'deny', src_selector: "role == 'blocked'" }],
        outbound_rules: [{ action: 'deny', dst_selector: "role == 'blocked'" }],
      }),
    ],
    [
      '/calico/v1/policy/GlobalNetworkPolicy//default.api-allow-web',
      j({
        tier: 'default',
        order: 100,
        selector: "app == 'api'",
        types: ['ingress'],
        inbound_rules: [
          { action: 'allow', protocol: 'tcp', src_selector: "app == 'web'", dst_ports: [8080] },
        ],
      }),
    ],
    [
      '/calico/v1/policy/NetworkPolicy/backend/db-allow-api',
      j({
        namespace: 'backend',
        tier: 'default',
        order: 100,
        selector: "(app == 'db') && projectcalico.org/namespace == 'backend'",
        types: ['ingress'],
        inbound_rules: [
          {
            action: 'allow',
            protocol: 'tcp',
            src_selector: "(app == 'api') && projectcalico.org/namespace == 'backend'",
            dst_ports: [5432],
          },
        ],
      }),
    ],
  ];
}

/** The live update: web may now reach db. */
export function demoUpdate(): KV {
  return [
    '/calico/v1/policy/NetworkPolicy/backend/db-allow-web',
    j({
      namespace: 'backend',
      tier: 'default',
      order: 200,
      selector: "(app == 'db') && projectcalico.org/namespace == 'backend'",
      types: ['ingress'],
      inbound_rules: [
        {
          action: 'allow',
          protocol: 'tcp',
          src_selector: "(app == 'web') && pcns.projectcalico.org/name == 'frontend'",
          dst_ports: [5432],
        },
      ],
    }),
  ];
}
