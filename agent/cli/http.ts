// Tiny HTTP GET against the local health server (status / inspect). Node's fetch, with a timeout.
export interface HttpResult {
  readonly status: number;
  readonly body: string;
}

export class CliHttpError extends Error {
  readonly code = 'ERR_CLI_HTTP';
}

/** host "localhost", "::1" or an IPv4; IPv6 literals get brackets. */
export function baseUrl(host: string, port: number): string {
  const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `http://${h}:${port}`;
}

export async function httpGet(url: string, timeoutMs = 5000, accept?: string): Promise<HttpResult> {
  try {
    const r = await fetch(url, {
      signal: AbortSignal.timeout(timeoutMs),
      ...(accept ? { headers: { accept } } : {}),
    });
    return { status: r.status, body: await r.text() };
  } catch (e) {
    const cause = (e as { cause?: { message?: string } }).cause?.message;
    throw new CliHttpError(`${url}: ${cause ?? (e instanceof Error ? e.message : String(e))}`);
  }
}
