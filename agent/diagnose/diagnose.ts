// `felix-ts diagnose`: the Typha path checked end to end, without a running agent, from the same
// configuration sources as `run`: the config, the local TLS files, discovery, and for each endpoint
// TCP, TLS, the syncer hello and the first KV batch. The I/O lives here and in probe.ts; the checks
// themselves are pure (files.ts, syncer-client/client/diagnosis.ts).
import { readFileSync, statSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { ConfigError, loadConfig, type FelixConfig } from '../config/index.js';
import {
  checkTlsMaterial,
  discoverTyphaEndpoints,
  joinHostPort,
  resolveOptions,
  silentLogger,
  type KubernetesApiOptions,
  type ResolvedOptions,
  type TlsMaterial,
} from '../../syncer-client/client/index.js';
import { syncerClientOptions } from '../daemon/syncer-options.js';
import { VERSION } from '../daemon/version.js';
import { checkLocalTls, type FileRead } from './files.js';
import { probeEndpoint } from './probe.js';
import { exitCode, renderJson, renderText, type Check } from './report.js';

export interface DiagnoseIo {
  readonly out: NodeJS.WritableStream;
  readonly env: Readonly<Record<string, string | undefined>>;
}

export interface DiagnoseArgs {
  readonly configFile?: string | undefined;
  readonly sets?: readonly string[];
  readonly json?: boolean;
  /** Timeout of each step (dial, hello, first batch, discovery); default 5 s. */
  readonly stepTimeoutMs?: number;
  /** The clock for the validity checks (tests). */
  readonly now?: Date;
  /** The API server for discovery; default: the in-cluster service account and the environment's KUBERNETES_SERVICE_HOST/PORT. */
  readonly kubernetes?: KubernetesApiOptions;
}

export const DEFAULT_STEP_TIMEOUT_MS = 5000;

function readFileInfo(path: string): FileRead {
  let mode: number | undefined;
  try {
    mode = statSync(path).mode;
  } catch {
    // the read reports it
  }
  try {
    return { path, text: readFileSync(path, 'utf8'), ...(mode !== undefined ? { mode } : {}) };
  } catch (err) {
    return { path, error: err as NodeJS.ErrnoException, ...(mode !== undefined ? { mode } : {}) };
  }
}

function configChecks(
  args: DiagnoseArgs,
  env: DiagnoseIo['env'],
): { checks: Check[]; options?: ResolvedOptions } {
  let cfg: FelixConfig;
  try {
    cfg = loadConfig(
      { env, configFile: args.configFile, sets: args.sets ?? [] },
      { checkFiles: false },
    ).config;
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return {
      checks: [
        {
          id: 'config',
          status: 'error',
          message: e.message,
          fix: 'fix the parameters named',
          cause: 'config',
        },
      ],
    };
  }
  let options: ResolvedOptions;
  try {
    options = resolveOptions(syncerClientOptions(cfg, silentLogger));
  } catch (e) {
    return {
      checks: [
        {
          id: 'config',
          status: 'error',
          message: (e as Error).message,
          fix: 'set FELIX_TYPHAADDR (or FELIX_TYPHAK8SSERVICENAME) and, for TLS, all of TyphaCAFile, TyphaCertFile, TyphaKeyFile and TyphaCN or TyphaURISAN',
          cause: (e as { code?: string }).code ?? 'config',
        },
      ],
    };
  }
  const src =
    options.source.kind === 'static'
      ? `TyphaAddr ${options.source.endpoints.map((e) => joinHostPort(e.host, e.port)).join(', ')}`
      : `discovery of Service ${options.source.namespace}/${options.source.serviceName}`;
  const tls =
    options.tls !== undefined
      ? `TLS with ${[options.tls.cn !== undefined ? `TyphaCN=${options.tls.cn}` : '', options.tls.uriSAN !== undefined ? `TyphaURISAN=${options.tls.uriSAN}` : ''].filter((s) => s !== '').join(', ')}`
      : 'no TLS (plain TCP)';
  const check: Check = {
    id: 'config',
    status: options.tls === undefined ? 'warning' : 'ok',
    message: `node ${options.hostname}: ${src}, ${tls}`,
    ...(options.tls === undefined
      ? {
          fix: 'Typha without TLS accepts any client: configure TyphaCAFile/TyphaCertFile/TyphaKeyFile/TyphaCN',
          cause: 'no-tls',
        }
      : {}),
  };
  return { checks: [check], options };
}

async function endpointsOf(
  o: ResolvedOptions,
  stepMs: number,
): Promise<{ check?: Check; addresses: readonly string[] }> {
  const src = o.source;
  if (src.kind === 'static') return { addresses: src.endpoints.map((e) => joinHostPort(e.host, e.port)) };
  try {
    const found = await discoverTyphaEndpoints({
      namespace: src.namespace,
      serviceName: src.serviceName,
      nodeName: o.hostname,
      api: { ...o.kubernetes, requestTimeoutMs: o.kubernetes.requestTimeoutMs ?? stepMs },
      signal: AbortSignal.timeout(stepMs),
    });
    const none = found.addresses.length === 0;
    return {
      check: {
        id: 'discovery',
        status: none ? 'error' : 'ok',
        message: none
          ? `EndpointSlices of ${src.namespace}/${src.serviceName} list no ready Typha`
          : `EndpointSlices of ${src.namespace}/${src.serviceName}: ${found.addresses.length} ready (${found.local.length} on this node): ${found.addresses.join(', ')}`,
        ...(none
          ? {
              fix: 'is Typha running and ready? kubectl get pods -l k8s-app=calico-typha',
              cause: 'no-endpoints',
            }
          : {}),
      },
      addresses: found.addresses,
    };
  } catch (e) {
    return {
      check: {
        id: 'discovery',
        status: 'error',
        message: (e as Error).message,
        fix: 'check the API server address (KUBERNETES_SERVICE_HOST/PORT), the service account token and RBAC (list EndpointSlices), or set TyphaAddr',
        cause: (e as { code?: string }).code ?? 'discovery',
      },
      addresses: [],
    };
  }
}

/** The local TLS checks, and the material for the handshake when the agent would accept the files. */
function tlsChecks(
  o: ResolvedOptions,
  now: Date,
): { checks: Check[]; material?: TlsMaterial; broken: boolean } {
  const t = o.tls;
  if (t === undefined) return { checks: [], broken: false };
  const ca = readFileInfo(t.caFile);
  const cert = readFileInfo(t.certFile);
  const key = readFileInfo(t.keyFile);
  const local = checkLocalTls({ ca, cert, key, now });
  if (!local.usable) return { checks: local.checks, broken: true };
  const context = checkTlsMaterial(t, ca.text!, cert.text!, key.text!);
  return {
    checks: local.checks,
    material: { ca: ca.text!, cert: cert.text!, key: key.text!, context },
    broken: false,
  };
}

/** All checks, in order: config, files, discovery, then each endpoint (probed in parallel). */
export async function runChecks(
  io: DiagnoseIo,
  args: DiagnoseArgs,
): Promise<{ checks: Check[]; options?: ResolvedOptions }> {
  const stepMs = args.stepTimeoutMs ?? DEFAULT_STEP_TIMEOUT_MS;
  const conf = configChecks(args, io.env);
  const checks = [...conf.checks];
  if (conf.options === undefined) return { checks };
  const o: ResolvedOptions = { ...conf.options, kubernetes: args.kubernetes ?? { env: io.env } };
  const tls = tlsChecks(o, args.now ?? new Date());
  checks.push(...tls.checks);
  const eps = await endpointsOf(o, stepMs);
  if (eps.check !== undefined) checks.push(eps.check);
  const perEndpoint = await Promise.all(
    eps.addresses.map((address) =>
      probeEndpoint({
        address,
        options: o,
        material: tls.material,
        tlsBroken: tls.broken,
        stepTimeoutMs: stepMs,
        version: VERSION,
      }),
    ),
  );
  for (const c of perEndpoint) checks.push(...c);
  return { checks, options: o };
}

/** `felix-ts diagnose`: prints the report; the exit code is the worst result (0 ok, 1 warning, 2 error). */
export async function runDiagnose(io: DiagnoseIo, args: DiagnoseArgs): Promise<number> {
  const { checks, options } = await runChecks(io, args);
  const node = options?.hostname ?? osHostname();
  if (args.json) {
    io.out.write(
      renderJson(checks, { version: VERSION, hostname: node, time: (args.now ?? new Date()).toISOString() }),
    );
  } else {
    io.out.write(renderText(checks, `felix-ts diagnose (${VERSION}): the Typha path of node ${node}`));
  }
  return exitCode(checks);
}
