// Overlay parameters (felix/config/config_params.go v3.32.1), spread into PARAMS (params.ts).
import { isIPv4, isIPv6 } from 'node:net';
import { z } from 'zod';
import { fail, isNone, type ValueSchema } from './values.js';
import type { ParamDef } from './params.js';

function maskV4(ip: string, len: number): string {
  const n = ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);
  const m = len === 0 ? 0 : Math.floor(n / 2 ** (32 - len)) * 2 ** (32 - len);
  return [24, 16, 8, 0].map((s) => Math.floor(m / 2 ** s) % 256).join('.');
}

/**
 * Felix's "cidr-list" (CIDRListParam: cnet.ParseCIDROrIP, then the network's String()): a bare IP becomes
 * /32 or /128, an IPv4 CIDR is masked to its network. IPv6 CIDRs are kept as written (lower-cased).
 */
export function cidrList(): ValueSchema<readonly string[]> {
  return z.string().transform((raw, ctx) => {
    if (isNone(raw.trim())) return [];
    const out: string[] = [];
    for (const part of raw.split(',')) {
      const v = part.trim();
      if (v === '') continue;
      const [ip = '', len, extra] = v.split('/');
      const lenOk = len === undefined || /^\d{1,3}$/.test(len);
      if (extra === undefined && lenOk && isIPv4(ip) && Number(len ?? 32) <= 32)
        out.push(`${maskV4(ip, Number(len ?? 32))}/${len ?? 32}`);
      else if (extra === undefined && lenOk && isIPv6(ip) && Number(len ?? 128) <= 128)
        out.push(`${ip.toLowerCase()}/${len ?? 128}`);
      else return fail(ctx, `invalid CIDR or IP ${JSON.stringify(v)}`);
    }
    return out;
  });
}

function def<T>(schema: ParamDef<T>['schema'], dflt: string, doc: string): ParamDef<T> {
  return { schema, default: dflt, doc };
}

export const OVERLAY_PARAMS = {
  ExternalNodesCIDRList: def(
    cidrList(),
    '',
    'CIDRs of non-Calico hosts allowed to send IPIP/VXLAN to this host (added to all-hosts-net / all-vxlan-net).',
  ),
};
