// Log lines operators read (issue 19 item 3): the health server names the port it bound.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HealthAggregator, HealthServer } from '../../../../agent/health/index.js';
import { memoryLogger } from '../../../../agent/log/index.js';

test('health server logs the bound port, not the configured 0', async () => {
  const log = memoryLogger();
  const srv = new HealthServer({ aggregator: new HealthAggregator(), logger: log });
  await srv.listen('127.0.0.1', 0);
  try {
    const bound = srv.address()?.port;
    assert.ok(bound && bound > 0);
    const line = log.lines.find((l) => l.msg === 'Health enabled.  Starting server.');
    assert.ok(line, 'start line logged');
    assert.deepEqual(line.fields, { host: '127.0.0.1', port: bound });
  } finally {
    await srv.close();
  }
});
