// `felix-ts diags` next to a real agent: run in the agent's node namespace with the agent's own
// configuration, it writes one .tar.gz (read back with the system's tar) holding the four tables of
// both families with counters, the IP sets, readiness, inspect chains, the effective config with
// sources, the log tail and the versions, and never the Typha client key or any planted private key.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { inNs, isRoot, must, run } from './exec.js';
import { agentMain } from './paths.js';
import { Cluster } from './cluster.js';
import { pollUntil } from './poll.js';

const skip = isRoot() ? false : 'needs root (network namespaces, iptables)';

/** A private key that is not the agent's: it must be scrubbed from the log tail. */
const PLANTED = [
  '-----BEGIN PRIVATE KEY-----',
  'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDplantedplanted',
  'plantedplantedplantedplantedplantedplantedplantedplantedplanted0',
  '-----END PRIVATE KEY-----',
].join('\n');

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) =>
    statSync(join(dir, f)).isFile(),
  );
}

describe('felix-ts diags (real agent, real kernel)', { skip }, () => {
  let c: Cluster;
  let work: string;
  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'ht-diags-'));
    c = await Cluster.start({
      pods: [
        { name: 'web', namespace: 'prod', ip: '10.65.2.1', ports: [8080], labels: { app: 'web' } },
        { name: 'client', namespace: 'prod', ip: '10.65.2.2', ports: [8080], labels: { app: 'client' } },
      ],
      agentEnv: { FELIX_LOGFILEPATH: join(work, 'felix.log'), FELIX_LOGSEVERITYFILE: 'info' },
    });
  });
  after(async () => {
    await c?.destroy();
    rmSync(work, { recursive: true, force: true });
  });

  it('writes one archive with every part, with counters and sources, and no secrets', async () => {
    const logFile = join(work, 'felix.log');
    await pollUntil(
      'the agent log file',
      () =>
        Promise.resolve({
          ok: readFileSync(logFile, 'utf8').includes('Felix starting up'),
          value: 0,
          describe: 'no start line',
        }),
      { timeoutMs: 10_000, intervalMs: 100 },
    );
    appendFileSync(logFile, `a line with a pasted key:\n${PLANTED}\nafter the key\n`);
    const out = join(work, 'out');
    await must(['mkdir', out]);
    const r = await run(
      inNs(c.topo.nodeNs, [
        'env',
        '-i',
        ...Object.entries(c.agent.env()).map(([k, v]) => `${k}=${v ?? ''}`),
        process.execPath,
        agentMain,
        'diags',
        '--dir',
        out,
      ]),
      { timeoutMs: 120_000 },
    );
    assert.equal(r.code, 0, r.stderr);
    const archive = /Diagnostics written to (\S+\.tar\.gz)/.exec(r.stdout)?.[1];
    assert.ok(archive, r.stdout);
    assert.equal(statSync(archive).mode & 0o777, 0o600);
    const x = join(work, 'x');
    await must(['mkdir', x]);
    await must(['tar', '-xzf', archive, '-C', x]);
    const [top] = readdirSync(x);
    const root = join(x, top ?? '');
    const files = filesUnder(root).sort();
    const expected = [
      'README.txt',
      'agent/inspect-chains.txt',
      'agent/liveness.json',
      'agent/readiness.json',
      'config/effective.txt',
      'ipset/list.txt',
      'ipset/save.txt',
      'iptables/backend.txt',
      ...[4, 6].flatMap((f) => ['filter', 'mangle', 'nat', 'raw'].map((t) => `iptables/ipv${f}-${t}.txt`)),
      'logs/felix.log',
      'versions.txt',
    ].sort();
    assert.deepEqual(files, expected);
    const read = (f: string): string => readFileSync(join(root, f), 'utf8');
    for (const f of [4, 6]) {
      for (const t of ['filter', 'mangle', 'nat', 'raw']) {
        const save = read(`iptables/ipv${f}-${t}.txt`);
        assert.match(save, new RegExp(`^\\*${t}$`, 'm'), `ipv${f} ${t}`);
        assert.match(save, /^\[\d+:\d+\] -A cali-/m, `ipv${f} ${t} has cali rules with counters`);
      }
    }
    assert.match(read('iptables/ipv4-filter.txt'), new RegExp(`cali-tw-${c.pod('web').iface}`));
    assert.match(read('ipset/list.txt'), /^Name: cali40/m);
    assert.match(read('ipset/save.txt'), /^create cali40/m);
    assert.equal((JSON.parse(read('agent/readiness.json')) as { ready: boolean }).ready, true);
    assert.match(read('agent/inspect-chains.txt'), /chains programmed by felix-ts/);
    const cfg = read('config/effective.txt');
    assert.match(cfg, new RegExp(`^FelixHostname = ${c.hostname}  \\(env env FELIX_FELIXHOSTNAME\\)$`, 'm'));
    assert.match(cfg, /^IptablesRefreshInterval = .*\(default\)$/m);
    assert.ok(cfg.includes(`TyphaKeyFile = ${c.pki.clientKeyFile}`), 'the key file path is there');
    assert.match(read('logs/felix.log'), /Felix starting up/);
    assert.match(
      read('logs/felix.log'),
      /a line with a pasted key:\n\[PRIVATE KEY REMOVED by felix-ts diags\]\nafter the key/,
    );
    assert.match(read('versions.txt'), /^uname -a: Linux /m);
    assert.match(read('versions.txt'), /^ipset --version: ipset v/m);
    assert.match(
      read('README.txt'),
      /Left out on purpose: the contents of TyphaCAFile, TyphaCertFile, TyphaKeyFile/,
    );
    // No secret anywhere: neither the agent's client key nor the planted one, in any file or in the raw tar.
    const keyLines = readFileSync(c.pki.clientKeyFile, 'utf8')
      .split('\n')
      .filter((l) => l.length > 20 && !l.startsWith('-----'));
    assert.ok(keyLines.length > 5);
    const whole = gunzipSync(readFileSync(archive)).toString('latin1');
    for (const secret of [...keyLines, 'plantedplanted', 'BEGIN PRIVATE KEY', 'BEGIN RSA PRIVATE KEY'])
      assert.ok(!whole.includes(secret), `archive contains ${secret.slice(0, 20)}...`);
  });
});
