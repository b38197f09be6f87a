// Property test (issue 2 item 7), CI's bounded run of the fuzzer in test/fuzz/core.ts (the long run
// is bench/fuzz.ts): random and mutated inputs through StreamDecoder (plain and snappy), the generic
// gob decoder, the snappy frame reader and the key/value parsers, in random chunkings. They must
// only ever return output or throw our coded errors: no other exception, no hang, no large
// allocation. Deterministic seed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StreamEncoder } from '../../syncer-client/syncproto/index.js';
import { Fuzzer, PING, fuzzOne, loadSeeds, runStream } from '../fuzz/core.js';
import type { Target } from '../fuzz/core.js';
import { snapshotKV } from './fixture-data.js';

const SEED = 0x5eed2026;
const seeds = loadSeeds();

function campaign(
  target: Target,
  n: number,
  seed: number,
): { codes: Map<string, number>; produced: number; messages: number; clean: number; peak: number } {
  const f = new Fuzzer(seed);
  const codes = new Map<string, number>();
  let produced = 0;
  let messages = 0;
  let clean = 0;
  const baseline = process.memoryUsage().arrayBuffers;
  let peak = 0;
  for (let i = 0; i < n; i++) {
    const out = fuzzOne(f, seeds, target);
    if (out.messages > 0) produced++;
    messages += out.messages;
    if (out.code === undefined) clean++;
    else codes.set(out.code, (codes.get(out.code) ?? 0) + 1);
    if (i % 500 === 0) peak = Math.max(peak, process.memoryUsage().arrayBuffers - baseline);
  }
  if (process.env.FUZZ_VERBOSE) console.log(target, codes, { produced, clean, peak });
  // No input may make a decoder buffer or allocate anywhere near what its length fields claim.
  assert.ok(peak < 256 * 1024 * 1024, `${target}: array buffers grew by ${peak} bytes`);
  return { codes, produced, messages, clean, peak };
}

test('fuzz: 12,000 random and mutated syncproto streams only yield messages or coded errors', () => {
  const plain = campaign('stream-plain', 6000, SEED);
  const snappy = campaign('stream-snappy', 6000, SEED + 1);
  const codes = new Map([...plain.codes, ...snappy.codes]);
  // The corpus reaches deep: many different rejections, and many inputs still decode.
  assert.ok(codes.size >= 12, `only ${codes.size} distinct codes: ${[...codes.keys()].join(', ')}`);
  assert.ok(plain.produced + snappy.produced > 1000, 'inputs that decoded a message');
  assert.ok(plain.clean + snappy.clean > 100, 'inputs that decoded cleanly');
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
  const f = new Fuzzer(SEED);
  for (let cut = 0; cut < stream.length; cut++) {
    const out = runStream(f, stream.subarray(0, cut), '');
    const boundary = cut === 0 || cut === a.length;
    assert.equal(out.code, boundary ? undefined : 'ERR_GOB_TRUNCATED', `cut ${cut}`);
    assert.equal(out.messages, cut >= a.length ? 1 : 0, `cut ${cut}`);
  }
});

test('fuzz: 3,000 mutated general gob streams through the generic decoder (no local types)', () => {
  const r = campaign('gob-generic', 3000, SEED + 2);
  assert.ok(r.messages > 1000, `only ${r.messages} values decoded`);
  assert.ok(r.codes.size >= 8, `only ${[...r.codes.keys()].join(', ')}`);
});

test('fuzz: 3,000 mutated snappy streams through the frame reader', () => {
  const r = campaign('snappy', 3000, SEED + 3);
  assert.ok(r.produced > 500, `only ${r.produced} inputs gave a chunk`);
  assert.ok(r.codes.size >= 4, `only ${[...r.codes.keys()].join(', ')}`);
  assert.ok(r.codes.has('ERR_SNAPPY_CRC_MISMATCH'));
});

test('fuzz: 5,000 mutated keys and values through parseKey and decodeValue never throw', () => {
  // Every seed pair is valid, so what the mutations refuse is their doing.
  const r = campaign('kv', 5000, SEED + 4);
  assert.ok(r.produced > 250, `only ${r.produced} values decoded`);
  assert.ok(r.codes.has('KEY_REFUSED') && r.codes.has('VALUE_REFUSED'), [...r.codes.keys()].join(', '));
});
