// The result of `felix-ts diagnose`: one check per line, the worst status as the exit code.
import type { DiagnosisCause } from '../../syncer-client/client/index.js';

export type CheckStatus = 'ok' | 'warning' | 'error' | 'skipped';

export interface Check {
  /** config, ca-file, cert-file, key-file, key-pair, discovery; per endpoint: tcp, tls, hello, sync. */
  readonly id: string;
  /** The endpoint (host:port) for per-endpoint checks. */
  readonly endpoint?: string;
  readonly status: CheckStatus;
  readonly message: string;
  readonly fix?: string;
  /** The stable cause of a failure (syncer-client/client/diagnosis.ts), or a local one (e.g. 'expiring'). */
  readonly cause?: DiagnosisCause | string;
  /** Go's error text for the failure, as Felix would log it (error=...). */
  readonly goError?: string;
  readonly data?: Readonly<Record<string, unknown>>;
}

/** Exit codes: the worst status of any check. */
export const EXIT = { ok: 0, warning: 1, error: 2 } as const;

const RANK: Readonly<Record<CheckStatus, number>> = { skipped: 0, ok: 0, warning: 1, error: 2 };

export function worstStatus(checks: readonly Check[]): 'ok' | 'warning' | 'error' {
  const worst = Math.max(0, ...checks.map((c) => RANK[c.status]));
  return worst === 2 ? 'error' : worst === 1 ? 'warning' : 'ok';
}

export function exitCode(checks: readonly Check[]): number {
  return EXIT[worstStatus(checks)];
}

const LABEL: Readonly<Record<CheckStatus, string>> = {
  ok: 'ok',
  warning: 'warning',
  error: 'error',
  skipped: 'skipped',
};

/** The readable report: `<status> <check> <message>`, then `fix:` (and Felix's error text) indented. */
export function renderText(checks: readonly Check[], header: string): string {
  const lines = [header];
  const names = checks.map((c) => (c.endpoint !== undefined ? `${c.endpoint} ${c.id}` : c.id));
  const width = Math.max(...names.map((n) => n.length), 8);
  checks.forEach((c, i) => {
    lines.push(`${LABEL[c.status].padEnd(8)}${names[i]!.padEnd(width + 2)}${c.message}`);
    const pad = ' '.repeat(8 + width + 2);
    if (c.goError !== undefined && c.status !== 'ok') lines.push(`${pad}Felix logs: error=${c.goError}`);
    if (c.fix !== undefined && c.status !== 'ok' && c.status !== 'skipped') lines.push(`${pad}fix: ${c.fix}`);
  });
  const count = (s: CheckStatus): number => checks.filter((c) => c.status === s).length;
  const worst = worstStatus(checks);
  lines.push(
    `result: ${worst} (${count('ok')} ok, ${count('warning')} warning, ${count('error')} error` +
      `${count('skipped') > 0 ? `, ${count('skipped')} skipped` : ''}); exit ${EXIT[worst]}`,
  );
  return lines.join('\n') + '\n';
}

export function renderJson(checks: readonly Check[], extra: Readonly<Record<string, unknown>>): string {
  const worst = worstStatus(checks);
  return JSON.stringify({ ...extra, result: worst, exitCode: EXIT[worst], checks }, null, 2) + '\n';
}
