// A Typha-protocol server for tests, the demo and benchmarks (issue 2 item 5). It keeps a KV store,
// serves each client the typha/pkg/syncserver/sync_server.go sequence (compressed or plain path) and then streams deltas, status
// changes and pings. It is not a datastore syncer: the test drives it with put/delete/setStatus.
import { EventEmitter } from 'node:events';
import {
  createServer as createNetServer,
  type AddressInfo,
  type Server as NetServer,
  type Socket,
} from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import type { SyncStatus } from '../../syncer-client/api.js';
import type { SerializedUpdate } from '../../syncer-client/syncproto/index.js';
import { checkPeerIdentity } from '../../syncer-client/client/index.js';
import {
  ServerConnection,
  encodeBinarySnapshot,
  STATUS_WIRE,
  type ClientHelloMsg,
  type ConnectionHost,
} from './server-connection.js';

export interface TyphaServerTlsOptions {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
  /** Required client CN (Typha ClientCN); either this or clientURISAN passes when both are set. */
  readonly clientCN?: string;
  readonly clientURISAN?: string;
  /** Default TLSv1.2 (Typha's default TLS_MIN_VERSION). */
  readonly minVersion?: 'TLSv1.2' | 'TLSv1.3';
}

export interface TyphaServerOptions {
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** 0 = ephemeral (default). */
  readonly port?: number;
  readonly tls?: TyphaServerTlsOptions;
  /** Default 10 000 (Typha ServerPingIntervalSecs); 0 disables pings and the pong check. */
  readonly pingIntervalMs?: number;
  /** Default 60 000 (ServerPongTimeoutSecs); also the wait for each ACK. */
  readonly pongTimeoutMs?: number;
  /** Default 10 000 (ServerHandshakeTimeoutSecs), TLS handshake included. */
  readonly handshakeTimeoutMs?: number;
  /** Status before the first setStatus; default in-sync. */
  readonly initialStatus?: SyncStatus;
  /** ServerMaxMessageSize: KVs per MsgKVs on the plain path and for deltas; default 100. */
  readonly maxKVsPerMessage?: number;
  /** KVs per MsgKVs inside the binary snapshot; default 1000. */
  readonly snapshotBatchSize?: number;
  /** ServerHello.Version; default "felix-ts-test-typha". */
  readonly version?: string;
}

export interface TyphaServerStats {
  connectionsAccepted: number;
  tlsRejected: number;
  hellosReceived: number;
  acksReceived: number;
  pongsReceived: number;
  disconnects: number;
}

export interface TyphaServerEvents {
  connection: [conn: ServerConnection];
  hello: [hello: ClientHelloMsg, conn: ServerConnection];
  pong: [conn: ServerConnection];
  disconnect: [reason: string, conn: ServerConnection];
  /** TLS handshake failed or the client's identity was refused. */
  'tls-error': [reason: string];
}

interface Entry {
  readonly value: Uint8Array;
  readonly revision: string;
}

const utf8 = new TextEncoder();

export class TyphaServer extends EventEmitter<TyphaServerEvents> {
  private readonly server: NetServer;
  private readonly conns = new Set<ServerConnection>();
  private readonly kvs = new Map<string, Entry>();
  private statusValue: SyncStatus;
  private revisionCounter = 0;
  /** The encoded binary snapshot of the KVs as they were at `version` (Typha's binary snapshot cache). */
  private binSnap: { version: number; bytes: Uint8Array } | undefined;
  /** Bumped by every change to the KVs. */
  private dataVersion = 0;
  private pingEnabled = true;
  readonly stats: TyphaServerStats = {
    connectionsAccepted: 0,
    tlsRejected: 0,
    hellosReceived: 0,
    acksReceived: 0,
    pongsReceived: 0,
    disconnects: 0,
  };
  private readonly host: ConnectionHost;

  constructor(private readonly opts: TyphaServerOptions = {}) {
    super();
    this.statusValue = opts.initialStatus ?? 'in-sync';
    const isPingEnabled = (): boolean => this.pingEnabled;
    this.host = {
      version: opts.version ?? 'felix-ts-test-typha',
      pingIntervalMs: opts.pingIntervalMs ?? 10_000,
      pongTimeoutMs: opts.pongTimeoutMs ?? 60_000,
      handshakeTimeoutMs: opts.handshakeTimeoutMs ?? 10_000,
      maxKVsPerMessage: opts.maxKVsPerMessage ?? 100,
      snapshotBatchSize: opts.snapshotBatchSize ?? 1000,
      get pingEnabled() {
        return isPingEnabled();
      },
      snapshot: () => ({ kvs: this.sortedSnapshot(), status: this.statusValue }),
      binarySnapshot: () => ({ bytes: this.warmBinarySnapshot(), status: this.statusValue }),
      onHello: (conn, hello) => {
        this.stats.hellosReceived++;
        this.emit('hello', hello, conn);
      },
      onAck: () => {
        this.stats.acksReceived++;
      },
      onPong: (conn) => {
        this.stats.pongsReceived++;
        this.emit('pong', conn);
      },
      onClose: (conn, reason) => {
        this.conns.delete(conn);
        this.stats.disconnects++;
        this.emit('disconnect', reason, conn);
      },
    };
    const tls = opts.tls;
    if (tls === undefined) {
      this.server = createNetServer((s) => this.accept(s));
    } else {
      const srv = createTlsServer(
        {
          ca: tls.ca,
          cert: tls.cert,
          key: tls.key,
          // typha/pkg/syncclient/sync_client.go: RequireAndVerifyClientCert against the CA, TLS ≥ 1.2.
          requestCert: true,
          rejectUnauthorized: true,
          minVersion: tls.minVersion ?? 'TLSv1.2',
          handshakeTimeout: this.host.handshakeTimeoutMs,
        },
        (s: TLSSocket) => {
          const reason = checkPeerIdentity(s.getPeerCertificate(), tls.clientCN, tls.clientURISAN);
          if (reason !== undefined) {
            this.stats.tlsRejected++;
            this.emit('tls-error', reason);
            s.destroy();
            return;
          }
          this.accept(s);
        },
      );
      srv.on('tlsClientError', (err) => {
        this.stats.tlsRejected++;
        this.emit('tls-error', err.message);
      });
      this.server = srv;
    }
  }

  private accept(socket: Socket): void {
    this.stats.connectionsAccepted++;
    const conn = new ServerConnection(socket, this.host);
    this.conns.add(conn);
    this.emit('connection', conn);
  }

  /** Listens; resolves with the bound port. */
  start(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port ?? 0, this.opts.host ?? '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve(this.address().port);
      });
    });
  }

  address(): { host: string; port: number } {
    const a = this.server.address() as AddressInfo | null;
    if (a === null) throw new Error('TyphaServer is not listening');
    return { host: a.address, port: a.port };
  }

  /** "host:port" for the client's typhaAddr. */
  get endpoint(): string {
    const { host, port } = this.address();
    return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  }

  /** Closes the listener and every connection (like a killed Typha). */
  async stop(): Promise<void> {
    this.dropConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Closes every client connection; the listener stays up. */
  dropConnections(): void {
    for (const c of [...this.conns]) c.close('dropped by server');
  }

  /** Sends raw bytes to every connection, then closes it (hostile-input tests). */
  sendRawAndClose(bytes: Uint8Array): void {
    for (const c of [...this.conns]) c.sendRawAndClose(bytes);
  }

  /** Pauses or resumes pings (a server that stops pinging must be dropped by the client's read timeout). */
  /** Changes ServerMaxMessageSize for connections from now on (tests of the client's caps). */
  setMaxKVsPerMessage(n: number): void {
    (this.host as { maxKVsPerMessage: number }).maxKVsPerMessage = n;
  }

  setPinging(enabled: boolean): void {
    this.pingEnabled = enabled;
  }

  get connectionCount(): number {
    return this.conns.size;
  }

  get liveConnectionCount(): number {
    let n = 0;
    for (const c of this.conns) if (c.isLive) n++;
    return n;
  }

  get status(): SyncStatus {
    return this.statusValue;
  }

  get size(): number {
    return this.kvs.size;
  }

  /** Adds or updates a KV; the value is the raw serialized value (JSON text or a raw string). */
  put(key: string, value: string | Uint8Array, revision?: string): void {
    const u = this.store(key, value, revision);
    if (u !== undefined) this.broadcastKV(u);
  }

  /** Many puts at once, sent to live clients in MsgKVs of ≤ maxKVsPerMessage. */
  putMany(entries: Iterable<readonly [string, string | Uint8Array]>): void {
    const batch: SerializedUpdate[] = [];
    for (const [key, value] of entries) {
      const u = this.store(key, value);
      if (u !== undefined) batch.push(u);
    }
    for (let i = 0; i < batch.length; i += this.host.maxKVsPerMessage) {
      const kvs = batch.slice(i, i + this.host.maxKVsPerMessage);
      for (const c of this.conns) c.deliver({ type: 'KVs', kvs });
    }
  }

  /** Stores a put; returns the update to send, or undefined for a no-op (same value). */
  private store(key: string, value: string | Uint8Array, revision?: string): SerializedUpdate | undefined {
    const bytes = typeof value === 'string' ? utf8.encode(value) : value;
    const prev = this.kvs.get(key);
    const rev = revision ?? String(++this.revisionCounter);
    this.kvs.set(key, { value: bytes, revision: rev });
    // Typha drops no-op updates (same value) before they reach clients (typha/pkg/syncserver/sync_server.go).
    if (prev !== undefined && Buffer.compare(prev.value, bytes) === 0) return undefined;
    this.dataVersion++;
    return {
      key,
      value: bytes,
      revision: rev,
      v3ResourceVersion: '',
      ttl: 0n,
      updateType: prev === undefined ? 1 : 2,
    };
  }

  /** Deletes a KV (no Value, UpdateType 3). Unknown keys are ignored. */
  delete(key: string): void {
    if (!this.kvs.delete(key)) return;
    this.dataVersion++;
    this.broadcastKV({
      key,
      value: null,
      revision: String(++this.revisionCounter),
      v3ResourceVersion: '',
      ttl: 0n,
      updateType: 3,
    });
  }

  /** Changes the sync status; live clients get MsgSyncStatus. WaitForDatastore is never sent (typha/pkg/syncproto/sync_proto.go). */
  setStatus(status: SyncStatus): void {
    if (status === this.statusValue) return;
    this.statusValue = status;
    if (status === 'wait-for-ready') return;
    for (const c of this.conns) c.deliver({ type: 'SyncStatus', syncStatus: STATUS_WIRE[status] });
  }

  private broadcastKV(u: SerializedUpdate): void {
    for (const c of this.conns) c.deliver({ type: 'KVs', kvs: [u] });
  }

  /**
   * The binary snapshot of the current KVs, encoded once and reused by every client until the KVs
   * change, as Typha's binary snapshot cache does. A bench calls it before its client connects, so the
   * client does not wait for the encoding (Typha keeps the cache warm).
   */
  warmBinarySnapshot(): Uint8Array {
    if (this.binSnap?.version !== this.dataVersion)
      this.binSnap = {
        version: this.dataVersion,
        bytes: encodeBinarySnapshot(this.sortedSnapshot(), this.host.snapshotBatchSize),
      };
    return this.binSnap.bytes;
  }

  /** Byte-wise key order, as Typha's snapshot (typha/pkg/syncserver/sync_server.go step 4c). */
  private sortedSnapshot(): SerializedUpdate[] {
    // Each key's UTF-8 bytes made once, not once per comparison.
    const keyed = [...this.kvs.keys()].map((k) => [k, Buffer.from(k, 'utf8')] as const);
    keyed.sort((a, b) => Buffer.compare(a[1], b[1]));
    return keyed.map(([key]) => {
      const e = this.kvs.get(key)!;
      return { key, value: e.value, revision: e.revision, v3ResourceVersion: '', ttl: 0n, updateType: 1 };
    });
  }
}

/** Compares strings by their UTF-8 bytes (Go string order), not by UTF-16 code units. */
export function compareBytewise(a: string, b: string): number {
  if (a === b) return 0;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
