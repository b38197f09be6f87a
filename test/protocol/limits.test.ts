// Wire limits on type definitions (issue 17 items 4 and 5): a cap on fields per struct and on the
// bytes of all definitions on one stream. Hostile streams are refused with a typed error from their
// first bytes, without buffering or parsing what they claim; Go's own syncproto streams fit the caps
// with two orders of magnitude to spare; a client talking to such a server reconnects.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ByteWriter,
  DEFAULT_MAX_TYPEDEF_BYTES,
  GobDecoder,
  MAX_STRUCT_FIELDS,
  T,
  TypeId,
  TypeRegistry,
  writeWireType,
} from '../../syncer-client/gob/index.js';
import type { WireType } from '../../syncer-client/gob/index.js';
import { frame, unframe } from '../../syncer-client/snappy/index.js';
import { EnvelopeType, StreamDecoder, syncprotoRegistry } from '../../syncer-client/syncproto/index.js';
import { TyphaServer } from '../../tools/typha-server/index.js';
import { startClient } from '../integration/syncer-harness.js';
import { FIXTURES } from './paths.js';

const MiB = 1024 * 1024;

/** Field name i of a big struct: fixed width so the size of a definition is easy to state. */
const fieldName = (i: number, digits: number): string => `F${String(i).padStart(digits, '0')}`;

/**
 * A top-level definition message (length prefix included) of struct `id` with `n` int fields,
 * written with the repo's gob writer field by field the way writeWireType lays them out (checked
 * against writeWireType below), so millions of fields need no array of field objects.
 */
function bigStructDef(id: number, n: number, digits: number): Buffer {
  const body = new ByteWriter(n * (digits + 6) + 64);
  body.int(-id);
  body.uint(3); // wireType field 2: StructT
  body.uint(1); // CommonType
  body.uint(1);
  body.string('Bomb');
  body.uint(1);
  body.int(id);
  body.uint(0);
  body.uint(1); // Field []*fieldType
  body.uint(n);
  for (let i = 0; i < n; i++) {
    body.uint(1);
    body.string(fieldName(i, digits));
    body.uint(1);
    body.int(TypeId.Int);
    body.uint(0);
  }
  body.uint(0);
  body.uint(0);
  const head = new ByteWriter(16);
  head.uint(body.pos);
  return Buffer.concat([head.bytes(), body.buf.subarray(0, body.pos)]);
}

function structWire(n: number, digits: number): WireType {
  return {
    kind: 'struct',
    name: 'Bomb',
    fields: Array.from({ length: n }, (_, i) => ({ name: fieldName(i, digits), id: TypeId.Int })),
  };
}

function defMessage(id: number, t: WireType): Buffer {
  const body = new ByteWriter();
  body.int(-id);
  writeWireType(body, id, t);
  const head = new ByteWriter(16);
  head.uint(body.pos);
  return Buffer.concat([head.bytes(), body.buf.subarray(0, body.pos)]);
}

/** A value message of struct `id` setting field `f` (an int) to `v`. */
function valueMessage(id: number, f: number, v: number): Buffer {
  const body = new ByteWriter();
  body.int(id);
  body.uint(f + 1);
  body.int(v);
  body.uint(0);
  const head = new ByteWriter(16);
  head.uint(body.pos);
  return Buffer.concat([head.bytes(), body.buf.subarray(0, body.pos)]);
}

/** A message's body: its bytes without the gob uint length prefix. */
function bodyOf(m: Buffer): Buffer {
  const b = m[0]!;
  return m.subarray(b < 0x80 ? 1 : 1 + 256 - b);
}

/** What a definition message costs against the budget: its wireType bytes (body less the id). */
function definitionCost(m: Buffer, id: number): number {
  const w = new ByteWriter(16);
  w.int(-id);
  return bodyOf(m).length - w.pos;
}

function drain(d: GobDecoder, local = EnvelopeType): number {
  let n = 0;
  while (d.next(local) !== undefined) n++;
  return n;
}

/** The gob bytes of a Go-written fixture (snappy fixtures unframed). */
function goGob(name: string): Buffer {
  const raw = readFileSync(join(FIXTURES, name));
  return name.endsWith('.snappy') ? Buffer.from(unframe(raw)) : raw;
}

test('the test builder writes the same bytes as writeWireType', () => {
  assert.deepEqual(bigStructDef(70, 3, 4), defMessage(70, structWire(3, 4)));
});

test("Go's syncproto streams fit both caps with a hundredfold margin; the budget is exact and survives rewinds", () => {
  for (const name of ['s1-plain.gob', 's2-snapshot-10k.snappy', 's3-live.snappy', 'reordered.gob']) {
    const bytes = goGob(name);
    const d = new GobDecoder({ registry: syncprotoRegistry() });
    d.push(bytes);
    const values = drain(d);
    d.finish();
    assert.ok(values > 0, name);
    const used = d.definitionBytes;
    assert.ok(used > 0 && used * 100 < DEFAULT_MAX_TYPEDEF_BYTES, `${name}: ${used} bytes of definitions`);
    let maxFields = 0;
    for (let id = 64; id < 64 + 200; id++) {
      const w = d.wireType(id);
      if (w?.kind === 'struct') maxFields = Math.max(maxFields, w.fields.length);
    }
    assert.ok(maxFields > 0 && maxFields * 100 < MAX_STRUCT_FIELDS, `${name}: ${maxFields} fields`);

    // Exactly `used` bytes suffice, also when the input arrives in pieces that end inside
    // definitions (each retry rewinds the count); one byte less is refused.
    const exact = new GobDecoder({ registry: syncprotoRegistry(), maxTypedefBytes: used });
    let got = 0;
    for (let at = 0; at < bytes.length; at += 7) {
      exact.push(bytes.subarray(at, at + 7));
      got += drain(exact);
    }
    exact.finish();
    assert.equal(got, values, name);
    assert.equal(exact.definitionBytes, used, name);
    const short = new GobDecoder({ registry: syncprotoRegistry(), maxTypedefBytes: used - 1 });
    short.push(bytes);
    assert.throws(() => drain(short), { code: 'ERR_GOB_TYPEDEFS_TOO_LARGE' }, name);
  }
});

test('a struct of MAX_STRUCT_FIELDS fields decodes; one field more is ERR_GOB_TOO_MANY_FIELDS', () => {
  assert.equal(MAX_STRUCT_FIELDS, 1024);
  const ok = new GobDecoder();
  ok.push(Buffer.concat([bigStructDef(64, MAX_STRUCT_FIELDS, 4), valueMessage(64, 1023, -7)]));
  const v = ok.next()!.value as Record<string, unknown>;
  assert.equal(v['F1023'], -7);
  const over = new GobDecoder();
  over.push(Buffer.concat([bigStructDef(64, MAX_STRUCT_FIELDS + 1, 4), valueMessage(64, 0, 1)]));
  assert.throws(() => over.next(), { code: 'ERR_GOB_TOO_MANY_FIELDS' });
  assert.throws(() => over.next(), { code: 'ERR_GOB_TOO_MANY_FIELDS' }, 'the stream stays failed');
});

for (const [fields, digits] of [
  [2_000_000, 6],
  [5_000_000, 7],
] as const) {
  test(`${fields / 1e6}M fields in one definition (under the 64 MiB message cap): refused from its first 64 KiB`, () => {
    const bomb = bigStructDef(64, fields, digits);
    assert.ok(bomb.length > 20 * MiB && bomb.length < 64 * MiB, `${bomb.length} bytes`);
    // Through the syncproto stream decoder with its defaults, as the client runs it: only the first
    // 64 KiB have arrived, and the definition is refused from its length and sign alone.
    const sd = new StreamDecoder();
    sd.push(bomb.subarray(0, 64 * 1024));
    assert.throws(() => sd.next(), { code: 'ERR_GOB_TYPEDEFS_TOO_LARGE' });

    // With the byte budget lifted, the whole message buffered (a view, not a copy), the field count
    // alone refuses it. The field bytes after the count are replaced by garbage: a decoder that
    // read even one field would fail differently, so this proves none is read or allocated.
    const countEnd = bomb.length - fields * (digits + 6) - 2;
    const garbage = Buffer.from(bomb);
    garbage.fill(0xff, countEnd, garbage.length);
    for (const input of [bomb, garbage]) {
      const d = new GobDecoder({ maxTypedefBytes: 128 * MiB });
      const before = process.memoryUsage().heapUsed;
      d.push(input);
      assert.throws(() => d.next(), { code: 'ERR_GOB_TOO_MANY_FIELDS' });
      const grown = process.memoryUsage().heapUsed - before;
      assert.ok(grown < 8 * MiB, `heap grew by ${grown} bytes`);
    }
  });
}

test('definitions adding up past the budget: refused at the one that crosses it, earlier ones usable', () => {
  const d = new GobDecoder();
  let accepted = 0;
  const costs: number[] = [];
  let err: unknown;
  for (let i = 0; i < 200 && err === undefined; i++) {
    const id = 64 + i;
    // About 11 KB each, well under the field cap.
    const m = bigStructDef(id, 1000, 4);
    costs.push(definitionCost(m, id));
    d.push(Buffer.concat([m, valueMessage(id, 999, i)]));
    try {
      const v = d.next()!.value as Record<string, unknown>;
      assert.equal(v['F0999'], i);
      accepted++;
    } catch (e) {
      err = e;
    }
  }
  assert.equal((err as { code?: string }).code, 'ERR_GOB_TYPEDEFS_TOO_LARGE');
  // Exactly as many fit as the budget allows: the accepted ones add up to at most the budget, and
  // the refused one would have taken it over.
  const used = costs.slice(0, accepted).reduce((a, b) => a + b, 0);
  assert.equal(d.definitionBytes, used);
  assert.ok(used <= DEFAULT_MAX_TYPEDEF_BYTES && used + costs[accepted]! > DEFAULT_MAX_TYPEDEF_BYTES);
  assert.ok(accepted > 50, `${accepted} definitions accepted`);
});

test('a definition inside an interface value counts too, and parsing stops at the budget', () => {
  // Envelope{Message interface{}} whose value carries the definition of its concrete type inline.
  const Big = T.struct('Big', [T.field('F0999', T.int)]);
  const registry = TypeRegistry.withBasics().register('big', Big);
  const envelope = defMessage(64, {
    kind: 'struct',
    name: 'Envelope',
    fields: [{ name: 'Message', id: TypeId.Interface }],
  });
  const inline = bigStructDef(65, 1000, 4);
  const body = new ByteWriter();
  body.int(64);
  body.uint(1); // field 0: Message
  body.string('big');
  body.raw(bodyOf(inline)); // -65 and its wireType
  body.uint(4); // the delimited value's count, skipped after an inline definition
  body.int(65);
  body.uint(4); // byteCount
  body.uint(1000); // delta to field 999
  body.int(3);
  body.uint(0);
  body.uint(0);
  const head = new ByteWriter(16);
  head.uint(body.pos);
  const stream = Buffer.concat([envelope, head.bytes(), body.buf.subarray(0, body.pos)]);
  const Env = T.struct('Envelope', [T.field('Message', T.iface)]);

  const roomy = new GobDecoder({ registry });
  roomy.push(stream);
  const v = roomy.next(Env)!.value as { Message: { name: string; value: Record<string, unknown> } };
  assert.equal(v.Message.name, 'big');
  assert.equal(v.Message.value['F0999'], 3);
  const budget = roomy.definitionBytes - 100;
  const tight = new GobDecoder({ registry, maxTypedefBytes: budget });
  tight.push(stream);
  assert.throws(() => tight.next(Env), { code: 'ERR_GOB_TYPEDEFS_TOO_LARGE' });
});

for (const compression of [false, true]) {
  test(`a client whose Typha sends a 2M-field definition drops it with the typed error and reconnects (${compression ? 'snappy' : 'plain'})`, async () => {
    const server = new TyphaServer();
    await server.start();
    server.put('/calico/v1/config/LogSeverityScreen', 'Info');
    const { client, rec } = startClient(server.endpoint, { compression });
    try {
      await rec.waitInSync();
      const bomb = bigStructDef(500, 2_000_000, 6);
      server.sendRawAndClose(compression ? frame(bomb) : bomb);
      await rec.waitForCount('disconnected', 1);
      const d = rec.events.find((e) => e.kind === 'disconnected');
      assert.ok(d?.kind === 'disconnected', 'disconnected');
      assert.match(d.reason, /^ERR_TYPHA_PROTOCOL: .*ERR_GOB_TYPEDEFS_TOO_LARGE/);
      await rec.waitFor(() => rec.count('connected') === 2 && rec.status === 'in-sync', 'reconnected');
      assert.equal(rec.state.get('/calico/v1/config/LogSeverityScreen'), 'Info');
      assert.deepEqual(rec.violations, []);
    } finally {
      await client.stop();
      await server.stop();
    }
  });
}
