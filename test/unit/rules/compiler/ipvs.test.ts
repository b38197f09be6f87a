// kube-proxy IPVS support (rules/compiler/ipvs-chains.ts, epmark.ts, host-ifaces.ts) against Felix v3.32.1's
// own expectations: felix/rules/static_test.go ("with default config and IPVS=true": marks accept 0x10,
// pass 0x20, scratch 0x40/0x80, drop 0x200, endpoint 0xff000, non-Calico 0x1000, NodePorts 30030:30040),
// felix/rules/dispatch_test.go (endpoint 0xff00, non-Calico 0x100, prefixes cali and tap),
// felix/rules/endpoints_test.go (cali-sm-cali1234 sets 0xd400/0xff00) and felix/rules/epmark_test.go (its
// mock hash: the last byte of the name). Felix's Rule structs are written out here as the text Felix's
// renderer prints for them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderBody, act, type IChain } from '../../../../rules/compiler/rule.js';
import type { MarkBits } from '../../../../rules/compiler/marks.js';
import { defaultCompilerConfig } from '../../../../rules/compiler/index.js';
import {
  filterInputChain,
  filterOutputChain,
  type StaticCtx,
} from '../../../../rules/compiler/static-chains.js';
import {
  endpointMarkDispatchChains,
  forwardCheckChain,
  forwardEndpointMarkChain,
  setMarkChain,
} from '../../../../rules/compiler/ipvs-chains.js';
import { EndpointMarkMapper, fnv1_32, mapNumberToMark } from '../../../../rules/compiler/epmark.js';
import {
  excludeMatchers,
  parseLinks,
  parseLocalRoutes,
  type HostInterfaces,
} from '../../../../rules/compiler/host-ifaces.js';
import type { ToDataplane } from '../../../../rules/dataplane-api/types.js';
import { bodies, compiled, hep, stateOf, table } from './hep-fixtures.js';
import { compileWithReport } from '../../../../rules/compiler/compile.js';

/** static_test.go's marks. */
const STATIC_MARKS: MarkBits = {
  accept: 0x10,
  pass: 0x20,
  scratch0: 0x40,
  scratch1: 0x80,
  drop: 0x200,
  wireguard: 0,
  endpoint: 0xff000,
  allCalico: 0xf0,
};

function staticCtx(ipvs: boolean): StaticCtx {
  return {
    cfg: defaultCompilerConfig({ kubeIPVSSupportEnabled: ipvs }),
    family: 4,
    marks: STATIC_MARKS,
    allowAction: act.accept(),
    denyAction: act.drop(),
    denyName: 'Drop',
  };
}

const text = (c: IChain): string[] => c.rules.map(renderBody);

test('cali-INPUT with IPVS: clear the endpoint mark, cali-forward-check, RETURN when marked (static_test.go)', () => {
  assert.deepEqual(text(filterInputChain(staticCtx(true))), [
    '--jump MARK --set-mark 0/0xff000',
    '--jump cali-forward-check',
    '-m mark ! --mark 0/0xff000 --jump RETURN',
    '--in-interface cali+ --goto cali-wl-to-host',
    '-m mark --mark 0x10/0x10 --jump ACCEPT',
    '--jump MARK --set-mark 0/0xf0',
    '--jump cali-from-host-endpoint',
    '-m comment --comment "Host endpoint policy accepted packet." -m mark --mark 0x10/0x10 --jump ACCEPT',
  ]);
  // Without IPVS the first three rules are not there.
  assert.deepEqual(
    text(filterInputChain(staticCtx(false))),
    text(filterInputChain(staticCtx(true))).slice(3),
  );
});

test('cali-OUTPUT with IPVS: marked packets go to cali-forward-endpoint-mark (static_test.go)', () => {
  assert.deepEqual(text(filterOutputChain(staticCtx(true))), [
    '-m mark --mark 0x10/0x10 --jump ACCEPT',
    '-m mark ! --mark 0/0xff000 --goto cali-forward-endpoint-mark',
    '--out-interface cali+ --jump RETURN',
    '--jump MARK --set-mark 0/0xf0',
    '-m conntrack ! --ctstate DNAT --jump cali-to-host-endpoint',
    '-m comment --comment "Host endpoint policy accepted packet." -m mark --mark 0x10/0x10 --jump ACCEPT',
  ]);
  const off = text(filterOutputChain(staticCtx(false)));
  assert.equal(off.length, 5);
  assert.ok(!off.some((r) => r.includes('cali-forward-endpoint-mark')));
});

test('with IPIP and REJECT: the IPVS rules come after the IPIP rules in cali-INPUT, after the accept in cali-OUTPUT', () => {
  const c: StaticCtx = {
    ...staticCtx(true),
    cfg: defaultCompilerConfig({
      kubeIPVSSupportEnabled: true,
      ipipEnabled: true,
      iptablesFilterDenyAction: 'REJECT',
    }),
    denyAction: act.reject(),
    denyName: 'Reject',
  };
  // static_test.go "with IPIP enabled and IPVS=true": expInputChainIPIPV4IPVS, expOutputChainIPIPV4IPVS.
  assert.deepEqual(text(filterInputChain(c)).slice(0, 5), [
    '-m comment --comment "Allow IPIP packets from Calico hosts" -p 4 -m set --match-set cali40all-hosts-net src -m addrtype --dst-type LOCAL --jump ACCEPT',
    '-m comment --comment "Reject IPIP packets from non-Calico hosts" -p 4 --jump REJECT',
    '--jump MARK --set-mark 0/0xff000',
    '--jump cali-forward-check',
    '-m mark ! --mark 0/0xff000 --jump RETURN',
  ]);
  assert.deepEqual(text(filterOutputChain(c)).slice(0, 4), [
    '-m mark --mark 0x10/0x10 --jump ACCEPT',
    '-m mark ! --mark 0/0xff000 --goto cali-forward-endpoint-mark',
    '--out-interface cali+ --jump RETURN',
    '-m comment --comment "Allow IPIP packets to other Calico hosts" -p 4 -m set --match-set cali40all-hosts-net dst -m addrtype --src-type LOCAL --jump ACCEPT',
  ]);
});

test('cali-forward-check: established returns, NodePorts to this-host go to the set-mark dispatch (static_test.go)', () => {
  const ports = [{ first: 30030, last: 30040 }];
  assert.deepEqual(text(forwardCheckChain(4, ports)), [
    '-m conntrack --ctstate RELATED,ESTABLISHED --jump RETURN',
    '-m comment --comment "To kubernetes NodePort service" -p tcp -m multiport --destination-ports 30030:30040 -m set --match-set cali40this-host dst --goto cali-set-endpoint-mark',
    '-m comment --comment "To kubernetes NodePort service" -p udp -m multiport --destination-ports 30030:30040 -m set --match-set cali40this-host dst --goto cali-set-endpoint-mark',
    '-m comment --comment "To kubernetes service" -m set ! --match-set cali40this-host dst --jump cali-set-endpoint-mark',
  ]);
  assert.match(text(forwardCheckChain(6, ports))[1] as string, /cali60this-host dst/);
  // No NodePort ranges: only the first and the last rule.
  assert.equal(forwardCheckChain(4, []).rules.length, 2);
  // More than 15 multiport slots split into several rule pairs (SplitPortList).
  const many = Array.from({ length: 8 }, (_, i) => ({ first: 30000 + 10 * i, last: 30005 + 10 * i }));
  assert.equal(forwardCheckChain(4, many).rules.length, 2 + 2 * 2);
});

test('cali-forward-endpoint-mark (static_test.go)', () => {
  const im = { endpoint: 0xff000, nonCali: 0x1000 };
  assert.deepEqual(text(forwardEndpointMarkChain(im, STATIC_MARKS, ['cali'], act.accept())), [
    '-m mark ! --mark 0x1000/0xff000 --jump cali-from-endpoint-mark',
    '--out-interface cali+ --jump cali-to-wl-dispatch',
    '--jump cali-to-hep-forward',
    '--jump MARK --set-mark 0/0xff000',
    '-m comment --comment "Policy explicitly accepted packet." -m mark --mark 0x10/0x10 --jump ACCEPT',
  ]);
});

// dispatch_test.go
const DISPATCH_IM = { endpoint: 0xff00, nonCali: 0x100 };
const UNKNOWN = [
  '-m comment --comment "Unknown endpoint" --in-interface cali+ --jump DROP',
  '-m comment --comment "Unknown endpoint" --in-interface tap+ --jump DROP',
  '-m comment --comment "Non-Cali endpoint mark" --jump MARK --set-mark 0x100/0xff00',
];
const UNKNOWN_IFACE = '-m comment --comment "Unknown interface" --jump DROP';

function markDispatch(workloads: string[], hostEndpoints: string[] = []): Map<string, string[]> {
  const mapper = new EndpointMarkMapper(DISPATCH_IM.endpoint, DISPATCH_IM.nonCali);
  const d = { workloads, hostEndpoints, prefixes: ['cali', 'tap'], denyAction: act.drop() };
  return new Map(endpointMarkDispatchChains(d, mapper, DISPATCH_IM).map((c) => [c.name, text(c)]));
}

test('endpoint mark dispatch: no endpoints, one, a prefix bin and two bins (dispatch_test.go)', () => {
  assert.deepEqual(
    markDispatch([]),
    new Map([
      ['cali-set-endpoint-mark', UNKNOWN],
      ['cali-from-endpoint-mark', [UNKNOWN_IFACE]],
    ]),
  );
  assert.deepEqual(
    markDispatch(['cali1234']),
    new Map([
      ['cali-set-endpoint-mark', ['--in-interface cali1234 --goto cali-sm-cali1234', ...UNKNOWN]],
      ['cali-from-endpoint-mark', ['-m mark --mark 0xd400/0xff00 --goto cali-fw-cali1234', UNKNOWN_IFACE]],
    ]),
  );
  assert.deepEqual(
    markDispatch(['cali1234', 'cali2333', 'cali2444']),
    new Map([
      [
        'cali-set-endpoint-mark-wep-2',
        [
          '--in-interface cali2333 --goto cali-sm-cali2333',
          '--in-interface cali2444 --goto cali-sm-cali2444',
        ],
      ],
      [
        'cali-set-endpoint-mark',
        [
          '--in-interface cali1234 --goto cali-sm-cali1234',
          '--in-interface cali2+ --goto cali-set-endpoint-mark-wep-2',
          ...UNKNOWN,
        ],
      ],
      [
        'cali-from-endpoint-mark',
        [
          '-m mark --mark 0xd400/0xff00 --goto cali-fw-cali1234',
          '-m mark --mark 0xa700/0xff00 --goto cali-fw-cali2333',
          '-m mark --mark 0x5200/0xff00 --goto cali-fw-cali2444',
          UNKNOWN_IFACE,
        ],
      ],
    ]),
  );
  const two = markDispatch(['cali11', 'cali12', 'cali13', 'cali21', 'cali22']);
  assert.deepEqual(two.get('cali-set-endpoint-mark'), [
    '--in-interface cali1+ --goto cali-set-endpoint-mark-wep-1',
    '--in-interface cali2+ --goto cali-set-endpoint-mark-wep-2',
    ...UNKNOWN,
  ]);
  assert.deepEqual(two.get('cali-set-endpoint-mark-wep-1'), [
    '--in-interface cali11 --goto cali-sm-cali11',
    '--in-interface cali12 --goto cali-sm-cali12',
    '--in-interface cali13 --goto cali-sm-cali13',
  ]);
  // Allocation with collisions: 0x200, 0x300, 0x400 are probes past taken positions.
  assert.deepEqual(two.get('cali-from-endpoint-mark'), [
    '-m mark --mark 0x200/0xff00 --goto cali-fw-cali11',
    '-m mark --mark 0x300/0xff00 --goto cali-fw-cali12',
    '-m mark --mark 0x400/0xff00 --goto cali-fw-cali13',
    '-m mark --mark 0xf700/0xff00 --goto cali-fw-cali21',
    '-m mark --mark 0xf400/0xff00 --goto cali-fw-cali22',
    UNKNOWN_IFACE,
  ]);
});

test('host endpoints: "-hep" child chains after the workloads, from-mark to cali-fhfw- chains', () => {
  const d = markDispatch(['cali1234'], ['eth1', 'eth2']);
  assert.deepEqual(d.get('cali-set-endpoint-mark-hep-1'), undefined);
  assert.deepEqual(d.get('cali-set-endpoint-mark'), [
    '--in-interface cali1234 --goto cali-sm-cali1234',
    '--in-interface eth1 --goto cali-sm-eth1',
    '--in-interface eth2 --goto cali-sm-eth2',
    ...UNKNOWN,
  ]);
  const from = d.get('cali-from-endpoint-mark') as string[];
  assert.match(from[1] as string, /--goto cali-fhfw-eth1$/);
  assert.match(from[2] as string, /--goto cali-fhfw-eth2$/);
  const three = markDispatch([], ['eth10', 'eth11', 'eth2']);
  assert.deepEqual(three.get('cali-set-endpoint-mark-hep-1'), [
    '--in-interface eth10 --goto cali-sm-eth10',
    '--in-interface eth11 --goto cali-sm-eth11',
  ]);
});

test('cali-sm-<iface> sets the endpoint mark (endpoints_test.go); FNV-1 of the name picks it', () => {
  const mapper = new EndpointMarkMapper(0xff00, 0x100);
  assert.deepEqual(text(setMarkChain('cali1234', mapper)), ['--jump MARK --set-mark 0xd400/0xff00']);
  assert.equal(setMarkChain('cali1234', mapper).name, 'cali-sm-cali1234');
  // Go's hash/fnv New32 test vector.
  assert.equal(fnv1_32(''), 0x811c9dc5);
  assert.equal(fnv1_32('a'), 0x050c5d7e);
  assert.equal(mapNumberToMark(0xff000, 1), 0x1000);
  assert.equal(mapNumberToMark(0x700, 8), undefined);
});

test('the mark mapper allocates, collides, fails and releases as epmark_test.go', () => {
  const mock = (name: string): number => (name === '' ? 0 : name.charCodeAt(name.length - 1));
  const run = (steps: string[]): number[] => {
    const mm = new EndpointMarkMapper(0x700, 0x100, mock);
    const out: number[] = [];
    for (const s of steps) {
      if (s.startsWith('x')) mm.release(s.slice(1));
      else out.push(mm.get(s) ?? 0);
    }
    return out;
  };
  assert.deepEqual(
    run(['cali1', 'cali2', 'cali3', 'cali1', 'cali2', 'cali7']),
    [0x200, 0x300, 0x400, 0x200, 0x300, 0x700],
  );
  assert.deepEqual(
    run(['cali1', 'cali6', 'cali3', 'cali11', 'cali22', 'cali33', 'cali8', 'cali9']),
    [0x200, 0x600, 0x300, 0x400, 0x500, 0x700, 0, 0],
  );
  assert.deepEqual(
    run(['cali1', 'cali6', 'cali3', 'xcali1', 'xcali2', 'cali33', 'cali11', 'cali66']),
    [0x200, 0x600, 0x300, 0x400, 0x200, 0x700],
  );
  assert.deepEqual(
    run([
      ...['cali1', 'cali6', 'cali3', 'cali11', 'cali22', 'cali33', 'cali8', 'cali5'],
      ...['xcali3', 'xcali6', 'cali55', 'cali66'],
    ]),
    [0x200, 0x600, 0x300, 0x400, 0x500, 0x700, 0, 0, 0x600, 0x300],
  );
});

// ---- compile(): detection from the interface monitor's reading ----

const wep = (name: string): ToDataplane => ({
  kind: 'workloadEndpointUpdate',
  id: { orchestratorId: 'k8s', workloadId: `default/${name}`, endpointId: 'eth0' },
  endpoint: { state: 'active', name, profileIds: [], ipv4Nets: ['10.65.0.2/32'], ipv6Nets: [], tiers: [] },
});

function ifaces(links: string[], addrs: Record<string, string[]>): HostInterfaces {
  return { links: new Set(links), addrs: new Map(Object.entries(addrs)) };
}

test('kube-ipvs0 in the reading switches IPVS on for both families; its going switches it off', () => {
  const st = stateOf([wep('cali1234'), hep('h1', { name: 'eth0' }), { kind: 'inSync' }]);
  const cfg = defaultCompilerConfig({ ipv6Support: true });
  const chainsOf = (): string[] => [...table(compileWithReport(st, cfg), 'filter', 6).chains.keys()];
  assert.ok(!chainsOf().includes('cali-forward-check'), 'no reading yet: off');
  st.hostInterfaces = ifaces(['lo', 'eth0', 'kube-ipvs0'], { lo: ['127.0.0.1'], eth0: ['192.168.0.5'] });
  const r = compileWithReport(st, cfg);
  for (const fam of [4, 6] as const) {
    const t = table(r, 'filter', fam);
    for (const c of [
      'cali-forward-check',
      'cali-forward-endpoint-mark',
      'cali-set-endpoint-mark',
      'cali-from-endpoint-mark',
      'cali-sm-cali1234',
      'cali-sm-eth0',
    ])
      assert.ok(t.chains.has(c), `${c} in filter v${fam}`);
    assert.equal(bodies(t, 'cali-INPUT')[1], '--jump cali-forward-check');
  }
  // Default IptablesMarkMask 0xffff0000: 11 endpoint bits from 0x200000, non-Calico is the lowest.
  const f4 = table(r, 'filter', 4);
  assert.equal(
    bodies(f4, 'cali-forward-endpoint-mark')[0],
    '-m mark ! --mark 0x200000/0xffe00000 --jump cali-from-endpoint-mark',
  );
  // Same marks in both families (one mapper).
  assert.deepEqual(bodies(f4, 'cali-sm-cali1234'), bodies(table(r, 'filter', 6), 'cali-sm-cali1234'));
  assert.deepEqual(
    bodies(table(r, 'mangle'), 'cali-POSTROUTING')[2],
    '-m mark ! --mark 0/0xffe00000 --jump RETURN',
  );
  // NodePorts default 30000:32767.
  assert.match(bodies(f4, 'cali-forward-check')[1] as string, /--destination-ports 30000:32767 /);
  st.hostInterfaces = ifaces(['lo', 'eth0'], { lo: ['127.0.0.1'] });
  const off = compileWithReport(st, cfg);
  assert.ok(!table(off, 'filter').chains.has('cali-forward-check'));
  assert.ok(!table(off, 'filter').chains.has('cali-sm-cali1234'));
  assert.equal(bodies(table(off, 'mangle'), 'cali-POSTROUTING').length, 5);
});

test('this-host: local addresses of non-workload, non-excluded interfaces, per family', () => {
  const r = compiled([wep('cali1234'), { kind: 'inSync' }]);
  assert.equal(r.desired.ipsets.get('cali40this-host')?.members.size, 0, 'no reading: empty');
  const st = stateOf([wep('cali1234'), { kind: 'inSync' }]);
  st.hostInterfaces = ifaces(['lo', 'eth0', 'kube-ipvs0', 'cali1234', 'tunl0'], {
    lo: ['127.0.0.0', '127.0.0.1', '::1'],
    eth0: ['192.168.0.5', 'fd00::5', 'fe80::1'],
    'kube-ipvs0': ['10.96.0.1'],
    cali1234: ['169.254.1.1'],
    tunl0: ['10.65.0.1'],
  });
  const cfg = defaultCompilerConfig({ ipv6Support: true, interfaceExclude: ['kube-ipvs0', '/^tun/'] });
  const d = compileWithReport(st, cfg).desired;
  assert.deepEqual(
    [...(d.ipsets.get('cali40this-host')?.members ?? [])],
    ['127.0.0.0', '127.0.0.1', '192.168.0.5'],
  );
  assert.deepEqual([...(d.ipsets.get('cali60this-host')?.members ?? [])], ['::1', 'fd00::5', 'fe80::1']);
  assert.equal(d.ipsets.get('cali40this-host')?.type, 'hash:ip');
});

test('forced on with a mask that leaves no endpoint bits: IPVS stays off with a warning', () => {
  const r = compiled([wep('cali1234'), { kind: 'inSync' }], {
    kubeIPVSSupportEnabled: true,
    iptablesMarkMask: 0x1f,
  });
  assert.ok(!table(r, 'filter').chains.has('cali-forward-check'));
  assert.ok(r.warnings.some((w) => /no endpoint mark bits/.test(w)));
  // One endpoint bit: its only non-zero value is the non-Calico mark, so no endpoint gets one.
  const one = compiled([wep('cali1234'), { kind: 'inSync' }], {
    kubeIPVSSupportEnabled: true,
    iptablesMarkMask: 0x3f,
  });
  assert.deepEqual(bodies(table(one, 'filter'), 'cali-sm-cali1234'), []);
  assert.deepEqual(bodies(table(one, 'filter'), 'cali-from-endpoint-mark'), [UNKNOWN_IFACE]);
  // Two bits: 0xd4 % 4 = 0 is skipped, 1 is non-Calico, so position 2.
  const two = compiled([wep('cali1234'), { kind: 'inSync' }], {
    kubeIPVSSupportEnabled: true,
    iptablesMarkMask: 0x7f,
  });
  assert.deepEqual(bodies(table(two, 'filter'), 'cali-sm-cali1234'), ['--jump MARK --set-mark 0x40/0x60']);
});

test('ip -j output: links, and local routes by device (a prefix gives its network address)', () => {
  assert.deepEqual(
    [...parseLinks('[{"ifindex":1,"ifname":"lo"},{"ifindex":2,"ifname":"kube-ipvs0"},{"ifindex":3}]')],
    ['lo', 'kube-ipvs0'],
  );
  const routes = parseLocalRoutes(
    JSON.stringify([
      { type: 'local', dst: '10.9.0.1', dev: 'hva', protocol: 'kernel', scope: 'host', prefsrc: '10.9.0.1' },
      { type: 'local', dst: '127.0.0.0/8', dev: 'lo' },
      { type: 'local', dst: '127.0.0.1', dev: 'lo' },
      { type: 'local', dst: '127.0.0.1', dev: 'lo', table: 'local' },
      { type: 'broadcast', dst: '10.9.0.255', dev: 'hva' },
      { type: 'local', dst: '10.0.0.9', dev: 'x', table: 'main' },
      { type: 'local', dst: 'FD00:0::1', dev: 'hva' },
      { type: 'local', dst: 'bogus', dev: 'hva' },
    ]),
  );
  assert.deepEqual(Object.fromEntries(routes), {
    hva: ['10.9.0.1', 'fd00::1'],
    lo: ['127.0.0.0', '127.0.0.1'],
  });
  assert.deepEqual(parseLocalRoutes(''), new Map());
  assert.throws(() => parseLinks('{"not":"an array"}'));
  assert.deepEqual(
    excludeMatchers(['kube-ipvs0', '/^veth.*/', '/[/', 'a.b']).map((r) => r.source),
    ['^kube-ipvs0$', '^veth.*', '^a\\.b$'],
  );
});
