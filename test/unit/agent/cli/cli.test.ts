import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../../agent/cli/main.js';
import type { Io } from '../../../../agent/cli/commands.js';
import { HealthAggregator, HealthServer, REPORTER } from '../../../../agent/health/index.js';

function io(env: Record<string, string> = {}): Io & { stdout: () => string; stderr: () => string } {
  const out = new PassThrough();
  const err = new PassThrough();
  let o = '';
  let e = '';
  out.on('data', (d: Buffer) => (o += d.toString()));
  err.on('data', (d: Buffer) => (e += d.toString()));
  // An explicit, absent config file keeps the host's /etc/calico/felix.cfg out of the tests.
  return {
    out,
    err,
    env: { FELIX_CONFIGFILE: '/nonexistent/felix.cfg', ...env },
    stdout: () => o,
    stderr: () => e,
  };
}

async function withHealth<T>(
  f: (port: number, h: HealthAggregator) => Promise<T>,
  debug: ConstructorParameters<typeof HealthServer>[0]['debug'] = {},
): Promise<T> {
  const h = new HealthAggregator();
  h.register(REPORTER.startup, { live: true, ready: true }, 0);
  const srv = new HealthServer({ aggregator: h, details: () => ({ syncStatus: 'resync' }), debug });
  await srv.listen('127.0.0.1', 0);
  try {
    return await f(srv.address()?.port as number, h);
  } finally {
    await srv.close();
  }
}

test('status: exit 1 with the table while not ready, 0 once ready; --json; host/port from FELIX_* env', async () => {
  await withHealth(async (port, h) => {
    let t = io({ FELIX_HEALTHHOST: '127.0.0.1', FELIX_HEALTHPORT: String(port) });
    assert.equal(await main(['status'], t), 1);
    assert.match(t.stdout(), /FelixStartup +\| - +\| reporting live \| reporting non-ready/);
    assert.match(t.stderr(), /felix-ts is not ready: readiness probe reporting 503/);

    h.report(REPORTER.startup, { live: true, ready: true });
    t = io({ FELIX_HEALTHHOST: '127.0.0.1', FELIX_HEALTHPORT: String(port) });
    assert.equal(await main(['status'], t), 0);
    assert.match(t.stdout(), /reporting ready/);
    assert.match(t.stdout(), /felix-ts is ready/);

    t = io();
    assert.equal(await main(['status', '--json', '--host', '127.0.0.1', '--port', String(port)], t), 0);
    const j = JSON.parse(t.stdout()) as { ready: boolean; details: { syncStatus: string } };
    assert.equal(j.ready, true);
    assert.equal(j.details.syncStatus, 'resync');

    t = io();
    assert.equal(await main(['status', '--live', '--host', '127.0.0.1', '--port', String(port)], t), 0);
    assert.match(t.stdout(), /felix-ts is live/);
  });
});

test('status: an unreachable agent exits 3 with a hint; --json still prints JSON', async () => {
  // Bind and close to get a port nobody listens on.
  const port = await withHealth(async (p) => p);
  const t = io();
  assert.equal(await main(['status', '--host', '127.0.0.1', '--port', String(port)], t), 3);
  assert.match(
    t.stderr(),
    /felix-ts cannot be reached at http:\/\/127\.0\.0\.1:\d+\/readiness: .*(ECONNREFUSED|refused)/,
  );
  assert.match(t.stderr(), /hint: is felix-ts running with HealthEnabled=true/);
  assert.equal(t.stdout(), '');
  const j = io();
  assert.equal(
    await main(['status', '--json', '--live', '--host', '127.0.0.1', '--port', String(port)], j),
    3,
  );
  const out = JSON.parse(j.stdout()) as { reachable: boolean; url: string };
  assert.equal(out.reachable, false);
  assert.match(out.url, /\/liveness$/);
});

test('status --json: JSON on stdout when not ready too, nothing else', async () => {
  await withHealth(async (port, h) => {
    h.register('calc', { live: true, ready: false }, 0);
    const t = io();
    assert.equal(await main(['status', '--json', '--host', '127.0.0.1', '--port', String(port)], t), 1);
    assert.doesNotThrow(() => JSON.parse(t.stdout()), t.stdout());
  });
});

test('per-command --help, help <command>, -v/--version', async () => {
  for (const [args, re] of [
    [['run', '--help'], /^Usage: felix-ts run \[--dry-run\]/],
    [['status', '-h'], /^Usage: felix-ts status .*\n[\s\S]*3 the agent cannot be reached/],
    [['inspect', '--help'], /^Usage: felix-ts inspect endpoint/],
    [['certs', '--help'], /^Usage: felix-ts certs --dir/],
    [['demo', '--help'], /^Usage: felix-ts demo \[--dry-run\] \[--keep\][\s\S]*Ctrl-C/],
    [['help', 'status'], /^Usage: felix-ts status/],
    [['--help'], /^Usage: felix-ts <command>/],
  ] as const) {
    const t = io();
    assert.equal(await main(args, t), 0, args.join(' '));
    assert.match(t.stdout(), re, args.join(' '));
  }
  for (const args of [['-v'], ['--version'], ['version'], ['status', '--version']]) {
    const t = io();
    assert.equal(await main(args, t), 0, args.join(' '));
    assert.match(t.stdout(), /^felix-ts-v\d+\.\d+\.\d+\S*\n$/, args.join(' '));
    assert.equal(t.stderr(), '');
  }
  const bad = io();
  assert.equal(await main(['status', '--nope'], bad), 2);
  assert.match(bad.stderr(), /Unknown option '--nope'[\s\S]*Usage: felix-ts status/);
});

test('inspect endpoint / chains render what the daemon returns', async () => {
  const endpoint = {
    key: '/calico/v1/host/n/workload/k8s/backend%2fdb-1/endpoint/eth0',
    kind: 'workload',
    iface: 'cali060c306f30d',
    ipv4Nets: ['10.65.0.7/32'],
    ipv6Nets: [],
    labels: { app: 'db' },
    profiles: ['kns.backend'],
    ingress: [
      { tier: 'security', defaultAction: 'Pass', policies: ['gnp/security.deny-blocked'] },
      { tier: 'default', defaultAction: 'Deny', policies: ['np/backend/db-allow-api'] },
    ],
    egress: [],
  };
  const chains = {
    chains: [
      {
        table: 'filter',
        ipVersion: 4,
        name: 'cali-pi-_x7k',
        owner: { kind: 'policy', id: 'np/backend/db-allow-api', direction: 'ingress' },
        comment: 'NetworkPolicy backend/db-allow-api ingress',
        rules: [
          { index: 0, hash: 'YOb7CKULXc1gsq_J', body: '-p tcp --jump MARK --set-mark 0x10000/0x10000' },
        ],
        sourceRules: [
          { index: 0, action: 'allow', ruleId: 'rcfF', summary: 'allow proto=tcp dstPorts=5432' },
        ],
      },
      {
        table: 'filter',
        ipVersion: 4,
        name: 'cali-other',
        owner: { kind: 'static', id: 'cali-other' },
        comment: '',
        rules: [],
      },
    ],
  };
  await withHealth(
    async (port) => {
      const args = ['--host', '127.0.0.1', '--port', String(port)];
      let t = io();
      assert.equal(await main(['inspect', 'endpoint', 'backend/db-1', ...args], t), 0);
      const text = t.stdout();
      assert.match(
        text,
        /tier security \(end of tier: Pass\)\n\s+policy gnp\/security.deny-blocked\n\s+tier default \(end of tier: Deny\)\n\s+policy np\/backend\/db-allow-api/,
      );
      assert.match(text, /then profiles: kns.backend/);
      assert.match(text, /\n {2}ipv4: 10\.65\.0\.7\/32\n {2}ipv6: \(none\)\n/);
      // The daemon selects and orders the chains; the CLI prints them as they come.
      assert.match(
        text,
        /Chains \(2\) in evaluation order, programmed:\n {2}ipv4 filter cali-pi-_x7k {2}<- policy np\/backend\/db-allow-api ingress\n[^]*cali-other/,
      );
      assert.match(text, /source rule 0 \(id rcfF\): allow proto=tcp dstPorts=5432/);
      t = io();
      assert.equal(await main(['inspect', 'endpoint', 'nope', ...args], t), 1);
      assert.match(t.stderr(), /no local endpoint "nope"/);
      t = io();
      assert.equal(await main(['inspect', 'endpoint', 'db-1', ...args], t), 1);
      assert.equal(t.stdout(), '');
      assert.equal(
        t.stderr(),
        '"db-1" matches 2 local endpoints; name one of them\n' +
          '  a/db-1/eth0  (interface cali1, key k1)\n  b/db-1/eth0  (interface cali2, key k2)\n',
      );
      t = io();
      assert.equal(await main(['inspect', 'endpoint', 'dry/db-1', ...args], t), 0);
      assert.match(t.stdout(), /\nChains \(2\) in evaluation order, computed \(dry run, not programmed\):\n/);
      t = io();
      assert.equal(await main(['inspect', 'chains', ...args], t), 0);
      assert.match(t.stdout(), /^2 chains programmed by felix-ts:/);
      assert.match(t.stdout(), /\[0\] cali:YOb7CKULXc1gsq_J -p tcp/);
      assert.match(t.stdout(), /cali-other {2}<- felix-ts static chain/);
      t = io();
      assert.equal(
        await main(['inspect', 'chains', '--host', '127.0.0.1', '--port', String(port), '--json'], t),
        0,
      );
      assert.equal((JSON.parse(t.stdout()) as { chains: unknown[] }).chains.length, 2);
    },
    {
      endpoint: (q) => {
        const name = q.get('name');
        if (name === 'backend/db-1') return { status: 200, body: { endpoint, chains, dryRun: false } };
        if (name === 'dry/db-1') return { status: 200, body: { endpoint, chains, dryRun: true } };
        if (name === 'db-1')
          return {
            status: 409,
            body: {
              error: '"db-1" matches 2 local endpoints; name one of them',
              candidates: [
                { key: 'k1', name: 'a/db-1/eth0', iface: 'cali1' },
                { key: 'k2', name: 'b/db-1/eth0', iface: 'cali2' },
              ],
            },
          };
        return { status: 404, body: { error: `no local endpoint ${JSON.stringify(name)}` } };
      },
      chains: () => ({ status: 200, body: { ...chains, dryRun: false } }),
    },
  );
});

test('certs --dir writes a CA, a server and a client certificate that chain to it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'felix-certs-'));
  try {
    const t = io();
    assert.equal(await main(['certs', '--dir', dir], t), 0);
    assert.match(t.stdout(), /FELIX_TYPHACN=typha-server/);
    const ca = new X509Certificate(readFileSync(join(dir, 'ca.crt')));
    const server = new X509Certificate(readFileSync(join(dir, 'typha-server.crt')));
    const client = new X509Certificate(readFileSync(join(dir, 'typha-client.crt')));
    assert.ok(server.verify(ca.publicKey));
    assert.ok(client.verify(ca.publicKey));
    assert.match(server.subject, /CN=typha-server/);
    assert.match(client.subject, /CN=typha-client/);
    assert.ok(client.checkPrivateKey(createPrivateKey(readFileSync(join(dir, 'typha-client.key')))));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('run: a bad configuration is one error listing every bad field, exit 1; Typha must be configured', async () => {
  let t = io({ FELIX_HEALTHPORT: 'x', FELIX_IPTABLESMARKMASK: '0x1', FELIX_TYPHAADDR: 'nope' });
  assert.equal(await main(['run'], t), 1);
  const err = t.stderr();
  assert.match(err, /Invalid configuration \(3 problems\)/);
  for (const p of ['HealthPort', 'IptablesMarkMask', 'TyphaAddr']) assert.match(err, new RegExp(`- ${p}=`));
  t = io({});
  assert.equal(await main(['run', '--set', 'FelixHostname=n1'], t), 1);
  assert.match(t.stderr(), /felix-ts needs Typha: set FELIX_TYPHAADDR/);
});

test('usage errors exit 2', async () => {
  for (const args of [
    ['bogus'],
    ['inspect'],
    ['certs'],
    ['status', '--port', 'x'],
    ['status', '--nope'],
    [],
  ]) {
    const t = io();
    assert.equal(await main(args, t), 2, args.join(' '));
  }
  const t = io();
  assert.equal(await main(['--help'], t), 0);
  assert.match(t.stdout(), /Usage: felix-ts <command>/);
});
