// The pure classification of Typha connection failures (syncer-client/client/diagnosis.ts): Go's
// error text for each OpenSSL / errno code, and the cases the integration tests cannot provoke
// on loopback (DNS failures, alerts from a Go Typha, a CA expired while the leaf is fine).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PeerCertificate } from 'node:tls';
import {
  diagnoseBeforeHello,
  diagnoseSocketError,
  diagnoseTimeout,
  diagnoseVerifyFailure,
  formatDN,
  goTime,
  type DialContext,
  type TlsContext,
} from '../../../../syncer-client/client/index.js';

const NOW = new Date('2026-12-03T12:00:00.123Z');
const TLS: TlsContext = {
  caFile: '/etc/felix-ts/ca.crt',
  certFile: '/etc/felix-ts/tls.crt',
  keyFile: '/etc/felix-ts/tls.key',
  cn: 'typha-server',
  uriSAN: undefined,
  caSubjects: ['CN=cluster CA'],
  ours: {
    cn: 'typha-client',
    uris: [],
    notBefore: new Date('2025-01-01T00:00:00Z'),
    notAfter: new Date('2026-12-01T00:00:00Z'),
  },
};
const ctx = (over: Partial<DialContext> = {}): DialContext => ({
  address: '10.0.2.193:5473',
  tls: TLS,
  tcpConnected: false,
  serverSpokeTls: false,
  timeoutMs: 10_000,
  now: NOW,
  ...over,
});
const errno = (code: string): Error => Object.assign(new Error(code), { code });

test("Go's time format and DNs", () => {
  assert.equal(goTime(NOW), '2026-12-03T12:00:00Z');
  assert.equal(formatDN({ O: 'tigera', CN: 'typha' }), 'O=tigera, CN=typha');
  assert.equal(formatDN(undefined), '(none)');
});

test('TCP outcomes: refused, timeout, unreachable, DNS each with their Go text', () => {
  const cases: Array<[string, string, string]> = [
    ['ECONNREFUSED', 'refused', 'dial tcp 10.0.2.193:5473: connect: connection refused'],
    ['EHOSTUNREACH', 'unreachable', 'dial tcp 10.0.2.193:5473: connect: no route to host'],
    ['ENETUNREACH', 'unreachable', 'dial tcp 10.0.2.193:5473: connect: network is unreachable'],
  ];
  for (const [code, cause, goError] of cases) {
    const d = diagnoseSocketError(errno(code), ctx());
    assert.equal(d.cause, cause, code);
    assert.equal(d.goError, goError, code);
    assert.equal(d.step, 'tcp');
  }
  const dns = diagnoseSocketError(errno('ENOTFOUND'), ctx({ address: 'typha.example:5473' }));
  assert.equal(dns.goError, 'dial tcp: lookup typha.example: no such host');
  const t = diagnoseTimeout(ctx());
  assert.equal(t.cause, 'timeout');
  assert.equal(t.goError, 'dial tcp 10.0.2.193:5473: i/o timeout');
  assert.equal(diagnoseTimeout(ctx({ tcpConnected: true })).cause, 'tls-timeout');
});

test("a Go Typha's alerts: the client certificate was refused, with Go's alert text", () => {
  const d = diagnoseSocketError(errno('ERR_SSL_TLSV1_ALERT_UNKNOWN_CA'), ctx({ tcpConnected: true }));
  assert.equal(d.cause, 'client-cert-rejected');
  assert.equal(d.goError, 'remote error: tls: unknown certificate authority');
  // Our certificate expired two days before NOW: the detail says so.
  assert.match(d.detail, /CN "typha-client", URI SANs \[\]; it EXPIRED at 2026-12-01T00:00:00Z/);
  const bad = diagnoseSocketError(errno('ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE'), ctx({ tcpConnected: true }));
  assert.equal(bad.goError, 'remote error: tls: bad certificate');
});

test('a reset during the TLS handshake: not TLS when the server never answered, a refusal when it did', () => {
  assert.equal(diagnoseSocketError(errno('ECONNRESET'), ctx({ tcpConnected: true })).cause, 'not-tls');
  assert.equal(
    diagnoseSocketError(errno('ECONNRESET'), ctx({ tcpConnected: true, serverSpokeTls: true })).cause,
    'client-cert-rejected',
  );
  assert.equal(
    diagnoseSocketError(errno('ECONNRESET'), ctx({ tls: undefined, tcpConnected: true })).cause,
    'reset',
  );
});

const peer = (validFrom: string, validTo: string): PeerCertificate =>
  ({
    subject: { CN: 'typha-server' },
    issuer: { CN: 'cluster CA' },
    valid_from: validFrom,
    valid_to: validTo,
  }) as never;

test('expired: whose certificate, and since when; an expired CA is named as such', () => {
  const leaf = diagnoseVerifyFailure(
    'CERT_HAS_EXPIRED',
    peer('Jan  1 00:00:00 2025 GMT', 'Dec  2 00:00:00 2026 GMT'),
    ctx(),
  );
  assert.equal(leaf.detail, 'Typha’s certificate (CN=typha-server) expired at 2026-12-02T00:00:00Z');
  assert.equal(
    leaf.goError,
    'x509: certificate has expired or is not yet valid: current time 2026-12-03T12:00:00Z is after 2026-12-02T00:00:00Z',
  );
  const ca = diagnoseVerifyFailure(
    'CERT_HAS_EXPIRED',
    peer('Jan  1 00:00:00 2025 GMT', 'Dec  2 00:00:00 2027 GMT'),
    ctx(),
  );
  assert.match(
    ca.detail,
    /^a CA certificate in the chain \(TyphaCAFile \/etc\/felix-ts\/ca\.crt: CN=cluster CA\) expired$/,
  );
  const future = diagnoseVerifyFailure(
    'CERT_NOT_YET_VALID',
    peer('Dec  4 00:00:00 2026 GMT', 'Dec  4 00:00:00 2027 GMT'),
    ctx(),
  );
  assert.equal(future.cause, 'server-cert-not-yet-valid');
  assert.match(future.goError, /is before 2026-12-04T00:00:00Z$/);
  assert.match(future.detail, /is this node’s clock right\?/);
});

test('before the ServerHello: read timeout, plain client to a TLS Typha, TLS closed after the handshake', () => {
  const base = { address: '10.0.2.193:5473', readTimeoutMs: 30_000, now: NOW };
  assert.equal(
    diagnoseBeforeHello({ ...base, tls: TLS, code: 'ERR_TYPHA_READ_TIMEOUT' })?.cause,
    'hello-timeout',
  );
  assert.equal(
    diagnoseBeforeHello({ ...base, tls: undefined, code: 'ERR_TYPHA_CLOSED' })?.cause,
    'closed-before-hello',
  );
  assert.equal(
    diagnoseBeforeHello({ ...base, tls: undefined, code: 'ERR_TYPHA_PROTOCOL' })?.cause,
    'expects-tls',
  );
  const rejected = diagnoseBeforeHello({ ...base, tls: TLS, code: 'ERR_TYPHA_CLOSED' });
  assert.equal(rejected?.cause, 'client-cert-rejected');
  assert.equal(rejected?.goError, 'EOF');
  assert.equal(diagnoseBeforeHello({ ...base, tls: TLS, code: 'ERR_TYPHA_HANDSHAKE' }), undefined);
});
