// Development PKI (node-forge): used by tests, the demo and the `certs` command.
export { makeCA, makeDevPki } from './dev-pki.js';
export type { CertAndKey, CertOptions, CertificateAuthority, DevPki, DevPkiOptions } from './dev-pki.js';
export { typhaClientEnv, writeDevPki } from './write.js';
export type { PkiFiles } from './write.js';
export { runCerts } from './certs-command.js';
export type { CertsArgs } from './certs-command.js';
