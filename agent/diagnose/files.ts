// `felix-ts diagnose`, local files: TyphaCAFile, TyphaCertFile and TyphaKeyFile, each parsed as the
// agent parses them (syncer-client/client/tls-files.ts), then what the agent does not need to stop
// for but an operator wants to know: the validity window against the clock (expired, not yet valid,
// expiring within 30 days), the client certificate's CN / URI SAN and extended key usage, whether
// TyphaCAFile's CA issued it, and the key file's mode. Pure: the caller reads the files.
import type { KeyObject, X509Certificate } from 'node:crypto';
import {
  certCN,
  checkCaText,
  checkCertText,
  checkKeyPair,
  checkKeyText,
  describeIdentity,
  goTime,
  keyModeDiagnosis,
  readErrorDiagnosis,
  subjectLine,
  uriSANs,
  type Diagnosis,
  type FileField,
} from '../../syncer-client/client/index.js';
import type { Check } from './report.js';

export interface FileRead {
  readonly path: string;
  readonly text?: string;
  readonly error?: NodeJS.ErrnoException;
  /** st_mode, when stat worked. */
  readonly mode?: number;
}

export interface LocalTlsInput {
  readonly ca: FileRead;
  readonly cert: FileRead;
  readonly key: FileRead;
  readonly now: Date;
}

export interface LocalTlsResult {
  readonly checks: Check[];
  /** The agent would load these files (expiry aside): the TLS handshake can be tried. */
  readonly usable: boolean;
}

/** Certificates expiring within this many days get a warning (the expiry metric's alert threshold). */
export const EXPIRY_WARNING_DAYS = 30;
const DAY_MS = 86_400_000;
const EKU_CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const EKU_ANY = '2.5.29.37.0';

function fromDiagnosis(id: string, d: Diagnosis): Check {
  return { id, status: 'error', message: d.detail, fix: d.fix, cause: d.cause, goError: d.goError };
}

function isDiagnosis(x: object): x is Diagnosis {
  return 'goError' in x;
}

/** The validity window of one certificate against `now`: undefined when fine. */
export function validityProblem(
  c: X509Certificate,
  what: string,
  now: Date,
): { status: 'error' | 'warning'; cause: string; message: string } | undefined {
  const from = new Date(c.validFrom);
  const to = new Date(c.validTo);
  if (now > to) {
    const days = Math.floor((now.getTime() - to.getTime()) / DAY_MS);
    return {
      status: 'error',
      cause: 'expired',
      message: `${what} expired at ${goTime(to)} (${days} day${days === 1 ? '' : 's'} ago)`,
    };
  }
  if (now < from)
    return {
      status: 'error',
      cause: 'not-yet-valid',
      message: `${what} is not valid yet: valid from ${goTime(from)} (is the clock right? now ${goTime(now)})`,
    };
  const left = (to.getTime() - now.getTime()) / DAY_MS;
  if (left < EXPIRY_WARNING_DAYS)
    return {
      status: 'warning',
      cause: 'expiring',
      message: `${what} expires in ${Math.floor(left)} day${Math.floor(left) === 1 ? '' : 's'}, at ${goTime(to)}`,
    };
  return undefined;
}

function readCheck(id: string, what: FileField, f: FileRead): Check | undefined {
  if (f.error === undefined && f.text !== undefined) return undefined;
  const err = f.error ?? Object.assign(new Error('not read'), { code: 'EIO' });
  return fromDiagnosis(id, readErrorDiagnosis(what, f.path, err));
}

function caCheck(f: FileRead, now: Date): { check: Check; cas: X509Certificate[] } {
  const unread = readCheck('ca-file', 'TyphaCAFile', f);
  if (unread !== undefined) return { check: unread, cas: [] };
  const r = checkCaText(f.path, f.text!);
  if (isDiagnosis(r)) return { check: fromDiagnosis('ca-file', r), cas: [] };
  const problems = r.certs.flatMap((c) => {
    const p = validityProblem(c, `the CA ${subjectLine(c.subject)} in TyphaCAFile ${f.path}`, now);
    return p !== undefined ? [p] : [];
  });
  const bad = problems.find((p) => p.status === 'error') ?? problems[0];
  const list = r.certs.map((c) => `${subjectLine(c.subject)} (until ${goTime(new Date(c.validTo))})`);
  if (bad !== undefined)
    return {
      check: {
        id: 'ca-file',
        status: bad.status,
        message: bad.message,
        fix:
          bad.cause === 'not-yet-valid'
            ? 'check the clock on this node'
            : 'renew the CA, and the certificates it signed',
        cause: `ca-${bad.cause}`,
      },
      cas: r.certs,
    };
  return {
    check: {
      id: 'ca-file',
      status: 'ok',
      message: `${f.path}: ${r.certs.length} CA certificate${r.certs.length > 1 ? 's' : ''}: ${list.join('; ')}`,
    },
    cas: r.certs,
  };
}

function clientCertChecks(
  f: FileRead,
  cas: readonly X509Certificate[],
  now: Date,
): { check: Check; cert?: X509Certificate } {
  const unread = readCheck('cert-file', 'TyphaCertFile', f);
  if (unread !== undefined) return { check: unread };
  const r = checkCertText(f.path, f.text!);
  if (isDiagnosis(r)) return { check: fromDiagnosis('cert-file', r) };
  const c = r.cert;
  const identity = describeIdentity(certCN(c), uriSANs(c.subjectAltName));
  const v = validityProblem(c, `our client certificate (TyphaCertFile ${f.path})`, now);
  if (v !== undefined)
    return {
      check: {
        id: 'cert-file',
        status: v.status,
        message: `${v.message}; ${identity}`,
        fix:
          v.cause === 'not-yet-valid'
            ? 'check the clock on this node'
            : 'renew the client certificate (and its key)',
        cause: `client-cert-${v.cause}`,
      },
      cert: c,
    };
  const eku = c.keyUsage;
  if (eku !== undefined && !eku.includes(EKU_CLIENT_AUTH) && !eku.includes(EKU_ANY))
    return {
      check: {
        id: 'cert-file',
        status: 'error',
        message: `our client certificate (TyphaCertFile ${f.path}) is not for TLS clients: its extended key usage (${eku.join(', ')}) lacks clientAuth; Typha will refuse it`,
        fix: 'issue the client certificate with extendedKeyUsage clientAuth',
        cause: 'client-cert-usage',
        goError: 'remote error: tls: bad certificate',
      },
      cert: c,
    };
  const issuer = cas.find((ca) => c.checkIssued(ca) && c.verify(ca.publicKey));
  const until = goTime(new Date(c.validTo));
  const ekuText = eku === undefined ? 'no EKU (any usage)' : 'clientAuth';
  if (issuer === undefined)
    return {
      check: {
        id: 'cert-file',
        status: 'warning',
        message: `${f.path}: ${identity}, ${ekuText}, until ${until}; not issued by a CA in TyphaCAFile (issuer ${subjectLine(c.issuer)}): Typha must trust that CA`,
        fix: 'make sure Typha’s TYPHA_CAFILE holds the CA that issued our certificate',
        cause: 'client-cert-foreign-ca',
      },
      cert: c,
    };
  return {
    check: {
      id: 'cert-file',
      status: 'ok',
      message: `${f.path}: ${identity}, ${ekuText}, until ${until}, issued by ${subjectLine(issuer.subject)}; Typha must accept it (TYPHA_CLIENTCN / TYPHA_CLIENTURISAN)`,
      data: { cn: certCN(c) ?? null, uriSANs: uriSANs(c.subjectAltName), notAfter: until },
    },
    cert: c,
  };
}

function keyCheck(f: FileRead): { check: Check; key?: KeyObject; refused: boolean } {
  const unread = readCheck('key-file', 'TyphaKeyFile', f);
  if (unread !== undefined) return { check: unread, refused: true };
  const mode = f.mode !== undefined ? keyModeDiagnosis(f.path, f.mode) : {};
  if (mode.error !== undefined) return { check: fromDiagnosis('key-file', mode.error), refused: true };
  const r = checkKeyText(f.path, f.text!);
  if (isDiagnosis(r)) return { check: fromDiagnosis('key-file', r), refused: true };
  const octal =
    f.mode !== undefined ? `mode ${(f.mode & 0o777).toString(8).padStart(4, '0')}` : 'mode unknown';
  const details = r.key.asymmetricKeyDetails;
  const kind = `${r.key.asymmetricKeyType ?? 'key'}${details?.modulusLength !== undefined ? ` ${details.modulusLength}` : details?.namedCurve !== undefined ? ` ${details.namedCurve}` : ''}`;
  if (mode.warning !== undefined)
    return {
      check: {
        id: 'key-file',
        status: 'warning',
        message: mode.warning,
        fix: `chmod 0600 ${f.path}`,
        cause: 'key-file-readable',
      },
      key: r.key,
      refused: false,
    };
  return {
    check: { id: 'key-file', status: 'ok', message: `${f.path}: ${kind} private key, ${octal}` },
    key: r.key,
    refused: false,
  };
}

/** Every local-file check, in the order the agent meets them. */
export function checkLocalTls(input: LocalTlsInput): LocalTlsResult {
  const ca = caCheck(input.ca, input.now);
  const cert = clientCertChecks(input.cert, ca.cas, input.now);
  const key = keyCheck(input.key);
  let pair: Check;
  if (cert.cert !== undefined && key.key !== undefined) {
    const d = checkKeyPair(input.cert.path, cert.cert, input.key.path, key.key);
    pair =
      d !== undefined
        ? fromDiagnosis('key-pair', d)
        : { id: 'key-pair', status: 'ok', message: `TyphaKeyFile is the key of TyphaCertFile` };
  } else {
    pair = { id: 'key-pair', status: 'skipped', message: 'needs a readable certificate and key' };
  }
  const usable =
    ca.cas.length > 0 &&
    cert.cert !== undefined &&
    key.key !== undefined &&
    !key.refused &&
    pair.status === 'ok';
  return { checks: [ca.check, cert.check, key.check, pair], usable };
}
