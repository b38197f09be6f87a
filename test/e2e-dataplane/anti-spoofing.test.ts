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
import { Netns, isRoot, save } from './netns.js';

const skip = isRoot ? false : 'needs root (network namespaces)';
const NODE_IP = '10.70.0.1';
const POD_IP = '10.70.0.2';
const SPOOF_IP = '10.99.0.5';
const PORT = 9099;

// The node's listener prints "<source> <payload>" for every datagram.
const LISTENER = `const s = require('dgram').createSocket('udp4');
s.on('message', (m, r) => process.stdout.write(r.address + ' ' + m.toString() + '\\n'));
s.bind(${PORT}, '${NODE_IP}', () => process.stdout.write('ready\\n'));`;
const send = (src: string, payload: string): string => `const s = require('dgram').createSocket('udp4');
s.bind({ address: '${src}' }, () => s.send('${payload}', ${PORT}, '${NODE_IP}', (e) => { s.close(); process.exit(e ? 1 : 0); }));`;

const PROFILE: ToDataplane = {
  kind: 'activeProfileUpdate',
  id: { name: 'kns.ftr' },
  profile: { inboundRules: [{ action: 'allow' }], outboundRules: [{ action: 'allow' }] },
};

for (const backend of ['legacy', 'nft'] as const) {
  describe(`anti-spoofing in the compiled raw table (${backend})`, { skip }, () => {
    let pod: Netns;
    let node: Netns;
    let driver: DataplaneDriver;
    let listener: ChildProcess | undefined;
    let heard = '';
    let seq = 0;
    const iface = `califtr${process.pid % 10000}${backend[0]}`;
    const podIface = `ftrp${process.pid % 10000}${backend[0]}`;

    const wep = (prefixes: string[]): ToDataplane => ({
      kind: 'workloadEndpointUpdate',
      id: { orchestratorId: 'k8s', workloadId: 'ftr/pod', endpointId: 'eth0' },
      endpoint: {
        state: 'active',
        name: iface,
        profileIds: ['kns.ftr'],
        ipv4Nets: [`${POD_IP}/32`],
        ipv6Nets: [],
        tiers: [],
        allowSpoofedSourcePrefixes: prefixes,
      },
    });

    /** Sends one datagram from `src` and waits up to `ms` for the listener to report it. */
    async function arrives(src: string, ms = 1500): Promise<boolean> {
      const payload = `p${seq++}`;
      await pod.exec(process.execPath, ['-e', send(src, payload)]);
      const want = `${src} ${payload}\n`;
      for (let t = 0; t < ms; t += 50) {
        if (heard.includes(want)) return true;
        await new Promise((r) => setTimeout(r, 50));
      }
      return heard.includes(want);
    }

    async function rpFilter(name: string): Promise<string> {
      return (await node.exec('cat', [`/proc/sys/net/ipv4/conf/${name}/rp_filter`])).stdout.trim();
    }

    before(async () => {
      pod = await Netns.create(`p${backend[0]}`, 'ftr');
      node = await Netns.create(`n${backend[0]}`, 'ftr');
      // The kernel's RPF off everywhere in the node, before the veth exists (it inherits default).
      for (const k of ['all', 'default'])
        await node.exec('sysctl', ['-q', '-w', `net.ipv4.conf.${k}.rp_filter=0`]);
      await node.exec('ip', [
        'link',
        'add',
        iface,
        'type',
        'veth',
        'peer',
        'name',
        podIface,
        'netns',
        pod.name,
      ]);
      await node.exec('sysctl', ['-q', '-w', `net.ipv4.conf.${iface}.rp_filter=0`]);
      await node.exec('ip', ['addr', 'add', `${NODE_IP}/24`, 'dev', iface]);
      await node.exec('ip', ['link', 'set', iface, 'up']);
      await pod.exec('ip', ['addr', 'add', `${POD_IP}/24`, 'dev', podIface]);
      // The foreign address: on the pod's side only, so the pod can bind it; the node has no route to it.
      await pod.exec('ip', ['addr', 'add', `${SPOOF_IP}/32`, 'dev', podIface]);
      await pod.exec('ip', ['link', 'set', podIface, 'up']);
      listener = spawn('ip', ['netns', 'exec', node.name, process.execPath, '-e', LISTENER], {
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
          ipv6Support: false,
          defaultEndpointToHostAction: 'ACCEPT',
          workloadSourceSpoofing: 'Any',
        }),
        backend,
        ipv6: false,
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
      const rawText = (await save(node, backend, 'raw')).join('\n');
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
      const counted = (await node.exec(`iptables-${backend}-save`, ['-c', '-t', 'raw'])).stdout;
      const m = /^\[(\d+):\d+\] -A cali-PREROUTING .*-m rpfilter --validmark --invert -j DROP$/m.exec(
        counted,
      );
      assert.ok(m && Number(m[1]) >= 1, 'RPF drop counted');
      assert.equal(await rpFilter(iface), '0', 'rp_filter: the node default (0)');
    });

    test('with WorkloadSourceSpoofing=Any and the prefix allowed: cali-rpf-skip lets it through, rp_filter 0', async () => {
      driver.onMessages([wep(['10.99.0.0/16'])]);
      await driver.settled();
      const rawText = (await save(node, backend, 'raw')).join('\n');
      assert.match(
        rawText,
        new RegExp(
          `^-A cali-rpf-skip -s 10\\.99\\.0\\.0/16 -i ${iface} -m comment --comment "cali:[\\w-]+" -j ACCEPT$`,
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
      assert.doesNotMatch((await save(node, backend, 'raw')).join('\n'), /^-A cali-rpf-skip /m);
      assert.equal(await arrives(SPOOF_IP, 700), false, 'foreign source dropped again');
      assert.equal(await arrives(POD_IP), true, 'own source passes');
    });

    test('an allowed prefix that does not cover the address: still dropped', async () => {
      driver.onMessages([wep(['10.98.0.0/16'])]);
      await driver.settled();
      assert.equal(await arrives(SPOOF_IP, 700), false, 'foreign source outside the prefix dropped');
      assert.equal(await arrives(POD_IP), true);
    });
  });
}
