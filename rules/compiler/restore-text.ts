// The iptables-restore text Felix would write for a table on a clean node (felix/iptables/table.go):
// chains declared and filled in sorted order, then the hook inserts, then the appends. Each rule line
// comes from the one rule renderer, rules/iptables/render.ts.
import type { TableState } from '../model.js';
import { ruleLine } from '../iptables/render.js';

export { ruleLine };

/** Kernel chains in the order Felix's table writes their hooks. */
const KERNEL_CHAIN_ORDER = ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'];

function kernelOrder(names: Iterable<string>): string[] {
  const rank = (n: string): number => {
    const i = KERNEL_CHAIN_ORDER.indexOf(n);
    return i < 0 ? KERNEL_CHAIN_ORDER.length : i;
  };
  return [...names].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Full "*filter ... COMMIT" text of the desired table as Felix writes it on a clean node, with chains
 * sorted (Felix uses Go map order). Used by golden tests, `inspect chains`
 * and the bench baseline.
 */
export function renderRestoreText(table: TableState): string {
  const lines: string[] = [`*${table.table}`];
  const names = [...table.chains.keys()].sort();
  for (const n of names) lines.push(`:${n} - -`);
  for (const n of names) {
    for (const r of table.chains.get(n)?.rules ?? []) lines.push(ruleLine('-A', n, r));
  }
  for (const k of kernelOrder(table.inserts.keys())) {
    // Inserted in reverse so that they end up in order at the top.
    const rules = [...(table.inserts.get(k) ?? [])].reverse();
    for (const r of rules) lines.push(ruleLine('-I', k, r));
  }
  for (const k of kernelOrder(table.appends.keys())) {
    for (const r of table.appends.get(k) ?? []) lines.push(ruleLine('-A', k, r));
  }
  lines.push('COMMIT');
  return lines.join('\n') + '\n';
}
