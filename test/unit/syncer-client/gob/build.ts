// Helpers that write gob bytes by hand (Go encoding/gob), for hostile-input tests.
import { ByteWriter, writeWireType } from '../../../../syncer-client/gob/index.js';
import type { WireType } from '../../../../syncer-client/gob/index.js';

/** Bytes of a message body built with the writer, length prefix added. */
export function msg(build: (w: ByteWriter) => void): Uint8Array {
  const body = new ByteWriter();
  build(body);
  const w = new ByteWriter();
  w.uint(body.pos);
  w.raw(body.buf.subarray(0, body.pos));
  return w.bytes();
}

/** A top-level type definition message. */
export function def(id: number, t: WireType): Uint8Array {
  return msg((w) => {
    w.int(-id);
    writeWireType(w, id, t);
  });
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(parts));
}

export function hexOf(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}
