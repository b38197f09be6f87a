// The text body of /readiness and /liveness: a go-pretty style table with the columns
// COMPONENT | TIMEOUT | LIVENESS | READINESS | DETAIL, sorted by component (felix/health/health.go).
import { formatGoDuration } from '../config/index.js';
import type { HealthSummary, ReporterStatus } from './aggregator.js';

const HEADERS = ['COMPONENT', 'TIMEOUT', 'LIVENESS', 'READINESS', 'DETAIL'] as const;

function cells(r: ReporterStatus): string[] {
  const timeout = r.timeoutMs > 0 ? formatGoDuration(r.timeoutMs) + (r.overridden ? ' (override)' : '') : '-';
  const liveness = !r.reportsLive
    ? '-'
    : r.timedOut
      ? 'timed out'
      : r.live
        ? 'reporting live'
        : 'reporting non-live';
  const readiness = !r.reportsReady
    ? '-'
    : r.timedOut
      ? 'timed out'
      : r.ready
        ? 'reporting ready'
        : 'reporting non-ready';
  // One line per row whatever the detail says.
  return [r.name, timeout, liveness, readiness, r.detail.replace(/[\r\n]+/g, ' ')];
}

export function renderHealthTable(s: HealthSummary): string {
  const rows = s.reporters.map(cells);
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const sep = '+' + widths.map((w) => '-'.repeat(w + 2)).join('+') + '+';
  const center = (t: string, w: number): string => {
    const left = Math.floor((w - t.length) / 2);
    return ' '.repeat(left) + t + ' '.repeat(w - t.length - left);
  };
  const head = '|' + HEADERS.map((h, i) => ` ${center(h, widths[i] as number)} `).join('|') + '|';
  const body = rows.map((r) => '|' + r.map((c, i) => ` ${c.padEnd(widths[i] as number)} `).join('|') + '|');
  return [sep, head, sep, ...body, sep].join('\n') + '\n';
}
