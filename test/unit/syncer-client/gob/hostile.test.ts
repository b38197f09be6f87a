// Hostile input (issue 2 item 7): every case is rejected with its code, without crashing,
// hanging or allocating in proportion to what a length field claims.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ByteWriter, GobDecoder, T, TypeId, TypeRegistry } from '../../../../syncer-client/gob/index.js';
import { StreamDecoder, StreamEncoder } from '../../../../syncer-client/syncproto/index.js';
import { concat, def, msg } from './build.js';

const Point = T.struct('Point', [T.field('X', T.int), T.field('Y', T.int)]);
const POINT_DEF = def(64, {
  kind: 'struct',
  name: 'Point',
  fields: [
    { name: 'X', id: TypeId.Int },
    { name: 'Y', id: TypeId.Int },
  ],
});

function decode(bytes: Uint8Array, local?: Parameters<GobDecoder['next']>[0], opts = {}): () => unknown {
  return () => {
    const d = new GobDecoder(opts);
    d.push(bytes);
    for (;;) {
      const v = d.next(local);
      if (v === undefined) break;
    }
    d.finish();
  };
}

test('truncated: a value that runs past the end of its message', () => {
  // Point value with field X, then the message ends without the struct terminator.
  const bad = msg((w) => {
    w.int(64);
    w.uint(1);
  });
  assert.throws(decode(concat(POINT_DEF, bad), Point), { code: 'ERR_GOB_TRUNCATED' });
});

test('truncated: the stream stops inside a message', () => {
  const good = concat(
    POINT_DEF,
    msg((w) => (w.int(64), w.uint(1), w.int(5), w.uint(0))),
  );
  assert.throws(decode(good.subarray(0, good.length - 2), Point), { code: 'ERR_GOB_TRUNCATED' });
  const d = new StreamDecoder();
  d.push(new StreamEncoder('').encode({ type: 'ACK' }).subarray(0, 40));
  assert.equal(d.next(), undefined);
  assert.throws(() => d.finish(), { code: 'ERR_GOB_TRUNCATED' });
});

test('a length prefix over the cap is rejected from the prefix alone, before buffering', () => {
  const w = new ByteWriter();
  w.uint(64 * 1024 * 1024 + 1);
  const d = new GobDecoder();
  d.push(w.bytes()); // just the 5-byte prefix: nothing else has arrived
  assert.throws(() => d.next(), { code: 'ERR_GOB_MESSAGE_TOO_LARGE' });
  // The cap is configurable, and the default sits exactly at 64 MiB.
  const small = new GobDecoder({ maxMessageBytes: 100 });
  small.push(msg((x) => x.raw(new Uint8Array(101))));
  assert.throws(() => small.next(), { code: 'ERR_GOB_MESSAGE_TOO_LARGE' });
  const atCap = new ByteWriter();
  atCap.uint(64 * 1024 * 1024);
  const ok = new GobDecoder();
  ok.push(atCap.bytes());
  assert.equal(ok.next(), undefined, 'a 64 MiB message is allowed, and waits for its bytes');
  // Through the message layer, snappy or not.
  const sd = new StreamDecoder({ maxMessageBytes: 1000 });
  sd.push(w.bytes());
  assert.throws(() => sd.next(), { code: 'ERR_GOB_MESSAGE_TOO_LARGE' });
});

test('unknown type ids: in a value, and in a definition resolved at decode time', () => {
  assert.throws(decode(msg((w) => (w.int(99), w.uint(0)))), { code: 'ERR_GOB_UNKNOWN_TYPE' });
  const sliceOfUndefined = def(64, { kind: 'slice', name: '[]X', elem: 70 });
  assert.throws(
    decode(
      concat(
        sliceOfUndefined,
        msg((w) => (w.int(64), w.uint(0), w.uint(0))),
      ),
    ),
    { code: 'ERR_GOB_UNKNOWN_TYPE' },
  );
  // ids 9-15 are reserved, 16-23 are gob's own: not values we decode.
  assert.throws(decode(msg((w) => (w.int(12), w.uint(0), w.uint(0)))), { code: 'ERR_GOB_UNKNOWN_TYPE' });
});

test('self-referential and mutually recursive type definitions', () => {
  const self = def(64, { kind: 'slice', name: 'S', elem: 64 });
  assert.throws(
    decode(
      concat(
        self,
        msg((w) => (w.int(64), w.uint(0), w.uint(0))),
      ),
    ),
    { code: 'ERR_GOB_BAD_TYPEDEF' },
  );
  const a = def(64, { kind: 'struct', name: 'A', fields: [{ name: 'B', id: 65 }] });
  const b = def(65, { kind: 'map', name: 'B', key: TypeId.String, elem: 64 });
  assert.throws(
    decode(
      concat(
        a,
        b,
        msg((w) => (w.int(64), w.uint(0))),
      ),
    ),
    { code: 'ERR_GOB_BAD_TYPEDEF' },
  );
  // Also when the recursive field is one we would only skip.
  const c = def(66, {
    kind: 'struct',
    name: 'Point',
    fields: [
      { name: 'X', id: TypeId.Int },
      { name: 'Junk', id: 64 },
    ],
  });
  assert.throws(
    decode(
      concat(
        a,
        b,
        c,
        msg((w) => (w.int(66), w.uint(0))),
      ),
      Point,
    ),
    { code: 'ERR_GOB_BAD_TYPEDEF' },
  );
  // A chain of 200 nested slice types is too deep (no stack overflow).
  const chain = Array.from({ length: 200 }, (_, i) =>
    def(64 + i, { kind: 'slice', name: '', elem: i === 199 ? TypeId.Int : 65 + i }),
  );
  assert.throws(
    decode(
      concat(
        ...chain,
        msg((w) => (w.int(64), w.uint(0), w.uint(0))),
      ),
    ),
    { code: 'ERR_GOB_BAD_TYPEDEF' },
  );
});

test('bad definitions: reserved id, duplicate id, two kinds at once, extra bytes after a definition', () => {
  assert.throws(decode(def(10, { kind: 'slice', name: '', elem: 2 })), { code: 'ERR_GOB_BAD_TYPEDEF' });
  assert.throws(decode(concat(POINT_DEF, POINT_DEF)), { code: 'ERR_GOB_DUPLICATE_TYPE' });
  const twoKinds = msg((w) => {
    w.int(-64);
    w.uint(2); // SliceT
    w.uint(1);
    w.uint(2);
    w.int(64);
    w.uint(0);
    w.uint(1);
    w.int(TypeId.Int);
    w.uint(0);
    w.uint(1); // then field 2 (StructT) too
    w.uint(0);
    w.uint(0);
  });
  assert.throws(decode(twoKinds), { code: 'ERR_GOB_BAD_TYPEDEF' });
  const extra = concat(msg((w) => (w.raw(POINT_DEF.subarray(1)), w.byte(7))));
  assert.throws(decode(extra), { code: 'ERR_GOB_EXTRA_DATA' });
  const tooMany = concat(
    ...Array.from({ length: 20 }, (_, i) => def(64 + i, { kind: 'slice', name: '', elem: 2 })),
  );
  assert.throws(decode(tooMany, undefined, { maxTypes: 10 }), { code: 'ERR_GOB_TOO_MANY_TYPES' });
});

test('unregistered interface names, and names over 1024 bytes', () => {
  const env = def(64, {
    kind: 'struct',
    name: 'Envelope',
    fields: [{ name: 'Message', id: TypeId.Interface }],
  });
  const holding = (name: string) =>
    msg((w) => {
      w.int(64);
      w.uint(1);
      w.string(name);
      w.int(TypeId.Int);
      w.uint(2);
      w.uint(0);
      w.int(5);
      w.uint(0);
    });
  assert.throws(decode(concat(env, holding('github.com/evil/pkg.MsgGoodbye'))), {
    code: 'ERR_GOB_UNREGISTERED_NAME',
  });
  assert.throws(decode(concat(env, holding('x'.repeat(1025)))), { code: 'ERR_GOB_NAME_TOO_LONG' });
  // Registered names decode.
  const d = new GobDecoder({ registry: TypeRegistry.withBasics() });
  d.push(concat(env, holding('int')));
  assert.deepEqual(
    d.next()!.value,
    Object.assign(Object.create(null) as object, { Message: { name: 'int', value: 5 } }),
  );
  // And syncproto rejects a registered non-message type in the Envelope.
  const sd = new StreamDecoder();
  sd.push(concat(env, holding('int')));
  assert.throws(() => sd.next(), { code: 'ERR_PROTO_UNEXPECTED_TYPE' });
  const nil = new StreamDecoder();
  nil.push(
    concat(
      env,
      msg((w) => (w.int(64), w.uint(0))),
    ),
  );
  assert.throws(() => nil.next(), { code: 'ERR_PROTO_BAD_ENVELOPE' });
});

test('invalid UTF-8 strings', () => {
  const S = T.struct('S', [T.field('A', T.string)]);
  const sdef = def(64, { kind: 'struct', name: 'S', fields: [{ name: 'A', id: TypeId.String }] });
  for (const bad of [
    [0xff],
    [0xc0, 0xaf],
    [0xed, 0xa0, 0x80],
    [0x61, 0xe2, 0x82],
    [0xf8, 0x88, 0x80, 0x80, 0x80],
  ]) {
    const v = msg((w) => {
      w.int(64);
      w.uint(1);
      w.uint(bad.length);
      w.raw(Uint8Array.from(bad));
      w.uint(0);
    });
    assert.throws(decode(concat(sdef, v), S), { code: 'ERR_GOB_INVALID_UTF8' }, bad.join(','));
    assert.throws(decode(concat(sdef, v)), { code: 'ERR_GOB_INVALID_UTF8' }, 'generic too');
  }
});

test('counts larger than the message are rejected before any allocation', () => {
  const sl = def(64, { kind: 'slice', name: '[]int', elem: TypeId.Int });
  const huge = msg((w) => (w.int(64), w.uint(0), w.uint(2 ** 40)));
  assert.throws(decode(concat(sl, huge)), { code: 'ERR_GOB_BAD_LENGTH' });
  const mp = def(64, { kind: 'map', name: 'm', key: TypeId.Int, elem: TypeId.Int });
  assert.throws(
    decode(
      concat(
        mp,
        msg((w) => (w.int(64), w.uint(0), w.uint(3), w.int(1), w.int(1))),
      ),
    ),
    { code: 'ERR_GOB_BAD_LENGTH' },
  );
  const str = msg((w) => (w.int(TypeId.String), w.uint(0), w.uint(1000), w.raw(new Uint8Array(10))));
  assert.throws(decode(str), { code: 'ERR_GOB_BAD_LENGTH' });
});

test('malformed numbers and fields', () => {
  assert.throws(decode(msg((w) => w.byte(0xf7))), { code: 'ERR_GOB_BAD_UINT' }); // 9-byte uint
  const fieldPastEnd = msg((w) => (w.int(64), w.uint(5), w.int(1), w.uint(0)));
  assert.throws(decode(concat(POINT_DEF, fieldPastEnd), Point), { code: 'ERR_GOB_BAD_FIELD' });
  const U8 = T.struct('Point', [T.field('X', T.uint8)]);
  const udef = def(64, { kind: 'struct', name: 'Point', fields: [{ name: 'X', id: TypeId.Uint }] });
  assert.throws(
    decode(
      concat(
        udef,
        msg((w) => (w.int(64), w.uint(1), w.uint(300), w.uint(0))),
      ),
      U8,
    ),
    { code: 'ERR_GOB_RANGE' },
  );
  const singleton = msg((w) => (w.int(TypeId.Int), w.uint(3), w.int(1)));
  assert.throws(decode(singleton), { code: 'ERR_GOB_BAD_VALUE' });
  assert.throws(
    decode(
      concat(
        POINT_DEF,
        msg((w) => (w.int(64), w.uint(1), w.string('x'), w.uint(0))),
      ),
      T.struct('Point', [T.field('X', T.string)]),
    ),
    {
      code: 'ERR_GOB_TYPE_MISMATCH',
    },
  );
  assert.throws(decode(new Uint8Array([0])), { code: 'ERR_GOB_TRUNCATED' }, 'an empty message');
});

test('errors are sticky: a failed stream keeps failing with the same error', () => {
  const d = new GobDecoder();
  d.push(msg((w) => (w.int(99), w.uint(0))));
  let first: unknown;
  try {
    d.next();
  } catch (e) {
    first = e;
  }
  assert.ok(first instanceof Error);
  assert.throws(
    () => d.next(),
    (e) => e === first,
  );
});
