import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PeerCertificate } from 'node:tls';
import { checkPeerIdentity, uriSANs } from '../../../../syncer-client/client/index.js';

const cert = (cn: string | string[], san?: string): PeerCertificate =>
  ({ subject: { CN: cn }, subjectaltname: san, raw: Buffer.alloc(1) }) as unknown as PeerCertificate;

test('uriSANs parses Node subjectaltname strings, quoted entries included', () => {
  assert.deepEqual(uriSANs('DNS:typha, URI:spiffe://cluster.local/ns/x/sa/typha, IP Address:10.0.0.1'), [
    'spiffe://cluster.local/ns/x/sa/typha',
  ]);
  assert.deepEqual(uriSANs('URI:"spiffe://a/b, c", URI:x://y'), ['spiffe://a/b, c', 'x://y']);
  assert.deepEqual(uriSANs(undefined), []);
  assert.deepEqual(uriSANs('DNS:a'), []);
});

test('CN only: exact match required', () => {
  assert.equal(checkPeerIdentity(cert('typha-server'), 'typha-server', undefined), undefined);
  assert.match(checkPeerIdentity(cert('typha-server2'), 'typha-server', undefined) ?? '', /mismatch/);
  assert.match(checkPeerIdentity(cert('Typha-server'), 'typha-server', undefined) ?? '', /mismatch/);
});

test('URI SAN only: any URI SAN must equal it', () => {
  assert.equal(checkPeerIdentity(cert('x', 'DNS:a, URI:spiffe://t'), undefined, 'spiffe://t'), undefined);
  assert.match(
    checkPeerIdentity(cert('x', 'URI:spiffe://t/extra'), undefined, 'spiffe://t') ?? '',
    /mismatch/,
  );
});

test('both set: either one passes', () => {
  assert.equal(
    checkPeerIdentity(cert('typha-server', 'URI:spiffe://other'), 'typha-server', 'spiffe://t'),
    undefined,
  );
  assert.equal(checkPeerIdentity(cert('other', 'URI:spiffe://t'), 'typha-server', 'spiffe://t'), undefined);
  assert.notEqual(
    checkPeerIdentity(cert('other', 'URI:spiffe://u'), 'typha-server', 'spiffe://t'),
    undefined,
  );
});

test('multiple CN attributes: the last one counts (as Go), and no certificate fails', () => {
  assert.equal(checkPeerIdentity(cert(['first', 'typha-server']), 'typha-server', undefined), undefined);
  assert.notEqual(checkPeerIdentity(cert(['typha-server', 'last']), 'typha-server', undefined), undefined);
  assert.match(checkPeerIdentity({} as PeerCertificate, 'typha-server', undefined) ?? '', /no certificate/);
});
