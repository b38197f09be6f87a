import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UpdateType, type KVUpdate } from '../../../../syncer-client/api.js';
import { ResyncView } from '../../../../syncer-client/client/index.js';

const kv = (key: string, value: string | null, updateType = UpdateType.New): KVUpdate => ({
  key,
  value,
  revision: '1',
  updateType,
});

test('first snapshot: everything is new; InSync synthesizes nothing', () => {
  const v = new ResyncView();
  v.startResync();
  const out = v.apply([kv('/a', '1'), kv('/b', '2')]);
  assert.deepEqual(
    out.map((u) => [u.key, u.updateType]),
    [
      ['/a', UpdateType.New],
      ['/b', UpdateType.New],
    ],
  );
  assert.deepEqual(v.inSync(), []);
  assert.equal(v.resyncing, false);
});

test('deltas: same value is swallowed, changes are Updated, deletes of unknown keys are dropped', () => {
  const v = new ResyncView();
  v.startResync();
  v.apply([kv('/a', '1')]);
  v.inSync();
  assert.deepEqual(v.apply([kv('/a', '1', UpdateType.Updated)]), []);
  assert.deepEqual(
    v.apply([kv('/a', '2', UpdateType.Updated)]).map((u) => u.updateType),
    [UpdateType.Updated],
  );
  assert.deepEqual(v.apply([kv('/zz', null, UpdateType.Deleted)]), []);
  const del = v.apply([kv('/a', null, UpdateType.Deleted)]);
  assert.deepEqual(del, [{ key: '/a', value: null, revision: '1', updateType: UpdateType.Deleted }]);
  assert.equal(v.size, 0);
});

test('a nil value is a delete whatever UpdateType says (validation failures)', () => {
  const v = new ResyncView();
  v.startResync();
  v.apply([kv('/a', '1')]);
  const out = v.apply([kv('/a', null, UpdateType.New)]);
  assert.equal(out[0]?.updateType, UpdateType.Deleted);
});

test('resync after reconnect: only the difference reaches downstream, deletes only at InSync', () => {
  const v = new ResyncView();
  v.startResync();
  v.apply([kv('/keep', 'k'), kv('/change', 'old'), kv('/gone', 'g'), kv('/gone2', 'g2')]);
  v.inSync();

  // New connection: snapshot with /change changed, /new added, /gone* missing.
  v.startResync();
  const during = v.apply([kv('/change', 'new'), kv('/keep', 'k'), kv('/new', 'n')]);
  assert.deepEqual(
    during.map((u) => [u.key, u.updateType]),
    [
      ['/change', UpdateType.Updated],
      ['/new', UpdateType.New],
    ],
  );
  assert.ok(
    during.every((u) => u.value !== null),
    'no deletes before InSync',
  );
  assert.equal(v.size, 5, 'old keys are kept until InSync');
  const dels = v.inSync();
  assert.deepEqual(dels.map((u) => [u.key, u.value, u.updateType]).sort(), [
    ['/gone', null, UpdateType.Deleted],
    ['/gone2', null, UpdateType.Deleted],
  ]);
  assert.deepEqual([...v.entries()].sort(), [
    ['/change', 'new'],
    ['/keep', 'k'],
    ['/new', 'n'],
  ]);
});

test('a drop in the middle of a resync: the next connection decides what to delete', () => {
  const v = new ResyncView();
  v.startResync();
  v.apply([kv('/a', '1'), kv('/b', '2')]);
  v.inSync();
  v.startResync();
  v.apply([kv('/a', '1')]); // partial snapshot, then the connection drops
  v.startResync();
  v.apply([kv('/b', '2')]);
  assert.deepEqual(
    v.inSync().map((u) => u.key),
    ['/a'],
  );
});

test('InSync outside a resync synthesizes nothing (server-side status flaps)', () => {
  const v = new ResyncView();
  v.startResync();
  v.apply([kv('/a', '1')]);
  v.inSync();
  assert.deepEqual(v.inSync(), []);
  assert.equal(v.size, 1);
});
