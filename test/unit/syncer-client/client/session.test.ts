// The client state machine (typha/pkg/syncclient/sync_client.go) against scripted server bytes on an in-memory socket.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import type { KVUpdate, SyncStatus } from '../../../../syncer-client/api.js';
import { ByteWriter } from '../../../../syncer-client/gob/index.js';
import { StreamDecoder, StreamEncoder, type Msg } from '../../../../syncer-client/syncproto/index.js';
import { TyphaSession, type SessionParams } from '../../../../syncer-client/client/session.js';
import { silentLogger, type SyncerClientError } from '../../../../syncer-client/client/index.js';

class FakeSocket extends Duplex {
  readonly written: Buffer[] = [];
  stallWrites = false;
  setNoDelay(): this {
    return this;
  }
  override _read(): void {}
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.written.push(chunk);
    if (!this.stallWrites) cb();
  }
  /** What the client sent, decoded. */
  sent(): Msg[] {
    const d = new StreamDecoder();
    d.push(Buffer.concat(this.written));
    const out: Msg[] = [];
    for (let m = d.next(); m !== undefined; m = d.next()) out.push(m);
    return out;
  }
}

const SERVER_HELLO: Msg = {
  type: 'ServerHello',
  version: 'v3.32.1',
  syncerType: 'felix',
  supportsNodeResourceUpdates: true,
  serverConnID: 9n,
};

function params(over: Partial<SessionParams> = {}): SessionParams {
  return {
    hostname: 'node-1',
    syncerType: 'felix',
    version: 'v-test',
    info: 'test',
    compression: true,
    clientConnID: 42n,
    readTimeoutMs: 5000,
    writeTimeoutMs: 5000,
    maxMessageBytes: undefined,
    logger: silentLogger,
    endpoint: 'fake:5473',
    ...over,
  };
}

function open(over: Partial<SessionParams> = {}): {
  sock: FakeSocket;
  session: TyphaSession;
  hellos: string[];
  statuses: SyncStatus[];
  updates: KVUpdate[];
} {
  const sock = new FakeSocket();
  const hellos: string[] = [];
  const statuses: SyncStatus[] = [];
  const updates: KVUpdate[] = [];
  const session = new TyphaSession(sock as unknown as Socket, params(over), {
    onServerHello: (v) => hellos.push(v),
    onStatus: (s) => statuses.push(s),
    onUpdates: (u) => updates.push(...u),
  });
  return { sock, session, hellos, statuses, updates };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

async function endsWith(session: TyphaSession, code: string): Promise<SyncerClientError> {
  const err = await session.done;
  assert.equal(err.code, code, err.message);
  return err;
}

test('hello carries every feature flag; pings are echoed at once; KVs and statuses are delivered', async () => {
  const { sock, session, hellos, statuses, updates } = open();
  const enc = new StreamEncoder('');
  const ts = { sec: 63900000000n, nsec: 123456789, offsetMinutes: 0 };
  sock.push(enc.encode(SERVER_HELLO));
  sock.push(enc.encode({ type: 'Ping', timestamp: ts }));
  sock.push(
    enc.encode({
      type: 'KVs',
      kvs: [
        {
          key: '/a',
          value: new TextEncoder().encode('{"x":1}'),
          revision: '5',
          v3ResourceVersion: '',
          ttl: 0n,
          updateType: 1,
        },
        { key: '/b', value: null, revision: '6', v3ResourceVersion: '', ttl: 0n, updateType: 2 },
      ],
    }),
  );
  sock.push(enc.encode({ type: 'SyncStatus', syncStatus: 2 }));
  await tick();
  const sent = sock.sent();
  assert.deepEqual(sent[0], {
    type: 'ClientHello',
    hostname: 'node-1',
    info: 'test',
    version: 'v-test',
    syncerType: 'felix',
    supportsDecoderRestart: true,
    supportedCompressionAlgorithms: ['snappy'],
    supportsModernPolicyKeys: true,
    clientConnID: 42n,
  });
  assert.equal(sent[1]?.type, 'Pong');
  assert.deepEqual(sent[1]?.type === 'Pong' && sent[1].pingTimestamp, ts);
  assert.deepEqual(hellos, ['v3.32.1']);
  assert.deepEqual(statuses, ['in-sync']);
  assert.deepEqual(
    updates.map((u) => [u.key, u.value, u.revision]),
    [
      ['/a', '{"x":1}', '5'],
      ['/b', null, '6'],
    ],
  );
  session.close({ code: 'ERR_TYPHA_STOPPED' } as SyncerClientError);
});

test('decoder restarts: ACK each, and bytes after the restart in the same chunk decode in the new mode', async () => {
  const { sock, session, statuses, updates } = open();
  const plain = new StreamEncoder('');
  const snap = new StreamEncoder('snappy');
  const kv = {
    key: '/k',
    value: new TextEncoder().encode('v'),
    revision: '',
    v3ResourceVersion: '',
    ttl: 0n,
    updateType: 1,
  };
  // ServerHello + DecoderRestart + the whole binary snapshot arrive in one read.
  sock.push(
    Buffer.concat([
      plain.encode(SERVER_HELLO),
      plain.encode({
        type: 'DecoderRestart',
        message: 'enable compression: snappy;send binary snapshot',
        compressionAlgorithm: 'snappy',
      }),
      snap.encodeMany([
        { type: 'KVs', kvs: [kv] },
        { type: 'DecoderRestart', message: 'End of compressed snapshot.', compressionAlgorithm: 'snappy' },
      ]),
    ]),
  );
  const live = new StreamEncoder('snappy');
  sock.push(live.encode({ type: 'SyncStatus', syncStatus: 2 }));
  await tick();
  assert.deepEqual(
    sock.sent().map((m) => m.type),
    ['ClientHello', 'ACK', 'ACK'],
  );
  assert.deepEqual(
    updates.map((u) => u.key),
    ['/k'],
  );
  assert.deepEqual(statuses, ['in-sync']);
  session.close({ code: 'ERR_TYPHA_STOPPED' } as SyncerClientError);
});

test('handshake refusals: wrong first message, no node resource updates, other syncer type', async () => {
  const enc = (): StreamEncoder => new StreamEncoder('');
  for (const first of [
    { type: 'SyncStatus', syncStatus: 2 } as Msg,
    { ...SERVER_HELLO, supportsNodeResourceUpdates: false } as Msg,
    { ...SERVER_HELLO, syncerType: 'bgp' } as Msg,
  ]) {
    const { sock, session, hellos } = open();
    sock.push(enc().encode(first));
    await endsWith(session, 'ERR_TYPHA_HANDSHAKE');
    assert.deepEqual(hellos, []);
  }
  // A pre-v3.3 server answers with an empty syncer type, which means felix.
  const { sock, session, hellos } = open();
  sock.push(enc().encode({ ...SERVER_HELLO, syncerType: '' }));
  await tick();
  assert.deepEqual(hellos, ['v3.32.1']);
  session.close({ code: 'ERR_TYPHA_STOPPED' } as SyncerClientError);
});

test('protocol errors after the hello end the session', async () => {
  const cases: Array<[string, Msg, Partial<SessionParams>]> = [
    ['second ServerHello', SERVER_HELLO, {}],
    [
      'restart without our support',
      { type: 'DecoderRestart', message: '', compressionAlgorithm: 'snappy' },
      { compression: false },
    ],
    ['unknown compression', { type: 'DecoderRestart', message: '', compressionAlgorithm: 'zstd' }, {}],
    ['unknown status', { type: 'SyncStatus', syncStatus: 7 }, {}],
  ];
  for (const [name, msg, over] of cases) {
    const { sock, session } = open(over);
    const enc = new StreamEncoder('');
    sock.push(Buffer.concat([enc.encode(SERVER_HELLO), enc.encode(msg)]));
    const err = await session.done;
    assert.equal(err.code, 'ERR_TYPHA_PROTOCOL', `${name}: ${err.message}`);
  }
  const { sock, session } = open();
  // A 2-byte gob message whose value claims type id 50, never defined.
  sock.push(Buffer.from([0x02, 0x64, 0x00]));
  await endsWith(session, 'ERR_TYPHA_PROTOCOL');
  assert.ok(sock.destroyed);
});

test('a value that is not UTF-8 is skipped, not fatal', async () => {
  const { sock, session, updates } = open();
  const enc = new StreamEncoder('');
  sock.push(enc.encode(SERVER_HELLO));
  sock.push(
    enc.encode({
      type: 'KVs',
      kvs: [
        {
          key: '/bad',
          value: new Uint8Array([0xff, 0xfe]),
          revision: '',
          v3ResourceVersion: '',
          ttl: 0n,
          updateType: 1,
        },
        {
          key: '/good',
          value: new TextEncoder().encode('ok'),
          revision: '',
          v3ResourceVersion: '',
          ttl: 0n,
          updateType: 1,
        },
      ],
    }),
  );
  await tick();
  assert.deepEqual(
    updates.map((u) => u.key),
    ['/good'],
  );
  session.close({ code: 'ERR_TYPHA_STOPPED' } as SyncerClientError);
});

test('read timeout: silence for TyphaReadTimeout ends the session; each message resets it', async () => {
  const { sock, session } = open({ readTimeoutMs: 150 });
  const enc = new StreamEncoder('');
  sock.push(enc.encode(SERVER_HELLO));
  let ended = false;
  void session.done.then(() => (ended = true));
  for (let i = 0; i < 5; i++) {
    await new Promise((r) => setTimeout(r, 60));
    sock.push(enc.encode({ type: 'Ping', timestamp: { sec: 63900000000n, nsec: 0, offsetMinutes: -1 } }));
  }
  assert.equal(ended, false, 'messages every 60 ms keep a 150 ms deadline alive');
  await endsWith(session, 'ERR_TYPHA_READ_TIMEOUT');
});

test('write timeout: a write that does not drain ends the session', async () => {
  const sock = new FakeSocket();
  sock.stallWrites = true;
  const session = new TyphaSession(sock as unknown as Socket, params({ writeTimeoutMs: 100 }), {
    onServerHello: () => undefined,
    onStatus: () => undefined,
    onUpdates: () => undefined,
  });
  await endsWith(session, 'ERR_TYPHA_WRITE_TIMEOUT');
});

test('the server closing the socket ends the session with ERR_TYPHA_CLOSED', async () => {
  const { sock, session } = open();
  sock.push(null);
  await endsWith(session, 'ERR_TYPHA_CLOSED');
});

test('a stream cut inside a message is a protocol error, not a clean close', async () => {
  // Plain gob: the server hello, then half of the next message, then the server closes.
  {
    const { sock, session } = open();
    const enc = new StreamEncoder('');
    const hello = enc.encode(SERVER_HELLO);
    const status = enc.encode({ type: 'SyncStatus', syncStatus: 2 });
    sock.push(Buffer.concat([hello, status.subarray(0, status.length - 2)]));
    sock.push(null);
    const err = await endsWith(session, 'ERR_TYPHA_PROTOCOL');
    assert.match(err.message, /ERR_GOB_TRUNCATED/);
  }
  // Snappy framing: a skippable chunk header claiming far more bytes than ever arrive.
  {
    const { sock, session } = open();
    const enc = new StreamEncoder('');
    sock.push(
      Buffer.concat([
        enc.encode(SERVER_HELLO),
        enc.encode({ type: 'DecoderRestart', message: '', compressionAlgorithm: 'snappy' }),
      ]),
    );
    await tick();
    // The stream identifier, then a skippable chunk that claims ~3 MiB and is cut after 3 bytes.
    sock.push(Buffer.from([0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59]));
    sock.push(Buffer.from([0xa7, 0xff, 0xff, 0x30, 1, 2, 3]));
    sock.push(null);
    const err = await endsWith(session, 'ERR_TYPHA_PROTOCOL');
    assert.match(err.message, /ERR_SNAPPY_TRUNCATED/);
  }
});

test('a length prefix over maxMessageBytes is refused before buffering', async () => {
  const { sock, session } = open({ maxMessageBytes: 1024 });
  // gob uint 0x100000 (1 MiB): FD = three big-endian bytes follow.
  sock.push(Buffer.from([0xfd, 0x10, 0x00, 0x00]));
  const err = await endsWith(session, 'ERR_TYPHA_PROTOCOL');
  assert.match(err.message, /ERR_/);
});

test('over the type-definition limits: the session ends with the typed gob error as cause, socket destroyed', async () => {
  // A struct definition claiming 2000 fields (over MAX_STRUCT_FIELDS), and one whose message is
  // 2 MiB (over the 1 MiB definition budget) of which only the first bytes arrive.
  const w = new ByteWriter();
  w.int(-70);
  w.uint(3); // StructT
  w.uint(1);
  w.uint(1);
  w.string('Bomb');
  w.uint(1);
  w.int(70);
  w.uint(0);
  w.uint(1);
  w.uint(2000); // field count, then the fields
  for (let i = 0; i < 2000; i++) {
    w.uint(1);
    w.string(`F${i}`);
    w.uint(1);
    w.int(2);
    w.uint(0);
  }
  w.uint(0);
  w.uint(0);
  const fields = new ByteWriter();
  fields.uint(w.pos);
  fields.raw(w.buf.subarray(0, w.pos));
  const big = new ByteWriter();
  big.uint(2 * 1024 * 1024);
  big.int(-70);
  big.raw(new Uint8Array(100));
  for (const [bytes, cause] of [
    [fields.bytes(), 'ERR_GOB_TOO_MANY_FIELDS'],
    [big.bytes(), 'ERR_GOB_TYPEDEFS_TOO_LARGE'],
  ] as const) {
    const { sock, session } = open({ compression: false });
    sock.push(Buffer.concat([new StreamEncoder('').encode(SERVER_HELLO), bytes]));
    const err = await endsWith(session, 'ERR_TYPHA_PROTOCOL');
    assert.equal((err.cause as { code?: string }).code, cause, err.message);
    assert.match(err.message, new RegExp(`undecodable data from Typha at fake:5473: ${cause}: `));
    assert.ok(sock.destroyed);
  }
});

test('pause: nothing is delivered and no read deadline runs until resume; then the held bytes arrive', async () => {
  const { sock, session, updates } = open({ readTimeoutMs: 100 });
  const enc = new StreamEncoder('');
  sock.push(enc.encode(SERVER_HELLO));
  await tick();
  session.pause();
  let ended = false;
  void session.done.then(() => (ended = true));
  const kv = { key: '/held', value: null, revision: '1', v3ResourceVersion: '', ttl: 0n, updateType: 3 };
  sock.push(enc.encode({ type: 'KVs', kvs: [kv] }));
  await new Promise((r) => setTimeout(r, 250));
  assert.equal(ended, false, 'a paused session has no read deadline');
  assert.equal(updates.length, 0, 'nothing delivered while paused');
  session.resume();
  await tick();
  assert.deepEqual(
    updates.map((u) => u.key),
    ['/held'],
  );
  // Resumed: the deadline runs again.
  await endsWith(session, 'ERR_TYPHA_READ_TIMEOUT');
});
