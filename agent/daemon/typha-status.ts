// The one owner of the Typha connection and sync status: status.typha, status.syncStatus and the
// felix_resync_state / felix_resyncs_started metrics change here and nowhere else. The syncer
// client already logs every connection event and every status from Typha (syncer-client/client),
// so this logs only what the daemon adds, each once: Felix's "Connected to Typha on attempt N"
// (felix/daemon/daemon.go) and "First time we've been in sync" (felix/calc/async_calc_graph.go).
import type { SyncStatus, SyncerEvent } from '../../syncer-client/api.js';
import type { Logger } from '../log/index.js';
import { RESYNC_STATE, type AgentMetrics, type TyphaCounts } from '../metrics/index.js';
import type { DaemonStatus } from './status.js';

export type ConnectionEvent = Exclude<SyncerEvent, { readonly kind: 'batch' }>;

export class TyphaStatus {
  constructor(
    private readonly s: DaemonStatus,
    private readonly metrics: AgentMetrics,
    private readonly log: Logger,
    private readonly now: () => number,
  ) {}

  /** A connection event, as it happens (not queued behind data). */
  onConnection(ev: ConnectionEvent): void {
    const t = this.s.typha;
    switch (ev.kind) {
      case 'connecting':
        t.connectAttempts++;
        return;
      case 'connected':
        if (this.s.timeToTyphaMs < 0) {
          this.s.timeToTyphaMs = this.now() - this.s.startedMs;
          this.log.info(`Connected to Typha on attempt ${t.connectAttempts || 1}`, {
            msSinceStart: this.s.timeToTyphaMs,
          });
        } else {
          t.reconnects++;
        }
        t.connected = true;
        t.endpoint = ev.endpoint;
        t.serverVersion = ev.serverVersion;
        return;
      case 'disconnected':
        // v3.31+ (felix/daemon/daemon.go): the dataplane keeps its state; not ready until in sync.
        t.connected = false;
        t.lastDisconnectReason = ev.reason;
        return;
    }
  }

  /** A batch arrived (the age metric). */
  onBatch(): void {
    this.s.typha.lastUpdateMs = this.now();
  }

  /** A new sync status, in order with the updates (from the main loop). */
  onStatus(status: SyncStatus, knownKeys: number): void {
    this.s.syncStatus = status;
    this.metrics.resyncState.set(RESYNC_STATE[status]);
    if (status === 'resync') this.metrics.resyncsStarted.inc();
    if (status !== 'in-sync') return;
    this.s.typha.snapshotSize = knownKeys;
    if (!this.s.inSyncOnce) {
      this.log.info("First time we've been in sync");
      this.s.timeToInSyncMs = this.now() - this.s.startedMs;
    }
    this.s.inSyncOnce = true;
  }

  counts(): TyphaCounts {
    const t = this.s.typha;
    return {
      connected: t.connected,
      endpoint: t.endpoint,
      reconnects: t.reconnects,
      snapshotSize: t.snapshotSize,
      lastMessageMs: t.lastUpdateMs,
    };
  }
}
