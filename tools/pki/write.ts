// Writes a dev PKI to a directory in the layout the demo and the `certs` command use.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DevPki } from './dev-pki.js';

export interface PkiFiles {
  readonly caFile: string;
  readonly serverCertFile: string;
  readonly serverKeyFile: string;
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
}

/** Writes ca.crt, typha-server.crt/.key and typha-client.crt/.key (keys mode 0600). */
export function writeDevPki(pki: DevPki, dir: string): PkiFiles {
  mkdirSync(dir, { recursive: true });
  const files: PkiFiles = {
    caFile: join(dir, 'ca.crt'),
    serverCertFile: join(dir, 'typha-server.crt'),
    serverKeyFile: join(dir, 'typha-server.key'),
    clientCertFile: join(dir, 'typha-client.crt'),
    clientKeyFile: join(dir, 'typha-client.key'),
  };
  writeFileSync(files.caFile, pki.ca.cert, { mode: 0o644 });
  writeFileSync(files.serverCertFile, pki.server.cert, { mode: 0o644 });
  writeFileSync(files.serverKeyFile, pki.server.key, { mode: 0o600 });
  writeFileSync(files.clientCertFile, pki.client.cert, { mode: 0o644 });
  writeFileSync(files.clientKeyFile, pki.client.key, { mode: 0o600 });
  return files;
}

/** The FELIX_TYPHA* variables that point the agent at these files (Typha's CN: makeDevPki's default). */
export function typhaClientEnv(files: PkiFiles, serverCN = 'typha-server'): Record<string, string> {
  return {
    FELIX_TYPHACAFILE: files.caFile,
    FELIX_TYPHACERTFILE: files.clientCertFile,
    FELIX_TYPHAKEYFILE: files.clientKeyFile,
    FELIX_TYPHACN: serverCN,
  };
}
