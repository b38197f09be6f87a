// StreamDecoder/StreamEncoder semantics (typha/pkg/syncproto/sync_proto.go): one raw buffer for the
// whole connection, restart() switching modes with already-buffered bytes kept.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StreamDecoder, StreamEncoder } from '../../syncer-client/syncproto/index.js';
import type { Msg } from '../../syncer-client/syncproto/index.js';
import { snapshotKV } from './fixture-data.js';

const HELLO: Msg = {
  type: 'ServerHello',
  version: 'v1',
  syncerType: 'felix',
  supportsNodeResourceUpdates: true,
  serverConnID: 1n,
};
const RESTART: Msg = {
  type: 'DecoderRestart',
  message: 'enable compression: snappy;send binary snapshot',
  compressionAlgorithm: 'snappy',
};
const END: Msg = {
  type: 'DecoderRestart',
  message: 'End of compressed snapshot.',
  compressionAlgorithm: 'snappy',
};
const PING: Msg = { type: 'Ping', timestamp: { sec: 63839761445n, nsec: 1, offsetMinutes: -1 } };

/** A whole server session as Typha writes it: S1 plain, S2 snappy snapshot, S3 snappy live. */
function session(nKVs: number): { bytes: Uint8Array; expected: Msg[] } {
  const s1 = new StreamEncoder('');
  const s2 = new StreamEncoder('snappy');
  const s3 = new StreamEncoder('snappy');
  const kvs: Msg[] = [];
  for (let i = 0; i < nKVs; i += 1000) {
    kvs.push({
      type: 'KVs',
      kvs: Array.from({ length: Math.min(1000, nKVs - i) }, (_, j) => snapshotKV(i + j)),
    });
  }
  const live: Msg[] = [{ type: 'SyncStatus', syncStatus: 2 }, PING, { type: 'KVs', kvs: [snapshotKV(7)] }];
  const bytes = Buffer.concat([
    s1.encode(HELLO),
    s1.encode(RESTART),
    s2.encodeMany([...kvs, END]),
    ...live.map((m) => s3.encode(m)),
  ]);
  return { bytes, expected: [HELLO, RESTART, ...kvs, END, ...live] };
}

/** What a client does: restart on every DecoderRestart, keeping buffered bytes. */
function clientDecode(bytes: Uint8Array, piece: number): Msg[] {
  const d = new StreamDecoder();
  const out: Msg[] = [];
  for (let at = 0; at < bytes.length; at += piece) {
    d.push(bytes.subarray(at, at + piece));
    for (let m = d.next(); m !== undefined; m = d.next()) {
      out.push(m);
      if (m.type === 'DecoderRestart') d.restart(m.compressionAlgorithm === 'snappy' ? 'snappy' : '');
    }
  }
  d.finish();
  return out;
}

function norm(msgs: Msg[]): string[] {
  // `this[k]` is the raw value (a Buffer would otherwise be turned by its toJSON first).
  return msgs.map((m) =>
    JSON.stringify(m, function (this: Record<string, unknown>, k: string, v: unknown) {
      const raw = this[k];
      return typeof raw === 'bigint'
        ? `${raw}n`
        : raw instanceof Uint8Array
          ? Buffer.from(raw).toString('base64')
          : v;
    }),
  );
}

/** Compares message lists without dumping megabytes on failure. */
function assertSame(got: Msg[], want: Msg[], what = ''): void {
  const a = norm(got);
  const b = norm(want);
  assert.equal(a.length, b.length, `${what}: message count`);
  const i = a.findIndex((x, j) => x !== b[j]);
  assert.equal(i, -1, `${what}: message ${i} differs: ${a[i]?.slice(0, 300)} vs ${b[i]?.slice(0, 300)}`);
}

test('a whole session in one push: bytes after each DecoderRestart are decoded in the new mode', () => {
  const { bytes, expected } = session(2500);
  assertSame(clientDecode(bytes, bytes.length), expected);
});

test('a whole session in small and odd-sized pushes', () => {
  const { bytes, expected } = session(1200);
  for (const piece of [1, 13, 4096]) assertSame(clientDecode(bytes, piece), expected, `piece ${piece}`);
});

test("restart('') goes back to plain gob with a fresh type table", () => {
  const a = new StreamEncoder('');
  const b = new StreamEncoder('');
  const bytes = Buffer.concat([
    a.encode(HELLO),
    a.encode({ type: 'DecoderRestart', message: 'x', compressionAlgorithm: '' }),
    b.encode(PING),
  ]);
  const d = new StreamDecoder();
  d.push(bytes);
  assert.equal(d.next()!.type, 'ServerHello');
  assert.equal(d.next()!.type, 'DecoderRestart');
  d.restart('');
  assert.deepEqual(d.next(), PING);
  // Without the restart, the second stream's Envelope definition is a duplicate type.
  const stale = new StreamDecoder();
  stale.push(bytes);
  stale.next();
  stale.next();
  assert.throws(() => stale.next(), { code: 'ERR_GOB_DUPLICATE_TYPE' });
  assert.throws(() => new StreamDecoder().restart('zstd' as ''), { code: 'ERR_PROTO_BAD_COMPRESSION' });
});

test('live snappy messages each end on a chunk boundary; a snapshot is cut into ≤ 64 KiB chunks', () => {
  const e = new StreamEncoder('snappy');
  const first = e.encode({ type: 'SyncStatus', syncStatus: 2 });
  const second = e.encode(PING);
  const d = new StreamDecoder();
  d.restart('snappy');
  d.push(first);
  assert.deepEqual(d.next(), { type: 'SyncStatus', syncStatus: 2 });
  assert.equal(d.next(), undefined);
  d.push(second);
  assert.deepEqual(d.next(), PING);

  const snap = new StreamEncoder('snappy').encodeMany([
    { type: 'KVs', kvs: Array.from({ length: 3000 }, (_, i) => snapshotKV(i)) },
    END,
  ]);
  let chunks = 0;
  for (let p = 10; p < snap.length; chunks++) {
    const len = snap[p + 1]! | (snap[p + 2]! << 8) | (snap[p + 3]! << 16);
    assert.ok(snap[p] === 0 || snap[p] === 1);
    assert.ok(len <= 4 + 76490);
    p += 4 + len;
  }
  assert.ok(chunks >= 8, `${chunks} chunks for ~600 KB of gob`);
});

test('the client encoder keeps one gob stream: types once, later messages are single gob messages', () => {
  const e = new StreamEncoder('');
  const pong: Msg = {
    type: 'Pong',
    pingTimestamp: PING.type === 'Ping' ? PING.timestamp : PING,
    pongTimestamp: { sec: 0n, nsec: 0, offsetMinutes: -1 },
  };
  const first = e.encode(pong);
  const later = e.encode(pong);
  assert.ok(later.length < first.length);
  assert.equal(later[0], later.length - 1, 'one message: its length prefix covers the rest');
  const d = new StreamDecoder();
  d.push(Buffer.concat([first, later, e.encode({ type: 'ACK' })]));
  assert.deepEqual(d.next(), pong);
  assert.deepEqual(d.next(), pong);
  assert.deepEqual(d.next(), { type: 'ACK' });
});

test('a message that fails to encode sends nothing, and the stream stays consistent', () => {
  const e = new StreamEncoder('');
  const bad = { type: 'KVs', kvs: [{ ...snapshotKV(1), updateType: 300 }] } as unknown as Msg;
  assert.throws(() => e.encode(bad), { code: 'ERR_GOB_BAD_INPUT' });
  // The failed call's type definitions never went out, so the next message carries them.
  const good: Msg = { type: 'KVs', kvs: [snapshotKV(2)] };
  const d = new StreamDecoder();
  d.push(e.encode(good));
  assertSame([d.next()!], [good]);
});

test('encoding a non-message is a coded error', () => {
  assert.throws(() => new StreamEncoder('').encode({ type: 'Goodbye' } as unknown as Msg), {
    code: 'ERR_PROTO_BAD_MESSAGE',
  });
});
