// Binary encoding of the calc -> dataplane stream with protobufjs, so that the rules engine can be
// fed recorded updates (a length-delimited file of ToDataplane messages) as well as live ones.
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { existsSync } from 'node:fs';
import protobuf from 'protobufjs';
import type { ToDataplane } from './types.js';

function protoPath(): string {
  // Works from the source tree (rules/dataplane-api) and from the build (dist/rules/dataplane-api).
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'proto', 'dataplane.proto');
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new Error('proto/dataplane.proto not found');
}

let root: protobuf.Root | undefined;
function toDataplaneType(): protobuf.Type {
  root ??= protobuf.loadSync(protoPath());
  return root.lookupType('felix.ToDataplane');
}

const CONVERSION: protobuf.IConversionOptions = {
  defaults: true,
  arrays: true,
  objects: true,
  longs: Number,
};

/** Encode one message (with its sequence number) to protobuf bytes. */
export function encodeToDataplane(msg: ToDataplane, sequenceNumber = 0): Uint8Array {
  const type = toDataplaneType();
  const { kind, ...rest } = msg;
  const obj = { sequenceNumber, [kind]: rest };
  const err = type.verify(obj);
  if (err) throw new Error(`invalid ToDataplane ${kind}: ${err}`);
  return type.encode(type.fromObject(obj)).finish();
}

/** Decode protobuf bytes into the discriminated-union form. */
export function decodeToDataplane(bytes: Uint8Array): { msg: ToDataplane; sequenceNumber: number } {
  const type = toDataplaneType();
  const obj = type.toObject(type.decode(bytes), CONVERSION) as Record<string, unknown> & {
    sequenceNumber: number;
  };
  // Oneof members get no defaults, so the one present key is the payload.
  const kind = type.oneofs['payload']?.oneof.find((k) => obj[k] !== undefined);
  if (!kind) throw new Error('ToDataplane without payload');
  const body = obj[kind] as Record<string, unknown>;
  return { msg: { kind, ...body } as unknown as ToDataplane, sequenceNumber: obj.sequenceNumber };
}

/** Length-delimited stream of ToDataplane messages (a recording). */
export function encodeRecording(msgs: readonly ToDataplane[]): Uint8Array {
  const type = toDataplaneType();
  const w = protobuf.Writer.create();
  msgs.forEach((m, i) => {
    const { kind, ...rest } = m;
    type.encodeDelimited(type.fromObject({ sequenceNumber: i + 1, [kind]: rest }), w);
  });
  return w.finish();
}

export function decodeRecording(bytes: Uint8Array): ToDataplane[] {
  const r = protobuf.Reader.create(bytes);
  const out: ToDataplane[] = [];
  while (r.pos < r.len) {
    const len = r.uint32();
    out.push(decodeToDataplane(bytes.subarray(r.pos, r.pos + len)).msg);
    r.skip(len);
  }
  return out;
}
