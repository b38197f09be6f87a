// Scratch network namespaces for the dataplane tests. Names include the pid so parallel runs
// do not collide; every command goes through `ip netns exec` (never the root namespace).
import { spawn } from 'node:child_process';
import { execa } from 'execa';

export const isRoot = process.getuid?.() === 0;

let seq = 0;

export class Netns {
  private constructor(readonly name: string) {}

  /** `prefix`: a test's own namespace-name prefix (default fxe). */
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

/** A server and a client namespace on one veth pair, with `nc` listeners on the server's ports. */
export interface ServerClient {
  readonly server: Netns;
  readonly client: Netns;
  /** Does a TCP connection from the client to the server's port succeed (1 s timeout)? */
  connects(port: number): Promise<boolean>;
  destroy(): Promise<void>;
}

export async function serverClient(
  tags: { readonly server: string; readonly client: string; readonly veth: string },
  ips: { readonly server: string; readonly client: string },
  ports: readonly number[],
): Promise<ServerClient> {
  const server = await Netns.create(tags.server);
  const client = await Netns.create(tags.client);
  await server.exec('ip', [
    'link',
    'add',
    `${tags.veth}a`,
    'type',
    'veth',
    'peer',
    'name',
    `${tags.veth}b`,
    'netns',
    client.name,
  ]);
  await server.exec('ip', ['addr', 'add', `${ips.server}/24`, 'dev', `${tags.veth}a`]);
  await server.exec('ip', ['link', 'set', `${tags.veth}a`, 'up']);
  await client.exec('ip', ['addr', 'add', `${ips.client}/24`, 'dev', `${tags.veth}b`]);
  await client.exec('ip', ['link', 'set', `${tags.veth}b`, 'up']);
  const listeners = ports.map((port) =>
    spawn('ip', ['netns', 'exec', server.name, 'nc', '-l', '-k', ips.server, String(port)], {
      stdio: 'ignore',
    }),
  );
  const connects = async (port: number): Promise<boolean> =>
    (await client.exec('nc', ['-z', '-w', '1', ips.server, String(port)], { reject: false })).exitCode === 0;
  for (const port of ports) {
    for (let i = 0; i < 50 && !(await connects(port)); i++) await new Promise((r) => setTimeout(r, 50));
  }
  return {
    server,
    client,
    connects,
    async destroy() {
      for (const l of listeners) l.kill('SIGKILL');
      await client.destroy();
      await server.destroy();
    },
  };
}
