// Mark bit allocation (felix/dataplane/driver.go).

export interface MarkBits {
  readonly accept: number;
  readonly pass: number;
  readonly drop: number;
  readonly scratch0: number;
  readonly scratch1: number;
  /** The WireGuard bit (0 unless WireGuard is enabled): cali-wireguard-incoming-mark sets it. */
  readonly wireguard: number;
  /** Every remaining bit of the mask as one block (used only with kube-proxy IPVS). */
  readonly endpoint: number;
  /** accept | pass | scratch0 | scratch1 (the drop bit is not included, felix/dataplane/driver.go). */
  readonly allCalico: number;
}

/**
 * Hands out bits from the lowest set bit of the mask upwards, in Felix's order: accept, pass, drop,
 * scratch0, scratch1, the WireGuard bit when WireGuard is enabled (IPv4 or IPv6), then the rest as the
 * endpoint block. Returns undefined when the mask has too few bits (5, or 6 with WireGuard).
 */
export function allocateMarks(mask: number, wireguard = false): MarkBits | undefined {
  const bits: number[] = [];
  const want = wireguard ? 6 : 5;
  let rest = mask >>> 0;
  for (let b = 0; b < 32 && bits.length < want; b++) {
    const bit = (1 << b) >>> 0;
    if ((rest & bit) !== 0) {
      bits.push(bit);
      rest = (rest & ~bit) >>> 0;
    }
  }
  if (bits.length < want) return undefined;
  const [accept, pass, drop, scratch0, scratch1] = bits as [number, number, number, number, number];
  return {
    accept,
    pass,
    drop,
    scratch0,
    scratch1,
    wireguard: bits[5] ?? 0,
    endpoint: rest,
    allCalico: (accept | pass | scratch0 | scratch1) >>> 0,
  };
}

/** Go's %#x: "0x" + lower-case hex, "0x0" for zero. */
export function hex(n: number): string {
  return '0x' + (n >>> 0).toString(16);
}
