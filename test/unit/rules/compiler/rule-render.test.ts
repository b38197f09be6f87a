// Table-driven rule rendering (felix/rules/policy.go): every Rule field, in Felix's fragment
// order and long-form syntax. Expected bodies are written out by hand from felix/rules/policy.go.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Rule } from '../../../../rules/dataplane-api/types.js';
import { allocateMarks } from '../../../../rules/compiler/index.js';
import {
  renderCalicoRule,
  renderRuleList,
  type RenderCtx,
} from '../../../../rules/compiler/policy-render.js';
import { act, renderBody } from '../../../../rules/compiler/rule.js';

const marks = allocateMarks(0xffff0000)!;
const v4: RenderCtx = { family: 4, marks, denyAction: act.drop(), logPrefix: 'calico-packet' };
const v6: RenderCtx = { ...v4, family: 6 };
const owner = { kindShort: 'gnp', name: 'p', namespace: '', tier: 'default' };

const ALLOW = ['--jump MARK --set-mark 0x10000/0x10000', '-m mark --mark 0x10000/0x10000 --jump RETURN'];
/** Allow with a match: the match goes on the set-mark rule. */
const allow = (match: string): string[] => [`${match} --jump MARK --set-mark 0x10000/0x10000`, ALLOW[1]!];
const r = (x: Partial<Rule>): Rule => ({ action: 'allow', ...x });
const ports = (...p: Array<number | [number, number]>) =>
  p.map((x) => (typeof x === 'number' ? { first: x, last: x } : { first: x[0], last: x[1] }));

interface Case {
  readonly name: string;
  readonly rule: Rule;
  readonly ctx?: RenderCtx;
  readonly want: readonly string[];
}

const S0 = '0x80000';
const S1 = '0x100000';
const cases: Case[] = [
  { name: 'allow everything', rule: r({}), want: ALLOW },
  { name: 'empty action means allow', rule: r({ action: '' }), want: ALLOW },
  {
    name: 'deny: drop mark then DROP (v3.30+)',
    rule: r({ action: 'deny', protocol: { name: 'tcp' } }),
    want: ['-p tcp --jump MARK --set-mark 0x40000/0x40000', '-m mark --mark 0x40000/0x40000 --jump DROP'],
  },
  {
    name: 'deny with REJECT configured',
    rule: r({ action: 'deny' }),
    ctx: { ...v4, denyAction: act.reject() },
    want: ['--jump MARK --set-mark 0x40000/0x40000', '-m mark --mark 0x40000/0x40000 --jump REJECT'],
  },
  {
    name: 'pass',
    rule: r({ action: 'pass' }),
    want: ['--jump MARK --set-mark 0x20000/0x20000', '-m mark --mark 0x20000/0x20000 --jump RETURN'],
  },
  {
    name: 'next-tier is pass',
    rule: r({ action: 'next-tier', protocol: { name: 'udp' } }),
    want: ['-p udp --jump MARK --set-mark 0x20000/0x20000', '-m mark --mark 0x20000/0x20000 --jump RETURN'],
  },
  {
    name: 'log: one LOG rule with the match, no verdict',
    rule: r({ action: 'log', protocol: { name: 'udp' }, dstPorts: ports(53) }),
    want: [
      '-p udp -m multiport --destination-ports 53 --jump LOG --log-prefix "calico-packet: " --log-level 5',
    ],
  },
  { name: 'protocol by number', rule: r({ protocol: { number: 132 } }), want: allow('-p 132') },
  { name: 'not protocol', rule: r({ notProtocol: { name: 'tcp' } }), want: allow('! -p tcp') },
  { name: 'not protocol number', rule: r({ notProtocol: { number: 17 } }), want: allow('! -p 17') },
  { name: 'one src net', rule: r({ srcNet: ['10.0.0.1'] }), want: allow('--source 10.0.0.1') },
  { name: 'one dst net', rule: r({ dstNet: ['10.1.0.0/16'] }), want: allow('--destination 10.1.0.0/16') },
  { name: 'one !src net', rule: r({ notSrcNet: ['10.0.0.0/8'] }), want: allow('! --source 10.0.0.0/8') },
  {
    name: 'one !dst net',
    rule: r({ notDstNet: ['192.168.0.0/16'] }),
    want: allow('! --destination 192.168.0.0/16'),
  },
  {
    name: 'selectors as match-set, ANDed, src and dst and negated',
    rule: r({
      srcIpSetIds: ['s:a', 's:b'],
      dstIpSetIds: ['s:c'],
      notSrcIpSetIds: ['s:d'],
      notDstIpSetIds: ['s:e'],
    }),
    want: allow(
      '-m set --match-set cali40s:a src -m set --match-set cali40s:b src -m set --match-set cali40s:c dst ' +
        '-m set ! --match-set cali40s:d src -m set ! --match-set cali40s:e dst',
    ),
  },
  {
    name: 'service ip+port set',
    rule: r({ dstIpPortSetIds: ['svc:x'] }),
    want: allow('-m set --match-set cali40svc:x dst,dst'),
  },
  {
    // Felix's set IDs for Service default/svc (felix/calc/states_for_test.go), cut to 31 characters.
    name: 'destination Service: the ip+port set, both families',
    rule: r({ dstIpPortSetIds: ['svc:Jhwii46PCMT5NlhWsUqZmv7al8TeHFbNQMhoVg'] }),
    want: allow('-m set --match-set cali40svc:Jhwii46PCMT5NlhWsUqZm dst,dst'),
  },
  {
    name: 'destination Service in IPv6',
    rule: r({ dstIpPortSetIds: ['svc:Jhwii46PCMT5NlhWsUqZmv7al8TeHFbNQMhoVg'] }),
    ctx: v6,
    want: allow('-m set --match-set cali60svc:Jhwii46PCMT5NlhWsUqZm dst,dst'),
  },
  {
    name: "source Service: the IP-only set as a source set, with the rule's protocol and port",
    rule: r({
      protocol: { name: 'tcp' },
      srcPorts: ports(80),
      srcIpSetIds: ['svcnoport:T03S_6hogdrGKrNFBcbKTFsH_uKwDHEo8JddOg'],
    }),
    want: allow(
      '-p tcp -m set --match-set cali40svcnoport:T03S_6hogdrGKrN src -m multiport --source-ports 80',
    ),
  },
  {
    name: 'ports, ranges, src and dst',
    rule: r({
      protocol: { name: 'tcp' },
      srcPorts: ports([1000, 2000]),
      dstPorts: ports(80, [8000, 8080], 443),
    }),
    want: allow(
      '-p tcp -m multiport --source-ports 1000:2000 -m multiport --destination-ports 80,8000:8080,443',
    ),
  },
  {
    name: 'negated ports split into several ANDed multiports',
    rule: r({
      protocol: { name: 'udp' },
      notDstPorts: ports(...Array.from({ length: 16 }, (_, i) => i + 1)),
    }),
    want: allow(
      '-p udp -m multiport ! --destination-ports 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15 -m multiport ! --destination-ports 16',
    ),
  },
  {
    name: 'negated src ports',
    rule: r({ protocol: { name: 'tcp' }, notSrcPorts: ports(22) }),
    want: allow('-p tcp -m multiport ! --source-ports 22'),
  },
  {
    name: 'one named port goes in the main rule',
    rule: r({ protocol: { name: 'tcp' }, dstNamedPortIpSetIds: ['n:web'] }),
    want: allow('-p tcp -m set --match-set cali40n:web dst,dst'),
  },
  {
    name: 'one src named port and negated named ports',
    rule: r({
      srcNamedPortIpSetIds: ['n:a'],
      notSrcNamedPortIpSetIds: ['n:b'],
      notDstNamedPortIpSetIds: ['n:c'],
    }),
    want: allow(
      '-m set --match-set cali40n:a src,src -m set ! --match-set cali40n:b src,src -m set ! --match-set cali40n:c dst,dst',
    ),
  },
  {
    name: 'numeric + named port: a port block ORs them (felix/rules/policy.go)',
    rule: r({ protocol: { name: 'tcp' }, dstPorts: ports(80), dstNamedPortIpSetIds: ['n:web'] }),
    want: [
      `--jump MARK --set-mark 0x0/0x180000`,
      `-p tcp -m multiport --destination-ports 80 --jump MARK --set-mark ${S0}/${S0}`,
      `-m set --match-set cali40n:web dst,dst --jump MARK --set-mark ${S0}/${S0}`,
      ...allow(`-p tcp -m mark --mark ${S0}/${S0}`),
    ],
  },
  {
    name: 'felix/rules/policy.go example: two src CIDRs and 20 ports',
    rule: r({
      protocol: { name: 'tcp' },
      srcNet: ['10.0.0.0/8', '192.168.0.0/16'],
      dstPorts: ports(...Array.from({ length: 20 }, (_, i) => i + 1)),
    }),
    want: [
      '--jump MARK --set-mark 0x0/0x180000',
      `-p tcp -m multiport --destination-ports 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15 --jump MARK --set-mark ${S0}/${S0}`,
      `-p tcp -m multiport --destination-ports 16,17,18,19,20 --jump MARK --set-mark ${S0}/${S0}`,
      `--source 10.0.0.0/8 --jump MARK --set-mark ${S1}/${S1}`,
      `--source 192.168.0.0/16 --jump MARK --set-mark ${S1}/${S1}`,
      `-m mark --mark 0/${S1} --jump MARK --set-mark 0/${S0}`,
      ...allow(`-p tcp -m mark --mark ${S0}/${S0}`),
    ],
  },
  {
    name: 'a range takes two slots: 7 ranges + 1 port fill one split, the next range starts another',
    rule: r({
      protocol: { name: 'tcp' },
      srcPorts: [
        ...ports(...Array.from({ length: 7 }, (_, i): [number, number] => [i * 10, i * 10 + 1])),
        ...ports(99),
        ...ports([200, 201]),
      ],
    }),
    want: [
      '--jump MARK --set-mark 0x0/0x180000',
      `-p tcp -m multiport --source-ports 0:1,10:11,20:21,30:31,40:41,50:51,60:61,99 --jump MARK --set-mark ${S0}/${S0}`,
      `-p tcp -m multiport --source-ports 200:201 --jump MARK --set-mark ${S0}/${S0}`,
      ...allow(`-p tcp -m mark --mark ${S0}/${S0}`),
    ],
  },
  {
    name: 'positive and negated src CIDR: negated block first, starting from S0 set',
    rule: r({ srcNet: ['10.0.0.0/8'], notSrcNet: ['10.1.0.0/16'] }),
    want: [
      `--jump MARK --set-mark ${S0}/0x180000`,
      `--source 10.1.0.0/16 --jump MARK --set-mark 0/${S0}`,
      ...allow(`--source 10.0.0.0/8 -m mark --mark ${S0}/${S0}`),
    ],
  },
  {
    name: 'two dst CIDRs then two negated dst CIDRs',
    rule: r({ dstNet: ['10.0.0.0/8', '172.16.0.0/12'], notDstNet: ['10.9.0.0/16', '172.16.5.0/24'] }),
    want: [
      '--jump MARK --set-mark 0x0/0x180000',
      `--destination 10.0.0.0/8 --jump MARK --set-mark ${S0}/${S0}`,
      `--destination 172.16.0.0/12 --jump MARK --set-mark ${S0}/${S0}`,
      `--destination 10.9.0.0/16 --jump MARK --set-mark 0/${S0}`,
      `--destination 172.16.5.0/24 --jump MARK --set-mark 0/${S0}`,
      ...allow(`-m mark --mark ${S0}/${S0}`),
    ],
  },
  {
    name: 'icmp type 0 (echo reply) is rendered, not treated as unset',
    rule: r({ protocol: { name: 'icmp' }, icmpType: 0 }),
    want: allow('-p icmp -m icmp --icmp-type 0'),
  },
  {
    name: 'icmp type/code and negated type/code',
    rule: r({
      protocol: { name: 'icmp' },
      icmpTypeCode: { type: 8, code: 0 },
      notIcmpTypeCode: { type: 3, code: 1 },
    }),
    want: allow('-p icmp -m icmp --icmp-type 8/0 -m icmp ! --icmp-type 3/1'),
  },
  {
    name: 'negated icmp type',
    rule: r({ protocol: { name: 'icmp' }, notIcmpType: 5 }),
    want: allow('-p icmp -m icmp ! --icmp-type 5'),
  },
  {
    name: 'icmpv6 in the v6 table',
    rule: r({ protocol: { name: 'ipv6-icmp' }, icmpType: 128, notIcmpTypeCode: { type: 1, code: 4 } }),
    ctx: v6,
    want: allow('-p ipv6-icmp -m icmp6 --icmpv6-type 128 -m icmp6 ! --icmpv6-type 1/4'),
  },
  {
    name: 'field order: proto, src net, src sets, src ports, src named, dst net, dst sets, dst ip+port, dst ports, icmp, negations',
    rule: r({
      protocol: { name: 'tcp' },
      srcNet: ['10.0.0.1/32'],
      srcIpSetIds: ['s:s'],
      srcPorts: ports(1),
      srcNamedPortIpSetIds: ['n:s'],
      dstNet: ['10.0.0.2/32'],
      dstIpSetIds: ['s:d'],
      dstIpPortSetIds: ['svc:d'],
      dstPorts: ports(2),
      icmpType: 3,
      notProtocol: { name: 'udp' },
      notSrcIpSetIds: ['s:ns'],
      notSrcPorts: ports(3),
      notDstIpSetIds: ['s:nd'],
      notDstPorts: ports(4),
      notIcmpType: 4,
    }),
    want: [
      '--jump MARK --set-mark 0x0/0x180000',
      `-p tcp -m multiport --source-ports 1 --jump MARK --set-mark ${S0}/${S0}`,
      `-m set --match-set cali40n:s src,src --jump MARK --set-mark ${S0}/${S0}`,
      ...allow(
        '-p tcp --source 10.0.0.1/32 -m set --match-set cali40s:s src --destination 10.0.0.2/32 ' +
          '-m set --match-set cali40s:d dst -m set --match-set cali40svc:d dst,dst -m multiport --destination-ports 2 ' +
          '-m icmp --icmp-type 3 ! -p udp -m set ! --match-set cali40s:ns src -m multiport ! --source-ports 3 ' +
          '-m set ! --match-set cali40s:nd dst -m multiport ! --destination-ports 4 -m icmp ! --icmp-type 4 ' +
          `-m mark --mark ${S0}/${S0}`,
      ),
    ],
  },
  {
    name: 'annotations become sorted k=v comments on every generated rule, escaped',
    rule: r({ action: 'deny', metadata: { annotations: { b: '2', a: 'x y"z' } } }),
    want: [
      '-m comment --comment "a=x y_z" -m comment --comment "b=2" --jump MARK --set-mark 0x40000/0x40000',
      '-m comment --comment "a=x y_z" -m comment --comment "b=2" -m mark --mark 0x40000/0x40000 --jump DROP',
    ],
  },
  // ip_version filtering (felix/rules/policy.go)
  { name: 'v4-only rule in the v6 table is skipped', rule: r({ ipVersion: 4 }), ctx: v6, want: [] },
  { name: 'v6-only rule in the v4 table is skipped', rule: r({ ipVersion: 6 }), want: [] },
  { name: 'v6-only rule in the v6 table', rule: r({ ipVersion: 6 }), ctx: v6, want: ALLOW },
  {
    name: 'mixed-family src nets: v4 table keeps the v4 one',
    rule: r({ srcNet: ['10.0.0.1/32', 'fd00::1/128'] }),
    want: allow('--source 10.0.0.1/32'),
  },
  {
    name: 'mixed-family src nets: v6 table keeps the v6 one',
    rule: r({ srcNet: ['10.0.0.1/32', 'fd00::1/128'] }),
    ctx: v6,
    want: allow('--source fd00::1/128'),
  },
  { name: 'only v6 src nets: rule skipped in v4', rule: r({ srcNet: ['fd00::/64'] }), want: [] },
  {
    name: 'only v4 !dst nets: rule skipped in v6',
    rule: r({ notDstNet: ['10.0.0.0/8'] }),
    ctx: v6,
    want: [],
  },
  { name: 'negated catch-all drops the rule (v4)', rule: r({ notSrcNet: ['0.0.0.0/0'] }), want: [] },
  { name: 'negated catch-all drops the rule (v6)', rule: r({ notDstNet: ['::/0'] }), ctx: v6, want: [] },
];

for (const c of cases) {
  test(`render: ${c.name}`, () => {
    const got = renderCalicoRule(c.rule, c.ctx ?? v4, owner).map(renderBody);
    assert.deepEqual(got, c.want);
  });
}

// Felix's policy_test.go "Log rules should be correctly rendered with specifiers in prefix" and
// "... with rate limits" (felix/rules/policy_test.go), as felix-ts inputs.
const logBody = (prefix: string, match = ''): string =>
  `${match}--jump LOG --log-prefix "${prefix}: " --log-level 5`;
const logOf = (ctx: RenderCtx, o: typeof owner): string =>
  renderBody(renderCalicoRule(r({ action: 'log' }), ctx, o)[0]!);

test("log prefix: Felix's generateLogPrefix, specifiers expanded, nothing shortened", () => {
  const gnp = { kindShort: 'gnp', name: 'default.foo', namespace: '', tier: 'default' };
  assert.equal(
    logOf({ ...v4, logPrefix: 'foobar %t %k %p %n - %n %p %k %t' }, gnp),
    logBody('foobar default gnp default.foo default.foo - default.foo default.foo gnp default'),
  );
  const np = { kindShort: 'np', name: 'foo', namespace: 'app', tier: 'admin' };
  // Longer than the 29 bytes the kernel keeps: rendered whole, as Felix does (same hash); iptables
  // stores the first 29 bytes on both backends (test/e2e-dataplane/log-prefix.test.ts).
  assert.equal(
    logOf({ ...v4, logPrefix: 'calico-packet %k:%p:%t:%n' }, np),
    logBody('calico-packet np:app/foo:admin:foo'),
  );
  const profile = { kindShort: 'pro', name: 'profile1', namespace: '', tier: '' };
  assert.equal(
    logOf({ ...v4, logPrefix: 'calico-packet %p:%k:%%y%t%%n' }, profile),
    logBody('calico-packet profile1:pro:%%y%profile1'),
  );
  // No specifier: as configured; empty: Felix's default.
  assert.equal(logOf({ ...v4, logPrefix: 'plain' }, np), logBody('plain'));
  assert.equal(logOf({ ...v4, logPrefix: '' }, np), logBody('calico-packet'));
  // A character that cannot be quoted in a restore line never gets in through a name.
  assert.equal(logOf({ ...v4, logPrefix: '%n' }, { ...np, name: 'a"b\\c\nd' }), logBody('a_b_c_d'));
});

test('log rules: LogActionRateLimit and LogActionRateLimitBurst as Felix renders them', () => {
  const ctx = { ...v4, logPrefix: 'foobar', logRateLimit: '50/minute', logRateLimitBurst: 0 };
  assert.equal(logOf(ctx, owner), logBody('foobar', '-m limit --limit 50/minute '));
  assert.equal(
    logOf({ ...ctx, logRateLimitBurst: 90 }, owner),
    logBody('foobar', '-m limit --limit 50/minute --limit-burst 90 '),
  );
  // With a match, the limit comes before the rule's own match (CombineMatches(logMatch, match)).
  const tcp = renderCalicoRule(r({ action: 'log', protocol: { name: 'tcp' } }), ctx, owner).map(renderBody);
  assert.deepEqual(tcp, [logBody('foobar', '-m limit --limit 50/minute -p tcp ')]);
});

test('rule list: trailing RETURN trimmed, chain comment after annotations on the first rule, empty list', () => {
  const list = renderRuleList(
    [r({ protocol: { name: 'tcp' }, metadata: { annotations: { k: 'v' } } })],
    v4,
    owner,
    'C',
  );
  assert.deepEqual(list.map(renderBody), [
    '-m comment --comment "k=v" -m comment --comment "C" -p tcp --jump MARK --set-mark 0x10000/0x10000',
  ]);
  // A deny at the end keeps its DROP; a log rule is not a RETURN.
  const deny = renderRuleList([r({ action: 'allow' }), r({ action: 'deny' })], v4, owner, 'C').map(
    renderBody,
  );
  assert.equal(deny.length, 4);
  assert.equal(deny[3], '-m mark --mark 0x40000/0x40000 --jump DROP');
  assert.deepEqual(renderRuleList([], v4, owner, 'GlobalNetworkPolicy x egress').map(renderBody), [
    '-m comment --comment "GlobalNetworkPolicy x egress"',
  ]);
  // All rules filtered out by IP version: still the comment-only rule.
  assert.deepEqual(renderRuleList([r({ ipVersion: 6 })], v4, owner, 'C').map(renderBody), [
    '-m comment --comment "C"',
  ]);
});
