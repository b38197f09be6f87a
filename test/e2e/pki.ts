// mTLS material for the suite: a fresh dev PKI (tools/pki) written to a private temp directory.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeDevPki, writeDevPki, type PkiFiles } from '../../tools/pki/index.js';

export interface E2ePki extends PkiFiles {
  readonly dir: string;
  readonly serverCN: string;
  readonly clientCN: string;
  cleanup(): void;
}

export function makeE2ePki(): E2ePki {
  const dir = mkdtempSync(join(tmpdir(), `fe2e-${process.pid}-pki-`));
  const pki = makeDevPki({ serverCN: 'typha-server', clientCN: 'typha-client' });
  const files = writeDevPki(pki, dir);
  return {
    ...files,
    dir,
    serverCN: 'typha-server',
    clientCN: 'typha-client',
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
