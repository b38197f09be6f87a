// Value parsers for Felix's network-shaped parameter types (felix/config/param_types.go): ipv4, ipv6,
// *bool, iface-param, portrange and keyvaluelist. Same conventions as values.ts: "none" is the zero value.
import { isIPv4, isIPv6 } from 'node:net';
import { z } from 'zod';
import { IFACE_PARAM_RE } from '../../rules/compiler/nat-config.js';
import { fail, isNone, type ValueSchema } from './values.js';

/** Felix's "ipv4" (Ipv4Param): an IPv4 address, or '' for none. */
export function ipv4(): ValueSchema<string> {
  return z.string().transform((raw, ctx) => {
    const s = raw.trim();
    if (s === '' || isNone(s)) return '';
    if (!isIPv4(s)) return fail(ctx, `must be an IPv4 address, got ${JSON.stringify(raw)}`);
    return s;
  });
}

/** Felix's "ipv6" (Ipv6Param): an IPv6 address, or '' for none. */
export function ipv6(): ValueSchema<string> {
  return z.string().transform((raw, ctx) => {
    const s = raw.trim();
    if (s === '' || isNone(s)) return '';
    if (!isIPv6(s)) return fail(ctx, `must be an IPv6 address, got ${JSON.stringify(raw)}`);
    return s;
  });
}

/** Felix's "*bool": unset ('' or none) is undefined, meaning "not overridden". */
export function optBool(): ValueSchema<boolean | undefined> {
  return z.string().transform((raw, ctx) => {
    const s = raw.trim().toLowerCase();
    if (s === '' || s === 'none') return undefined;
    if (['true', 't', '1', 'yes', 'y'].includes(s)) return true;
    if (['false', 'f', '0', 'no', 'n'].includes(s)) return false;
    return fail(ctx, `must be a boolean (true/false), got ${JSON.stringify(raw)}`);
  });
}

/** Felix's "iface-param": an interface name (or '' when the parameter allows none). */
export function ifaceParam(opts: { nonZero?: boolean } = {}): ValueSchema<string> {
  return z.string().transform((raw, ctx) => {
    const s = raw.trim();
    if (s === '' || isNone(s)) {
      return opts.nonZero ? fail(ctx, 'must be an interface name, got an empty value') : '';
    }
    if (!IFACE_PARAM_RE.test(s))
      return fail(ctx, `must match ${IFACE_PARAM_RE.source}, got ${JSON.stringify(raw)}`);
    return s;
  });
}

export interface PortSpan {
  readonly min: number;
  readonly max: number;
}

/** Felix's "portrange" (numorstring.PortFromString): "n" or "n:m", 0..65535, n <= m; none is {0,0}. */
export function portRange(): ValueSchema<PortSpan> {
  return z.string().transform((raw, ctx) => {
    const s = raw.trim();
    if (s === '' || isNone(s)) return { min: 0, max: 0 };
    const m = /^(\d{1,5})(?::(\d{1,5}))?$/.exec(s);
    const min = m ? Number(m[1]) : NaN;
    const max = m ? Number(m[2] ?? m[1]) : NaN;
    if (!(min >= 0 && max <= 65535 && min <= max))
      return fail(ctx, `${s} is not a valid port range (n or n:m, 0..65535, n <= m)`);
    return { min, max };
  });
}

/** Felix's "keyvaluelist": "k1=v1,k2=v2" (FeatureDetectOverride, FeatureGates). */
export function keyValueList(): ValueSchema<Readonly<Record<string, string>>> {
  return z.string().transform((raw, ctx) => {
    const out: Record<string, string> = {};
    if (isNone(raw) || raw.trim() === '') return out;
    for (const part of raw.split(',')) {
      const p = part.trim();
      if (p === '') continue;
      const eq = p.indexOf('=');
      if (eq <= 0) return fail(ctx, `must be key=value pairs separated by commas, bad: ${JSON.stringify(p)}`);
      out[p.slice(0, eq).trim()] = p.slice(eq + 1).trim();
    }
    return out;
  });
}
