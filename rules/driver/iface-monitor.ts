// The node's interfaces and local addresses for the compiler (issue 13 item 4), read with `ip -j`
// through the driver's command runner, so that it sees the namespace the driver programs. Felix's
// interface monitor (felix/ifacemonitor/iface_monitor.go) listens to netlink and resyncs every
// InterfaceRefreshInterval; this one re-reads when `ip -o monitor link address` prints an event
// (rules/backend/watch.ts) and every InterfaceRefreshInterval, and reports only changes. The parsing
// is pure (rules/compiler/host-ifaces.ts).
import { netnsPrefix, type CommandRunner } from '../backend/runner.js';
import { watchLines, type LineWatch } from '../backend/watch.js';
import {
  kubeIPVSPresent,
  parseLinks,
  parseLocalRoutes,
  sameHostInterfaces,
  type HostInterfaces,
} from '../compiler/host-ifaces.js';
import type { DriverLogger } from './logger.js';

/** The driver's option: re-read every resyncMs (InterfaceRefreshInterval) and, with events, on `ip monitor` lines. */
export interface HostMonitorOptions {
  readonly resyncMs: number;
  readonly events: boolean;
}

/** The driver's monitor (none without the option or in a dry run), in its namespace, after the first reading. */
export async function startHostMonitor(
  o: { readonly hostInterfaces?: HostMonitorOptions; readonly dryRun?: boolean; readonly netns?: string },
  runner: CommandRunner,
  log: DriverLogger,
  sink: { onHostInterfaces(h: HostInterfaces): void },
): Promise<InterfaceMonitor | undefined> {
  if (!o.hostInterfaces || o.dryRun) return undefined;
  const mon = new InterfaceMonitor({
    runner,
    resyncMs: o.hostInterfaces.resyncMs,
    watchArgv: o.hostInterfaces.events ? ipMonitorArgv(o.netns) : undefined,
    log,
    onChange: (h) => sink.onHostInterfaces(h),
  });
  await mon.start();
  return mon;
}

export interface InterfaceMonitorOptions {
  readonly runner: CommandRunner;
  /** Full re-read every resyncMs (InterfaceRefreshInterval); 0: only on events. */
  readonly resyncMs: number;
  /** argv of the event source (`[prefix…] ip -o monitor link address`); absent: polling only. */
  readonly watchArgv?: readonly string[] | undefined;
  readonly log: DriverLogger;
  /** Called with each reading that differs from the previous one (and with the first). */
  readonly onChange: (h: HostInterfaces) => void;
}

/** One reading: `ip -j link show` and the local-table `local` routes of both families. */
export async function readHostInterfaces(runner: CommandRunner): Promise<HostInterfaces> {
  // The three reads side by side (at start they are on the way to the first apply).
  const [links, ...routes] = await Promise.all([
    runner.run('ip', ['-j', 'link', 'show']),
    ...['-4', '-6'].map((fam) =>
      runner.run('ip', ['-j', fam, 'route', 'show', 'table', 'local', 'type', 'local']),
    ),
  ]);
  if (links.exitCode !== 0)
    throw new Error(`ip -j link show: exit ${links.exitCode}: ${links.stderr.trim()}`);
  const addrs = new Map<string, string[]>();
  for (const r of routes) {
    // IPv6 may be disabled in the kernel: that family has no addresses then.
    if (r.exitCode !== 0) continue;
    for (const [dev, list] of parseLocalRoutes(r.stdout))
      addrs.set(dev, [...(addrs.get(dev) ?? []), ...list]);
  }
  for (const list of addrs.values()) list.sort();
  return { links: parseLinks(links.stdout), addrs };
}

/** Re-reads on every `ip monitor` event (coalesced) and every resyncMs; reports changes only. */
export class InterfaceMonitor {
  private last: HostInterfaces | undefined;
  private timer: NodeJS.Timeout | undefined;
  private soon: NodeJS.Timeout | undefined;
  private watch: LineWatch | undefined;
  private running = false;
  private failing = false;
  private reading: Promise<void> | undefined;
  private again = false;
  private restartMs = 1000;

  constructor(private readonly o: InterfaceMonitorOptions) {}

  /** The last reading (undefined before the first successful one). */
  get current(): HostInterfaces | undefined {
    return this.last;
  }

  /** Starts the event source, takes the first reading (reported before this resolves), then resyncs. */
  async start(): Promise<void> {
    this.running = true;
    this.startWatch();
    await this.poll();
    if (this.o.resyncMs > 0) {
      this.timer = setInterval(() => void this.poll(), this.o.resyncMs);
      this.timer.unref();
    }
  }

  stop(): void {
    this.running = false;
    this.watch?.stop();
    this.watch = undefined;
    if (this.timer) clearInterval(this.timer);
    if (this.soon) clearTimeout(this.soon);
    this.timer = this.soon = undefined;
  }

  private startWatch(): void {
    const argv = this.o.watchArgv;
    if (!argv || !this.running) return;
    this.watch = watchLines(
      argv,
      () => {
        this.restartMs = 1000;
        this.kick();
      },
      (reason) => {
        this.watch = undefined;
        if (!this.running) return;
        // 1 s, doubling to 30 s while it keeps failing (no line in between).
        const delayMs = this.restartMs;
        this.restartMs = Math.min(30_000, delayMs * 2);
        this.o.log.warn('Interface monitor exited; restarting it', { reason, delayMs });
        setTimeout(() => {
          this.startWatch();
          this.kick();
        }, delayMs).unref();
      },
    );
  }

  /** An event: read again shortly (a burst of netlink lines becomes one reading). */
  private kick(): void {
    if (this.soon || !this.running) return;
    this.soon = setTimeout(() => {
      this.soon = undefined;
      void this.poll();
    }, 20);
    this.soon.unref();
  }

  /** One reading (serialised); a change is reported, a failure logged once until the next success. */
  async poll(): Promise<void> {
    if (this.reading) {
      this.again = true;
      return this.reading;
    }
    this.reading = this.readOnce().finally(() => (this.reading = undefined));
    await this.reading;
    if (this.again) {
      this.again = false;
      await this.poll();
    }
  }

  private async readOnce(): Promise<void> {
    let h: HostInterfaces;
    try {
      h = await readHostInterfaces(this.o.runner);
    } catch (err) {
      if (!this.failing) this.o.log.warn('Failed to read interfaces; will retry', { error: String(err) });
      this.failing = true;
      return;
    }
    this.failing = false;
    if (sameHostInterfaces(this.last, h)) return;
    const line = ipvsModeLine(this.last, h);
    if (line) this.o.log.info(line);
    this.last = h;
    this.o.onChange(h);
  }
}

/** Felix's log line when IPVS mode is found or goes (felix/dataplane/driver.go, int_dataplane.go). */
export function ipvsModeLine(before: HostInterfaces | undefined, after: HostInterfaces): string | undefined {
  const was = before === undefined ? false : kubeIPVSPresent(before);
  const now = kubeIPVSPresent(after);
  if (now && !was) return 'Kube-proxy in ipvs mode, enabling felix kube-proxy ipvs support.';
  if (!now && was) return 'kube-proxy mode changed: kube-ipvs0 is gone, disabling kube-proxy ipvs support.';
  return undefined;
}

/** `ip -o monitor link address`, in the namespace the driver programs. */
export function ipMonitorArgv(netns: string | undefined): string[] {
  return [...(netns ? netnsPrefix(netns) : []), 'ip', '-o', 'monitor', 'link', 'address'];
}
