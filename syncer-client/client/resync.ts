// The client's view of the datastore, used to de-duplicate updates and to resync after a reconnect
// (typha-protocol.md §7, "Connection lost after start-up"): after a new connection the full snapshot
// arrives again; keys re-sent with the same value are swallowed, and at the first InSync of that
// connection deletions are synthesized for keys that were not re-sent. Deletions are never emitted
// before that InSync, so downstream never sees a transient empty state.
import { UpdateType, type KVUpdate } from '../api.js';

export class ResyncView {
  private readonly known = new Map<string, string>();
  /** Keys (re)sent since the current connection started; undefined once that connection was in sync. */
  private seen: Set<string> | undefined;

  /** Called for each new connection, before its snapshot. */
  startResync(): void {
    this.seen = new Set();
  }

  get resyncing(): boolean {
    return this.seen !== undefined;
  }

  get size(): number {
    return this.known.size;
  }

  /** The current value of a key, for tests and debugging. */
  get(key: string): string | undefined {
    return this.known.get(key);
  }

  entries(): IterableIterator<[string, string]> {
    return this.known.entries();
  }

  /** Applies updates from the server; returns what downstream must see (changes only, typed New/Updated/Deleted). */
  apply(updates: readonly KVUpdate[]): KVUpdate[] {
    const out: KVUpdate[] = [];
    for (const u of updates) {
      const prev = this.known.get(u.key);
      if (u.value === null) {
        // Any nil value is a delete (typha-protocol.md §4). Unknown keys need no delete downstream.
        this.seen?.delete(u.key);
        if (prev === undefined) continue;
        this.known.delete(u.key);
        out.push({ key: u.key, value: null, revision: u.revision, updateType: UpdateType.Deleted });
        continue;
      }
      this.seen?.add(u.key);
      if (prev === u.value) continue; // same value re-sent (resync or no-op update)
      this.known.set(u.key, u.value);
      out.push({
        key: u.key,
        value: u.value,
        revision: u.revision,
        updateType: prev === undefined ? UpdateType.New : UpdateType.Updated,
      });
    }
    return out;
  }

  /** The server reported InSync: returns synthesized deletions for keys the new snapshot did not contain. */
  inSync(): KVUpdate[] {
    const seen = this.seen;
    if (seen === undefined) return [];
    this.seen = undefined;
    const out: KVUpdate[] = [];
    for (const key of this.known.keys()) {
      if (!seen.has(key)) out.push({ key, value: null, revision: '', updateType: UpdateType.Deleted });
    }
    for (const u of out) this.known.delete(u.key);
    return out;
  }
}
