// QoS controls end to end (issue 16 item 6): two "pod" namespaces joined by veths to a "node" namespace that
// forwards between them, with the host sides named like Calico workload interfaces, and the driver
// programming the compiled tables in the node. Pod A sends to pod B, so A's cali-fw- chain (egress limits)
// and B's cali-tw- chain (ingress limits) both see the traffic. A burst of datagrams above the packet rate
// is partly dropped by the "Drop packets over ... packet rate limit" rule, and the listener receives exactly
// the rest (counted, not timed); TCP connections above the connection limit are refused with a reset while
// the ones under it stay open. Both backends, root only.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { DataplaneDriver, runnerProcSys } from '../../rules/index.js';
import { ExecaRunner, netnsPrefix } from '../../rules/backend/runner.js';
import { defaultCompilerConfig } from '../../rules/compiler/index.js';
import type { QoSControls, ToDataplane } from '../../rules/dataplane-api/types.js';
import { Netns, isRoot, saveCmd, veth } from './netns.js';

const skip = isRoot ? false : 'needs root (network namespaces)';
const UDP_PORT = 9301;
const TCP_PORT = 9302;
const A = { node: '10.72.1.1', pod: '10.72.1.2' };
const B = { node: '10.72.2.1', pod: '10.72.2.2' };

// Pod B: a UDP listener printing one line per datagram, and a TCP server that holds every connection.
const serverJs = `const d = require('dgram').createSocket('udp4');
d.on('message', (m) => process.stdout.write('u ' + m.toString() + '\\n'));
const held = [];
const t = require('net').createServer((s) => { held.push(s); s.on('error', () => {}); });
d.bind(${UDP_PORT}, '${B.pod}', () => t.listen(${TCP_PORT}, '${B.pod}', () => process.stdout.write('ready\\n')));`;
// Pod A: n datagrams back to back from one socket.
const burstJs = (n: number, tag: string): string => `const s = require('dgram').createSocket('udp4');
let left = ${n};
for (let i = 0; i < ${n}; i++) s.send('${tag}-' + i, ${UDP_PORT}, '${B.pod}', () => { if (--left === 0) s.close(); });`;
// Pod A: n connections one after another, all held open until the last has its answer; prints the results.
const connectJs = (n: number): string => `const net = require('net');
const socks = []; const out = [];
(async () => {
  for (let i = 0; i < ${n}; i++) {
    out.push(await new Promise((res) => {
      const s = net.connect(${TCP_PORT}, '${B.pod}');
      socks.push(s);
      s.on('connect', () => res('ok'));
      s.on('error', (e) => res(e.code));
    }));
  }
  process.stdout.write(JSON.stringify(out));
  socks.forEach((s) => s.destroy());
})();`;

const PROFILE: ToDataplane = {
  kind: 'activeProfileUpdate',
  id: { name: 'kns.hq' },
  profile: { inboundRules: [{ action: 'allow' }], outboundRules: [{ action: 'allow' }] },
};

const ZERO: QoSControls = {
  ingressBandwidth: 0,
  egressBandwidth: 0,
  ingressBurst: 0,
  egressBurst: 0,
  ingressPacketRate: 0,
  egressPacketRate: 0,
  ingressMaxConnections: 0,
  egressMaxConnections: 0,
  ingressPeakrate: 0,
  egressPeakrate: 0,
  ingressMinburst: 0,
  egressMinburst: 0,
  ingressPacketBurst: 0,
  egressPacketBurst: 0,
};

for (const backend of ['legacy', 'nft'] as const) {
  describe(`QoS controls in the compiled filter table (${backend})`, { skip }, () => {
    let podA: Netns;
    let podB: Netns;
    let node: Netns;
    let driver: DataplaneDriver;
    let server: ChildProcess | undefined;
    let heard = '';
    const tag = `${process.pid % 1000}${backend[0]}`;
    const ifA = `caliqa${tag}`;
    const ifB = `caliqb${tag}`;

    const wep = (name: string, iface: string, ip: string, q: Partial<QoSControls>): ToDataplane => ({
      kind: 'workloadEndpointUpdate',
      id: { orchestratorId: 'k8s', workloadId: `hq/${name}`, endpointId: 'eth0' },
      endpoint: {
        state: 'active',
        name: iface,
        profileIds: ['kns.hq'],
        ipv4Nets: [`${ip}/32`],
        ipv6Nets: [],
        tiers: [],
        qosControls: { ...ZERO, ...q },
      },
    });
    const program = async (qa: Partial<QoSControls>, qb: Partial<QoSControls>): Promise<void> => {
      driver.onMessages([wep('a', ifA, A.pod, qa), wep('b', ifB, B.pod, qb)]);
      await driver.settled();
    };

    /** Packets counted by the rule of `chain` carrying `comment` (iptables-save -c). */
    async function counter(chain: string, comment: string): Promise<number> {
      const text = (await node.exec(saveCmd(backend), ['-c', '-t', 'filter'])).stdout;
      const line = text.split('\n').find((l) => l.includes(`-A ${chain} `) && l.includes(`"${comment}"`));
      assert.ok(line, `rule "${comment}" in ${chain}:\n${text}`);
      return Number(/^\[(\d+):\d+\]/.exec(line)?.[1]);
    }

    /** Datagrams of one burst the listener got, once it has as many as `want` (or after a bounded wait). */
    async function received(burst: string, want: number): Promise<number> {
      const count = (): number => heard.split('\n').filter((l) => l.startsWith(`u ${burst}-`)).length;
      for (let i = 0; i < 100 && count() < want; i++) await new Promise((r) => setTimeout(r, 20));
      // Anything still in flight would arrive now; the count must not move past the expected value.
      await new Promise((r) => setTimeout(r, 100));
      return count();
    }

    async function connections(n: number): Promise<string[]> {
      return JSON.parse((await podA.exec(process.execPath, ['-e', connectJs(n)])).stdout) as string[];
    }

    before(async () => {
      podA = await Netns.create(`a${tag}`, 'hq');
      podB = await Netns.create(`b${tag}`, 'hq');
      node = await Netns.create(`n${tag}`, 'hq');
      await node.exec('sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1']);
      for (const [pod, iface, ips, podIface] of [
        [podA, ifA, A, `hqpa${tag}`],
        [podB, ifB, B, `hqpb${tag}`],
      ] as const) {
        await veth(node, iface, pod, podIface);
        await node.exec('ip', ['addr', 'add', `${ips.node}/24`, 'dev', iface]);
        await pod.exec('ip', ['addr', 'add', `${ips.pod}/24`, 'dev', podIface]);
        await pod.exec('ip', ['route', 'add', 'default', 'via', ips.node]);
      }
      server = spawn('ip', ['netns', 'exec', podB.name, process.execPath, '-e', serverJs], {
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      server.stdout!.on('data', (c: Buffer) => (heard += c.toString()));
      for (let i = 0; i < 100 && !heard.includes('ready'); i++) await new Promise((r) => setTimeout(r, 50));
      assert.ok(heard.includes('ready'), 'servers up');
      const runner = new ExecaRunner({ prefix: netnsPrefix(node.name) });
      driver = new DataplaneDriver({
        compilerConfig: defaultCompilerConfig({ ipv6Support: false }),
        backend,
        ipv6: false,
        netns: node.name,
        runner,
        procSys: runnerProcSys(runner),
        minApplyIntervalMs: 20,
        refreshIntervalMs: 0,
      });
      await driver.start();
      driver.onMessages([PROFILE, wep('a', ifA, A.pod, {}), wep('b', ifB, B.pod, {}), { kind: 'inSync' }]);
      await driver.settled();
    });
    after(async () => {
      server?.kill('SIGKILL');
      await driver?.stop();
      for (const ns of [podA, podB, node]) await ns?.destroy();
    });

    test('without QoS controls a burst and many connections all get through', async () => {
      await podA.exec(process.execPath, ['-e', burstJs(30, 'free')]);
      assert.equal(await received('free', 30), 30);
      assert.deepEqual(await connections(4), ['ok', 'ok', 'ok', 'ok']);
    });

    test('egress packet rate: the burst above the limit is dropped in cali-fw-, the rest arrives', async () => {
      await program({ egressPacketRate: 1, egressPacketBurst: 3 }, {});
      const drop = 'Drop packets over egress packet rate limit';
      const before = await counter(`cali-fw-${ifA}`, drop);
      await podA.exec(process.execPath, ['-e', burstJs(40, 'egr')]);
      const dropped = (await counter(`cali-fw-${ifA}`, drop)) - before;
      assert.ok(dropped >= 1, `some of the burst dropped (${dropped})`);
      assert.ok(dropped < 40, 'the first packets (the burst allowance) pass');
      assert.equal(await received('egr', 40 - dropped), 40 - dropped, 'every packet not dropped arrives');
    });

    test('ingress packet rate: dropped in the receiving workload cali-tw- chain', async () => {
      await program({}, { ingressPacketRate: 1, ingressPacketBurst: 4 });
      const drop = 'Drop packets over ingress packet rate limit';
      const before = await counter(`cali-tw-${ifB}`, drop);
      await podA.exec(process.execPath, ['-e', burstJs(40, 'ingr')]);
      const dropped = (await counter(`cali-tw-${ifB}`, drop)) - before;
      assert.ok(dropped >= 1 && dropped < 40, `part of the burst dropped (${dropped})`);
      assert.equal(await received('ingr', 40 - dropped), 40 - dropped);
    });

    test('ingress max connections: connections above the limit are reset, the others stay open', async () => {
      await program({}, { ingressMaxConnections: 2 });
      const reject = 'Reject connections over ingress connection limit';
      const before = await counter(`cali-tw-${ifB}`, reject);
      assert.deepEqual(await connections(5), ['ok', 'ok', 'ECONNREFUSED', 'ECONNREFUSED', 'ECONNREFUSED']);
      assert.equal((await counter(`cali-tw-${ifB}`, reject)) - before, 3, 'three SYNs rejected');
    });

    test('egress max connections: applied in the sending workload cali-fw- chain', async () => {
      await program({ egressMaxConnections: 3 }, {});
      const reject = 'Reject connections over egress connection limit';
      const before = await counter(`cali-fw-${ifA}`, reject);
      assert.deepEqual(await connections(5), ['ok', 'ok', 'ok', 'ECONNREFUSED', 'ECONNREFUSED']);
      assert.equal((await counter(`cali-fw-${ifA}`, reject)) - before, 2);
      // Limits removed again: everything passes.
      await program({}, {});
      assert.deepEqual(await connections(5), ['ok', 'ok', 'ok', 'ok', 'ok']);
    });
  });
}
