// Gob decode throughput: a 10k-KV and a 100k-KV binary snapshot, decoded by felix-ts
// (syncer-client/syncproto StreamDecoder) and by Go's encoding/gob (test/protocol/go, `bench`)
// on the same bytes, side by side. Reports KVs/s, MB/s and the TS/Go time ratio.
// Usage: npx tsc -p tsconfig.json && node dist/bench/gob-decode.js [--iterations N] [--rounds R] [--plain-only]
// See bench/gob-decode.md.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StreamDecoder, StreamEncoder } from '../syncer-client/syncproto/index.js';
import type { Msg, SerializedUpdate } from '../syncer-client/syncproto/index.js';
import { runGoTool } from '../test/protocol/go-tool.js';
import { workloadEndpointKV } from './workload-fixture.js';

const enc = new TextEncoder();

/** A realistic WorkloadEndpoint KV (bench/workload-fixture.ts) as a SerializedUpdate. */
function workloadEndpoint(i: number): SerializedUpdate {
  const { key, value } = workloadEndpointKV(i);
  return {
    key,
    value: enc.encode(value),
    revision: String(1_000_000 + i),
    v3ResourceVersion: '',
    ttl: 0n,
    updateType: 1,
  };
}

/** The binary snapshot Typha would send: MsgKVs of 1000, then the closing DecoderRestart. */
function snapshot(n: number, compression: '' | 'snappy'): Uint8Array {
  const msgs: Msg[] = [];
  for (let i = 0; i < n; i += 1000) {
    msgs.push({
      type: 'KVs',
      kvs: Array.from({ length: Math.min(1000, n - i) }, (_, j) => workloadEndpoint(i + j)),
    });
  }
  msgs.push({
    type: 'DecoderRestart',
    message: 'End of compressed snapshot.',
    compressionAlgorithm: 'snappy',
  });
  return new StreamEncoder(compression).encodeMany(msgs);
}

/** Decode like a client: the bytes arrive in 64 KiB reads. */
function decodeTs(bytes: Uint8Array, compression: '' | 'snappy'): number {
  const d = new StreamDecoder();
  if (compression === 'snappy') d.restart('snappy');
  let kvs = 0;
  let keyBytes = 0;
  for (let at = 0; at < bytes.length; at += 65536) {
    d.push(bytes.subarray(at, at + 65536));
    for (let m = d.next(); m !== undefined; m = d.next()) {
      if (m.type === 'KVs') {
        kvs += m.kvs.length;
        for (const kv of m.kvs) keyBytes += kv.key.length + (kv.value?.length ?? 0);
      }
    }
  }
  d.finish();
  if (keyBytes === 0) throw new Error('nothing decoded');
  return kvs;
}

function timeTs(
  bytes: Uint8Array,
  compression: '' | 'snappy',
  iterations: number,
): { minNs: number; medianNs: number; kvs: number } {
  let kvs = 0;
  const times: number[] = [];
  for (let i = 0; i < iterations + 2; i++) {
    const t0 = process.hrtime.bigint();
    kvs = decodeTs(bytes, compression);
    const t = Number(process.hrtime.bigint() - t0);
    if (i >= 2) times.push(t); // two warm-up runs let the JIT settle, as Go needs none
  }
  times.sort((a, b) => a - b);
  return { minNs: times[0]!, medianNs: times[Math.floor(times.length / 2)]!, kvs };
}

interface GoResult {
  kvs: number;
  bytes: number;
  minNs: number;
  medianNs: number;
}

function fmt(n: number, digits = 1): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function main(): void {
  const args = process.argv.slice(2);
  const itArg = args.indexOf('--iterations');
  const iterations = itArg >= 0 ? Number(args[itArg + 1]) : 0;
  const modes: ('' | 'snappy')[] = args.includes('--plain-only') ? [''] : ['', 'snappy'];
  const roundArg = args.indexOf('--rounds');
  const rounds = roundArg >= 0 ? Number(args[roundArg + 1]) : 5;
  const dir = mkdtempSync(join(tmpdir(), `felix-ts-bench-${process.pid}-`));
  try {
    console.log(
      `node ${process.version}; ${rounds} interleaved rounds per case; "med" = median of the per-round minima`,
    );
    console.log('MB/s = megabytes of gob (uncompressed) decoded per second; bytes = size on the wire');
    console.log(
      'size      mode    bytes        TS ms (min/med)   Go ms (min/med)   TS KVs/s    TS MB/s   Go KVs/s    Go MB/s   TS/Go (min)',
    );
    for (const n of [10_000, 100_000]) {
      for (const mode of modes) {
        const bytes = snapshot(n, mode);
        // Throughput in MB/s counts the gob bytes (uncompressed) in both modes, so rows compare.
        const gobBytes = mode === '' ? bytes.length : snapshot(n, '').length;
        const iters = iterations > 0 ? iterations : n >= 100_000 ? 4 : 12;
        const file = join(dir, `snap-${n}-${mode || 'plain'}`);
        writeFileSync(file, bytes);
        // Interleave rounds of Go and TS so load from other processes on a shared machine hits
        // both alike; keep the best (min) and the median of the per-round minima.
        const goMins: number[] = [];
        const tsMins: number[] = [];
        let go: GoResult | undefined;
        let ts: { minNs: number; medianNs: number; kvs: number } | undefined;
        for (let round = 0; round < rounds; round++) {
          go = JSON.parse(
            runGoTool(['bench', mode === 'snappy' ? 'snappy' : 'plain', file, String(iters)]),
          ) as GoResult;
          ts = timeTs(bytes, mode, iters);
          goMins.push(go.minNs);
          tsMins.push(ts.minNs);
        }
        if (go === undefined || ts === undefined) throw new Error('no rounds');
        const sortNum = (a: number, b: number) => a - b;
        goMins.sort(sortNum);
        tsMins.sort(sortNum);
        go = { ...go, minNs: goMins[0]!, medianNs: goMins[Math.floor(rounds / 2)]! };
        ts = { ...ts, minNs: tsMins[0]!, medianNs: tsMins[Math.floor(rounds / 2)]! };
        if (go.kvs !== n || ts.kvs !== n)
          throw new Error(`decoded ${ts.kvs} (TS) / ${go.kvs} (Go) KVs, expected ${n}`);
        const mb = gobBytes / 1e6;
        console.log(
          [
            `${n / 1000}k`.padEnd(9),
            (mode || 'plain').padEnd(7),
            String(bytes.length).padEnd(12),
            `${fmt(ts.minNs / 1e6)}/${fmt(ts.medianNs / 1e6)}`.padEnd(17),
            `${fmt(go.minNs / 1e6)}/${fmt(go.medianNs / 1e6)}`.padEnd(17),
            fmt(n / (ts.minNs / 1e9), 0).padEnd(11),
            fmt(mb / (ts.minNs / 1e9)).padEnd(9),
            fmt(n / (go.minNs / 1e9), 0).padEnd(11),
            fmt(mb / (go.minNs / 1e9)).padEnd(9),
            fmt(ts.minNs / go.minNs, 2),
          ].join(' '),
        );
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
