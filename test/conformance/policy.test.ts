// Conformance: felix/rules/policy_test.go (Calico v3.32.1): each DescribeTable over ruleTestData without flow
// logs, the CIDR split and named port tables, the catch-all filter, the port split, the IP-version skips and the
// rule metadata tests, as felix-ts Rule values (policy-data.ts) rendered by renderCalicoRule / policyChains /
// profileChains with the test's marks (accept 0x80, pass 0x100, scratch0 0x200, scratch1 0x400, drop 0x800).
// The flow-log (NFLOG) variants are listed in README.md.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PolicyID, Rule, ToDataplane } from '../../rules/dataplane-api/types.js';
import { DataplaneState, compile, defaultCompilerConfig, type MarkBits } from '../../rules/compiler/index.js';
import {
  policyChains,
  profileChains,
  renderCalicoRule,
  renderRuleList,
  type RenderCtx,
} from '../../rules/compiler/policy-render.js';
import { act, renderBody, splitPortList } from '../../rules/compiler/rule.js';
import { comment, irText } from './helpers.js';
import {
  FILTERED_RULE_TEST_DATA,
  NAMED_PORT_ENTRIES,
  PORT_SPLIT_ENTRIES,
  RULE_TEST_DATA,
} from './policy-data.js';

const MARKS: MarkBits = {
  accept: 0x80,
  pass: 0x100,
  scratch0: 0x200,
  scratch1: 0x400,
  drop: 0x800,
  wireguard: 0,
  endpoint: 0xff000,
  allCalico: 0x780,
};
const ctxFor = (family: 4 | 6, over: Partial<RenderCtx> = {}): RenderCtx => ({
  family,
  marks: MARKS,
  denyAction: act.drop(),
  logPrefix: 'calico-packet',
  ...over,
});
// fooPolicyID (GlobalNetworkPolicy "default.foo") in the default tier.
const FOO = { kindShort: 'gnp', name: 'default.foo', namespace: '', tier: 'default' };
const FOO_ID: PolicyID = { kind: 'gnp', namespace: '', name: 'default.foo' };

const render = (rule: Rule, family: 4 | 6, over: Partial<RenderCtx> = {}, owner = FOO): string[] =>
  renderCalicoRule(rule, ctxFor(family, over), owner).map(renderBody);
/** "<match> <action>" with Felix's single-space join (an empty match adds nothing). */
const join = (...parts: string[]): string => parts.filter((p) => p !== '').join(' ');

const table = (name: string, fn: (v: 4 | 6, rule: Omit<Rule, 'action'>, match: string) => void): void => {
  RULE_TEST_DATA.forEach(([desc, v, rule, match], i) => {
    test(`policy_test.go ${name}: ruleTestData[${i}] ${desc} (IPv${v})`, () => fn(v, rule, match));
  });
};

table('Allow rules should be correctly rendered', (v, rule, match) => {
  const want = [join(match, '--jump MARK --set-mark 0x80/0x80'), '-m mark --mark 0x80/0x80 --jump RETURN'];
  assert.deepEqual(render({ ...rule, action: '' }, v), want);
  // Explicit allow should be treated the same as empty.
  assert.deepEqual(render({ ...rule, action: 'allow' }, v), want);
});

table('pass rules should be correctly rendered', (v, rule, match) => {
  for (const action of ['next-tier', 'pass'])
    assert.deepEqual(render({ ...rule, action }, v), [
      join(match, '--jump MARK --set-mark 0x100/0x100'),
      '-m mark --mark 0x100/0x100 --jump RETURN',
    ]);
});

const logAction = (prefix: string): string => `--jump LOG --log-prefix "${prefix}: " --log-level 5`;
table('Log rules should be correctly rendered', (v, rule, match) => {
  assert.deepEqual(render({ ...rule, action: 'log' }, v), [join(match, logAction('calico-packet'))]);
});

table('Log rules should be correctly rendered with non-default prefix', (v, rule, match) => {
  assert.deepEqual(render({ ...rule, action: 'log' }, v, { logPrefix: 'foobar' }), [
    join(match, logAction('foobar')),
  ]);
});

table('Log rules should be correctly rendered with specifiers in prefix', (v, rule, match) => {
  const r = { ...rule, action: 'log' };
  assert.deepEqual(render(r, v, { logPrefix: 'foobar %t %k %p %n - %n %p %k %t' }), [
    join(
      match,
      logAction('foobar default gnp default.foo default.foo - default.foo default.foo gnp default'),
    ),
  ]);
  // A Calico NetworkPolicy app/foo in tier admin.
  const cnp = { kindShort: 'np', name: 'foo', namespace: 'app', tier: 'admin' };
  assert.deepEqual(render(r, v, { logPrefix: 'calico-packet %k:%p:%t:%n' }, cnp), [
    join(match, logAction('calico-packet np:app/foo:admin:foo')),
  ]);
  // A profile: no tier. Felix expects Sprintf("...:%%%%y%s%%%s", ...), i.e. "%%y" kept and "%%n" -> "%" + name.
  const prof = { kindShort: 'pro', name: 'profile1', namespace: '', tier: '' };
  assert.deepEqual(render(r, v, { logPrefix: 'calico-packet %p:%k:%%y%t%%n' }, prof), [
    join(match, logAction('calico-packet profile1:pro:%%y%profile1')),
  ]);
});

table('Log rules should be correctly rendered with rate limits', (v, rule, match) => {
  const r = { ...rule, action: 'log' };
  const over = { logPrefix: 'foobar', logRateLimit: '50/minute' };
  assert.deepEqual(render(r, v, over), [join('-m limit --limit 50/minute', match, logAction('foobar'))]);
  assert.deepEqual(render(r, v, { ...over, logRateLimitBurst: 90 }), [
    join('-m limit --limit 50/minute --limit-burst 90', match, logAction('foobar')),
  ]);
});

const denyRules = (match: string, target = 'DROP'): string[] => [
  join(match, '--jump MARK --set-mark 0x800/0x800'),
  `-m mark --mark 0x800/0x800 --jump ${target}`,
];
table('Deny (DROP) rules should be correctly rendered', (v, rule, match) => {
  assert.deepEqual(render({ ...rule, action: 'deny' }, v), denyRules(match));
});

table('Deny (REJECT) rules should be correctly rendered', (v, rule, match) => {
  assert.deepEqual(
    render({ ...rule, action: 'deny' }, v, { denyAction: act.reject() }),
    denyRules(match, 'REJECT'),
  );
});

/** PolicyToIptablesChains: the chain comment goes on the first rule (felix/rules/policy.go). */
function withComment(rules: string[], c: string): string[] {
  const [first, ...rest] = rules;
  return [first === undefined ? comment(c) : `${comment(c)} ${first}`, ...rest];
}
table('Inbound deny rules should be correctly rendered within a policy', (v, rule, match) => {
  const chains = policyChains(FOO_ID, [{ ...rule, action: 'deny' }], [], 'default', ctxFor(v));
  assert.deepEqual(
    chains.map((c) => c.name),
    ['cali-pi-gnp/default.foo', 'cali-po-gnp/default.foo'],
  );
  assert.deepEqual(irText(chains), {
    'cali-pi-gnp/default.foo': withComment(denyRules(match), 'GlobalNetworkPolicy default.foo ingress'),
    'cali-po-gnp/default.foo': [comment('GlobalNetworkPolicy default.foo egress')],
  });
});

table('Outbound deny rules should be correctly rendered within a policy', (v, rule, match) => {
  const chains = policyChains(FOO_ID, [], [{ ...rule, action: 'deny' }], 'default', ctxFor(v));
  assert.deepEqual(irText(chains), {
    'cali-pi-gnp/default.foo': [comment('GlobalNetworkPolicy default.foo ingress')],
    'cali-po-gnp/default.foo': withComment(denyRules(match), 'GlobalNetworkPolicy default.foo egress'),
  });
});

// Staged policies: PolicyToIptablesChains returns no chains. felix-ts skips them when building the tables, so
// the fact is checked on a compiled filter table: a staged policy "staged:default.foo" gets no chain.
function stagedChains(v: 4 | 6, inbound: Rule[], outbound: Rule[]): string[] {
  const staged: PolicyID = { kind: 'sgnp', namespace: '', name: 'staged:default.foo' };
  const msg: ToDataplane = {
    kind: 'activePolicyUpdate',
    id: staged,
    policy: { tier: 'default', inboundRules: inbound, outboundRules: outbound },
  };
  const st = new DataplaneState();
  assert.deepEqual(st.applyAll([msg]), []);
  const t = compile(st, defaultCompilerConfig({ ipv6Support: v === 6 })).tables.find(
    (x) => x.table === 'filter' && x.family === v,
  );
  assert.ok(t);
  return [...t.chains.keys()].filter((n) => n.startsWith('cali-pi-') || n.startsWith('cali-po-'));
}
for (const [dir, action] of [
  ['Inbound', 'deny'],
  ['Outbound', 'deny'],
  ['Inbound', 'allow'],
  ['Outbound', 'allow'],
] as const) {
  table(`${dir} ${action} rules should be correctly rendered within a staged policy`, (v, rule) => {
    const r = { ...rule, action };
    assert.deepEqual(stagedChains(v, dir === 'Inbound' ? [r] : [], dir === 'Inbound' ? [] : [r]), []);
  });
}

// ---- CIDR split tests ----
const C = {
  clearBothMarksRule: '-A test --jump MARK --set-mark 0x0/0x600',
  preSetAllBlocksMarkRule: '-A test --jump MARK --set-mark 0x200/0x600',
  allowIfAllMarkRule: '-A test -m mark --mark 0x200/0x200 --jump MARK --set-mark 0x80/0x80',
  allowIfAllMarkAndTCPRule: '-A test -p tcp -m mark --mark 0x200/0x200 --jump MARK --set-mark 0x80/0x80',
  allowIfAllMarkAndUDPRule: '-A test -p udp -m mark --mark 0x200/0x200 --jump MARK --set-mark 0x80/0x80',
  returnRule: '-A test -m mark --mark 0x80/0x80 --jump RETURN',
  allBlocksPassAndEqThisBlockPassRule: '-A test -m mark --mark 0/0x400 --jump MARK --set-mark 0/0x200',
};
const appendLines = (rule: Rule): string[] =>
  renderCalicoRule(rule, ctxFor(4), FOO).map((r) => `-A test ${renderBody(r)}`);

const CIDR_SPLIT: ReadonlyArray<readonly [number, number, number, number, string[]]> = [
  [
    2,
    0,
    0,
    0,
    [
      C.clearBothMarksRule,
      '-A test --source 10.0.0.0/24 --jump MARK --set-mark 0x200/0x200',
      '-A test --source 10.0.1.0/24 --jump MARK --set-mark 0x200/0x200',
      C.allowIfAllMarkRule,
      C.returnRule,
    ],
  ],
  [
    0,
    2,
    0,
    0,
    [
      C.preSetAllBlocksMarkRule,
      '-A test --source 11.0.0.0/24 --jump MARK --set-mark 0/0x200',
      '-A test --source 11.0.1.0/24 --jump MARK --set-mark 0/0x200',
      C.allowIfAllMarkRule,
      C.returnRule,
    ],
  ],
  [
    0,
    0,
    2,
    0,
    [
      C.clearBothMarksRule,
      '-A test --destination 12.0.0.0/24 --jump MARK --set-mark 0x200/0x200',
      '-A test --destination 12.0.1.0/24 --jump MARK --set-mark 0x200/0x200',
      C.allowIfAllMarkRule,
      C.returnRule,
    ],
  ],
  [
    0,
    0,
    0,
    2,
    [
      C.preSetAllBlocksMarkRule,
      '-A test --destination 13.0.0.0/24 --jump MARK --set-mark 0/0x200',
      '-A test --destination 13.0.1.0/24 --jump MARK --set-mark 0/0x200',
      C.allowIfAllMarkRule,
      C.returnRule,
    ],
  ],
  [
    1,
    1,
    0,
    0,
    [
      C.preSetAllBlocksMarkRule,
      '-A test --source 11.0.0.0/24 --jump MARK --set-mark 0/0x200',
      '-A test --source 10.0.0.0/24 -m mark --mark 0x200/0x200 --jump MARK --set-mark 0x80/0x80',
      C.returnRule,
    ],
  ],
  [
    2,
    1,
    0,
    0,
    [
      C.clearBothMarksRule,
      '-A test --source 10.0.0.0/24 --jump MARK --set-mark 0x200/0x200',
      '-A test --source 10.0.1.0/24 --jump MARK --set-mark 0x200/0x200',
      '-A test ! --source 11.0.0.0/24 -m mark --mark 0x200/0x200 --jump MARK --set-mark 0x80/0x80',
      C.returnRule,
    ],
  ],
  [
    0,
    0,
    1,
    1,
    [
      C.preSetAllBlocksMarkRule,
      '-A test --destination 13.0.0.0/24 --jump MARK --set-mark 0/0x200',
      '-A test --destination 12.0.0.0/24 -m mark --mark 0x200/0x200 --jump MARK --set-mark 0x80/0x80',
      C.returnRule,
    ],
  ],
  [
    0,
    0,
    2,
    1,
    [
      C.clearBothMarksRule,
      '-A test --destination 12.0.0.0/24 --jump MARK --set-mark 0x200/0x200',
      '-A test --destination 12.0.1.0/24 --jump MARK --set-mark 0x200/0x200',
      '-A test ! --destination 13.0.0.0/24 -m mark --mark 0x200/0x200 --jump MARK --set-mark 0x80/0x80',
      C.returnRule,
    ],
  ],
  [
    1,
    1,
    1,
    1,
    [
      C.preSetAllBlocksMarkRule,
      '-A test --source 11.0.0.0/24 --jump MARK --set-mark 0/0x200',
      '-A test --destination 13.0.0.0/24 --jump MARK --set-mark 0/0x200',
      '-A test --source 10.0.0.0/24 --destination 12.0.0.0/24 -m mark --mark 0x200/0x200 --jump MARK --set-mark 0x80/0x80',
      C.returnRule,
    ],
  ],
  [
    2,
    2,
    2,
    2,
    [
      C.clearBothMarksRule,
      '-A test --source 10.0.0.0/24 --jump MARK --set-mark 0x200/0x200',
      '-A test --source 10.0.1.0/24 --jump MARK --set-mark 0x200/0x200',
      '-A test --destination 12.0.0.0/24 --jump MARK --set-mark 0x400/0x400',
      '-A test --destination 12.0.1.0/24 --jump MARK --set-mark 0x400/0x400',
      C.allBlocksPassAndEqThisBlockPassRule,
      '-A test --source 11.0.0.0/24 --jump MARK --set-mark 0/0x200',
      '-A test --source 11.0.1.0/24 --jump MARK --set-mark 0/0x200',
      '-A test --destination 13.0.0.0/24 --jump MARK --set-mark 0/0x200',
      '-A test --destination 13.0.1.0/24 --jump MARK --set-mark 0/0x200',
      C.allowIfAllMarkRule,
      C.returnRule,
    ],
  ],
];
for (const [ns, nns, nd, nnd, want] of CIDR_SPLIT) {
  test(`policy_test.go CIDR split tests: ${ns} src, ${nns} !src, ${nd} dst, ${nnd} !dst`, () => {
    const rule: Rule = {
      action: 'allow',
      srcNet: ['10.0.0.0/24', '10.0.1.0/24'].slice(0, ns),
      notSrcNet: ['11.0.0.0/24', '11.0.1.0/24'].slice(0, nns),
      dstNet: ['12.0.0.0/24', '12.0.1.0/24'].slice(0, nd),
      notDstNet: ['13.0.0.0/24', '13.0.1.0/24'].slice(0, nnd),
    };
    assert.deepEqual(appendLines(rule), want);
  });
}

NAMED_PORT_ENTRIES(C).forEach(([desc, rule, want], i) => {
  test(`policy_test.go Named port tests[${i}]: ${desc}`, () => {
    // The table's rules have no action (allow).
    assert.deepEqual(appendLines({ ...rule, action: '' }), want);
  });
});

FILTERED_RULE_TEST_DATA.forEach(([desc, v, rule], i) => {
  test(`policy_test.go Rules with catch-all negated CIDRs should be filtered out[${i}]: ${desc}`, () => {
    assert.deepEqual(render({ ...rule, action: '' }, v), []);
  });
});

PORT_SPLIT_ENTRIES.forEach(([desc, input, want]) => {
  test(`policy_test.go Port split tests: ${desc}`, () => {
    assert.deepEqual(splitPortList(input), want);
  });
});

// ---- Context("with default renderer"): ProtoRulesToIptablesRules without chain comments gives nothing ----
const SKIPS: ReadonlyArray<readonly [string, Rule, 4 | 6]> = [
  ['should skip rules of incorrect IP version', { action: '', ipVersion: 4 }, 6],
  ['should skip with mixed source CIDR matches (v4 net, IPv6)', { action: '', srcNet: ['10.0.0.1'] }, 6],
  ['should skip with mixed source CIDR matches (v6 net, IPv4)', { action: '', srcNet: ['feed::beef'] }, 4],
  ['should skip with mixed dest CIDR matches (v4 net, IPv6)', { action: '', dstNet: ['10.0.0.1'] }, 6],
  ['should skip with mixed dest CIDR matches (v6 net, IPv4)', { action: '', dstNet: ['feed::beef'] }, 4],
  [
    'should skip with mixed negated source CIDR matches (v4, IPv6)',
    { action: '', notSrcNet: ['10.0.0.1'] },
    6,
  ],
  [
    'should skip with mixed negated source CIDR matches (v6, IPv4)',
    { action: '', notSrcNet: ['feed::beef'] },
    4,
  ],
  ['should skip with mixed negated dest CIDR matches (v4, IPv6)', { action: '', notDstNet: ['10.0.0.1'] }, 6],
  [
    'should skip with mixed negated dest CIDR matches (v6, IPv4)',
    { action: '', notDstNet: ['feed::beef'] },
    4,
  ],
];
for (const [name, rule, v] of SKIPS) {
  test(`policy_test.go with default renderer: ${name}`, () => {
    assert.deepEqual(render(rule, v), []);
  });
}

// ---- Describe("rule metadata tests") ----
const META: Rule = {
  action: '',
  metadata: { annotations: { testkey00: 'testvalue00', testkey01: 'testvalue01' } },
  protocol: { name: 'tcp' },
};
for (const v of [4, 6] as const) {
  test(`policy_test.go rule metadata tests: IPv${v} should include annotations in comments`, () => {
    const rules = renderCalicoRule(META, ctxFor(v), FOO);
    assert.equal(rules.length, 2);
    for (const r of rules) assert.deepEqual(r.comments, ['testkey00=testvalue00', 'testkey01=testvalue01']);
  });
}

test('policy_test.go rule metadata tests: should include a chain name comment with a policy', () => {
  const id: PolicyID = { kind: 'gnp', namespace: '', name: 'long-policy-name-that-gets-hashed' };
  assert.deepEqual(irText(policyChains(id, [{ action: 'allow' }], [], 'default', ctxFor(4))), {
    'cali-pi-_PymyFHQQg3808jiz1OJ': [
      `${comment('GlobalNetworkPolicy long-policy-name-that-gets-hashed ingress')} --jump MARK --set-mark 0x80/0x80`,
    ],
    'cali-po-_PymyFHQQg3808jiz1OJ': [comment('GlobalNetworkPolicy long-policy-name-that-gets-hashed egress')],
  });
});

test('policy_test.go rule metadata tests: should include a chain name comment with a profile', () => {
  assert.deepEqual(
    irText(profileChains('long-policy-name-that-gets-hashed', [{ action: 'allow' }], [], ctxFor(4))),
    {
      'cali-pri-_ffOMcf6pikpiZ6hgKc': [
        `${comment('Profile long-policy-name-that-gets-hashed ingress')} --jump MARK --set-mark 0x80/0x80`,
      ],
      'cali-pro-_ffOMcf6pikpiZ6hgKc': [comment('Profile long-policy-name-that-gets-hashed egress')],
    },
  );
});

test('policy_test.go: ProtoRulesToIptablesRules strips the trailing RETURN and keeps the comment', () => {
  // The chain-comment path used by the two tests above, on its own.
  assert.deepEqual(renderRuleList([{ action: 'allow' }], ctxFor(4), FOO, 'c').map(renderBody), [
    `${comment('c')} --jump MARK --set-mark 0x80/0x80`,
  ]);
});
