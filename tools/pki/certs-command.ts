// `felix-ts certs`: writes a development PKI (CA with its key, Typha server and client certs) into a
// directory, with options for the certificates that failure-case tests need (other CNs, a short or
// ended validity, no extendedKeyUsage). The CLI (agent/cli) parses the flags and calls this.
import { readdirSync, statSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { makeDevPki } from './dev-pki.js';
import { typhaClientEnv, writeDevPki } from './write.js';

export interface CertsArgs {
  readonly dir: string;
  readonly force?: boolean | undefined;
  readonly serverCN?: string | undefined;
  readonly clientCN?: string | undefined;
  /** --days as given on the command line (validated here). */
  readonly days?: string | undefined;
  readonly expired?: boolean | undefined;
  /** --no-eku: leave out the extendedKeyUsage extension. */
  readonly noEku?: boolean | undefined;
}

interface Out {
  write(s: string): unknown;
}

/** A word for a POSIX shell command line: as is when safe, else single-quoted. */
function sh(w: string): string {
  return /^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`;
}

/** Exit codes: 0 written, 1 writing failed, 2 a usage error (bad option, non-empty directory). */
export function runCerts(io: { out: Out; err: Out }, a: CertsArgs): number {
  const usage = (msg: string): number => {
    io.err.write(`felix-ts: certs: ${msg}\n`);
    return 2;
  };
  let days: number | undefined;
  if (a.days !== undefined) {
    days = Number(a.days);
    if (!/^\d+$/.test(a.days) || days < 1 || days > 36_500)
      return usage(`--days must be a whole number of days from 1 to 36500, got ${JSON.stringify(a.days)}`);
  }
  for (const [opt, cn] of [
    ['--server-cn', a.serverCN],
    ['--client-cn', a.clientCN],
  ] as const) {
    // eslint-disable-next-line no-control-regex
    if (cn !== undefined && (cn === '' || /[\u0000-\u001f\u007f]/.test(cn)))
      return usage(
        `${opt} must be a non-empty CommonName without control characters, got ${JSON.stringify(cn)}`,
      );
  }
  let entries: string[] = [];
  try {
    if (!statSync(a.dir).isDirectory()) return usage(`--dir ${a.dir} exists and is not a directory`);
    entries = readdirSync(a.dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
      return usage(`--dir ${a.dir}: ${(e as Error).message}`);
  }
  if (entries.length > 0 && a.force !== true)
    return usage(
      `directory ${a.dir} is not empty (${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}, ` +
        `e.g. ${entries.sort()[0]}); use --force to overwrite the PKI files in it`,
    );
  const serverCN = a.serverCN ?? 'typha-server';
  const clientCN = a.clientCN ?? 'typha-client';
  const pki = makeDevPki({
    serverCN,
    clientCN,
    ...(days !== undefined ? { days } : {}),
    ...(a.expired === true ? { expired: true } : {}),
    ...(a.noEku === true ? { eku: false } : {}),
  });
  let f;
  try {
    f = writeDevPki(pki, a.dir);
  } catch (e) {
    io.err.write(`felix-ts: certs: cannot write to ${a.dir}: ${(e as Error).message}\n`);
    return 1;
  }
  const leaf = new X509Certificate(pki.server.cert);
  const validity =
    a.expired === true ? `EXPIRED: valid ${leaf.validFrom} to ${leaf.validTo}` : `valid to ${leaf.validTo}`;
  const eku = a.noEku === true ? ', no extendedKeyUsage' : '';
  io.out.write(
    [
      `Wrote a development PKI to ${a.dir} (NOT for production):`,
      `  CA:            ${f.caFile} ${f.caKeyFile}`,
      `  Typha server:  ${f.serverCertFile} ${f.serverKeyFile} (CN ${serverCN})`,
      `  Felix client:  ${f.clientCertFile} ${f.clientKeyFile} (CN ${clientCN})`,
      `  Server and client certs ${validity}${eku}; keys are mode 0600`,
      'Use with:',
      ...Object.entries(typhaClientEnv(f, serverCN)).map(([k, v]) => `  ${k}=${sh(v)}`),
      'Test Typha server with these certs:',
      `  node dist/tools/typha-server/cli.js --ca ${sh(f.caFile)} --cert ${sh(f.serverCertFile)} ` +
        `--key ${sh(f.serverKeyFile)} --client-cn ${sh(clientCN)}`,
      '',
    ].join('\n'),
  );
  return 0;
}
