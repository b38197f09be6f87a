// The agent's own Typha connection errors (issue 18 item 2): Felix's log line with Go's error text
// and the diagnosis in extra fields, once per attempt; the `disconnected` reason (the readiness
// detail) names the cause as `felix-ts diagnose` does; broken local files are named and, as in
// Felix, not retried for ever.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeDevPki, writeDevPki, type DevPki, type PkiFiles } from '../../tools/pki/index.js';
import { SyncerClient, type SyncerClientOptions } from '../../syncer-client/client/index.js';
import { TyphaServer } from '../../tools/typha-server/index.js';
import { deadPort, FAST_FAILOVER, Recorder } from './syncer-harness.js';

let dir: string;
let pki: DevPki;
let files: PkiFiles;

before(() => {
  dir = mkdtempSync(join(tmpdir(), `felix-ts-syncdiag-${process.pid}-`));
  pki = makeDevPki();
  files = writeDevPki(pki, dir);
});
after(() => rmSync(dir, { recursive: true, force: true }));

interface Line {
  readonly level: string;
  readonly msg: string;
  readonly fields: Record<string, unknown>;
}

function capture(): { lines: Line[]; logger: NonNullable<SyncerClientOptions['logger']> } {
  const lines: Line[] = [];
  const at =
    (level: string) =>
    (msg: string, fields?: object): void => {
      lines.push({ level, msg, fields: (fields ?? {}) as Record<string, unknown> });
    };
  return { lines, logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } };
}

function opts(addr: string, over: Partial<SyncerClientOptions> = {}): SyncerClientOptions {
  return {
    felixHostname: 'node-1',
    typhaAddr: addr,
    typhaCAFile: files.caFile,
    typhaCertFile: files.clientCertFile,
    typhaKeyFile: files.clientKeyFile,
    typhaCN: 'typha-server',
    failover: { ...FAST_FAILOVER, maxRounds: 1 },
    ...over,
  };
}

/** Runs one round against `addr`; returns the log lines, the disconnect reasons and how the client ended. */
async function oneRound(addr: string, over: Partial<SyncerClientOptions> = {}) {
  const { lines, logger } = capture();
  const client = new SyncerClient(opts(addr, { logger, ...over }));
  const rec = new Recorder(client);
  client.start();
  const end = await client.finished;
  const reasons = rec.events.flatMap((e) => (e.kind === 'disconnected' ? [e.reason] : []));
  const failed = lines.filter((l) => l.msg.startsWith(`Failed to connect to typha endpoint ${addr}.`));
  return { lines, reasons, end, failed, attempts: rec.count('connecting') };
}

test("refused: Felix's line and Go's error text, the cause in a field, one line per attempt", async () => {
  const addr = `127.0.0.1:${await deadPort()}`;
  const r = await oneRound(addr);
  assert.equal(r.attempts, 6);
  assert.equal(r.failed.length, r.attempts, 'exactly one line per attempt');
  for (const l of r.failed) {
    assert.equal(l.msg, `Failed to connect to typha endpoint ${addr}.  Will try another if available...`);
    assert.equal(l.level, 'warn');
    assert.equal(l.fields['error'], `dial tcp ${addr}: connect: connection refused`);
    assert.equal(l.fields['cause'], `nothing is listening on ${addr} (connection refused)`);
    assert.match(String(l.fields['fix']), /is Typha running\?/);
  }
  // Nothing else names the address per attempt (no second line for the same failure).
  const others = r.lines.filter(
    (l) =>
      l.level !== 'debug' &&
      JSON.stringify(l).includes(addr) &&
      !r.failed.includes(l) &&
      !l.msg.startsWith('Connecting to typha endpoint'),
  );
  assert.deepEqual(others, []);
  assert.ok(
    r.reasons.every((x) => x === `ERR_TYPHA_DIAL: nothing is listening on ${addr} (connection refused)`),
  );
});

test('closed before the server hello: named as a refused client certificate, not a Typha restart', async () => {
  const server = new TyphaServer({
    tls: { ca: pki.ca.cert, cert: pki.server.cert, key: pki.server.key, clientCN: 'calico-node' },
  });
  await server.start();
  try {
    const r = await oneRound(server.endpoint);
    assert.ok(r.failed.length > 0);
    for (const l of r.failed) {
      assert.equal(l.fields['error'], 'EOF');
      assert.match(
        String(l.fields['cause']),
        /before its ServerHello: it probably rejected our client certificate; our certificate \(TyphaCertFile .*\): CN "typha-client"/,
      );
    }
    assert.ok(
      r.reasons.every((x) => x.includes('probably rejected our client certificate')),
      r.reasons.join('\n'),
    );
    assert.ok(r.lines.every((l) => !l.msg.includes('restarting connection')));
  } finally {
    await server.stop();
  }
});

test("untrusted server CA: Go's x509 wording in error=, our CA file and the server's issuer in cause=", async () => {
  const other = makeDevPki({ caCN: 'rogue CA' });
  const server = new TyphaServer({
    tls: { ca: pki.ca.cert, cert: other.server.cert, key: other.server.key, clientCN: 'typha-client' },
  });
  await server.start();
  try {
    const r = await oneRound(server.endpoint);
    for (const l of r.failed) {
      assert.equal(l.fields['error'], 'x509: certificate signed by unknown authority');
      assert.match(
        String(l.fields['cause']),
        new RegExp(`issued by "CN=rogue CA", which no CA in TyphaCAFile ${files.caFile} signed`),
      );
    }
  } finally {
    await server.stop();
  }
});

test('garbage CA file: says so, not "self-signed certificate in certificate chain"', async () => {
  const ca = join(dir, 'garbage-ca.crt');
  writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nZ2FyYmFnZQ==\n-----END CERTIFICATE-----\n');
  const r = await oneRound(`127.0.0.1:${await deadPort()}`, { typhaCAFile: ca });
  assert.ok(r.failed.length > 0);
  for (const l of r.failed) {
    assert.equal(l.fields['error'], 'failed to add CA data to pool');
    assert.equal(
      l.fields['cause'],
      `TyphaCAFile ${ca} holds no PEM certificate that parses: it cannot verify Typha`,
    );
  }
  assert.ok(r.reasons.every((x) => !/self.signed/i.test(x)));
});

test('key/cert mismatch: both files named; retried within the window, then given up as Felix does', async () => {
  const other = pki.ca.issue({ cn: 'typha-client', usage: 'client' });
  const key = join(dir, 'other.key');
  writeFileSync(key, other.key, { mode: 0o600 });
  const addr = `127.0.0.1:${await deadPort()}`;
  // Within Felix's 30 s window the attempts go on (the files are re-read each time).
  const within = await oneRound(addr, { typhaKeyFile: key });
  assert.equal(within.end?.code, 'ERR_TYPHA_DIAL', 'the round ran to its budget');
  assert.equal(within.failed.length, 6);
  for (const l of within.failed) {
    assert.equal(l.fields['error'], 'tls: private key does not match public key');
    assert.ok(
      String(l.fields['cause']).includes(
        `TyphaKeyFile ${key} is not the key of TyphaCertFile ${files.clientCertFile}`,
      ),
    );
  }
  // Past the window the client gives up with the cause (the daemon then exits 1).
  const past = await oneRound(addr, {
    typhaKeyFile: key,
    failover: { ...FAST_FAILOVER, localErrorGiveUpMs: 0 },
  });
  assert.equal(past.end?.code, 'ERR_TYPHA_CONFIG');
  assert.match(past.end?.message ?? '', /^giving up: TyphaKeyFile .* is not the key of TyphaCertFile/);
  const gaveUp = past.lines.filter((l) => l.msg === 'Failed to connect to Typha, giving up after timeout');
  assert.equal(gaveUp.length, 1);
  assert.equal(gaveUp[0]!.level, 'error');
  assert.equal(gaveUp[0]!.fields['error'], 'tls: private key does not match public key');
  assert.equal(past.failed.length, 1, 'one failed attempt, then the give-up');
});
