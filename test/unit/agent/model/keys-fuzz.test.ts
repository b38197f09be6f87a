// The key parser against its reference (keys-reference.ts, the parser before the charCode fast paths):
// the fixture keys and fuzzed variations of them parse to the same key, or are refused for the same reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keyRefusalReason, parseKey } from '../../../../agent/model/index.js';
import { generateSnapshot } from '../../../../bench/calc-fixture.js';
import { referenceKeyRefusalReason, referenceParseKey } from './keys-reference.js';
import { mulberry32 } from '../../../fuzz/prng.js';

const EXTRA = [
  '/calico/v1/Ready',
  '/calico/v1/config/a/b',
  '/calico/v1/host/node-1/config/IpInIpTunnelAddr',
  '/calico/v1/host/node-1/config/a/b/c',
  '/calico/v1/host/node-1/endpoint/eth%2f0',
  '/calico/v1/host/node-1/wireguard',
  '/calico/v1/policy/tier/default/policy/prod%2fstaged:knp.default.y',
  '/calico/v1/policy/tier/default/policy/kcnp.x',
  '/calico/v1/policy/tier/default/metadata',
  '/calico/v1/policy/profile/kns.a%252fb/labels',
  '/calico/v1/policy/StagedNetworkPolicy/ns/p%25',
  '/calico/v1/ipam/v4/pool/10.0.0.0-16',
  '/calico/ipam/v2/assignment/ipv6/block/fd00::-122',
  '/calico/resources/v3/projectcalico.org/networkpolicies/ns/p',
];

const INSERTS = [
  '/',
  '%',
  '%2f',
  '%25',
  '%2F',
  '2',
  'f',
  ' ',
  '\t',
  '\n',
  '\x00',
  '\x7f',
  '\u00a0',
  '\u2028',
  '\ufeff',
  '\u0085',
  'é',
  '-',
  '',
];

function same(path: string): void {
  assert.deepStrictEqual(parseKey(path), referenceParseKey(path), JSON.stringify(path));
  assert.equal(keyRefusalReason(path), referenceKeyRefusalReason(path), JSON.stringify(path));
}

test('fixture keys and fuzzed variations parse as the reference parser does', () => {
  const snap = generateSnapshot({
    weps: 200,
    localWeps: 5,
    policies: 20,
    netsets: 5,
    namespaces: 4,
    hosts: 3,
  });
  const bases = [...snap.map((u) => u.key), ...EXTRA];
  for (const p of bases) {
    same(p);
    assert.ok(parseKey(p) !== null, p);
  }
  const r = mulberry32(42);
  let parsed = 0;
  let refused = 0;
  for (let n = 0; n < 100_000; n++) {
    let p = bases[Math.floor(r() * bases.length)] as string;
    const edits = 1 + Math.floor(r() * 3);
    for (let e = 0; e < edits; e++) {
      const at = Math.floor(r() * (p.length + 1));
      const cut = r() < 0.3 ? 1 + Math.floor(r() * 3) : 0;
      p = p.slice(0, at) + (INSERTS[Math.floor(r() * INSERTS.length)] as string) + p.slice(at + cut);
    }
    same(p);
    if (parseKey(p) === null) refused++;
    else parsed++;
  }
  assert.ok(parsed > 5_000 && refused > 20_000, `${parsed} parsed, ${refused} refused`);
});
