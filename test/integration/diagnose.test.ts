// `felix-ts diagnose` against the project's Typha test server and generated certificates: one test
// per diagnosis case, each asserting its own cause, message, Go error text and exit code.
// (The TCP timeout and unreachable cases need a network namespace: test/e2e/diagnose-net.test.ts.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import forge from 'node-forge';
import {
  makeCA,
  makeDevPki,
  writeDevPki,
  type CertAndKey,
  type DevPki,
  type PkiFiles,
} from '../../tools/pki/index.js';
import { TyphaServer, type TyphaServerOptions } from '../../tools/typha-server/index.js';
import { runDiagnose, type Check, type DiagnoseArgs } from '../../agent/diagnose/index.js';
import { main } from '../../agent/cli/main.js';

const SPIFFE_SERVER = 'spiffe://cluster.local/ns/calico-system/sa/calico-typha';
let dir: string;
let pki: DevPki;
let files: PkiFiles;

before(() => {
  dir = mkdtempSync(join(tmpdir(), `felix-ts-diagnose-${process.pid}-`));
  pki = makeDevPki({ serverURISAN: SPIFFE_SERVER });
  files = writeDevPki(pki, dir);
});
after(() => rmSync(dir, { recursive: true, force: true }));

interface Result {
  readonly code: number;
  readonly checks: readonly Check[];
  get(id: string): Check;
}

function tlsEnv(addr: string, over: Record<string, string> = {}): Record<string, string> {
  return {
    FELIX_TYPHAADDR: addr,
    FELIX_TYPHACAFILE: files.caFile,
    FELIX_TYPHACERTFILE: files.clientCertFile,
    FELIX_TYPHAKEYFILE: files.clientKeyFile,
    FELIX_TYPHACN: 'typha-server',
    ...over,
  };
}

async function diagnose(
  env: Record<string, string>,
  stepTimeoutMs = 3000,
  extra: Partial<DiagnoseArgs> = {},
): Promise<Result> {
  let out = '';
  const io = {
    out: { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream,
    env: { FELIX_CONFIGFILE: '/nonexistent/felix.cfg', FELIX_FELIXHOSTNAME: 'node-1', ...env },
  };
  const code = await runDiagnose(io, { json: true, stepTimeoutMs, ...extra });
  const body = JSON.parse(out) as { exitCode: number; checks: Check[] };
  assert.equal(body.exitCode, code, 'the JSON says the exit code');
  return {
    code,
    checks: body.checks,
    get(id: string): Check {
      const c = body.checks.find((x) => x.id === id);
      assert.ok(c, `no ${id} check in ${JSON.stringify(body.checks, null, 1)}`);
      return c;
    },
  };
}

async function withServer<T>(opts: TyphaServerOptions, fn: (s: TyphaServer) => Promise<T>): Promise<T> {
  const s = new TyphaServer(opts);
  await s.start();
  try {
    return await fn(s);
  } finally {
    await s.stop();
  }
}

function serverTls(over: Partial<NonNullable<TyphaServerOptions['tls']>> = {}): TyphaServerOptions {
  return {
    tls: { ca: pki.ca.cert, cert: pki.server.cert, key: pki.server.key, clientCN: 'typha-client', ...over },
  };
}

function writePair(name: string, c: CertAndKey): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  writeFileSync(cert, c.cert);
  writeFileSync(key, c.key, { mode: 0o600 });
  return { cert, key };
}

/** A client certificate whose validity starts tomorrow (the dev PKI has no such option). */
function notYetValidClient(): CertAndKey {
  const caKey = forge.pki.privateKeyFromPem(pki.ca.key);
  const caCert = forge.pki.certificateFromPem(pki.ca.cert);
  const keys = forge.pki.rsa.generateKeyPair(1024);
  const c = forge.pki.createCertificate();
  c.publicKey = keys.publicKey;
  c.serialNumber = '0badc0de';
  c.validity.notBefore = new Date(Date.now() + 86_400_000);
  c.validity.notAfter = new Date(Date.now() + 10 * 86_400_000);
  c.setSubject([{ name: 'commonName', value: 'typha-client' }]);
  c.setIssuer(caCert.subject.attributes);
  c.setExtensions([{ name: 'extKeyUsage', clientAuth: true }]);
  c.sign(caKey, forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(c), key: forge.pki.privateKeyToPem(keys.privateKey) };
}

test('all good: every step ok, hello and first batch reported, exit 0', async () => {
  await withServer(serverTls(), async (s) => {
    s.put('/calico/v1/Ready', 'true');
    const r = await diagnose(tlsEnv(s.endpoint));
    assert.equal(r.code, 0, JSON.stringify(r.checks, null, 1));
    for (const id of [
      'config',
      'ca-file',
      'cert-file',
      'key-file',
      'key-pair',
      'tcp',
      'tls',
      'hello',
      'sync',
    ])
      assert.equal(r.get(id).status, 'ok', id);
    assert.match(r.get('tls').message, /Typha’s certificate: CN "typha-server"/);
    assert.match(r.get('hello').message, /Typha felix-ts-test-typha, syncer type felix, compression snappy/);
    assert.match(r.get('sync').message, /first KV batch after \d+ ms \(1 KV\), in sync after \d+ ms/);
    assert.match(r.get('cert-file').message, /CN "typha-client", URI SANs \[\], clientAuth/);
  });
});

test('the text report: one line per check, the fix and Felix’s error text under an error, exit 2', async () => {
  const chunks: string[] = [];
  const out = { write: (s: string) => (chunks.push(s), true) };
  const code = await main(['diagnose', '--timeout', '2'], {
    out: out as never,
    err: out as never,
    env: tlsEnv('127.0.0.1:1', { FELIX_CONFIGFILE: '/nonexistent/felix.cfg', FELIX_FELIXHOSTNAME: 'node-1' }),
  });
  const text = chunks.join('');
  assert.equal(code, 2);
  assert.match(
    text,
    /^error +127\.0\.0\.1:1 tcp +nothing is listening on 127\.0\.0\.1:1 \(connection refused\)$/m,
  );
  assert.match(text, /^ +Felix logs: error=dial tcp 127\.0\.0\.1:1: connect: connection refused$/m);
  assert.match(text, /^ +fix: is Typha running\?/m);
  assert.match(text, /^result: error \(5 ok, 0 warning, 1 error, 2 skipped\); exit 2$/m);
});

test('tcp refused: nothing listening (is Typha running?)', async () => {
  const r = await diagnose(tlsEnv('127.0.0.1:1'));
  assert.equal(r.code, 2);
  const c = r.get('tcp');
  assert.equal(c.cause, 'refused');
  assert.equal(c.goError, 'dial tcp 127.0.0.1:1: connect: connection refused');
  assert.equal(r.get('tls').status, 'skipped');
});

test('tls timeout: a listener that never answers the TLS hello', async () => {
  const held: Socket[] = [];
  const silent = createNetServer((s) => held.push(s));
  await new Promise<void>((res) => silent.listen(0, '127.0.0.1', () => res()));
  try {
    const port = (silent.address() as { port: number }).port;
    const r = await diagnose(tlsEnv(`127.0.0.1:${port}`), 600);
    assert.equal(r.code, 2);
    assert.equal(r.get('tcp').status, 'ok');
    const c = r.get('tls');
    assert.equal(c.cause, 'tls-timeout');
    assert.equal(c.goError, 'tls: DialWithDialer timed out');
    assert.match(c.message, /accepted the TCP connection, but the TLS handshake timed out after 600 ms/);
  } finally {
    for (const s of held) s.destroy();
    await new Promise<void>((res) => silent.close(() => res()));
  }
});

test('untrusted server CA: names our CA file, what it holds and the issuer the server sent', async () => {
  const rogue = makeCA('rogue CA').issue({ cn: 'typha-server', usage: 'server' });
  await withServer(serverTls({ cert: rogue.cert, key: rogue.key }), async (s) => {
    const r = await diagnose(tlsEnv(s.endpoint));
    assert.equal(r.code, 2);
    const c = r.get('tls');
    assert.equal(c.cause, 'untrusted-server');
    assert.equal(c.goError, 'x509: certificate signed by unknown authority');
    assert.ok(c.message.includes(`issued by "CN=rogue CA"`), c.message);
    assert.ok(
      c.message.includes(`TyphaCAFile ${files.caFile}`) && c.message.includes('"CN=felix-ts dev CA"'),
      c.message,
    );
  });
});

test('CN mismatch: expected vs got and the TyphaCN field', async () => {
  await withServer(serverTls(), async (s) => {
    const r = await diagnose(tlsEnv(s.endpoint, { FELIX_TYPHACN: 'calico-typha' }));
    assert.equal(r.code, 2);
    const c = r.get('tls');
    assert.equal(c.cause, 'identity-mismatch');
    assert.equal(c.goError, 'peer certificate does not have required CN');
    assert.match(c.message, /want TyphaCN="calico-typha", got CN "typha-server", URI SANs \["spiffe:/);
    assert.match(c.fix ?? '', /set TyphaCN/);
  });
});

test('URI SAN mismatch: expected vs got and the TyphaURISAN field', async () => {
  await withServer(serverTls(), async (s) => {
    const env = tlsEnv(s.endpoint, { FELIX_TYPHAURISAN: 'spiffe://cluster.local/other' });
    delete env['FELIX_TYPHACN'];
    const r = await diagnose(env);
    const c = r.get('tls');
    assert.equal(r.code, 2);
    assert.equal(c.goError, 'peer certificate does not have required URI SAN');
    assert.match(c.message, /want TyphaURISAN="spiffe:\/\/cluster\.local\/other", got CN "typha-server"/);
  });
});

test('expired server certificate: whose, and since when', async () => {
  const expired = pki.ca.issue({ cn: 'typha-server', usage: 'server', expired: true });
  await withServer(serverTls({ cert: expired.cert, key: expired.key }), async (s) => {
    const r = await diagnose(tlsEnv(s.endpoint));
    const c = r.get('tls');
    assert.equal(r.code, 2);
    assert.equal(c.cause, 'server-cert-expired');
    assert.match(
      c.message,
      /^Typha’s certificate \(CN=typha-server\) expired at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
    );
    assert.match(
      c.goError ?? '',
      /^x509: certificate has expired or is not yet valid: current time \S+Z is after \S+Z$/,
    );
  });
});

test('server certificate without serverAuth', async () => {
  const wrong = pki.ca.issue({ cn: 'typha-server', usage: 'client' });
  await withServer(serverTls({ cert: wrong.cert, key: wrong.key }), async (s) => {
    const r = await diagnose(tlsEnv(s.endpoint));
    assert.equal(r.code, 2);
    assert.equal(r.get('tls').cause, 'server-cert-usage');
    assert.equal(r.get('tls').goError, 'x509: certificate specifies an incompatible key usage');
  });
});

test('protocol mismatch: TLS to a plain-TCP Typha, and to a service that answers in plain text', async () => {
  await withServer({}, async (s) => {
    const r = await diagnose(tlsEnv(s.endpoint));
    assert.equal(r.code, 2);
    const c = r.get('tls');
    assert.equal(c.cause, 'not-tls');
    assert.match(
      c.message,
      /closed the connection on our TLS hello without answering it: it does not speak TLS/,
    );
  });
  const talky: NetServer = createNetServer((sock) =>
    sock.on('data', () => sock.end('HTTP/1.1 400 Bad Request\r\n\r\n')),
  );
  await new Promise<void>((res) => talky.listen(0, '127.0.0.1', () => res()));
  try {
    const r = await diagnose(tlsEnv(`127.0.0.1:${(talky.address() as { port: number }).port}`));
    const c = r.get('tls');
    assert.equal(c.cause, 'not-tls');
    assert.equal(c.goError, 'tls: first record does not look like a TLS handshake');
  } finally {
    await new Promise<void>((res) => talky.close(() => res()));
  }
});

test('TLS version: a TLS 1.1-only server', async () => {
  const old = createTlsServer(
    {
      cert: pki.server.cert,
      key: pki.server.key,
      minVersion: 'TLSv1',
      maxVersion: 'TLSv1.1',
      ciphers: 'DEFAULT@SECLEVEL=0',
    },
    (sock) => sock.end(),
  );
  old.on('tlsClientError', () => undefined);
  await new Promise<void>((res) => old.listen(0, '127.0.0.1', () => res()));
  try {
    const r = await diagnose(tlsEnv(`127.0.0.1:${(old.address() as { port: number }).port}`));
    assert.equal(r.code, 2);
    assert.equal(r.get('tls').cause, 'tls-version');
    assert.match(r.get('tls').message, /requires TLS 1\.2 or 1\.3/);
  } finally {
    await new Promise<void>((res) => old.close(() => res()));
  }
});

test('Typha rejects our client certificate: closed right after the handshake, our CN shown', async () => {
  await withServer(serverTls({ clientCN: 'calico-node' }), async (s) => {
    const r = await diagnose(tlsEnv(s.endpoint));
    assert.equal(r.code, 2);
    assert.equal(r.get('tls').status, 'ok');
    const c = r.get('hello');
    assert.equal(c.cause, 'client-cert-rejected');
    assert.equal(c.goError, 'EOF');
    assert.match(
      c.message,
      /closed the connection right after the TLS handshake, before its ServerHello: it probably rejected our client certificate/,
    );
    assert.ok(
      c.message.includes(`TyphaCertFile ${files.clientCertFile}): CN "typha-client", URI SANs []`),
      c.message,
    );
    assert.equal(r.get('sync').status, 'skipped');
  });
});

test('plain-TCP client to a TLS Typha: closed before the ServerHello, configure TLS', async () => {
  await withServer(serverTls(), async (s) => {
    const r = await diagnose({ FELIX_TYPHAADDR: s.endpoint });
    assert.equal(r.code, 2);
    assert.equal(r.get('config').cause, 'no-tls');
    const c = r.get('hello');
    assert.ok(c.cause === 'closed-before-hello' || c.cause === 'expects-tls', c.cause);
    assert.match(c.fix ?? '', /set TyphaCAFile, TyphaCertFile, TyphaKeyFile and TyphaCN/);
  });
});

test('plain-TCP Typha: a warning for the missing TLS only, exit 1', async () => {
  await withServer({}, async (s) => {
    const r = await diagnose({ FELIX_TYPHAADDR: s.endpoint });
    assert.equal(r.code, 1);
    assert.equal(r.get('config').status, 'warning');
    assert.equal(r.get('sync').status, 'ok');
  });
});

test('no KV batch after the hello within the step timeout', async () => {
  await withServer({ ...serverTls(), initialStatus: 'wait-for-ready' }, async (s) => {
    const r = await diagnose(tlsEnv(s.endpoint), 1500);
    assert.equal(r.code, 2);
    assert.equal(r.get('hello').status, 'ok');
    assert.equal(r.get('sync').cause, 'no-batch');
    assert.match(r.get('sync').message, /no KV batch within 1500 ms of the ServerHello/);
  });
});

test('garbage CA file: says so (not "self-signed certificate in chain"), TLS skipped', async () => {
  const ca = join(dir, 'garbage-ca.crt');
  writeFileSync(ca, 'this is not a certificate\n');
  await withServer(serverTls(), async (s) => {
    const r = await diagnose(tlsEnv(s.endpoint, { FELIX_TYPHACAFILE: ca }));
    assert.equal(r.code, 2);
    const c = r.get('ca-file');
    assert.equal(c.cause, 'ca-file');
    assert.equal(c.goError, 'failed to add CA data to pool');
    assert.equal(c.message, `TyphaCAFile ${ca} holds no PEM certificate: it cannot verify Typha`);
    assert.equal(r.get('tcp').status, 'ok');
    assert.equal(r.get('tls').status, 'skipped');
  });
});

test('key does not match the certificate: both files named', async () => {
  const other = writePair('other', pki.ca.issue({ cn: 'typha-client', usage: 'client' }));
  const r = await diagnose(tlsEnv('127.0.0.1:1', { FELIX_TYPHAKEYFILE: other.key }));
  assert.equal(r.code, 2);
  const c = r.get('key-pair');
  assert.equal(c.cause, 'key-mismatch');
  assert.equal(c.goError, 'tls: private key does not match public key');
  assert.ok(
    c.message.includes(`TyphaKeyFile ${other.key} is not the key of TyphaCertFile ${files.clientCertFile}`),
    c.message,
  );
});

test('missing certificate file and garbage key file', async () => {
  const key = join(dir, 'garbage.key');
  writeFileSync(key, 'nope', { mode: 0o600 });
  const missing = join(dir, 'missing.crt');
  const r = await diagnose(tlsEnv('127.0.0.1:1', { FELIX_TYPHACERTFILE: missing, FELIX_TYPHAKEYFILE: key }));
  assert.equal(r.code, 2);
  assert.equal(r.get('cert-file').goError, `open ${missing}: no such file or directory`);
  assert.equal(r.get('key-file').goError, 'tls: failed to find any PEM data in key input');
  assert.equal(r.get('key-pair').status, 'skipped');
});

test('expired client certificate: an error locally, and Typha closes on it', async () => {
  const exp = writePair(
    'expired-client',
    pki.ca.issue({ cn: 'typha-client', usage: 'client', expired: true }),
  );
  await withServer(serverTls(), async (s) => {
    const r = await diagnose(
      tlsEnv(s.endpoint, { FELIX_TYPHACERTFILE: exp.cert, FELIX_TYPHAKEYFILE: exp.key }),
    );
    assert.equal(r.code, 2);
    assert.equal(r.get('cert-file').cause, 'client-cert-expired');
    assert.match(
      r.get('cert-file').message,
      /our client certificate \(TyphaCertFile .*\) expired at \S+Z \(\d+ days? ago\)/,
    );
    assert.match(r.get('hello').message, /it probably rejected our client certificate; .*it EXPIRED at/);
  });
});

test('client certificate not valid yet (clock skew)', async () => {
  const nyv = writePair('future-client', notYetValidClient());
  const r = await diagnose(
    tlsEnv('127.0.0.1:1', { FELIX_TYPHACERTFILE: nyv.cert, FELIX_TYPHAKEYFILE: nyv.key }),
  );
  assert.equal(r.code, 2);
  assert.equal(r.get('cert-file').cause, 'client-cert-not-yet-valid');
  assert.match(r.get('cert-file').message, /is not valid yet: valid from \S+Z \(is the clock right\?/);
});

test('client certificate expiring within 30 days: a warning, exit 1', async () => {
  const soon = writePair('soon-client', pki.ca.issue({ cn: 'typha-client', usage: 'client', days: 10 }));
  await withServer(serverTls(), async (s) => {
    const r = await diagnose(
      tlsEnv(s.endpoint, { FELIX_TYPHACERTFILE: soon.cert, FELIX_TYPHAKEYFILE: soon.key }),
    );
    assert.equal(r.code, 1, JSON.stringify(r.checks, null, 1));
    assert.equal(r.get('cert-file').cause, 'client-cert-expiring');
    assert.match(r.get('cert-file').message, /expires in (9|10) days, at /);
    assert.equal(r.get('sync').status, 'ok');
  });
});

test('client certificate without clientAuth: an error before Typha refuses it', async () => {
  const srv = writePair('server-as-client', pki.server);
  const r = await diagnose(
    tlsEnv('127.0.0.1:1', { FELIX_TYPHACERTFILE: srv.cert, FELIX_TYPHAKEYFILE: srv.key }),
  );
  assert.equal(r.code, 2);
  assert.equal(r.get('cert-file').cause, 'client-cert-usage');
  assert.match(r.get('cert-file').message, /lacks clientAuth; Typha will refuse it/);
});

test('client certificate from another CA than TyphaCAFile: a warning', async () => {
  const foreign = writePair(
    'foreign-client',
    makeCA('other CA').issue({ cn: 'typha-client', usage: 'client' }),
  );
  const r = await diagnose(
    tlsEnv('127.0.0.1:1', { FELIX_TYPHACERTFILE: foreign.cert, FELIX_TYPHAKEYFILE: foreign.key }),
  );
  assert.equal(r.get('cert-file').status, 'warning');
  assert.equal(r.get('cert-file').cause, 'client-cert-foreign-ca');
  assert.match(r.get('cert-file').message, /not issued by a CA in TyphaCAFile \(issuer CN=other CA\)/);
});

test('key file modes: readable by others is a warning (exit 1), writable by others an error', async () => {
  const loose = join(dir, 'loose.key');
  writeFileSync(loose, pki.client.key);
  chmodSync(loose, 0o644);
  await withServer(serverTls(), async (s) => {
    const r = await diagnose(tlsEnv(s.endpoint, { FELIX_TYPHAKEYFILE: loose }));
    assert.equal(r.code, 1);
    assert.equal(r.get('key-file').cause, 'key-file-readable');
    assert.equal(r.get('key-file').fix, `chmod 0600 ${loose}`);
    chmodSync(loose, 0o666);
    const w = await diagnose(tlsEnv(s.endpoint, { FELIX_TYPHAKEYFILE: loose }));
    assert.equal(w.code, 2);
    assert.match(w.get('key-file').message, /is writable by others \(mode 0666\); refusing to use it/);
    assert.equal(w.get('tls').status, 'skipped');
  });
});

test('config: Typha not configured, and TLS half configured', async () => {
  const none = await diagnose({});
  assert.equal(none.code, 2);
  assert.equal(none.get('config').cause, 'ERR_TYPHA_CONFIG');
  assert.match(none.get('config').message, /Typha is not configured/);
  const half = await diagnose({ FELIX_TYPHAADDR: '127.0.0.1:1', FELIX_TYPHACAFILE: files.caFile });
  assert.equal(half.code, 2);
  assert.equal(half.get('config').cause, 'config');
  assert.match(half.get('config').message, /TyphaKeyFile: required when any Typha TLS option is set/);
});

test('discovery: not in a cluster is an error naming the missing variables', async () => {
  const r = await diagnose({ FELIX_TYPHAK8SSERVICENAME: 'calico-typha' });
  assert.equal(r.code, 2);
  assert.equal(r.get('discovery').cause, 'ERR_TYPHA_DISCOVERY');
  assert.match(r.get('discovery').message, /KUBERNETES_SERVICE_HOST/);
});

test('the command line: --help documents the exit codes, a bad --timeout is a usage error', async () => {
  let text = '';
  const out = { write: (s: string) => ((text += s), true) };
  const io = { out: out as never, err: out as never, env: { FELIX_CONFIGFILE: '/nonexistent/felix.cfg' } };
  assert.equal(await main(['diagnose', '--help'], io), 0);
  assert.match(text, /Exit codes: 0 every check ok, 1 the worst is a warning, 2 at least one error/);
  text = '';
  assert.equal(await main(['diagnose', '--timeout', '0'], io), 2);
  assert.match(text, /--timeout must be more than 0/);
});

test('Typha rejects our client certificate during a TLS 1.2 handshake: named from the TLS side', async () => {
  const other = makeCA('other client CA');
  const srv = createTlsServer(
    {
      cert: pki.server.cert,
      key: pki.server.key,
      ca: other.cert,
      requestCert: true,
      rejectUnauthorized: true,
      maxVersion: 'TLSv1.2',
    },
    (sock) => sock.end(),
  );
  srv.on('tlsClientError', () => undefined);
  await new Promise<void>((res) => srv.listen(0, '127.0.0.1', () => res()));
  try {
    const r = await diagnose(tlsEnv(`127.0.0.1:${(srv.address() as { port: number }).port}`));
    assert.equal(r.code, 2);
    const c = r.get('tls');
    assert.equal(c.cause, 'client-cert-rejected');
    assert.match(
      c.message,
      /closed the connection during the TLS handshake: it probably rejected our client certificate; our certificate/,
    );
  } finally {
    await new Promise<void>((res) => srv.close(() => res()));
  }
});

test('discovery: the EndpointSlices of the Typha service, then each endpoint probed', async () => {
  const kubeCA = makeCA('kube CA');
  const apiCert = kubeCA.issue({ cn: 'kube-apiserver', usage: 'server', ipSANs: ['127.0.0.1'] });
  const caFile = join(dir, 'kube-ca.crt');
  const tokenFile = join(dir, 'token');
  writeFileSync(caFile, kubeCA.cert);
  writeFileSync(tokenFile, 'tok\n');
  await withServer(serverTls(), async (typha) => {
    const { port } = typha.address();
    const slices = {
      items: [
        {
          ports: [{ name: 'calico-typha', port, protocol: 'TCP' }],
          endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true }, nodeName: 'node-1' }],
        },
      ],
    };
    const api = createHttpsServer({ cert: apiCert.cert, key: apiCert.key }, (req, res) => {
      const ok =
        req.headers.authorization === 'Bearer tok' &&
        (req.url ?? '').includes('/namespaces/kube-system/endpointslices');
      res
        .writeHead(ok ? 200 : 404, { 'content-type': 'application/json' })
        .end(JSON.stringify(ok ? slices : {}));
    });
    await new Promise<void>((res) => api.listen(0, '127.0.0.1', () => res()));
    try {
      const apiPort = (api.address() as { port: number }).port;
      const env = tlsEnv('', { FELIX_TYPHAK8SSERVICENAME: 'calico-typha' });
      delete env['FELIX_TYPHAADDR'];
      const r = await diagnose(env, 3000, {
        kubernetes: {
          env: { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(apiPort) },
          tokenFile,
          caFile,
        },
      });
      assert.equal(r.code, 0, JSON.stringify(r.checks, null, 1));
      assert.match(r.get('config').message, /discovery of Service kube-system\/calico-typha/);
      assert.equal(
        r.get('discovery').message,
        `EndpointSlices of kube-system/calico-typha: 1 ready (1 on this node): 127.0.0.1:${port}`,
      );
      assert.equal(r.get('sync').endpoint, `127.0.0.1:${port}`);
    } finally {
      await new Promise<void>((res) => api.close(() => res()));
    }
  });
});
