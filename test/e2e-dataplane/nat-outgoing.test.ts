// NAT outgoing end to end (issue 12; docs/nat-plan.md): a "pod" namespace with an address in an IP pool
// routes through a "node" namespace, where the driver programs the compiled filter and nat tables, to an
// "outside" namespace whose server answers with the source address it saw. With natOutgoing (masquerade)
// the outside sees the node's address; with it off, the pod's; the pool is flipped live. Root only.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { DataplaneDriver } from '../../rules/index.js';
import { defaultCompilerConfig } from '../../rules/compiler/index.js';
import type { ToDataplane } from '../../rules/dataplane-api/types.js';
import { Netns, isRoot, save, veth } from './netns.js';

const skip = isRoot ? false : 'needs root (network namespaces)';
const POD_IP = '10.65.0.2';
const NODE_POD_SIDE = '10.65.0.1';
const NODE_IP = '192.168.77.1';
const OUTSIDE_IP = '192.168.77.2';
const PORT = 8080;

const pool = (masquerade: boolean): ToDataplane => ({
  kind: 'ipamPoolUpdate',
  id: '10.65.0.0-16',
  pool: { cidr: '10.65.0.0/16', masquerade, ipipMode: '', vxlanMode: '', allowedUses: [] },
});

// The outside's server writes back the peer address of each connection; the pod's client prints it.
const SERVER = `require('net').createServer((s) => s.end(s.remoteAddress + '\\n')).listen(${PORT}, '${OUTSIDE_IP}')`;
const CLIENT = `const s = require('net').connect(${PORT}, '${OUTSIDE_IP}'); let d = '';
s.on('data', (c) => (d += c)); s.on('end', () => { process.stdout.write(d.trim()); process.exit(0); });
s.on('error', (e) => { console.error(e.message); process.exit(1); }); setTimeout(() => process.exit(2), 3000);`;

async function sourceSeen(pod: Netns): Promise<string> {
  return (await pod.exec(process.execPath, ['-e', CLIENT])).stdout;
}

for (const backend of ['legacy', 'nft'] as const) {
  describe(`NAT outgoing through the compiled nat table (${backend})`, { skip }, () => {
    let pod: Netns;
    let node: Netns;
    let outside: Netns;
    let driver: DataplaneDriver;
    let server: ChildProcess | undefined;

    before(async () => {
      pod = await Netns.create(`p${backend[0]}`);
      node = await Netns.create(`n${backend[0]}`);
      outside = await Netns.create(`o${backend[0]}`);
      const tag = `fxn${process.pid % 10000}${backend[0]}`;
      await veth(node, `${tag}p`, pod, `${tag}q`);
      await veth(node, `${tag}o`, outside, `${tag}r`);
      await node.exec('ip', ['addr', 'add', `${NODE_POD_SIDE}/24`, 'dev', `${tag}p`]);
      await node.exec('ip', ['addr', 'add', `${NODE_IP}/24`, 'dev', `${tag}o`]);
      await node.exec('sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1']);
      await pod.exec('ip', ['addr', 'add', `${POD_IP}/24`, 'dev', `${tag}q`]);
      await pod.exec('ip', ['route', 'add', 'default', 'via', NODE_POD_SIDE]);
      await outside.exec('ip', ['addr', 'add', `${OUTSIDE_IP}/24`, 'dev', `${tag}r`]);
      // A route back to the pool, so that un-NATed connections complete too and the server can say so.
      await outside.exec('ip', ['route', 'add', '10.65.0.0/16', 'via', NODE_IP]);
      server = spawn('ip', ['netns', 'exec', outside.name, process.execPath, '-e', SERVER], {
        stdio: 'ignore',
      });
      driver = new DataplaneDriver({
        compilerConfig: defaultCompilerConfig({ ipv6Support: false }),
        backend,
        ipv6: false,
        netns: node.name,
        minApplyIntervalMs: 20,
        refreshIntervalMs: 0,
      });
      await driver.start();
      // Without any rules the pod reaches the outside with its own address (the server is up).
      let seen = '';
      for (let i = 0; i < 50 && seen !== POD_IP; i++) {
        seen = (await pod.exec(process.execPath, ['-e', CLIENT], { reject: false })).stdout;
        if (seen !== POD_IP) await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(seen, POD_IP, 'baseline: the outside sees the pod address');
    });
    after(async () => {
      server?.kill('SIGKILL');
      await driver?.stop();
      for (const ns of [pod, node, outside]) await ns?.destroy();
    });

    test('a natOutgoing pool: the outside sees the node address; Felix hooks and MASQUERADE rule in the kernel', async () => {
      driver.onMessages([pool(true), { kind: 'inSync' }]);
      await driver.settled();
      assert.equal(await sourceSeen(pod), NODE_IP);
      const nat = (await save(node, backend, 'nat')).join('\n');
      assert.match(nat, /^-A PREROUTING -m comment --comment "cali:[\w-]+" -j cali-PREROUTING$/m);
      assert.match(nat, /^-A POSTROUTING -m comment --comment "cali:[\w-]+" -j cali-POSTROUTING$/m);
      assert.match(nat, /^-A OUTPUT -m comment --comment "cali:[\w-]+" -j cali-OUTPUT$/m);
      assert.match(
        nat,
        /^-A cali-nat-outgoing -m comment --comment "cali:[\w-]+" -m set --match-set cali40masq-ipam-pools src -m set ! --match-set cali40network-ip-pools dst -j MASQUERADE --random-fully$/m,
      );
      const sets = (await node.exec('ipset', ['save'])).stdout;
      assert.match(sets, /^add cali40masq-ipam-pools 10\.65\.0\.0\/16$/m);
      assert.match(sets, /^add cali40network-ip-pools 10\.65\.0\.0\/16$/m);
    });

    test('flipped live to natOutgoing false: the pod address again; and back on: the node address', async () => {
      driver.onMessages([pool(false)]);
      await driver.settled();
      assert.equal(await sourceSeen(pod), POD_IP);
      const sets = (await node.exec('ipset', ['save'])).stdout;
      assert.doesNotMatch(sets, /^add cali40masq-ipam-pools /m);
      assert.doesNotMatch((await save(node, backend, 'nat')).join('\n'), /MASQUERADE/);
      driver.onMessages([pool(true)]);
      await driver.settled();
      assert.equal(await sourceSeen(pod), NODE_IP);
    });

    test('the pool removed: no masquerading, the chains stay', async () => {
      driver.onMessages([{ kind: 'ipamPoolRemove', id: '10.65.0.0-16' }]);
      await driver.settled();
      assert.equal(await sourceSeen(pod), POD_IP);
      assert.match((await save(node, backend, 'nat')).join('\n'), /^:cali-nat-outgoing /m);
    });
  });
}
