// libcalico-go/lib/hash/unique_id.go: MakeUniqueID(prefix, content) =
//   prefix + ":" + base64url_nopad(SHA-224(prefix + ":" + content)).
import { createHash } from 'node:crypto';

export function makeUniqueId(prefix: string, content: string): string {
  const h = createHash('sha224').update(`${prefix}:${content}`, 'utf8').digest('base64url');
  return `${prefix}:${h}`;
}

/** Named-port IP set ID (felix/calc/rule_scanner.go): proto is tcp, udp, sctp or any. */
export function namedPortSetId(selectorId: string, proto: string, portName: string): string {
  return makeUniqueId('n', `${selectorId},${proto},${portName}`);
}
