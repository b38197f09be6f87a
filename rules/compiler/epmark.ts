// Endpoint marks for kube-proxy IPVS mode (felix/rules/epmark.go, felix/markbits/mark_bits.go): each
// workload or host endpoint interface gets a value in the endpoint mark bits, so that cali-OUTPUT can
// tell which endpoint an IPVS-forwarded packet came in on (the input interface is not known there).
// Position 1 (the lowest endpoint bit) is reserved for "not a Calico endpoint"; 0 means "no mark".

const FNV32_OFFSET = 0x811c9dc5;
const FNV32_PRIME = 0x01000193;

/** Go's hash/fnv New32 (FNV-1, not FNV-1a) over the UTF-8 bytes of s. */
export function fnv1_32(s: string): number {
  let h = FNV32_OFFSET;
  for (const byte of Buffer.from(s, 'utf8')) {
    h = Math.imul(h, FNV32_PRIME) >>> 0;
    h = (h ^ byte) >>> 0;
  }
  return h;
}

function maskBits(mask: number): number[] {
  const bits: number[] = [];
  for (let b = 0; b < 32; b++) if ((mask >>> 0) & ((1 << b) >>> 0)) bits.push(b);
  return bits;
}

/** MarkBitsManager.MapNumberToMark: bit i of n goes to the i-th set bit of the mask; undefined if n does not fit. */
export function mapNumberToMark(mask: number, n: number): number | undefined {
  const bits = maskBits(mask);
  if (n < 0 || n >= 2 ** bits.length) return undefined;
  let mark = 0;
  bits.forEach((b, i) => {
    if (Math.floor(n / 2 ** i) % 2 === 1) mark = (mark | (1 << b)) >>> 0;
  });
  return mark >>> 0;
}

/** MarkBitsManager.MapMarkToNumber; undefined when the mark has bits outside the mask. */
export function mapMarkToNumber(mask: number, mark: number): number | undefined {
  if ((mark & mask) >>> 0 !== mark >>> 0) return undefined;
  let n = 0;
  maskBits(mask).forEach((b, i) => {
    if ((mark >>> 0) & ((1 << b) >>> 0)) n += 2 ** i;
  });
  return n;
}

/** felix/rules/epmark.go pseudoNonCaliEndpointName: an invalid interface name holding the non-Calico mark. */
const NON_CALI = '/cali/Pseudo/NonCali/Endpoint/';

/**
 * DefaultEPMarkManager: a mark per endpoint name, from the FNV-1 hash of the name modulo the number of
 * values the mask can hold, probing upwards past position 0 and past taken positions. A name keeps its
 * mark until released, so allocation depends on history, as in Felix (one mapper for both families,
 * felix/dataplane/linux/int_dataplane.go).
 */
export class EndpointMarkMapper {
  private readonly maxPosition: number;
  private readonly byName = new Map<string, { pos: number; mark: number }>();
  private readonly byPos = new Map<number, string>();

  constructor(
    readonly mask: number,
    nonCaliMark: number,
    /** NewEndpointMarkMapperWithShim's hash (tests use Felix's mock). */
    private readonly hash: (name: string) => number = fnv1_32,
  ) {
    this.maxPosition = mask === 0 ? 0 : 2 ** maskBits(mask).length;
    const pos = mapMarkToNumber(mask, nonCaliMark);
    if (pos === undefined) throw new Error(`non-Calico endpoint mark ${nonCaliMark} is outside ${mask}`);
    this.take(NON_CALI, pos, nonCaliMark);
  }

  private take(name: string, pos: number, mark: number): void {
    this.byName.set(name, { pos, mark });
    this.byPos.set(pos, name);
  }

  /** GetEndpointMark: the name's mark, allocating one; undefined when every position is taken. */
  get(name: string): number | undefined {
    if (name === '') return undefined;
    const have = this.byName.get(name);
    if (have) return have.mark;
    // Every usable position (1 .. max-1) taken: no probe can succeed (a node with more endpoints than marks).
    if (this.byPos.size >= this.maxPosition - 1) return undefined;
    const total = this.hash(name);
    for (let i = 0; i < this.maxPosition; i++) {
      const pos = (total + i) % this.maxPosition;
      if (pos === 0 || this.byPos.has(pos)) continue;
      const mark = mapNumberToMark(this.mask, pos);
      if (mark === undefined) return undefined;
      this.take(name, pos, mark);
      return mark;
    }
    return undefined;
  }

  /** ReleaseEndpointMark. */
  release(name: string): void {
    const have = this.byName.get(name);
    if (!have || name === NON_CALI) return;
    this.byName.delete(name);
    this.byPos.delete(have.pos);
  }

  /** The endpoint names holding a mark (not the non-Calico pseudo endpoint). */
  names(): string[] {
    return [...this.byName.keys()].filter((n) => n !== NON_CALI);
  }
}
