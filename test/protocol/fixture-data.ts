// What the Go generator (test/protocol/go/gen.go) put into the fixtures, restated in TS.
// This is input data, mirrored by hand from gen.go; the tests compare decoded values with it.

import type { SerializedUpdate } from '../../syncer-client/syncproto/index.js';

const enc = new TextEncoder();

/** gen.go snapshotKV(i). */
export function snapshotKV(i: number): SerializedUpdate {
  const pad5 = String(i).padStart(5, '0');
  let value: Uint8Array | null = null;
  if (i % 97 !== 0) {
    const h = (Math.imul(i, 2654435761) >>> 0).toString(16).padStart(8, '0');
    value = enc.encode(
      `{"state":"active","name":"cali${h}","profile_ids":["kns.ns-${i % 7}"],"ipv4_nets":["10.${i % 7}.${(i >> 8) & 255}.${i & 255}/32"],"labels":{"app":"app-${i % 13}","pod":"pod-${pad5}"}}`,
    );
  }
  let revision = String(100000 + i);
  if (i % 5 === 0) revision = '';
  if (i % 31 === 0) revision = '';
  return {
    key: `/calico/v1/host/node-${i % 50}/workload/k8s/ns-${i % 7}%2fpod-${pad5}/endpoint/eth0`,
    value,
    revision,
    v3ResourceVersion: i % 3 === 0 ? `rv-${i}` : '',
    ttl: i % 11 === 0 ? BigInt(i) * 1_000_000_000n : 0n,
    updateType: 1,
  };
}

/** Go's time.Time bytes for the generated timestamps, as GoTime values. */
export const PING_UTC = { sec: 63839761445n, nsec: 600000000, offsetMinutes: -1 }; // 2024-01-02T03:04:05.6Z
