// Our encoder into our decoder for general Go shapes, plus Go's field rules: zero omission,
// fields matched by name whatever their order, unknown fields skipped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GobDecoder, GobEncoder, T, TypeRegistry, goTime } from '../../../../syncer-client/gob/index.js';
import type { GoType } from '../../../../syncer-client/gob/index.js';
import { hexOf } from './build.js';

const Point = T.struct('Point', [T.field('X', T.int), T.field('Y', T.int)]);
const registry = TypeRegistry.withBasics().register('test.Point', Point);

const Shape = T.struct('Shape', [
  T.field('Name', T.string),
  T.field('Tags', T.mapOf(T.string, T.sliceOf(T.int, '[]int'), 'map[string][]int')),
  T.field('Grid', T.sliceOf(T.sliceOf(T.float64, '[]float64'), '[][]float64')),
  T.field('Corners', T.arrayOf(Point, 2, '[2]Point')),
  T.field('At', goTime),
  T.field('Any', T.iface),
  T.field('Anys', T.sliceOf(T.iface, '[]interface {}')),
  T.field('Big', T.uint64),
  T.field('Small', T.int8),
  T.field('Blob', T.bytes),
  T.field('On', T.bool),
]);

function roundTrip(value: unknown, type: GoType, local: GoType = type): unknown[] {
  const e = new GobEncoder({ registry });
  const d = new GobDecoder({ registry });
  d.push(e.encode(value, type));
  d.push(e.encode(value, type)); // second value: types not sent again
  const a = d.next(local)!.value;
  const b = d.next(local)!.value;
  assert.equal(d.next(local), undefined);
  return [a, b];
}

test('general shapes round trip: maps, nested slices, arrays of structs, time, interfaces, uint64', () => {
  const v = {
    Name: 'sq',
    Tags: new Map([
      ['a', [1, -2]],
      ['b', []],
    ]),
    Grid: [[0.5, -1], [], [1e300]],
    Corners: [
      { X: 1, Y: -1 },
      { X: 0, Y: 0 },
    ],
    At: { sec: 63839761445n, nsec: 5, offsetMinutes: 60 },
    Any: { name: 'test.Point', value: { X: 3, Y: 4 } },
    Anys: [
      { name: 'string', value: 'x' },
      null,
      { name: 'int', value: -7 },
      { name: 'test.Point', value: { X: 0, Y: 9 } },
    ],
    Big: 2n ** 64n - 1n,
    Small: -128,
    Blob: Uint8Array.from([9, 8]),
    On: true,
  };
  for (const got of roundTrip(v, Shape)) {
    const g = got as typeof v;
    assert.equal(g.Name, 'sq');
    assert.deepEqual(g.Tags, v.Tags);
    assert.deepEqual(g.Grid, v.Grid);
    assert.deepEqual(g.Corners, v.Corners);
    assert.deepEqual(g.At, v.At);
    assert.deepEqual(g.Any, v.Any);
    assert.deepEqual(g.Anys, v.Anys);
    assert.equal(g.Big, v.Big);
    assert.equal(g.Small, -128);
    assert.deepEqual([...g.Blob], [9, 8]);
    assert.equal(g.On, true);
  }
});

test('zero values: scalar/slice/nil fields omitted, structs, arrays and empty maps always sent (Go 1.19)', () => {
  const S = T.struct('S', [
    T.field('I', T.int),
    T.field('Str', T.string),
    T.field('Sl', T.sliceOf(T.int, '[]int')),
    T.field('M', T.mapOf(T.string, T.int, 'map[string]int')),
    T.field('P', Point),
    T.field('A', T.arrayOf(T.int, 2, '[2]int')),
    T.field('Tm', goTime),
    T.field('If', T.iface),
  ]);
  const e = new GobEncoder({ registry });
  e.encode(S.create(), S); // send the types
  const zero = e.encode(
    {
      I: 0,
      Str: '',
      Sl: [],
      M: null,
      P: { X: 0, Y: 0 },
      A: [0, 0],
      Tm: { sec: 0n, nsec: 0, offsetMinutes: -1 },
      If: null,
    },
    S,
  );
  // id, then field 4 (delta 5): empty Point "00", field 5 (delta 1): [2]int "02 00 00", end.
  assert.equal(hexOf(zero).slice(2), 'ff8205000102000000');
  const emptyMap = e.encode({ ...S.create(), M: new Map() }, S);
  assert.match(hexOf(emptyMap), /^..ff820400/, 'an empty non-nil map is sent: delta 4, count 0');
});

test('fields are matched by name: a sender with another order and extra fields', () => {
  const Sender = T.struct('P2', [
    T.field('Extra', T.mapOf(T.string, T.sliceOf(Point, '[]Point'), 'map[string][]Point')),
    T.field('Y', T.int),
    T.field('Skip', T.iface),
    T.field('X', T.int),
    T.field('When', goTime),
  ]);
  const v = {
    Extra: new Map([['k', [{ X: 1, Y: 2 }]]]),
    Y: 20,
    Skip: { name: 'test.Point', value: { X: 5, Y: 5 } },
    X: 10,
    When: { sec: 1n, nsec: 0, offsetMinutes: 0 },
  };
  for (const got of roundTrip(v, Sender, Point)) assert.deepEqual(got, { X: 10, Y: 20 });
});

test('a fresh encoder per stream starts its type table again', () => {
  const e1 = new GobEncoder({ registry });
  const e2 = new GobEncoder({ registry });
  const a = e1.encode({ X: 1, Y: 2 }, Point);
  assert.notEqual(
    hexOf(e1.encode({ X: 1, Y: 2 }, Point)),
    hexOf(a),
    'second value on a stream has no definition',
  );
  assert.equal(hexOf(e2.encode({ X: 1, Y: 2 }, Point)), hexOf(a));
});

test('the encoder rejects values that do not match the declared type', () => {
  const e = new GobEncoder({ registry });
  assert.throws(() => e.encode({ X: 'no', Y: 1 }, Point), { code: 'ERR_GOB_BAD_INPUT' });
  assert.throws(() => e.encode({ Small: 300 }, T.struct('Q', [T.field('Small', T.int8)])), {
    code: 'ERR_GOB_BAD_INPUT',
  });
  assert.throws(() => e.encode({ If: { name: 'nope', value: 1 } }, T.struct('R', [T.field('If', T.iface)])), {
    code: 'ERR_GOB_UNREGISTERED_NAME',
  });
});
