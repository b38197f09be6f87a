// Snappy framing format and block codec (snappy framing_format.txt).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ByteQueue } from '../../../../syncer-client/gob/index.js';
import {
  FrameReader,
  FrameWriter,
  STREAM_IDENTIFIER,
  compressBlock,
  crc32c,
  crc32cPortable,
  crc32cImplementation,
  decompressBlock,
  frame,
  maskedCrc32c,
  unframe,
} from '../../../../syncer-client/snappy/index.js';
import { mulberry32 } from '../../../fuzz/prng.js';

const rng = mulberry32;

function chunk(type: number, body: Uint8Array): Uint8Array {
  return Uint8Array.from([type, body.length & 0xff, (body.length >> 8) & 0xff, body.length >> 16, ...body]);
}
function le32(n: number): number[] {
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];
}
function dataChunk(data: Uint8Array, crc = maskedCrc32c(data)): Uint8Array {
  return chunk(0x01, Uint8Array.from([...le32(crc), ...data]));
}
function readAll(bytes: Uint8Array): Uint8Array {
  return unframe(bytes);
}

test('CRC-32C check value and snappy masking', () => {
  assert.equal(crc32c(new TextEncoder().encode('123456789')), 0xe3069283);
  assert.equal(crc32c(new Uint8Array(0)), 0);
  assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
  const c = crc32c(new TextEncoder().encode('123456789'));
  assert.equal(
    maskedCrc32c(new TextEncoder().encode('123456789')),
    ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0,
  );
});

test('CRC-32C word path agrees with the bytewise definition at every alignment and length', () => {
  const ref = (d: Uint8Array): number => {
    let c = ~0;
    for (const b of d) {
      c ^= b;
      for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    }
    return ~c >>> 0;
  };
  const r = rng(3);
  const buf = Uint8Array.from({ length: 400 }, () => Math.floor(r() * 256));
  for (let off = 0; off < 8; off++) {
    for (const len of [0, 1, 15, 63, 64, 65, 79, 80, 81, 200, 391]) {
      const v = buf.subarray(off, off + len);
      assert.equal(crc32c(v), ref(v), `offset ${off} length ${len}`);
      assert.equal(crc32cPortable(v), ref(v), `portable: offset ${off} length ${len}`);
    }
  }
});

test('block codec round trips random, repetitive and mixed data', () => {
  const r = rng(1);
  const inputs: Uint8Array[] = [new Uint8Array(0), Uint8Array.from([7]), new Uint8Array(100_000)];
  inputs.push(Uint8Array.from({ length: 70_000 }, () => Math.floor(r() * 256)));
  inputs.push(new TextEncoder().encode('{"state":"active","name":"cali12345"}'.repeat(3000)));
  inputs.push(
    Uint8Array.from({ length: 50_000 }, (_, i) => (i % 1000 < 500 ? i % 7 : Math.floor(r() * 256))),
  );
  for (const input of inputs) {
    const c = compressBlock(input);
    const d = decompressBlock(c, input.length);
    assert.ok(Buffer.from(d).equals(Buffer.from(input)), `length ${input.length}`);
  }
  assert.ok(compressBlock(new Uint8Array(100_000)).length < 5000, 'zeros compress');
});

test('block decoder rejects corrupt blocks', () => {
  const cases: [string, number[]][] = [
    ['copy before any output', [4, 0b001, 1]],
    ['offset 0', [8, 0x0c, 0x61, 0x62, 0x63, 0x64, 0x01, 0x00]],
    ['literal past the end', [10, 0x24, 0x61]],
    ['output longer than header', [1, 0x04, 0x61, 0x62]],
    ['output shorter than header', [5, 0x00, 0x61]],
    ['bad varint', [0xff, 0xff, 0xff, 0xff, 0xff, 0xff]],
  ];
  for (const [what, bytes] of cases) {
    assert.throws(() => decompressBlock(Uint8Array.from(bytes), 65536), { code: 'ERR_SNAPPY_CORRUPT' }, what);
  }
  // The declared length is checked against the limit before allocating.
  assert.throws(() => decompressBlock(Uint8Array.from([0x80, 0x80, 0x80, 0x80, 0x0f]), 65536), {
    code: 'ERR_SNAPPY_CORRUPT',
  });
});

test('framing: Go writer rules (stream identifier once, ≤ 64 KiB per chunk, compressed only when it saves 12.5 %)', () => {
  const w = new FrameWriter();
  const text = new TextEncoder().encode('abcdefgh'.repeat(20_000)); // 160000 bytes, compressible
  w.write(text);
  w.flush();
  w.write(Uint8Array.from([1, 2, 3]));
  w.flush();
  const out = w.take();
  assert.deepEqual([...out.subarray(0, 10)], [...STREAM_IDENTIFIER]);
  const types: number[] = [];
  for (let p = 10; p < out.length;) {
    const len = out[p + 1]! | (out[p + 2]! << 8) | (out[p + 3]! << 16);
    types.push(out[p]!);
    p += 4 + len;
  }
  assert.deepEqual(types, [0, 0, 0, 1], '3 compressed chunks for 160000 bytes, then a small stored one');
  assert.deepEqual([...readAll(out)], [...text, 1, 2, 3]);
});

test('framing reader: padding and skippable chunks are skipped, even when they arrive piecemeal', () => {
  const data = Uint8Array.from([5, 6, 7]);
  const stream = Buffer.concat([
    STREAM_IDENTIFIER,
    chunk(0xfe, new Uint8Array(100)),
    chunk(0x80, new Uint8Array(70_000 & 0xffff)),
    dataChunk(data),
    STREAM_IDENTIFIER, // may repeat
    chunk(0xfd, Uint8Array.from([1])),
    dataChunk(Uint8Array.from([8])),
  ]);
  assert.deepEqual([...readAll(stream)], [5, 6, 7, 8]);
  const q = new ByteQueue();
  const r = new FrameReader(q);
  const got: number[] = [];
  for (let i = 0; i < stream.length; i++) {
    q.push(stream.subarray(i, i + 1));
    for (let c = r.nextChunk(); c !== undefined; c = r.nextChunk()) got.push(...c);
  }
  r.finish();
  assert.deepEqual(got, [5, 6, 7, 8]);
});

test('framing reader: hostile streams are rejected with codes', () => {
  const good = dataChunk(Uint8Array.from([1, 2, 3]));
  const cases: [string, Uint8Array, string][] = [
    ['no stream identifier', good, 'ERR_SNAPPY_MISSING_STREAM_ID'],
    [
      'bad identifier body',
      Uint8Array.from([0xff, 6, 0, 0, ...new TextEncoder().encode('sNaPpZ')]),
      'ERR_SNAPPY_BAD_STREAM_ID',
    ],
    ['bad identifier length', Uint8Array.from([0xff, 5, 0, 0, 1, 2, 3, 4, 5]), 'ERR_SNAPPY_BAD_STREAM_ID'],
    [
      'reserved unskippable chunk',
      Buffer.concat([STREAM_IDENTIFIER, chunk(0x02, Uint8Array.from([1]))]),
      'ERR_SNAPPY_UNSKIPPABLE_CHUNK',
    ],
    [
      'reserved 0x7f',
      Buffer.concat([STREAM_IDENTIFIER, chunk(0x7f, new Uint8Array(0))]),
      'ERR_SNAPPY_UNSKIPPABLE_CHUNK',
    ],
    [
      'CRC mismatch',
      Buffer.concat([STREAM_IDENTIFIER, dataChunk(Uint8Array.from([1, 2, 3]), 12345)]),
      'ERR_SNAPPY_CRC_MISMATCH',
    ],
    [
      'data chunk without checksum',
      Buffer.concat([STREAM_IDENTIFIER, chunk(0x01, Uint8Array.from([1, 2]))]),
      'ERR_SNAPPY_CORRUPT',
    ],
    [
      'stored chunk over 64 KiB',
      Buffer.concat([STREAM_IDENTIFIER, Uint8Array.from([0x01, 0x05, 0x00, 0x01])]),
      'ERR_SNAPPY_CHUNK_TOO_LARGE',
    ],
    [
      'compressed chunk over the max',
      Buffer.concat([STREAM_IDENTIFIER, Uint8Array.from([0x00, 0xff, 0xff, 0xff])]),
      'ERR_SNAPPY_CHUNK_TOO_LARGE',
    ],
    [
      'compressed block declaring > 64 KiB',
      Buffer.concat([STREAM_IDENTIFIER, chunk(0x00, Uint8Array.from([0, 0, 0, 0, 0x81, 0x80, 0x04, 0]))]),
      'ERR_SNAPPY_CORRUPT',
    ],
    ['truncated chunk', Buffer.concat([STREAM_IDENTIFIER, good.subarray(0, 6)]), 'ERR_SNAPPY_TRUNCATED'],
  ];
  for (const [what, bytes, code] of cases) assert.throws(() => readAll(bytes), { code }, what);
});

test('frame() output is what unframe() reads, for sizes around the chunk limit', () => {
  const r = rng(2);
  for (const n of [0, 1, 65535, 65536, 65537, 200_000]) {
    const data = Uint8Array.from({ length: n }, (_, i) => (i % 3 === 0 ? Math.floor(r() * 256) : i % 251));
    assert.ok(Buffer.from(readAll(frame(data))).equals(Buffer.from(data)), String(n));
  }
});

test('the native CRC-32C codec is in use on this platform (linux x64 ships it)', () => {
  // @node-rs/crc32 is a pinned dependency with a prebuilt linux-x64-gnu binary; falling back to the
  // portable code here would silently cost a third of the snapshot decode time.
  if (process.platform === 'linux' && process.arch === 'x64') assert.equal(crc32cImplementation, 'native');
  else assert.ok(crc32cImplementation === 'native' || crc32cImplementation === 'portable');
});
