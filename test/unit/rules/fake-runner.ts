// A scriptable CommandRunner for unit tests without root, in the spirit of kube-proxy's fake
// iptables util (pkg/util/iptables/testing/fake.go): it records every call with its stdin, keeps
// an in-memory kernel (iptables tables per family, ipsets) that *-save / *-restore / ipset read and
// write, and can be told to fail calls (exit code + stderr) or to refuse lines the way the real
// tools do ("Error occurred at line: N" from iptables-restore, "Error in line N: ..." from ipset).
import type { CommandResult, CommandRunner } from '../../../rules/backend/runner.js';

export interface FakeCall {
  readonly file: string;
  readonly args: readonly string[];
  readonly input: string | undefined;
}

export interface ScriptedResult {
  readonly exitCode: number;
  readonly stderr?: string;
  readonly stdout?: string;
  /** Resolve only after this many ms (coalescing tests). */
  readonly delayMs?: number;
}

interface Rule {
  readonly spec: string;
}

interface FakeSet {
  header: string;
  type: string;
  maxelem: number;
  members: Set<string>;
}

/** Which family/table a binary name and its -t argument address, or undefined if not iptables. */
function iptablesTarget(file: string): { family: 4 | 6; kind: 'save' | 'restore' } | undefined {
  const m = /^(ip6?)tables(?:-(?:legacy|nft))?-(save|restore)$/.exec(file);
  if (!m) return undefined;
  return { family: m[1] === 'ip6' ? 6 : 4, kind: m[2] as 'save' | 'restore' };
}

const BUILTINS: Readonly<Record<string, readonly string[]>> = {
  raw: ['PREROUTING', 'OUTPUT'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
};

export class FakeRunner implements CommandRunner {
  readonly calls: FakeCall[] = [];
  /** `ipv4/filter` -> chain -> rules. Builtin chains always exist. */
  readonly tables = new Map<string, Map<string, Rule[]>>();
  readonly sets = new Map<string, FakeSet>();
  private readonly scripted: { match: (c: FakeCall) => boolean; result: ScriptedResult }[] = [];
  private readonly refusals: { re: RegExp; message: string; atCommit: boolean }[] = [];

  /** The next call for which `match` holds returns `result` instead of touching the fake kernel. */
  failNext(match: string | ((c: FakeCall) => boolean), result: ScriptedResult, times = 1): this {
    const fn = typeof match === 'string' ? (c: FakeCall) => c.file === match : match;
    for (let i = 0; i < times; i++) this.scripted.push({ match: fn, result });
    return this;
  }

  /**
   * Any restore line matching `re` is refused (until unrefuse) with `message`, naming its line;
   * `atCommit` makes iptables-restore name the COMMIT line instead, as iptables-legacy does when
   * the kernel refuses the table at commit time.
   */
  refuse(re: RegExp, message = 'refused by the fake kernel', atCommit = false): this {
    this.refusals.push({ re, message, atCommit });
    return this;
  }

  unrefuse(): this {
    this.refusals.length = 0;
    return this;
  }

  callsOf(file: string | RegExp): FakeCall[] {
    return this.calls.filter((c) => (typeof file === 'string' ? c.file === file : file.test(c.file)));
  }

  chain(family: 4 | 6, table: string, name: string): string[] | undefined {
    return this.tableOf(family, table)
      .get(name)
      ?.map((r) => r.spec);
  }

  async run(file: string, args: readonly string[], input?: string): Promise<CommandResult> {
    const call: FakeCall = { file, args: [...args], input };
    this.calls.push(call);
    const i = this.scripted.findIndex((s) => s.match(call));
    if (i >= 0) {
      const { result } = this.scripted.splice(i, 1)[0]!;
      if (result.delayMs) await new Promise((r) => setTimeout(r, result.delayMs));
      return { stdout: result.stdout ?? '', stderr: result.stderr ?? '', exitCode: result.exitCode };
    }
    await Promise.resolve();
    const ipt = iptablesTarget(file);
    if (ipt?.kind === 'save') return this.save(ipt.family, args[args.indexOf('-t') + 1] ?? 'filter');
    if (ipt?.kind === 'restore') return this.restoreIptables(file, ipt.family, input ?? '');
    if (file === 'ipset') return this.ipset(args, input ?? '');
    return { stdout: '', stderr: `${file}: command not found`, exitCode: 127 };
  }

  private tableOf(family: 4 | 6, table: string): Map<string, Rule[]> {
    const key = `ipv${family}/${table}`;
    let t = this.tables.get(key);
    if (!t) {
      t = new Map((BUILTINS[table] ?? []).map((c) => [c, []]));
      this.tables.set(key, t);
    }
    return t;
  }

  private save(family: 4 | 6, table: string): CommandResult {
    const t = this.tableOf(family, table);
    const lines = [`*${table}`];
    for (const name of t.keys())
      lines.push(`:${name} ${BUILTINS[table]?.includes(name) ? 'ACCEPT' : '-'} [0:0]`);
    for (const [name, rules] of t) for (const r of rules) lines.push(`-A ${name} ${r.spec}`);
    lines.push('COMMIT', '');
    return { stdout: lines.join('\n'), stderr: '', exitCode: 0 };
  }

  private refusal(line: string, commit = false): string | undefined {
    return this.refusals.find((r) => r.atCommit === commit && r.re.test(line))?.message;
  }

  /** Applies one restore transaction to a copy; the copy replaces the table only at COMMIT. */
  private restoreIptables(file: string, family: 4 | 6, input: string): CommandResult {
    const lines = input.split('\n');
    let work: Map<string, Rule[]> | undefined;
    let table = '';
    let commitRefusal: string | undefined;
    const fail = (n: number, msg: string): CommandResult => ({
      stdout: '',
      stderr: `${file} v1.8.9 (fake): ${msg}\nError occurred at line: ${n}\nTry \`${file} -h' for more information.\n`,
      exitCode: 2,
    });
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!.trim();
      const n = i + 1;
      if (line === '' || line.startsWith('#')) continue;
      const refused = this.refusal(line);
      if (refused) return fail(n, refused);
      commitRefusal ??= this.refusal(line, true);
      if (line.startsWith('*')) {
        table = line.slice(1);
        work = new Map([...this.tableOf(family, table)].map(([k, v]) => [k, [...v]]));
        continue;
      }
      if (!work) return fail(n, 'no table given');
      if (line === 'COMMIT') {
        if (commitRefusal) return fail(n, commitRefusal);
        for (const [, rules] of work) {
          for (const r of rules) {
            const target = /(?:--jump|--goto|-j|-g) (\S+)/.exec(r.spec)?.[1];
            if (target?.startsWith('cali') && !work.has(target))
              return fail(n, `Couldn't load target \`${target}'`);
          }
        }
        this.tables.set(`ipv${family}/${table}`, work);
        work = undefined;
        continue;
      }
      const err = applyIptablesLine(work, line);
      if (err) return fail(n, err);
    }
    return { stdout: '', stderr: '', exitCode: 0 };
  }

  private ipset(args: readonly string[], input: string): CommandResult {
    const [cmd, name] = args;
    if (cmd === 'save' || cmd === 'list') {
      const out: string[] = [];
      for (const [n, s] of this.sets) {
        out.push(`create ${n} ${s.header}`);
        for (const m of s.members) out.push(`add ${n} ${m}`);
      }
      return { stdout: out.join('\n') + (out.length ? '\n' : ''), stderr: '', exitCode: 0 };
    }
    if (cmd === 'destroy') {
      if (!name || !this.sets.delete(name))
        return {
          stdout: '',
          stderr: `ipset v7.17: The set with the given name does not exist\n`,
          exitCode: 1,
        };
      return { stdout: '', stderr: '', exitCode: 0 };
    }
    if (cmd !== 'restore') return { stdout: '', stderr: `ipset: unknown command ${cmd}`, exitCode: 1 };
    // Not atomic, like the real tool: lines before the failing one stay applied.
    const lines = input.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!.trim();
      if (line === '' || line === 'COMMIT') continue;
      const err = this.refusal(line) ?? this.ipsetLine(line.split(/\s+/));
      if (err) return { stdout: '', stderr: `ipset v7.17: Error in line ${i + 1}: ${err}\n`, exitCode: 1 };
    }
    return { stdout: '', stderr: '', exitCode: 0 };
  }

  private ipsetLine(p: readonly string[]): string | undefined {
    const [op, name, a, b] = p;
    const s = name === undefined ? undefined : this.sets.get(name);
    const exist = p.includes('-exist');
    switch (op) {
      case 'create': {
        if (s) return exist ? undefined : 'Set cannot be created: set with the same name already exists';
        const mi = p.indexOf('maxelem');
        const maxelem = mi > 0 ? Number(p[mi + 1]) : 65536;
        this.sets.set(name!, { header: p.slice(2).join(' '), type: a!, maxelem, members: new Set() });
        return undefined;
      }
      case 'add':
        if (!s) return 'The set with the given name does not exist';
        if (s.members.has(a!))
          return exist ? undefined : "Element cannot be added to the set: it's already added";
        if (s.members.size >= s.maxelem) return 'Hash is full, cannot add more elements';
        s.members.add(a!);
        return undefined;
      case 'del':
        if (!s) return 'The set with the given name does not exist';
        if (!s.members.delete(a!) && !exist) return "Element cannot be deleted from the set: it's not added";
        return undefined;
      case 'destroy':
        return this.sets.delete(name!) ? undefined : 'The set with the given name does not exist';
      case 'flush':
        s?.members.clear();
        return s ? undefined : 'The set with the given name does not exist';
      case 'swap': {
        const o = b === undefined ? undefined : this.sets.get(a!);
        if (!s || !o) return 'The set with the given name does not exist';
        this.sets.set(name!, o);
        this.sets.set(a!, s);
        return undefined;
      }
      default:
        return `unknown command ${op}`;
    }
  }
}

/** One restore line against a working copy of a table; returns an error text or undefined. */
function applyIptablesLine(work: Map<string, Rule[]>, line: string): string | undefined {
  if (line.startsWith(':')) {
    const name = line.slice(1).split(' ', 1)[0]!;
    work.set(name, []); // a declare flushes (creates if missing), as iptables-restore --noflush does
    return undefined;
  }
  const m = /^(-A|-I|-R|-D|--delete-chain|-X) (\S+)(?: (.*))?$/.exec(line);
  if (!m) return `unknown line ${JSON.stringify(line.slice(0, 80))}`;
  const [, op, chain, rest = ''] = m as unknown as [string, string, string, string | undefined];
  const rules = work.get(chain);
  if (!rules) return `chain ${chain} does not exist`;
  if (op === '--delete-chain' || op === '-X') {
    for (const [name, rs] of work) {
      if (
        name !== chain &&
        rs.some((r) => new RegExp(`(?:--jump|--goto|-j|-g) ${chain}(?: |$)`).test(r.spec))
      )
        return `Too many links (chain ${chain} is referenced)`;
    }
    work.delete(chain);
    return undefined;
  }
  if (op === '-A') rules.push({ spec: rest });
  else if (op === '-I') rules.unshift({ spec: rest });
  else if (op === '-R' || (op === '-D' && /^\d+$/.test(rest.split(' ', 1)[0]!))) {
    const sp = rest.indexOf(' ');
    const idx = Number(sp < 0 ? rest : rest.slice(0, sp)) - 1;
    if (idx < 0 || idx >= rules.length) return 'Index of insertion too big';
    if (op === '-R') rules[idx] = { spec: rest.slice(sp + 1) };
    else rules.splice(idx, 1);
  } else {
    const idx = rules.findIndex((r) => r.spec === rest);
    if (idx < 0) return 'Bad rule (does a matching rule exist in that chain?)';
    rules.splice(idx, 1);
  }
  return undefined;
}
