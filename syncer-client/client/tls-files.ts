// The local TLS files towards Typha: read and checked as Felix's tls.LoadX509KeyPair and
// x509.CertPool.AppendCertsFromPEM check them (typha/pkg/syncclient/sync_client.go), so a broken file
// is named with Go's error text instead of surfacing as an OpenSSL code, or (a CA file without a
// certificate, which OpenSSL ignores) as a misleading verification error against the server.
// Each check is a pure function of the text, shared by the client and `felix-ts diagnose`.
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import type { Diagnosis, DiagnosisCause, TlsContext } from './diagnosis.js';
import { SyncerClientError } from './errors.js';
import type { TlsFiles } from './options.js';
import { uriSANs, type TlsMaterial } from './tls.js';

function fileDiagnosis(cause: DiagnosisCause, goError: string, detail: string, fix: string): Diagnosis {
  return { cause, step: 'files', goError, detail, fix };
}

/** A local-file failure: ERR_TYPHA_CONFIG carrying its diagnosis. */
export function fileError(d: Diagnosis, err?: unknown): SyncerClientError {
  return new SyncerClientError('ERR_TYPHA_CONFIG', d.detail, {
    diagnosis: d,
    ...(err !== undefined ? { cause: err } : {}),
  });
}

/** The key file's mode: others may write it → error (refused); group/others may read it → warning. */
export function keyModeDiagnosis(path: string, mode: number): { error?: Diagnosis; warning?: string } {
  const octal = (mode & 0o777).toString(8).padStart(4, '0');
  if (mode & 0o002) {
    const detail = `TyphaKeyFile ${path} is writable by others (mode ${octal}); refusing to use it (chmod 0600 ${path})`;
    return { error: fileDiagnosis('key-file', detail, detail, `chmod 0600 ${path}`) };
  }
  if (mode & 0o044)
    return { warning: `TyphaKeyFile ${path} is readable by group or others (mode ${octal}); chmod 0600 it` };
  return {};
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
  const r = keyModeDiagnosis(path, mode);
  if (r.error !== undefined) throw fileError(r.error);
  return r.warning;
}

export type FileField = 'TyphaCAFile' | 'TyphaCertFile' | 'TyphaKeyFile';
const FILE_CAUSE = { TyphaCAFile: 'ca-file', TyphaCertFile: 'cert-file', TyphaKeyFile: 'key-file' } as const;

/** A file that could not be read, with Go's os.PathError text ("open /x: no such file or directory"). */
export function readErrorDiagnosis(what: FileField, path: string, err: NodeJS.ErrnoException): Diagnosis {
  const why =
    err.code === 'ENOENT'
      ? 'no such file or directory'
      : err.code === 'EACCES'
        ? 'permission denied'
        : err.code === 'EISDIR'
          ? 'is a directory'
          : err.message;
  return fileDiagnosis(
    FILE_CAUSE[what],
    `open ${path}: ${why}`,
    `cannot read ${what} ${path}: ${why}`,
    `check ${what} (FELIX_${what.toUpperCase()}) and that the file is mounted and readable by felix-ts`,
  );
}

const PEM_CERT_RE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Every certificate in a PEM bundle that parses (Go's AppendCertsFromPEM skips the others), and how many did not. */
export function pemCertificates(text: string): { certs: X509Certificate[]; unparsable: number } {
  const certs: X509Certificate[] = [];
  let unparsable = 0;
  for (const block of text.match(PEM_CERT_RE) ?? []) {
    try {
      certs.push(new X509Certificate(block));
    } catch {
      unparsable++;
    }
  }
  return { certs, unparsable };
}

/** The subject (or issuer) DN of a parsed certificate on one line ("CN=felix-ts dev CA"). */
export function subjectLine(dn: string): string {
  return dn.split('\n').join(', ');
}

/** The CN of a parsed certificate's subject (the last one, as Go keeps). */
export function certCN(c: X509Certificate): string | undefined {
  const all = [...c.subject.matchAll(/(?:^|\n)CN=([^\n]*)/g)];
  return all[all.length - 1]?.[1];
}

export function checkCaText(path: string, text: string): { certs: X509Certificate[] } | Diagnosis {
  const { certs } = pemCertificates(text);
  if (certs.length > 0) return { certs };
  return fileDiagnosis(
    'ca-file',
    'failed to add CA data to pool',
    `TyphaCAFile ${path} holds no PEM certificate${text.includes('-----BEGIN CERTIFICATE') ? ' that parses' : ''}: it cannot verify Typha`,
    'point TyphaCAFile at the PEM certificate of the CA that signed Typha’s certificate',
  );
}

export function checkCertText(path: string, text: string): { cert: X509Certificate } | Diagnosis {
  const cert = pemCertificates(text).certs[0];
  if (cert !== undefined) return { cert };
  const none = !text.includes('-----BEGIN');
  return fileDiagnosis(
    'cert-file',
    none ? 'tls: failed to find any PEM data in certificate input' : 'x509: malformed certificate',
    `TyphaCertFile ${path} holds no PEM certificate${none ? '' : ' that parses'}`,
    'point TyphaCertFile at the PEM client certificate (-----BEGIN CERTIFICATE-----)',
  );
}

export function checkKeyText(path: string, text: string): { key: KeyObject } | Diagnosis {
  try {
    return { key: createPrivateKey(text) };
  } catch (err) {
    const none = !text.includes('-----BEGIN');
    return fileDiagnosis(
      'key-file',
      none ? 'tls: failed to find any PEM data in key input' : 'tls: failed to parse private key',
      `TyphaKeyFile ${path} holds no private key that parses (${(err as { code?: string }).code ?? (err as Error).message})`,
      'point TyphaKeyFile at the unencrypted PEM private key of TyphaCertFile',
    );
  }
}

export function checkKeyPair(
  certPath: string,
  cert: X509Certificate,
  keyPath: string,
  key: KeyObject,
): Diagnosis | undefined {
  if (cert.checkPrivateKey(key)) return undefined;
  return fileDiagnosis(
    'key-mismatch',
    'tls: private key does not match public key',
    `TyphaKeyFile ${keyPath} is not the key of TyphaCertFile ${certPath} (${subjectLine(cert.subject)})`,
    'install the key and the certificate as a pair (from the same Secret), or re-issue both',
  );
}

function isDiagnosis(x: object): x is Diagnosis {
  return 'goError' in x;
}

/** All checks of the client: throws ERR_TYPHA_CONFIG with the first problem's diagnosis. */
export function checkTlsMaterial(files: TlsFiles, ca: string, cert: string, key: string): TlsContext {
  const c = checkCertText(files.certFile, cert);
  if (isDiagnosis(c)) throw fileError(c);
  const k = checkKeyText(files.keyFile, key);
  if (isDiagnosis(k)) throw fileError(k);
  const pair = checkKeyPair(files.certFile, c.cert, files.keyFile, k.key);
  if (pair !== undefined) throw fileError(pair);
  const cas = checkCaText(files.caFile, ca);
  if (isDiagnosis(cas)) throw fileError(cas);
  return {
    caFile: files.caFile,
    certFile: files.certFile,
    keyFile: files.keyFile,
    cn: files.cn,
    uriSAN: files.uriSAN,
    caSubjects: cas.certs.map((x) => subjectLine(x.subject)),
    ours: {
      cn: certCN(c.cert),
      uris: uriSANs(c.cert.subjectAltName),
      notBefore: new Date(c.cert.validFrom),
      notAfter: new Date(c.cert.validTo),
    },
  };
}

/** Reads and checks the three files (re-read on each attempt, so rotated files apply on reconnect). */
export async function loadTlsMaterial(files: TlsFiles): Promise<TlsMaterial> {
  const read = async (what: FileField, path: string): Promise<string> => {
    try {
      return await readFile(path, 'utf8');
    } catch (err) {
      throw fileError(readErrorDiagnosis(what, path, err as NodeJS.ErrnoException), err);
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
