// Isolating what iptables-restore refuses, so one bad chain never blocks the rest of a table
// (issue 17 item 2). Felix retries the whole transaction and panics after ten failures
// (felix/iptables/table.go applyUpdates); felix-ts instead takes the refused chain out of the
// transaction and programs everything else. Pure helpers; the writer does the I/O.
import type { RenderedRule, TableName, TableState } from '../model.js';

/**
 * The one rule of a quarantined chain. Fail closed: a chain that others jump to must exist, and
 * an empty chain would RETURN, letting packets fall through to later policies or profiles that
 * may allow what the refused chain was meant to deny; DROP can only deny more, never allow more.
 * The hash doubles as the comment (`cali:quarantined`), so iptables-save shows why it is there.
 */
export const QUARANTINE_RULE: RenderedRule = { hash: 'quarantined', body: '--jump DROP' };

/**
 * Outside the filter table a quarantined chain RETURNs instead: a DROP in raw or mangle PREROUTING
 * would cut the node off before the failsafe ports are reached, and the nat table refuses DROP.
 * What raw and mangle would have accepted early then meets the filter table's policy, which still
 * fails closed; a refused anti-spoofing or pre-DNAT chain is reported as refused, never silent.
 */
export const QUARANTINE_RETURN_RULE: RenderedRule = { hash: 'quarantined', body: '--jump RETURN' };

export function quarantineRule(table: TableName): RenderedRule {
  return table === 'filter' ? QUARANTINE_RULE : QUARANTINE_RETURN_RULE;
}

/** How much of a refused input or error text a log line or readiness detail may carry. */
export const EXCERPT_BYTES = 2048;

export interface Quarantine {
  /** Our chains replaced by QUARANTINE_RULE. */
  readonly placeholder: Set<string>;
  /** Chains left as the kernel holds them (kernel chains we hook, our chains being deleted). */
  readonly leave: Set<string>;
}

export function emptyQuarantine(): Quarantine {
  return { placeholder: new Set(), leave: new Set() };
}

/** Adds `chain` to the quarantine; false if it is already as isolated as it can be. */
export function isolateChain(q: Quarantine, desired: TableState, chain: string): boolean {
  if (q.leave.has(chain)) return false;
  // A placeholder that is itself refused (e.g. its declare line) is left alone instead.
  if (desired.chains.has(chain) && !q.placeholder.has(chain)) q.placeholder.add(chain);
  else {
    q.placeholder.delete(chain);
    q.leave.add(chain);
  }
  return true;
}

/** The desired table with every placeholder chain reduced to QUARANTINE_RULE. */
export function withQuarantine(desired: TableState, q: Quarantine): TableState {
  if (q.placeholder.size === 0) return desired;
  const chains = new Map(desired.chains);
  const placeholder = quarantineRule(desired.table);
  for (const name of q.placeholder) if (chains.has(name)) chains.set(name, { name, rules: [placeholder] });
  return { ...desired, chains };
}

/** The 1-based line iptables-restore names in its error ("Error occurred at line: N", "line N failed"). */
export function refusedLine(stderr: string): number | undefined {
  const m = /Error occurred at line: (\d+)/.exec(stderr) ?? /\bline (\d+) failed/.exec(stderr);
  return m ? Number(m[1]) : undefined;
}

/** At most `max` characters of `s`, marked when cut. */
export function bounded(s: string, max = EXCERPT_BYTES): string {
  return s.length <= max ? s : `${s.slice(0, max)}… (${s.length} bytes in all)`;
}

/** The first line of a tool's error text without the version prefix, bounded (readiness detail). */
export function refusalReason(stderr: string): string {
  const first = stderr.split('\n').find((l) => l.trim() !== '') ?? 'refused';
  const text = first.replace(/^\S+ v[\d.]+(?: \([^)]*\))?: /, '').replace(/^Error in line \d+: /, '');
  return bounded(text.trim(), 256);
}

/** The lines around `line` (1-based) of a restore input, bounded: what a failure log may carry. */
export function inputExcerpt(input: string | undefined, line: number | undefined): string | undefined {
  if (input === undefined) return undefined;
  if (line === undefined) return bounded(input);
  // Walk to the line without splitting a multi-megabyte input into an array.
  let start = 0;
  for (let n = 1; n < line - 2 && start >= 0; n++) start = input.indexOf('\n', start) + 1 || -1;
  if (start < 0) return bounded(input);
  let end = start;
  for (let n = 0; n < 5 && end >= 0; n++) end = input.indexOf('\n', end + 1);
  return bounded(input.slice(start, end < 0 ? undefined : end));
}

/** Restore inputs longer than this are not kept after use (issue 15: the snapshot's texts are tens of MB). */
export const MAX_KEPT_INPUT = 1 << 20;

/** What a writer keeps of a restore input it ran: the text, or a one-line note of its size when too long. */
export function keptInput(text: string): string {
  return text.length <= MAX_KEPT_INPUT ? text : `# ${text.length} bytes of restore input, not kept\n`;
}
