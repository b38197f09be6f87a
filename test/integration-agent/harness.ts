// Shared set-up for the agent integration tests: the bundled Typha server with the demo cluster
// over mTLS, the FELIX_* environment for an agent that talks to it, and the compiled CLI as a
// child process.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TyphaServer } from '../../tools/typha-server/index.js';
import { makeDevPki, typhaClientEnv, type DevPki, type PkiFiles } from '../../tools/pki/index.js';
import { DEMO_HOST, demoCluster } from '../../tools/demo/index.js';

/** dist/test/integration-agent -> dist/bundle/felix-ts.js: the shipped CLI (scripts/bundle.mjs). */
export const MAIN = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'bundle', 'felix-ts.js');

export async function until<T>(
  what: string,
  f: () => Promise<T | undefined> | T | undefined,
  diag: () => string = () => '',
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${diag()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

let pki: DevPki | undefined;
export function devPki(): DevPki {
  pki ??= makeDevPki();
  return pki;
}

export function typhaServer(port = 0): TyphaServer {
  const p = devPki();
  const s = new TyphaServer({
    host: '127.0.0.1',
    port,
    tls: { ca: p.ca.cert, cert: p.server.cert, key: p.server.key, clientCN: 'typha-client' },
  });
  for (const [k, v] of demoCluster()) s.put(k, v);
  return s;
}

export function felixEnv(files: PkiFiles, typhaPort: number): Record<string, string> {
  return {
    FELIX_TYPHAADDR: `127.0.0.1:${typhaPort}`,
    ...typhaClientEnv(files),
    FELIX_FELIXHOSTNAME: DEMO_HOST,
    FELIX_HEALTHENABLED: 'true',
    FELIX_HEALTHHOST: '127.0.0.1',
    FELIX_LOGFILEPATH: 'none',
    FELIX_IPV6SUPPORT: 'false',
    FELIX_CONFIGFILE: '/nonexistent/felix.cfg',
    // Not the host's /var/run/calico (test/integration/endpoint-status.test.ts covers the files).
    FELIX_ENDPOINTSTATUSPATHPREFIX: 'none',
  };
}

export interface Child {
  readonly exit: Promise<number | null>;
  output(): string;
  kill(sig: NodeJS.Signals): void;
}

export function spawnCli(args: string[], env: Record<string, string>, main = MAIN): Child {
  const c = spawn(process.execPath, [main, ...args], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  c.stdout.on('data', (d: Buffer) => (text += d.toString()));
  c.stderr.on('data', (d: Buffer) => (text += d.toString()));
  return {
    exit: new Promise((r) => c.once('exit', (code, sig) => r(code ?? (sig ? -1 : null)))),
    output: () => text,
    kill: (s) => void c.kill(s),
  };
}

export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}
