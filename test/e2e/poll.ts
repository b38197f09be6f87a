// Polling helpers: the suite waits for conditions instead of sleeping for fixed times, so it
// stays correct on a loaded 2-core machine.

export class PollTimeoutError extends Error {
  readonly code = 'ERR_E2E_POLL_TIMEOUT';
  constructor(what: string, timeoutMs: number, last: string) {
    super(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `; last: ${last}` : ''}`);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Calls `probe` until it returns `{ ok: true }` or `timeoutMs` passes. `describe` of the last
 * failed probe goes into the error so a failure says what was seen.
 */
export async function pollUntil<T>(
  what: string,
  probe: () => Promise<{ ok: boolean; value: T; describe?: string }>,
  opts: { timeoutMs: number; intervalMs?: number },
): Promise<{ value: T; elapsedMs: number }> {
  const start = performance.now();
  let last = '';
  for (;;) {
    let res: { ok: boolean; value: T; describe?: string };
    try {
      res = await probe();
    } catch (err) {
      res = { ok: false, value: undefined as T, describe: String(err) };
    }
    const elapsedMs = performance.now() - start;
    if (res.ok) return { value: res.value, elapsedMs };
    last = res.describe ?? '';
    if (elapsedMs > opts.timeoutMs) throw new PollTimeoutError(what, opts.timeoutMs, last);
    await sleep(opts.intervalMs ?? 100);
  }
}

/** Prints a measured figure in the suite's greppable format (no assertion on it). */
export function figure(name: string, value: number, unit = 'ms', note = ''): void {
  console.log(`E2E-FIGURE ${name}=${Math.round(value)}${unit}${note ? ` (${note})` : ''}`);
}
