// Dialling one Typha endpoint: TCP or TLS, with Felix's 10 s dial timeout covering the TLS handshake
// (typha/pkg/syncclient/sync_client.go, "Timing"), then the chain and CN / URI SAN checks of the server
// certificate. Every failure carries its diagnosis (diagnosis.ts): the agent logs it and
// `felix-ts diagnose` prints it.
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import {
  diagnoseIdentity,
  diagnoseSocketError,
  diagnoseTimeout,
  diagnoseVerifyFailure,
  type DialContext,
  type Diagnosis,
} from './diagnosis.js';
import { SyncerClientError, type SyncerErrorCode } from './errors.js';
import { parseEndpoint } from './endpoints.js';
import { tlsConnectOptions, type TlsMaterial } from './tls.js';

export interface DialParams {
  readonly address: string;
  readonly timeoutMs: number;
  /** Present iff TLS is configured. */
  readonly tls?: {
    readonly material: TlsMaterial;
    readonly cn: string | undefined;
    readonly uriSAN: string | undefined;
  };
  readonly signal?: AbortSignal;
  /** Called when the TCP connection is up (before TLS): `diagnose` reports the two steps apart. */
  readonly onTcpConnected?: () => void;
}

function dialError(d: Diagnosis, cause?: unknown): SyncerClientError {
  const code: SyncerErrorCode = d.cause === 'identity-mismatch' ? 'ERR_TYPHA_TLS_IDENTITY' : 'ERR_TYPHA_DIAL';
  return new SyncerClientError(code, d.detail, { diagnosis: d, ...(cause !== undefined ? { cause } : {}) });
}

export function dialTypha(p: DialParams): Promise<Socket | TLSSocket> {
  const { host, port } = parseEndpoint(p.address);
  return new Promise((resolve, reject) => {
    let settled = false;
    let tcpConnected = false;
    let serverSpokeTls = false;
    const tls = p.tls?.material.context;
    const ctx = (): DialContext => ({
      address: p.address,
      tls,
      tcpConnected,
      serverSpokeTls,
      timeoutMs: p.timeoutMs,
    });
    // Chain verification is ours (below, before anything is written), so that a refusal can name
    // the issuer the server sent; Node's automatic refusal destroys the socket and the certificate with it.
    // The handshake itself completes either way (our certificate, which is public, is sent); no
    // application data goes to a server that fails the checks.
    const sock: Socket | TLSSocket =
      p.tls === undefined
        ? netConnect({ host, port })
        : tlsConnect({ host, port, ...tlsConnectOptions(p.tls.material), rejectUnauthorized: false });
    const fail = (err: SyncerClientError): void => {
      if (settled) return;
      settled = true;
      cleanup();
      sock.destroy();
      reject(err);
    };
    const timer = setTimeout(() => fail(dialError(diagnoseTimeout(ctx()))), p.timeoutMs);
    const onAbort = (): void =>
      fail(new SyncerClientError('ERR_TYPHA_STOPPED', 'client stopped while dialling'));
    const onError = (err: Error): void => fail(dialError(diagnoseSocketError(err, ctx()), err));
    const onClose = (): void =>
      fail(
        dialError(
          diagnoseSocketError(Object.assign(new Error('socket closed'), { code: 'ECONNRESET' }), ctx()),
        ),
      );
    const onTcp = (): void => {
      tcpConnected = true;
      p.onTcpConnected?.();
    };
    // Key material exists once the server has answered our hello with its own: it speaks TLS.
    const onKeylog = (): void => {
      serverSpokeTls = true;
    };
    const onReady = (): void => {
      if (settled) return;
      if (tls !== undefined) {
        const t = sock as TLSSocket;
        const peer = t.getPeerCertificate();
        if (!t.authorized) {
          const code = String(t.authorizationError ?? 'UNKNOWN');
          fail(dialError(diagnoseVerifyFailure(code, peer, ctx())));
          return;
        }
        const mismatch = diagnoseIdentity(peer, tls, p.address);
        if (mismatch !== undefined) {
          fail(dialError(mismatch));
          return;
        }
      }
      settled = true;
      cleanup();
      resolve(sock);
    };
    function cleanup(): void {
      clearTimeout(timer);
      p.signal?.removeEventListener('abort', onAbort);
      sock.off('error', onError);
      sock.off('close', onClose);
      sock.off('connect', onTcp);
      sock.off('keylog', onKeylog);
      sock.off('connect', onReady);
      sock.off('secureConnect', onReady);
    }
    if (p.signal?.aborted === true) {
      onAbort();
      return;
    }
    p.signal?.addEventListener('abort', onAbort);
    sock.on('error', onError);
    sock.on('close', onClose);
    sock.once('connect', onTcp);
    if (p.tls !== undefined) sock.on('keylog', onKeylog);
    sock.once(p.tls === undefined ? 'connect' : 'secureConnect', onReady);
  });
}
