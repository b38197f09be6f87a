// felix-datamodel-and-calc.md §4.5: MakeUniqueID(prefix, content) =
//   prefix + ":" + base64url_nopad(SHA-224(prefix + ":" + content)).
import { createHash } from 'node:crypto';

export function makeUniqueId(prefix: string, content: string): string {
  const h = createHash('sha224').update(`${prefix}:${content}`, 'utf8').digest('base64url');
  return `${prefix}:${h}`;
}

/** Named-port IP set ID (§4.5): proto is tcp, udp, sctp or any. */
export function namedPortSetId(selectorId: string, proto: string, portName: string): string {
  return makeUniqueId('n', `${selectorId},${proto},${portName}`);
}
