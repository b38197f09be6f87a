// The TS Typha server seen by a raw protocol client (no SyncerClient): the typha/pkg/syncserver/sync_server.go sequence, message
// sizes, key order, ClientHello validation, handshake and pong timeouts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { StreamDecoder, StreamEncoder, type Msg } from '../../syncer-client/syncproto/index.js';
import { TyphaServer } from '../../tools/typha-server/index.js';
import { pollUntil } from './syncer-harness.js';

type Hello = Extract<Msg, { type: 'ClientHello' }>;

const HELLO: Hello = {
  type: 'ClientHello',
  hostname: 'raw',
  info: 'raw test client',
  version: 'v0',
  syncerType: 'felix',
  supportsDecoderRestart: true,
  supportedCompressionAlgorithms: ['snappy'],
  supportsModernPolicyKeys: true,
  clientConnID: 7n,
};

class RawClient {
  readonly socket: Socket;
  readonly enc = new StreamEncoder('');
  readonly dec = new StreamDecoder();
  readonly msgs: Msg[] = [];
  bytes = 0;
  closed = false;
  error: unknown;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (c: Buffer) => {
      this.bytes += c.length;
      this.dec.push(c);
      this.drain();
    });
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => undefined);
  }

  static async open(server: TyphaServer): Promise<RawClient> {
    const { host, port } = server.address();
    const s = connect({ host, port });
    await new Promise<void>((r) => s.once('connect', () => r()));
    return new RawClient(s);
  }

  private drain(): void {
    for (;;) {
      let m: Msg | undefined;
      try {
        m = this.dec.next();
      } catch (err) {
        this.error = err;
        return;
      }
      if (m === undefined) return;
      this.msgs.push(m);
      // Restart at once, as a real client does, so the following bytes decode in the new mode.
      if (m.type === 'DecoderRestart') this.dec.restart(m.compressionAlgorithm === 'snappy' ? 'snappy' : '');
    }
  }

  send(m: Msg): void {
    this.socket.write(this.enc.encode(m));
  }

  async waitMsgs(n: number, what: string): Promise<Msg[]> {
    await pollUntil(() => this.msgs.length >= n || this.closed, what);
    assert.ok(this.msgs.length >= n, `${what}: connection closed after ${this.msgs.length} messages`);
    return this.msgs.slice(0, n);
  }
}

function seed(server: TyphaServer, n: number): string[] {
  const keys: string[] = [];
  for (let i = 0; i < n; i++) {
    // Mixed case and digits so byte order differs from numeric order.
    const key = `/calico/v1/netset/${i % 3 === 0 ? 'Z' : 'a'}-${i}`;
    server.put(key, `{"i":${i}}`);
    keys.push(key);
  }
  return keys.sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
}

test('compressed path: ServerHello, restart, ACK, ≤1000-KV sorted snapshot, end restart, ACK, InSync', async () => {
  const server = new TyphaServer({ pingIntervalMs: 0 });
  await server.start();
  const keys = seed(server, 2345);
  const c = await RawClient.open(server);
  try {
    c.send(HELLO);
    const [sh, r1] = await c.waitMsgs(2, 'hello + restart');
    assert.equal(sh?.type, 'ServerHello');
    assert.ok(sh?.type === 'ServerHello' && sh.supportsNodeResourceUpdates && sh.syncerType === 'felix');
    assert.deepEqual(r1, {
      type: 'DecoderRestart',
      message: 'enable compression: snappy;send binary snapshot',
      compressionAlgorithm: 'snappy',
    });
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(c.msgs.length, 2, 'nothing more before the ACK');
    c.send({ type: 'ACK' });
    const snap = await c.waitMsgs(2 + 3 + 1, 'binary snapshot');
    const kvMsgs = snap.slice(2, 5);
    assert.deepEqual(
      kvMsgs.map((m) => (m.type === 'KVs' ? m.kvs.length : -1)),
      [1000, 1000, 345],
    );
    const got = kvMsgs.flatMap((m) => (m.type === 'KVs' ? m.kvs : []));
    assert.deepEqual(
      got.map((u) => u.key),
      keys,
      'sorted byte-wise',
    );
    assert.ok(got.every((u) => u.updateType === 1 && u.value !== null));
    assert.deepEqual(snap[5], {
      type: 'DecoderRestart',
      message: 'End of compressed snapshot.',
      compressionAlgorithm: 'snappy',
    });
    c.send({ type: 'ACK' });
    const live = await c.waitMsgs(7, 'in-sync');
    assert.deepEqual(live[6], { type: 'SyncStatus', syncStatus: 2 });
    server.delete(keys[0]!);
    const [del] = (await c.waitMsgs(8, 'delete delta')).slice(7);
    assert.ok(
      del?.type === 'KVs' &&
        del.kvs.length === 1 &&
        del.kvs[0]!.value === null &&
        del.kvs[0]!.updateType === 3,
    );
    assert.equal(c.error, undefined);
  } finally {
    c.socket.destroy();
    await server.stop();
  }
});

test('plain path: ≤100 KVs per message on the plain stream, sorted, then InSync', async () => {
  const server = new TyphaServer({ pingIntervalMs: 0 });
  await server.start();
  const keys = seed(server, 250);
  const c = await RawClient.open(server);
  try {
    c.send({ ...HELLO, supportsDecoderRestart: false, supportedCompressionAlgorithms: [] });
    const msgs = await c.waitMsgs(1 + 3 + 1, 'plain snapshot');
    assert.equal(msgs[0]?.type, 'ServerHello');
    assert.deepEqual(
      msgs.slice(1, 4).map((m) => (m.type === 'KVs' ? m.kvs.length : -1)),
      [100, 100, 50],
    );
    assert.deepEqual(
      msgs.slice(1, 4).flatMap((m) => (m.type === 'KVs' ? m.kvs.map((u) => u.key) : [])),
      keys,
    );
    assert.deepEqual(msgs[4], { type: 'SyncStatus', syncStatus: 2 });
  } finally {
    c.socket.destroy();
    await server.stop();
  }
});

test('deltas that happen while the client is between the two ACKs are queued and delivered after InSync', async () => {
  const server = new TyphaServer({ pingIntervalMs: 0 });
  await server.start();
  server.put('/a', '1');
  const c = await RawClient.open(server);
  try {
    c.send(HELLO);
    await c.waitMsgs(2, 'hello');
    c.send({ type: 'ACK' });
    await c.waitMsgs(4, 'snapshot'); // KVs(1) + end restart
    server.put('/b', '2');
    server.setStatus('resync');
    c.send({ type: 'ACK' });
    const msgs = await c.waitMsgs(7, 'live');
    assert.deepEqual(msgs[4], { type: 'SyncStatus', syncStatus: 2 });
    assert.ok(msgs[5]?.type === 'KVs' && msgs[5].kvs[0]!.key === '/b');
    assert.deepEqual(msgs[6], { type: 'SyncStatus', syncStatus: 1 });
  } finally {
    c.socket.destroy();
    await server.stop();
  }
});

test('ClientHello validation: old clients and unknown syncer types are closed without a reply', async () => {
  const server = new TyphaServer();
  await server.start();
  const reasons: string[] = [];
  server.on('disconnect', (r) => reasons.push(r));
  try {
    for (const bad of [
      { ...HELLO, supportsModernPolicyKeys: false },
      { ...HELLO, syncerType: 'bgp' },
    ]) {
      const c = await RawClient.open(server);
      c.send(bad);
      await pollUntil(() => c.closed, 'server closes');
      assert.equal(c.bytes, 0, 'no reply at all');
    }
    assert.match(reasons[0]!, /modern policy keys/);
    assert.match(reasons[1]!, /syncer type/);
    // An empty syncer type means felix (pre-v3.3 clients).
    const c = await RawClient.open(server);
    c.send({ ...HELLO, syncerType: '', supportsDecoderRestart: false });
    const [sh] = await c.waitMsgs(1, 'hello');
    assert.ok(sh?.type === 'ServerHello' && sh.syncerType === 'felix');
    c.socket.destroy();
  } finally {
    await server.stop();
  }
});

test('timeouts: no ClientHello → handshake timeout; no pongs → pong timeout; a non-Pong after the handshake → close', async () => {
  const server = new TyphaServer({ handshakeTimeoutMs: 200, pingIntervalMs: 50, pongTimeoutMs: 400 });
  await server.start();
  const reasons: string[] = [];
  server.on('disconnect', (r) => reasons.push(r));
  try {
    const silent = await RawClient.open(server);
    await pollUntil(() => silent.closed, 'handshake timeout');
    assert.deepEqual(reasons, ['handshake timeout']);

    const noPong = await RawClient.open(server);
    noPong.send({ ...HELLO, supportsDecoderRestart: false });
    await pollUntil(() => noPong.closed, 'pong timeout');
    assert.ok(
      noPong.msgs.some((m) => m.type === 'Ping'),
      'was pinged',
    );
    assert.equal(reasons[1], 'pong timeout');

    const rude = await RawClient.open(server);
    rude.send({ ...HELLO, supportsDecoderRestart: false });
    await rude.waitMsgs(2, 'in-sync');
    rude.send({ type: 'ACK' });
    await pollUntil(() => rude.closed, 'close on unexpected message');
    assert.match(reasons[2]!, /unexpected ACK/);
  } finally {
    await server.stop();
  }
});

test('pongs keep a connection alive past the pong timeout', async () => {
  const server = new TyphaServer({ pingIntervalMs: 50, pongTimeoutMs: 300 });
  await server.start();
  const c = await RawClient.open(server);
  try {
    c.send({ ...HELLO, supportsDecoderRestart: false });
    let answered = 0;
    const timer = setInterval(() => {
      for (const m of c.msgs.splice(0)) {
        if (m.type === 'Ping') {
          c.send({
            type: 'Pong',
            pingTimestamp: m.timestamp,
            pongTimestamp: { sec: 0n, nsec: 0, offsetMinutes: -1 },
          });
          answered++;
        }
      }
    }, 10);
    await new Promise((r) => setTimeout(r, 1000));
    clearInterval(timer);
    assert.equal(c.closed, false);
    assert.ok(answered >= 5 && server.stats.pongsReceived >= 5, `pongs ${server.stats.pongsReceived}`);
  } finally {
    c.socket.destroy();
    await server.stop();
  }
});

test('binary snapshot cache: encoded once for unchanged KVs, re-encoded after a put or delete', async () => {
  const server = new TyphaServer({ pingIntervalMs: 0 });
  await server.start();
  const keys = seed(server, 20);
  const snapshotKeys = async (): Promise<string[]> => {
    const c = await RawClient.open(server);
    try {
      c.send(HELLO);
      await c.waitMsgs(2, 'hello + restart');
      c.send({ type: 'ACK' });
      const snap = await c.waitMsgs(4, 'binary snapshot');
      return snap[2]?.type === 'KVs' ? snap[2].kvs.map((u) => u.key) : [];
    } finally {
      c.socket.destroy();
    }
  };
  try {
    const warm = server.warmBinarySnapshot();
    assert.equal(server.warmBinarySnapshot(), warm, 'cached while nothing changed');
    assert.deepEqual(await snapshotKeys(), keys);
    server.put(keys[0]!, '{"i":"same key, new value"}');
    assert.notEqual(server.warmBinarySnapshot(), warm, 'a changed value re-encodes');
    server.put('/calico/v1/netset/0-new', '{}');
    server.delete(keys[1]!);
    const want = [...keys.filter((k) => k !== keys[1]), '/calico/v1/netset/0-new'].sort((x, y) =>
      Buffer.compare(Buffer.from(x), Buffer.from(y)),
    );
    assert.deepEqual(await snapshotKeys(), want, 'a client after the changes gets them');
  } finally {
    await server.stop();
  }
});
