// Static Typha endpoints: FELIX_TYPHAADDR (felix/config/config_params.go). Felix takes one host:port; we
// also accept a comma-separated list, tried in the given order.
import { isIP } from 'node:net';
import { SyncerClientError } from './errors.js';

export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

/** Renders like Go's net.JoinHostPort: IPv6 literals are bracketed. */
export function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

const HOSTNAME_RE = /^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/;

/** Parses one "host:port" / "[v6]:port". Throws ERR_TYPHA_ADDR. */
export function parseEndpoint(text: string): Endpoint {
  const s = text.trim();
  let host: string;
  let portText: string;
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    if (close < 0 || s[close + 1] !== ':') throw badAddr(text, 'expected [ipv6]:port');
    host = s.slice(1, close);
    portText = s.slice(close + 2);
    if (isIP(host) !== 6) throw badAddr(text, 'not an IPv6 address inside brackets');
  } else {
    const colon = s.lastIndexOf(':');
    if (colon <= 0) throw badAddr(text, 'expected host:port');
    host = s.slice(0, colon);
    portText = s.slice(colon + 1);
    if (host.includes(':')) throw badAddr(text, 'IPv6 addresses must be bracketed');
    if (isIP(host) === 0 && !HOSTNAME_RE.test(host)) throw badAddr(text, 'invalid host name');
  }
  if (!/^[0-9]{1,5}$/.test(portText)) throw badAddr(text, 'invalid port');
  const port = Number(portText);
  if (port < 1 || port > 65535) throw badAddr(text, 'port out of range');
  return { host, port };
}

/** Parses FELIX_TYPHAADDR: one host:port or a comma-separated list (empty entries ignored). */
export function parseTyphaAddr(value: string): Endpoint[] {
  const parts = value
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  if (parts.length === 0) throw badAddr(value, 'no address given');
  return parts.map(parseEndpoint);
}

function badAddr(text: string, why: string): SyncerClientError {
  return new SyncerClientError('ERR_TYPHA_ADDR', `invalid Typha address ${JSON.stringify(text)}: ${why}`);
}
