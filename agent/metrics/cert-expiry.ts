// felix_ts_typha_certificate_expiry_timestamp_seconds{role,file}: when the Typha client certificate and
// the Typha CA expire (issue 18 item 6). Felix has no such metric; an alert on "less than 30 days left"
// catches the most common Typha outage before it happens. The files are read at scrape time, so a
// rotated certificate shows at once. For a CA bundle the earliest expiry counts. A file that is unset,
// unreadable or holds no certificate has no sample (`felix-ts diagnose` says why).
import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import client from 'prom-client';

export interface CertFile {
  readonly role: 'client' | 'ca';
  readonly path: string;
}

const PEM_RE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Earliest notAfter of the PEM certificates in the file, in seconds since the epoch. */
export function earliestExpiry(pem: string): number | undefined {
  let best: number | undefined;
  for (const block of pem.match(PEM_RE) ?? []) {
    try {
      const t = Date.parse(new X509Certificate(block).validTo) / 1000;
      if (!Number.isNaN(t) && (best === undefined || t < best)) best = t;
    } catch {
      // Not a certificate: no sample from this block.
    }
  }
  return best;
}

export function registerCertExpiry(registry: client.Registry, files: () => readonly CertFile[]): void {
  new client.Gauge({
    name: 'felix_ts_typha_certificate_expiry_timestamp_seconds',
    help: 'felix-ts: notAfter of the Typha client certificate (role="client") and the earliest in the Typha CA file (role="ca"), in seconds since the epoch.',
    labelNames: ['role', 'file'],
    registers: [registry],
    collect() {
      this.reset();
      for (const f of files()) {
        if (f.path === '' || f.path === 'none') continue;
        let text: string;
        try {
          text = readFileSync(f.path, 'utf8');
        } catch {
          continue;
        }
        const t = earliestExpiry(text);
        if (t !== undefined) this.set({ role: f.role, file: f.path }, t);
      }
    },
  });
}
