// Seeded randomness for the brute-force tests (label index, IP set calculator).

export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const VALS = ['a', 'b', 'c'];

/** Each key present with probability 1/2, with a value from a/b/c. */
export function randomLabels(r: () => number, keys: readonly string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const k of keys) if (r() < 0.5) m.set(k, VALS[Math.floor(r() * VALS.length)] as string);
  return m;
}
