// Shared helpers for the syncer-client integration tests: a recorder that materializes the client's
// view from SyncerEvents, and a waiter with a deadline (never a timing assertion).
import { UpdateType, type SyncerEvent, type SyncStatus } from '../../syncer-client/api.js';
import { SyncerClient, type SyncerClientOptions } from '../../syncer-client/client/index.js';

export class Recorder {
  readonly events: SyncerEvent[] = [];
  readonly state = new Map<string, string>();
  /** Contract violations seen in the event stream (asserted empty by the tests). */
  readonly violations: string[] = [];
  status: SyncStatus | undefined;
  private waiters: Array<() => void> = [];

  constructor(client: SyncerClient) {
    client.onEvent((ev) => this.record(ev));
  }

  private record(ev: SyncerEvent): void {
    this.events.push(ev);
    if (ev.kind === 'batch') {
      for (const u of ev.updates) {
        if (u.value === null) {
          if (u.updateType !== UpdateType.Deleted)
            this.violations.push(`delete of ${u.key} not typed Deleted`);
          if (!this.state.delete(u.key)) this.violations.push(`delete of unknown key ${u.key}`);
        } else {
          const had = this.state.has(u.key);
          if ((u.updateType === UpdateType.New) === had)
            this.violations.push(`wrong updateType for ${u.key}`);
          this.state.set(u.key, u.value);
        }
      }
      if (ev.status !== undefined) this.status = ev.status;
    }
    for (const w of this.waiters) w();
  }

  count(kind: SyncerEvent['kind']): number {
    return this.events.filter((e) => e.kind === kind).length;
  }

  /** Resolves when pred() holds; rejects after timeoutMs with a description of the last events. */
  waitFor(pred: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
    if (pred()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (pred()) {
          done();
          resolve();
        }
      };
      const timer = setTimeout(() => {
        done();
        const tail = this.events
          .slice(-6)
          .map((e) =>
            e.kind === 'batch'
              ? `batch(${e.updates.length},${e.status ?? ''})`
              : `${e.kind}:${'reason' in e ? e.reason : e.endpoint}`,
          );
        reject(new Error(`timed out waiting for ${what}; last events: ${tail.join(' | ')}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
      };
      this.waiters.push(check);
    });
  }

  /** Waits until `n` events of `kind` have been seen in total. */
  waitForCount(kind: SyncerEvent['kind'], n: number, timeoutMs?: number): Promise<void> {
    return this.waitFor(() => this.count(kind) >= n, `${n} × ${kind}`, timeoutMs);
  }

  waitInSync(timeoutMs?: number): Promise<void> {
    return this.waitFor(() => this.status === 'in-sync', 'in-sync', timeoutMs);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Fast failover settings for tests (the policy itself is unit-tested with Felix's defaults). */
export const FAST_FAILOVER = { retryDelayMs: 20, roundBackoffInitialMs: 50, roundBackoffMaxMs: 200 } as const;

/** A started client (hostname "n", fast failover, unless `opts` says otherwise) with a Recorder attached before start. */
export function startClient(
  typhaAddr: string,
  opts: Partial<SyncerClientOptions> = {},
): { client: SyncerClient; rec: Recorder } {
  const client = new SyncerClient({ felixHostname: 'n', typhaAddr, failover: FAST_FAILOVER, ...opts });
  const rec = new Recorder(client);
  client.start();
  return { client, rec };
}

/** A port on loopback that nothing listens on (bound then released). */
export async function deadPort(): Promise<number> {
  const { createServer } = await import('node:net');
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Polls pred every 20 ms until it holds; rejects after timeoutMs (for state outside the client, e.g. server counters). */
export async function pollUntil(pred: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}
