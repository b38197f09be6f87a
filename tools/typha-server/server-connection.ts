// One client connection of the test Typha server: the server sequence of typha/pkg/syncserver/sync_server.go.
import type { Socket } from 'node:net';
import type { SyncStatus } from '../../syncer-client/api.js';
import {
  StreamDecoder,
  StreamEncoder,
  type Msg,
  type SerializedUpdate,
} from '../../syncer-client/syncproto/index.js';
import { goTimeFromMs } from './go-time.js';

/** A client's hello, as the tests see it. */
export type ClientHelloMsg = Extract<Msg, { type: 'ClientHello' }>;

export interface ConnectionHost {
  readonly version: string;
  readonly pingIntervalMs: number;
  readonly pongTimeoutMs: number;
  readonly handshakeTimeoutMs: number;
  readonly maxKVsPerMessage: number;
  readonly snapshotBatchSize: number;
  readonly pingEnabled: boolean;
  /** The current KVs sorted by key (byte-wise) and the status, taken atomically. */
  snapshot(): { kvs: SerializedUpdate[]; status: SyncStatus };
  /**
   * The binary snapshot stream (snappy+gob MsgKVs then the end-of-snapshot restart) of the current KVs,
   * and the status, taken atomically; cached until the KVs change (Typha's binary snapshot cache,
   * typha/pkg/syncserver/sync_server.go binSnapCaches).
   */
  binarySnapshot(): { bytes: Uint8Array; status: SyncStatus };
  onHello(conn: ServerConnection, hello: ClientHelloMsg): void;
  onPong(conn: ServerConnection): void;
  onAck(conn: ServerConnection): void;
  onClose(conn: ServerConnection, reason: string): void;
}

export const STATUS_WIRE: Readonly<Record<SyncStatus, number>> = {
  'wait-for-ready': 0,
  resync: 1,
  'in-sync': 2,
};

/**
 * typha/pkg/syncserver/sync_server.go step 4c: a fresh snappy+gob stream of MsgKVs of ≤ batch sorted KVs,
 * then the end-of-snapshot restart.
 */
export function encodeBinarySnapshot(snap: readonly SerializedUpdate[], batch: number): Uint8Array {
  const msgs: Msg[] = [];
  for (let i = 0; i < snap.length; i += batch) msgs.push({ type: 'KVs', kvs: snap.slice(i, i + batch) });
  msgs.push({ type: 'DecoderRestart', message: RESTART_END, compressionAlgorithm: 'snappy' });
  return new StreamEncoder('snappy').encodeMany(msgs);
}

type State = 'await-hello' | 'await-ack1' | 'await-ack2' | 'live' | 'closed';

// typha/pkg/syncserver/sync_server.go: Typha's messages for the two restarts.
const RESTART_START = 'enable compression: snappy;send binary snapshot';
const RESTART_END = 'End of compressed snapshot.';
// Master Typha caps inbound client messages at 1 MiB (typha/pkg/syncproto/sync_proto.go).
const MAX_INBOUND = 1024 * 1024;

let nextConnId = 1n;

export class ServerConnection {
  readonly id = nextConnId++;
  private state: State = 'await-hello';
  private readonly decoder = new StreamDecoder({ maxMessageBytes: MAX_INBOUND });
  private encoder = new StreamEncoder('');
  private timer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private pongTimer: NodeJS.Timeout | undefined;
  private lastPongAt = 0;
  /** Deltas that arrive between taking the snapshot and going live. */
  private queue: Msg[] | undefined;
  private snapshotStatus: SyncStatus = 'in-sync';
  hello: ClientHelloMsg | undefined;
  compressed = false;

  constructor(
    readonly socket: Socket,
    private readonly host: ConnectionHost,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (c: Buffer) => this.onData(c));
    socket.on('error', (err) => this.close(`socket error: ${err.message}`));
    socket.on('close', () => this.close('client closed the connection'));
    // typha/pkg/syncserver/sync_server.go step 2: the ClientHello must arrive within the handshake timeout.
    this.timer = setTimeout(() => this.close('handshake timeout'), host.handshakeTimeoutMs);
  }

  get isLive(): boolean {
    return this.state === 'live';
  }

  get isClosed(): boolean {
    return this.state === 'closed';
  }

  close(reason: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearTimeout(this.timer);
    clearInterval(this.pingTimer);
    clearInterval(this.pongTimer);
    this.socket.destroy();
    this.host.onClose(this, reason);
  }

  /** Writes raw bytes then closes: for hostile-input tests. */
  sendRawAndClose(bytes: Uint8Array): void {
    if (this.state === 'closed') return;
    this.socket.end(bytes);
    this.socket.once('finish', () => this.close('raw bytes sent'));
  }

  /** A delta or status change from the server's store. */
  deliver(msg: Msg): void {
    if (this.state === 'live') this.send(msg);
    else if (this.queue !== undefined) this.queue.push(msg);
    // Before the snapshot is taken nothing is needed: the snapshot will contain it.
  }

  sendPing(): void {
    if (this.state === 'live') this.send({ type: 'Ping', timestamp: goTimeFromMs(Date.now()) });
  }

  private send(msg: Msg): void {
    this.writeBytes(this.encoder.encode(msg));
  }

  private writeBytes(b: Uint8Array): void {
    if (this.state === 'closed' || this.socket.destroyed) return;
    this.socket.write(b);
  }

  private onData(chunk: Buffer): void {
    if (this.state === 'closed') return;
    this.decoder.push(chunk);
    for (;;) {
      let msg: Msg | undefined;
      try {
        msg = this.decoder.next();
      } catch (err) {
        this.close(`undecodable client data: ${(err as Error).message}`);
        return;
      }
      if (msg === undefined || this.isClosed) return;
      this.handle(msg);
    }
  }

  private handle(msg: Msg): void {
    switch (this.state) {
      case 'await-hello':
        if (msg.type !== 'ClientHello') return this.close(`expected ClientHello, got ${msg.type}`);
        return this.onHello(msg);
      case 'await-ack1':
        if (msg.type !== 'ACK') return this.close(`expected ACK, got ${msg.type}`);
        this.host.onAck(this);
        return this.sendBinarySnapshot();
      case 'await-ack2':
        if (msg.type !== 'ACK') return this.close(`expected ACK, got ${msg.type}`);
        this.host.onAck(this);
        // typha/pkg/syncserver/sync_server.go step 4e: a fresh snappy stream with a fresh gob encoder for the live phase.
        this.encoder = new StreamEncoder('snappy');
        return this.goLive();
      case 'live':
        // typha/pkg/syncserver/sync_server.go step 6: after the handshake only MsgPong is allowed.
        if (msg.type !== 'Pong') return this.close(`unexpected ${msg.type} after handshake`);
        this.lastPongAt = Date.now();
        this.host.onPong(this);
        return;
      default:
        return;
    }
  }

  private onHello(hello: ClientHelloMsg): void {
    clearTimeout(this.timer);
    const syncerType = hello.syncerType === '' ? 'felix' : hello.syncerType;
    // This server only runs the felix pipeline; Typha closes without a reply for unknown types.
    if (syncerType !== 'felix')
      return this.close(`unsupported syncer type ${JSON.stringify(hello.syncerType)}`);
    // Typha ≥ 3.32 refuses clients without modern policy keys (typha/pkg/syncproto/sync_proto.go), without a reply.
    if (!hello.supportsModernPolicyKeys) return this.close('client does not support modern policy keys');
    this.hello = hello;
    this.host.onHello(this, hello);
    if (this.state === 'closed') return;
    this.compressed = hello.supportsDecoderRestart && hello.supportedCompressionAlgorithms.includes('snappy');
    this.send({
      type: 'ServerHello',
      version: this.host.version,
      syncerType,
      supportsNodeResourceUpdates: true,
      serverConnID: this.id,
    });
    if (this.compressed) {
      this.send({ type: 'DecoderRestart', message: RESTART_START, compressionAlgorithm: 'snappy' });
      this.state = 'await-ack1';
      this.timer = setTimeout(() => this.close('timed out waiting for ACK'), this.host.pongTimeoutMs);
      return;
    }
    // Plain path (typha/pkg/syncserver/sync_server.go step 4, "otherwise"): the snapshot as MsgKVs of ≤ ServerMaxMessageSize on S1.
    const snap = this.takeSnapshot();
    for (let i = 0; i < snap.length; i += this.host.maxKVsPerMessage) {
      this.send({ type: 'KVs', kvs: snap.slice(i, i + this.host.maxKVsPerMessage) });
    }
    this.goLive();
  }

  private takeSnapshot(): SerializedUpdate[] {
    const { kvs, status } = this.host.snapshot();
    this.snapshotStatus = status;
    this.queue = [];
    return kvs;
  }

  private sendBinarySnapshot(): void {
    clearTimeout(this.timer);
    const { bytes, status } = this.host.binarySnapshot();
    this.snapshotStatus = status;
    this.queue = [];
    this.writeBytes(bytes);
    this.state = 'await-ack2';
    this.timer = setTimeout(() => this.close('timed out waiting for ACK'), this.host.pongTimeoutMs);
  }

  private goLive(): void {
    clearTimeout(this.timer);
    this.state = 'live';
    // typha/pkg/syncserver/sync_server.go step 5: first the snapshot's status unless WaitForDatastore, then the queued deltas.
    if (this.snapshotStatus !== 'wait-for-ready')
      this.send({ type: 'SyncStatus', syncStatus: STATUS_WIRE[this.snapshotStatus] });
    const queued = this.queue ?? [];
    this.queue = undefined;
    for (const m of queued) this.send(m);
    // typha/pkg/syncserver/sync_server.go step 6: pings, and a pong checker at half the interval; the pong clock starts now.
    this.lastPongAt = Date.now();
    if (this.host.pingIntervalMs > 0) {
      this.pingTimer = setInterval(() => {
        if (this.host.pingEnabled) this.sendPing();
      }, this.host.pingIntervalMs);
      this.pongTimer = setInterval(
        () => {
          if (Date.now() - this.lastPongAt > this.host.pongTimeoutMs) this.close('pong timeout');
        },
        Math.max(1, Math.floor(this.host.pingIntervalMs / 2)),
      );
    }
  }
}
