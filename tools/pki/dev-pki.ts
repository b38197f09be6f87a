// Development PKI for tests, the demo and the `certs` command (typha/pkg/syncclient/sync_client.go).
// Keys come from Node's crypto (fast, native); node-forge builds and signs the X.509 certs,
// because Node has no certificate-issuing API.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';

/** A PEM certificate with its PEM private key. */
export interface CertAndKey {
  readonly cert: string;
  readonly key: string;
}

export interface CertOptions {
  /** Subject CommonName. */
  readonly cn: string;
  /** Optional URI SAN, e.g. spiffe://cluster.local/ns/calico-system/sa/calico-typha. */
  readonly uriSAN?: string;
  /** Optional DNS / IP SANs (for an API-server-like cert that HTTPS clients check by host name). */
  readonly dnsSANs?: readonly string[];
  readonly ipSANs?: readonly string[];
  /** Extended key usage of the leaf: serverAuth (Typha), clientAuth (Felix), or no EKU extension. */
  readonly usage: 'server' | 'client' | 'none';
  /** Validity in days; default 365. A negative value makes an already-expired cert. */
  readonly days?: number;
  /** An expired cert: its `days` of validity ended one day ago (for certificate-refusal tests). */
  readonly expired?: boolean;
}

export interface DevPkiOptions {
  /** CN of the CA; default "felix-ts dev CA". */
  readonly caCN?: string;
  /** Server cert CN; default typha-server (the operator's name, typha/pkg/syncclient/sync_client.go). */
  readonly serverCN?: string;
  readonly serverURISAN?: string;
  /** Client cert CN; default typha-client. */
  readonly clientCN?: string;
  readonly clientURISAN?: string;
  /** RSA modulus size; default 2048. */
  readonly keyBits?: number;
  /** Validity of the server and client certs in days; default 365 (the CA: 3650 days). */
  readonly days?: number;
  /** Server and client certs whose validity ended yesterday (the CA stays valid). */
  readonly expired?: boolean;
  /** false: server and client certs without the extendedKeyUsage extension; default true. */
  readonly eku?: boolean;
}

/** A CA that can issue more leaves (for refusal tests: other CN/URI SAN, or a second untrusted CA). */
export interface CertificateAuthority extends CertAndKey {
  issue(opts: CertOptions): CertAndKey;
}

export interface DevPki {
  readonly ca: CertificateAuthority;
  readonly server: CertAndKey;
  readonly client: CertAndKey;
}

function newKeyPair(bits: number): {
  pem: string;
  forgeKeys: { privateKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey };
} {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const priv = forge.pki.privateKeyFromPem(pem) as forge.pki.rsa.PrivateKey;
  const pub = forge.pki.setRsaPublicKey(priv.n, priv.e);
  return { pem, forgeKeys: { privateKey: priv, publicKey: pub } };
}

function serial(): string {
  // Positive 16-byte serial: clear the top bit so DER does not read it as negative.
  const b = randomBytes(16);
  b[0] = b[0]! & 0x7f;
  return b.toString('hex');
}

const DAY_MS = 86_400_000;

function validity(cert: forge.pki.Certificate, days: number, expired = false): void {
  const now = Date.now();
  if (expired) {
    cert.validity.notAfter = new Date(now - DAY_MS);
    cert.validity.notBefore = new Date(now - DAY_MS - Math.abs(days) * DAY_MS);
  } else if (days >= 0) {
    cert.validity.notBefore = new Date(now - 60_000);
    cert.validity.notAfter = new Date(now + days * DAY_MS);
  } else {
    cert.validity.notBefore = new Date(now + days * DAY_MS * 2);
    cert.validity.notAfter = new Date(now + days * DAY_MS);
  }
}

/** Creates a self-signed CA. */
export function makeCA(cn = 'felix-ts dev CA', keyBits = 2048): CertificateAuthority {
  const kp = newKeyPair(keyBits);
  const cert = forge.pki.createCertificate();
  cert.publicKey = kp.forgeKeys.publicKey;
  cert.serialNumber = serial();
  validity(cert, 3650);
  const attrs = [{ name: 'commonName', value: cn }];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(kp.forgeKeys.privateKey, forge.md.sha256.create());
  const caCert = cert;
  const caPem = forge.pki.certificateToPem(cert);
  return {
    cert: caPem,
    key: kp.pem,
    issue(opts: CertOptions): CertAndKey {
      const leafKp = newKeyPair(keyBits);
      const leaf = forge.pki.createCertificate();
      leaf.publicKey = leafKp.forgeKeys.publicKey;
      leaf.serialNumber = serial();
      validity(leaf, opts.days ?? 365, opts.expired);
      leaf.setSubject([{ name: 'commonName', value: opts.cn }]);
      leaf.setIssuer(caCert.subject.attributes);
      const exts: object[] = [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
        ...(opts.usage === 'none'
          ? []
          : [
              opts.usage === 'server'
                ? { name: 'extKeyUsage', serverAuth: true }
                : { name: 'extKeyUsage', clientAuth: true },
            ]),
        { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
      ];
      // GeneralName types: 2 = dNSName, 6 = uniformResourceIdentifier, 7 = iPAddress.
      const altNames: object[] = [];
      if (opts.uriSAN !== undefined) altNames.push({ type: 6, value: opts.uriSAN });
      for (const d of opts.dnsSANs ?? []) altNames.push({ type: 2, value: d });
      for (const ip of opts.ipSANs ?? []) altNames.push({ type: 7, ip });
      if (altNames.length > 0) exts.push({ name: 'subjectAltName', altNames });
      leaf.setExtensions(exts);
      leaf.sign(kp.forgeKeys.privateKey, forge.md.sha256.create());
      return { cert: forge.pki.certificateToPem(leaf), key: leafKp.pem };
    },
  };
}

/** A CA plus a Typha server cert (serverAuth) and a Felix client cert (clientAuth). */
export function makeDevPki(opts: DevPkiOptions = {}): DevPki {
  const ca = makeCA(opts.caCN, opts.keyBits);
  const leaf = {
    ...(opts.days !== undefined ? { days: opts.days } : {}),
    ...(opts.expired === true ? { expired: true } : {}),
  };
  const server = ca.issue({
    ...leaf,
    cn: opts.serverCN ?? 'typha-server',
    usage: opts.eku === false ? 'none' : 'server',
    ...(opts.serverURISAN !== undefined ? { uriSAN: opts.serverURISAN } : {}),
  });
  const client = ca.issue({
    ...leaf,
    cn: opts.clientCN ?? 'typha-client',
    usage: opts.eku === false ? 'none' : 'client',
    ...(opts.clientURISAN !== undefined ? { uriSAN: opts.clientURISAN } : {}),
  });
  return { ca, server, client };
}
