// A realistic WorkloadEndpoint KV (libcalico-go/lib/backend/model example 4): about 100 B of key and
// 500-560 B of JSON value. Shared by bench/gob-decode.ts (as gob bytes) and bench/resync-memory.ts.

/** The i-th endpoint's datastore key and JSON value, both built afresh on each call. */
export function workloadEndpointKV(i: number): { key: string; value: string } {
  const ns = `namespace-${i % 40}`;
  const pod = `frontend-deployment-${(i * 2654435761) % 1e9}-${i.toString(36)}`;
  const value = JSON.stringify({
    state: 'active',
    name: `cali${(i * 40503).toString(16).padStart(11, '0').slice(0, 11)}`,
    active_instance_id: '',
    mac: `ee:ee:ee:ee:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`,
    profile_ids: [`kns.${ns}`, `ksa.${ns}.default`],
    ipv4_nets: [`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/32`],
    ipv6_nets: null,
    labels: {
      app: `frontend-${i % 17}`,
      'pod-template-hash': (i * 7919).toString(16),
      'projectcalico.org/namespace': ns,
      'projectcalico.org/orchestrator': 'k8s',
      'projectcalico.org/serviceaccount': 'default',
      tier: i % 3 === 0 ? 'web' : 'backend',
    },
    ports: [{ name: 'http', protocol: 'TCP', port: 8080 }],
    generate_name: 'frontend-deployment-',
  });
  return { key: `/calico/v1/host/node-${i % 500}/workload/k8s/${ns}%2f${pod}/endpoint/eth0`, value };
}
