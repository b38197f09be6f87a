// The in-place check for canonical IPv4 members (ipaddr.ts isCanonicalV4Member) against the full
// parser (validate.ts canonicalMember): the check may only say yes where the parser gives the very
// same text back, and must say yes for every IPv4 text the parser writes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isCanonicalV4Member, type MemberShape } from '../../../../rules/compiler/ipaddr.js';
import { canonicalMember } from '../../../../rules/compiler/validate.js';
import type { IPSetType } from '../../../../rules/dataplane-api/types.js';
import { mulberry32 } from '../../../fuzz/prng.js';

const TYPES: ReadonlyArray<[MemberShape, IPSetType]> = [
  ['ip', 0],
  ['ip,port', 1],
  ['net', 2],
];

/** Member-like texts: mostly near-canonical, with the usual ways of being off by a little. */
function candidates(n: number): string[] {
  const r = mulberry32(15);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const octet = () =>
    pick([
      '0',
      '1',
      '9',
      '10',
      '99',
      '100',
      '199',
      '200',
      '249',
      '250',
      '255',
      '256',
      '300',
      '01',
      '00',
      '007',
      '',
      'a',
    ]);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const parts = Array.from({ length: pick([4, 4, 4, 4, 3, 5]) }, octet);
    let addr = parts.join('.');
    if (r() < 0.05) addr = pick(['::ffff:', ' ', '+', '-']) + addr;
    const tail = pick([
      '',
      '/32',
      '/0',
      '/8',
      '/16',
      '/24',
      '/31',
      '/33',
      '/032',
      '/',
      `/${Math.floor(r() * 34)}`,
      ',tcp:80',
      ',udp:0',
      ',sctp:65535',
      ',TCP:80',
      ',tcp:65536',
      ',tcp:080',
      ',icmp:8',
      ',tcp:',
      ',tcp',
      ',tcp:80\n',
      ' -j ACCEPT',
    ]);
    out.push(addr + tail);
  }
  return out;
}

test('fast check: yes only where the full parser writes the same IPv4 text', () => {
  let yes = 0;
  for (const m of candidates(40000)) {
    for (const [shape, type] of TYPES) {
      const full = canonicalMember(type, m);
      const exact = full !== undefined && full.family === 4 && full.text === m;
      assert.equal(isCanonicalV4Member(shape, m), exact, `${shape} ${JSON.stringify(m)}`);
      if (exact) yes++;
    }
  }
  assert.ok(yes > 500, `the generator reaches canonical texts (${yes})`);
});

test('fast check: every IPv4 text the parser writes is recognised', () => {
  const r = mulberry32(7);
  for (let i = 0; i < 20000; i++) {
    const a = [0, 0, 0, 0].map(() => Math.floor(r() * 256)).join('.');
    const p = Math.floor(r() * 33);
    for (const [shape, type, text] of [
      ['ip', 0, a],
      ['net', 2, `${a}/${p}`],
      ['ip,port', 1, `${a},${['tcp', 'udp', 'sctp'][i % 3]}:${Math.floor(r() * 65536)}`],
    ] as const) {
      const c = canonicalMember(type, text);
      assert.ok(c && c.family === 4, text);
      assert.ok(isCanonicalV4Member(shape, c.text), `${shape} ${c.text}`);
    }
  }
});

test('fast check: IPv6, mapped and unsafe texts go to the full parser', () => {
  for (const m of [
    'fd00::1/128',
    '::ffff:10.0.0.1/128',
    '10.0.0.1/32\nflush',
    '10.0.0.1/32 ',
    '',
    '10.0.0.1,tcp:80,1',
  ]) {
    assert.equal(isCanonicalV4Member('net', m), false, m);
    assert.equal(isCanonicalV4Member('ip,port', m), false, m);
  }
  assert.equal(isCanonicalV4Member('net', 42 as unknown as string), false);
  assert.equal(isCanonicalV4Member('net', '0.0.0.0/0'), true);
  assert.equal(isCanonicalV4Member('net', '0.0.0.1/0'), false);
  assert.equal(isCanonicalV4Member('net', '10.0.0.128/25'), true);
  assert.equal(isCanonicalV4Member('net', '10.0.0.64/25'), false);
});
