import { test } from 'node:test';
import assert from 'node:assert/strict';
import { joinHostPort, parseEndpoint, parseTyphaAddr } from '../../../../syncer-client/client/index.js';

test('parseTyphaAddr: one host:port as in Felix', () => {
  assert.deepEqual(parseTyphaAddr('10.0.0.5:5473'), [{ host: '10.0.0.5', port: 5473 }]);
});

test('parseTyphaAddr: comma list with spaces, names and bracketed IPv6', () => {
  assert.deepEqual(parseTyphaAddr(' typha-a.kube-system:5473, [fd00::1]:5474 ,,10.0.0.7:1'), [
    { host: 'typha-a.kube-system', port: 5473 },
    { host: 'fd00::1', port: 5474 },
    { host: '10.0.0.7', port: 1 },
  ]);
});

test('parseEndpoint: rejects bad input with ERR_TYPHA_ADDR', () => {
  for (const bad of [
    '',
    '10.0.0.1',
    ':5473',
    '10.0.0.1:0',
    '10.0.0.1:65536',
    'fd00::1:5473',
    '[fd00::1]5473',
    '[nothex]:1',
    'a b:1',
    'h:12x',
    'host:-1',
    ' , ',
  ]) {
    assert.throws(
      () => (bad.includes(',') ? parseTyphaAddr(bad) : parseEndpoint(bad)),
      (e: unknown) => (e as { code?: string }).code === 'ERR_TYPHA_ADDR',
      `should reject ${JSON.stringify(bad)}`,
    );
  }
});

test('joinHostPort brackets IPv6 like net.JoinHostPort', () => {
  assert.equal(joinHostPort('fd00::2', 5473), '[fd00::2]:5473');
  assert.equal(joinHostPort('10.1.2.3', 5473), '10.1.2.3:5473');
  assert.deepEqual(parseEndpoint(joinHostPort('fd00::2', 5473)), { host: 'fd00::2', port: 5473 });
});
