// The test Typha server's CLI (used by e2e tests in other network namespaces): JSON lines in and out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { main } from '../../agent/cli/main.js';
import { SyncerClient } from '../../syncer-client/client/index.js';
import { FAST_FAILOVER, Recorder } from './syncer-harness.js';

// dist/test/integration → dist/tools/typha-server/cli.js
const CLI = fileURLToPath(new URL('../../tools/typha-server/cli.js', import.meta.url));

test('CLI: listening, put/delete/status/drop/raw/exit commands and client events', async () => {
  const child = spawn(
    process.execPath,
    [CLI, '--listen', '127.0.0.1:0', '--ping-interval-ms', '200', '--initial-status', 'resync'],
    {
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
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
    assert.match(stderr, /exit command; stopping \(exit 0\)/);
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

/** Runs the CLI to its exit; returns the exit code and what it wrote. */
async function runCli(
  args: readonly string[],
  opts: {
    stdin?: string;
    onListening?: (port: number, child: ChildProcess, stderr: () => string) => Promise<void>;
  } = {},
): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((r) =>
    child.on('exit', (c, s) => r([c, s])),
  );
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  try {
    const listening = new Promise<number>((resolve) => {
      createInterface({ input: child.stdout! }).on('line', (l) => {
        out += l + '\n';
        if (!l.startsWith('{')) return;
        const o = JSON.parse(l) as Record<string, unknown>;
        if (o['event'] === 'listening') resolve(o['port'] as number);
      });
    });
    if (opts.stdin !== undefined) child.stdin!.end(opts.stdin);
    if (opts.onListening !== undefined) await opts.onListening(await listening, child, () => err);
    const [code, signal] = await exited;
    return { code, signal, out, err };
  } finally {
    clearTimeout(timer);
    child.kill('SIGKILL');
  }
}

test('CLI --help: options, stdin commands, exit codes and an example on stdout, exit 0', async () => {
  for (const flag of ['--help', '-h']) {
    const r = await runCli([flag]);
    assert.equal(r.code, 0, flag);
    assert.equal(r.err, '');
    assert.match(r.out, /^Usage: node dist\/tools\/typha-server\/cli\.js/);
    for (const opt of ['--listen', '--ca', '--client-cn', '--initial-status', '--keep-running', '--help'])
      assert.ok(r.out.includes(opt), `--help mentions ${opt}`);
    for (const op of ['put', 'delete', 'status', 'drop', 'raw', 'exit'])
      assert.ok(r.out.includes(`{"op":"${op}"`), `--help lists the ${op} command`);
    assert.match(r.out, /Exit codes[\s\S]*4 {2}stdin closed/);
    assert.match(r.out, /Example:\n {2}printf/);
  }
});

test('CLI: closing stdin stops the server with exit 4 and says why on stderr', async () => {
  const r = await runCli(['--listen', '127.0.0.1:0'], { stdin: '{"op":"put","key":"/k","value":"v"}\n' });
  assert.equal(r.code, 4);
  assert.match(r.out, /"event":"ok","op":"put"/, 'the command before EOF still ran');
  assert.match(r.err, /stdin closed \(use --keep-running to keep serving\); stopping \(exit 4\)/);
});

test('CLI --keep-running: serves after stdin closes; SIGTERM exits 143, SIGINT 130, each with its reason', async () => {
  for (const [sig, code] of [
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const) {
    const r = await runCli(['--keep-running'], {
      stdin: '{"op":"put","key":"/calico/v1/config/A","value":"x"}\n',
      onListening: async (port, child, stderr) => {
        // Wait for the server to notice EOF, then check it still serves a real client.
        const deadline = Date.now() + 10_000;
        while (!stderr().includes('stdin closed') && Date.now() < deadline)
          await new Promise((res) => setTimeout(res, 50));
        assert.equal(child.exitCode, null, 'still running after stdin closed');
        const client = new SyncerClient({
          felixHostname: 'keep-node',
          typhaAddr: `127.0.0.1:${port}`,
          failover: FAST_FAILOVER,
        });
        const rec = new Recorder(client);
        client.start();
        try {
          await rec.waitInSync();
          assert.deepEqual(Object.fromEntries(rec.state), { '/calico/v1/config/A': 'x' });
        } finally {
          await client.stop();
        }
        child.kill(sig);
      },
    });
    assert.equal(r.code, code, sig);
    assert.match(r.err, /stdin closed; --keep-running: serving until SIGTERM or SIGINT/);
    assert.match(r.err, new RegExp(`${sig}; stopping \\(exit ${code}\\)`));
  }
});

test('CLI: start failures exit 3 naming the cause; usage errors exit 2', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'typha-cli-'));
  const blocker = createServer();
  try {
    const missing = join(dir, 'missing.crt');
    let r = await runCli(['--ca', missing, '--cert', missing, '--key', missing]);
    assert.equal(r.code, 3);
    assert.match(r.err, new RegExp(`cannot start: --ca ${missing}: ENOENT`));
    const busy = await new Promise<number>((res) =>
      blocker.listen(0, '127.0.0.1', () => res((blocker.address() as AddressInfo).port)),
    );
    r = await runCli(['--listen', `127.0.0.1:${busy}`]);
    assert.equal(r.code, 3);
    assert.match(r.err, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${busy}: .*EADDRINUSE`));
    for (const [args, msg] of [
      [['--bogus'], /unknown option --bogus/],
      [['--listen'], /--listen needs a value/],
      [['--ping-interval-ms', '-5'], /--ping-interval-ms must be a non-negative integer, got "-5"/],
      [['--initial-status', 'ready'], /--initial-status must be in-sync, resync or wait-for-ready/],
      [['--cert', 'x'], /--ca, --cert and --key go together/],
      [['--client-cn', 'x'], /--client-cn and --client-uri-san need TLS/],
    ] as const) {
      r = await runCli(args);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.err, msg);
      assert.match(r.err, /\(exit 2; --help for usage\)/);
    }
  } finally {
    blocker.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('felix-ts certs output drives the CLI server over mTLS; --expired server and client certs are refused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'typha-cli-pki-'));
  const sink = (): PassThrough => new PassThrough().on('data', () => undefined);
  const certs = async (sub: string, ...args: string[]): Promise<string> => {
    const d = join(dir, sub);
    const code = await main(['certs', '--dir', d, ...args], { out: sink(), err: sink(), env: {} });
    assert.equal(code, 0, `certs ${args.join(' ')}`);
    return d;
  };
  try {
    const good = await certs('good', '--server-cn', 'typha-cli', '--client-cn', 'node-cli');
    const expired = await certs(
      'expired',
      '--server-cn',
      'typha-cli',
      '--client-cn',
      'node-cli',
      '--expired',
    );
    const serverArgs = (d: string): string[] => [
      ...[
        '--ca',
        join(d, 'ca.crt'),
        '--cert',
        join(d, 'typha-server.crt'),
        '--key',
        join(d, 'typha-server.key'),
      ],
      ...['--client-cn', 'node-cli'],
    ];
    const clientOpts = (d: string, port: number): ConstructorParameters<typeof SyncerClient>[0] => ({
      felixHostname: 'tls-node',
      typhaAddr: `127.0.0.1:${port}`,
      typhaCAFile: join(d, 'ca.crt'),
      typhaCertFile: join(d, 'typha-client.crt'),
      typhaKeyFile: join(d, 'typha-client.key'),
      typhaCN: 'typha-cli',
      failover: { ...FAST_FAILOVER, maxRounds: 1 },
    });
    // Good certs: the client syncs.
    let r = await runCli([...serverArgs(good), '--keep-running'], {
      stdin: '{"op":"put","key":"/calico/v1/Ready","value":"true"}\n',
      onListening: async (port, child) => {
        const client = new SyncerClient(clientOpts(good, port));
        const rec = new Recorder(client);
        client.start();
        try {
          await rec.waitInSync();
          assert.deepEqual(Object.fromEntries(rec.state), { '/calico/v1/Ready': 'true' });
        } finally {
          await client.stop();
        }
        child.kill('SIGTERM');
      },
    });
    assert.equal(r.code, 143);
    // The expired server cert: the client refuses it (and never gets a snapshot).
    r = await runCli([...serverArgs(expired), '--keep-running'], {
      onListening: async (port, child) => {
        const client = new SyncerClient(clientOpts(expired, port));
        const rec = new Recorder(client);
        client.start();
        const end = await client.finished;
        assert.equal(end?.code, 'ERR_TYPHA_DIAL');
        assert.equal(rec.count('connected'), 0);
        const reasons = rec.events.flatMap((e) => (e.kind === 'disconnected' ? [e.reason] : []));
        assert.ok(reasons.length > 0 && reasons.every((x) => /expired/i.test(x)), JSON.stringify(reasons));
        child.kill('SIGTERM');
      },
    });
    assert.equal(r.code, 143);
    // The good server, the expired client cert: the server refuses the client.
    r = await runCli([...serverArgs(good), '--keep-running'], {
      onListening: async (port, child) => {
        const opts = { ...clientOpts(good, port), typhaCertFile: join(expired, 'typha-client.crt') };
        const client = new SyncerClient({ ...opts, typhaKeyFile: join(expired, 'typha-client.key') });
        const rec = new Recorder(client);
        client.start();
        await client.finished;
        assert.equal(rec.count('connected'), 0);
        child.kill('SIGTERM');
      },
    });
    assert.equal(r.code, 143);
    // The server refuses it during the handshake (its reason is the TLS layer's, not the verify error).
    assert.match(r.out, /"event":"tls-error"/);
    assert.doesNotMatch(r.out, /"event":"client"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
