// Mark bit allocation (felix/dataplane/driver.go).

export interface MarkBits {
  readonly accept: number;
  readonly pass: number;
  readonly drop: number;
  readonly scratch0: number;
  readonly scratch1: number;
  /** Every remaining bit of the mask as one block (used only with kube-proxy IPVS). */
  readonly endpoint: number;
  /** accept | pass | scratch0 | scratch1 (the drop bit is not included, felix/dataplane/driver.go). */
  readonly allCalico: number;
}

/**
 * Hands out bits from the lowest set bit of the mask upwards, in Felix's order: accept, pass, drop,
 * scratch0, scratch1 (WireGuard is not supported, so it takes no bit), then the rest as the endpoint
 * block. Returns undefined when the mask has fewer than 5 bits.
 */
export function allocateMarks(mask: number): MarkBits | undefined {
  const bits: number[] = [];
  let rest = mask >>> 0;
  for (let b = 0; b < 32 && bits.length < 5; b++) {
    const bit = (1 << b) >>> 0;
    if ((rest & bit) !== 0) {
      bits.push(bit);
      rest = (rest & ~bit) >>> 0;
    }
  }
  if (bits.length < 5) return undefined;
  const [accept, pass, drop, scratch0, scratch1] = bits as [number, number, number, number, number];
  return {
    accept,
    pass,
    drop,
    scratch0,
    scratch1,
    endpoint: rest,
    allCalico: (accept | pass | scratch0 | scratch1) >>> 0,
  };
}

/** Go's %#x: "0x" + lower-case hex, "0x0" for zero. */
export function hex(n: number): string {
  return '0x' + (n >>> 0).toString(16);
}
