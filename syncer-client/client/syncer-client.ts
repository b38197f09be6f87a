// The syncer client: endpoints → failover → session → resync view → SyncerEvents.
// typha/pkg/discovery/discovery.go: after a drop it reconnects (new attempt budget), takes the new snapshot and
// synthesizes deletions at InSync; by default it never gives up (the agent stays up and not ready).
import { randomBytes } from 'node:crypto';
import type { SyncStatus, SyncerEvent, KVUpdate } from '../api.js';
import { dialTypha } from './dial.js';
import { diagnoseBeforeHello, type TlsContext } from './diagnosis.js';
import { describeError, SyncerClientError } from './errors.js';
import { joinHostPort } from './endpoints.js';
import { AttemptTracker, roundBackoffMs } from './failover.js';
import { discoverTyphaEndpoints } from './k8s-discovery.js';
import { resolveOptions, type ResolvedOptions, type SyncerClientOptions } from './options.js';
import { ResyncView } from './resync.js';
import { TyphaSession } from './session.js';
import { loadTlsMaterial } from './tls-files.js';

/** The most KVs one batch event carries (Typha's own snapshot messages hold up to 1000). */
export const MAX_KVS_PER_BATCH = 1000;
export type SyncerEventListener = (ev: SyncerEvent) => void;

/** Why the client stopped: undefined after stop(), an error when it gave up (maxRounds). */
export type SyncerClientEnd = SyncerClientError | undefined;

interface AttemptResult {
  readonly reachedInSync: boolean;
  readonly wasConnected: boolean;
  readonly error: SyncerClientError;
}

export class SyncerClient {
  private readonly o: ResolvedOptions;
  private readonly listeners = new Set<SyncerEventListener>();
  private readonly view = new ResyncView();
  private readonly abort = new AbortController();
  private running: Promise<SyncerClientEnd> | undefined;
  private session: TyphaSession | undefined;
  private statusValue: SyncStatus | undefined;
  private endpointValue: string | undefined;
  private ended = false;
  private readonly connIdBase = BigInt(randomBytes(4).readUInt32BE(0)) << 32n;
  /** Key-file mode warnings already logged (once per file and mode, not once per reconnect). */
  private readonly warnedKeyModes = new Set<string>();
  private connCount = 0n;
  /** When the current run of local TLS file errors began (localErrorGiveUp). */
  private localErrorSince: number | undefined;
  private wake: (() => void) | undefined;
  private resolveFinished!: (end: SyncerClientEnd) => void;
  private readonly finishedPromise = new Promise<SyncerClientEnd>((r) => (this.resolveFinished = r));

  /** Validates options at once: throws SyncerClientError ERR_TYPHA_CONFIG / ERR_TYPHA_ADDR. */
  constructor(options: SyncerClientOptions) {
    this.o = resolveOptions(options);
  }

  /** The last status delivered downstream. */
  get status(): SyncStatus | undefined {
    return this.statusValue;
  }

  /** The endpoint of the current connection, if connected. */
  get connectedEndpoint(): string | undefined {
    return this.endpointValue;
  }

  /** Number of keys in the client's view of the datastore. */
  get knownKeys(): number {
    return this.view.size;
  }

  /** Subscribes to events; returns an unsubscribe function. Listener exceptions are logged, not propagated. */
  onEvent(listener: SyncerEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A typed async iterator over events from now on; it ends when the client stops. Unbounded buffer. */
  events(): AsyncIterableIterator<SyncerEvent> {
    const queue: SyncerEvent[] = [];
    let waiter: ((r: IteratorResult<SyncerEvent>) => void) | undefined;
    let finished = this.ended;
    const unsubscribe = this.onEvent((ev) => {
      if (waiter !== undefined) {
        const w = waiter;
        waiter = undefined;
        w({ value: ev, done: false });
      } else queue.push(ev);
    });
    const finish = (): void => {
      finished = true;
      unsubscribe();
      if (waiter !== undefined) {
        const w = waiter;
        waiter = undefined;
        w({ value: undefined, done: true });
      }
    };
    void this.finished.then(finish);
    const it: AsyncIterableIterator<SyncerEvent> = {
      next: () => {
        const ev = queue.shift();
        if (ev !== undefined) return Promise.resolve({ value: ev, done: false });
        if (finished) return Promise.resolve({ value: undefined, done: true });
        return new Promise((r) => (waiter = r));
      },
      return: () => {
        finish();
        return Promise.resolve({ value: undefined, done: true });
      },
      [Symbol.asyncIterator]: () => it,
    };
    return it;
  }

  /** Resolves when the client has stopped: undefined after stop(), the error when it gave up. */
  get finished(): Promise<SyncerClientEnd> {
    return this.finishedPromise;
  }

  /** Starts connecting in the background. */
  start(): void {
    if (this.running !== undefined) return;
    this.running = this.run().then(
      (end) => this.finish(end),
      (err: unknown) =>
        this.finish(
          new SyncerClientError('ERR_TYPHA_STOPPED', `syncer client failed: ${describeError(err)}`, {
            cause: err,
          }),
        ),
    );
  }

  private paused = false;

  /**
   * Flow control for a consumer that is behind (the agent's main loop): stop reading from Typha until
   * resume(). A session that starts while paused starts paused.
   */
  pause(): void {
    this.paused = true;
    this.session?.pause();
  }

  resume(): void {
    this.paused = false;
    this.session?.resume();
  }

  /** Stops: closes the connection and ends the run loop and every iterator. */
  async stop(): Promise<void> {
    this.abort.abort();
    this.session?.close(new SyncerClientError('ERR_TYPHA_STOPPED', 'client stopped'));
    this.wake?.();
    if (this.running === undefined) this.running = Promise.resolve(this.finish(undefined));
    await this.running;
  }

  private finish(end: SyncerClientEnd): SyncerClientEnd {
    this.ended = true;
    this.resolveFinished(end);
    return end;
  }

  private get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  private emit(ev: SyncerEvent): void {
    for (const l of this.listeners) {
      try {
        l(ev);
      } catch (err) {
        this.o.logger.error('SyncerEvent listener threw', { error: describeError(err) });
      }
    }
  }

  /**
   * Emits the updates in slices of at most MAX_KVS_PER_BATCH, the status (if it changed) with the
   * last one. Typha sends at most 1000 KVs per message, but one 64 MiB message can hold a million:
   * sliced, each main-loop job stays short, and the daemon answers probes between them.
   */
  private emitBatch(updates: KVUpdate[], status?: SyncStatus): void {
    const statusChanged = status !== undefined && status !== this.statusValue;
    if (updates.length === 0 && !statusChanged) return;
    if (statusChanged) this.statusValue = status;
    let i = 0;
    for (; updates.length - i > MAX_KVS_PER_BATCH; i += MAX_KVS_PER_BATCH)
      this.emit({ kind: 'batch', updates: updates.slice(i, i + MAX_KVS_PER_BATCH) });
    const last = i === 0 ? updates : updates.slice(i);
    this.emit(statusChanged ? { kind: 'batch', updates: last, status } : { kind: 'batch', updates: last });
  }

  private sleep(ms: number): Promise<void> {
    if (ms <= 0 || this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done(): void {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
  }

  private async discover(): Promise<readonly string[]> {
    const src = this.o.source;
    if (src.kind === 'static') return src.endpoints.map((e) => joinHostPort(e.host, e.port));
    const found = await discoverTyphaEndpoints({
      namespace: src.namespace,
      serviceName: src.serviceName,
      nodeName: this.o.hostname,
      api: this.o.kubernetes,
      signal: this.abort.signal,
    });
    this.o.logger.info('Found ready Typha addresses.', {
      addresses: found.addresses,
      local: found.local,
      remote: found.remote,
    });
    return found.addresses;
  }

  private async run(): Promise<SyncerClientEnd> {
    const log = this.o.logger;
    let cached: readonly string[] = [];
    try {
      cached = await this.discover();
    } catch (err) {
      log.error('Typha discovery enabled but discovery failed.', { error: describeError(err) });
    }
    let exhaustedRounds = 0;
    let lastDropped: string | undefined;
    let firstRound = true;
    while (!this.stopped) {
      if (!firstRound) {
        // typha/pkg/discovery/discovery.go: discover again before every later attempt, including the first of
        // a new round, so a Typha that moved while we were connected costs no failed dial.
        try {
          const fresh = await this.discover();
          if (fresh.length > 0) cached = fresh;
        } catch (err) {
          log.warn('Unable to get Typha service endpoints from Kubernetes.', { error: describeError(err) });
        }
        if (this.stopped) break;
      }
      firstRound = false;
      const tracker = new AttemptTracker(
        cached,
        () => this.discover(),
        (err) =>
          log.warn('Unable to get Typha service endpoints from Kubernetes.', { error: describeError(err) }),
      );
      if (lastDropped !== undefined) tracker.markTried(lastDropped);
      let succeeded = false;
      while (!this.stopped) {
        const address = await tracker.next();
        if (address === undefined || this.stopped) break;
        cached = tracker.addresses;
        this.emit({ kind: 'connecting', endpoint: address, attempt: tracker.attemptsMade });
        log.info(`Connecting to typha endpoint ${address}.`, {
          attempt: tracker.attemptsMade,
          budget: tracker.budget,
        });
        const res = await this.attempt(address);
        if (this.stopped) break;
        this.emit({ kind: 'disconnected', endpoint: address, reason: describeError(res.error) });
        // Felix reports WaitForDatastore when the connection is lost; the dataplane keeps its last state.
        if (res.wasConnected) this.emitBatch([], 'wait-for-ready');
        lastDropped = address;
        if (res.reachedInSync) {
          // A working connection was lost: start a fresh round (new budget) at once, like Felix's restart-aware client.
          log.warn('Typha connection failed; restarting connection', {
            address,
            error: describeError(res.error),
          });
          succeeded = true;
          break;
        }
        // Felix's line (typha/pkg/syncclient/sync_client.go) with Go's error text, then the cause in words.
        const d = res.error.diagnosis;
        log.warn(
          `Failed to connect to typha endpoint ${address}.  Will try another if available...`,
          d !== undefined
            ? { error: d.goError, cause: d.detail, fix: d.fix }
            : { error: describeError(res.error) },
        );
        const giveUp = this.localErrorGiveUp(res.error);
        if (giveUp !== undefined) return giveUp;
        await this.sleep(this.o.retryDelayMs);
      }
      if (this.stopped) break;
      if (succeeded) {
        exhaustedRounds = 0;
        continue;
      }
      exhaustedRounds++;
      if (exhaustedRounds >= this.o.maxRounds) {
        const err = new SyncerClientError(
          'ERR_TYPHA_DIAL',
          `Failed to connect to Typha after ${exhaustedRounds} rounds; giving up`,
        );
        log.error(err.message);
        return err;
      }
      const wait = roundBackoffMs(exhaustedRounds, this.o.roundBackoffInitialMs, this.o.roundBackoffMaxMs);
      log.warn('Failed to connect to Typha.', { rounds: exhaustedRounds, retryInMs: wait });
      await this.sleep(wait);
    }
    return undefined;
  }

  /**
   * A broken local TLS file (unreadable, not PEM, key not matching the certificate) does not heal by
   * retrying. Felix retries it like any failed connection and exits once it has failed to connect
   * for 30 s after start (felix/daemon/daemon.go "giving up after timeout"), so the supervisor
   * restarts it visibly; felix-ts does the same for local-file errors only (network errors are
   * retried for ever). Files are re-read on each attempt, so a fix within the window applies.
   */
  private localErrorGiveUp(err: SyncerClientError): SyncerClientError | undefined {
    if (err.diagnosis?.step !== 'files') {
      this.localErrorSince = undefined;
      return undefined;
    }
    const now = Date.now();
    this.localErrorSince ??= now;
    if (now - this.localErrorSince < this.o.localErrorGiveUpMs) return undefined;
    const d = err.diagnosis;
    this.o.logger.error('Failed to connect to Typha, giving up after timeout', {
      error: d.goError,
      cause: d.detail,
      fix: d.fix,
    });
    return new SyncerClientError('ERR_TYPHA_CONFIG', `giving up: ${d.detail}`, { cause: err, diagnosis: d });
  }

  private async attempt(address: string): Promise<AttemptResult> {
    let reachedInSync = false;
    let socket;
    let tlsContext: TlsContext | undefined;
    try {
      const material = this.o.tls !== undefined ? await loadTlsMaterial(this.o.tls) : undefined;
      if (material?.keyWarning !== undefined && !this.warnedKeyModes.has(material.keyWarning)) {
        this.warnedKeyModes.add(material.keyWarning);
        this.o.logger.warn('Insecure permissions on the Typha client key.', { detail: material.keyWarning });
      }
      tlsContext = material?.context;
      socket = await dialTypha({
        address,
        timeoutMs: this.o.dialTimeoutMs,
        signal: this.abort.signal,
        ...(material !== undefined
          ? { tls: { material, cn: this.o.tls!.cn, uriSAN: this.o.tls!.uriSAN } }
          : {}),
      });
    } catch (err) {
      return {
        reachedInSync,
        wasConnected: false,
        error:
          err instanceof SyncerClientError
            ? err
            : new SyncerClientError('ERR_TYPHA_DIAL', describeError(err), { cause: err }),
      };
    }
    if (this.stopped) {
      socket.destroy();
      return {
        reachedInSync,
        wasConnected: false,
        error: new SyncerClientError('ERR_TYPHA_STOPPED', 'client stopped'),
      };
    }
    this.connCount++;
    const started = Date.now();
    // typha/pkg/discovery/discovery.go: every connection re-delivers a full snapshot; deletions wait for its InSync.
    this.view.startResync();
    const session = new TyphaSession(
      socket,
      {
        hostname: this.o.hostname,
        syncerType: this.o.syncerType,
        version: this.o.version,
        info: this.o.info,
        compression: this.o.compression,
        clientConnID: this.connIdBase + this.connCount,
        readTimeoutMs: this.o.readTimeoutMs,
        writeTimeoutMs: this.o.writeTimeoutMs,
        maxMessageBytes: this.o.maxMessageBytes,
        logger: this.o.logger,
        endpoint: address,
      },
      {
        onServerHello: (version) => {
          this.endpointValue = address;
          this.o.logger.info('Connected to Typha.', { address, afterMs: Date.now() - started });
          this.emit({ kind: 'connected', endpoint: address, serverVersion: version });
          // typha/pkg/syncclient/sync_client.go step 1: report ResyncInProgress locally until the server says InSync.
          this.emitBatch([], 'resync');
        },
        onUpdates: (updates) => this.emitBatch(this.view.apply(updates)),
        onStatus: (status) => {
          if (status === 'in-sync') {
            reachedInSync = true;
            this.emitBatch(this.view.inSync(), 'in-sync');
          } else {
            this.emitBatch([], status);
          }
        },
      },
    );
    this.session = session;
    if (this.paused) session.pause();
    const error = await session.done;
    this.session = undefined;
    const wasConnected = this.endpointValue === address;
    this.endpointValue = undefined;
    if (!wasConnected && error.code !== 'ERR_TYPHA_STOPPED' && error.diagnosis === undefined) {
      const d = diagnoseBeforeHello({
        address,
        tls: tlsContext,
        code: error.code,
        cause: error.cause,
        readTimeoutMs: this.o.readTimeoutMs,
      });
      if (d !== undefined)
        return {
          reachedInSync,
          wasConnected,
          error: new SyncerClientError(error.code, d.detail, { cause: error, diagnosis: d }),
        };
    }
    return { reachedInSync, wasConnected, error };
  }
}
