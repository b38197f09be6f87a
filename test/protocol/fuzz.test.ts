// Property test (issue 2 item 7): 12,000 random and mutated inputs through StreamDecoder, plain
// and snappy, in random chunkings. It must only ever return messages or throw our coded
// errors: no other exception, no hang, no large allocation. Deterministic seed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProtocolError, StreamDecoder, StreamEncoder } from '../../syncer-client/syncproto/index.js';
import { GobDecoder, T, TypeRegistry } from '../../syncer-client/gob/index.js';
import type { Msg } from '../../syncer-client/syncproto/index.js';
import { frame } from '../../syncer-client/snappy/index.js';
import { snapshotKV } from './fixture-data.js';
import { FIXTURES } from './paths.js';
import { CLIENT_STREAM, SERVER_S1, hex } from './spec-vectors.js';

const SEED = 0x5eed2026;
const ITERATIONS_PER_MODE = 6000;

function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const rand = mulberry32(SEED);
const int = (n: number) => Math.floor(rand() * n);
const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;

const PING_TIME = { sec: 63839761445n, nsec: 600000000, offsetMinutes: -1 };
const PING: Msg = { type: 'Ping', timestamp: PING_TIME };

function plainSeeds(): Uint8Array[] {
  const e = new StreamEncoder('');
  const ours = Buffer.concat([
    e.encode({ type: 'SyncStatus', syncStatus: 2 }),
    e.encode({ type: 'KVs', kvs: Array.from({ length: 12 }, (_, i) => snapshotKV(i * 7)) }),
    e.encode(PING),
    e.encode({
      type: 'Pong',
      pingTimestamp: PING_TIME,
      pongTimestamp: { sec: 5n, nsec: 6, offsetMinutes: 60, offsetSeconds: 3 },
    }),
  ]);
  return [
    hex(CLIENT_STREAM.join('')),
    hex(SERVER_S1.join('')),
    ours,
    readFileSync(join(FIXTURES, 'reordered.gob')),
    readFileSync(join(FIXTURES, 'generic.gob')),
  ];
}

function snappySeeds(plain: Uint8Array[]): Uint8Array[] {
  const live = new StreamEncoder('snappy');
  const snap = new StreamEncoder('snappy').encodeMany([
    { type: 'KVs', kvs: Array.from({ length: 40 }, (_, i) => snapshotKV(i)) },
    { type: 'DecoderRestart', message: 'End of compressed snapshot.', compressionAlgorithm: 'snappy' },
  ]);
  return [
    Buffer.concat([
      live.encode({ type: 'SyncStatus', syncStatus: 2 }),
      live.encode(PING),
      live.encode({ type: 'KVs', kvs: [snapshotKV(3)] }),
    ]),
    snap,
    ...plain.slice(0, 3).map((p) => frame(p)),
  ];
}

function mutate(src: Uint8Array, others: readonly Uint8Array[]): Uint8Array {
  let b = Uint8Array.from(src);
  const rounds = 1 + int(4);
  for (let r = 0; r < rounds; r++) {
    const at = b.length === 0 ? 0 : int(b.length);
    switch (int(8)) {
      case 0: // flip bits
        if (b.length > 0) b[at] = b[at]! ^ (1 << int(8));
        break;
      case 1: // an interesting byte (length-prefix and count edge cases)
        if (b.length > 0) b[at] = pick([0x00, 0x01, 0x7f, 0x80, 0xf8, 0xf9, 0xfa, 0xfe, 0xff]);
        break;
      case 2: // a huge uint where a length or count may be
        b = Buffer.concat([
          b.subarray(0, at),
          Uint8Array.from([0xf8, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
          b.subarray(at + 1),
        ]);
        break;
      case 3: // insert random bytes
        b = Buffer.concat([
          b.subarray(0, at),
          Uint8Array.from({ length: 1 + int(16) }, () => int(256)),
          b.subarray(at),
        ]);
        break;
      case 4: // delete a range
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + int(32))]);
        break;
      case 5: // duplicate a range
        b = Buffer.concat([b.subarray(0, at), b.subarray(at, at + 1 + int(64)), b.subarray(at)]);
        break;
      case 6: // truncate
        b = b.subarray(0, at);
        break;
      default: {
        // splice in part of another input
        const o = pick(others);
        const from = int(o.length + 1);
        b = Buffer.concat([b.subarray(0, at), o.subarray(from, from + int(256))]);
      }
    }
  }
  return b;
}

const CODE = /^ERR_(GOB|SNAPPY|PROTO)_[A-Z0-9_]+$/;

interface Outcome {
  messages: number;
  code?: string;
}

function run(input: Uint8Array, mode: '' | 'snappy'): Outcome {
  const d = new StreamDecoder();
  if (mode === 'snappy') d.restart('snappy');
  let messages = 0;
  try {
    let at = 0;
    while (at < input.length) {
      const n = 1 + int(rand() < 0.3 ? 8 : 600);
      d.push(input.subarray(at, at + n));
      at += n;
      for (let m = d.next(); m !== undefined; m = d.next()) {
        messages++;
        // A bound no legitimate input this small can reach: a loop here would be a hang.
        if (messages > 100_000) throw new Error('decoder keeps returning messages: hang');
        if (m.type === 'DecoderRestart') d.restart(m.compressionAlgorithm === 'snappy' ? 'snappy' : '');
      }
    }
    d.finish();
    return { messages };
  } catch (e) {
    if (!(e instanceof ProtocolError) || !CODE.test(e.code)) {
      throw new Error(
        `uncoded failure for input ${Buffer.from(input).toString('hex').slice(0, 400)}: ${String(e)}`,
        { cause: e },
      );
    }
    return { messages, code: e.code };
  }
}

test(`fuzz: ${2 * ITERATIONS_PER_MODE} random and mutated inputs only yield messages or coded errors`, () => {
  const plain = plainSeeds();
  const snappy = snappySeeds(plain);
  const all = [...plain, ...snappy];
  const codes = new Map<string, number>();
  let decodedSomething = 0;
  let clean = 0;
  const baseline = process.memoryUsage().arrayBuffers;
  let peak = 0;
  for (const mode of ['', 'snappy'] as const) {
    const seeds = mode === '' ? plain : snappy;
    for (let i = 0; i < ITERATIONS_PER_MODE; i++) {
      let input: Uint8Array;
      const kind = int(10);
      if (kind === 0)
        input = Uint8Array.from({ length: int(512) }, () => int(256)); // pure noise
      else if (kind === 1 && mode === 'snappy')
        input = Buffer.concat([
          snappy[0]!.subarray(0, 10),
          Uint8Array.from({ length: int(300) }, () => int(256)),
        ]);
      else if (kind === 2 && mode === 'snappy')
        input = frame(mutate(pick(plain), all)); // valid framing around bad gob
      else input = mutate(pick(seeds), all);
      const out = run(input, mode);
      if (out.messages > 0) decodedSomething++;
      if (out.code === undefined) clean++;
      else codes.set(out.code, (codes.get(out.code) ?? 0) + 1);
      if (i % 500 === 0) peak = Math.max(peak, process.memoryUsage().arrayBuffers - baseline);
    }
  }
  if (process.env.FUZZ_VERBOSE) console.log(codes, { decodedSomething, clean, peak });
  // No input may make the decoder buffer or allocate anywhere near what its length fields claim.
  assert.ok(peak < 256 * 1024 * 1024, `array buffers grew by ${peak} bytes`);
  // The corpus reaches deep: many different rejections, and many inputs still decode.
  assert.ok(codes.size >= 12, `only ${codes.size} distinct codes: ${[...codes.keys()].join(', ')}`);
  assert.ok(decodedSomething > 1000, `only ${decodedSomething} inputs decoded a message`);
  assert.ok(clean > 100, `only ${clean} inputs decoded cleanly`);
  for (const c of [
    'ERR_GOB_TRUNCATED',
    'ERR_GOB_MESSAGE_TOO_LARGE',
    'ERR_SNAPPY_CRC_MISMATCH',
    'ERR_GOB_UNKNOWN_TYPE',
  ]) {
    assert.ok(codes.has(c), `never saw ${c}: ${[...codes].join(' ')}`);
  }
});

test('a valid stream cut at any offset: whole messages decode, the cut is ERR_GOB_TRUNCATED', () => {
  const e = new StreamEncoder('');
  const a = e.encode({ type: 'KVs', kvs: [snapshotKV(1), snapshotKV(2)] });
  const b = e.encode(PING);
  const stream = Buffer.concat([a, b]);
  for (let cut = 0; cut < stream.length; cut++) {
    const out = run(stream.subarray(0, cut), '');
    const boundary = cut === 0 || cut === a.length;
    assert.equal(out.code, boundary ? undefined : 'ERR_GOB_TRUNCATED', `cut ${cut}`);
    assert.equal(out.messages, cut >= a.length ? 1 : 0, `cut ${cut}`);
  }
});

test('fuzz: 3,000 mutated general gob streams through the generic decoder (no local types)', () => {
  const generic = readFileSync(join(FIXTURES, 'generic.gob'));
  const reordered = readFileSync(join(FIXTURES, 'reordered.gob'));
  const registry = TypeRegistry.withBasics().register('main.Inner', T.struct('Inner', [T.field('A', T.int)]));
  const codes = new Set<string>();
  let values = 0;
  for (let i = 0; i < 3000; i++) {
    const input = mutate(i % 4 === 0 ? reordered : generic, [generic, reordered]);
    const d = new GobDecoder({ registry });
    try {
      let at = 0;
      while (at < input.length) {
        const n = 1 + int(400);
        d.push(input.subarray(at, at + n));
        at += n;
        for (let v = d.next(); v !== undefined; v = d.next()) values++;
      }
      d.finish();
    } catch (e) {
      if (!(e instanceof ProtocolError) || !CODE.test(e.code)) {
        throw new Error(
          `uncoded failure for input ${Buffer.from(input).toString('hex').slice(0, 400)}: ${String(e)}`,
          { cause: e },
        );
      }
      codes.add(e.code);
    }
  }
  assert.ok(values > 1000, `only ${values} values decoded`);
  assert.ok(codes.size >= 8, `only ${[...codes].join(', ')}`);
});
