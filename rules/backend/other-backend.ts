// Calico rules in the iptables backend that is not in use, cleaned up as Felix does
// (felix/dataplane/linux/int_dataplane.go: legacyIPTablesCleanupTables and sweepIPTablesNFT build
// cleanup-only tables for the other backend). With legacy in use, what iptables-nft holds of ours
// is swept; with nft in use, the legacy tables are swept, but only when the legacy modules are
// already loaded (reading them would load them). If either backend's binaries are missing there
// is nothing to sweep: the plain binaries then drive the backend in use.
//
// Only our own objects go: chains named cali-*, and rules in other chains that carry a
// "cali:" hash comment or jump to a cali- chain. Foreign chains and rules are never touched.
import type { IpFamily } from '../model.js';
import { binariesFor, type IptablesBackend } from './detect.js';
import { DataplaneError } from './errors.js';
import type { CommandRunner } from './runner.js';

export interface OtherBackendTable {
  readonly family: IpFamily;
  readonly table: string;
  readonly chains: readonly string[];
  readonly rules: number;
}

export interface OtherBackendResult {
  readonly backend: IptablesBackend;
  /** Tables that held Calico objects, and what was removed from each. */
  readonly cleaned: readonly OtherBackendTable[];
  /** Why a family was not swept (binaries missing, legacy modules not loaded), or failures. */
  readonly skipped: readonly string[];
  readonly errors: readonly string[];
}

const OURS_RULE = /--comment "?cali:|(?:^| )-[jg] cali-/;

/** The restore input that removes our chains and hooks from one `*table` block of a save. */
export function cleanupInput(
  table: string,
  lines: readonly string[],
): { text: string; chains: string[]; rules: number } {
  const chains: string[] = [];
  const deletes: string[] = [];
  for (const line of lines) {
    if (line.startsWith(':cali-')) chains.push(line.slice(1).split(' ')[0]!);
    else if (line.startsWith('-A ')) {
      const chain = line.slice(3).split(' ')[0]!;
      if (!chain.startsWith('cali-') && OURS_RULE.test(line)) deletes.push(`-D ${line.slice(3)}`);
    }
  }
  if (chains.length === 0 && deletes.length === 0) return { text: '', chains, rules: 0 };
  const out = [
    `*${table}`,
    ...chains.map((c) => `:${c} - [0:0]`),
    ...deletes,
    ...chains.map((c) => `-X ${c}`),
  ];
  out.push('COMMIT', '');
  return { text: out.join('\n'), chains, rules: deletes.length };
}

/** Splits an iptables-save dump into its tables' lines. */
export function saveTables(text: string): Map<string, string[]> {
  const m = new Map<string, string[]>();
  let cur: string[] | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) m.set(line.slice(1).trim(), (cur = []));
    else if (line === 'COMMIT') cur = undefined;
    else if (cur && line !== '' && !line.startsWith('#')) cur.push(line);
  }
  return m;
}

async function present(runner: CommandRunner, bin: string): Promise<boolean> {
  const r = await runner.run(bin, ['--version']).catch((e: unknown) => {
    if (e instanceof DataplaneError && e.code === 'ERR_COMMAND_NOT_FOUND') return undefined;
    throw e;
  });
  return r !== undefined && r.exitCode === 0;
}

async function legacyLoaded(runner: CommandRunner, family: IpFamily): Promise<boolean> {
  const f = family === 4 ? '/proc/net/ip_tables_names' : '/proc/net/ip6_tables_names';
  const r = await runner.run('test', ['-e', f]).catch(() => undefined);
  return r?.exitCode === 0;
}

/** Sweeps our chains and hooks out of the backend not in `inUse`, for each family. */
export async function cleanupOtherBackend(
  runner: CommandRunner,
  inUse: IptablesBackend,
  families: readonly IpFamily[],
  lockWaitSecs = 10,
): Promise<OtherBackendResult> {
  const other: IptablesBackend = inUse === 'legacy' ? 'nft' : 'legacy';
  const cleaned: OtherBackendTable[] = [];
  const skipped: string[] = [];
  const errors: string[] = [];
  const failed = (family: IpFamily, e: unknown): void => {
    errors.push(`ipv${family} ${other}: ${e instanceof Error ? e.message : String(e)}`);
  };
  // The families are read side by side (at start this is on the way to the first apply); the
  // cleanups are written one at a time after, as two legacy restores would wait on the xtables lock.
  type Found = { family: IpFamily; inputs: [string, ReturnType<typeof cleanupInput>][] };
  const read = async (family: IpFamily): Promise<Found | undefined> => {
    const bins = binariesFor(other, family);
    try {
      const [otherThere, oursThere, loaded] = await Promise.all([
        present(runner, bins.save),
        present(runner, binariesFor(inUse, family).save),
        other === 'legacy' ? legacyLoaded(runner, family) : Promise.resolve(true),
      ]);
      if (!otherThere || !oursThere) {
        skipped.push(`ipv${family}: ${other} or ${inUse} binaries missing`);
        return undefined;
      }
      if (!loaded) {
        skipped.push(`ipv${family}: legacy iptables modules not loaded`);
        return undefined;
      }
      const saved = await runner.run(bins.save, []);
      if (saved.exitCode !== 0)
        throw new Error(`${bins.save} exited ${saved.exitCode}: ${saved.stderr.trim()}`);
      const inputs: Found['inputs'] = [];
      for (const [table, lines] of saveTables(saved.stdout)) inputs.push([table, cleanupInput(table, lines)]);
      return { family, inputs };
    } catch (e) {
      failed(family, e);
      return undefined;
    }
  };
  for (const found of await Promise.all(families.map(read))) {
    if (!found) continue;
    const { family } = found;
    const bins = binariesFor(other, family);
    for (const [table, c] of found.inputs) {
      if (c.text === '') continue;
      try {
        const r = await runner.run(bins.restore, ['--noflush', '--wait', String(lockWaitSecs)], c.text);
        if (r.exitCode !== 0) {
          errors.push(
            `ipv${family} ${other} ${table}: ${bins.restore} exited ${r.exitCode}: ${r.stderr.trim()}`,
          );
          continue;
        }
        cleaned.push({ family, table, chains: c.chains, rules: c.rules });
      } catch (e) {
        failed(family, e);
      }
    }
  }
  return { backend: other, cleaned, skipped, errors };
}

interface SweepLogger {
  debug(msg: string, meta?: Record<string, unknown>): void;
  info(msg: string, meta?: Record<string, unknown>): void;
  warn(msg: string, meta?: Record<string, unknown>): void;
}

/** cleanupOtherBackend with its log lines: one INFO per swept table, one WARNING per failure. */
export async function sweepOtherBackend(
  runner: CommandRunner,
  inUse: IptablesBackend,
  families: readonly IpFamily[],
  log: SweepLogger,
  lockWaitSecs = 10,
): Promise<OtherBackendResult> {
  const r = await cleanupOtherBackend(runner, inUse, families, lockWaitSecs);
  for (const t of r.cleaned)
    log.info('Cleaned up Calico chains and rules in the iptables backend not in use', {
      backend: r.backend,
      ipVersion: t.family,
      table: t.table,
      chains: t.chains.join(','),
      rules: t.rules,
    });
  for (const s of r.skipped)
    log.debug('Not sweeping the other iptables backend', { backend: r.backend, why: s });
  for (const e of r.errors)
    log.warn(
      'Failed to clean up Calico rules in the iptables backend not in use; they may still affect traffic',
      {
        backend: r.backend,
        error: e,
      },
    );
  return r;
}
