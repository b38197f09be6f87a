// Writes a dev PKI to a directory in the layout the demo and the `certs` command use.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DevPki } from './dev-pki.js';

export interface PkiFiles {
  readonly caFile: string;
  readonly caKeyFile: string;
  readonly serverCertFile: string;
  readonly serverKeyFile: string;
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
}

/**
 * Writes ca.crt/.key, typha-server.crt/.key and typha-client.crt/.key (keys mode 0600, certs 0644).
 * An existing file of the same name is replaced, not written through: the new file gets these modes
 * even when the old one had others, and a symlink in its place is removed rather than followed.
 */
export function writeDevPki(pki: DevPki, dir: string): PkiFiles {
  mkdirSync(dir, { recursive: true });
  const files: PkiFiles = {
    caFile: join(dir, 'ca.crt'),
    caKeyFile: join(dir, 'ca.key'),
    serverCertFile: join(dir, 'typha-server.crt'),
    serverKeyFile: join(dir, 'typha-server.key'),
    clientCertFile: join(dir, 'typha-client.crt'),
    clientKeyFile: join(dir, 'typha-client.key'),
  };
  const write = (file: string, pem: string, mode: number): void => {
    rmSync(file, { force: true });
    writeFileSync(file, pem, { mode, flag: 'wx' });
  };
  write(files.caFile, pki.ca.cert, 0o644);
  write(files.caKeyFile, pki.ca.key, 0o600);
  write(files.serverCertFile, pki.server.cert, 0o644);
  write(files.serverKeyFile, pki.server.key, 0o600);
  write(files.clientCertFile, pki.client.cert, 0o644);
  write(files.clientKeyFile, pki.client.key, 0o600);
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
