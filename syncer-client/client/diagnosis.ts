// Why a Typha connection failed, in one place for the agent's log and readiness detail and for
// `felix-ts diagnose` (issue 18). Each failure gets a stable cause, Go's error text for the same
// failure (what Felix logs as error=..., from Go's net, crypto/tls and crypto/x509 packages and
// typha/pkg/tlsutils/tlsutils.go), a detail that names the files, certificates and config fields
// involved, and a fix. Pure: callers pass what they observed on the socket.
import type { PeerCertificate } from 'node:tls';
import { commonName, uriSANs } from './tls.js';

export type DiagnosisCause =
  | 'ca-file' // TyphaCAFile unreadable or holding no certificate
  | 'cert-file' // TyphaCertFile unreadable or not a certificate
  | 'key-file' // TyphaKeyFile unreadable, not a key, or writable by others
  | 'key-mismatch' // the key does not belong to the certificate
  | 'dns' // the host name does not resolve
  | 'refused' // nothing listens (RST to our SYN)
  | 'timeout' // no answer to the TCP connect: something drops the port
  | 'unreachable' // no route, or an ICMP unreachable
  | 'reset' // connection reset outside a TLS handshake
  | 'tls-timeout' // TCP connected but the TLS handshake did not finish
  | 'not-tls' // the server does not speak TLS on this port
  | 'tls-version' // no common TLS version (Felix requires TLS 1.2+)
  | 'untrusted-server' // the server certificate is not signed by TyphaCAFile
  | 'server-cert-expired'
  | 'server-cert-not-yet-valid'
  | 'server-cert-usage' // the server certificate lacks serverAuth
  | 'identity-mismatch' // TyphaCN / TyphaURISAN do not match the server certificate
  | 'client-cert-rejected' // Typha refused our client certificate
  | 'expects-tls' // we speak plain TCP, Typha answered like a TLS server
  | 'closed-before-hello' // plain TCP: Typha closed before its ServerHello
  | 'hello-timeout' // connected, no ServerHello in time
  | 'other';

/** Where the failure happened: our files, TCP (and name lookup), the TLS handshake, or Typha's hello. */
export type DiagnosisStep = 'files' | 'tcp' | 'tls' | 'hello';

export interface Diagnosis {
  readonly cause: DiagnosisCause;
  readonly step: DiagnosisStep;
  /** Go's error text for the same failure, as Felix logs it (error=...): runbooks grep these. */
  readonly goError: string;
  /** The cause in words: which file, which certificate, which config field. */
  readonly detail: string;
  readonly fix: string;
}

/** What the client knows about its own TLS setup, for naming files and identities in a diagnosis. */
export interface TlsContext {
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
  readonly cn: string | undefined;
  readonly uriSAN: string | undefined;
  /** Subject DNs of the certificates in TyphaCAFile. */
  readonly caSubjects: readonly string[];
  /** Our client certificate. */
  readonly ours: {
    readonly cn: string | undefined;
    readonly uris: readonly string[];
    readonly notBefore: Date;
    readonly notAfter: Date;
  };
}

export interface DialContext {
  readonly address: string;
  readonly tls: TlsContext | undefined;
  /** The TCP connection was established (so a failure is in TLS or later). */
  readonly tcpConnected: boolean;
  /** The server answered our TLS hello (key material was negotiated). */
  readonly serverSpokeTls: boolean;
  readonly timeoutMs: number;
  readonly now?: Date;
}

/** Go's time.RFC3339 in UTC, as x509.CertificateInvalidError prints it. */
export function goTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A DN from Node's subject/issuer object, in Go's pkix.Name order of appearance ("O=x, CN=y"). */
export function formatDN(name: unknown): string {
  if (typeof name !== 'object' || name === null) return '(none)';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(name as Record<string, string | string[]>))
    for (const x of Array.isArray(v) ? v : [v]) parts.push(`${k}=${x}`);
  return parts.length > 0 ? parts.join(', ') : '(empty)';
}

function host(address: string): string {
  const m = /^\[(.*)\]:\d+$/.exec(address) ?? /^(.*):\d+$/.exec(address);
  return m?.[1] ?? address;
}

/** Our identity, for messages about what Typha saw: `CN "typha-client", URI SANs []`. */
export function describeIdentity(cn: string | undefined, uris: readonly string[]): string {
  return `CN ${JSON.stringify(cn ?? '')}, URI SANs ${JSON.stringify(uris)}`;
}

function ourIdentity(t: TlsContext, now: Date): string {
  const o = t.ours;
  const validity =
    now > o.notAfter
      ? `; it EXPIRED at ${goTime(o.notAfter)}`
      : now < o.notBefore
        ? `; it is NOT YET VALID (from ${goTime(o.notBefore)})`
        : '';
  return `our certificate (TyphaCertFile ${t.certFile}): ${describeIdentity(o.cn, o.uris)}${validity}`;
}

const REJECTED_FIX =
  'make Typha trust our certificate: it must be signed by the CA in Typha’s TYPHA_CAFILE, be valid now, ' +
  'carry clientAuth, and match Typha’s TYPHA_CLIENTCN or TYPHA_CLIENTURISAN';

function clientRejected(ctx: DialContext, how: string, goError: string): Diagnosis {
  const now = ctx.now ?? new Date();
  return {
    cause: 'client-cert-rejected',
    step: 'tls',
    goError,
    detail: `Typha at ${ctx.address} ${how}: it probably rejected our client certificate; ${
      ctx.tls !== undefined ? ourIdentity(ctx.tls, now) : 'we sent none'
    }`,
    fix: REJECTED_FIX,
  };
}

// OpenSSL alert codes Node reports → Go's alert text (crypto/tls alert.go): `remote error: tls: ...`.
const ALERTS: Readonly<Record<string, string>> = {
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: 'unknown certificate authority',
  ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE: 'bad certificate',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED: 'expired certificate',
  ERR_SSL_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE: 'unsupported certificate',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN: 'unknown certificate',
  ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: 'certificate required',
  ERR_SSL_TLSV1_ALERT_ACCESS_DENIED: 'access denied',
  ERR_SSL_TLSV1_ALERT_DECRYPT_ERROR: 'error decrypting message',
};

const NOT_TLS_CODES = new Set([
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'ERR_SSL_PACKET_LENGTH_TOO_LONG',
  'ERR_SSL_HTTP_REQUEST',
  'ERR_SSL_RECORD_LAYER_FAILURE',
]);
const VERSION_CODES = new Set([
  'ERR_SSL_UNSUPPORTED_PROTOCOL',
  'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION',
  'ERR_SSL_NO_PROTOCOLS_AVAILABLE',
]);

function notTls(ctx: DialContext, how: string, goError: string): Diagnosis {
  return {
    cause: 'not-tls',
    step: 'tls',
    goError,
    detail: `${ctx.address} ${how}: it does not speak TLS on this port (a Typha without TLS, or another service)`,
    fix: 'point TyphaAddr at Typha’s TLS port (5473), or, if this Typha really runs without TLS, unset TyphaCAFile/TyphaCertFile/TyphaKeyFile/TyphaCN/TyphaURISAN',
  };
}

/** An error event on the socket while dialling (TCP connect or TLS handshake). */
export function diagnoseSocketError(err: Error, ctx: DialContext): Diagnosis {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  const a = ctx.address;
  switch (code) {
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
    case 'EAI_NONAME':
      return {
        cause: 'dns',
        step: 'tcp',
        goError: `dial tcp: lookup ${host(a)}: ${code === 'EAI_AGAIN' ? 'Temporary failure in name resolution' : 'no such host'}`,
        detail: `the name ${host(a)} does not resolve (${code})`,
        fix: 'check the host name in TyphaAddr and the node’s DNS (resolv.conf)',
      };
    case 'ECONNREFUSED':
      return {
        cause: 'refused',
        step: 'tcp',
        goError: `dial tcp ${a}: connect: connection refused`,
        detail: `nothing is listening on ${a} (connection refused)`,
        fix: 'is Typha running? Check its pods (kubectl get pods -l k8s-app=calico-typha) and that TyphaAddr has its port (5473)',
      };
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return {
        cause: 'unreachable',
        step: 'tcp',
        goError: `dial tcp ${a}: connect: ${code === 'EHOSTUNREACH' ? 'no route to host' : 'network is unreachable'}`,
        detail: `${a} is unreachable (${code}): no route to it, or a firewall rejects the port with ICMP unreachable`,
        fix: 'check the node’s routes to Typha (ip route get <addr>) and any firewall rule that REJECTs the port',
      };
  }
  const alert = ALERTS[code];
  if (alert !== undefined)
    return clientRejected(
      ctx,
      `ended the TLS handshake with the alert "${alert}"`,
      `remote error: tls: ${alert}`,
    );
  if (NOT_TLS_CODES.has(code))
    return notTls(
      ctx,
      'answered our TLS hello with data that is not TLS',
      'tls: first record does not look like a TLS handshake',
    );
  if (VERSION_CODES.has(code))
    return {
      cause: 'tls-version',
      step: 'tls',
      goError:
        code === 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION'
          ? 'remote error: tls: protocol version not supported'
          : 'tls: server selected unsupported protocol version',
      detail: `${a} and felix-ts share no TLS protocol version: felix-ts (like Felix) requires TLS 1.2 or 1.3 (${code})`,
      fix: 'let Typha accept TLS 1.2 or newer (TLS_MIN_VERSION / the Typha image)',
    };
  if ((code === 'ECONNRESET' || code === 'EPIPE') && ctx.tls !== undefined && ctx.tcpConnected) {
    if (ctx.serverSpokeTls)
      return clientRejected(ctx, 'closed the connection during the TLS handshake', 'EOF');
    return notTls(ctx, 'closed the connection on our TLS hello without answering it', 'EOF');
  }
  if (code === 'ECONNRESET' || code === 'EPIPE')
    return {
      cause: 'reset',
      step: 'tcp',
      goError: `read tcp ${a}: read: connection reset by peer`,
      detail: `${a} reset the connection`,
      fix: 'check Typha’s log for why it dropped the connection',
    };
  return {
    cause: 'other',
    step: ctx.tcpConnected ? 'tls' : 'tcp',
    goError: `dial tcp ${a}: ${err.message}`,
    detail: `connection to ${a} failed: ${code !== '' ? `${code}: ` : ''}${err.message}`,
    fix: 'see the error',
  };
}

/** The dial timeout passed: before the TCP connect (dropped) or during the TLS handshake. */
export function diagnoseTimeout(ctx: DialContext): Diagnosis {
  if (ctx.tcpConnected && ctx.tls !== undefined)
    return {
      cause: 'tls-timeout',
      step: 'tls',
      goError: 'tls: DialWithDialer timed out',
      detail: `${ctx.address} accepted the TCP connection, but the TLS handshake timed out after ${ctx.timeoutMs} ms`,
      fix: 'check that TyphaAddr is Typha’s port and that Typha is not overloaded',
    };
  return {
    cause: 'timeout',
    step: 'tcp',
    goError: `dial tcp ${ctx.address}: i/o timeout`,
    detail: `TCP connect to ${ctx.address} timed out after ${ctx.timeoutMs} ms: something drops the traffic`,
    fix: 'open the port between this node and Typha: security group, host firewall or network policy (Typha uses TCP 5473)',
  };
}

const UNTRUSTED_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
]);

function peerDates(peer: PeerCertificate): { from: Date; to: Date } {
  return { from: new Date(peer.valid_from), to: new Date(peer.valid_to) };
}

/** The handshake finished but OpenSSL's chain verification against TyphaCAFile failed (`code`). */
export function diagnoseVerifyFailure(code: string, peer: PeerCertificate, ctx: DialContext): Diagnosis {
  const now = ctx.now ?? new Date();
  const caFile = ctx.tls?.caFile ?? '(none)';
  const subject = formatDN(peer.subject);
  const { from, to } = peerDates(peer);
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    const leafBad = now > to || now < from;
    const expired = code === 'CERT_HAS_EXPIRED';
    const whose = leafBad
      ? `Typha’s certificate (${subject})`
      : `a CA certificate in the chain (TyphaCAFile ${caFile}: ${ctx.tls?.caSubjects.join('; ') ?? ''})`;
    const when = leafBad ? (expired ? to : from) : undefined;
    return {
      cause: expired ? 'server-cert-expired' : 'server-cert-not-yet-valid',
      step: 'tls',
      goError: `x509: certificate has expired or is not yet valid: current time ${goTime(now)} is ${
        expired ? 'after' : 'before'
      } ${goTime(when ?? now)}`,
      detail: expired
        ? `${whose} expired${when !== undefined ? ` at ${goTime(when)}` : ''}`
        : `${whose} is not valid yet${when !== undefined ? ` (valid from ${goTime(when)})` : ''}: is this node’s clock right?`,
      fix: expired
        ? 'renew Typha’s certificate (or the CA)'
        : 'check the clock on this node (timedatectl) and on the CA',
    };
  }
  if (code === 'INVALID_PURPOSE')
    return {
      cause: 'server-cert-usage',
      step: 'tls',
      goError: 'x509: certificate specifies an incompatible key usage',
      detail: `Typha’s certificate (${subject}) is not for TLS servers: its extended key usage lacks serverAuth`,
      fix: 'issue Typha a certificate with extendedKeyUsage serverAuth (or no EKU)',
    };
  if (UNTRUSTED_CODES.has(code))
    return {
      cause: 'untrusted-server',
      step: 'tls',
      goError: 'x509: certificate signed by unknown authority',
      detail: `Typha at ${ctx.address} sent a certificate (${subject}) issued by "${formatDN(peer.issuer)}", which no CA in TyphaCAFile ${caFile} signed (it holds: ${
        ctx.tls?.caSubjects.map((s) => `"${s}"`).join(', ') ?? 'nothing'
      }; ${code})`,
      fix: `put the CA that signed Typha’s certificate into ${caFile} (the CA of Typha’s TYPHA_SERVERCERTFILE)`,
    };
  return {
    cause: 'other',
    step: 'tls',
    goError: `x509: ${code}`,
    detail: `Typha’s certificate (${subject}) failed verification against TyphaCAFile ${caFile}: ${code}`,
    fix: 'see the error',
  };
}

/** Chain verified: does the leaf have TyphaCN / TyphaURISAN (typha/pkg/tlsutils/tlsutils.go)? */
export function diagnoseIdentity(
  peer: PeerCertificate,
  t: TlsContext,
  address: string,
): Diagnosis | undefined {
  if (t.cn === undefined && t.uriSAN === undefined) return undefined;
  const cn = commonName(peer);
  const uris = uriSANs(peer.subjectaltname);
  if (t.cn !== undefined && cn === t.cn) return undefined;
  if (t.uriSAN !== undefined && uris.includes(t.uriSAN)) return undefined;
  const which =
    t.cn !== undefined && t.uriSAN !== undefined ? 'CN or URI SAN' : t.cn !== undefined ? 'CN' : 'URI SAN';
  const want = [
    t.cn !== undefined ? `TyphaCN=${JSON.stringify(t.cn)}` : '',
    t.uriSAN !== undefined ? `TyphaURISAN=${JSON.stringify(t.uriSAN)}` : '',
  ]
    .filter((s) => s !== '')
    .join(' or ');
  return {
    cause: 'identity-mismatch',
    step: 'tls',
    goError: `peer certificate does not have required ${which}`,
    detail: `Typha at ${address} is not the server we expect: want ${want}, got ${describeIdentity(cn, uris)}`,
    fix: `set ${t.cn !== undefined ? 'TyphaCN' : 'TyphaURISAN'} to the identity in Typha’s certificate, or issue Typha a certificate with it`,
  };
}

export interface SessionContext {
  readonly address: string;
  readonly tls: TlsContext | undefined;
  /** The session's error code: ERR_TYPHA_CLOSED, ERR_TYPHA_PROTOCOL, ERR_TYPHA_READ_TIMEOUT, ... */
  readonly code: string;
  /** The socket error behind it, if any. */
  readonly cause?: unknown;
  readonly readTimeoutMs: number;
  readonly now?: Date;
}

/**
 * The connection ended after dialling but before Typha's ServerHello. Over TLS that is, most of
 * the time, Typha refusing our client certificate after a TLS 1.3 handshake (the client finishes
 * first and learns of the refusal only on its first read), not a Typha restart.
 */
export function diagnoseBeforeHello(ctx: SessionContext): Diagnosis | undefined {
  const dctx: DialContext = {
    address: ctx.address,
    tls: ctx.tls,
    tcpConnected: true,
    serverSpokeTls: true,
    timeoutMs: ctx.readTimeoutMs,
    ...(ctx.now !== undefined ? { now: ctx.now } : {}),
  };
  const sockCode = (ctx.cause as { code?: unknown } | undefined)?.code;
  if (typeof sockCode === 'string' && ALERTS[sockCode] !== undefined)
    return diagnoseSocketError(ctx.cause as Error, dctx);
  if (ctx.code === 'ERR_TYPHA_READ_TIMEOUT')
    return {
      cause: 'hello-timeout',
      step: 'hello',
      goError: `read tcp ${ctx.address}: i/o timeout`,
      detail: `connected to ${ctx.address}, but no ServerHello came within ${ctx.readTimeoutMs} ms: is it Typha?`,
      fix: 'check that TyphaAddr is Typha’s port and Typha’s log',
    };
  if (ctx.code !== 'ERR_TYPHA_CLOSED' && ctx.code !== 'ERR_TYPHA_PROTOCOL') return undefined;
  if (ctx.tls !== undefined)
    return clientRejected(
      dctx,
      'closed the connection right after the TLS handshake, before its ServerHello',
      'EOF',
    );
  if (ctx.code === 'ERR_TYPHA_PROTOCOL')
    return {
      cause: 'expects-tls',
      step: 'hello',
      goError: 'gob: unknown type id or corrupted data',
      detail: `${ctx.address} answered our (plain TCP) hello with data that is not Typha’s protocol: it probably requires TLS`,
      fix: 'set TyphaCAFile, TyphaCertFile, TyphaKeyFile and TyphaCN (or TyphaURISAN) for this Typha',
    };
  return {
    cause: 'closed-before-hello',
    step: 'hello',
    goError: 'EOF',
    detail: `${ctx.address} closed the connection before its ServerHello: a Typha that requires TLS does this to a plain-TCP client`,
    fix: 'if Typha runs with TLS, set TyphaCAFile, TyphaCertFile, TyphaKeyFile and TyphaCN (or TyphaURISAN); else check Typha’s log',
  };
}
