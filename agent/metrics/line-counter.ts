// felix_iptables_lines_executed and felix_ipset_lines_executed: the lines fed to iptables-restore
// (by IP version and table, felix/iptables/table.go countNumLinesExecuted) and to `ipset restore`
// (felix/ipsets/ipsets.go countNumIPSetLinesExecuted). A CommandRunner wrapper counts the input of
// every restore it runs, retries included, as Felix counts what it writes to the restore's stdin.
import type { CommandResult, CommandRunner } from '../../rules/backend/runner.js';

export interface LineCounts {
  /** Lines by "<ip version>/<table>", e.g. "4/filter". */
  readonly iptables: Readonly<Record<string, number>>;
  readonly ipset: number;
}

const IPTABLES_RESTORE = /^(ip6?)tables(?:-legacy|-nft)?-restore$/;

/** Calls `f` with the bounds of each non-empty line. */
function forEachLine(text: string, f: (from: number, to: number) => void): void {
  for (let i = 0; i < text.length;) {
    let j = text.indexOf('\n', i);
    if (j < 0) j = text.length;
    if (j > i) f(i, j);
    i = j + 1;
  }
}

export class LineCountingRunner implements CommandRunner {
  private readonly iptables: Record<string, number> = {};
  private ipset = 0;

  constructor(private readonly inner: CommandRunner) {}

  counts(): LineCounts {
    return { iptables: { ...this.iptables }, ipset: this.ipset };
  }

  run(file: string, args: readonly string[], input?: string): Promise<CommandResult> {
    if (input) this.count(file, args, input);
    else this.countDestroy(file, args);
    return this.inner.run(file, args, input);
  }

  private count(file: string, args: readonly string[], input: string): void {
    const base = file.slice(file.lastIndexOf('/') + 1);
    const ipt = IPTABLES_RESTORE.exec(base);
    if (ipt) {
      const version = ipt[1] === 'ip6' ? '6' : '4';
      let table = '';
      let n = 0;
      const add = (): void => {
        if (n === 0) return;
        const k = `${version}/${table}`;
        this.iptables[k] = (this.iptables[k] ?? 0) + n;
        n = 0;
      };
      // Line by line without splitting: an input can be megabytes (the first apply at 100k endpoints).
      forEachLine(input, (from, to) => {
        if (input.charCodeAt(from) === 42 /* '*' */) {
          add();
          table = input.slice(from + 1, to).trim();
        }
        n++;
      });
      add();
      return;
    }
    if (base === 'ipset' && args[0] === 'restore') forEachLine(input, () => this.ipset++);
  }

  private countDestroy(file: string, args: readonly string[]): void {
    // A destroy outside a restore is one ipset operation.
    if (file.slice(file.lastIndexOf('/') + 1) === 'ipset' && args[0] === 'destroy') this.ipset++;
  }
}
