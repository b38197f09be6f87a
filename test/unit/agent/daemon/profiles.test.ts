// agent/daemon/profiles.ts: Felix's SIGUSR1/SIGUSR2 profiles (felix/logutils/dump.go), real signals to
// this process; and Node's inspector stays closed on SIGUSR1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { url } from 'node:inspector';
import { memoryLogger } from '../../../../agent/log/index.js';
import { registerProfilingSignalHandlers, renderFileName } from '../../../../agent/daemon/profiles.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(f: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 300 && !f(); i++) await sleep(50);
  assert.ok(f(), what);
}

test('renderFileName: the first <timestamp> in Go layout 2006-01-02-15:04:05', () => {
  const d = new Date(2026, 11, 3, 9, 5, 7);
  assert.equal(
    renderFileName('/tmp/felix-cpu-<timestamp>.pprof', d),
    '/tmp/felix-cpu-2026-12-03-09:05:07.pprof',
  );
  assert.equal(renderFileName('/tmp/fixed', d), '/tmp/fixed');
});

test('SIGUSR1 writes a heap snapshot, SIGUSR2 a CPU profile, with Felix log lines; no debugger opens', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'felix-ts-prof-'));
  const logger = memoryLogger();
  const { lines } = logger;
  const off = registerProfilingSignalHandlers(
    {
      DebugMemoryProfilePath: join(dir, 'heap-<timestamp>.heapsnapshot'),
      DebugCPUProfilePath: join(dir, 'cpu.pprof'),
    },
    logger,
    300,
  );
  try {
    process.kill(process.pid, 'SIGUSR1');
    await until(() => lines.some((l) => l.msg === 'Finished writing memory profile'), 'heap written');
    const heap = readdirSync(dir).find((f) => f.startsWith('heap-'));
    assert.ok(heap && /^heap-\d{4}-\d\d-\d\d-\d\d:\d\d:\d\d\.heapsnapshot$/.test(heap), String(heap));
    assert.ok('snapshot' in JSON.parse(readFileSync(join(dir, heap), 'utf8')));
    assert.equal(url(), undefined, 'SIGUSR1 did not open the inspector');

    process.kill(process.pid, 'SIGUSR2');
    await until(() => lines.some((l) => l.msg === 'Finished writing CPU profile'), 'cpu written');
    const cpu = JSON.parse(readFileSync(join(dir, 'cpu.pprof'), 'utf8')) as { nodes: unknown[] };
    assert.ok(Array.isArray(cpu.nodes) && cpu.nodes.length > 0);
    for (const m of ['Asked to create a memory profile.', 'Asked to create a CPU profile.'])
      assert.ok(
        lines.some((l) => l.msg === m),
        m,
      );
  } finally {
    off();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('empty paths: the signals only log', async () => {
  const logger = memoryLogger();
  const { lines } = logger;
  const off = registerProfilingSignalHandlers(
    { DebugMemoryProfilePath: '', DebugCPUProfilePath: '' },
    logger,
  );
  try {
    process.kill(process.pid, 'SIGUSR1');
    process.kill(process.pid, 'SIGUSR2');
    await until(() => lines.length >= 2, 'two lines');
    assert.match(
      lines.map((l) => l.msg).join('\n'),
      /SIGUSR1: DebugMemoryProfilePath is empty[\s\S]*SIGUSR2: DebugCPUProfilePath is empty/,
    );
    assert.equal(url(), undefined);
  } finally {
    off();
  }
});
