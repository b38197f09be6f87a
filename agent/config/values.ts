// Value parsers for Felix's env/file config syntax, as zod schemas from string to typed value.
// felix/config/config_params.go: values are strings; "none" (any case) means the zero value;
// durations in env/file are seconds (floats) or milliseconds when the name says so.
import { z } from 'zod';
import { parseEndpoint } from '../../syncer-client/client/endpoints.js';

/** A zod schema turning one raw config string into a typed value. */
export type ValueSchema<T> = z.ZodType<T, string>;

export const isNone = (s: string): boolean => s.trim().toLowerCase() === 'none';

export function fail(ctx: z.RefinementCtx, message: string): never {
  ctx.addIssue({ code: 'custom', message });
  return z.NEVER;
}

export function str(opts: { pattern?: RegExp; patternDesc?: string } = {}): ValueSchema<string> {
  return z.string().transform((raw, ctx) => {
    const s = raw.trim();
    if (isNone(s)) return '';
    if (opts.pattern && !opts.pattern.test(s))
      return fail(ctx, `must match ${opts.patternDesc ?? String(opts.pattern)}`);
    return s;
  });
}

/** Go's strconv.ParseBool set, plus yes/no as Felix's BoolParam accepts. */
export function bool(): ValueSchema<boolean> {
  return z.string().transform((raw, ctx) => {
    const s = raw.trim().toLowerCase();
    if (['true', 't', '1', 'yes', 'y'].includes(s)) return true;
    if (['false', 'f', '0', 'no', 'n', 'none'].includes(s)) return false;
    return fail(ctx, `must be a boolean (true/false), got ${JSON.stringify(raw)}`);
  });
}

export function int(min: number, max: number): ValueSchema<number> {
  return z.string().transform((raw, ctx) => {
    const s = raw.trim();
    if (isNone(s)) return 0;
    if (!/^[+-]?(0x[0-9a-f]+|\d+)$/i.test(s))
      return fail(ctx, `must be an integer, got ${JSON.stringify(raw)}`);
    const n = Number(s);
    if (!Number.isSafeInteger(n) || n < min || n > max)
      return fail(ctx, `must be between ${min} and ${max}, got ${s}`);
    return n;
  });
}

export function port(): ValueSchema<number> {
  return int(0, 65535);
}

/** Seconds as a float in env/file; returned as milliseconds. */
export function seconds(opts: { min?: number } = {}): ValueSchema<number> {
  return z.string().transform((raw, ctx) => {
    const s = raw.trim();
    if (isNone(s)) return 0;
    if (!/^\d+(\.\d+)?$/.test(s)) return fail(ctx, `must be a number of seconds, got ${JSON.stringify(raw)}`);
    const ms = Math.round(Number(s) * 1000);
    if (opts.min !== undefined && ms < opts.min * 1000)
      return fail(ctx, `must be at least ${opts.min}s, got ${s}`);
    return ms;
  });
}

export function millis(): ValueSchema<number> {
  return int(0, 24 * 3600 * 1000);
}

/** Case-insensitive choice; returns the canonical spelling. */
export function oneOf<const T extends string>(choices: readonly T[]): ValueSchema<T> {
  return z.string().transform((raw, ctx) => {
    const s = raw.trim().toLowerCase();
    const hit = choices.find((c) => c.toLowerCase() === s);
    if (hit === undefined)
      return fail(ctx, `must be one of ${choices.join(', ')}, got ${JSON.stringify(raw)}`);
    return hit;
  });
}

export function strList(): ValueSchema<readonly string[]> {
  return z.string().transform((raw) =>
    isNone(raw)
      ? []
      : raw
          .split(',')
          .map((x) => x.trim())
          .filter((x) => x !== ''),
  );
}

/** Go duration syntax ("1m30s", "90s", "500ms", "1h"), returned as milliseconds. */
export function parseGoDuration(s: string): number | null {
  const t = s.trim();
  if (t === '0') return 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  const unit: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60000, h: 3600000 };
  let total = 0;
  let pos = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(t)) !== null) {
    total += Number(m[1]) * (unit[m[2] as string] as number);
    pos = re.lastIndex;
  }
  if (pos === 0 || pos !== t.length) return null;
  return Math.round(total);
}

/** Renders milliseconds as a Go duration (for the health table's TIMEOUT column). */
export function formatGoDuration(ms: number): string {
  if (ms === 0) return '0s';
  const h = Math.floor(ms / 3600000);
  const m = Math.floor((ms % 3600000) / 60000);
  const s = (ms % 60000) / 1000;
  let out = '';
  if (h) out += `${h}h`;
  if (h || m) out += `${m}m`;
  out += `${Number.isInteger(s) ? s : s.toFixed(3).replace(/0+$/, '')}s`;
  return out;
}

/** HealthTimeoutOverrides env form: "InternalDataplaneMainLoop=3m,CalculationGraph=1m" (felix/config/config_params.go). */
export function durationMap(): ValueSchema<ReadonlyMap<string, number>> {
  return z.string().transform((raw, ctx) => {
    const out = new Map<string, number>();
    if (isNone(raw) || raw.trim() === '') return out;
    const bad: string[] = [];
    for (const part of raw.split(',')) {
      const p = part.trim();
      if (p === '') continue;
      const eq = p.indexOf('=');
      const name = eq > 0 ? p.slice(0, eq).trim() : '';
      const d = eq > 0 ? parseGoDuration(p.slice(eq + 1)) : null;
      if (!/^[A-Za-z0-9_-]+$/.test(name) || d === null) bad.push(p);
      else out.set(name, d);
    }
    if (bad.length) return fail(ctx, `entries must be <name>=<go duration>, bad: ${bad.join(', ')}`);
    return out;
  });
}

export interface ProtoPort {
  readonly protocol: 'tcp' | 'udp' | 'sctp';
  readonly port: number;
  /** CIDR, when given as proto:net:port. */
  readonly net?: string;
}

/** Felix's failsafe-port syntax: "tcp:22,udp:68", also "tcp:10.0.0.0/8:22"; "none" or "[]" = empty. */
export function protoPortList(): ValueSchema<readonly ProtoPort[]> {
  return z.string().transform((raw, ctx) => {
    const s = raw.trim();
    if (isNone(s) || s === '[]' || s === '') return [];
    const out: ProtoPort[] = [];
    const bad: string[] = [];
    for (const part of s.split(',')) {
      const p = part.trim();
      if (p === '') continue;
      const first = p.indexOf(':');
      const last = p.lastIndexOf(':');
      const proto = first > 0 ? p.slice(0, first).toLowerCase() : '';
      const portStr = last > 0 ? p.slice(last + 1) : '';
      const net = first !== last ? p.slice(first + 1, last) : undefined;
      const n = /^\d+$/.test(portStr) ? Number(portStr) : NaN;
      const netOk = net === undefined || /^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(net.replace(/^\[|\]$/g, ''));
      if ((proto !== 'tcp' && proto !== 'udp' && proto !== 'sctp') || !(n >= 0 && n <= 65535) || !netOk) {
        bad.push(p);
        continue;
      }
      out.push(
        net === undefined
          ? { protocol: proto, port: n }
          : { protocol: proto, port: n, net: net.replace(/^\[|\]$/g, '') },
      );
    }
    if (bad.length)
      return fail(ctx, `entries must be <tcp|udp|sctp>:[<cidr>:]<port>, bad: ${bad.join(', ')}`);
    return out;
  });
}

/** The inverse of protoPortList(): `[{protocol: 'tcp', port: 22}]` -> "tcp:22". */
export function formatProtoPorts(
  ports: readonly { readonly protocol: string; readonly port: number; readonly net?: string }[],
): string {
  return ports
    .map((p) => (p.net === undefined ? `${p.protocol}:${p.port}` : `${p.protocol}:${p.net}:${p.port}`))
    .join(',');
}

export interface PortRange {
  readonly first: number;
  readonly last: number;
}

/** KubeNodePortRanges: "30000:32767,..." */
export function portRangeList(): ValueSchema<readonly PortRange[]> {
  return z.string().transform((raw, ctx) => {
    if (isNone(raw) || raw.trim() === '') return [];
    const out: PortRange[] = [];
    for (const part of raw.split(',')) {
      const m = /^\s*(\d+)(?::(\d+))?\s*$/.exec(part);
      const a = m ? Number(m[1]) : NaN;
      const b = m ? Number(m[2] ?? m[1]) : NaN;
      if (!(a >= 0 && b <= 65535 && a <= b))
        return fail(ctx, `must be port ranges like 30000:32767, bad: ${part.trim()}`);
      out.push({ first: a, last: b });
    }
    return out;
  });
}

/** IptablesMarkMask: hex or decimal 32-bit mask with at least `minBits` bits set (felix/config/config_params.go: die-on-fail, >= 8 bits). */
export function markMask(minBits: number): ValueSchema<number> {
  return z.string().transform((raw, ctx) => {
    const s = raw.trim();
    if (!/^(0x[0-9a-f]{1,8}|\d+)$/i.test(s))
      return fail(ctx, `must be a 32-bit mask like 0xffff0000, got ${JSON.stringify(raw)}`);
    const n = Number(s);
    if (n > 0xffffffff) return fail(ctx, `must fit in 32 bits, got ${s}`);
    let bits = 0;
    for (let v = n; v; v >>>= 1) bits += v & 1;
    if (bits < minBits) return fail(ctx, `must have at least ${minBits} bits set, got ${s} (${bits} bits)`);
    return n >>> 0;
  });
}

/**
 * TyphaAddr: "host:port" or "[v6]:port", or a comma-separated list of them (tried in order).
 * Parsed by the syncer client's own parser (syncer-client/client/endpoints.ts), so that what the
 * config accepts is exactly what the client dials.
 */
export function hostPort(): ValueSchema<string> {
  return z.string().transform((raw, ctx) => {
    const s = raw.trim();
    if (isNone(s) || s === '') return '';
    const parts = s
      .split(',')
      .map((p) => p.trim())
      .filter((p) => p !== '');
    const bad: string[] = [];
    for (const p of parts) {
      try {
        parseEndpoint(p);
      } catch (e) {
        bad.push(e instanceof Error ? e.message : String(e));
      }
    }
    // Each message reads `invalid Typha address "<entry>": <why>`.
    if (bad.length > 0) return fail(ctx, bad.join('; '));
    return parts.join(',');
  });
}
