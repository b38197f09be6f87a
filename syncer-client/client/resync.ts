// The client's view of the datastore, used to de-duplicate updates and to resync after a reconnect:
// after a new connection the full snapshot arrives again; keys re-sent with the same value are
// swallowed, and at the first InSync of that connection deletions are synthesized for keys that were
// not re-sent. Deletions are never emitted before that InSync, so downstream never sees a transient
// empty state. Felix's counterpart (libcalico-go/lib/backend/syncersv1/dedupebuffer/dedupe_buffer.go)
// keeps only the keys it has sent; this view keeps, per key, a digest of the value as well (SHA-1,
// or the value itself when it is shorter than a digest), so unchanged values are still swallowed
// while memory per key stays bounded whatever the values' size.
import * as crypto from 'node:crypto';
import { UpdateType, type KVUpdate } from '../api.js';

/** SHA-1 as a 20-character one-byte string. */
const DIGEST_CHARS = 20;

/**
 * What is kept for a value: a value shorter than a digest is kept as it is (it costs no more, and
 * needs no hashing); a longer one by its SHA-1. The two never collide, as they differ in length.
 */
// crypto.hash (Node >= 20.12) is the one-shot form, cheaper than a Hash object per value.
const sha1: (s: string) => string =
  typeof crypto.hash === 'function'
    ? (v) => crypto.hash('sha1', v, 'binary')
    : (v) => crypto.createHash('sha1').update(v, 'utf8').digest('binary');

function fingerprint(value: string): string {
  return value.length < DIGEST_CHARS ? value : sha1(value);
}

export class ResyncView {
  private readonly known = new Map<string, string>();
  /** Keys (re)sent since the current connection started; undefined once that connection was in sync. */
  private seen: Set<string> | undefined;

  /**
   * A resync that started from an empty view: every key known at its InSync came in this connection,
   * so nothing can be missing and no `seen` set is kept (the first snapshot: 100k Set inserts saved).
   */
  private fromEmpty = false;

  /** Called for each new connection, before its snapshot. */
  startResync(): void {
    this.fromEmpty = this.known.size === 0;
    this.seen = this.fromEmpty ? undefined : new Set();
  }

  get resyncing(): boolean {
    return this.seen !== undefined || this.fromEmpty;
  }

  get size(): number {
    return this.known.size;
  }

  has(key: string): boolean {
    return this.known.has(key);
  }

  keys(): IterableIterator<string> {
    return this.known.keys();
  }

  /** Characters of value state kept over all keys (at most 20 per key), for tests and benches. */
  get valueChars(): number {
    let n = 0;
    for (const f of this.known.values()) n += f.length;
    return n;
  }

  /** Applies updates from the server; returns what downstream must see (changes only, typed New/Updated/Deleted). */
  apply(updates: readonly KVUpdate[]): KVUpdate[] {
    const out: KVUpdate[] = [];
    for (const u of updates) {
      const prev = this.known.get(u.key);
      if (u.value === null) {
        // Any nil value is a delete (typha/pkg/syncproto/sync_proto.go, SerializedUpdate). Unknown
        // keys need no delete downstream.
        this.seen?.delete(u.key);
        if (prev === undefined) continue;
        this.known.delete(u.key);
        out.push({ key: u.key, value: null, revision: u.revision, updateType: UpdateType.Deleted });
        continue;
      }
      this.seen?.add(u.key);
      const f = fingerprint(u.value);
      if (prev === f) continue; // same value re-sent (resync or no-op update)
      this.known.set(u.key, f);
      const type = prev === undefined ? UpdateType.New : UpdateType.Updated;
      // Most updates are already typed right (a snapshot's are New): passed on as they came.
      out.push(
        u.updateType === type ? u : { key: u.key, value: u.value, revision: u.revision, updateType: type },
      );
    }
    return out;
  }

  /** The server reported InSync: returns synthesized deletions for keys the new snapshot did not contain. */
  inSync(): KVUpdate[] {
    const seen = this.seen;
    this.fromEmpty = false;
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
