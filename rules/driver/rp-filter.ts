// The per-interface IPv4 rp_filter sysctl of workload interfaces (issue 12, raw table), as Felix's endpoint
// manager writes it (felix/dataplane/linux/endpoint_mgr.go configureInterface/configureProcSysForInterface):
// "0" for an interface whose endpoint has allowed spoofed source prefixes, otherwise the value that
// /proc/sys/net/ipv4/conf/default/rp_filter had when the dataplane started
// (felix/dataplane/linux/int_dataplane.go; "1" if that cannot be read). IPv6 has no such sysctl.
// This is the only sysctl I/O of the dataplane; the compiler says what each interface needs
// (DesiredState.workloadInterfaces) and this module writes it.
import { readFile, writeFile } from 'node:fs/promises';
import type { CommandRunner } from '../backend/runner.js';
import type { WorkloadInterfaceState } from '../model.js';
import type { DriverLogger } from './logger.js';

/** Reads and writes files under /proc/sys. A missing file rejects with an error whose code is ENOENT. */
export interface ProcSys {
  read(path: string): Promise<string>;
  write(path: string, value: string): Promise<void>;
}

/** Direct file I/O, in the agent's own network namespace (production). */
export const fsProcSys: ProcSys = {
  read: (path) => readFile(path, 'utf8'),
  write: (path, value) => writeFile(path, value, { flag: 'r+' }),
};

function enoent(path: string, stderr: string): Error {
  const missing = /No such file or directory/i.test(stderr);
  return Object.assign(new Error(`${path}: ${stderr.trim() || 'failed'}`), missing ? { code: 'ENOENT' } : {});
}

/** Through the command runner (`cat` / `tee`), so that a runner prefixed with `ip netns exec` reaches that namespace. */
export function runnerProcSys(runner: CommandRunner): ProcSys {
  return {
    async read(path) {
      const r = await runner.run('cat', [path]);
      if (r.exitCode !== 0) throw enoent(path, r.stderr);
      return r.stdout;
    },
    async write(path, value) {
      const r = await runner.run('tee', [path], value);
      if (r.exitCode !== 0) throw enoent(path, r.stderr);
    },
  };
}

/**
 * A name that is a plain /proc/sys/net/ipv4/conf entry of one interface: Linux's rules (at most 15
 * characters, no "/", no whitespace) narrowed to what Felix's validator accepts, and never "." or ".."
 * (path traversal) nor "all"/"default" (node-wide settings, not interfaces).
 */
export function isSafeInterfaceName(name: string): boolean {
  if (!/^[A-Za-z0-9_.@-]{1,15}$/.test(name) || name.startsWith('-')) return false;
  return name !== '.' && name !== '..' && name !== 'all' && name !== 'default';
}

export interface RpFilterResult {
  /** Interfaces whose sysctl was written in this apply. */
  readonly written: readonly string[];
  /** Interfaces still to be written (missing or failed): tried again on the next apply. */
  readonly pending: readonly string[];
}

export class RpFilterWriter {
  /** What each interface was last set to by us; only a change (or invalidate()) writes again. */
  private readonly done = new Map<string, string>();
  private defaultValue: string | undefined;
  /** The interface monitor's last reading of the links; undefined without a monitor (then every apply tries). */
  private links: ReadonlySet<string> | undefined;
  /** Interfaces the monitor does not list: not tried until it does (Felix waits for the interface too). */
  private readonly waiting = new Set<string>();

  /**
   * A reading of the node's links. Returns whether an interface we are waiting for appeared, so the
   * caller applies again (felix/dataplane/linux/endpoint_mgr.go drops a missing interface from its
   * retries and configures it when the interface monitor reports it).
   */
  linksAppeared(links: ReadonlySet<string>): boolean {
    this.links = links;
    let appeared = false;
    for (const iface of this.waiting) {
      if (!links.has(iface)) continue;
      this.waiting.delete(iface);
      appeared = true;
    }
    return appeared;
  }

  constructor(
    private readonly io: ProcSys,
    private readonly log: DriverLogger,
    private readonly root = '/proc/sys',
  ) {}

  private path(iface: string): string {
    return `${this.root}/net/ipv4/conf/${iface}/rp_filter`;
  }

  /** The node's default, read once as Felix reads it once at start. */
  private async nodeDefault(): Promise<string> {
    if (this.defaultValue !== undefined) return this.defaultValue;
    try {
      const v = (await this.io.read(`${this.root}/net/ipv4/conf/default/rp_filter`)).trim();
      this.defaultValue = /^[0-2]$/.test(v) ? v : '1';
    } catch (err) {
      this.log.warn('could not determine default rp_filter setting, defaulting to strict', {
        error: String(err),
      });
      this.defaultValue = '1';
    }
    return this.defaultValue;
  }

  /** Forgets what was written, so that the next apply writes every interface again (periodic refresh). */
  invalidate(): void {
    this.done.clear();
  }

  async apply(ifaces: ReadonlyMap<string, WorkloadInterfaceState>): Promise<RpFilterResult> {
    for (const name of [...this.done.keys()]) if (!ifaces.has(name)) this.done.delete(name);
    for (const name of [...this.waiting]) if (!ifaces.has(name)) this.waiting.delete(name);
    const written: string[] = [];
    const pending: string[] = [];
    for (const [iface, st] of ifaces) {
      if (!isSafeInterfaceName(iface)) {
        this.log.warn('rp_filter: not a plain interface name; not written', { iface });
        continue;
      }
      const want = st.allowSpoofing ? '0' : await this.nodeDefault();
      if (this.done.get(iface) === want) continue;
      if (this.links && !this.links.has(iface)) {
        this.waiting.add(iface);
        pending.push(iface);
        continue;
      }
      try {
        await this.io.write(this.path(iface), want);
        this.done.set(iface, want);
        written.push(iface);
      } catch (err) {
        pending.push(iface);
        const missing = (err as { code?: unknown }).code === 'ENOENT';
        // Felix suppresses the log spam of interfaces that are gone (or not created yet) to debug.
        const level = missing ? 'debug' : 'warn';
        this.log[level]('rp_filter: could not set it; will retry on the next apply', {
          iface,
          value: want,
          error: String(err),
        });
      }
    }
    return { written, pending };
  }
}
