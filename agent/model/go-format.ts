// Go's text forms that libcalico-go writes into v1 config values (Go's time and fmt packages): a
// metav1.Duration is JSON in time.Duration.String() form, and the update processor turns it into
// `fmt.Sprintf("%v", d.Seconds())`. Durations are kept as bigint nanoseconds, as Go's int64 is.

const UNIT_NS: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n, // U+00B5 micro sign
  μs: 1_000n, // U+03BC Greek mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};
const MAX_NS = (1n << 63n) - 1n;

/** time.ParseDuration: "1h2m3.5s", "-90s", "0"; undefined when malformed or out of int64 range. */
export function parseGoDurationNs(text: string): bigint | undefined {
  let s = text;
  let neg = false;
  if (s.startsWith('-') || s.startsWith('+')) {
    neg = s.startsWith('-');
    s = s.slice(1);
  }
  if (s === '0') return 0n;
  if (s === '') return undefined;
  const re = /(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)/y;
  let total = 0n;
  let pos = 0;
  while (pos < s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) return undefined;
    const [, whole = '', frac = '', unit = ''] = m;
    if (whole === '' && frac === '') return undefined; // "." or ".s"
    const scale = UNIT_NS[unit] as bigint;
    total += BigInt(whole === '' ? '0' : whole) * scale;
    if (frac !== '') {
      // Go truncates the fraction's contribution towards zero.
      total += (BigInt(frac) * scale) / 10n ** BigInt(frac.length);
    }
    if (total > MAX_NS + (neg ? 1n : 0n)) return undefined;
    pos = re.lastIndex;
  }
  return neg ? -total : total;
}

/** time.Duration.String(): "1h0m0s", "1m30s", "1.5s", "100ms", "10µs", "0s". */
export function formatGoDurationNs(ns: bigint): string {
  if (ns === 0n) return '0s';
  const neg = ns < 0n;
  let u = neg ? -ns : ns;
  let out: string;
  if (u < 1_000_000_000n) {
    // Below a second: the largest of ns, µs, ms, with a fraction.
    const [unit, div] = u < 1_000n ? ['ns', 1n] : u < 1_000_000n ? ['µs', 1_000n] : ['ms', 1_000_000n];
    out = withFraction(u, div as bigint) + (unit as string);
  } else {
    const h = u / 3_600_000_000_000n;
    u %= 3_600_000_000_000n;
    const m = u / 60_000_000_000n;
    u %= 60_000_000_000n;
    out = `${withFraction(u, 1_000_000_000n)}s`;
    if (h > 0n || m > 0n) out = `${m}m${out}`;
    if (h > 0n) out = `${h}h${out}`;
  }
  return neg ? `-${out}` : out;
}

function withFraction(v: bigint, div: bigint): string {
  const whole = v / div;
  const rem = v % div;
  if (rem === 0n) return String(whole);
  const digits = String(div).length - 1;
  return `${whole}.${String(rem).padStart(digits, '0').replace(/0+$/, '')}`;
}

/** time.Duration.Seconds(): whole seconds plus the nanoseconds over 1e9, as Go computes it. */
export function goSeconds(ns: bigint): number {
  return Number(ns / 1_000_000_000n) + Number(ns % 1_000_000_000n) / 1e9;
}

/** The update processor's "milliseconds" timescale: whole ms plus the remaining ns over 1e6. */
export function goMillis(ns: bigint): number {
  return Number(ns / 1_000_000n) + Number(ns % 1_000_000n) / 1e6;
}

/**
 * fmt's %v for a float64 (strconv 'g' with the shortest digits): exponent form when the decimal
 * exponent is below -4 or at least 6 ("1e+06", "1.5e-07"), otherwise plain ("999999.5", "0.0001").
 */
export function goFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const e = v.toExponential(); // shortest round-trip digits, as Go's
  const [mant = '', expText = '0'] = e.split('e');
  const exp = Number(expText);
  if (exp < -4 || exp >= 6) {
    const sign = exp < 0 ? '-' : '+';
    return `${mant}e${sign}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return String(v);
}
