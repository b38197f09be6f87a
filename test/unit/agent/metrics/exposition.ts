// The Prometheus text exposition as `<name>{labels}` -> value, for tests that scrape AgentMetrics.
import assert from 'node:assert/strict';

export function parseExposition(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
    assert.ok(m, `bad exposition line: ${line}`);
    out.set(m[1] as string, Number(m[2]));
  }
  return out;
}
