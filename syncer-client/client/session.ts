// One Typha connection after dialling: the client state machine of typha/pkg/syncclient/sync_client.go.
// One raw input buffer lives in the StreamDecoder; MsgDecoderRestart swaps the decoding stage
// (keeping unconsumed bytes, typha/pkg/syncproto/sync_proto.go "Switch-over rule") and is answered with MsgACK on the single,
// never-reset plain encoder. Pings are answered at once.
import type { Socket } from 'node:net';
import { UpdateType, type KVUpdate, type SyncStatus } from '../api.js';
import { ZERO_TIME } from '../gob/index.js';
import { StreamDecoder, StreamEncoder, type Msg, type SerializedUpdate } from '../syncproto/index.js';
import { SyncerClientError } from './errors.js';
import type { Logger } from './logger.js';

export interface SessionParams {
  readonly hostname: string;
  readonly syncerType: string;
  readonly version: string;
  readonly info: string;
  readonly compression: boolean;
  readonly clientConnID: bigint;
  readonly readTimeoutMs: number;
  readonly writeTimeoutMs: number;
  readonly maxMessageBytes: number | undefined;
  readonly logger: Logger;
  readonly endpoint: string;
}

export interface SessionCallbacks {
  onServerHello(version: string, serverConnID: bigint, syncerType: string): void;
  /** Optional: the server switched the stream to `compression` ('' = none). */
  onDecoderRestart?(compression: string): void;
  onStatus(status: SyncStatus): void;
  onUpdates(updates: KVUpdate[]): void;
}

/** api.SyncStatus numbers on the wire (typha/pkg/syncproto/sync_proto.go, Enums). */
export function syncStatusFromWire(n: number): SyncStatus | undefined {
  return n === 0 ? 'wait-for-ready' : n === 1 ? 'resync' : n === 2 ? 'in-sync' : undefined;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export class TyphaSession {
  private readonly decoder: StreamDecoder;
  private readonly encoder = new StreamEncoder('');
  private state: 'await-hello' | 'streaming' | 'closed' = 'await-hello';
  private readTimer: NodeJS.Timeout | undefined;
  private readonly writeTimers = new Set<NodeJS.Timeout>();
  private resolveDone!: (err: SyncerClientError) => void;
  /** Resolves (never rejects) with the reason the session ended. */
  readonly done: Promise<SyncerClientError>;
  private restarts = 0;

  constructor(
    private readonly socket: Socket,
    private readonly p: SessionParams,
    private readonly cb: SessionCallbacks,
  ) {
    this.decoder = new StreamDecoder(
      p.maxMessageBytes !== undefined ? { maxMessageBytes: p.maxMessageBytes } : undefined,
    );
    this.done = new Promise((r) => (this.resolveDone = r));
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) =>
      this.close(
        new SyncerClientError('ERR_TYPHA_CLOSED', `connection to ${p.endpoint} failed: ${err.message}`, {
          cause: err,
        }),
      ),
    );
    socket.on('close', () => this.onPeerClosed());
    socket.on('end', () => this.onPeerClosed());
    this.armReadTimer();
    // typha/pkg/syncclient/sync_client.go step 2: every feature flag we support.
    this.write({
      type: 'ClientHello',
      hostname: p.hostname,
      info: p.info,
      version: p.version,
      syncerType: p.syncerType,
      supportsDecoderRestart: p.compression,
      supportedCompressionAlgorithms: p.compression ? ['snappy'] : [],
      supportsModernPolicyKeys: true,
      clientConnID: p.clientConnID,
    });
  }

  private paused = false;

  /**
   * Stops reading from Typha until resume() (the consumer is behind: the socket's receive window fills
   * and Typha's writes wait, as they do against Felix's blocking reader). No read deadline runs while
   * paused; resume() starts a fresh one.
   */
  pause(): void {
    if (this.paused || this.state === 'closed') return;
    this.paused = true;
    this.socket.pause();
    if (this.readTimer !== undefined) clearTimeout(this.readTimer);
    this.readTimer = undefined;
  }

  resume(): void {
    if (!this.paused || this.state === 'closed') return;
    this.paused = false;
    this.armReadTimer();
    this.socket.resume();
  }

  /** Ends the session (idempotent). */
  close(reason: SyncerClientError): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    if (this.readTimer !== undefined) clearTimeout(this.readTimer);
    for (const t of this.writeTimers) clearTimeout(t);
    this.writeTimers.clear();
    this.socket.destroy();
    this.resolveDone(reason);
  }

  private isClosed(): boolean {
    return this.state === 'closed';
  }

  private armReadTimer(): void {
    // typha/pkg/syncclient/sync_client.go step 4 / typha/pkg/syncproto/sync_proto.go: the read deadline is reset for each decoded message.
    if (this.readTimer !== undefined) clearTimeout(this.readTimer);
    if (this.paused) return;
    this.readTimer = setTimeout(
      () =>
        this.close(
          new SyncerClientError(
            'ERR_TYPHA_READ_TIMEOUT',
            `no message from Typha at ${this.p.endpoint} for ${this.p.readTimeoutMs} ms`,
          ),
        ),
      this.p.readTimeoutMs,
    );
  }

  private write(msg: Msg): void {
    if (this.state === 'closed') return;
    let bytes: Uint8Array;
    try {
      bytes = this.encoder.encode(msg);
    } catch (err) {
      this.close(
        new SyncerClientError('ERR_TYPHA_PROTOCOL', `cannot encode ${msg.type}: ${(err as Error).message}`, {
          cause: err,
        }),
      );
      return;
    }
    const timer = setTimeout(
      () =>
        this.close(
          new SyncerClientError(
            'ERR_TYPHA_WRITE_TIMEOUT',
            `write to Typha at ${this.p.endpoint} did not complete in ${this.p.writeTimeoutMs} ms`,
          ),
        ),
      this.p.writeTimeoutMs,
    );
    this.writeTimers.add(timer);
    this.socket.write(bytes, () => {
      clearTimeout(timer);
      this.writeTimers.delete(timer);
    });
  }

  /**
   * The peer closed its side. A stream cut inside a gob message or a snappy chunk is a protocol
   * error (as Go's decoders report it), not a clean close, so operators see what was wrong.
   */
  private onPeerClosed(): void {
    if (this.state === 'closed') return;
    try {
      this.decoder.finish();
    } catch (err) {
      this.close(this.undecodable(err));
      return;
    }
    this.close(
      new SyncerClientError('ERR_TYPHA_CLOSED', `Typha at ${this.p.endpoint} closed the connection`),
    );
  }

  private undecodable(err: unknown): SyncerClientError {
    const code = (err as { code?: unknown }).code;
    const message = (err as Error).message;
    const prefix = typeof code === 'string' && !message.startsWith(code) ? `${code}: ` : '';
    return new SyncerClientError(
      'ERR_TYPHA_PROTOCOL',
      `undecodable data from Typha at ${this.p.endpoint}: ${prefix}${message}`,
      { cause: err },
    );
  }

  private onData(chunk: Buffer): void {
    if (this.state === 'closed') return;
    this.decoder.push(chunk);
    for (;;) {
      let msg: Msg | undefined;
      try {
        msg = this.decoder.next();
      } catch (err) {
        this.close(this.undecodable(err));
        return;
      }
      if (msg === undefined) return;
      this.armReadTimer();
      this.handle(msg);
      if (this.isClosed()) return;
    }
  }

  private protocolError(msg: string): void {
    this.close(new SyncerClientError('ERR_TYPHA_PROTOCOL', `Typha at ${this.p.endpoint}: ${msg}`));
  }

  private handle(msg: Msg): void {
    if (this.state === 'await-hello') {
      // typha/pkg/syncclient/sync_client.go step 3: the first message must be a ServerHello we can work with.
      if (msg.type !== 'ServerHello') {
        this.close(
          new SyncerClientError(
            'ERR_TYPHA_HANDSHAKE',
            `expected ServerHello from ${this.p.endpoint}, got ${msg.type}`,
          ),
        );
        return;
      }
      if (!msg.supportsNodeResourceUpdates) {
        this.close(
          new SyncerClientError(
            'ERR_TYPHA_HANDSHAKE',
            `Typha at ${this.p.endpoint} does not support node resource updates`,
          ),
        );
        return;
      }
      const st = msg.syncerType === '' ? 'felix' : msg.syncerType;
      if (st !== this.p.syncerType) {
        this.close(
          new SyncerClientError(
            'ERR_TYPHA_HANDSHAKE',
            `Typha at ${this.p.endpoint} answered syncer type ${JSON.stringify(st)}, want ${JSON.stringify(this.p.syncerType)}`,
          ),
        );
        return;
      }
      this.state = 'streaming';
      this.p.logger.info('ServerHello message received', {
        address: this.p.endpoint,
        serverVersion: msg.version,
        serverConnID: String(msg.serverConnID),
      });
      this.cb.onServerHello(msg.version, msg.serverConnID, st);
      return;
    }
    switch (msg.type) {
      case 'ServerHello':
        this.protocolError('second ServerHello');
        return;
      case 'DecoderRestart': {
        if (!this.p.compression) {
          this.protocolError('DecoderRestart although we did not offer decoder restart');
          return;
        }
        const alg = msg.compressionAlgorithm;
        if (alg !== 'snappy' && alg !== '') {
          this.protocolError(`DecoderRestart with unknown compression ${JSON.stringify(alg)}`);
          return;
        }
        this.restarts++;
        this.p.logger.debug('Server asked us to restart our decoder', {
          message: msg.message,
          compression: alg,
          restart: this.restarts,
        });
        this.decoder.restart(alg);
        this.write({ type: 'ACK' });
        this.cb.onDecoderRestart?.(alg);
        return;
      }
      case 'SyncStatus': {
        const s = syncStatusFromWire(msg.syncStatus);
        if (s === undefined) {
          this.protocolError(`unknown sync status ${msg.syncStatus}`);
          return;
        }
        this.p.logger.info('Status update from Typha.', { newStatus: s });
        this.cb.onStatus(s);
        return;
      }
      case 'Ping':
        // Go's zero time.Time: what Felix leaves in MsgPong.PongTimestamp.
        this.write({ type: 'Pong', pingTimestamp: msg.timestamp, pongTimestamp: ZERO_TIME });
        return;
      case 'KVs': {
        const updates: KVUpdate[] = [];
        for (const su of msg.kvs) {
          const u = this.toUpdate(su);
          if (u !== undefined) updates.push(u);
        }
        if (updates.length > 0) this.cb.onUpdates(updates);
        return;
      }
      default:
        // Felix ignores other registered types (Typha never sends them).
        this.p.logger.warn('Ignoring unexpected message from Typha', { type: msg.type });
    }
  }

  private toUpdate(su: SerializedUpdate): KVUpdate | undefined {
    if (su.value === null) {
      return { key: su.key, value: null, revision: su.revision, updateType: UpdateType.Deleted };
    }
    let value: string;
    try {
      value = utf8.decode(su.value);
    } catch {
      // typha/pkg/syncclient/sync_client.go: a value that cannot be parsed is logged and skipped, not fatal.
      this.p.logger.warn('Skipping KV with a value that is not UTF-8', { key: su.key });
      return undefined;
    }
    return {
      key: su.key,
      value,
      revision: su.revision,
      updateType: su.updateType === UpdateType.Updated ? UpdateType.Updated : UpdateType.New,
    };
  }
}
