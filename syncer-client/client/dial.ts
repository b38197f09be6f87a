// Dialling one Typha endpoint: TCP or TLS, with Felix's 10 s dial timeout covering the TLS handshake
// (typha/pkg/syncclient/sync_client.go, "Timing"), then the CN / URI SAN check of the server certificate.
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { SyncerClientError } from './errors.js';
import { parseEndpoint } from './endpoints.js';
import { checkPeerIdentity, tlsConnectOptions, type TlsMaterial } from './tls.js';

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
}

export function dialTypha(p: DialParams): Promise<Socket | TLSSocket> {
  const { host, port } = parseEndpoint(p.address);
  return new Promise((resolve, reject) => {
    let settled = false;
    const sock: Socket | TLSSocket =
      p.tls === undefined
        ? netConnect({ host, port })
        : tlsConnect({ host, port, ...tlsConnectOptions(p.tls.material) });
    const fail = (err: SyncerClientError): void => {
      if (settled) return;
      settled = true;
      cleanup();
      sock.destroy();
      reject(err);
    };
    const timer = setTimeout(
      () =>
        fail(new SyncerClientError('ERR_TYPHA_DIAL', `dial ${p.address}: timed out after ${p.timeoutMs} ms`)),
      p.timeoutMs,
    );
    const onAbort = (): void =>
      fail(new SyncerClientError('ERR_TYPHA_STOPPED', 'client stopped while dialling'));
    const onError = (err: Error): void =>
      fail(new SyncerClientError('ERR_TYPHA_DIAL', `dial ${p.address}: ${err.message}`, { cause: err }));
    const onClose = (): void =>
      fail(new SyncerClientError('ERR_TYPHA_DIAL', `dial ${p.address}: connection closed during handshake`));
    const onReady = (): void => {
      if (settled) return;
      if (p.tls !== undefined) {
        const reason = checkPeerIdentity((sock as TLSSocket).getPeerCertificate(), p.tls.cn, p.tls.uriSAN);
        if (reason !== undefined) {
          fail(new SyncerClientError('ERR_TYPHA_TLS_IDENTITY', `Typha at ${p.address}: ${reason}`));
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
    sock.once(p.tls === undefined ? 'connect' : 'secureConnect', onReady);
  });
}
