// The interface monitor (rules/driver/iface-monitor.ts) and its path into the driver: `ip -j` readings
// through a scripted runner, changes reported once, failures logged once, and the driver recompiling
// this-host and the IPVS chains from a reading (no restart). The kernel half is
// test/e2e-dataplane/ipvs.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CommandResult, CommandRunner } from '../../../../rules/backend/runner.js';
import { InterfaceAwareDriver } from '../../../../rules/driver/index.js';
import {
  InterfaceMonitor,
  ipMonitorArgv,
  ipvsModeLine,
  readHostInterfaces,
} from '../../../../rules/driver/iface-monitor.js';
import type { HostInterfaces } from '../../../../rules/compiler/host-ifaces.js';
import { defaultCompilerConfig } from '../../../../rules/compiler/index.js';
import type { DriverLogger } from '../../../../rules/driver/logger.js';
import type { ToDataplane } from '../../../../rules/dataplane-api/types.js';
import { FakeRunner } from '../fake-runner.js';

interface Node {
  links: string[];
  v4: { dst: string; dev: string }[];
  v6: { dst: string; dev: string }[];
  fail?: boolean;
}

/** Answers `ip -j link show` and `ip -j -4|-6 route show table local type local` from `node`; the rest goes to `next`. */
class IpRunner implements CommandRunner {
  calls = 0;
  constructor(
    public node: Node,
    private readonly next?: CommandRunner,
  ) {}
  async run(file: string, args: readonly string[], input?: string): Promise<CommandResult> {
    if (file !== 'ip') {
      if (!this.next) throw new Error(`unexpected ${file}`);
      return this.next.run(file, args, input);
    }
    this.calls++;
    await Promise.resolve();
    if (this.node.fail) return { stdout: '', stderr: 'Cannot open netlink socket', exitCode: 2 };
    const a = args.join(' ');
    const ok = (v: unknown): CommandResult => ({ stdout: JSON.stringify(v), stderr: '', exitCode: 0 });
    if (a === '-j link show') return ok(this.node.links.map((ifname, i) => ({ ifindex: i + 1, ifname })));
    if (a === '-j -4 route show table local type local')
      return ok(this.node.v4.map((r) => ({ type: 'local', ...r, protocol: 'kernel' })));
    if (a === '-j -6 route show table local type local')
      return ok(this.node.v6.map((r) => ({ type: 'local', ...r, metric: 0 })));
    return { stdout: '', stderr: `unexpected ip ${a}`, exitCode: 1 };
  }
}

const NODE: Node = {
  links: ['lo', 'eth0', 'cali1234'],
  v4: [
    { dst: '127.0.0.1', dev: 'lo' },
    { dst: '127.0.0.0/8', dev: 'lo' },
    { dst: '192.168.0.5', dev: 'eth0' },
    { dst: '169.254.1.1', dev: 'cali1234' },
  ],
  v6: [
    { dst: '::1', dev: 'lo' },
    { dst: 'fd00::5', dev: 'eth0' },
  ],
};

function logger(): DriverLogger & { warns: string[]; infos: string[] } {
  const warns: string[] = [];
  const infos: string[] = [];
  return {
    warns,
    infos,
    debug: () => undefined,
    info: (m: string) => void infos.push(m),
    warn: (m: string) => void warns.push(m),
    error: (m: string) => void warns.push(m),
  };
}

test('readHostInterfaces: links, and both families of local routes per device, sorted', async () => {
  const h = await readHostInterfaces(new IpRunner(NODE));
  assert.deepEqual([...h.links], ['lo', 'eth0', 'cali1234']);
  assert.deepEqual(Object.fromEntries(h.addrs), {
    lo: ['127.0.0.0', '127.0.0.1', '::1'],
    eth0: ['192.168.0.5', 'fd00::5'],
    cali1234: ['169.254.1.1'],
  });
  // A failed route listing of one family (IPv6 off) is no error; a failed link listing is.
  await assert.rejects(readHostInterfaces(new IpRunner({ ...NODE, fail: true })), /ip -j link show/);
});

test('the monitor reports the first reading and each change once; a failure is logged once', async () => {
  const runner = new IpRunner({ ...NODE });
  const seen: HostInterfaces[] = [];
  const log = logger();
  const mon = new InterfaceMonitor({ runner, resyncMs: 0, log, onChange: (h) => seen.push(h) });
  await mon.start();
  assert.equal(seen.length, 1);
  await mon.poll();
  assert.equal(seen.length, 1, 'same reading: not reported');
  runner.node = { ...NODE, links: [...NODE.links, 'kube-ipvs0'] };
  await mon.poll();
  assert.equal(seen.length, 2);
  assert.ok(seen[1]!.links.has('kube-ipvs0'));
  runner.node = { ...runner.node, fail: true };
  await mon.poll();
  await mon.poll();
  assert.equal(log.warns.length, 1, 'one warning while failing');
  assert.equal(seen.length, 2, 'a failed reading changes nothing');
  runner.node = { ...NODE };
  await mon.poll();
  assert.equal(seen.length, 3, 'recovered, and kube-ipvs0 is gone');
  assert.equal(mon.current, seen[2]);
  mon.stop();
});

test('Felix log lines when IPVS mode is found or goes; the event source runs in the netns', () => {
  const on: HostInterfaces = { links: new Set(['kube-ipvs0']), addrs: new Map() };
  const off: HostInterfaces = { links: new Set(['lo']), addrs: new Map() };
  assert.equal(
    ipvsModeLine(undefined, on),
    'Kube-proxy in ipvs mode, enabling felix kube-proxy ipvs support.',
  );
  assert.equal(ipvsModeLine(on, on), undefined);
  assert.equal(ipvsModeLine(undefined, off), undefined);
  assert.match(ipvsModeLine(on, off) ?? '', /kube-proxy mode changed/);
  assert.deepEqual(ipMonitorArgv('hv-1'), [
    'ip',
    'netns',
    'exec',
    'hv-1',
    'ip',
    '-o',
    'monitor',
    'link',
    'address',
  ]);
  assert.deepEqual(ipMonitorArgv(undefined), ['ip', '-o', 'monitor', 'link', 'address']);
});

const wep: ToDataplane = {
  kind: 'workloadEndpointUpdate',
  id: { orchestratorId: 'k8s', workloadId: 'default/a', endpointId: 'eth0' },
  endpoint: {
    state: 'active',
    name: 'cali1234',
    profileIds: [],
    ipv4Nets: ['10.65.0.2/32'],
    ipv6Nets: [],
    tiers: [],
  },
};

test('the driver takes the first reading before its first apply and recompiles on a change', async () => {
  const fake = new FakeRunner();
  const runner = new IpRunner({ ...NODE, links: [...NODE.links, 'kube-ipvs0'] }, fake);
  const log = logger();
  const d = new InterfaceAwareDriver({
    compilerConfig: defaultCompilerConfig({ ipv6Support: true }),
    runner,
    backend: 'legacy',
    ipv6: true,
    refreshIntervalMs: 0,
    minApplyIntervalMs: 10,
    maxAttempts: 1,
    logger: log,
    hostInterfaces: { resyncMs: 0, events: false },
  });
  await d.start();
  assert.ok(runner.calls >= 3, 'read at start');
  d.onMessages([wep, { kind: 'inSync' }]);
  await d.settled();
  assert.deepEqual([...fake.sets.get('cali40this-host')!.members].sort(), [
    '127.0.0.0',
    '127.0.0.1',
    '192.168.0.5',
  ]);
  assert.deepEqual([...fake.sets.get('cali60this-host')!.members].sort(), ['::1', 'fd00::5']);
  assert.ok(fake.chain(4, 'filter', 'cali-forward-check'), 'IPVS on from the first apply');
  assert.ok(fake.chain(6, 'filter', 'cali-sm-cali1234'));
  assert.ok(log.infos.includes('Kube-proxy in ipvs mode, enabling felix kube-proxy ipvs support.'));
  // A new workload interface changes neither this-host nor the IPVS mode: no apply.
  const before = d.applyCount;
  const h0 = await readHostInterfaces(runner);
  d.onHostInterfaces({ links: new Set([...h0.links, 'cali5678']), addrs: h0.addrs });
  await d.settled();
  assert.equal(d.applyCount, before, 'nothing to apply');
  const applies = d.applyCount;
  d.onHostInterfaces({ links: new Set(['lo', 'eth0']), addrs: new Map([['eth0', ['192.168.0.6']]]) });
  await d.settled();
  assert.ok(d.applyCount > applies);
  assert.equal(fake.chain(4, 'filter', 'cali-forward-check'), undefined, 'IPVS off, same driver');
  assert.deepEqual([...fake.sets.get('cali40this-host')!.members], ['192.168.0.6']);
  await d.stop();
});

test('an event line from the watched command triggers a re-read; an exit restarts it; stop() ends it', async () => {
  const runner = new IpRunner({ ...NODE });
  const log = logger();
  const seen: HostInterfaces[] = [];
  // Prints one event line, stays up briefly, then exits (as if ip monitor died).
  const script =
    'setTimeout(() => console.log("2: eth0: <BROADCAST> mtu 1500"), 100); setTimeout(() => {}, 300);';
  const mon = new InterfaceMonitor({
    runner,
    resyncMs: 0,
    watchArgv: [process.execPath, '-e', script],
    log,
    onChange: (h) => seen.push(h),
  });
  await mon.start();
  const afterStart = runner.calls;
  runner.node = { ...NODE, links: [...NODE.links, 'kube-ipvs0'] };
  for (let i = 0; i < 100 && seen.length < 2; i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(runner.calls > afterStart, 're-read after the event line');
  assert.equal(seen.length, 2, 'the change was reported');
  for (let i = 0; i < 100 && log.warns.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
  assert.match(log.warns[0] ?? '', /Interface monitor exited; restarting it/);
  mon.stop();
});
