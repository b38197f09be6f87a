// One `iptables-nft-save` per family instead of one `-t <table>` read per table. With the nft backend,
// `iptables-nft-save -t raw` dumps the family's whole ruleset and prints one table of it, so on a node
// with 60,000 filter rules each table read costs what reading all of them costs (0.56 s for raw against
// 0.64 s for filter, measured in a namespace; bench/apply-tables.md). When two or more writers of a
// family must read, one save without -t serves them all. Legacy reads each table through its own
// getsockopt: those reads run side by side ahead of the writes (prefetchLegacy).
import type { IpFamily, TableName } from '../model.js';
import type { CommandRunner } from '../backend/runner.js';
import type { DataplaneCounters } from '../backend/counters.js';
import { binariesFor, type IptablesBackend } from '../backend/detect.js';
import { parseSave, EMPTY_SNAPSHOT, type TableSnapshot } from './snapshot.js';

export interface PrefetchWriter {
  readonly table: TableName;
  readonly family: IpFamily;
  needsRead(): boolean;
  adopt(snapshot: TableSnapshot): void;
}

/** `*<table>` … `COMMIT` sections of a whole-ruleset save, by table name. */
export function splitSave(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let name: string | undefined;
  let lines: string[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) {
      name = line.slice(1).trim();
      lines = [line];
    } else if (name !== undefined) {
      lines.push(line);
      if (line.trimEnd() === 'COMMIT') {
        out.set(name, lines.join('\n') + '\n');
        name = undefined;
      }
    }
  }
  return out;
}

/**
 * nft: reads, for each family with two or more writers that need a read, every table at once and hands
 * each writer its table (legacy: prefetchLegacy). Anything that goes wrong (the save fails, a table's text does not parse) leaves that
 * writer to read on its own, which reports the error as it always has. A table absent from the save does
 * not exist in the kernel: it is empty, as `-t <table>` would show it.
 */
export async function prefetchTables(
  writers: readonly PrefetchWriter[],
  opts: { backend: IptablesBackend; runner: CommandRunner; counters: DataplaneCounters },
): Promise<void> {
  if (opts.backend !== 'nft') return prefetchLegacy(writers, opts);
  for (const family of [4, 6] as const) {
    const need = writers.filter((w) => w.family === family && w.needsRead());
    if (need.length < 2) continue;
    const { save } = binariesFor(opts.backend, family);
    opts.counters.iptablesSaveCalls++;
    const r = await opts.runner.run(save, []).catch(() => undefined);
    if (!r || r.exitCode !== 0) {
      opts.counters.iptablesSaveErrors++;
      continue;
    }
    const sections = splitSave(r.stdout);
    for (const w of need) {
      const text = sections.get(w.table);
      try {
        w.adopt(text === undefined ? EMPTY_SNAPSHOT : parseSave(text, w.table));
      } catch {
        // The writer's own read reports it.
      }
    }
  }
}

/**
 * Legacy: each table that must be read is read on its own (`-t <table>`, one getsockopt each), all of
 * them side by side and once, here ahead of the writes: the driver runs this while the family's IP sets
 * load (rules/driver/apply-tables.ts), so that the four reads are not each in front of a restore. A
 * failed read is left to the writer's own read, which retries and reports it.
 */
async function prefetchLegacy(
  writers: readonly PrefetchWriter[],
  opts: { backend: IptablesBackend; runner: CommandRunner; counters: DataplaneCounters },
): Promise<void> {
  await Promise.all(
    writers
      .filter((w) => w.needsRead())
      .map(async (w) => {
        const { save } = binariesFor(opts.backend, w.family);
        opts.counters.iptablesSaveCalls++;
        const r = await opts.runner.run(save, ['-t', w.table]).catch(() => undefined);
        if (!r || r.exitCode !== 0) {
          opts.counters.iptablesSaveErrors++;
          return;
        }
        try {
          w.adopt(parseSave(r.stdout, w.table));
        } catch {
          // The writer's own read reports it.
        }
      }),
  );
}
