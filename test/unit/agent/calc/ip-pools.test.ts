// IP pool KVs through the calc graph (agent/calc/ip-pools.ts, event-sequencer.ts): Felix's IPAMPoolUpdate /
// IPAMPoolRemove (felix/calc/event_sequencer.go), disabled pools included, unchanged updates dropped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CalcGraph } from '../../../../agent/calc/index.js';
import { kv } from './fake-dataplane.js';
import { HOST } from './fixtures.js';

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
