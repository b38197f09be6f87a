// The test Typha server's CLI (used by e2e tests in other network namespaces): JSON lines in and out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { SyncerClient } from '../../syncer-client/client/index.js';
import { FAST_FAILOVER, Recorder } from './syncer-harness.js';

// dist/test/integration → dist/tools/typha-server/cli.js
const CLI = fileURLToPath(new URL('../../tools/typha-server/cli.js', import.meta.url));

test('CLI: listening, put/delete/status/drop/raw/exit commands and client events', async () => {
  const child = spawn(
    process.execPath,
    [CLI, '--listen', '127.0.0.1:0', '--ping-interval-ms', '200', '--initial-status', 'resync'],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const lines: Array<Record<string, unknown>> = [];
  const waiters: Array<() => void> = [];
  createInterface({ input: child.stdout! }).on('line', (l) => {
    lines.push(JSON.parse(l) as Record<string, unknown>);
    for (const w of waiters.splice(0)) w();
  });
  const waitLine = async (
    pred: (o: Record<string, unknown>) => boolean,
    what: string,
  ): Promise<Record<string, unknown>> => {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const hit = lines.find(pred);
      if (hit !== undefined) return hit;
      if (Date.now() > deadline)
        throw new Error(`CLI: timed out waiting for ${what}; got ${JSON.stringify(lines)}`);
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 200);
      });
    }
  };
  const send = async (cmd: object, op: string): Promise<void> => {
    const before = lines.filter((o) => o['event'] === 'ok' && o['op'] === op).length;
    child.stdin!.write(JSON.stringify(cmd) + '\n');
    await waitLine(
      () => lines.filter((o) => o['event'] === 'ok' && o['op'] === op).length > before,
      `ok ${op}`,
    );
  };
  let client: SyncerClient | undefined;
  try {
    const listening = await waitLine((o) => o['event'] === 'listening', 'listening');
    const port = listening['port'] as number;
    assert.ok(port > 0);
    await send({ op: 'put', key: '/calico/v1/config/A', value: 'x' }, 'put');
    await send({ op: 'put', key: '/calico/v1/config/B', value: 'y' }, 'put');
    client = new SyncerClient({
      felixHostname: 'cli-node',
      typhaAddr: `127.0.0.1:${port}`,
      failover: FAST_FAILOVER,
    });
    const rec = new Recorder(client);
    client.start();
    await waitLine((o) => o['event'] === 'client' && o['hostname'] === 'cli-node', 'client event');
    await rec.waitFor(() => rec.state.size === 2, 'snapshot');
    assert.equal(rec.status, 'resync', '--initial-status resync: not in sync yet');
    await send({ op: 'status', status: 'in-sync' }, 'status');
    await rec.waitInSync();
    await send({ op: 'delete', key: '/calico/v1/config/A' }, 'delete');
    await rec.waitFor(() => !rec.state.has('/calico/v1/config/A'), 'delete');

    // A bad command is reported and the server keeps running.
    child.stdin!.write('{"op":"frobnicate"}\nnot json\n');
    await waitLine(
      (o) => o['event'] === 'error' && String(o['message']).includes('frobnicate'),
      'error event',
    );

    await send({ op: 'drop' }, 'drop');
    await waitLine((o) => o['event'] === 'disconnect', 'disconnect event');
    await rec.waitFor(() => rec.count('connected') === 2 && rec.status === 'in-sync', 'reconnect');
    await send({ op: 'raw', base64: Buffer.from([0x02, 0x01, 0x00, 0x00, 0xff]).toString('base64') }, 'raw');
    await rec.waitForCount('disconnected', 2);
    await rec.waitFor(() => rec.count('connected') === 3 && rec.status === 'in-sync', 'reconnect after raw');
    assert.deepEqual(Object.fromEntries(rec.state), { '/calico/v1/config/B': 'y' });
    await client.stop();
    client = undefined;
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    child.stdin!.write('{"op":"exit"}\n');
    assert.equal(await exited, 0);
  } finally {
    await client?.stop();
    child.kill();
  }
});

test('CLI: bad arguments exit with status 2 and a message', async () => {
  const child = spawn(process.execPath, [CLI, '--listen', 'nope'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  assert.equal(code, 2);
  assert.match(err, /--listen must be HOST:PORT/);
});
