// The first apply of a driver with both families, through a given runner (apply-tables.test.ts,
// family-apply.test.ts): started, put in sync, its first apply or apply error awaited, stopped.
import { DataplaneDriver, type ApplyEvent, type DesiredStateSource } from '../../../../rules/driver/index.js';
import type { CommandRunner } from '../../../../rules/backend/runner.js';

export type FirstApply = { readonly ok: true; readonly event: ApplyEvent } | { readonly ok: false };

export async function firstApply(
  source: DesiredStateSource,
  runner: CommandRunner,
  backend: 'nft' | 'legacy',
): Promise<FirstApply> {
  const d = new DataplaneDriver({
    source,
    runner,
    backend,
    ipv6: true,
    refreshIntervalMs: 0,
    maxAttempts: 1,
    errorRetryMs: 60_000,
  });
  await d.start();
  const ev = new Promise<FirstApply>((r) => {
    d.once('apply', (event) => r({ ok: true, event }));
    d.once('apply-error', () => r({ ok: false }));
  });
  d.onMessages([{ kind: 'inSync' }]);
  const result = await ev;
  await d.stop();
  return result;
}
