// Kubernetes discovery of Typha (typha/pkg/discovery/discovery.go, typha/pkg/syncclient/sync_client.go): list
// discovery.k8s.io/v1 EndpointSlices labelled kubernetes.io/service-name=<service>, take the port named
// calico-typha, keep endpoints whose ready condition is not false, same-node first, each group shuffled.
import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { SyncerClientError } from './errors.js';
import { joinHostPort } from './endpoints.js';
import type { KubernetesApiOptions } from './options.js';

export const TYPHA_PORT_NAME = 'calico-typha';
const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

export interface DiscoveredEndpoints {
  /** local ++ remote, each shuffled. */
  readonly addresses: readonly string[];
  readonly local: readonly string[];
  readonly remote: readonly string[];
}

export interface DiscoveryParams {
  readonly namespace: string;
  readonly serviceName: string;
  readonly nodeName: string;
  readonly api?: KubernetesApiOptions;
  /** Injectable for tests; default Math.random. */
  readonly random?: () => number;
  /** Aborts the API request (the client's stop()). */
  readonly signal?: AbortSignal;
}

function discoveryError(msg: string, cause?: unknown): SyncerClientError {
  return new SyncerClientError('ERR_TYPHA_DISCOVERY', msg, cause === undefined ? undefined : { cause });
}

/** The API base URL: explicit, else https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT. */
export function apiBaseUrl(api: KubernetesApiOptions = {}): string {
  if (api.apiBaseUrl !== undefined) return api.apiBaseUrl.replace(/\/+$/, '');
  const env = api.env ?? process.env;
  const host = env['KUBERNETES_SERVICE_HOST'];
  const port = env['KUBERNETES_SERVICE_PORT'];
  if (host === undefined || host === '' || port === undefined || port === '') {
    throw discoveryError(
      'not running in a cluster: KUBERNETES_SERVICE_HOST/KUBERNETES_SERVICE_PORT are not set',
    );
  }
  return `https://${joinHostPort(host, Number(port))}`;
}

function shuffle<T>(xs: T[], random: () => number): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Pure part: picks Typha addresses out of an EndpointSliceList. Slices without the calico-typha port are
 * skipped (Felix fails when the *last* slice lacks it; we do not copy that quirk).
 */
export function endpointsFromSliceList(
  list: unknown,
  nodeName: string,
  random: () => number = Math.random,
): DiscoveredEndpoints {
  if (!isObject(list) || !Array.isArray(list['items']))
    throw discoveryError('EndpointSliceList has no items array');
  const local: string[] = [];
  const remote: string[] = [];
  const seen = new Set<string>();
  for (const slice of list['items'] as unknown[]) {
    if (!isObject(slice)) continue;
    const ports = Array.isArray(slice['ports']) ? (slice['ports'] as unknown[]) : [];
    const port = ports.find((p) => isObject(p) && p['name'] === TYPHA_PORT_NAME) as
      Record<string, unknown> | undefined;
    const portNum = port?.['port'];
    if (typeof portNum !== 'number' || !Number.isInteger(portNum) || portNum < 1 || portNum > 65535) continue;
    const eps = Array.isArray(slice['endpoints']) ? (slice['endpoints'] as unknown[]) : [];
    for (const ep of eps) {
      if (!isObject(ep)) continue;
      // Only an explicit ready=false excludes an endpoint (nil means ready, as in the API docs).
      if (isObject(ep['conditions']) && ep['conditions']['ready'] === false) continue;
      const addrs = Array.isArray(ep['addresses']) ? (ep['addresses'] as unknown[]) : [];
      for (const a of addrs) {
        if (typeof a !== 'string' || a === '' || /[\s,/]/.test(a)) continue;
        const hp = joinHostPort(a, portNum);
        if (seen.has(hp)) continue;
        seen.add(hp);
        (ep['nodeName'] === nodeName ? local : remote).push(hp);
      }
    }
  }
  if (local.length + remote.length === 0) throw discoveryError("Didn't find any ready Typha instances.");
  shuffle(local, random);
  shuffle(remote, random);
  return { addresses: [...local, ...remote], local, remote };
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

function httpsGetJson(
  url: string,
  token: string | undefined,
  ca: string | undefined,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (token !== undefined) headers['Authorization'] = `Bearer ${token.trim()}`;
    const req = request(
      url,
      {
        method: 'GET',
        headers,
        ...(ca !== undefined ? { ca } : {}),
        ...(signal !== undefined ? { signal } : {}),
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_RESPONSE_BYTES) {
            req.destroy(discoveryError(`response from ${url} exceeds ${MAX_RESPONSE_BYTES} bytes`));
            return;
          }
          chunks.push(c);
        });
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode !== 200) {
            reject(
              discoveryError(
                `Unable to get Typha service endpoints from Kubernetes: HTTP ${res.statusCode}: ${body.slice(0, 200)}`,
              ),
            );
            return;
          }
          try {
            resolve(JSON.parse(body));
          } catch (err) {
            reject(
              discoveryError('Unable to get Typha service endpoints from Kubernetes: invalid JSON', err),
            );
          }
        });
        res.on('error', (err) =>
          reject(
            discoveryError(`Unable to get Typha service endpoints from Kubernetes: ${err.message}`, err),
          ),
        );
      },
    );
    req.on('timeout', () => req.destroy(discoveryError(`request to ${url} timed out after ${timeoutMs} ms`)));
    req.on('error', (err) =>
      reject(
        err instanceof SyncerClientError
          ? err
          : discoveryError(`Unable to get Typha service endpoints from Kubernetes: ${err.message}`, err),
      ),
    );
    req.end();
  });
}

/** Lists the EndpointSlices of the Typha service and returns local-first shuffled addresses. */
export async function discoverTyphaEndpoints(p: DiscoveryParams): Promise<DiscoveredEndpoints> {
  const api = p.api ?? {};
  const base = apiBaseUrl(api);
  const token = await readOptional(api.tokenFile ?? `${SA_DIR}/token`);
  const ca = await readOptional(api.caFile ?? `${SA_DIR}/ca.crt`);
  const selector = encodeURIComponent(`kubernetes.io/service-name=${p.serviceName}`);
  const url = `${base}/apis/discovery.k8s.io/v1/namespaces/${encodeURIComponent(p.namespace)}/endpointslices?labelSelector=${selector}`;
  const list = await httpsGetJson(url, token, ca, api.requestTimeoutMs ?? 10_000, p.signal);
  return endpointsFromSliceList(list, p.nodeName, p.random);
}
