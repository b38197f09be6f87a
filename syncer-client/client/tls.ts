// TLS towards Typha (typha/pkg/syncclient/sync_client.go): TLS ≥ 1.2, chain verified against TyphaCAFile, no hostname
// check, then the leaf's CN must equal TyphaCN and/or a URI SAN must equal TyphaURISAN (either passes
// when both are set). Key pair and CA are re-read on each attempt so rotated files apply on reconnect.
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import type { ConnectionOptions, PeerCertificate } from 'node:tls';
import type { DiagnosisCause, TlsContext } from './diagnosis.js';
import { SyncerClientError } from './errors.js';
import type { TlsFiles } from './options.js';

export interface TlsMaterial {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
  /** Set when the key file's mode is looser than it should be (see keyFileModeWarning). */
  readonly keyWarning?: string;
  /** The parsed identities, for diagnoses (diagnosis.ts). */
  readonly context: TlsContext;
}

/** A local-file failure: ERR_TYPHA_CONFIG with its diagnosis (the file, Go's text, the fix). */
function fileError(
  cause: DiagnosisCause,
  goError: string,
  detail: string,
  fix: string,
  err?: unknown,
): SyncerClientError {
  return new SyncerClientError('ERR_TYPHA_CONFIG', detail, {
    ...(err !== undefined ? { cause: err } : {}),
    diagnosis: { cause, step: 'files', goError, detail, fix },
  });
}

/**
 * The private key's file mode: a key that others may write is refused (anyone on the node could
 * swap the identity); one that group or others may read is used, with a warning naming the file.
 * Felix does not check; an operator replacing it gets the warning instead of silence.
 */
export async function keyFileModeWarning(path: string): Promise<string | undefined> {
  let mode: number;
  try {
    mode = (await stat(path)).mode;
  } catch {
    return undefined; // the read below reports a missing or unreadable file
  }
  const octal = (mode & 0o777).toString(8).padStart(4, '0');
  if (mode & 0o002) {
    const detail = `TyphaKeyFile ${path} is writable by others (mode ${octal}); refusing to use it (chmod 0600 ${path})`;
    throw fileError('key-file', detail, detail, `chmod 0600 ${path}`);
  }
  if (mode & 0o044)
    return `TyphaKeyFile ${path} is readable by group or others (mode ${octal}); chmod 0600 it`;
  return undefined;
}

const FILE_CAUSE = { TyphaCAFile: 'ca-file', TyphaCertFile: 'cert-file', TyphaKeyFile: 'key-file' } as const;
type FileField = keyof typeof FILE_CAUSE;

/** Go's os.PathError text: "open /x: no such file or directory". */
function goOpenError(path: string, err: NodeJS.ErrnoException): string {
  const why =
    err.code === 'ENOENT'
      ? 'no such file or directory'
      : err.code === 'EACCES'
        ? 'permission denied'
        : err.code === 'EISDIR'
          ? 'is a directory'
          : err.message;
  return `open ${path}: ${why}`;
}

const PEM_CERT_RE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Every certificate in a PEM bundle that parses (Go's AppendCertsFromPEM skips the others). */
export function pemCertificates(text: string): X509Certificate[] {
  const out: X509Certificate[] = [];
  for (const block of text.match(PEM_CERT_RE) ?? []) {
    try {
      out.push(new X509Certificate(block));
    } catch {
      // not a certificate: skipped, as Go does
    }
  }
  return out;
}

/** The subject DN of a parsed certificate on one line ("CN=felix-ts dev CA"). */
export function subjectLine(c: X509Certificate): string {
  return c.subject.split('\n').join(', ');
}

/**
 * Checks what tls.LoadX509KeyPair and AppendCertsFromPEM check in Felix (typha/pkg/syncclient/sync_client.go),
 * so a broken file is named with Go's error text instead of surfacing as an OpenSSL code (or, for a
 * CA file without certificates, as a misleading verification error against the server).
 */
export function checkTlsMaterial(files: TlsFiles, ca: string, cert: string, key: string): TlsContext {
  const leaf = pemCertificates(cert)[0];
  if (leaf === undefined) {
    const none = !cert.includes('-----BEGIN');
    throw fileError(
      'cert-file',
      none ? 'tls: failed to find any PEM data in certificate input' : 'x509: malformed certificate',
      `TyphaCertFile ${files.certFile} holds no PEM certificate${none ? '' : ' that parses'}`,
      `point TyphaCertFile at the PEM client certificate (-----BEGIN CERTIFICATE-----)`,
    );
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key);
  } catch (err) {
    const none = !key.includes('-----BEGIN');
    throw fileError(
      'key-file',
      none ? 'tls: failed to find any PEM data in key input' : 'tls: failed to parse private key',
      `TyphaKeyFile ${files.keyFile} holds no private key that parses (${(err as { code?: string }).code ?? (err as Error).message})`,
      'point TyphaKeyFile at the PEM private key of TyphaCertFile (unencrypted)',
      err,
    );
  }
  if (!leaf.checkPrivateKey(privateKey)) {
    throw fileError(
      'key-mismatch',
      'tls: private key does not match public key',
      `TyphaKeyFile ${files.keyFile} is not the key of TyphaCertFile ${files.certFile} (${subjectLine(leaf)})`,
      'install the key and certificate as a pair (the same Secret), or re-issue both',
    );
  }
  const cas = pemCertificates(ca);
  if (cas.length === 0) {
    throw fileError(
      'ca-file',
      'failed to add CA data to pool',
      `TyphaCAFile ${files.caFile} holds no PEM certificate${ca.includes('-----BEGIN CERTIFICATE') ? ' that parses' : ''}`,
      'point TyphaCAFile at the PEM certificate of the CA that signed Typha’s certificate',
    );
  }
  return {
    caFile: files.caFile,
    certFile: files.certFile,
    keyFile: files.keyFile,
    cn: files.cn,
    uriSAN: files.uriSAN,
    caSubjects: cas.map(subjectLine),
    ours: {
      cn: /(?:^|\n)CN=([^\n]*)/.exec(leaf.subject)?.[1],
      uris: uriSANs(leaf.subjectAltName),
      notBefore: new Date(leaf.validFrom),
      notAfter: new Date(leaf.validTo),
    },
  };
}

export async function loadTlsMaterial(files: TlsFiles): Promise<TlsMaterial> {
  const read = async (what: FileField, path: string): Promise<string> => {
    try {
      return await readFile(path, 'utf8');
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw fileError(
        FILE_CAUSE[what],
        goOpenError(path, e),
        `cannot read ${what} ${path}: ${e.message}`,
        `check ${what} (FELIX_${what.toUpperCase()}) and that the file is mounted and readable by felix-ts`,
        err,
      );
    }
  };
  const keyWarning = await keyFileModeWarning(files.keyFile);
  const [ca, cert, key] = await Promise.all([
    read('TyphaCAFile', files.caFile),
    read('TyphaCertFile', files.certFile),
    read('TyphaKeyFile', files.keyFile),
  ]);
  const context = checkTlsMaterial(files, ca, cert, key);
  return { ca, cert, key, context, ...(keyWarning !== undefined ? { keyWarning } : {}) };
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
