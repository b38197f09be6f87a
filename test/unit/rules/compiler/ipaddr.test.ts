// IP parsing and canonical text (used for IP set members, §3.3/§8) against RFC 5952 / Go's net.IP.String.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalCidr, parseCidr, parseIp } from '../../../../rules/compiler/ipaddr.js';

const canon = (s: string): string | undefined => {
  const c = parseCidr(s);
  return c ? canonicalCidr(c) : undefined;
};

test('IPv6 canonical form: lower case, longest zero run (first on a tie) compressed, single zero kept', () => {
  assert.equal(canon('2001:0DB8:0000:0000:0000:0000:0000:0001'), '2001:db8::1/128');
  assert.equal(canon('2001:db8:0:0:1:0:0:1'), '2001:db8::1:0:0:1/128');
  assert.equal(canon('2001:db8:0:0:0:1:0:0'), '2001:db8::1:0:0/128');
  assert.equal(canon('2001:db8:0:1:1:1:1:1'), '2001:db8:0:1:1:1:1:1/128');
  assert.equal(canon('0:0:0:0:0:0:0:0/0'), '::/0');
  assert.equal(canon('1:0:0:0:0:0:0:0/16'), '1::/16');
  assert.equal(canon('::1'), '::1/128');
  assert.equal(canon('::ffff:10.1.2.3'), '::ffff:10.1.2.3/128');
  assert.equal(canon('64:ff9b::10.1.2.3'), '64:ff9b::a01:203/128');
});

test('host bits are cleared and a missing prefix means a host route', () => {
  assert.equal(canon('10.65.0.7'), '10.65.0.7/32');
  assert.equal(canon('10.65.3.7/16'), '10.65.0.0/16');
  assert.equal(canon('10.65.3.7/20'), '10.65.0.0/20');
  assert.equal(canon('192.168.1.255/25'), '192.168.1.128/25');
  assert.equal(canon('fd00:1:2:3::5/63'), 'fd00:1:2:2::/63');
  assert.equal(canon('0.0.0.0/0'), '0.0.0.0/0');
});

test('malformed addresses are rejected', () => {
  for (const bad of [
    '',
    '10.0.0',
    '10.0.0.256',
    '10.0.0.1/33',
    '10.0.0.1/',
    '10.0.0.01a',
    '1:2:3:4:5:6:7:8:9',
    '1::2::3',
    ':::',
    '12345::',
    'g::',
    '::/129',
    '10.0.0.1 -j ACCEPT',
    '10.0.0.1\n',
    '1:2:3:4:5:6:7::8:9',
  ]) {
    assert.equal(parseCidr(bad), undefined, JSON.stringify(bad));
  }
  assert.deepEqual(parseIp('1.2.3.4'), { family: 4, bytes: [1, 2, 3, 4] });
  assert.equal(parseIp('fe80::1')!.family, 6);
});
