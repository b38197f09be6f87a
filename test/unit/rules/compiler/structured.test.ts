// Structured compiler output (issue 11 item 2): a rendered rule carries the IP sets it matches and the
// source rule it came from as data, a chain its comment and source. The checks compare that data with
// the rendered text, which the compiler itself never parses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DataplaneState,
  compileWithReport,
  defaultCompilerConfig,
} from '../../../../rules/compiler/index.js';
import type { PolicyID, ToDataplane } from '../../../../rules/dataplane-api/types.js';
import type { Chain, SetMatch } from '../../../../rules/model.js';
import { generateMessages } from '../../../../bench/compile-input.js';

function setText(s: SetMatch): string {
  const dirs = s.withPort ? `${s.dir},${s.dir}` : s.dir;
  return `-m set ${s.negated ? '! ' : ''}--match-set ${s.name} ${dirs}`;
}

/** The test's own reading of a body: every IP-set match in order. */
function setsInBody(body: string): string[] {
  return [...body.matchAll(/-m set (?:! )?--match-set \S+ (?:src|dst)(?:,src|,dst)?/g)].map((x) => x[0]);
}

test('bench input: every rule lists exactly the IP sets its body matches, in order', () => {
  const st = new DataplaneState();
  assert.deepEqual(
    st.applyAll(generateMessages({ endpoints: 60, policies: 20, policiesPerEndpoint: 5 })),
    [],
  );
  const { desired } = compileWithReport(st, defaultCompilerConfig({ ipv6Support: true }));
  let withSets = 0;
  for (const t of desired.tables) {
    for (const c of t.chains.values()) {
      for (const r of c.rules) {
        assert.deepEqual((r.sets ?? []).map(setText), setsInBody(r.body), `${c.name}: ${r.body}`);
        for (const s of r.sets ?? []) assert.ok(desired.ipsets.has(s.name), s.name);
        if (r.sets) withSets++;
      }
    }
  }
  assert.ok(withSets > 100, `only ${withSets} rules match IP sets`);
});

const POL: PolicyID = { kind: 'gnp', namespace: '', name: 'default.sets' };

function state(extra: ToDataplane[] = []): DataplaneState {
  const msgs: ToDataplane[] = [
    { kind: 'ipsetUpdate', id: 's:known', type: 2, members: ['192.0.2.0/24', '2001:db8::/64'] },
    {
      kind: 'activePolicyUpdate',
      id: POL,
      policy: {
        tier: 'default',
        inboundRules: [
          { action: 'allow', srcIpSetIds: ['s:known'], notDstIpSetIds: ['s:gone'], ruleId: 'r0' },
          {
            action: 'deny',
            protocol: { name: 'tcp' },
            dstNamedPortIpSetIds: ['n:missing'],
            dstPorts: [
              { first: 1, last: 1 },
              { first: 3, last: 3 },
            ],
            ruleId: 'r1',
          },
        ],
        outboundRules: [{ action: 'allow', ruleId: 'e0' }],
      },
    },
    {
      kind: 'workloadEndpointUpdate',
      id: { orchestratorId: 'k8s', workloadId: 'a/pod', endpointId: 'eth0' },
      endpoint: {
        state: 'active',
        name: 'cali12345',
        profileIds: [],
        ipv4Nets: ['10.65.0.9/32'],
        ipv6Nets: [],
        tiers: [{ name: 'default', ingressPolicies: [POL], egressPolicies: [POL] }],
      },
    },
    ...extra,
    { kind: 'inSync' },
  ];
  const s = new DataplaneState();
  assert.deepEqual(s.applyAll(msgs), []);
  return s;
}

function chain(desired: ReturnType<typeof compileWithReport>['desired'], fam: number, name: string): Chain {
  const t = desired.tables.find((x) => x.family === fam);
  const c = t?.chains.get(name);
  assert.ok(c, `${name} v${fam}`);
  return c;
}

test('a referenced IP set the calc graph did not send is programmed empty with the type its match needs', () => {
  const { desired, warnings } = compileWithReport(state(), defaultCompilerConfig({ ipv6Support: true }));
  for (const fam of [4, 6] as const) {
    const gone = desired.ipsets.get(`cali${fam}0s:gone`);
    const missing = desired.ipsets.get(`cali${fam}0n:missing`);
    assert.deepEqual(gone && { type: gone.type, family: gone.family, n: gone.members.size }, {
      type: 'hash:net',
      family: fam,
      n: 0,
    });
    assert.deepEqual(missing && { type: missing.type, family: missing.family, n: missing.members.size }, {
      type: 'hash:ip,port',
      family: fam,
      n: 0,
    });
  }
  assert.equal(desired.ipsets.get('cali40s:known')?.members.size, 1);
  assert.deepEqual(
    warnings.filter((w) => w.startsWith('IP set')),
    [
      'IP set cali40s:gone is referenced but not known; programmed empty',
      'IP set cali40n:missing is referenced but not known; programmed empty',
      'IP set cali60s:gone is referenced but not known; programmed empty',
      'IP set cali60n:missing is referenced but not known; programmed empty',
    ],
  );
  const pi = chain(desired, 4, 'cali-pi-gnp/default.sets');
  const negated = pi.rules.flatMap((r) => r.sets ?? []).find((s) => s.name === 'cali40s:gone');
  assert.deepEqual(negated, { name: 'cali40s:gone', dir: 'dst', withPort: false, negated: true });
});

test('policy chains carry their source; each rule names the policy, direction and rule index', () => {
  const st = state();
  const { desired } = compileWithReport(st, defaultCompilerConfig({ ipv6Support: false }));
  const entry = [...st.policies.values()][0];
  for (const [name, dir, rules] of [
    ['cali-pi-gnp/default.sets', 'ingress', entry?.policy.inboundRules],
    ['cali-po-gnp/default.sets', 'egress', entry?.policy.outboundRules],
  ] as const) {
    const c = chain(desired, 4, name);
    assert.deepEqual(c.source && { ...c.source, rules: undefined }, {
      kind: 'policy',
      id: 'gnp/default.sets',
      direction: dir,
      rules: undefined,
    });
    assert.equal(c.source?.rules, rules, 'the source rules are the state entry, not a copy');
    assert.equal(c.comment, `GlobalNetworkPolicy default.sets ${dir}`);
    for (const r of c.rules) {
      assert.deepEqual(r.source && { ...r.source, index: 0 }, {
        kind: 'policy',
        id: 'gnp/default.sets',
        direction: dir,
        index: 0,
      });
    }
  }
  // Ingress: the allow is a mark and a return; the deny (a port list and a named-port set) is a port
  // block (initial mark, the multiport rule, the set rule), its verdict mark and its drop.
  const pi = chain(desired, 4, 'cali-pi-gnp/default.sets');
  assert.deepEqual(
    pi.rules.map((r) => r.source?.index),
    [0, 0, 1, 1, 1, 1, 1],
  );
  // Endpoint chains have a source but their rules do not; static chains have neither.
  const tw = chain(desired, 4, 'cali-tw-cali12345');
  assert.deepEqual(tw.source, { kind: 'workload-endpoint', id: 'cali12345', direction: 'ingress' });
  assert.ok(tw.rules.every((r) => r.source === undefined));
  assert.equal(chain(desired, 4, 'cali-FORWARD').source, undefined);
});
