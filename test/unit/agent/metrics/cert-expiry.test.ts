// agent/metrics/cert-expiry.ts: the earliest notAfter of a PEM bundle; garbage gives no value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { earliestExpiry } from '../../../../agent/metrics/cert-expiry.js';
import { makeDevPki } from '../../../../tools/pki/index.js';

test('earliestExpiry: a bundle gives its earliest notAfter; no certificate gives undefined', () => {
  const pki = makeDevPki();
  const certs = [pki.ca.cert, pki.client.cert];
  const times = certs.map((c) => Date.parse(new X509Certificate(c).validTo) / 1000);
  assert.equal(earliestExpiry(certs.join('\n')), Math.min(...times));
  assert.equal(earliestExpiry(certs[1]!), times[1]);
  assert.equal(earliestExpiry('not a pem'), undefined);
  assert.equal(earliestExpiry('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----'), undefined);
});
