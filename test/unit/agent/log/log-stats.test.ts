// felix_log_errors / felix_logs_dropped (felix/logutils/logutils.go): a screen destination that fails
// counts one error, and the lines after it are counted as dropped; the metrics show the counts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger, logStats } from '../../../../agent/log/index.js';
import { AgentMetrics } from '../../../../agent/metrics/index.js';
import { parseExposition } from '../metrics/exposition.js';

const tick = () => new Promise((r) => setImmediate(r));

test('a failing screen stream: one log error, later lines dropped, both in the metrics', async () => {
  const m = new AgentMetrics({ hostname: 'h' });
  const value = async (name: string) => parseExposition(await m.text()).get(name)!;
  const errors0 = await value('felix_log_errors');
  const dropped0 = await value('felix_logs_dropped');
  const out = new Writable({ write: (_c, _e, cb) => cb(new Error('EPIPE')) });
  const log = createLogger({ severity: 'INFO', stream: out });
  log.info('first: the write fails');
  for (let i = 0; i < 5 && logStats.errors === 0; i++) await tick();
  log.info('second: dropped');
  log.info('third: dropped');
  await tick();
  assert.equal((await value('felix_log_errors')) - errors0, 1);
  assert.equal((await value('felix_logs_dropped')) - dropped0, 2);
  log.close();
});
