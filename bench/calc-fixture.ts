// Generated cluster for the calculation-graph bench (issue 4 typha/pkg/syncserver/sync_server.go): workload endpoints spread over
// nodes (some on ours), namespaces with kns profiles, policies with varied selectors, network sets.
import type { KVUpdate } from '../syncer-client/api.js';

export interface ClusterShape {
  readonly weps: number;
  readonly localWeps: number;
  readonly policies: number;
  readonly netsets: number;
  readonly namespaces: number;
  /** Extra broad global policies (`version == 'vN'`), so each local pod matches many. */
  readonly broadPolicies?: number;
  /** Remote nodes the endpoints are spread over (default 997), each with a v3 Node and bird_ip. */
  readonly hosts?: number;
  /** Mixed into the label hash: another seed gives another, equally deterministic cluster. */
  readonly seed?: number;
}

export const LOCAL_HOST = 'bench-local';

/** Issue 15's cluster (bench/scale.md): 100,000 remote + 250 local endpoints, 2,000 policies, seed 15. */
export const SCALE_SHAPE: ClusterShape = {
  weps: 100_250,
  localWeps: 250,
  policies: 2000,
  netsets: 200,
  namespaces: 200,
  hosts: 200,
  seed: 15,
};

function kv(key: string, value: unknown): KVUpdate {
  return {
    key,
    value: typeof value === 'string' ? value : JSON.stringify(value),
    revision: '1',
    updateType: 1,
  };
}

export function wepKV(i: number, shape: ClusterShape, labelOverride?: Record<string, string>): KVUpdate {
  // Namespaces hold contiguous blocks of pods, so the evenly spread local pods span many of them.
  const ns = `ns-${Math.floor(i / Math.ceil(shape.weps / shape.namespaces))}`;
  // Spread local endpoints evenly over the index range so they land in many namespaces.
  const stride = Math.max(1, Math.floor(shape.weps / shape.localWeps));
  const local = i % stride === 0 && i / stride < shape.localWeps;
  const host = local ? LOCAL_HOST : `node-${i % (shape.hosts ?? 997)}`;
  const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
  // Hash the index so the evenly spaced local pods still get varied labels.
  const x = (i ^ (shape.seed ?? 0)) >>> 0;
  let h = Math.imul(x ^ (x >>> 16), 0x45d9f3b) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b) >>> 0;
  const labels: Record<string, string> = {
    app: `app-${h % 50}`,
    tier: ['frontend', 'backend', 'db'][(h >>> 8) % 3] as string,
    version: `v${(h >>> 16) % 4}`,
    'projectcalico.org/namespace': ns,
    'projectcalico.org/orchestrator': 'k8s',
    'projectcalico.org/serviceaccount': 'default',
    ...labelOverride,
  };
  return kv(`/calico/v1/host/${host}/workload/k8s/${ns}%2fpod-${i}/endpoint/eth0`, {
    state: 'active',
    name: `cali${i.toString(16).padStart(11, '0')}`,
    active_instance_id: '',
    mac: 'ee:ee:ee:ee:ee:ee',
    profile_ids: [`kns.${ns}`, `ksa.${ns}.default`],
    ipv4_nets: [`${ip}/32`],
    ipv6_nets: null,
    labels,
    ...(i % 2 === 0 ? { ports: [{ name: 'http', protocol: 'tcp', port: 8080 }] } : {}),
  });
}

export function policyKV(i: number, shape: ClusterShape, variant = 0): KVUpdate {
  const ns = `ns-${i % shape.namespaces}`;
  const app = `app-${(i + variant) % 50}`;
  switch (i % 5) {
    case 0:
    case 1:
      // Namespaced policy as the v3 update processor writes it (typha/pkg/syncproto/sync_proto.go).
      return kv(`/calico/v1/policy/NetworkPolicy/${ns}/np-${i}`, {
        namespace: ns,
        tier: 'default',
        order: 100 + (i % 10),
        selector: `(app == '${app}') && projectcalico.org/namespace == '${ns}'`,
        types: ['ingress'],
        inbound_rules: [
          {
            action: 'allow',
            protocol: 'tcp',
            src_selector: `(projectcalico.org/namespace == '${ns}') && (tier == 'frontend')`,
            dst_ports: [80, 'http'],
          },
        ],
      });
    case 2:
      return kv(`/calico/v1/policy/KubernetesNetworkPolicy/${ns}/knp-${i}`, {
        namespace: ns,
        tier: 'default',
        order: 1000,
        selector: `projectcalico.org/namespace == '${ns}' && projectcalico.org/orchestrator == 'k8s' && tier in {'backend', 'db'}`,
        types: ['ingress', 'egress'],
        inbound_rules: [
          {
            action: 'allow',
            src_selector: `(projectcalico.org/namespace == '${ns}') && (version == 'v${i % 4}')`,
          },
        ],
        outbound_rules: [{ action: 'allow', protocol: 'udp', dst_ports: [53] }],
      });
    case 3:
      return kv(`/calico/v1/policy/GlobalNetworkPolicy//gnp-${i}`, {
        tier: i % 2 ? 'security' : 'default',
        order: i % 100,
        selector: `tier == 'db' && app == '${app}'`,
        types: ['ingress'],
        inbound_rules: [
          { action: 'deny', src_selector: `pcns.team == 'team-${i % 20}'` },
          { action: 'next-tier', src_selector: `has(projectcalico.org/namespace) && app == '${app}'` },
        ],
      });
    default:
      return kv(`/calico/v1/policy/GlobalNetworkPolicy//egress-${i}`, {
        tier: 'security',
        order: 500 + (i % 100),
        selector: `app == '${app}' && version != 'v3'`,
        types: ['egress'],
        outbound_rules: [
          { action: 'deny', dst_selector: `role == 'blocked-${i % 200}'` },
          { action: 'allow', dst_nets: ['10.0.0.0/8'] },
        ],
      });
  }
}

export function broadPolicyKV(j: number, variant = 0): KVUpdate {
  return kv(`/calico/v1/policy/GlobalNetworkPolicy//broad-${j}`, {
    tier: 'default',
    order: j,
    selector: `version == 'v${(j + variant) % 4}'`,
    inbound_rules: [
      { action: 'allow', protocol: 'tcp', src_selector: `app == 'app-${j % 50}'`, dst_ports: [80 + j] },
    ],
    outbound_rules: [{ action: 'allow', dst_selector: `tier == 'db' && app == 'app-${j % 50}'` }],
  });
}

export function generateSnapshot(shape: ClusterShape): KVUpdate[] {
  const out: KVUpdate[] = [
    kv('/calico/v1/Ready', 'true'),
    kv('/calico/v1/policy/tier/default/metadata', { order: 1_000_000, defaultAction: 'Deny' }),
    kv('/calico/v1/policy/tier/security/metadata', { order: 100, defaultAction: 'Deny' }),
  ];
  for (let n = 0; n < shape.namespaces; n++) {
    const ns = `ns-${n}`;
    out.push(
      kv(`/calico/v1/policy/profile/kns.${ns}/rules`, {
        inbound_rules: [{ action: 'allow' }],
        outbound_rules: [{ action: 'allow' }],
      }),
    );
    out.push(kv(`/calico/v1/policy/profile/ksa.${ns}.default/rules`, {}));
    out.push(
      kv(`/calico/resources/v3/projectcalico.org/profiles/kns.${ns}`, {
        kind: 'Profile',
        metadata: { name: `kns.${ns}` },
        spec: { labelsToApply: { 'pcns.projectcalico.org/name': ns, 'pcns.team': `team-${n % 20}` } },
      }),
    );
    out.push(
      kv(`/calico/resources/v3/projectcalico.org/profiles/ksa.${ns}.default`, {
        kind: 'Profile',
        metadata: { name: `ksa.${ns}.default` },
        spec: { labelsToApply: { 'pcsa.projectcalico.org/name': 'default' } },
      }),
    );
  }
  for (let i = 0; i < shape.weps; i++) out.push(wepKV(i, shape));
  for (let i = 0; i < shape.policies; i++) out.push(policyKV(i, shape));
  for (let j = 0; j < (shape.broadPolicies ?? 0); j++) out.push(broadPolicyKV(j));
  for (let i = 0; i < shape.netsets; i++) {
    const nets = Array.from({ length: 5 }, (_, j) => `172.${16 + (i % 16)}.${(i >> 4) & 255}.${j * 16}/28`);
    out.push(kv(`/calico/v1/netset/netset-${i}`, { nets, labels: { role: `blocked-${i % 200}` } }));
  }
  if (shape.hosts !== undefined) {
    for (let n = 0; n <= shape.hosts; n++) {
      const name = n === shape.hosts ? LOCAL_HOST : `node-${n}`;
      const ip = `192.168.${n >> 8}.${(n & 255) + 1}`;
      out.push(kv(`/calico/v1/host/${name}/bird_ip`, ip));
      out.push(
        kv(`/calico/resources/v3/projectcalico.org/nodes/${name}`, {
          kind: 'Node',
          apiVersion: 'projectcalico.org/v3',
          metadata: { name, labels: { 'kubernetes.io/hostname': name } },
          spec: { bgp: { ipv4Address: `${ip}/24` } },
        }),
      );
    }
  }
  // Typha sends the snapshot sorted by key (libcalico-go/lib/backend/model).
  out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return out;
}
