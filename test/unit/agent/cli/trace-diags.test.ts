// The `trace` and `diags` commands in-process: trace against a health server whose /debug/trace
// runs over a real DataplaneState and compile (exit codes, text, errors); diags with a fake command
// runner and no agent (a partial archive that says what is missing); the tar writer read back by
// the system's tar; the private-key scrubber; /debug/config.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { main } from '../../../../agent/cli/main.js';
import type { Io } from '../../../../agent/cli/commands.js';
import { diagsCommand, redactPrivateKeys } from '../../../../agent/cli/diags.js';
import { tarGz } from '../../../../agent/cli/tar.js';
import { HealthAggregator, HealthServer, REPORTER } from '../../../../agent/health/index.js';
import { debugHandlers } from '../../../../agent/daemon/debug-api.js';
import { loadConfig } from '../../../../agent/config/index.js';
import { DataplaneState, compile, defaultCompilerConfig } from '../../../../rules/compiler/index.js';
import type { CommandRunner } from '../../../../rules/backend/index.js';

function io(env: Record<string, string> = {}): Io & { stdout: () => string; stderr: () => string } {
  const out = new PassThrough();
  const err = new PassThrough();
  let o = '';
  let e = '';
  out.on('data', (d: Buffer) => (o += d.toString()));
  err.on('data', (d: Buffer) => (e += d.toString()));
  return {
    out,
    err,
    env: { FELIX_CONFIGFILE: '/nonexistent/felix.cfg', ...env },
    stdout: () => o,
    stderr: () => e,
  };
}

function compiled(): {
  state: DataplaneState;
  config: ReturnType<typeof defaultCompilerConfig>;
  last: ReturnType<typeof compile>;
} {
  const state = new DataplaneState();
  const deny = { kind: 'np', namespace: 'prod', name: 'deny-9090' };
  assert.deepEqual(
    state.applyAll([
      {
        kind: 'activePolicyUpdate',
        id: deny,
        policy: {
          tier: 'default',
          inboundRules: [
            { action: 'deny', protocol: { name: 'tcp' }, dstPorts: [{ first: 9090, last: 9090 }] },
            { action: 'allow' },
          ],
          outboundRules: [],
        },
      },
      {
        kind: 'activeProfileUpdate',
        id: { name: 'kns.prod' },
        profile: { inboundRules: [{ action: 'allow' }], outboundRules: [{ action: 'allow' }] },
      },
      ...(['web', 'client'] as const).map((name, i) => ({
        kind: 'workloadEndpointUpdate' as const,
        id: { orchestratorId: 'k8s', workloadId: `prod/${name}`, endpointId: 'eth0' },
        endpoint: {
          state: 'active',
          name: `cali${name}0000000`.slice(0, 15),
          profileIds: ['kns.prod'],
          ipv4Nets: [`10.65.0.${i + 1}/32`],
          ipv6Nets: [],
          tiers: name === 'web' ? [{ name: 'default', ingressPolicies: [deny], egressPolicies: [] }] : [],
        },
      })),
      { kind: 'inSync' },
    ]),
    [],
  );
  const config = defaultCompilerConfig({ ipv6Support: false });
  return { state, config, last: compile(state, config) };
}

async function withAgent<T>(f: (port: number) => Promise<T>, started = true): Promise<T> {
  const h = new HealthAggregator();
  h.register(REPORTER.startup, { live: true, ready: true }, 0);
  h.report(REPORTER.startup, { live: true, ready: true });
  const c = started ? compiled() : undefined;
  const loaded = loadConfig(
    { env: { FELIX_FELIXHOSTNAME: 'node-a' }, configFile: '/nonexistent' },
    { checkFiles: false },
  );
  const debug = debugHandlers({ calc: () => undefined, compiled: () => c, loaded: () => loaded });
  const srv = new HealthServer({ aggregator: h, debug });
  await srv.listen('127.0.0.1', 0);
  try {
    return await f(srv.address()?.port as number);
  } finally {
    await srv.close();
  }
}

test('trace: exit 0 allowed / 1 denied with the deciding rule and kernel rule; 2 bad names; 3 unreachable', async () => {
  await withAgent(async (port) => {
    const args = (...a: string[]): string[] => ['trace', ...a, '--host', '127.0.0.1', '--port', String(port)];
    let t = io();
    assert.equal(await main(args('client', 'prod/web', 'tcp/9090'), t), 1);
    const text = t.stdout();
    assert.match(
      text,
      /^Tracing prod\/client\/eth0 \(10\.65\.0\.2\) -> prod\/web\/eth0 \(10\.65\.0\.1\), IPv4 tcp\/9090$/m,
    );
    assert.match(
      text,
      /^Egress from k8s\/prod\/client\/eth0 .*\n {2}profile kns.prod rule 0 allow: matches -> ALLOW$/m,
    );
    assert.match(text, /DENY by policy np\/prod\/deny-9090 rule 0 \(deny\) in tier default/);
    assert.match(text, /kernel: filter IPv4 cali-pi-\S+ rule \d+ cali:[A-Za-z0-9_-]{16} {2}.*--jump DROP/);
    assert.match(text, /^Final verdict: DENIED$/m);
    t = io();
    assert.equal(await main(args('10.65.0.2', 'web', 'tcp/80'), t), 0);
    assert.match(t.stdout(), /policy np\/prod\/deny-9090 rule 0 deny: no match \(dst port 80 not in 9090\)/);
    t = io();
    assert.equal(await main(args('client', 'web', 'tcp/80', '--json'), t), 0);
    assert.equal((JSON.parse(t.stdout()) as { verdict: string }).verdict, 'allow');
    t = io();
    assert.equal(await main(args('nosuch', 'web', 'tcp/80'), t), 2);
    assert.match(t.stderr(), /"nosuch" is neither a local workload/);
    t = io();
    assert.equal(await main(args('client', 'web', 'tcp/x'), t), 2);
    t = io();
    assert.equal(await main(['trace', 'client'], t), 2);
    t = io();
    assert.equal(await main(['help', 'trace'], t), 0);
    assert.match(t.stdout(), /^Usage: felix-ts trace <src> <dst> \[proto\/port\]/);
  });
  await withAgent(async (port) => {
    const t = io();
    assert.equal(await main(['trace', 'a', 'b', '--host', '127.0.0.1', '--port', String(port)], t), 3);
    assert.match(t.stderr(), /not started yet/);
  }, false);
  const t = io();
  assert.equal(await main(['trace', 'a', 'b', '--host', '127.0.0.1', '--port', '1'], t), 3);
});

test('/debug/config: every parameter with its value and source', async () => {
  await withAgent(async (port) => {
    const r = await fetch(`http://127.0.0.1:${port}/debug/config`);
    const { params } = (await r.json()) as {
      params: { name: string; value: string; source: string; origin?: string }[];
    };
    const host = params.find((p) => p.name === 'FelixHostname');
    assert.deepEqual(host, {
      name: 'FelixHostname',
      value: 'node-a',
      source: 'env',
      origin: 'env FELIX_FELIXHOSTNAME',
    });
    assert.equal(params.find((p) => p.name === 'HealthPort')?.source, 'default');
  });
});

test('tarGz: the system tar reads every entry back byte for byte', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ht-tar-'));
  try {
    const big = 'x'.repeat(1300) + '\nend\n';
    const file = join(dir, 'a.tar.gz');
    writeFileSync(
      file,
      tarGz([
        { name: 'top/README.txt', data: 'hello\n' },
        { name: 'top/sub/big.txt', data: big },
        { name: 'top/empty', data: '' },
      ]),
    );
    assert.deepEqual(execFileSync('tar', ['-tzf', file], { encoding: 'utf8' }).trim().split('\n'), [
      'top/README.txt',
      'top/sub/big.txt',
      'top/empty',
    ]);
    execFileSync('tar', ['-xzf', file, '-C', dir]);
    assert.equal(readFileSync(join(dir, 'top/README.txt'), 'utf8'), 'hello\n');
    assert.equal(readFileSync(join(dir, 'top/sub/big.txt'), 'utf8'), big);
    assert.equal(readFileSync(join(dir, 'top/empty'), 'utf8'), '');
    assert.throws(() => tarGz([{ name: 'n'.repeat(101), data: '' }]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('redactPrivateKeys: every kind of PEM private key, also a truncated one; certificates stay', () => {
  const cert = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
  const text = `a\n-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\nb\n${cert}\n-----BEGIN EC PRIVATE KEY-----\nBBBB\nCC`;
  const out = redactPrivateKeys(text);
  assert.ok(!/AAAA|BBBB|CC$|PRIVATE KEY-----/.test(out), out);
  assert.ok(out.includes(cert));
  assert.match(out, /^a\n\[PRIVATE KEY REMOVED by felix-ts diags\]\nb\n/);
});

test('diags without an agent: a partial archive whose README lists what is missing; never a key file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ht-diags-unit-'));
  try {
    const key = join(dir, 'tls.key');
    writeFileSync(key, '-----BEGIN PRIVATE KEY-----\nSECRETSECRET\n-----END PRIVATE KEY-----\n');
    const calls: string[] = [];
    const runner: CommandRunner = {
      run: (file, args) => {
        calls.push(`${file} ${args.join(' ')}`);
        if (file === 'ipset' && args[0] === 'save')
          return Promise.resolve({ stdout: '', stderr: 'boom', exitCode: 1 });
        return Promise.resolve({ stdout: `${file} ${args.join(' ')} output\n`, stderr: '', exitCode: 0 });
      },
    };
    const env = {
      FELIX_TYPHAKEYFILE: key,
      FELIX_TYPHACAFILE: join(dir, 'ca.crt'),
      FELIX_TYPHACERTFILE: join(dir, 'tls.crt'),
      FELIX_TYPHACN: 'typha',
      FELIX_HEALTHPORT: '1',
      FELIX_LOGFILEPATH: 'none',
      FELIX_IPTABLESBACKEND: 'nft',
    };
    const t = io(env);
    assert.equal(await diagsCommand(t, { dir, runner, now: new Date('2026-12-03T10:00:00Z') }), 0);
    const archive = readdirSync(dir).find((f) => f.endsWith('.tar.gz'));
    assert.match(archive ?? '', /^felix-ts-diags-.*-20261203T100000\.tar\.gz$/);
    assert.match(t.stdout(), /items not collected, see README.txt/);
    assert.ok(
      calls.includes('iptables-nft-save -c -t mangle') && calls.includes('ip6tables-nft-save -c -t nat'),
      calls.join('\n'),
    );
    const x = join(dir, 'x');
    execFileSync('mkdir', [x]);
    execFileSync('tar', ['-xzf', join(dir, archive ?? ''), '-C', x]);
    const root = join(x, 'felix-ts-diags-20261203T100000');
    const readme = readFileSync(join(root, 'README.txt'), 'utf8');
    assert.match(readme, /- ipset\/save.txt: ipset save exited 1: boom/);
    assert.match(readme, /- readiness: /);
    assert.match(readme, /local sources only/);
    assert.match(readme, /- logs: LogFilePath is none/);
    const cfg = readFileSync(join(root, 'config/effective.txt'), 'utf8');
    assert.match(cfg, /^# the agent could not be asked/);
    assert.ok(cfg.includes(`TyphaKeyFile = ${key}  (env env FELIX_TYPHAKEYFILE)`));
    const all = execFileSync('tar', ['-xzOf', join(dir, archive ?? '')], { encoding: 'utf8' });
    assert.ok(!all.includes('SECRETSECRET'));
    // An existing archive is never overwritten.
    assert.equal(await diagsCommand(io(env), { dir, runner, now: new Date('2026-12-03T10:00:00Z') }), 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
