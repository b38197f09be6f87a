// Scratch network namespaces and timed commands for the kernel benches (bench/apply.ts,
// bench/apply-tables.ts). Every command runs via `ip netns exec`, never in the root namespace.
import { performance } from 'node:perf_hooks';
import { execa } from 'execa';

/** Creates `<prefix>-<pid>-<tag>`; each bench has its own prefix so runs never collide. */
export async function netns(prefix: string, tag: string): Promise<string> {
  const name = `${prefix}-${process.pid}-${tag}`;
  await execa('ip', ['netns', 'add', name]);
  return name;
}

export const delNetns = (name: string) => execa('ip', ['netns', 'del', name], { reject: false });

/** Runs one command in the namespace and returns its wall time in ms; a failure throws. */
export async function run(ns: string, file: string, a: string[], input?: string): Promise<number> {
  const t0 = performance.now();
  const r = await execa('ip', ['netns', 'exec', ns, file, ...a], { input: input ?? '', reject: false });
  if (r.exitCode !== 0) throw new Error(`${file} failed: ${r.stderr}`);
  return performance.now() - t0;
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export const BACKENDS = ['legacy', 'nft'] as const;

/**
 * Runs `one` for 250 and 2,500 endpoints on each backend (root only), logging each row as JSON on
 * stderr as it comes; the caller prints the table.
 */
export async function benchMatrix<R>(
  name: string,
  one: (backend: (typeof BACKENDS)[number], endpoints: number) => Promise<R>,
): Promise<R[]> {
  if (process.getuid?.() !== 0) {
    console.error(`${name} needs root (network namespaces)`);
    process.exit(2);
  }
  const rows: R[] = [];
  for (const endpoints of [250, 2500]) {
    for (const backend of BACKENDS) {
      const r = await one(backend, endpoints);
      rows.push(r);
      console.error(JSON.stringify(r));
    }
  }
  return rows;
}
