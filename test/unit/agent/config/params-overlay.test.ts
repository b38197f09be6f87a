// ExternalNodesCIDRList as Felix v3.32.1's CIDRListParam parses it (felix/config/param_types.go).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cidrList } from '../../../../agent/config/params-overlay.js';

test('cidr-list: bare IPs get a full prefix, IPv4 CIDRs are masked, blanks skipped, junk refused', () => {
  const s = cidrList();
  assert.deepEqual(s.parse(' 10.1.2.3 , 10.1.2.3/24,,fd00::1, 0.0.0.0/0'), [
    '10.1.2.3/32',
    '10.1.2.0/24',
    'fd00::1/128',
    '0.0.0.0/0',
  ]);
  assert.deepEqual(s.parse('none'), []);
  assert.equal(s.safeParse('10.1.2.3/33').success, false);
  assert.equal(s.safeParse('10.1.2.x').success, false);
  assert.equal(s.safeParse('10.0.0.0/8/1').success, false);
});
