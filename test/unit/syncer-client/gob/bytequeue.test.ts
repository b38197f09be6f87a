// ByteQueue: the zero-copy input buffer under the gob decoder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ByteQueue } from '../../../../syncer-client/gob/index.js';

test('take returns a view inside one chunk, a view across adjacent views of one buffer, a copy otherwise', () => {
  const backing = Uint8Array.from({ length: 100 }, (_, i) => i);
  const q = new ByteQueue();
  q.push(backing.subarray(0, 10));
  q.push(backing.subarray(10, 30));
  q.push(Uint8Array.from([200, 201, 202]));
  const a = q.take(5);
  assert.equal(a.buffer, backing.buffer, 'inside one chunk: a view');
  assert.deepEqual([...a], [0, 1, 2, 3, 4]);
  const b = q.take(20);
  assert.equal(b.buffer, backing.buffer, 'adjacent views of one buffer: still a view');
  assert.deepEqual(
    [...b],
    Array.from({ length: 20 }, (_, i) => i + 5),
  );
  const c = q.take(7);
  assert.notEqual(c.buffer, backing.buffer, 'different buffers: joined copy');
  assert.deepEqual([...c], [25, 26, 27, 28, 29, 200, 201]);
  assert.equal(q.length, 1);
});

test('mark/rewind restores consumed bytes until commit; peekUint reads a prefix split across chunks', () => {
  const q = new ByteQueue();
  q.push(Uint8Array.from([0xfe]));
  q.push(Uint8Array.from([0x01]));
  assert.equal(q.peekUint(), undefined, 'needs the third byte');
  q.push(Uint8Array.from([0x00, 9, 9]));
  assert.deepEqual(q.peekUint(), [256, 3]);
  const m = q.mark();
  q.skip(3);
  assert.deepEqual([...q.take(2)], [9, 9]);
  assert.equal(q.length, 0);
  q.rewind(m);
  assert.equal(q.length, 5);
  q.skip(4);
  q.commit();
  assert.equal(q.peek(0), 9);
  const bad = new ByteQueue();
  bad.push(Uint8Array.from([0xf7]));
  assert.throws(() => bad.peekUint(), { code: 'ERR_GOB_BAD_UINT' });
});
