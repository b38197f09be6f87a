// Conformance: felix/rules/dispatch_test.go (Calico v3.32.1). The workload table is checked on the compiled
// filter table (kubeIPVSEnabled=false: the endpoint-mark chains of the IPVS half are not rendered by felix-ts,
// see README.md); the four host-endpoint tables on hostDispatchChains, the port of Felix's hostDispatchChains
// that the filter, mangle and raw tables use, and then on the compiled tables, so each table's dispatch is the
// one felix/dataplane/linux/endpoint_mgr.go builds for it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TierInfo, ToDataplane } from '../../rules/dataplane-api/types.js';
import { DataplaneState, compile, defaultCompilerConfig } from '../../rules/compiler/index.js';
import { hostDispatchChains } from '../../rules/compiler/host-dispatch.js';
import type { HostDispatchSpec } from '../../rules/compiler/host-dispatch.js';
import {
  comment,
  gotoRule,
  hep,
  inboundGotoRule,
  irNames,
  irText,
  outboundGotoRule,
  tableText,
  wep,
  type ChainText,
} from './helpers.js';

const expDropRule = `${comment('Unknown interface')} --jump DROP`;

// dispatch_test.go "workload rendering tests", kubeIPVSEnabled=false: [entry, names, chains in order].
const WORKLOAD_ENTRIES: ReadonlyArray<
  readonly [string, string[] | null, ReadonlyArray<readonly [string, string[]]>]
> = [
  [
    'nil map',
    null,
    [
      ['cali-from-wl-dispatch', [expDropRule]],
      ['cali-to-wl-dispatch', [expDropRule]],
    ],
  ],
  [
    'single interface',
    ['cali1234'],
    [
      ['cali-from-wl-dispatch', [inboundGotoRule('cali1234', 'cali-fw-cali1234'), expDropRule]],
      ['cali-to-wl-dispatch', [outboundGotoRule('cali1234', 'cali-tw-cali1234'), expDropRule]],
    ],
  ],
  [
    'interfaces sharing prefix',
    ['cali1234', 'cali2333', 'cali2444'],
    [
      [
        'cali-from-wl-dispatch-2',
        [
          inboundGotoRule('cali2333', 'cali-fw-cali2333'),
          inboundGotoRule('cali2444', 'cali-fw-cali2444'),
          expDropRule,
        ],
      ],
      [
        'cali-from-wl-dispatch',
        [
          inboundGotoRule('cali1234', 'cali-fw-cali1234'),
          inboundGotoRule('cali2+', 'cali-from-wl-dispatch-2'),
          expDropRule,
        ],
      ],
      [
        'cali-to-wl-dispatch-2',
        [
          outboundGotoRule('cali2333', 'cali-tw-cali2333'),
          outboundGotoRule('cali2444', 'cali-tw-cali2444'),
          expDropRule,
        ],
      ],
      [
        'cali-to-wl-dispatch',
        [
          outboundGotoRule('cali1234', 'cali-tw-cali1234'),
          outboundGotoRule('cali2+', 'cali-to-wl-dispatch-2'),
          expDropRule,
        ],
      ],
    ],
  ],
  [
    'Multiple interfaces sharing multiple prefixes',
    ['cali11', 'cali12', 'cali13', 'cali21', 'cali22'],
    [
      [
        'cali-from-wl-dispatch-1',
        [
          inboundGotoRule('cali11', 'cali-fw-cali11'),
          inboundGotoRule('cali12', 'cali-fw-cali12'),
          inboundGotoRule('cali13', 'cali-fw-cali13'),
          expDropRule,
        ],
      ],
      [
        'cali-from-wl-dispatch-2',
        [
          inboundGotoRule('cali21', 'cali-fw-cali21'),
          inboundGotoRule('cali22', 'cali-fw-cali22'),
          expDropRule,
        ],
      ],
      [
        'cali-from-wl-dispatch',
        [
          inboundGotoRule('cali1+', 'cali-from-wl-dispatch-1'),
          inboundGotoRule('cali2+', 'cali-from-wl-dispatch-2'),
          expDropRule,
        ],
      ],
      [
        'cali-to-wl-dispatch-1',
        [
          outboundGotoRule('cali11', 'cali-tw-cali11'),
          outboundGotoRule('cali12', 'cali-tw-cali12'),
          outboundGotoRule('cali13', 'cali-tw-cali13'),
          expDropRule,
        ],
      ],
      [
        'cali-to-wl-dispatch-2',
        [
          outboundGotoRule('cali21', 'cali-tw-cali21'),
          outboundGotoRule('cali22', 'cali-tw-cali22'),
          expDropRule,
        ],
      ],
      [
        'cali-to-wl-dispatch',
        [
          outboundGotoRule('cali1+', 'cali-to-wl-dispatch-1'),
          outboundGotoRule('cali2+', 'cali-to-wl-dispatch-2'),
          expDropRule,
        ],
      ],
    ],
  ],
  [
    'duplicate interface',
    ['cali1234', 'cali1234'],
    [
      ['cali-from-wl-dispatch', [inboundGotoRule('cali1234', 'cali-fw-cali1234'), expDropRule]],
      ['cali-to-wl-dispatch', [outboundGotoRule('cali1234', 'cali-tw-cali1234'), expDropRule]],
    ],
  ],
];

function filterV4(msgs: ToDataplane[]) {
  const st = new DataplaneState();
  assert.deepEqual(st.applyAll(msgs), []);
  const t = compile(st, defaultCompilerConfig({ ipv6Support: false })).tables.find(
    (x) => x.table === 'filter',
  );
  assert.ok(t);
  return t;
}

for (const [entry, names, chains] of WORKLOAD_ENTRIES) {
  test(`dispatch_test.go workload rendering tests: ${entry}`, () => {
    // The renderer only looks at the names; each endpoint gets its own workload ID (dispatch_test.go).
    const t = filterV4((names ?? []).map((n, i) => wep(n, {}, `workload-${i}`)));
    assert.deepEqual(
      tableText(t, 'cali-from-wl-dispatch', 'cali-to-wl-dispatch'),
      Object.fromEntries(chains),
    );
  });
}

test('dispatch_test.go "should panic if interface name is empty": the endpoint is refused before rendering', () => {
  const errors = new DataplaneState().applyAll([wep('', {}, 'workload')]);
  assert.equal(errors.length, 1);
  assert.equal(errors[0]?.code, 'ERR_BAD_INTERFACE_NAME');
});

// The host-endpoint tables: each entry's names, and the expected chains per table as a function of them.
const HEP_NAMES: ReadonlyArray<readonly [string, string[] | null]> = [
  ['nil map', null],
  ['single interface', ['eth1234']],
  ['interfaces sharing prefix', ['eth1234', 'eth2333', 'eth2444']],
  ['Multiple interfaces sharing multiple prefixes', ['eth11', 'eth12', 'eth13', 'eth21', 'eth22']],
];

type Pair = readonly [string, string[]];

/**
 * One dispatch root and its children exactly as listed in dispatch_test.go for the given names: for "eth1234"
 * alone one root rule; for the shared-prefix entries the child chains first, each ending with the end rules.
 */
function expectedDispatch(
  entry: string,
  root: string,
  endpointPrefix: string,
  dir: 'in' | 'out',
  end: string[],
): Pair[] {
  const g = dir === 'in' ? inboundGotoRule : outboundGotoRule;
  const ep = (i: string): string => g(i, endpointPrefix + i);
  switch (entry) {
    case 'nil map':
      return [[root, [...end]]];
    case 'single interface':
      return [[root, [ep('eth1234'), ...end]]];
    case 'interfaces sharing prefix':
      return [
        [`${root}-2`, [ep('eth2333'), ep('eth2444'), ...end]],
        [root, [ep('eth1234'), g('eth2+', `${root}-2`), ...end]],
      ];
    default:
      return [
        [`${root}-1`, [ep('eth11'), ep('eth12'), ep('eth13'), ...end]],
        [`${root}-2`, [ep('eth21'), ep('eth22'), ...end]],
        [root, [g('eth1+', `${root}-1`), g('eth2+', `${root}-2`), ...end]],
      ];
  }
}

type Root = readonly [string, string, 'in' | 'out'];
const FROM: Root = ['cali-from-host-endpoint', 'cali-fh-', 'in'];
const TO: Root = ['cali-to-host-endpoint', 'cali-th-', 'out'];
const FROM_FWD: Root = ['cali-from-hep-forward', 'cali-fhfw-', 'in'];
const TO_FWD: Root = ['cali-to-hep-forward', 'cali-thfw-', 'out'];

// The four host-endpoint DescribeTables: the felix-ts call, and the roots in the order Felix returns them.
const HEP_TABLES: ReadonlyArray<
  readonly [string, Omit<HostDispatchSpec, 'names'>, ReadonlyArray<readonly [Root, string[]]>]
> = [
  [
    'preDNAT: FromHostDispatchChains(input, "")',
    { directions: 'from', applyOnForward: false, workloadPrefixes: ['cali', 'tap'] },
    [[FROM, []]],
  ],
  [
    'untracked: HostDispatchChains(input, "", false)',
    { directions: 'to+from', applyOnForward: false, workloadPrefixes: ['cali', 'tap'] },
    [
      [FROM, []],
      [TO, []],
    ],
  ],
  [
    'apply on forward: HostDispatchChains(input, "", true)',
    { directions: 'to+from', applyOnForward: true, workloadPrefixes: ['cali', 'tap'] },
    [
      [FROM, []],
      [TO, []],
      [FROM_FWD, []],
      [TO_FWD, []],
    ],
  ],
  [
    'apply on forward, with default interface name: HostDispatchChains(input, "eth-default", true)',
    {
      defaultIface: 'eth-default',
      directions: 'to+from',
      applyOnForward: true,
      workloadPrefixes: ['cali', 'tap'],
    },
    [
      [FROM, [gotoRule('cali-fh-eth-default')]],
      [TO, [gotoRule('cali-th-eth-default')]],
      [FROM_FWD, [gotoRule('cali-fhfw-eth-default')]],
      [TO_FWD, [gotoRule('cali-thfw-eth-default')]],
    ],
  ],
];

for (const [table, spec, roots] of HEP_TABLES) {
  for (const [entry, names] of HEP_NAMES) {
    test(`dispatch_test.go host endpoint rendering tests ${table}: ${entry}`, () => {
      const chains = hostDispatchChains({ ...spec, names: names ?? [] });
      const expected = roots.flatMap(([[root, prefix, dir], end]) =>
        expectedDispatch(entry, root, prefix, dir, end),
      );
      assert.deepEqual(
        irNames(chains),
        expected.map(([n]) => n),
      );
      assert.deepEqual(irText(chains), Object.fromEntries(expected));
    });
  }
}

// Per table (issue 16 item 4): the dispatch each compiled table really has, with a wildcard host endpoint
// ("any-interface-at-all", felix/dataplane/linux/endpoint_mgr.go allInterfaces) next to eth1234.
const tier: TierInfo = { name: 'default', ingressPolicies: [], egressPolicies: [] };
function tables(): Map<string, ReturnType<typeof filterV4>> {
  const st = new DataplaneState();
  const msgs: ToDataplane[] = [
    hep('wild', { name: '*', tiers: [tier], preDnatTiers: [tier] }),
    hep('eth', { name: 'eth1234', tiers: [tier], untrackedTiers: [tier] }),
  ];
  assert.deepEqual(st.applyAll(msgs), []);
  const cfg = defaultCompilerConfig({ ipv6Support: false, interfacePrefixes: ['cali', 'tap'] });
  return new Map(compile(st, cfg).tables.map((t) => [t.table, t]));
}
const WILD = 'any-interface-at-all';
test('per table: filter has the apply-on-forward dispatch (no "Skip egress WHEP" rules)', () => {
  const t = tables().get('filter');
  assert.ok(t);
  const got: ChainText = tableText(
    t,
    'cali-from-host-endpoint',
    'cali-to-host-endpoint',
    'cali-from-hep-forward',
    'cali-to-hep-forward',
  );
  const want = irText(
    hostDispatchChains({
      names: ['eth1234'],
      defaultIface: WILD,
      directions: 'to+from',
      applyOnForward: true,
      workloadPrefixes: [],
    }),
  );
  assert.deepEqual(got, want);
  assert.deepEqual(got['cali-to-host-endpoint'], [
    outboundGotoRule('eth1234', 'cali-th-eth1234'),
    gotoRule('cali-th-any-interface-at-all'),
  ]);
});

test('per table: mangle has FromHostDispatchChains(pre-DNAT) and ToHostDispatchChains(all) with the WHEP skip rules', () => {
  const t = tables().get('mangle');
  assert.ok(t);
  assert.deepEqual(tableText(t, 'cali-from-host-endpoint', 'cali-to-host-endpoint'), {
    // Only the wildcard endpoint has pre-DNAT tiers: it is the default, and no interface is dispatched.
    'cali-from-host-endpoint': [gotoRule('cali-fh-any-interface-at-all')],
    'cali-to-host-endpoint': [
      outboundGotoRule('eth1234', 'cali-th-eth1234'),
      `${comment('Skip egress WHEP policy for traffic to local workload')} --out-interface cali+ --jump RETURN`,
      `${comment('Skip egress WHEP policy for traffic to local workload')} --out-interface tap+ --jump RETURN`,
      gotoRule('cali-th-any-interface-at-all'),
    ],
  });
});

test('per table: raw has HostDispatchChains(untracked, "", false): no default, no end rules', () => {
  const t = tables().get('raw');
  assert.ok(t);
  assert.deepEqual(tableText(t, 'cali-from-host-endpoint', 'cali-to-host-endpoint'), {
    'cali-from-host-endpoint': [inboundGotoRule('eth1234', 'cali-fh-eth1234')],
    'cali-to-host-endpoint': [outboundGotoRule('eth1234', 'cali-th-eth1234')],
  });
});
