// ResyncView: dedupe of unchanged values, resync deletions at InSync, bounded state per key.
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
  assert.deepEqual([...v.keys()].sort(), ['/change', '/keep', '/new']);
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

const long = (tag: string, n = 1000): string => `{"tag":"${tag}","pad":"${'x'.repeat(n)}"}`;

test('long values: kept as a digest of at most 20 characters, still deduplicated and still told apart', () => {
  const v = new ResyncView();
  v.startResync();
  // Values of equal length that differ in one character, a 1 MiB value, non-ASCII text.
  const a = long('a');
  const b = long('b');
  const huge = long('h', 1024 * 1024);
  const text = long('ünïcødé ✓');
  assert.equal(v.apply([kv('/a', a), kv('/huge', huge), kv('/text', text)]).length, 3);
  v.inSync();
  assert.ok(
    v.valueChars <= 3 * 20,
    `${v.valueChars} characters kept for ${a.length + huge.length} of values`,
  );

  // A resync re-sending equal values (fresh strings) is swallowed.
  v.startResync();
  assert.deepEqual(
    v.apply([kv('/a', long('a')), kv('/huge', long('h', 1024 * 1024)), kv('/text', text)]),
    [],
  );
  assert.deepEqual(v.inSync(), []);
  // One character changed, at equal length: Updated, with the new value passed on whole.
  const upd = v.apply([kv('/a', b, UpdateType.Updated)]);
  assert.deepEqual(
    upd.map((u) => [u.key, u.value, u.updateType]),
    [['/a', b, UpdateType.Updated]],
  );
  assert.deepEqual(v.apply([kv('/a', b, UpdateType.Updated)]), []);
  assert.deepEqual(
    v.apply([kv('/text', long('ünïcødé ✗'), UpdateType.Updated)]).map((u) => u.updateType),
    [UpdateType.Updated],
  );
});

test('short and long values of one key: every change between them is seen, every repeat swallowed', () => {
  const v = new ResyncView();
  v.startResync();
  // Short values are kept as they are; a 19-, 20- and 21-character value sit at the boundary.
  const seq = ['1', 'x'.repeat(19), 'x'.repeat(20), 'x'.repeat(21), long('a'), '1', 'x'.repeat(20), ''];
  let prev: string | undefined;
  for (const value of seq) {
    const out = v.apply([kv('/k', value), kv('/k', value)]);
    assert.deepEqual(
      out.map((u) => [u.value, u.updateType]),
      [[value, prev === undefined ? UpdateType.New : UpdateType.Updated]],
      `${value.length} after ${prev?.length}`,
    );
    prev = value;
  }
  assert.ok(v.valueChars === 0, 'the empty string is kept as itself');
});

test('resync with long values: changed ones Updated, vanished ones deleted at InSync', () => {
  const v = new ResyncView();
  v.startResync();
  v.apply([kv('/keep', long('k')), kv('/change', long('old')), kv('/gone', long('g'))]);
  v.inSync();
  v.startResync();
  const during = v.apply([kv('/keep', long('k')), kv('/change', long('new'))]);
  assert.deepEqual(
    during.map((u) => [u.key, u.updateType]),
    [['/change', UpdateType.Updated]],
  );
  assert.deepEqual(
    v.inSync().map((u) => [u.key, u.value, u.updateType]),
    [['/gone', null, UpdateType.Deleted]],
  );
  assert.deepEqual([...v.keys()].sort(), ['/change', '/keep']);
  assert.ok(v.has('/keep') && !v.has('/gone'));
});

test('a connection lost before its first InSync: the next snapshot still deletes what it left out', () => {
  // The first snapshot starts from an empty view and keeps no "seen" set; a reconnect must start one,
  // because the keys of the partial snapshot are known by then.
  const v = new ResyncView();
  v.startResync();
  v.apply([kv('/a', '1'), kv('/b', '2')]);
  assert.equal(v.resyncing, true);
  v.startResync();
  v.apply([kv('/a', '1'), kv('/c', '3')]);
  assert.deepEqual(
    v.inSync().map((u) => [u.key, u.updateType]),
    [['/b', UpdateType.Deleted]],
  );
  assert.equal(v.resyncing, false);
  assert.deepEqual([...v.keys()].sort(), ['/a', '/c']);
});

test('an update typed as the view would type it is passed on as it came; a mistyped one is retyped', () => {
  const v = new ResyncView();
  v.startResync();
  const first = kv('/a', '1');
  const wrong = kv('/b', '2', UpdateType.Updated);
  const out = v.apply([first, wrong]);
  assert.equal(out[0], first);
  assert.notEqual(out[1], wrong);
  assert.deepEqual(out[1], { key: '/b', value: '2', revision: '1', updateType: UpdateType.New });
  v.inSync();
  const again = v.apply([kv('/a', '9', UpdateType.New)]);
  assert.equal(again[0]?.updateType, UpdateType.Updated);
});
