// Options of the syncer client. Names follow Felix's config parameters in camelCase
// (felix/config/config_params.go); the agent's config helper maps FELIX_* settings onto them.
import { SyncerClientError } from './errors.js';
import { parseTyphaAddr, type Endpoint } from './endpoints.js';
import { silentLogger, type Logger } from './logger.js';

export interface KubernetesApiOptions {
  /** API base URL, e.g. https://10.96.0.1:443. Default: from KUBERNETES_SERVICE_HOST/PORT. */
  readonly apiBaseUrl?: string;
  /** Default /var/run/secrets/kubernetes.io/serviceaccount/token. */
  readonly tokenFile?: string;
  /** Default /var/run/secrets/kubernetes.io/serviceaccount/ca.crt. */
  readonly caFile?: string;
  /** Environment to read KUBERNETES_SERVICE_HOST/PORT from; default process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Request timeout; default 10 s. */
  readonly requestTimeoutMs?: number;
}

export interface FailoverOptions {
  /** Sleep between failed attempts inside a round; Felix: 100 ms (typha/pkg/discovery/discovery.go). */
  readonly retryDelayMs?: number;
  /** First back-off between exhausted rounds; default 1 s, doubling per round. */
  readonly roundBackoffInitialMs?: number;
  /** Cap of the back-off between rounds; default 30 s. */
  readonly roundBackoffMaxMs?: number;
  /** Give up after this many exhausted rounds; default Infinity (never: the agent stays up, not ready). */
  readonly maxRounds?: number;
  /** Give up when a local TLS file error (bad PEM, key not matching the certificate) lasts this long; default 30 s (Felix's). */
  readonly localErrorGiveUpMs?: number;
}

export interface SyncerClientOptions {
  /** FELIX_TYPHAADDR: "host:port" or a comma-separated list. Overrides discovery. */
  readonly typhaAddr?: string;
  /** FELIX_TYPHAK8SSERVICENAME: enables EndpointSlice discovery. */
  readonly typhaK8sServiceName?: string;
  /** FELIX_TYPHAK8SNAMESPACE; default kube-system. */
  readonly typhaK8sNamespace?: string;
  readonly typhaCAFile?: string;
  readonly typhaCertFile?: string;
  readonly typhaKeyFile?: string;
  readonly typhaCN?: string;
  readonly typhaURISAN?: string;
  /** FELIX_TYPHAREADTIMEOUT in ms; default 30 000. No message for this long ends the connection. */
  readonly typhaReadTimeoutMs?: number;
  /** FELIX_TYPHAWRITETIMEOUT in ms; default 10 000. */
  readonly typhaWriteTimeoutMs?: number;
  /** Ms; Felix hard-codes 10 s (TCP + TLS handshake). */
  readonly typhaDialTimeoutMs?: number;
  /** FelixHostname: our node name, sent in the hello and used for same-node-first ordering. */
  readonly felixHostname: string;
  /** Default "felix". */
  readonly syncerType?: string;
  /** Sent as ClientHello.Version; default the package version. */
  readonly version?: string;
  /** Sent as ClientHello.Info. */
  readonly info?: string;
  /** Default true: advertise decoder restart + snappy (the compressed path). false: plain path only. */
  readonly compression?: boolean;
  /** Cap on one decoded message; default: the codec's (64 MiB). */
  readonly maxMessageBytes?: number;
  readonly kubernetes?: KubernetesApiOptions;
  readonly failover?: FailoverOptions;
  readonly logger?: Logger;
}

export interface TlsFiles {
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
  readonly cn: string | undefined;
  readonly uriSAN: string | undefined;
}

export type EndpointSource =
  | { readonly kind: 'static'; readonly endpoints: readonly Endpoint[] }
  | { readonly kind: 'kubernetes'; readonly serviceName: string; readonly namespace: string };

export interface ResolvedOptions {
  readonly source: EndpointSource;
  readonly tls: TlsFiles | undefined;
  readonly readTimeoutMs: number;
  readonly writeTimeoutMs: number;
  readonly dialTimeoutMs: number;
  readonly hostname: string;
  readonly syncerType: string;
  readonly version: string;
  readonly info: string;
  readonly compression: boolean;
  readonly maxMessageBytes: number | undefined;
  readonly kubernetes: KubernetesApiOptions;
  readonly retryDelayMs: number;
  readonly roundBackoffInitialMs: number;
  readonly roundBackoffMaxMs: number;
  readonly maxRounds: number;
  readonly localErrorGiveUpMs: number;
  readonly logger: Logger;
}

// felix/config/config_params.go: FelixHostname must match this.
const HOSTNAME_RE = /^[a-zA-Z0-9_.-]+$/;

function configError(msg: string): SyncerClientError {
  return new SyncerClientError('ERR_TYPHA_CONFIG', msg);
}

function millis(name: string, v: number | undefined, dflt: number): number {
  const ms = v ?? dflt;
  if (!Number.isFinite(ms) || ms <= 0)
    throw configError(`${name} must be a positive number of milliseconds, got ${String(v)}`);
  return Math.round(ms);
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v;
}

/** Validates options; throws SyncerClientError ERR_TYPHA_CONFIG / ERR_TYPHA_ADDR with a clear message. */
export function resolveOptions(o: SyncerClientOptions): ResolvedOptions {
  if (!HOSTNAME_RE.test(o.felixHostname ?? '')) {
    throw configError(
      `felixHostname must match ${HOSTNAME_RE.source}, got ${JSON.stringify(o.felixHostname)}`,
    );
  }
  let source: EndpointSource;
  const addr = nonEmpty(o.typhaAddr);
  const svc = nonEmpty(o.typhaK8sServiceName);
  if (addr !== undefined) {
    // typha/pkg/discovery/discovery.go: TyphaAddr takes precedence over discovery.
    source = { kind: 'static', endpoints: parseTyphaAddr(addr) };
  } else if (svc !== undefined && svc !== 'none') {
    source = {
      kind: 'kubernetes',
      serviceName: svc,
      namespace: nonEmpty(o.typhaK8sNamespace) ?? 'kube-system',
    };
  } else {
    throw configError('Typha is not configured: set typhaAddr (FELIX_TYPHAADDR) or typhaK8sServiceName');
  }

  // typha/pkg/syncclient/sync_client.go: TLS iff any of the five settings is set; then key, cert, CA and CN or URI SAN are all required.
  const tlsSettings = {
    typhaKeyFile: nonEmpty(o.typhaKeyFile),
    typhaCertFile: nonEmpty(o.typhaCertFile),
    typhaCAFile: nonEmpty(o.typhaCAFile),
    typhaCN: nonEmpty(o.typhaCN),
    typhaURISAN: nonEmpty(o.typhaURISAN),
  };
  let tls: TlsFiles | undefined;
  if (Object.values(tlsSettings).some((v) => v !== undefined)) {
    const missing: string[] = (['typhaKeyFile', 'typhaCertFile', 'typhaCAFile'] as const).filter(
      (k) => tlsSettings[k] === undefined,
    );
    if (tlsSettings.typhaCN === undefined && tlsSettings.typhaURISAN === undefined)
      missing.push('typhaCN or typhaURISAN');
    if (missing.length > 0) {
      throw configError(`Typha TLS is partly configured; missing: ${missing.join(', ')}`);
    }
    tls = {
      caFile: tlsSettings.typhaCAFile!,
      certFile: tlsSettings.typhaCertFile!,
      keyFile: tlsSettings.typhaKeyFile!,
      cn: tlsSettings.typhaCN,
      uriSAN: tlsSettings.typhaURISAN,
    };
  }

  const f = o.failover ?? {};
  const nonNeg = (name: string, v: number | undefined, d: number): number => {
    const x = v ?? d;
    if (!(x >= 0)) throw configError(`failover.${name} must be >= 0`);
    return x;
  };
  const maxRounds = f.maxRounds ?? Infinity;
  if (!(maxRounds >= 1)) throw configError('failover.maxRounds must be >= 1');
  return {
    source,
    tls,
    readTimeoutMs: millis('typhaReadTimeoutMs', o.typhaReadTimeoutMs, 30_000),
    writeTimeoutMs: millis('typhaWriteTimeoutMs', o.typhaWriteTimeoutMs, 10_000),
    dialTimeoutMs: millis('typhaDialTimeoutMs', o.typhaDialTimeoutMs, 10_000),
    hostname: o.felixHostname,
    syncerType: o.syncerType ?? 'felix',
    version: o.version ?? 'felix-ts-v0.1.0',
    info: o.info ?? 'felix-ts',
    compression: o.compression ?? true,
    maxMessageBytes: o.maxMessageBytes,
    kubernetes: o.kubernetes ?? {},
    retryDelayMs: nonNeg('retryDelayMs', f.retryDelayMs, 100),
    roundBackoffInitialMs: nonNeg('roundBackoffInitialMs', f.roundBackoffInitialMs, 1000),
    roundBackoffMaxMs: nonNeg('roundBackoffMaxMs', f.roundBackoffMaxMs, 30_000),
    maxRounds,
    localErrorGiveUpMs: nonNeg('localErrorGiveUpMs', f.localErrorGiveUpMs, 30_000),
    logger: o.logger ?? silentLogger,
  };
}
