// The nat table's NAT-outgoing part (rules/compiler/nat-table.ts; felix/rules/static.go, felix/rules/nat.go,
// felix/dataplane/linux/masq_mgr.go): chains, hooks, the MASQUERADE rule and the two pool IP sets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DataplaneState,
  compile,
  defaultCompilerConfig,
  renderRestoreText,
} from '../../../../rules/compiler/index.js';
import type { IPAMPool, ToDataplane } from '../../../../rules/dataplane-api/types.js';
import { decodeRecording, encodeRecording } from '../../../../rules/dataplane-api/codec.js';
import { CompilerInputError } from '../../../../rules/compiler/errors.js';
import type { DesiredState, TableState } from '../../../../rules/model.js';

/** The IPv4 nat table, looked up by name (tables come filter, raw, mangle, nat for each family). */
const nat = (d: DesiredState): TableState => d.tables.find((t) => t.table === 'nat' && t.family === 4)!;

const p = (cidr: string, masquerade: boolean, allowedUses: string[] = []): IPAMPool => ({
  cidr,
  masquerade,
  ipipMode: '',
  vxlanMode: '',
  allowedUses,
});
const upd = (cidr: string, pool: IPAMPool): ToDataplane => ({
  kind: 'ipamPoolUpdate',
  id: cidr.replace('/', '-'),
  pool,
});

function compiled(msgs: ToDataplane[], cfg = defaultCompilerConfig({ ipv6Support: true })) {
  const st = new DataplaneState();
  assert.deepEqual(st.applyAll(msgs), []);
  return compile(st, cfg);
}

test('without pool messages the nat table is still programmed (empty cali-nat-outgoing); pools leave the filter table text unchanged', () => {
  // Felix programs raw, mangle, nat and filter for each family (int_dataplane.go setUpIptablesNormal).
  const without = compiled([{ kind: 'inSync' }]);
  assert.deepEqual(
    without.tables.map((t) => `${t.table}${t.family}`),
    ['filter4', 'raw4', 'mangle4', 'nat4', 'filter6', 'raw6', 'mangle6', 'nat6'],
  );
  assert.deepEqual(nat(without).chains.get('cali-nat-outgoing')!.rules, []);
  assert.equal(without.ipsets.get('cali40masq-ipam-pools')!.members.size, 0);
  assert.equal(without.ipsets.get('cali40network-ip-pools')!.members.size, 0);
  const withPools = compiled([{ kind: 'inSync' }, upd('10.65.0.0/16', p('10.65.0.0/16', true))]);
  assert.deepEqual(
    withPools.tables.map((t) => `${t.table}${t.family}`),
    ['filter4', 'raw4', 'mangle4', 'nat4', 'filter6', 'raw6', 'mangle6', 'nat6'],
  );
  assert.equal(nat(withPools).chains.get('cali-nat-outgoing')!.rules.length, 1);
  const filter = (d: DesiredState, f: 4 | 6): TableState =>
    d.tables.find((t) => t.table === 'filter' && t.family === f)!;
  assert.equal(renderRestoreText(filter(withPools, 4)), renderRestoreText(filter(without, 4)));
  assert.equal(renderRestoreText(filter(withPools, 6)), renderRestoreText(filter(without, 6)));
});

test('a masquerading v4 pool: Felix chains, hooks (PREROUTING/OUTPUT inserted, POSTROUTING appended) and the MASQUERADE rule', () => {
  const d = compiled([upd('10.65.0.0/16', p('10.65.0.0/16', true))]);
  const nat4 = d.tables.find((t) => t.table === 'nat' && t.family === 4)!;
  assert.deepEqual(
    [...nat4.chains.keys()],
    [
      'cali-OUTPUT',
      'cali-POSTROUTING',
      'cali-PREROUTING',
      'cali-fip-dnat',
      'cali-fip-snat',
      'cali-nat-outgoing',
    ],
  );
  assert.deepEqual(
    nat4.chains.get('cali-nat-outgoing')!.rules.map((r) => r.body),
    [
      '-m set --match-set cali40masq-ipam-pools src -m set ! --match-set cali40network-ip-pools dst --jump MASQUERADE --random-fully',
    ],
  );
  assert.deepEqual(
    nat4.chains.get('cali-POSTROUTING')!.rules.map((r) => r.body),
    ['--jump cali-fip-snat', '--jump cali-nat-outgoing'],
  );
  assert.deepEqual(
    nat4.chains.get('cali-PREROUTING')!.rules.map((r) => r.body),
    ['--jump cali-fip-dnat'],
  );
  assert.deepEqual(nat4.chains.get('cali-fip-dnat')!.rules, []);
  assert.deepEqual(
    nat4.inserts.get('PREROUTING')!.map((r) => r.body),
    ['--jump cali-PREROUTING'],
  );
  assert.deepEqual(
    nat4.inserts.get('OUTPUT')!.map((r) => r.body),
    ['--jump cali-OUTPUT'],
  );
  assert.equal(nat4.inserts.get('POSTROUTING'), undefined);
  assert.deepEqual(
    nat4.appends.get('POSTROUTING')!.map((r) => r.body),
    ['--jump cali-POSTROUTING'],
  );
  // Felix's AppendRules hash ("POSTROUTING*appends*"), as seen on real nodes (reference §5.3); with the
  // kernel chain's own name the hash would differ and a takeover would rewrite Felix's hook.
  assert.deepEqual(
    nat4.appends.get('POSTROUTING')!.map((r) => r.hash),
    ['0i8pjzKKPyA34aQD'],
  );
  const text = renderRestoreText(nat4);
  assert.match(text, /^\*nat\n/);
  assert.match(
    text,
    /-A cali-nat-outgoing -m comment --comment "cali:[\w-]{16}" -m set --match-set cali40masq-ipam-pools src/,
  );
  // The v6 table has no masquerading pool: its cali-nat-outgoing is empty.
  const nat6 = d.tables.find((t) => t.table === 'nat' && t.family === 6)!;
  assert.deepEqual(nat6.chains.get('cali-nat-outgoing')!.rules, []);
});

test('pool IP sets: all pools but LoadBalancer-only in network-ip-pools, masquerading ones in masq-ipam-pools, per family', () => {
  const d = compiled([
    upd('10.65.0.0/16', p('10.65.0.0/16', true)),
    upd('10.66.0.0/16', p('10.66.0.0/16', false, ['Workload'])),
    upd('10.67.0.0/24', p('10.67.0.0/24', true, ['LoadBalancer'])),
    upd('fd00:65::/64', p('fd00:65::/64', true)),
  ]);
  const members = (n: string) => [...d.ipsets.get(n)!.members].sort();
  assert.deepEqual(members('cali40network-ip-pools'), ['10.65.0.0/16', '10.66.0.0/16']);
  assert.deepEqual(members('cali40masq-ipam-pools'), ['10.65.0.0/16', '10.67.0.0/24']);
  assert.deepEqual(members('cali60network-ip-pools'), ['fd00:65::/64']);
  assert.deepEqual(members('cali60masq-ipam-pools'), ['fd00:65::/64']);
  assert.equal(d.ipsets.get('cali40masq-ipam-pools')!.type, 'hash:net');
  const nat6 = d.tables.find((t) => t.table === 'nat' && t.family === 6)!;
  assert.match(nat6.chains.get('cali-nat-outgoing')!.rules[0]!.body, /cali60masq-ipam-pools src/);
});

test('removing the last masquerading pool empties cali-nat-outgoing; the sets stay (empty); masqFullyRandom=false drops --random-fully', () => {
  const st = new DataplaneState();
  st.applyAll([upd('10.65.0.0/16', p('10.65.0.0/16', true))]);
  const cfg = defaultCompilerConfig({ ipv6Support: false });
  const off = compile(st, { ...cfg, masqFullyRandom: false });
  assert.equal(
    nat(off).chains.get('cali-nat-outgoing')!.rules[0]!.body,
    '-m set --match-set cali40masq-ipam-pools src -m set ! --match-set cali40network-ip-pools dst --jump MASQUERADE',
  );
  st.apply({ kind: 'ipamPoolRemove', id: '10.65.0.0-16' });
  const d = compile(st, cfg);
  assert.deepEqual(nat(d).chains.get('cali-nat-outgoing')!.rules, []);
  assert.equal(d.ipsets.get('cali40masq-ipam-pools')!.members.size, 0);
  assert.equal(d.ipsets.get('cali40network-ip-pools')!.members.size, 0);
});

test('ChainInsertMode=append appends the PREROUTING/OUTPUT hooks too', () => {
  const d = compiled([upd('10.65.0.0/16', p('10.65.0.0/16', true))], {
    ...defaultCompilerConfig({ ipv6Support: false }),
    chainInsertMode: 'append',
  });
  const nat4 = nat(d);
  assert.equal(nat4.inserts.size, 0);
  assert.deepEqual([...nat4.appends.keys()].sort(), ['OUTPUT', 'POSTROUTING', 'PREROUTING']);
});

test('a pool update with a bad CIDR is refused naming the pool; the codec round-trips pool messages', () => {
  const st = new DataplaneState();
  assert.throws(
    () => st.apply(upd('10.65.0.0/16', p('10.65.0.0/99', true))),
    (e: unknown) => e instanceof CompilerInputError && /ipamPoolUpdate 10\.65\.0\.0-16/.test(e.message),
  );
  assert.equal(st.pools.size, 0);
  const msgs: ToDataplane[] = [
    upd('10.65.0.0/16', p('10.65.0.0/16', true, ['Workload', 'Tunnel'])),
    { kind: 'ipamPoolRemove', id: '10.65.0.0-16' },
  ];
  assert.deepEqual(decodeRecording(encodeRecording(msgs)), msgs);
});
