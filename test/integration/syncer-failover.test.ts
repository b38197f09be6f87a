// Failover, read timeout and resync-after-reconnect (typha/pkg/syncserver/sync_server.go, typha/pkg/discovery/discovery.go).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UpdateType } from '../../syncer-client/api.js';
import { TyphaServer } from '../../tools/typha-server/index.js';
import { deadPort, FAST_FAILOVER, startClient } from './syncer-harness.js';

function seed(s: TyphaServer, n: number): void {
  for (let i = 0; i < n; i++)
    s.put(`/calico/v1/netset/set-${i}`, JSON.stringify({ nets: [`10.1.${i >> 8}.${i & 255}/32`] }));
}

test('failover from a killed server to a live one (gap measured, not asserted)', async () => {
  const a = new TyphaServer();
  const b = new TyphaServer();
  await a.start();
  await b.start();
  seed(a, 300);
  seed(b, 300);
  const { client, rec } = startClient(`${a.endpoint},${b.endpoint}`);
  try {
    await rec.waitInSync();
    const first = rec.events.find((e) => e.kind === 'connected');
    assert.equal(first?.kind === 'connected' && first.endpoint, a.endpoint, 'static list is tried in order');
    const before = rec.events.length;
    const t0 = performance.now();
    await a.stop();
    await rec.waitFor(() => rec.count('connected') === 2 && rec.status === 'in-sync', 'in-sync on b');
    const gapMs = performance.now() - t0;
    console.log(`failover gap (kill → in-sync on the other server, 300 KVs): ${gapMs.toFixed(1)} ms`);
    assert.equal(client.connectedEndpoint, b.endpoint);
    const after = rec.events.slice(before);
    // Same data on both servers: nothing changes downstream, no deletes, never an empty view.
    assert.ok(
      after.every((e) => e.kind !== 'batch' || e.updates.length === 0),
      'no KV churn on failover',
    );
    assert.deepEqual(
      after.flatMap((e) => (e.kind === 'batch' && e.status !== undefined ? [e.status] : [])),
      ['wait-for-ready', 'resync', 'in-sync'],
    );
    assert.equal(rec.state.size, 300);
    assert.deepEqual(rec.violations, []);
  } finally {
    await client.stop();
    await b.stop();
  }
});

test('a dead first address is skipped after one failed attempt', async () => {
  const live = new TyphaServer();
  await live.start();
  live.put('/a', '1');
  const dead = `127.0.0.1:${await deadPort()}`;
  const { client, rec } = startClient(`${dead},${live.endpoint}`);
  try {
    await rec.waitInSync();
    const connecting = rec.events.flatMap((e) => (e.kind === 'connecting' ? [e.endpoint] : []));
    assert.deepEqual(connecting, [dead, live.endpoint]);
    const d = rec.events.find((e) => e.kind === 'disconnected');
    assert.ok(d?.kind === 'disconnected' && d.reason.startsWith('ERR_TYPHA_DIAL') && d.endpoint === dead);
  } finally {
    await client.stop();
    await live.stop();
  }
});

test('everything down: rounds of 2 × max(3, n) attempts, back-off, then give up when maxRounds is set', async () => {
  const dead = [`127.0.0.1:${await deadPort()}`, `127.0.0.1:${await deadPort()}`];
  const { client, rec } = startClient(dead.join(','), { failover: { ...FAST_FAILOVER, maxRounds: 2 } });
  const end = await client.finished;
  assert.equal(end?.code, 'ERR_TYPHA_DIAL');
  const tried = rec.events.flatMap((e) => (e.kind === 'connecting' ? [e.endpoint] : []));
  assert.equal(tried.length, 12);
  // Alternates: never the same address twice in a row while another is untried.
  assert.deepEqual(tried.slice(0, 4), [dead[0], dead[1], dead[0], dead[1]]);
  assert.equal(rec.count('connected'), 0);
  assert.equal(rec.count('batch'), 0, 'no status is invented without a connection');
});

test('by default the client never gives up: it keeps retrying until a server appears', async () => {
  const port = await deadPort();
  const { client, rec } = startClient(`127.0.0.1:${port}`);
  try {
    await rec.waitForCount('connecting', 15); // more than two rounds of 6
    const server = new TyphaServer({ port });
    await server.start();
    try {
      server.put('/late', 'yes');
      await rec.waitInSync();
      assert.equal(rec.state.get('/late'), 'yes');
    } finally {
      await client.stop();
      await server.stop();
    }
  } finally {
    await client.stop();
  }
});

test('a server that stops pinging is dropped after TyphaReadTimeout; pings keep it alive before that', async () => {
  const server = new TyphaServer({ pingIntervalMs: 100 });
  await server.start();
  server.put('/a', '1');
  const { client, rec } = startClient(server.endpoint, { typhaReadTimeoutMs: 1000 });
  try {
    await rec.waitInSync();
    // Three read-timeout periods with pings flowing: no disconnect.
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal(rec.count('disconnected'), 0, 'pings reset the read deadline');
    server.setPinging(false);
    await rec.waitForCount('disconnected', 1, 10_000);
    const d = rec.events.find((e) => e.kind === 'disconnected');
    assert.ok(
      d?.kind === 'disconnected' && d.reason.startsWith('ERR_TYPHA_READ_TIMEOUT'),
      d?.kind === 'disconnected' ? d.reason : '',
    );
    // It reconnects to the same (only) server and resyncs.
    await rec.waitFor(() => rec.count('connected') === 2 && rec.status === 'in-sync', 'reconnect');
    assert.equal(rec.state.get('/a'), '1');
  } finally {
    await client.stop();
    await server.stop();
  }
});

test('resync after reconnect: deleted, added and changed keys during the outage → exactly the new state', async () => {
  const server = new TyphaServer();
  await server.start();
  for (let i = 0; i < 500; i++)
    server.put(`/calico/v1/policy/NetworkPolicy/ns/p-${String(i).padStart(3, '0')}`, `{"order":${i}}`);
  const { client, rec } = startClient(server.endpoint);
  try {
    await rec.waitInSync();
    assert.equal(rec.state.size, 500);
    const mark = rec.events.length;
    // Outage: the connection drops, and the datastore changes before the client is back.
    server.dropConnections();
    const deleted: string[] = [];
    const changed: string[] = [];
    for (let i = 0; i < 500; i++) {
      const key = `/calico/v1/policy/NetworkPolicy/ns/p-${String(i).padStart(3, '0')}`;
      if (i % 5 === 0) {
        server.delete(key);
        deleted.push(key);
      } else if (i % 7 === 0) {
        server.put(key, `{"order":${i},"changed":true}`);
        changed.push(key);
      }
    }
    for (let i = 0; i < 40; i++) server.put(`/calico/v1/netset/new-${i}`, `{"n":${i}}`);
    await rec.waitFor(() => rec.count('connected') === 2 && rec.status === 'in-sync', 'resync');

    // Exactly the server's state.
    const want = new Map<string, string>();
    for (let i = 0; i < 500; i++) {
      const key = `/calico/v1/policy/NetworkPolicy/ns/p-${String(i).padStart(3, '0')}`;
      if (i % 5 === 0) continue;
      want.set(key, i % 7 === 0 ? `{"order":${i},"changed":true}` : `{"order":${i}}`);
    }
    for (let i = 0; i < 40; i++) want.set(`/calico/v1/netset/new-${i}`, `{"n":${i}}`);
    assert.deepEqual(rec.state, want);

    // Downstream saw only the difference, and no deletes before the new InSync.
    const after = rec.events.slice(mark).flatMap((e) => (e.kind === 'batch' ? [e] : []));
    const inSyncIdx = after.findIndex((b) => b.status === 'in-sync');
    assert.ok(inSyncIdx >= 0);
    for (const b of after.slice(0, inSyncIdx))
      assert.ok(
        b.updates.every((u) => u.value !== null),
        'no delete before InSync',
      );
    const dels = after[inSyncIdx]!.updates;
    assert.deepEqual(dels.map((u) => u.key).sort(), deleted.sort());
    assert.ok(dels.every((u) => u.updateType === UpdateType.Deleted));
    const upd = after.slice(0, inSyncIdx).flatMap((b) => b.updates);
    assert.deepEqual(
      upd
        .filter((u) => u.updateType === UpdateType.Updated)
        .map((u) => u.key)
        .sort(),
      changed.sort(),
    );
    assert.equal(upd.filter((u) => u.updateType === UpdateType.New).length, 40);
    assert.deepEqual(rec.violations, []);
  } finally {
    await client.stop();
    await server.stop();
  }
});
