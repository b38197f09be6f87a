// IP pool KVs through the calc graph (agent/calc/ip-pools.ts, event-sequencer.ts): Felix's IPAMPoolUpdate /
// IPAMPoolRemove (felix/calc/event_sequencer.go), disabled pools included, unchanged updates dropped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CalcGraph } from '../../../../agent/calc/index.js';
import { kv } from './fake-dataplane.js';
import { HOST } from './fixtures.js';
import { DataplaneState, compile, defaultCompilerConfig } from '../../../../rules/compiler/index.js';

const POOL_KEY = '/calico/v1/ipam/v4/pool/10.65.0.0-16';
const pool = (extra: Record<string, unknown>): Record<string, unknown> => ({
  cidr: '10.65.0.0/16',
  ipip_mode: 'Never',
  vxlan_mode: 'Always',
  ipam: true,
  ...extra,
});

test('an IP pool KV becomes ipamPoolUpdate (id with "-"); a delete sends ipamPoolRemove once', () => {
  const g = new CalcGraph({ hostname: HOST });
  g.onUpdates([kv(POOL_KEY, pool({ masquerade: true, allowed_uses: ['Workload', 'Tunnel'] }))]);
  assert.deepEqual(g.flush(), [
    {
      kind: 'ipamPoolUpdate',
      id: '10.65.0.0-16',
      pool: {
        cidr: '10.65.0.0/16',
        masquerade: true,
        ipipMode: 'Never',
        vxlanMode: 'Always',
        allowedUses: ['Workload', 'Tunnel'],
      },
    },
  ]);
  // Same value again: nothing new.
  g.onUpdates([kv(POOL_KEY, pool({ masquerade: true, allowed_uses: ['Workload', 'Tunnel'] }))]);
  assert.deepEqual(g.flush(), []);
  // Masquerade flipped off, and disabled: still sent (disabled does not reach the dataplane in Felix).
  g.onUpdates([kv(POOL_KEY, pool({ masquerade: false, disabled: true }))]);
  const upd = g.flush();
  assert.equal(upd.length, 1);
  assert.equal(upd[0]!.kind, 'ipamPoolUpdate');
  assert.equal((upd[0] as { pool: { masquerade: boolean } }).pool.masquerade, false);
  g.onUpdates([kv(POOL_KEY, null)]);
  assert.deepEqual(g.flush(), [{ kind: 'ipamPoolRemove', id: '10.65.0.0-16' }]);
  g.onUpdates([kv(POOL_KEY, null)]);
  assert.deepEqual(g.flush(), []);
});

test('a pool added and deleted before a flush sends nothing; an invalid pool value is treated as a delete', () => {
  const g = new CalcGraph({ hostname: HOST });
  g.onUpdates([kv(POOL_KEY, pool({ masquerade: true })), kv(POOL_KEY, null)]);
  assert.deepEqual(g.flush(), []);
  g.onUpdates([kv(POOL_KEY, pool({ masquerade: true }))]);
  assert.equal(g.flush().length, 1);
  g.onUpdates([kv(POOL_KEY, pool({ cidr: 'not-a-cidr' }))]);
  assert.deepEqual(g.flush(), [{ kind: 'ipamPoolRemove', id: '10.65.0.0-16' }]);
});

test('pool messages come after the other updates and before InSync', () => {
  const g = new CalcGraph({ hostname: HOST });
  g.onUpdates([kv('/calico/v1/Ready', 'true'), kv(POOL_KEY, pool({ masquerade: true }))]);
  g.onStatus('in-sync');
  const kinds = g.flush().map((m) => m.kind);
  assert.deepEqual(kinds.slice(-2), ['ipamPoolUpdate', 'inSync']);
});

test('calc output compiles: a natOutgoing pool KV gives the pool sets and the MASQUERADE rule', () => {
  const g = new CalcGraph({ hostname: HOST });
  g.onUpdates([
    kv(POOL_KEY, pool({ masquerade: true })),
    kv('/calico/v1/ipam/v6/pool/fd00:65::-64', { cidr: 'fd00:65::/64', masquerade: false }),
  ]);
  g.onStatus('in-sync');
  const st = new DataplaneState();
  assert.deepEqual(st.applyAll(g.flush()), []);
  const d = compile(st, defaultCompilerConfig({ ipv6Support: true }));
  assert.deepEqual([...d.ipsets.get('cali40masq-ipam-pools')!.members], ['10.65.0.0/16']);
  assert.deepEqual([...d.ipsets.get('cali60network-ip-pools')!.members], ['fd00:65::/64']);
  assert.equal(d.ipsets.get('cali60masq-ipam-pools')!.members.size, 0);
  const nat4 = d.tables.find((t) => t.table === 'nat' && t.family === 4)!;
  assert.match(nat4.chains.get('cali-nat-outgoing')!.rules[0]!.body, /--jump MASQUERADE --random-fully$/);
  const nat6 = d.tables.find((t) => t.table === 'nat' && t.family === 6)!;
  assert.deepEqual(nat6.chains.get('cali-nat-outgoing')!.rules, []);
});
