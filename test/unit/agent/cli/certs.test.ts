// `felix-ts certs`: the files it writes (checked with node:crypto's X509Certificate), its options
// for failure-case certificates, and its refusal to write into a non-empty directory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../../agent/cli/main.js';
import type { Io } from '../../../../agent/cli/commands.js';

const DAY = 86_400_000;
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

async function certs(args: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  let o = '';
  let e = '';
  out.on('data', (d: Buffer) => (o += d.toString()));
  err.on('data', (d: Buffer) => (e += d.toString()));
  const io: Io = { out, err, env: { FELIX_CONFIGFILE: '/nonexistent/felix.cfg' } };
  const code = await main(['certs', ...args], io);
  return { code, out: o, err: e };
}

function withDir(fn: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'felix-certs-'));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

const cert = (dir: string, f: string): X509Certificate => new X509Certificate(readFileSync(join(dir, f)));
const mode = (dir: string, f: string): number => statSync(join(dir, f)).mode & 0o777;
const near = (a: number, b: number, what: string): void =>
  assert.ok(
    Math.abs(a - b) < 10 * 60_000,
    `${what}: ${new Date(a).toISOString()} vs ${new Date(b).toISOString()}`,
  );

test(
  'certs defaults: CA cert and key, server and client certs chained to it, keys mode 0600, 365 days',
  withDir(async (dir) => {
    const pki = join(dir, 'pki');
    const r = await certs(['--dir', pki]);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(readdirSync(pki).sort(), [
      'ca.crt',
      'ca.key',
      'typha-client.crt',
      'typha-client.key',
      'typha-server.crt',
      'typha-server.key',
    ]);
    for (const k of ['ca.key', 'typha-server.key', 'typha-client.key']) assert.equal(mode(pki, k), 0o600, k);
    for (const c of ['ca.crt', 'typha-server.crt', 'typha-client.crt']) assert.equal(mode(pki, c), 0o644, c);
    const ca = cert(pki, 'ca.crt');
    assert.ok(ca.ca);
    assert.ok(
      ca.checkPrivateKey(createPrivateKey(readFileSync(join(pki, 'ca.key')))),
      'ca.key is the CA key',
    );
    const now = Date.now();
    near(Date.parse(ca.validTo), now + 3650 * DAY, 'CA validTo');
    for (const [f, cn, eku] of [
      ['typha-server', 'typha-server', SERVER_AUTH],
      ['typha-client', 'typha-client', CLIENT_AUTH],
    ] as const) {
      const c = cert(pki, `${f}.crt`);
      assert.ok(c.verify(ca.publicKey), `${f} signed by the CA`);
      assert.ok(c.checkPrivateKey(createPrivateKey(readFileSync(join(pki, `${f}.key`)))), `${f}.key`);
      assert.equal(c.subject, `CN=${cn}`);
      assert.deepEqual(c.keyUsage, [eku], `${f} extendedKeyUsage`);
      assert.ok(Date.parse(c.validFrom) <= now);
      near(Date.parse(c.validTo), now + 365 * DAY, `${f} validTo`);
    }
    assert.match(r.out, /ca\.key/);
    assert.match(r.out, /FELIX_TYPHACN=typha-server\n/);
    assert.match(r.out, /--client-cn typha-client\n/);
  }),
);

test(
  'certs --server-cn --client-cn --days --no-eku',
  withDir(async (dir) => {
    const r = await certs([
      '--dir',
      dir,
      '--server-cn',
      'typha.example',
      '--client-cn',
      'node 7',
      '--days',
      '7',
      '--no-eku',
    ]);
    assert.equal(r.code, 0, r.err);
    const ca = cert(dir, 'ca.crt');
    const now = Date.now();
    for (const [f, cn] of [
      ['typha-server', 'typha.example'],
      ['typha-client', 'node 7'],
    ] as const) {
      const c = cert(dir, `${f}.crt`);
      assert.equal(c.subject, `CN=${cn}`);
      assert.ok(c.verify(ca.publicKey));
      assert.equal(c.keyUsage, undefined, `${f}: no extendedKeyUsage`);
      near(Date.parse(c.validTo), now + 7 * DAY, `${f} validTo`);
    }
    near(Date.parse(ca.validTo), now + 3650 * DAY, 'the CA keeps its validity');
    assert.match(r.out, /FELIX_TYPHACN=typha\.example\n/);
    assert.match(r.out, /--client-cn 'node 7'\n/);
    assert.match(r.out, /no extendedKeyUsage/);
  }),
);

test(
  'certs --expired: server and client validity ended yesterday (--days long), the CA still valid',
  withDir(async (dir) => {
    const r = await certs(['--dir', dir, '--expired', '--days', '30']);
    assert.equal(r.code, 0, r.err);
    const now = Date.now();
    const ca = cert(dir, 'ca.crt');
    assert.ok(Date.parse(ca.validFrom) <= now && now < Date.parse(ca.validTo), 'CA valid now');
    for (const f of ['typha-server.crt', 'typha-client.crt']) {
      const c = cert(dir, f);
      near(Date.parse(c.validTo), now - DAY, `${f} validTo`);
      near(Date.parse(c.validFrom), now - 31 * DAY, `${f} validFrom`);
      assert.ok(c.verify(ca.publicKey));
    }
    assert.match(r.out, /EXPIRED/);
  }),
);

test(
  'certs refuses a non-empty directory without --force (exit 2, names it); --force replaces the PKI files',
  withDir(async (dir) => {
    writeFileSync(join(dir, 'notes.txt'), 'keep me');
    let r = await certs(['--dir', dir]);
    assert.equal(r.code, 2);
    assert.ok(r.err.includes(`directory ${dir} is not empty`), r.err);
    assert.match(r.err, /--force/);
    assert.deepEqual(readdirSync(dir), ['notes.txt'], 'nothing written');

    // An old key left world-readable and an old cert: --force replaces both, the key with mode 0600.
    writeFileSync(join(dir, 'typha-client.key'), 'old key', { mode: 0o644 });
    chmodSync(join(dir, 'typha-client.key'), 0o644);
    r = await certs(['--dir', dir, '--force']);
    assert.equal(r.code, 0, r.err);
    assert.equal(mode(dir, 'typha-client.key'), 0o600);
    const c = cert(dir, 'typha-client.crt');
    assert.ok(c.checkPrivateKey(createPrivateKey(readFileSync(join(dir, 'typha-client.key')))));
    const firstSerial = cert(dir, 'ca.crt').serialNumber;
    r = await certs(['--dir', dir, '--force', '--client-cn', 'second']);
    assert.equal(r.code, 0, r.err);
    assert.notEqual(cert(dir, 'ca.crt').serialNumber, firstSerial, 'a new CA');
    assert.equal(cert(dir, 'typha-client.crt').subject, 'CN=second');
    assert.equal(readFileSync(join(dir, 'notes.txt'), 'utf8'), 'keep me', 'other files left alone');
  }),
);

test(
  'certs: bad options are usage errors (exit 2) naming the option; nothing is written',
  withDir(async (dir) => {
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    const pki = join(dir, 'pki');
    for (const [args, msg] of [
      [['--days', '0'], /--days must be a whole number of days from 1 to 36500, got "0"/],
      [['--days', '1.5'], /--days must be .* got "1\.5"/],
      [['--days', 'x'], /--days must be .* got "x"/],
      [['--server-cn', ''], /--server-cn must be a non-empty CommonName/],
      [['--client-cn', 'a\nb'], /--client-cn must be a non-empty CommonName without control characters/],
    ] as const) {
      const r = await certs(['--dir', pki, ...args]);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.err, msg);
    }
    const r = await certs(['--dir', file]);
    assert.equal(r.code, 2);
    assert.ok(r.err.includes(`--dir ${file} exists and is not a directory`), r.err);
    assert.deepEqual(readdirSync(dir), ['a-file'], 'nothing written');
  }),
);

test('certs --help lists every option', async () => {
  const r = await certs(['--help']);
  assert.equal(r.code, 0);
  for (const opt of [
    '--dir',
    '--force',
    '--server-cn',
    '--client-cn',
    '--days',
    '--expired',
    '--no-eku',
    'ca.key',
  ])
    assert.ok(r.out.includes(opt), opt);
});
