// Failover policy (typha/pkg/discovery/discovery.go "Attempt order" and "Attempt budget").
// One round = one "connection start": at most 2 × max(3, #addresses) attempts, the first from the
// cached list and every later one after re-discovery; an address is not retried in a round until all
// have been tried. Rounds are separated by a capped exponential back-off (Felix would exit instead).

/** Felix's attempt budget for one connection start. */
export function attemptBudget(addressCount: number): number {
  return 2 * Math.max(3, addressCount);
}

/** Back-off before round `round` (1-based count of exhausted rounds so far), with ±10 % jitter. */
export function roundBackoffMs(
  round: number,
  initialMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const base = Math.min(maxMs, initialMs * 2 ** Math.min(Math.max(round - 1, 0), 30));
  const jitter = base * 0.1 * (2 * random() - 1);
  return Math.max(0, Math.min(maxMs, Math.round(base + jitter)));
}

const FORGET_AFTER_MS = 5 * 60_000;

/**
 * Picks the next address of a round. `discover` is called before every attempt except the first;
 * when it fails the last known list is used (a broken API server must not stop reconnection).
 */
export class AttemptTracker {
  private readonly tried = new Map<string, number>();
  private attempts = 0;
  private list: readonly string[];
  readonly budget: number;

  constructor(
    cached: readonly string[],
    private readonly discover: () => Promise<readonly string[]>,
    private readonly onDiscoveryError: (err: unknown) => void = () => undefined,
    private readonly now: () => number = Date.now,
  ) {
    this.list = cached;
    this.budget = attemptBudget(cached.length);
  }

  /** Marks an address as already tried this round (e.g. the one that just dropped us). */
  markTried(address: string): void {
    this.tried.set(address, this.now());
  }

  get attemptsMade(): number {
    return this.attempts;
  }

  /** The list used by the latest attempt (for logging / caching by the caller). */
  get addresses(): readonly string[] {
    return this.list;
  }

  /** The next address to try, or undefined when the round's budget is spent or nothing is known. */
  async next(): Promise<string | undefined> {
    if (this.attempts >= this.budget) return undefined;
    if (this.attempts > 0 || this.list.length === 0) {
      try {
        const fresh = await this.discover();
        if (fresh.length > 0) this.list = fresh;
      } catch (err) {
        this.onDiscoveryError(err);
      }
    }
    this.attempts++;
    if (this.list.length === 0) return undefined;
    const now = this.now();
    for (const [addr, at] of this.tried) if (now - at > FORGET_AFTER_MS) this.tried.delete(addr);
    let pick = this.list.find((a) => !this.tried.has(a));
    if (pick === undefined) {
      // Every address tried: start the cycle again from the first one.
      this.tried.clear();
      pick = this.list[0]!;
    }
    this.tried.set(pick, now);
    return pick;
  }
}
