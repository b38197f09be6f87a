// The agent's CPU from the first update an apply covers to that apply's first restore (issue 15:
// "the agent's own CPU before the restore"). Two clocks: the whole process (process.cpuUsage, all
// threads: JavaScript, GC and V8's compilers) and the main thread alone (/proc/thread-self/schedstat,
// nanoseconds on the CPU; undefined where the kernel does not provide it). The daemon reads the clock
// when it takes a batch from Typha, before decoding it into the calc, and passes it along with the
// calc's output; a reading taken here on arrival is the fallback.
import { openSync, readSync } from 'node:fs';
import type { CommandResult, CommandRunner } from '../backend/runner.js';

export interface CpuClock {
  /** User + system CPU of the process, all threads (µs). */
  readonly allUs: number;
  /** Time the main thread has spent on a CPU (ns), if readable. */
  readonly mainNs: number | undefined;
}

export interface CpuSpent {
  readonly allMs: number;
  readonly mainMs?: number;
}

/** To the first restore of any kind, and to the first iptables restore (the sets can go first). */
export interface CpuBeforeRestore extends CpuSpent {
  readonly tables?: CpuSpent;
}

/**
 * The main thread's schedstat, opened once and re-read in place (pread at 0 gives a fresh reading): the
 * daemon reads the clock for every batch it takes, and a readFileSync each time was 15 µs against 1.5.
 * The file names the thread that opened it, so the first reading must come from the main thread (it
 * does: the daemon's and the driver's); null once it cannot be read.
 */
let schedstat: { fd: number; buf: Buffer } | null | undefined;

function mainThreadNs(): number | undefined {
  if (schedstat === undefined) {
    try {
      schedstat = { fd: openSync('/proc/thread-self/schedstat', 'r'), buf: Buffer.alloc(128) };
    } catch {
      schedstat = null;
    }
  }
  if (schedstat === null) return undefined;
  try {
    const n = readSync(schedstat.fd, schedstat.buf, 0, schedstat.buf.length, 0);
    const ns = Number(schedstat.buf.toString('latin1', 0, n).split(' ', 1)[0]);
    return Number.isFinite(ns) && ns > 0 ? ns : undefined;
  } catch {
    return undefined;
  }
}

export function readCpuClock(): CpuClock {
  const u = process.cpuUsage();
  return { allUs: u.user + u.system, mainNs: mainThreadNs() };
}

export function cpuSpent(from: CpuClock, to: CpuClock): CpuSpent {
  const allMs = (to.allUs - from.allUs) / 1000;
  if (from.mainNs === undefined || to.mainNs === undefined) return { allMs };
  return { allMs, mainMs: (to.mainNs - from.mainNs) / 1e6 };
}

/** `iptables-restore`, `ip6tables-nft-restore`, `ipset restore`, also behind `ip netns exec`. */
function isRestore(file: string, args: readonly string[]): boolean {
  return [file, ...args].some((a) => a === 'restore' || a.endsWith('-restore'));
}

function isTableRestore(file: string, args: readonly string[]): boolean {
  return [file, ...args].some((a) => /tables(?:-legacy|-nft)?-restore$/.test(a));
}

/**
 * Wraps the driver's command runner and reads the clock at the first restore of an apply. mark()
 * when messages arrive (the earliest clock of those not yet applied counts), begin() when an apply starts (it covers
 * every message so far), end() after it.
 */
export class RestoreClock implements CommandRunner {
  private since: CpuClock | undefined;
  private covered: CpuClock | undefined;
  private first: CpuClock | undefined;
  private firstTable: CpuClock | undefined;

  constructor(private readonly inner: CommandRunner) {}

  mark(since: CpuClock = readCpuClock()): void {
    if (!this.since || since.allUs < this.since.allUs) this.since = since;
  }

  begin(): void {
    this.covered = this.since;
    this.since = undefined;
    this.first = this.firstTable = undefined;
  }

  run(file: string, args: readonly string[], input?: string): Promise<CommandResult> {
    // One reading serves both marks; none once the table mark is set (nothing later counts).
    if (this.covered && !this.firstTable && isRestore(file, args)) {
      const now = readCpuClock();
      this.first ??= now;
      if (isTableRestore(file, args)) this.firstTable = now;
    }
    return this.inner.run(file, args, input);
  }

  /**
   * CPU from the first covered message to the first restore, and to the first iptables restore;
   * undefined if no message was covered or no restore ran.
   */
  end(): CpuBeforeRestore | undefined {
    const c = this.covered;
    const spent = c && this.first ? cpuSpent(c, this.first) : undefined;
    const tables = c && this.firstTable ? cpuSpent(c, this.firstTable) : undefined;
    this.covered = this.first = this.firstTable = undefined;
    return spent && (tables ? { ...spent, tables } : spent);
  }
}
