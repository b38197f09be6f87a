// IP parsing and canonical text (used for IP set members, felix/ipsets/ipset_defs.go/felix/ipsets/ipsets.go) against RFC 5952 / Go's net.IP.String.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  addressOf,
  canonicalCidr,
  cidrFamily,
  hostCidrOf,
  normalizeCidr,
  parseCidr,
  parseIp,
} from '../../../../rules/compiler/ipaddr.js';

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

// Go's net.ParseIP refuses leading zeros in IPv4 parts since Go 1.17, also in an IPv6 tail.
test('IPv4 parts with leading zeros are refused, as by Go >= 1.17', () => {
  for (const bad of [
    '010.0.0.1',
    '10.0.0.01',
    '10.00.0.1',
    '010.0.0.0/8',
    '::ffff:010.0.0.1',
    '64:ff9b::01.2.3.4',
  ]) {
    assert.equal(parseCidr(bad), undefined, bad);
    assert.equal(parseIp(bad), undefined, bad);
    assert.equal(normalizeCidr(bad), null, bad);
  }
  assert.deepEqual(parseIp('0.0.0.0'), { family: 4, bytes: [0, 0, 0, 0] });
  assert.deepEqual(parseIp('10.0.0.100'), { family: 4, bytes: [10, 0, 0, 100] });
  // The prefix is Go's dtoi: leading zeros there are fine.
  assert.equal(normalizeCidr('10.1.2.3/08'), '10.0.0.0/8');
});

// libcalico-go/lib/net keeps To4() of every address; IPNet.Version() is 4 when To4() != nil.
test('an IPv4-mapped IPv6 address is IPv4, as in Calico', () => {
  assert.deepEqual(parseIp('::ffff:10.0.0.1'), { family: 4, bytes: [10, 0, 0, 1] });
  assert.deepEqual(parseIp('::FFFF:a00:1'), { family: 4, bytes: [10, 0, 0, 1] });
  assert.deepEqual(parseIp('0:0:0:0:0:ffff:10.0.0.1'), { family: 4, bytes: [10, 0, 0, 1] });
  assert.equal(canon('::ffff:10.1.2.3'), '10.1.2.3/32');
  assert.equal(canon('::ffff:10.1.2.3/128'), '10.1.2.3/32');
  assert.equal(canon('::ffff:10.1.2.3/120'), '10.1.2.0/24');
  assert.equal(canon('::ffff:0.0.0.0/96'), '0.0.0.0/0');
  assert.equal(hostCidrOf('::ffff:10.1.2.3/120'), '10.1.2.3/32');
  assert.equal(addressOf('::ffff:10.1.2.3'), '10.1.2.3');
  assert.equal(cidrFamily('::ffff:10.1.2.3'), 4);
  // A mask shorter than the ::ffff marker is refused (Go would print an unrelated network).
  assert.equal(parseCidr('::ffff:10.1.2.3/64'), undefined);
  // Not mapped: IPv4-compatible and NAT64 addresses stay IPv6.
  assert.equal(cidrFamily('::10.1.2.3'), 6);
  assert.equal(canon('::10.1.2.3'), '::a01:203/128');
  assert.equal(cidrFamily('64:ff9b::10.1.2.3'), 6);
  assert.equal(cidrFamily('::fffe:10.1.2.3'), 6);
});
