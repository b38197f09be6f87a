import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, Writable } from 'node:stream';
import { createLogger, formatTextLine } from '../../../../agent/log/index.js';

function capture(): { stream: PassThrough; lines: () => string[] } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d: Buffer) => (text += d.toString()));
  return { stream, lines: () => text.split('\n').filter((l) => l !== '') };
}

test('Felix-style text line: local time with ms, [LEVEL][PID], component, sorted key=value, quoting', () => {
  const line = formatTextLine(
    new Date(2025, 8, 10, 0, 10, 6, 668),
    'info',
    63,
    'felix/health',
    'Health enabled.  Server is already running.',
    {
      port: 9099,
      host: '::1',
      detail: 'two words',
      error: new Error('boom'),
    },
  );
  assert.equal(
    line,
    '2025-09-10 00:10:06.668 [INFO][63] felix/health: Health enabled.  Server is already running. detail="two words" error="boom" host=::1 port=9099',
  );
  // A message cannot inject a second log line.
  assert.doesNotMatch(formatTextLine(new Date(0), 'warning', 1, 'felix', 'a\nb', {}), /\n/);
});

test('LogSeverityScreen filters; WARNING level name; JSON format; NONE silences', () => {
  const c = capture();
  const l = createLogger({ severity: 'WARNING', stream: c.stream });
  l.debug('d');
  l.info('i');
  l.warn('Failed to connect to typha endpoint 1.2.3.4:5473.', { reason: 'EOF' });
  l.child('dataplane').error('Failed to program iptables, will retry');
  const lines = c.lines();
  assert.equal(lines.length, 2);
  assert.match(
    lines[0] ?? '',
    /\[WARNING\]\[\d+\] felix: Failed to connect to typha endpoint 1\.2\.3\.4:5473\. reason=EOF$/,
  );
  assert.match(lines[1] ?? '', /\[ERROR\]\[\d+\] felix\/dataplane: Failed to program iptables, will retry$/);
  l.setLevel('DEBUG');
  l.debug('now visible');
  assert.equal(c.lines().length, 3);

  const j = capture();
  createLogger({ severity: 'INFO', format: 'json', stream: j.stream }).info('Connected to Typha.', {
    address: '127.0.0.1:5473',
    n: 1n,
  });
  const obj = JSON.parse(j.lines()[0] ?? '{}') as Record<string, unknown>;
  assert.equal(obj.msg, 'Connected to Typha.');
  assert.equal(obj.level, 'info');
  assert.equal(obj.address, '127.0.0.1:5473');
  assert.equal(obj.n, '1');

  const n = capture();
  createLogger({ severity: 'NONE', stream: n.stream }).error('x');
  assert.equal(n.lines().length, 0);
});

test('a screen destination that fails (EPIPE) is dropped: no uncaught error, no write loop', async () => {
  let writes = 0;
  const broken = new Writable({
    write(_chunk, _enc, cb): void {
      writes++;
      const e = Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
      cb(e);
    },
  });
  const uncaught: unknown[] = [];
  const onErr = (e: unknown): void => void uncaught.push(e);
  process.on('uncaughtException', onErr);
  try {
    const log = createLogger({ severity: 'INFO', stream: broken });
    log.info('first line');
    await new Promise((r) => setImmediate(r));
    for (let i = 0; i < 100; i++) log.error('Unexpected error (continuing)', { i });
    await new Promise((r) => setImmediate(r));
  } finally {
    process.off('uncaughtException', onErr);
  }
  assert.deepEqual(uncaught, []);
  assert.equal(writes, 1, 'after the first failed write nothing more is written to the broken stream');
});
