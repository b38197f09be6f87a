// The non-daemon subcommands: status, inspect, certs. Each returns an exit code and writes to
// the given output streams, so tests can run them in-process.
import type { Writable } from 'node:stream';
import { loadConfig, ConfigError } from '../config/index.js';
import type { EndpointCandidate, EndpointDescription } from '../calc/index.js';
import type { InspectedChain } from '../daemon/index.js';
import { baseUrl, httpGet, CliHttpError } from './http.js';
import { loadDevTool } from './dev-tools.js';
import type { CertsArgs } from '../../tools/pki/index.js';

export interface Io {
  readonly out: Writable;
  readonly err: Writable;
  readonly env: Readonly<Record<string, string | undefined>>;
}

export interface Target {
  readonly host?: string | undefined;
  readonly port?: number | undefined;
  readonly configFile?: string | undefined;
}

/** Where the health server is: flags, else HealthHost/HealthPort from env and file (like calico-node's -felix-ready probe). */
export function healthTarget(io: Io, t: Target): { host: string; port: number } {
  let host = 'localhost';
  let port = 9099;
  try {
    const c = loadConfig({ env: io.env, configFile: t.configFile }, { checkFiles: false }).config;
    host = c.HealthHost;
    port = c.HealthPort;
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    // A broken config elsewhere must not stop `status` from probing the defaults.
  }
  return { host: t.host ?? host, port: t.port ?? port };
}

/** `status` exit code when the agent's health server cannot be reached (nothing listening, timeout). */
export const EXIT_UNREACHABLE = 3;

export async function statusCommand(io: Io, t: Target & { json?: boolean; live?: boolean }): Promise<number> {
  const { host, port } = healthTarget(io, t);
  const path = t.live ? '/liveness' : '/readiness';
  const what = t.live ? 'live' : 'ready';
  const url = `${baseUrl(host, port)}${path}`;
  let r;
  try {
    r = await httpGet(`${url}${t.json ? '?format=json' : ''}`);
  } catch (e) {
    if (!(e instanceof CliHttpError)) throw e;
    if (t.json) io.out.write(JSON.stringify({ reachable: false, url, error: e.message }) + '\n');
    io.err.write(
      `felix-ts cannot be reached at ${url}: ${e.message}\n` +
        `hint: is felix-ts running with HealthEnabled=true (FELIX_HEALTHENABLED=true)? ` +
        `Otherwise pass --host/--port (HealthHost/HealthPort) or -c <config file>.\n`,
    );
    return EXIT_UNREACHABLE;
  }
  const ok = r.status >= 200 && r.status < 400;
  if (t.json) io.out.write(JSON.stringify(asJson(r.body, r.status)) + '\n');
  else io.out.write(r.body.endsWith('\n') ? r.body : r.body + '\n');
  if (ok) {
    if (!t.json) io.out.write(`felix-ts is ${what}\n`);
    return 0;
  }
  io.err.write(`felix-ts is not ${what}: ${path.slice(1)} probe reporting ${r.status}\n`);
  return 1;
}

/** The health server's JSON body, or the text wrapped as JSON when it is not JSON (e.g. a proxy's error page). */
function asJson(body: string, status: number): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return { reachable: true, status, body };
  }
}

function printChain(out: Writable, c: InspectedChain): void {
  const owner =
    c.owner.kind === 'static'
      ? 'felix-ts static chain'
      : `${c.owner.kind} ${c.owner.id}${c.owner.direction ? ` ${c.owner.direction}` : ''}`;
  out.write(`  ipv${c.ipVersion} ${c.table} ${c.name}  <- ${owner}\n`);
  for (const r of c.rules) {
    const from = r.source !== undefined ? `  <- source rule ${r.source}` : '';
    out.write(`    [${r.index}] cali:${r.hash} ${r.body}${from}\n`);
  }
  for (const s of c.sourceRules ?? [])
    out.write(`    source rule ${s.index}${s.ruleId ? ` (id ${s.ruleId})` : ''}: ${s.summary}\n`);
}

/** What the chains are: programmed, or (dry run) only computed. */
function chainsWhat(dryRun: boolean | undefined): string {
  return dryRun ? 'computed (dry run, not programmed)' : 'programmed';
}

export async function getJson(
  io: Io,
  t: Target,
  path: string,
): Promise<{ status: number; json: unknown } | null> {
  const { host, port } = healthTarget(io, t);
  try {
    const r = await httpGet(`${baseUrl(host, port)}${path}`);
    return { status: r.status, json: JSON.parse(r.body) as unknown };
  } catch (e) {
    if (e instanceof CliHttpError || e instanceof SyntaxError) {
      io.err.write(
        `cannot query the running felix-ts (is it running with FELIX_HEALTHENABLED=true?): ${e.message}\n`,
      );
      return null;
    }
    throw e;
  }
}

export async function inspectEndpoint(io: Io, t: Target & { json?: boolean }, name: string): Promise<number> {
  const r = await getJson(io, t, `/debug/endpoint?name=${encodeURIComponent(name)}`);
  if (!r) return 1;
  if (t.json) {
    io.out.write(JSON.stringify(r.json, null, 2) + '\n');
    return r.status === 200 ? 0 : 1;
  }
  if (r.status !== 200) {
    const e = r.json as { error?: string; candidates?: EndpointCandidate[] };
    io.err.write(`${e.error ?? `HTTP ${r.status}`}\n`);
    for (const c of e.candidates ?? []) io.err.write(`  ${c.name}  (interface ${c.iface}, key ${c.key})\n`);
    return 1;
  }
  const {
    endpoint: ep,
    chains,
    dryRun,
  } = r.json as {
    endpoint: EndpointDescription;
    chains: { chains: InspectedChain[] } | null;
    dryRun?: boolean;
  };
  const o = io.out;
  o.write(`Endpoint ${ep.key}\n  kind: ${ep.kind}\n  interface: ${ep.iface}\n`);
  o.write(`  ipv4: ${(ep.ipv4Nets ?? []).join(', ') || '(none)'}\n`);
  o.write(`  ipv6: ${(ep.ipv6Nets ?? []).join(', ') || '(none)'}\n`);
  o.write(
    `  labels: ${
      Object.entries(ep.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ') || '(none)'
    }\n`,
  );
  for (const dir of ['ingress', 'egress'] as const) {
    o.write(`  ${dir} (evaluated in this order):\n`);
    if (ep[dir].length === 0) o.write('    (no policies)\n');
    for (const tier of ep[dir]) {
      o.write(`    tier ${tier.tier} (end of tier: ${tier.defaultAction})\n`);
      for (const p of tier.policies) o.write(`      policy ${p}\n`);
    }
    o.write(`    then profiles: ${ep.profiles.join(', ') || '(none)'}\n`);
  }
  // The chains that implement it, in evaluation order (agent/daemon/inspect.ts describeEndpointChains).
  const mine = chains?.chains ?? [];
  o.write(`Chains (${mine.length}) in evaluation order, ${chainsWhat(dryRun)}:\n`);
  for (const c of mine) printChain(o, c);
  return 0;
}

export async function inspectChains(io: Io, t: Target & { json?: boolean }): Promise<number> {
  const r = await getJson(io, t, '/debug/chains');
  if (!r) return 1;
  if (t.json) {
    io.out.write(JSON.stringify(r.json, null, 2) + '\n');
    return 0;
  }
  const { chains, dryRun } = r.json as { chains: InspectedChain[]; dryRun?: boolean };
  io.out.write(`${chains.length} chains ${chainsWhat(dryRun)} by felix-ts:\n`);
  for (const c of chains) printChain(io.out, c);
  return 0;
}

export async function certsCommand(io: Io, args: CertsArgs): Promise<number> {
  const { runCerts } = await loadDevTool('certs', () => import('../../tools/pki/index.js'));
  return runCerts(io, args);
}
