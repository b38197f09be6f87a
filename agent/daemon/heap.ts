// How fast the JavaScript heap may grow between full collections (issue 15, bench/scale.md "Win 4").
//
// V8 sets the next full-GC threshold at up to 4x the heap that survived the last one when collection
// looks cheap, which it does while the snapshot is being ingested. At 100k endpoints that let the old
// generation reach about 290 MiB of mostly garbage over a live set of 145 MiB, and the pages it grew
// into stay resident. Go, which Felix is written in, grows to 2x (GOGC=100). felix-ts caps the factor
// at 1.5x (`--heap-growing-percent=50`). Measured: peak RSS 401 -> 313 MiB with no change in time to
// ready beyond the run-to-run noise. A node flag on the command line that sets the factor itself
// (`node --heap-growing-percent=N ...`) is left as it is.
import { setFlagsFromString } from 'node:v8';

export const HEAP_GROWING_PERCENT = 50;

/** The flag to set, or undefined when the command line already chose one. */
export function heapFlag(execArgv: readonly string[]): string | undefined {
  if (execArgv.some((a) => /^--heap[-_]growing[-_]percent\b/.test(a))) return undefined;
  return `--heap-growing-percent=${HEAP_GROWING_PERCENT}`;
}

/** Applies heapFlag to this process; returns what it set (for the log), or undefined. */
export function limitHeapGrowth(execArgv: readonly string[] = process.execArgv): string | undefined {
  const flag = heapFlag(execArgv);
  if (flag) setFlagsFromString(flag);
  return flag;
}
