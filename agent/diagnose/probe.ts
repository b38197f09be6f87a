// `felix-ts diagnose`, one Typha endpoint: TCP connect, TLS handshake, the syncer hello and the time
// to the first KV batch, each step with its own timeout. The dial and the session are the agent's
// own (syncer-client/client/dial.ts, session.ts), so the failures are classified exactly as the
// agent logs them (syncer-client/client/diagnosis.ts).
import { randomBytes } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { Socket } from 'node:net';
import {
  diagnoseBeforeHello,
  dialTypha,
  formatDN,
  goTime,
  commonName,
  uriSANs,
  describeIdentity,
  silentLogger,
  SyncerClientError,
  TyphaSession,
  type Diagnosis,
  type ResolvedOptions,
  type TlsMaterial,
} from '../../syncer-client/client/index.js';
import type { Check } from './report.js';

export interface ProbeParams {
  readonly address: string;
  readonly options: ResolvedOptions;
  /** undefined: no TLS configured, or (tlsBroken) the local files are unusable. */
  readonly material: TlsMaterial | undefined;
  readonly tlsBroken: boolean;
  readonly stepTimeoutMs: number;
  readonly version: string;
}

function failed(id: string, endpoint: string, d: Diagnosis): Check {
  return { id, endpoint, status: 'error', message: d.detail, fix: d.fix, cause: d.cause, goError: d.goError };
}

function skipped(id: string, endpoint: string, why: string): Check {
  return { id, endpoint, status: 'skipped', message: why };
}

function kvs(n: number): string {
  return `${n} KV${n === 1 ? '' : 's'}`;
}

function elapsed(t0: number): number {
  return Math.round(performance.now() - t0);
}

/** TCP (+ TLS): the connected socket, or the checks that say why not. */
async function dial(p: ProbeParams, checks: Check[], t0: number): Promise<Socket | undefined> {
  const a = p.address;
  let tcpMs = -1;
  const tls =
    p.material !== undefined
      ? { material: p.material, cn: p.options.tls!.cn, uriSAN: p.options.tls!.uriSAN }
      : undefined;
  let sock: Socket;
  try {
    sock = await dialTypha({
      address: a,
      timeoutMs: p.stepTimeoutMs,
      onTcpConnected: () => (tcpMs = elapsed(t0)),
      ...(tls !== undefined ? { tls } : {}),
    });
  } catch (err) {
    const d = (err as SyncerClientError).diagnosis;
    if (d === undefined) throw err;
    if (d.step === 'tcp') {
      checks.push(failed('tcp', a, d));
      if (p.options.tls !== undefined) checks.push(skipped('tls', a, 'needs a TCP connection'));
    } else {
      checks.push({ id: 'tcp', endpoint: a, status: 'ok', message: `connected after ${tcpMs} ms` });
      checks.push(failed('tls', a, d));
    }
    return undefined;
  }
  checks.push({
    id: 'tcp',
    endpoint: a,
    status: 'ok',
    message: `connected after ${tcpMs >= 0 ? tcpMs : elapsed(t0)} ms`,
  });
  if (tls !== undefined) {
    const t = sock as TLSSocket;
    const peer = t.getPeerCertificate();
    checks.push({
      id: 'tls',
      endpoint: a,
      status: 'ok',
      message: `${t.getProtocol() ?? 'TLS'} after ${elapsed(t0)} ms; Typha’s certificate: ${describeIdentity(commonName(peer), uriSANs(peer.subjectaltname))}, issued by ${formatDN(peer.issuer)}, until ${goTime(new Date(peer.valid_to))}`,
      data: { protocol: t.getProtocol(), serverCN: commonName(peer) ?? null, issuer: formatDN(peer.issuer) },
    });
  } else if (p.tlsBroken) {
    sock.destroy();
    checks.push(skipped('tls', a, 'the local TLS files have errors (above)'));
    return undefined;
  }
  return sock;
}

interface SessionOutcome {
  hello?: { version: string; syncerType: string; ms: number };
  compression: string;
  firstBatch?: { ms: number; kvs: number };
  inSync?: { ms: number };
  kvs: number;
  error?: SyncerClientError;
}

/** ServerHello, then KVs until in-sync or the step timeout. */
function runSession(p: ProbeParams, sock: Socket, t0: number): Promise<SessionOutcome> {
  const out: SessionOutcome = { compression: '', kvs: 0 };
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const end = (why: string): void => session.close(new SyncerClientError('ERR_TYPHA_STOPPED', why));
    const firstBatch = (kvs: number): void => {
      if (out.firstBatch === undefined) out.firstBatch = { ms: elapsed(t0), kvs };
    };
    const session = new TyphaSession(
      sock,
      {
        hostname: p.options.hostname,
        syncerType: p.options.syncerType,
        version: p.version,
        info: 'felix-ts diagnose',
        compression: p.options.compression,
        clientConnID: BigInt(`0x${randomBytes(8).toString('hex')}`) & 0x7fffffffffffffffn,
        readTimeoutMs: p.stepTimeoutMs,
        writeTimeoutMs: p.stepTimeoutMs,
        maxMessageBytes: p.options.maxMessageBytes,
        logger: silentLogger,
        endpoint: p.address,
      },
      {
        onServerHello: (version, _id, syncerType) => {
          out.hello = { version, syncerType, ms: elapsed(t0) };
          // The first KV batch gets its own step timeout from the hello on.
          timer = setTimeout(() => end('step timeout'), p.stepTimeoutMs);
        },
        onDecoderRestart: (alg) => (out.compression = alg),
        onUpdates: (u) => {
          out.kvs += u.length;
          firstBatch(u.length);
        },
        onStatus: (s) => {
          if (s !== 'in-sync') return;
          firstBatch(0);
          out.inSync = { ms: elapsed(t0) };
          end('in sync');
        },
      },
    );
    void session.done.then((err) => {
      if (timer !== undefined) clearTimeout(timer);
      if (err.code !== 'ERR_TYPHA_STOPPED') out.error = err;
      resolve(out);
    });
  });
}

function helloChecks(p: ProbeParams, o: SessionOutcome): Check[] {
  const a = p.address;
  if (o.hello === undefined) {
    const e = o.error!;
    const d =
      e.diagnosis ??
      diagnoseBeforeHello({
        address: a,
        tls: p.material?.context,
        code: e.code,
        cause: e.cause,
        readTimeoutMs: p.stepTimeoutMs,
      });
    const hello: Check =
      d !== undefined
        ? failed('hello', a, d)
        : { id: 'hello', endpoint: a, status: 'error', message: e.message, cause: e.code };
    return [hello, skipped('sync', a, 'needs a ServerHello')];
  }
  const h = o.hello;
  const hello: Check = {
    id: 'hello',
    endpoint: a,
    status: 'ok',
    message: `ServerHello after ${h.ms} ms: Typha ${h.version || '(no version)'}, syncer type ${h.syncerType}, compression ${o.compression || 'none'}`,
    data: { serverVersion: h.version, syncerType: h.syncerType, compression: o.compression || 'none' },
  };
  let sync: Check;
  if (o.firstBatch === undefined) {
    sync = o.error
      ? {
          id: 'sync',
          endpoint: a,
          status: 'error',
          message: `the stream failed before the first KV batch: ${o.error.message}`,
          cause: o.error.code,
        }
      : {
          id: 'sync',
          endpoint: a,
          status: 'error',
          message: `no KV batch within ${p.stepTimeoutMs} ms of the ServerHello`,
          fix: 'check Typha’s log and its connection to the datastore',
          cause: 'no-batch',
        };
  } else {
    const f = o.firstBatch;
    const insync =
      o.inSync !== undefined
        ? `in sync after ${o.inSync.ms} ms (${kvs(o.kvs)})`
        : `not in sync within ${p.stepTimeoutMs} ms (${kvs(o.kvs)} so far; a large datastore takes longer)`;
    sync = {
      id: 'sync',
      endpoint: a,
      status: o.error !== undefined ? 'error' : 'ok',
      message: `first KV batch after ${f.ms} ms (${kvs(f.kvs)}), ${insync}${o.error !== undefined ? `; then: ${o.error.message}` : ''}`,
      data: { firstBatchMs: f.ms, inSyncMs: o.inSync?.ms ?? null, kvs: o.kvs },
    };
  }
  return [hello, sync];
}

/** Every check of one endpoint; the later steps are skipped after a failure. */
export async function probeEndpoint(p: ProbeParams): Promise<Check[]> {
  const checks: Check[] = [];
  // Every time is since the start of this endpoint's probe.
  const t0 = performance.now();
  const sock = await dial(p, checks, t0);
  if (sock === undefined) {
    if (!checks.some((c) => c.id === 'hello')) checks.push(skipped('hello', p.address, 'needs a connection'));
    return checks;
  }
  const outcome = await runSession(p, sock, t0);
  return [...checks, ...helloChecks(p, outcome)];
}
