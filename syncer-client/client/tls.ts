// TLS towards Typha (typha/pkg/syncclient/sync_client.go): TLS ≥ 1.2, chain verified against TyphaCAFile, no hostname
// check, then the leaf's CN must equal TyphaCN and/or a URI SAN must equal TyphaURISAN (either passes
// when both are set). Key pair and CA are re-read on each attempt so rotated files apply on reconnect.
import type { ConnectionOptions, PeerCertificate } from 'node:tls';
import type { TlsContext } from './diagnosis.js';

export interface TlsMaterial {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
  /** Set when the key file's mode is looser than it should be (see keyFileModeWarning). */
  readonly keyWarning?: string;
  /** The parsed identities, for diagnoses (diagnosis.ts). */
  readonly context: TlsContext;
}

/** Options for tls.connect: chain verification on, hostname check off (Felix sets InsecureSkipVerify + its own verify). */
export function tlsConnectOptions(m: TlsMaterial): ConnectionOptions {
  return {
    ca: m.ca,
    cert: m.cert,
    key: m.key,
    minVersion: 'TLSv1.2', // Felix forces MinVersion 1.2 whatever TLS_MIN_VERSION says.
    maxVersion: 'TLSv1.3',
    rejectUnauthorized: true,
    checkServerIdentity: () => undefined,
  };
}

/**
 * Parses Node's subjectaltname string ("DNS:a, URI:spiffe://x, ...") into its URI entries.
 * Node quotes (JSON-style) values that contain separators, so those are decoded too.
 */
export function uriSANs(subjectAltName: string | undefined): string[] {
  if (subjectAltName === undefined || subjectAltName === '') return [];
  const out: string[] = [];
  let i = 0;
  const s = subjectAltName;
  while (i < s.length) {
    const colon = s.indexOf(':', i);
    if (colon < 0) break;
    const kind = s.slice(i, colon).trim();
    let value: string;
    let j = colon + 1;
    if (s[j] === '"') {
      // Quoted: find the closing quote, honouring backslash escapes.
      let k = j + 1;
      while (k < s.length && s[k] !== '"') k += s[k] === '\\' ? 2 : 1;
      try {
        value = JSON.parse(s.slice(j, k + 1)) as string;
      } catch {
        value = s.slice(j + 1, k);
      }
      j = k + 1;
      const comma = s.indexOf(', ', j);
      i = comma < 0 ? s.length : comma + 2;
    } else {
      const comma = s.indexOf(', ', j);
      value = s.slice(j, comma < 0 ? s.length : comma);
      i = comma < 0 ? s.length : comma + 2;
    }
    if (kind === 'URI') out.push(value);
  }
  return out;
}

/** The leaf's Subject CN; with several CN attributes Go keeps the last one. */
export function commonName(cert: PeerCertificate): string | undefined {
  const cn = (cert.subject as unknown as Record<string, string | string[] | undefined> | undefined)?.CN;
  if (Array.isArray(cn)) return cn[cn.length - 1];
  return cn;
}

/**
 * Checks the peer identity after chain verification. Returns undefined when it passes, else the reason.
 * Used by the client (TyphaCN/TyphaURISAN) and the test server (ClientCN/ClientURISAN).
 */
export function checkPeerIdentity(
  cert: PeerCertificate | undefined,
  wantCN: string | undefined,
  wantURISAN: string | undefined,
): string | undefined {
  if (cert === undefined || cert === null || Object.keys(cert).length === 0)
    return 'peer presented no certificate';
  if (wantCN === undefined && wantURISAN === undefined) return undefined;
  const cn = commonName(cert);
  const uris = uriSANs(cert.subjectaltname);
  if (wantCN !== undefined && cn === wantCN) return undefined;
  if (wantURISAN !== undefined && uris.includes(wantURISAN)) return undefined;
  const wanted = [
    wantCN !== undefined ? `CN ${JSON.stringify(wantCN)}` : '',
    wantURISAN !== undefined ? `URI SAN ${JSON.stringify(wantURISAN)}` : '',
  ]
    .filter((x) => x !== '')
    .join(' or ');
  return `certificate identity mismatch: want ${wanted}, got CN ${JSON.stringify(cn ?? '')} URI SANs ${JSON.stringify(uris)}`;
}
