// The kernel cost of one change by itself (bench/scale.md "change floor"): from two iptables-save
// dumps of the same family, taken before and after the agent applied a change, the smallest
// --noflush restore input that turns the first into the second: each cali- chain whose rules differ is
// flushed and rewritten, a new one created, a gone one flushed and deleted. Replayed raw, it is what
// any writer must pay the kernel for that change, so the agent's latency can be compared with it.

/** Per table, per chain: its -A lines in order (a chain declared without rules has none). */
type Tables = Map<string, Map<string, string[]>>;

function parseSave(text: string): Tables {
  const tables: Tables = new Map();
  let cur: Map<string, string[]> | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) tables.set(line.slice(1), (cur = new Map()));
    else if (line.startsWith(':') && cur) cur.set(line.slice(1).split(' ')[0]!, []);
    else if (line.startsWith('-A ') && cur) {
      const chain = line.split(' ')[1]!;
      if (!cur.has(chain)) cur.set(chain, []);
      cur.get(chain)!.push(line);
    }
  }
  return tables;
}

function same(a: readonly string[] | undefined, b: readonly string[]): boolean {
  return a !== undefined && a.length === b.length && a.every((x, i) => x === b[i]);
}

/** The restore input from `before` to `after` ('' when they hold the same cali- chains). */
export function changeText(before: string, after: string): string {
  const from = parseSave(before);
  const out: string[] = [];
  for (const [table, chains] of parseSave(after)) {
    const had = from.get(table) ?? new Map<string, string[]>();
    const declares: string[] = [];
    const rules: string[] = [];
    const deletes: string[] = [];
    for (const [name, lines] of chains) {
      if (!name.startsWith('cali-') || same(had.get(name), lines)) continue;
      declares.push(`:${name} - -`);
      rules.push(...lines);
    }
    for (const name of had.keys()) {
      if (!name.startsWith('cali-') || chains.has(name)) continue;
      declares.push(`:${name} - -`);
      deletes.push(`-X ${name}`);
    }
    if (declares.length > 0) out.push(`*${table}`, ...declares, ...rules, ...deletes, 'COMMIT');
  }
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}
