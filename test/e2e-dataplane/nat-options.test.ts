// NAT options end to end (issue 12): NATOutgoingAddress with NATPortRange turns NAT outgoing into
// `SNAT --to-source <addr>:<range>` for tcp; the outside server reports the source address and port it
// saw, so the kernel's own translation is checked. Floating IPs: a connection from the outside to a
// workload's floating IP reaches the pod (cali-fip-dnat). Same pod/node/outside topology as
// nat-outgoing.test.ts. Root only.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { DataplaneDriver } from '../../rules/index.js';
import { defaultCompilerConfig } from '../../rules/compiler/index.js';
import type { ToDataplane } from '../../rules/dataplane-api/types.js';
import { Netns, isRoot, save, veth } from './netns.js';

const skip = isRoot ? false : 'needs root (network namespaces)';
const POD_IP = '10.66.0.2';
const NODE_POD_SIDE = '10.66.0.1';
const NODE_IP = '192.168.78.1';
const SNAT_IP = '192.168.78.3';
const OUTSIDE_IP = '192.168.78.2';
const FLOATING_IP = '192.168.78.50';
const PORT = 8080;

const POOL: ToDataplane = {
  kind: 'ipamPoolUpdate',
  id: '10.66.0.0-16',
  pool: { cidr: '10.66.0.0/16', masquerade: true, ipipMode: '', vxlanMode: '', allowedUses: [] },
};
const PROFILE: ToDataplane = {
  kind: 'activeProfileUpdate',
  id: { name: 'kns.opt' },
  profile: { inboundRules: [{ action: 'allow' }], outboundRules: [{ action: 'allow' }] },
};
const WEP: ToDataplane = {
  kind: 'workloadEndpointUpdate',
  id: { orchestratorId: 'k8s', workloadId: 'ns/pod', endpointId: 'eth0' },
  endpoint: {
    state: 'active',
    name: 'caliopt0',
    profileIds: ['kns.opt'],
    ipv4Nets: [`${POD_IP}/32`],
    ipv6Nets: [],
    tiers: [],
    ipv4Nat: [{ extIp: FLOATING_IP, intIp: POD_IP }],
  },
};

// A server that answers "<peer address> <peer port>".
const server = (ip: string): string =>
  `require('net').createServer((s) => s.end(s.remoteAddress + ' ' + s.remotePort + '\\n')).listen(${PORT}, '${ip}')`;
const client = (ip: string): string => `const s = require('net').connect(${PORT}, '${ip}'); let d = '';
s.on('data', (c) => (d += c)); s.on('end', () => { process.stdout.write(d.trim()); process.exit(0); });
s.on('error', (e) => { console.error(e.message); process.exit(1); }); setTimeout(() => process.exit(2), 3000);`;

for (const backend of ['legacy', 'nft'] as const) {
  describe(`NAT options in the kernel (${backend})`, { skip }, () => {
    let pod: Netns;
    let node: Netns;
    let outside: Netns;
    let driver: DataplaneDriver;
    const servers: ChildProcess[] = [];

    before(async () => {
      pod = await Netns.create(`po${backend[0]}`);
      node = await Netns.create(`no${backend[0]}`);
      outside = await Netns.create(`oo${backend[0]}`);
      const tag = `fxo${process.pid % 10000}${backend[0]}`;
      // The node's pod-side veth is named like a workload interface (cali-prefix), as on a real node.
      await veth(node, 'caliopt0', pod, `${tag}q`);
      await veth(node, `${tag}o`, outside, `${tag}r`);
      await node.exec('ip', ['addr', 'add', `${NODE_POD_SIDE}/24`, 'dev', 'caliopt0']);
      await node.exec('ip', ['addr', 'add', `${NODE_IP}/24`, 'dev', `${tag}o`]);
      await node.exec('ip', ['addr', 'add', `${SNAT_IP}/24`, 'dev', `${tag}o`]);
      await node.exec('sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1']);
      await pod.exec('ip', ['addr', 'add', `${POD_IP}/24`, 'dev', `${tag}q`]);
      await pod.exec('ip', ['route', 'add', 'default', 'via', NODE_POD_SIDE]);
      await outside.exec('ip', ['addr', 'add', `${OUTSIDE_IP}/24`, 'dev', `${tag}r`]);
      await outside.exec('ip', ['route', 'add', '10.66.0.0/16', 'via', NODE_IP]);
      await outside.exec('ip', ['route', 'add', `${FLOATING_IP}/32`, 'via', NODE_IP]);
      for (const [ns, ip] of [
        [outside, OUTSIDE_IP],
        [pod, POD_IP],
      ] as const)
        servers.push(
          spawn('ip', ['netns', 'exec', ns.name, process.execPath, '-e', server(ip)], { stdio: 'ignore' }),
        );
      driver = new DataplaneDriver({
        compilerConfig: defaultCompilerConfig({
          ipv6Support: false,
          natOutgoingAddress: SNAT_IP,
          natPortRange: { min: 40000, max: 40009 },
          floatingIPs: true,
          defaultEndpointToHostAction: 'ACCEPT',
        }),
        backend,
        ipv6: false,
        netns: node.name,
        minApplyIntervalMs: 20,
        refreshIntervalMs: 0,
      });
      await driver.start();
      // Wait for both servers.
      for (const [ns, ip] of [
        [pod, OUTSIDE_IP],
        [outside, POD_IP],
      ] as const) {
        let out = '';
        for (let i = 0; i < 50 && out === ''; i++) {
          out = (await ns.exec(process.execPath, ['-e', client(ip)], { reject: false })).stdout;
          if (out === '') await new Promise((r) => setTimeout(r, 100));
        }
        assert.notEqual(out, '', `server at ${ip} is up`);
      }
    });
    after(async () => {
      for (const s of servers) s.kill('SIGKILL');
      await driver?.stop();
      for (const ns of [pod, node, outside]) await ns?.destroy();
    });

    test('NATOutgoingAddress + NATPortRange: the outside sees the SNAT address and a port in the range', async () => {
      driver.onMessages([POOL, PROFILE, WEP, { kind: 'inSync' }]);
      await driver.settled();
      const nat = (await save(node, backend, 'nat')).join('\n');
      assert.match(
        nat,
        new RegExp(
          `^-A cali-nat-outgoing -p tcp .* -j SNAT --to-source ${SNAT_IP.replace(/\./g, '\\.')}:40000-40009 --random-fully$`,
          'm',
        ),
      );
      for (let i = 0; i < 3; i++) {
        const [addr, port] = (await pod.exec(process.execPath, ['-e', client(OUTSIDE_IP)])).stdout.split(' ');
        assert.equal(addr, SNAT_IP);
        const p = Number(port);
        assert.ok(p >= 40000 && p <= 40009, `source port ${p} in 40000-40009`);
      }
    });

    test('a floating IP: a connection from outside to it reaches the pod; once the endpoint drops it, nothing answers there', async () => {
      const nat = (await save(node, backend, 'nat')).join('\n');
      assert.match(
        nat,
        new RegExp(
          `^-A cali-fip-dnat .*-d ${FLOATING_IP.replace(/\./g, '\\.')}/32 .*-j DNAT --to-destination ${POD_IP.replace(/\./g, '\\.')}$`,
          'm',
        ),
      );
      const r = await outside.exec(process.execPath, ['-e', client(FLOATING_IP)], { reject: false });
      assert.equal(r.stdout.split(' ')[0], OUTSIDE_IP, 'the pod saw the outside client');
      // The same endpoint without its floating IP.
      if (WEP.kind !== 'workloadEndpointUpdate') throw new Error('unreachable');
      driver.onMessages([{ ...WEP, endpoint: { ...WEP.endpoint, ipv4Nat: [] } }]);
      await driver.settled();
      const gone = await outside.exec(process.execPath, ['-e', client(FLOATING_IP)], { reject: false });
      assert.notEqual(gone.exitCode, 0, 'no DNAT: nothing answers at the floating IP');
    });
  });
}
