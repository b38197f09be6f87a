// mTLS between the syncer client and the TS Typha server, and every refusal of typha/pkg/syncclient/sync_client.go.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { makeCA, makeDevPki, writeDevPki, type DevPki, type PkiFiles } from '../../tools/pki/index.js';
import { SyncerClient, type SyncerClientOptions } from '../../syncer-client/client/index.js';
import { TyphaServer, type TyphaServerTlsOptions } from '../../tools/typha-server/index.js';
import { FAST_FAILOVER, Recorder } from './syncer-harness.js';

const SPIFFE_SERVER = 'spiffe://cluster.local/ns/calico-system/sa/calico-typha';
const SPIFFE_CLIENT = 'spiffe://cluster.local/ns/calico-system/sa/calico-node';
let dir: string;
let pki: DevPki;
let files: PkiFiles;

before(() => {
  dir = mkdtempSync(join(tmpdir(), `felix-ts-mtls-${process.pid}-`));
  pki = makeDevPki({ serverURISAN: SPIFFE_SERVER, clientURISAN: SPIFFE_CLIENT });
  files = writeDevPki(pki, dir);
});
after(() => rmSync(dir, { recursive: true, force: true }));

function serverTls(over: Partial<TyphaServerTlsOptions> = {}): TyphaServerTlsOptions {
  return { ca: pki.ca.cert, cert: pki.server.cert, key: pki.server.key, clientCN: 'typha-client', ...over };
}

function clientOpts(endpoint: string, over: Partial<SyncerClientOptions> = {}): SyncerClientOptions {
  return {
    felixHostname: 'node-1',
    typhaAddr: endpoint,
    typhaCAFile: files.caFile,
    typhaCertFile: files.clientCertFile,
    typhaKeyFile: files.clientKeyFile,
    typhaCN: 'typha-server',
    failover: { ...FAST_FAILOVER, maxRounds: 1 },
    ...over,
  };
}

async function withServer(tls: TyphaServerTlsOptions, fn: (s: TyphaServer) => Promise<void>): Promise<void> {
  const server = new TyphaServer({ tls });
  await server.start();
  try {
    await fn(server);
  } finally {
    await server.stop();
  }
}

/** Runs a client that must be refused: returns the disconnect reasons; asserts it never connected. */
async function expectRefused(opts: SyncerClientOptions): Promise<string[]> {
  const client = new SyncerClient(opts);
  const rec = new Recorder(client);
  client.start();
  const end = await client.finished;
  assert.equal(end?.code, 'ERR_TYPHA_DIAL', 'gives up after the single round');
  assert.equal(rec.count('connected'), 0);
  assert.equal(rec.count('connecting'), 6, "Felix's budget: 2 × max(3, 1) attempts");
  return rec.events.flatMap((e) => (e.kind === 'disconnected' ? [e.reason] : []));
}

test('mTLS happy path: CN check both ways, compressed snapshot, deltas', async () => {
  await withServer(serverTls(), async (server) => {
    server.put('/calico/v1/config/LogSeverityScreen', 'Info');
    server.put('/calico/v1/Ready', 'true');
    const client = new SyncerClient(clientOpts(server.endpoint));
    const rec = new Recorder(client);
    client.start();
    try {
      await rec.waitInSync();
      assert.deepEqual(Object.fromEntries(rec.state), {
        '/calico/v1/config/LogSeverityScreen': 'Info',
        '/calico/v1/Ready': 'true',
      });
      assert.equal(server.stats.hellosReceived, 1);
      assert.equal(server.stats.acksReceived, 2, 'both decoder restarts acknowledged');
      server.put('/calico/v1/config/LogSeverityScreen', 'Debug');
      await rec.waitFor(() => rec.state.get('/calico/v1/config/LogSeverityScreen') === 'Debug', 'delta');
      assert.deepEqual(rec.violations, []);
      const connected = rec.events.find((e) => e.kind === 'connected');
      assert.equal(connected?.kind === 'connected' && connected.endpoint, server.endpoint);
    } finally {
      await client.stop();
    }
  });
});

test('URI SAN identities: client checks only TyphaURISAN, server only ClientURISAN', async () => {
  await withServer(serverTls({ clientCN: undefined, clientURISAN: SPIFFE_CLIENT }), async (server) => {
    server.put('/k', 'v');
    const client = new SyncerClient(
      clientOpts(server.endpoint, { typhaCN: undefined, typhaURISAN: SPIFFE_SERVER }),
    );
    const rec = new Recorder(client);
    client.start();
    try {
      await rec.waitInSync();
      assert.equal(rec.state.get('/k'), 'v');
    } finally {
      await client.stop();
    }
  });
});

test('CN and URI SAN both set: either match passes', async () => {
  await withServer(serverTls(), async (server) => {
    const client = new SyncerClient(
      clientOpts(server.endpoint, { typhaCN: 'not-typha', typhaURISAN: SPIFFE_SERVER }),
    );
    const rec = new Recorder(client);
    client.start();
    try {
      await rec.waitInSync();
    } finally {
      await client.stop();
    }
  });
});

test('refused: wrong server CN', async () => {
  await withServer(serverTls(), async (server) => {
    const reasons = await expectRefused(clientOpts(server.endpoint, { typhaCN: 'calico-typha' }));
    assert.ok(
      reasons.every((r) => r.startsWith('ERR_TYPHA_TLS_IDENTITY') && r.includes('calico-typha')),
      reasons.join('\n'),
    );
    assert.equal(server.stats.hellosReceived, 0);
  });
});

test('refused: wrong URI SAN', async () => {
  await withServer(serverTls(), async (server) => {
    const reasons = await expectRefused(
      clientOpts(server.endpoint, { typhaCN: undefined, typhaURISAN: 'spiffe://cluster.local/other' }),
    );
    assert.ok(
      reasons.every((r) => r.startsWith('ERR_TYPHA_TLS_IDENTITY')),
      reasons.join('\n'),
    );
  });
});

test('refused: server certificate from an untrusted CA', async () => {
  const rogue = makeCA('rogue CA');
  const rogueServer = rogue.issue({ cn: 'typha-server', usage: 'server' });
  await withServer(serverTls({ cert: rogueServer.cert, key: rogueServer.key }), async (server) => {
    const reasons = await expectRefused(clientOpts(server.endpoint));
    assert.ok(
      reasons.every((r) => r.startsWith('ERR_TYPHA_DIAL')),
      reasons.join('\n'),
    );
    assert.equal(server.stats.hellosReceived, 0);
  });
});

test('refused: a client-usage certificate presented as the server (serverAuth EKU required)', async () => {
  const wrongUsage = pki.ca.issue({ cn: 'typha-server', usage: 'client' });
  await withServer(serverTls({ cert: wrongUsage.cert, key: wrongUsage.key }), async (server) => {
    const reasons = await expectRefused(clientOpts(server.endpoint));
    assert.ok(
      reasons.every((r) => r.startsWith('ERR_TYPHA_DIAL')),
      reasons.join('\n'),
    );
  });
});

test('accepted: a Typha server certificate with no EKU extension (Go treats a missing EKU as any usage)', async () => {
  const noEku = pki.ca.issue({ cn: 'typha-server', usage: 'none' });
  await withServer(serverTls({ cert: noEku.cert, key: noEku.key }), async (server) => {
    const client = new SyncerClient(clientOpts(server.endpoint));
    const rec = new Recorder(client);
    client.start();
    try {
      await rec.waitInSync();
      assert.equal(rec.count('connected'), 1);
    } finally {
      await client.stop();
    }
  });
});

test('client key modes: readable by others warns once naming the file; writable by others is refused', async () => {
  const keyCopy = join(dir, 'loose.key');
  writeFileSync(keyCopy, pki.client.key, { mode: 0o644 });
  chmodSync(keyCopy, 0o644);
  await withServer(serverTls(), async (server) => {
    const warnings: string[] = [];
    const logger = {
      debug() {},
      info() {},
      error() {},
      warn(msg: string, fields?: object) {
        warnings.push(`${msg} ${JSON.stringify(fields)}`);
      },
    };
    const client = new SyncerClient(
      clientOpts(server.endpoint, { typhaKeyFile: keyCopy, logger, failover: { ...FAST_FAILOVER } }),
    );
    const rec = new Recorder(client);
    client.start();
    try {
      await rec.waitInSync();
      server.dropConnections();
      await rec.waitFor(() => rec.count('connected') >= 2, 'reconnect');
    } finally {
      await client.stop();
    }
    const modeWarnings = warnings.filter((w) => w.includes('Insecure permissions on the Typha client key'));
    assert.equal(modeWarnings.length, 1, warnings.join('\n'));
    assert.match(modeWarnings[0]!, new RegExp(`${keyCopy}.*mode 0644`));

    chmodSync(keyCopy, 0o666);
    const reasons = await expectRefused(clientOpts(server.endpoint, { typhaKeyFile: keyCopy }));
    assert.ok(
      reasons.length > 0 &&
        reasons.every((r) => /TyphaKeyFile .* is writable by others \(mode 0666\)/.test(r)),
      reasons.join('\n'),
    );
  });
});

test('refused by the server: client without a certificate', async () => {
  await withServer(serverTls(), async (server) => {
    const { host, port } = server.address();
    const outcome = await new Promise<string>((resolve) => {
      const s = tlsConnect({ host, port, ca: pki.ca.cert, checkServerIdentity: () => undefined });
      let got = 0;
      s.on('data', (d: Buffer) => (got += d.length));
      s.on('error', (e) => resolve(`error:${e.message}`));
      s.on('close', () => resolve(`closed after ${got} bytes`));
      // With TLS 1.3 the client finishes its handshake before the server's verdict: send a byte to provoke it.
      s.on('secureConnect', () => s.write(Buffer.from([0])));
    });
    assert.match(outcome, /^(error:|closed after 0 bytes)/);
    assert.equal(server.stats.hellosReceived, 0);
    assert.ok(server.stats.tlsRejected >= 1, 'server counted the refused handshake');
  });
});

test('refused by the server: client certificate with the wrong CN or from another CA', async () => {
  const other = pki.ca.issue({ cn: 'calico-node', usage: 'client' });
  const rogue = makeCA('rogue client CA').issue({ cn: 'typha-client', usage: 'client' });
  for (const [name, cert] of [
    ['wrong CN', other],
    ['untrusted CA', rogue],
  ] as const) {
    writeFileSync(join(dir, 'other.crt'), cert.cert);
    writeFileSync(join(dir, 'other.key'), cert.key);
    await withServer(serverTls(), async (server) => {
      const tlsErrors: string[] = [];
      server.on('tls-error', (r) => tlsErrors.push(r));
      await expectRefused(
        clientOpts(server.endpoint, {
          typhaCertFile: join(dir, 'other.crt'),
          typhaKeyFile: join(dir, 'other.key'),
        }),
      );
      assert.equal(server.stats.hellosReceived, 0, name);
      assert.ok(tlsErrors.length >= 1, `${name}: server logged the refusal`);
    });
  }
});

// OpenSSL 3 refuses TLS 1.1 at its default security level whatever the peer does, so both the
// legacy peers below lower it (SECLEVEL=0). A control handshake proves that the legacy pair really
// can speak TLS 1.1 here; only then does a refusal show that felix-ts's side is what refuses.
const LEGACY_TLS = { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' } as const;

function legacyClientHandshake(port: number): Promise<{ err?: Error; protocol?: string | null }> {
  return new Promise((resolve) => {
    const s = tlsConnect({
      host: '127.0.0.1',
      port,
      ca: pki.ca.cert,
      cert: pki.client.cert,
      key: pki.client.key,
      ...LEGACY_TLS,
      checkServerIdentity: () => undefined,
    });
    s.on('error', (err) => resolve({ err }));
    s.on('secureConnect', () => {
      const protocol = s.getProtocol();
      s.destroy();
      resolve({ protocol });
    });
  });
}

test('refused: TLS 1.1 in either direction', async () => {
  const { createServer } = await import('node:tls');
  const old = createServer({ cert: pki.server.cert, key: pki.server.key, ...LEGACY_TLS }, (s) => s.end());
  old.on('tlsClientError', () => undefined);
  await new Promise<void>((r) => old.listen(0, '127.0.0.1', () => r()));
  try {
    const oldPort = (old.address() as { port: number }).port;
    // Control: the legacy client and the legacy server do complete a TLS 1.1 handshake.
    const control = await legacyClientHandshake(oldPort);
    assert.equal(control.err, undefined, `control handshake failed: ${control.err?.message}`);
    assert.equal(control.protocol, 'TLSv1.1');

    // The same TLS 1.1 client against our Typha server: refused on the protocol version.
    await withServer(serverTls(), async (server) => {
      const res = await legacyClientHandshake(server.address().port);
      assert.ok(res.err, 'a TLS 1.1 client must not complete a handshake with the server');
      assert.match(res.err.message, /protocol version|unsupported protocol/i);
      assert.equal(server.stats.hellosReceived, 0);
    });

    // Our client (min TLS 1.2) against the TLS 1.1-only server: refused on the protocol version.
    const reasons = await expectRefused(clientOpts(`127.0.0.1:${oldPort}`));
    assert.ok(reasons.length > 0);
    assert.ok(
      reasons.every(
        (r) => r.startsWith('ERR_TYPHA_DIAL') && /protocol version|unsupported protocol/i.test(r),
      ),
      reasons.join('\n'),
    );
  } finally {
    await new Promise<void>((r) => old.close(() => r()));
  }
});

test('a plain-TCP client cannot talk to a TLS Typha, and a half-configured TLS client is a config error', async () => {
  await withServer(serverTls(), async (server) => {
    const client = new SyncerClient({
      felixHostname: 'node-1',
      typhaAddr: server.endpoint,
      typhaReadTimeoutMs: 2000,
      failover: { ...FAST_FAILOVER, maxRounds: 1 },
    });
    const rec = new Recorder(client);
    client.start();
    const end = await client.finished;
    assert.equal(end?.code, 'ERR_TYPHA_DIAL');
    assert.equal(rec.count('batch'), 0);
    assert.equal(server.stats.hellosReceived, 0);
  });
  assert.throws(
    () =>
      new SyncerClient({
        felixHostname: 'n',
        typhaAddr: '127.0.0.1:1',
        typhaCAFile: files.caFile,
        typhaCN: 'typha-server',
      }),
    (e: unknown) => (e as { code?: string }).code === 'ERR_TYPHA_CONFIG',
  );
});

test('the dial timeout covers the TLS handshake: a silent server is abandoned', async () => {
  const { createServer } = await import('node:net');
  const held: import('node:net').Socket[] = [];
  const silent = createServer((s) => held.push(s));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
  try {
    const port = (silent.address() as { port: number }).port;
    const reasons = await expectRefused(clientOpts(`127.0.0.1:${port}`, { typhaDialTimeoutMs: 200 }));
    assert.ok(
      reasons.every((r) => r.startsWith('ERR_TYPHA_DIAL') && r.includes('timed out')),
      reasons.join('\n'),
    );
  } finally {
    for (const s of held) s.destroy();
    await new Promise<void>((r) => silent.close(() => r()));
  }
});

test('the key pair and CA are re-read on each connection attempt (rotated certs apply on reconnect)', async () => {
  const rotDir = mkdtempSync(join(tmpdir(), `felix-ts-rot-${process.pid}-`));
  try {
    const first = pki.ca.issue({ cn: 'typha-client', usage: 'client' });
    const second = pki.ca.issue({ cn: 'typha-client', usage: 'client' });
    const certFile = join(rotDir, 'c.crt');
    const keyFile = join(rotDir, 'c.key');
    writeFileSync(certFile, first.cert);
    writeFileSync(keyFile, first.key);
    await withServer(serverTls(), async (server) => {
      const serials: string[] = [];
      server.on('connection', (conn) => {
        const peer = (conn.socket as import('node:tls').TLSSocket).getPeerCertificate();
        serials.push(peer.serialNumber);
      });
      const client = new SyncerClient(
        clientOpts(server.endpoint, {
          typhaCertFile: certFile,
          typhaKeyFile: keyFile,
          failover: FAST_FAILOVER,
        }),
      );
      const rec = new Recorder(client);
      client.start();
      try {
        await rec.waitInSync();
        writeFileSync(certFile, second.cert);
        writeFileSync(keyFile, second.key);
        server.dropConnections();
        await rec.waitFor(() => rec.count('connected') === 2 && rec.status === 'in-sync', 'reconnect');
        assert.equal(serials.length, 2);
        assert.notEqual(serials[0], serials[1], 'second connection presented the rotated certificate');
      } finally {
        await client.stop();
      }
    });
  } finally {
    rmSync(rotDir, { recursive: true, force: true });
  }
});
