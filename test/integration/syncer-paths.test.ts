// The plain and the compressed paths end to end (typha/pkg/syncclient/sync_client.go), ping/pong, and the hello flags.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SyncerClient } from '../../syncer-client/client/index.js';
import { MAX_KVS_PER_BATCH } from '../../syncer-client/client/syncer-client.js';
import { TyphaServer, type ClientHelloMsg } from '../../tools/typha-server/index.js';
import { FAST_FAILOVER, pollUntil, startClient } from './syncer-harness.js';

function fill(server: TyphaServer, n: number): Map<string, string> {
  const want = new Map<string, string>();
  for (let i = 0; i < n; i++) {
    const key = `/calico/v1/host/node-${i % 7}/workload/k8s/ns%2fpod-${i}/endpoint/eth0`;
    const value = JSON.stringify({
      state: 'active',
      name: `cali${i}`,
      ipv4_nets: [`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}/32`],
    });
    server.put(key, value);
    want.set(key, value);
  }
  return want;
}

for (const compression of [true, false]) {
  const path = compression ? 'compressed' : 'plain';
  test(`${path} path: snapshot, in-sync, then put/update/delete deltas`, async () => {
    const server = new TyphaServer({ pingIntervalMs: 50 });
    await server.start();
    const want = fill(server, 2500);
    let hello: ClientHelloMsg | undefined;
    server.on('hello', (h) => (hello = h));
    const { client, rec } = startClient(server.endpoint, { felixHostname: 'node-3', compression });
    try {
      await rec.waitInSync();
      assert.deepEqual(rec.state, want);
      // Snapshot batches follow the server's message sizes: ≤1000 (binary snapshot) or ≤100 (plain).
      const sizes = rec.events.flatMap((e) =>
        e.kind === 'batch' && e.updates.length > 0 ? [e.updates.length] : [],
      );
      assert.equal(Math.max(...sizes), compression ? 1000 : 100);
      assert.equal(
        sizes.reduce((a, b) => a + b, 0),
        2500,
      );
      assert.equal(server.stats.acksReceived, compression ? 2 : 0);

      // Hello flags (typha/pkg/syncclient/sync_client.go step 2).
      assert.ok(hello !== undefined);
      assert.equal(hello.hostname, 'node-3');
      assert.equal(hello.syncerType, 'felix');
      assert.equal(hello.supportsModernPolicyKeys, true);
      assert.equal(hello.supportsDecoderRestart, compression);
      assert.deepEqual(hello.supportedCompressionAlgorithms, compression ? ['snappy'] : []);
      assert.notEqual(hello.clientConnID, 0n);

      // Status order seen downstream: resync (local, at connect) then in-sync.
      const statuses = rec.events.flatMap((e) =>
        e.kind === 'batch' && e.status !== undefined ? [e.status] : [],
      );
      assert.deepEqual(statuses, ['resync', 'in-sync']);

      const [k0, k1] = [...want.keys()];
      server.put(k0!, '{"state":"down"}');
      server.delete(k1!);
      server.put('/calico/v1/config/LogSeverityScreen', 'Debug');
      await rec.waitFor(() => rec.state.get('/calico/v1/config/LogSeverityScreen') === 'Debug', 'deltas');
      assert.equal(rec.state.get(k0!), '{"state":"down"}');
      assert.equal(rec.state.has(k1!), false);
      assert.equal(rec.state.size, 2500);

      // Pings are answered (the server pings every 50 ms).
      const pongs = server.stats.pongsReceived;
      await pollUntil(() => server.stats.pongsReceived >= pongs + 3, 'three more pongs');
      assert.equal(rec.count('disconnected'), 0);
      assert.deepEqual(rec.violations, []);
    } finally {
      await client.stop();
      await server.stop();
    }
  });
}

test('server status changes pass through; in-sync is only reported when the server says so', async () => {
  const server = new TyphaServer({ initialStatus: 'wait-for-ready' });
  await server.start();
  server.put('/a', '1');
  const { client, rec } = startClient(server.endpoint);
  try {
    await rec.waitFor(() => rec.state.get('/a') === '1', 'snapshot');
    assert.equal(rec.status, 'resync');
    server.setStatus('resync');
    server.setStatus('in-sync');
    await rec.waitInSync();
    server.setStatus('resync');
    await rec.waitFor(() => rec.status === 'resync', 'resync again');
    assert.equal(rec.count('disconnected'), 0);
  } finally {
    await client.stop();
    await server.stop();
  }
});

test('the async iterator yields the same typed events and ends on stop()', async () => {
  const server = new TyphaServer();
  await server.start();
  server.put('/a', '1');
  const client = new SyncerClient({
    felixHostname: 'n',
    typhaAddr: server.endpoint,
    failover: FAST_FAILOVER,
  });
  const it = client.events();
  client.start();
  const kinds: string[] = [];
  try {
    for await (const ev of it) {
      kinds.push(ev.kind);
      if (ev.kind === 'batch' && ev.status === 'in-sync') break;
    }
    assert.deepEqual(kinds.slice(0, 2), ['connecting', 'connected']);
    assert.ok(kinds.filter((k) => k === 'batch').length >= 2);
    const it2 = client.events();
    const ended = it2.next();
    await client.stop();
    assert.deepEqual(await ended, { value: undefined, done: true });
  } finally {
    await client.stop();
    await server.stop();
  }
});

test('hostile server bytes: the client drops the connection with a protocol error and recovers', async () => {
  const server = new TyphaServer();
  await server.start();
  server.put('/a', '1');
  const { client, rec } = startClient(server.endpoint);
  try {
    await rec.waitInSync();
    // A snappy chunk of a reserved unskippable type (0x02) in the middle of the live stream.
    server.sendRawAndClose(Buffer.from([0x02, 0x04, 0x00, 0x00, 1, 2, 3, 4]));
    await rec.waitForCount('disconnected', 1);
    const d = rec.events.find((e) => e.kind === 'disconnected');
    assert.ok(
      d?.kind === 'disconnected' && d.reason.startsWith('ERR_TYPHA_PROTOCOL'),
      d?.kind === 'disconnected' ? d.reason : '',
    );
    await rec.waitFor(() => rec.count('connected') === 2 && rec.status === 'in-sync', 'reconnected');
    assert.equal(rec.state.get('/a'), '1');
    assert.deepEqual(rec.violations, []);
  } finally {
    await client.stop();
    await server.stop();
  }
});

test('one message of 2,500 KVs reaches the daemon in slices of at most 1000, the status after the last', async () => {
  // Typha's own messages hold ≤1000 KVs; a hostile one can hold a million in 64 MiB.
  const server = new TyphaServer({ pingIntervalMs: 0, maxKVsPerMessage: 10_000 });
  await server.start();
  const want = fill(server, 2500);
  const { client, rec } = startClient(server.endpoint, { felixHostname: 'node-3', compression: false });
  try {
    await rec.waitInSync();
    assert.deepEqual(rec.state, want);
    const batches = rec.events.filter((e) => e.kind === 'batch' && e.updates.length > 0);
    assert.deepEqual(
      batches.map((e) => (e.kind === 'batch' ? e.updates.length : 0)),
      [MAX_KVS_PER_BATCH, MAX_KVS_PER_BATCH, 500],
    );
    assert.ok(batches.every((e) => e.kind === 'batch' && e.status === undefined));
  } finally {
    await client.stop();
    await server.stop();
  }
});
