// Anti-spoofing end to end (issue 12, raw table): a "pod" namespace joined by a veth to a "node" namespace,
// whose host side is named like a Calico workload interface (cali…), where the driver programs the
// compiled tables. The kernel's own rp_filter is off in the node (all, default and the interface), so only
// the raw table's `rpfilter --invert --validmark` drop decides. The pod sends UDP to a listener in the node
// from its own address and from a foreign one (added to the pod's interface and bound). Spoofed packets are
// dropped, unless the prefix is in the endpoint's allowSpoofedSourcePrefixes with WorkloadSourceSpoofing=Any
// (cali-rpf-skip); removing the prefix drops them again. Both backends, root only.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { DataplaneDriver, runnerProcSys } from '../../rules/index.js';
import { ExecaRunner, netnsPrefix } from '../../rules/backend/runner.js';
import { defaultCompilerConfig } from '../../rules/compiler/index.js';
import type { ToDataplane } from '../../rules/dataplane-api/types.js';
import { Netns, isRoot, saveCmd, veth } from './netns.js';

const skip = isRoot ? false : 'needs root (network namespaces)';
const PORT = 9099;

interface Fam {
  readonly family: 4 | 6;
  readonly node: string;
  readonly pod: string;
  /** A foreign source: on the pod's interface only; the node has no route back to it. */
  readonly spoof: string;
  readonly allowed: string;
  readonly notCovering: string;
  readonly plen: number;
}
const V4: Fam = {
  family: 4,
  node: '10.70.0.1',
  pod: '10.70.0.2',
  spoof: '10.99.0.5',
  allowed: '10.99.0.0/16',
  notCovering: '10.98.0.0/16',
  plen: 24,
};
const V6: Fam = {
  family: 6,
  node: 'fd70::1',
  pod: 'fd70::2',
  spoof: 'fd99::5',
  allowed: 'fd99::/64',
  notCovering: 'fd98::/64',
  plen: 64,
};

// The node's listener prints "<source> <payload>" for every datagram.
const listenerJs = (f: Fam): string => `const s = require('dgram').createSocket('udp${f.family}');
s.on('message', (m, r) => process.stdout.write(r.address + ' ' + m.toString() + '\\n'));
s.bind(${PORT}, '${f.node}', () => process.stdout.write('ready\\n'));`;
const sendJs = (
  f: Fam,
  src: string,
  payload: string,
): string => `const s = require('dgram').createSocket('udp${f.family}');
s.bind({ address: '${src}' }, () => s.send('${payload}', ${PORT}, '${f.node}', (e) => { s.close(); process.exit(e ? 1 : 0); }));`;
const esc = (t: string): string => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const PROFILE: ToDataplane = {
  kind: 'activeProfileUpdate',
  id: { name: 'kns.ftr' },
  profile: { inboundRules: [{ action: 'allow' }], outboundRules: [{ action: 'allow' }] },
};

for (const [backend, f] of [
  ['legacy', V4],
  ['nft', V4],
  ['legacy', V6],
  ['nft', V6],
] as const) {
  describe(`anti-spoofing in the compiled raw table (${backend}, IPv${f.family})`, { skip }, () => {
    let pod: Netns;
    let node: Netns;
    let driver: DataplaneDriver;
    let listener: ChildProcess | undefined;
    let heard = '';
    let seq = 0;
    const tag = `${process.pid % 1000}${backend[0]}${f.family}`;
    const iface = `califtr${tag}`;
    const podIface = `ftrp${tag}`;
    const POD_IP = f.pod;
    const SPOOF_IP = f.spoof;

    const wep = (prefixes: string[]): ToDataplane => ({
      kind: 'workloadEndpointUpdate',
      id: { orchestratorId: 'k8s', workloadId: 'ftr/pod', endpointId: 'eth0' },
      endpoint: {
        state: 'active',
        name: iface,
        profileIds: ['kns.ftr'],
        ipv4Nets: f.family === 4 ? [`${POD_IP}/32`] : [],
        ipv6Nets: f.family === 6 ? [`${POD_IP}/128`] : [],
        tiers: [],
        allowSpoofedSourcePrefixes: prefixes,
      },
    });

    /** Sends one datagram from `src` and waits up to `ms` for the listener to report it. */
    async function arrives(src: string, ms = 1500): Promise<boolean> {
      const payload = `p${seq++}`;
      await pod.exec(process.execPath, ['-e', sendJs(f, src, payload)]);
      const want = `${src} ${payload}\n`;
      for (let t = 0; t < ms; t += 50) {
        if (heard.includes(want)) return true;
        await new Promise((r) => setTimeout(r, 50));
      }
      return heard.includes(want);
    }

    /** The raw table of this family, as iptables-save prints it. */
    async function rawSave(): Promise<string> {
      return (await node.exec(saveCmd(backend, f.family), ['-t', 'raw'])).stdout;
    }

    /** The interface's IPv4 rp_filter sysctl (IPv6 has none). */
    async function rpFilter(name: string): Promise<string> {
      return (await node.exec('cat', [`/proc/sys/net/ipv4/conf/${name}/rp_filter`])).stdout.trim();
    }

    before(async () => {
      pod = await Netns.create(`p${tag}`, 'ftr');
      node = await Netns.create(`n${tag}`, 'ftr');
      // The kernel's RPF off everywhere in the node, before the veth exists (it inherits default).
      for (const k of ['all', 'default'])
        await node.exec('sysctl', ['-q', '-w', `net.ipv4.conf.${k}.rp_filter=0`]);
      await veth(node, iface, pod, podIface);
      await node.exec('sysctl', ['-q', '-w', `net.ipv4.conf.${iface}.rp_filter=0`]);
      // IPv6 addresses without duplicate address detection, so they are usable at once.
      const nodad = f.family === 6 ? ['nodad'] : [];
      await node.exec('ip', ['addr', 'add', `${f.node}/${f.plen}`, 'dev', iface, ...nodad]);
      await pod.exec('ip', ['addr', 'add', `${POD_IP}/${f.plen}`, 'dev', podIface, ...nodad]);
      // The foreign address: on the pod's side only, so the pod can bind it; the node has no route to it.
      const host = f.family === 4 ? 32 : 128;
      await pod.exec('ip', ['addr', 'add', `${SPOOF_IP}/${host}`, 'dev', podIface, ...nodad]);
      listener = spawn('ip', ['netns', 'exec', node.name, process.execPath, '-e', listenerJs(f)], {
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      listener.stdout!.on('data', (c: Buffer) => (heard += c.toString()));
      for (let i = 0; i < 100 && !heard.includes('ready'); i++) await new Promise((r) => setTimeout(r, 50));
      assert.ok(heard.includes('ready'), 'listener up');
      // Without any rules, both sources reach the listener: the kernel's own RPF is really off.
      assert.equal(await arrives(POD_IP), true, 'baseline: own source');
      assert.equal(await arrives(SPOOF_IP), true, 'baseline: foreign source (no kernel RPF)');
      const runner = new ExecaRunner({ prefix: netnsPrefix(node.name) });
      driver = new DataplaneDriver({
        compilerConfig: defaultCompilerConfig({
          ipv6Support: f.family === 6,
          defaultEndpointToHostAction: 'ACCEPT',
          workloadSourceSpoofing: 'Any',
        }),
        backend,
        ipv6: f.family === 6,
        netns: node.name,
        runner,
        procSys: runnerProcSys(runner),
        minApplyIntervalMs: 20,
        refreshIntervalMs: 0,
      });
      await driver.start();
    });
    after(async () => {
      listener?.kill('SIGKILL');
      await driver?.stop();
      for (const ns of [pod, node]) await ns?.destroy();
    });

    test('a workload without allowed prefixes: its own source passes, a foreign source is dropped in raw', async () => {
      driver.onMessages([PROFILE, wep([]), { kind: 'inSync' }]);
      await driver.settled();
      const rawText = await rawSave();
      assert.match(
        rawText,
        /^-A PREROUTING -m comment --comment "cali:6gwbT8clXdHdC1b1" -j cali-PREROUTING$/m,
      );
      assert.match(
        rawText,
        /^-A cali-PREROUTING -m comment --comment "cali:[\w-]+" -m mark --mark 0x80000\/0x80000 -m rpfilter --validmark --invert -j DROP$/m,
      );
      assert.equal(await arrives(POD_IP), true, 'own source');
      assert.equal(await arrives(SPOOF_IP, 700), false, 'foreign source dropped');
      assert.equal(await arrives(POD_IP), true, 'own source still passes after the drop');
      // The drop was the RPF rule's (its packet counter moved).
      const counted = (await node.exec(saveCmd(backend, f.family), ['-c', '-t', 'raw'])).stdout;
      const m = /^\[(\d+):\d+\] -A cali-PREROUTING .*-m rpfilter --validmark --invert -j DROP$/m.exec(
        counted,
      );
      assert.ok(m && Number(m[1]) >= 1, 'RPF drop counted');
      assert.equal(await rpFilter(iface), '0', 'rp_filter: the node default (0)');
    });

    test('with WorkloadSourceSpoofing=Any and the prefix allowed: cali-rpf-skip lets it through, rp_filter 0', async () => {
      driver.onMessages([wep([f.allowed])]);
      await driver.settled();
      const rawText = await rawSave();
      assert.match(
        rawText,
        new RegExp(
          `^-A cali-rpf-skip -s ${esc(f.allowed)} -i ${iface} -m comment --comment "cali:[\\w-]+" -j ACCEPT$`,
          'm',
        ),
      );
      assert.equal(await rpFilter(iface), '0', 'rp_filter 0 for a spoofing interface');
      // Changed behind our back: a refresh writes it again, through the node's namespace.
      await node.exec('sysctl', ['-q', '-w', `net.ipv4.conf.${iface}.rp_filter=2`]);
      driver.refresh();
      await driver.settled();
      assert.equal(await rpFilter(iface), '0', 'rp_filter rewritten 0 by the refresh');
      assert.equal(await arrives(SPOOF_IP), true, 'allowed foreign source passes');
      assert.equal(await arrives(POD_IP), true, 'own source passes');
    });

    test('the prefix removed again: the foreign source is dropped again', async () => {
      driver.onMessages([wep([])]);
      await driver.settled();
      assert.doesNotMatch(await rawSave(), /^-A cali-rpf-skip /m);
      assert.equal(await arrives(SPOOF_IP, 700), false, 'foreign source dropped again');
      assert.equal(await arrives(POD_IP), true, 'own source passes');
    });

    test('an allowed prefix that does not cover the address: still dropped', async () => {
      driver.onMessages([wep([f.notCovering])]);
      await driver.settled();
      assert.equal(await arrives(SPOOF_IP, 700), false, 'foreign source outside the prefix dropped');
      assert.equal(await arrives(POD_IP), true);
    });
  });
}
