// Bench: the service index at cluster scale (issue 13 item 7). 5,000 Services with 50,000
// endpoints (two EndpointSlices of five endpoints each per Service) and one local pod whose egress
// policy names every Service, so all 5,000 svc: sets are active (50,000 IP+port members).
//   node --expose-gc dist/bench/services.js            # prints the figures
//   node --expose-gc dist/bench/services.js --json     # JSON on stdout
// Figures: ingest (snapshot → InSync → first flush) time and the RSS / heap delta it leaves, then
// the median cost of one endpoint change (a slice gains or loses one address: onUpdates + flush),
// which must be exactly one ipsetDeltaUpdate with one member (the bench throws otherwise).
import { performance } from 'node:perf_hooks';
import { CalcGraph } from '../agent/calc/index.js';
import type { KVUpdate } from '../syncer-client/api.js';

const SERVICES = 5_000;
const SLICES_PER_SERVICE = 2;
const ENDPOINTS_PER_SLICE = 5;
const HOST = 'node-1';
const RES = '/calico/resources/v3/projectcalico.org';

function kv(key: string, value: unknown): KVUpdate {
  return { key, value: value === null ? null : JSON.stringify(value), revision: '1', updateType: 1 };
}

/** 10.<a>.<b>.<c> for the n-th endpoint (50,000 fit in 10.0.0.0/8). */
function addr(n: number): string {
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
}

function sliceKv(svc: number, slice: number, addrs: readonly string[]): KVUpdate {
  const ns = `ns-${svc % 100}`;
  const name = `svc-${svc}-${slice}`;
  return kv(`${RES}/kubernetesendpointslices/${ns}/${name}`, {
    kind: 'EndpointSlice',
    apiVersion: 'discovery.k8s.io/v1',
    metadata: { name, namespace: ns, labels: { 'kubernetes.io/service-name': `svc-${svc}` } },
    addressType: 'IPv4',
    endpoints: addrs.map((a) => ({ addresses: [a], conditions: { ready: true } })),
    ports: [{ name: 'http', protocol: 'TCP', port: 8080 }],
  });
}

function sliceAddrs(svc: number, slice: number): string[] {
  const first = (svc * SLICES_PER_SERVICE + slice) * ENDPOINTS_PER_SLICE;
  return Array.from({ length: ENDPOINTS_PER_SLICE }, (_, i) => addr(first + i));
}

function snapshot(): KVUpdate[] {
  const out: KVUpdate[] = [
    kv('/calico/v1/Ready', 'true'),
    kv('/calico/v1/policy/tier/default/metadata', { order: 1_000_000, defaultAction: 'Deny' }),
    kv('/calico/v1/policy/profile/kns.default/rules', {
      inbound_rules: [{ action: 'allow' }],
      outbound_rules: [{ action: 'allow' }],
    }),
    kv(`/calico/v1/host/${HOST}/workload/k8s/default%2fclient/endpoint/eth0`, {
      state: 'active',
      name: 'calibenchcli0',
      mac: 'ee:ee:ee:ee:ee:ee',
      profile_ids: ['kns.default'],
      ipv4_nets: ['10.255.0.1/32'],
      labels: { app: 'client', 'projectcalico.org/namespace': 'default' },
    }),
    kv('/calico/v1/policy/GlobalNetworkPolicy//to-every-service', {
      tier: 'default',
      selector: "app == 'client'",
      types: ['egress'],
      outbound_rules: Array.from({ length: SERVICES }, (_, s) => ({
        action: 'allow',
        dst_service: `svc-${s}`,
        dst_service_ns: `ns-${s % 100}`,
      })),
    }),
  ];
  for (let s = 0; s < SERVICES; s++) {
    const ns = `ns-${s % 100}`;
    out.push(
      kv(`${RES}/kubernetesservice/${ns}/svc-${s}`, {
        kind: 'Service',
        metadata: { name: `svc-${s}`, namespace: ns },
        spec: { clusterIP: addr(200_000 + s), ports: [{ port: 80, protocol: 'TCP', targetPort: 8080 }] },
      }),
    );
    for (let i = 0; i < SLICES_PER_SERVICE; i++) out.push(sliceKv(s, i, sliceAddrs(s, i)));
  }
  return out;
}

function mib(n: number): number {
  return Math.round((n / 2 ** 20) * 10) / 10;
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
}

function main(): void {
  const kvs = snapshot();
  gc();
  const rss0 = process.memoryUsage().rss;
  const heap0 = process.memoryUsage().heapUsed;
  const g = new CalcGraph({ hostname: HOST });
  const t0 = performance.now();
  let members = 0;
  for (let i = 0; i < kvs.length; i += 100) g.onUpdates(kvs.slice(i, i + 100));
  g.onStatus('in-sync');
  for (const m of g.flush()) if (m.kind === 'ipsetUpdate') members += m.members.length;
  const ingestMs = performance.now() - t0;
  gc();
  const rss1 = process.memoryUsage().rss;
  const heap1 = process.memoryUsage().heapUsed;
  if (members !== SERVICES * SLICES_PER_SERVICE * ENDPOINTS_PER_SLICE)
    throw new Error(`expected 50,000 members, got ${members}`);

  // One endpoint change: slice svc-7-0 gains an address, then loses it again.
  const base = sliceAddrs(7, 0);
  const grown = sliceKv(7, 0, [...base, addr(300_000)]);
  const back = sliceKv(7, 0, base);
  const times: number[] = [];
  for (let i = 0; i < 400; i++) {
    const t = performance.now();
    g.onUpdates([i % 2 === 0 ? grown : back]);
    const out = g.flush();
    times.push(performance.now() - t);
    const d = out[0];
    const n = d?.kind === 'ipsetDeltaUpdate' ? d.addedMembers.length + d.removedMembers.length : -1;
    if (out.length !== 1 || n !== 1) throw new Error(`endpoint change produced ${JSON.stringify(out)}`);
  }
  // The same in a 10,000-endpoint slice (Kubernetes caps a slice at 1,000 by default; mirrored or
  // hand-made slices can be larger): still one member delta, but the slice is diffed whole.
  const bigAddrs = Array.from({ length: 10_000 }, (_, i) => addr(400_000 + i));
  const big = (a: readonly string[]): KVUpdate => {
    const k = sliceKv(0, 9, a);
    return { ...k, key: k.key.replace('svc-0-9', 'svc-0-big') };
  };
  g.onUpdates([big(bigAddrs)]);
  const bigFirst = g.flush();
  if (bigFirst.length !== 1) throw new Error(`big slice: ${bigFirst.length} messages`);
  const bigGrown = big([...bigAddrs, addr(300_001)]);
  const bigBack = big(bigAddrs);
  const bigTimes: number[] = [];
  for (let i = 0; i < 100; i++) {
    const t = performance.now();
    g.onUpdates([i % 2 === 0 ? bigGrown : bigBack]);
    const out = g.flush();
    bigTimes.push(performance.now() - t);
    const d = out[0];
    const n = d?.kind === 'ipsetDeltaUpdate' ? d.addedMembers.length + d.removedMembers.length : -1;
    if (out.length !== 1 || n !== 1) throw new Error(`big slice change produced ${out.length} messages`);
  }
  const result = {
    services: SERVICES,
    endpoints: SERVICES * SLICES_PER_SERVICE * ENDPOINTS_PER_SLICE,
    kvs: kvs.length,
    ingestMs: Math.round(ingestMs),
    rssDeltaMiB: mib(rss1 - rss0),
    heapDeltaMiB: mib(heap1 - heap0),
    endpointChangeUs: Math.round(median(times) * 1000),
    bigSliceEndpointChangeUs: Math.round(median(bigTimes) * 1000),
    gcExposed: typeof (globalThis as { gc?: unknown }).gc === 'function',
  };
  if (process.argv.includes('--json')) {
    process.stdout.write(JSON.stringify(result) + '\n');
    return;
  }
  console.log(`services ${result.services}, endpoints ${result.endpoints}, KVs ${result.kvs}`);
  console.log(`ingest (snapshot → InSync → first flush): ${result.ingestMs} ms`);
  console.log(
    `RSS delta: ${result.rssDeltaMiB} MiB, heap delta: ${result.heapDeltaMiB} MiB (gc exposed: ${result.gcExposed})`,
  );
  console.log(`one endpoint change (median of 400, onUpdates + flush): ${result.endpointChangeUs} µs`);
  console.log(
    `one endpoint change in a 10,000-endpoint slice (median of 100): ${result.bigSliceEndpointChangeUs} µs`,
  );
}

main();
