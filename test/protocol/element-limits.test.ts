// The cap on elements per slice, array or map value (issue 17 item 5): one 64 MiB Typha message
// can hold a million tiny KVs, and decoding it holds the event loop for seconds (bench/wire-stall.md).
// Typha sends at most ServerMaxMessageSize KVs per message (default 100), so MAX_COLLECTION_ELEMENTS
// (100,000) is refused with a typed error, decoded or skipped, and a client reconnects.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GobDecoder, GobEncoder, T, TypeRegistry } from '../../syncer-client/gob/index.js';
import { MAX_COLLECTION_ELEMENTS } from '../../syncer-client/gob/common.js';
import { StreamDecoder, StreamEncoder, type SerializedUpdate } from '../../syncer-client/syncproto/index.js';
import { TyphaServer } from '../../tools/typha-server/index.js';
import { startClient } from '../integration/syncer-harness.js';

function tinyKVs(n: number): SerializedUpdate[] {
  const value = new TextEncoder().encode('1');
  return Array.from({ length: n }, (_, i) => ({
    key: `/calico/v1/zz/${i.toString(36)}`,
    value,
    revision: '1',
    v3ResourceKind: '',
    updateType: 1,
    ttl: 0n,
  })) as unknown as SerializedUpdate[];
}

test('a MsgKVs of MAX_COLLECTION_ELEMENTS KVs decodes; one more is ERR_GOB_TOO_MANY_ELEMENTS', () => {
  assert.equal(MAX_COLLECTION_ELEMENTS, 100_000);
  const ok = new StreamDecoder();
  ok.push(new StreamEncoder('').encode({ type: 'KVs', kvs: tinyKVs(MAX_COLLECTION_ELEMENTS) }));
  const m = ok.next();
  assert.equal(m?.type, 'KVs');
  assert.equal(m.type === 'KVs' ? m.kvs.length : 0, MAX_COLLECTION_ELEMENTS);

  const over = new StreamDecoder();
  over.push(new StreamEncoder('').encode({ type: 'KVs', kvs: tinyKVs(MAX_COLLECTION_ELEMENTS + 1) }));
  assert.throws(() => over.next(), { code: 'ERR_GOB_TOO_MANY_ELEMENTS' });
  assert.throws(() => over.next(), { code: 'ERR_GOB_TOO_MANY_ELEMENTS' }, 'the stream stays failed');
});

test('the cap holds for fields the local type skips, and for maps', () => {
  const Wide = T.struct('S', [T.field('A', T.int), T.field('B', T.sliceOf(T.int, '[]int'))]);
  const Narrow = T.struct('S', [T.field('A', T.int)]);
  const enc = new GobEncoder({ registry: TypeRegistry.withBasics() });
  const big = { A: 1, B: Array.from({ length: MAX_COLLECTION_ELEMENTS + 1 }, (_, i) => i) };
  const skipped = new GobDecoder({ registry: TypeRegistry.withBasics() });
  skipped.push(enc.encode(big, Wide));
  assert.throws(() => skipped.next(Narrow), { code: 'ERR_GOB_TOO_MANY_ELEMENTS' });

  const fits = new GobDecoder({ registry: TypeRegistry.withBasics() });
  fits.push(new GobEncoder({ registry: TypeRegistry.withBasics() }).encode({ A: 1, B: [1, 2] }, Wide));
  assert.deepEqual(fits.next(Narrow)?.value, { A: 1 });

  const M = T.mapOf(T.int, T.int, 'map[int]int');
  const m = new Map(Array.from({ length: MAX_COLLECTION_ELEMENTS + 1 }, (_, i) => [i, i] as const));
  const dm = new GobDecoder({ registry: TypeRegistry.withBasics() });
  dm.push(new GobEncoder({ registry: TypeRegistry.withBasics() }).encode(m, M));
  assert.throws(() => dm.next(M), { code: 'ERR_GOB_TOO_MANY_ELEMENTS' });
});

test('a client whose Typha packs 100,001 KVs in one message drops it with the typed error and reconnects', async () => {
  const server = new TyphaServer({ pingIntervalMs: 0, maxKVsPerMessage: 1_000_000 });
  await server.start();
  for (let i = 0; i <= MAX_COLLECTION_ELEMENTS; i++) server.put(`/calico/v1/zz/${i.toString(36)}`, '1');
  const { client, rec } = startClient(server.endpoint, { felixHostname: 'n', compression: false });
  try {
    await rec.waitFor(() => rec.count('disconnected') >= 1, 'the first disconnect');
    const why = rec.events.find((e) => e.kind === 'disconnected');
    assert.match(JSON.stringify(why), /ERR_GOB_TOO_MANY_ELEMENTS|slice of 100001 elements/);
    // Back to Typha's own message size: the client reconnects and syncs.
    server.setMaxKVsPerMessage(100);
    await rec.waitFor(() => rec.status === 'in-sync', 'in sync after the reconnect', 60_000);
    assert.equal(rec.state.size, MAX_COLLECTION_ELEMENTS + 1);
  } finally {
    await client.stop();
    await server.stop();
  }
});
