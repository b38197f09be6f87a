// Scratch network namespaces for the dataplane tests. Names include the pid so parallel runs
// do not collide; every command goes through `ip netns exec` (never the root namespace).
import { execa } from 'execa';

export const isRoot = process.getuid?.() === 0;

let seq = 0;

export class Netns {
  private constructor(readonly name: string) {}

  /** `prefix` keeps one suite's namespaces apart from another's (each helper has its own). */
  static async create(tag: string, prefix = 'fxe'): Promise<Netns> {
    const name = `${prefix}-${process.pid}-${tag}-${seq++}`;
    await execa('ip', ['netns', 'add', name]);
    const ns = new Netns(name);
    await ns.exec('ip', ['link', 'set', 'lo', 'up']);
    return ns;
  }

  /** Runs a command in the namespace; throws on non-zero exit unless `reject` is false. */
  async exec(file: string, args: readonly string[], opts: { input?: string; reject?: boolean } = {}) {
    const r = await execa('ip', ['netns', 'exec', this.name, file, ...args], {
      input: opts.input ?? '',
      reject: opts.reject ?? true,
    });
    return { stdout: String(r.stdout), stderr: String(r.stderr), exitCode: r.exitCode ?? -1 };
  }

  async destroy(): Promise<void> {
    // Sets and tables die with the namespace.
    await execa('ip', ['netns', 'del', this.name], { reject: false });
  }
}

/** A veth pair: `aName` in `a`, `bName` in `b`, both up. */
export async function veth(a: Netns, aName: string, b: Netns, bName: string): Promise<void> {
  await a.exec('ip', ['link', 'add', aName, 'type', 'veth', 'peer', 'name', bName, 'netns', b.name]);
  await a.exec('ip', ['link', 'set', aName, 'up']);
  await b.exec('ip', ['link', 'set', bName, 'up']);
}

export type Backend = 'legacy' | 'nft';

export function saveCmd(b: Backend, family: 4 | 6 = 4): string {
  return `${family === 4 ? 'iptables' : 'ip6tables'}-${b}-save`;
}
export function iptCmd(b: Backend, family: 4 | 6 = 4): string {
  return `${family === 4 ? 'iptables' : 'ip6tables'}-${b}`;
}

/** iptables-save without banners and counters. */
export async function save(ns: Netns, b: Backend, table: string): Promise<string[]> {
  const r = await ns.exec(saveCmd(b), ['-t', table]);
  return r.stdout.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
}

/** Per chain, the list of cali hashes ('-' for foreign rules), from iptables-save. */
export async function hashesByChain(ns: Netns, b: Backend, table: string): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const l of await save(ns, b, table)) {
    if (l.startsWith(':')) out.set(l.slice(1).split(' ')[0]!, []);
    const m = /^-A (\S+) (.*)$/.exec(l);
    if (m) out.get(m[1]!)!.push(/--comment "?cali:([\w-]+)/.exec(m[2]!)?.[1] ?? '-');
  }
  return out;
}
