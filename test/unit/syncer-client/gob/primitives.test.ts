// Go encoding/gob primitive encodings, both directions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ByteWriter, Reader } from '../../../../syncer-client/gob/index.js';

function enc(f: (w: ByteWriter) => void): string {
  const w = new ByteWriter(1);
  f(w);
  return Buffer.from(w.bytes()).toString('hex');
}
function reader(hex: string): Reader {
  const r = new Reader();
  r.load(Uint8Array.from(Buffer.from(hex, 'hex')));
  return r;
}

test('Go encoding/gob uint examples', () => {
  const cases: [number | bigint, string][] = [
    [0, '00'],
    [127, '7f'],
    [128, 'ff80'],
    [256, 'fe0100'],
    [0x1234567800000001n, 'f81234567800000001'],
    [0xffffffffffffffffn, 'f8ffffffffffffffff'],
  ];
  for (const [v, hex] of cases) {
    assert.equal(
      enc((w) => w.uint(v)),
      hex,
      `encode ${v}`,
    );
    assert.equal(reader(hex).uintBig(), BigInt(v), `decode ${hex}`);
    if (typeof v === 'number') assert.equal(reader(hex).uint(), v);
  }
});

test('Go encoding/gob int examples (zig-zag, sign in bit 0)', () => {
  const cases: [number | bigint, string][] = [
    [0, '00'],
    [-1, '01'],
    [1, '02'],
    [3, '06'],
    [65, 'ff82'],
    [-65, 'ff81'],
    [5_000_000_000, 'fb02540be400'],
    [-(2n ** 63n), 'f8ffffffffffffffff'],
    [2n ** 63n - 1n, 'f8fffffffffffffffe'],
  ];
  for (const [v, hex] of cases) {
    assert.equal(
      enc((w) => w.int(v)),
      hex,
      `encode ${v}`,
    );
    assert.equal(reader(hex).intBig(), BigInt(v), `decode ${hex}`);
    if (typeof v === 'number') assert.equal(reader(hex).int(), v);
  }
});

test('floats: byte-reversed IEEE bits as a uint, round trip including edge values', () => {
  assert.equal(
    enc((w) => w.float(1)),
    'fef03f',
  ); // Go: 1.0 -> fe f0 3f
  assert.equal(
    enc((w) => w.float(0)),
    '00',
  );
  for (const v of [
    0,
    -0,
    1,
    -1.5,
    3.141592653589793,
    1e-310,
    -2.5e-300,
    1.7976931348623157e308,
    Infinity,
    -Infinity,
  ]) {
    assert.ok(Object.is(reader(enc((w) => w.float(v))).float(), v), String(v));
  }
  assert.ok(Number.isNaN(reader(enc((w) => w.float(NaN))).float()));
});

test('strings: ASCII and UTF-8 round trip; bytes are views', () => {
  for (const s of ['', 'abc', 'héllo wörld ✓', '𝄞 emoji 🎉', 'x'.repeat(300)]) {
    const r = reader(enc((w) => w.string(s)));
    assert.equal(r.string(), s);
    assert.equal(r.remaining, 0);
  }
  const w = new ByteWriter();
  w.bytesField(Uint8Array.from([1, 2, 3]));
  const r = new Reader();
  const buf = w.bytes();
  r.load(buf);
  const v = r.bytes();
  assert.deepEqual([...v], [1, 2, 3]);
  assert.equal(v.buffer, buf.buffer, 'no copy');
});

test('the writer rejects values that do not fit', () => {
  assert.throws(() => enc((w) => w.uint(-1)), { code: 'ERR_GOB_BAD_INPUT' });
  assert.throws(() => enc((w) => w.uint(2n ** 64n)), { code: 'ERR_GOB_BAD_INPUT' });
  assert.throws(() => enc((w) => w.int(2n ** 63n)), { code: 'ERR_GOB_BAD_INPUT' });
  assert.throws(() => enc((w) => w.int(0.5)), { code: 'ERR_GOB_BAD_INPUT' });
  assert.throws(() => enc((w) => w.string('\ud800')), { code: 'ERR_GOB_INVALID_UTF8' });
});
