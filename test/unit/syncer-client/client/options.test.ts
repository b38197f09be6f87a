import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveOptions, type SyncerClientOptions } from '../../../../syncer-client/client/index.js';

const base: SyncerClientOptions = { felixHostname: 'node-1', typhaAddr: '127.0.0.1:5473' };
const isConfigError = (e: unknown): boolean => (e as { code?: string }).code === 'ERR_TYPHA_CONFIG';

test('defaults: Felix timeouts, plain TCP, never give up', () => {
  const r = resolveOptions(base);
  assert.equal(r.readTimeoutMs, 30_000);
  assert.equal(r.writeTimeoutMs, 10_000);
  assert.equal(r.dialTimeoutMs, 10_000);
  assert.equal(r.tls, undefined);
  assert.equal(r.retryDelayMs, 100);
  assert.equal(r.maxRounds, Infinity);
  assert.equal(r.syncerType, 'felix');
  assert.equal(r.compression, true);
  assert.deepEqual(r.source, { kind: 'static', endpoints: [{ host: '127.0.0.1', port: 5473 }] });
});

test('TyphaAddr takes precedence over the service name; discovery defaults to kube-system', () => {
  assert.equal(resolveOptions({ ...base, typhaK8sServiceName: 'calico-typha' }).source.kind, 'static');
  assert.deepEqual(resolveOptions({ felixHostname: 'n', typhaK8sServiceName: 'calico-typha' }).source, {
    kind: 'kubernetes',
    serviceName: 'calico-typha',
    namespace: 'kube-system',
  });
  assert.deepEqual(
    resolveOptions({
      felixHostname: 'n',
      typhaK8sServiceName: 'calico-typha',
      typhaK8sNamespace: 'calico-system',
    }).source,
    { kind: 'kubernetes', serviceName: 'calico-typha', namespace: 'calico-system' },
  );
});

test('no Typha configured is a config error', () => {
  assert.throws(() => resolveOptions({ felixHostname: 'n' }), isConfigError);
  assert.throws(() => resolveOptions({ felixHostname: 'n', typhaK8sServiceName: 'none' }), isConfigError);
});

test('TLS is all or nothing: any one setting requires key, cert, CA and CN or URI SAN', () => {
  const full = { typhaKeyFile: '/k', typhaCertFile: '/c', typhaCAFile: '/ca', typhaCN: 'typha-server' };
  assert.deepEqual(resolveOptions({ ...base, ...full }).tls, {
    keyFile: '/k',
    certFile: '/c',
    caFile: '/ca',
    cn: 'typha-server',
    uriSAN: undefined,
  });
  assert.equal(
    resolveOptions({ ...base, ...full, typhaCN: undefined, typhaURISAN: 'spiffe://x' }).tls?.uriSAN,
    'spiffe://x',
  );
  for (const drop of ['typhaKeyFile', 'typhaCertFile', 'typhaCAFile', 'typhaCN'] as const) {
    const o = { ...base, ...full, [drop]: undefined };
    assert.throws(
      () => resolveOptions(o),
      (e: unknown) => isConfigError(e) && (e as Error).message.includes('missing'),
      drop,
    );
  }
  // Only a CN set still switches TLS on, and then fails for the missing files.
  assert.throws(
    () => resolveOptions({ ...base, typhaCN: 'typha-server' }),
    /typhaKeyFile, typhaCertFile, typhaCAFile/,
  );
});

test('invalid hostname and timeouts are config errors', () => {
  assert.throws(() => resolveOptions({ ...base, felixHostname: 'bad host' }), isConfigError);
  assert.throws(() => resolveOptions({ ...base, felixHostname: '' }), isConfigError);
  assert.throws(() => resolveOptions({ ...base, typhaReadTimeoutMs: 0 }), isConfigError);
  assert.throws(() => resolveOptions({ ...base, typhaWriteTimeoutMs: Number.NaN }), isConfigError);
  assert.equal(resolveOptions({ ...base, typhaReadTimeoutMs: 250.4 }).readTimeoutMs, 250);
});
