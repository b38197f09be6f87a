// The overlay's host rules in the kernel (issue 14; docs/overlay-plan.md step 4), legacy and nft. A "node"
// namespace is programmed from a real CalcGraph fed IP pools (IPIP and VXLAN on) and Node resources, through
// compilerConfigFrom and the driver; a "remote" namespace plays two hosts on one link: 192.168.78.2 (a
// Calico node) and 192.168.78.3 (not one, until a test adds its Node).
// - IPIP: real protocol-4 packets (test/e2e-dataplane/ipip-tool, since the kernel may lack the ipip module)
//   from an address in cali40all-hosts-net reach a raw socket on the node; from any other address they hit
//   "Drop IPIP packets from non-Calico hosts" and never arrive.
// - VXLAN: real vxlan devices (VNI 42 from .2, 43 from .3): a ping through the tunnel works from an address in
//   cali40all-vxlan-net, and is dropped by "Drop IPv4 VXLAN packets from non-allowed hosts" from any other.
// - A Node added or removed changes exactly one member of each set, live.
// Felix v3.32.1: felix/rules/static.go filterInputChain, felix/dataplane/linux/ipset_hosts_mgr.go, vxlan_mgr.go.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataplaneDriver } from '../../rules/index.js';
import { CalcGraph } from '../../agent/calc/index.js';
import { loadConfig } from '../../agent/config/index.js';
import { compilerConfigFrom } from '../../agent/daemon/index.js';
import type { KVUpdate } from '../../syncer-client/api.js';
import { Netns, isRoot, save, saveCmd, veth, type Backend } from './netns.js';

const skip = isRoot ? false : 'needs root (network namespaces)';
const NODE_IP = '192.168.78.1';
const PEER = '192.168.78.2';
const STRANGER = '192.168.78.3';
const ALLOW_IPIP = 'Allow IPIP packets from Calico hosts';
const DROP_IPIP = 'Drop IPIP packets from non-Calico hosts';
const ALLOW_VXLAN = 'Allow IPv4 VXLAN packets from allowed hosts';
const DROP_VXLAN = 'Drop IPv4 VXLAN packets from non-allowed hosts';

/** Builds ipip-tool once per source hash (cached in the temp dir, like test/protocol/go-tool.ts). */
function ipipTool(): string {
  const src = fileURLToPath(new URL('../../../test/e2e-dataplane/ipip-tool', import.meta.url));
  const code = readFileSync(join(src, 'main.go'));
  const dir = join(
    tmpdir(),
    `felix-ts-ipiptool-${createHash('sha256').update(code).digest('hex').slice(0, 16)}`,
  );
  const bin = join(dir, 'ipip-tool');
  if (existsSync(bin)) return bin;
  mkdirSync(dir, { recursive: true });
  const cache = process.env.GOCACHE ?? join(tmpdir(), 'felix-ts-gocache');
  const tmp = join(dir, `ipip-tool.${process.pid}.tmp`);
  execFileSync('go', ['build', '-o', tmp, '.'], {
    cwd: src,
    env: { ...process.env, GO111MODULE: 'off', GOCACHE: cache, GOFLAGS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  renameSync(tmp, bin);
  return bin;
}

function kv(key: string, value: unknown): KVUpdate {
  return value === null
    ? { key, value: null, revision: '1', updateType: 3 }
    : { key, value: JSON.stringify(value), revision: '1', updateType: 1 };
}
const nodeKv = (name: string, ip: string | null, vxlanTunnel?: string): KVUpdate =>
  kv(
    `/calico/resources/v3/projectcalico.org/nodes/${name}`,
    ip === null
      ? null
      : { kind: 'Node', spec: { bgp: { ipv4Address: `${ip}/24` }, ipv4VXLANTunnelAddr: vxlanTunnel } },
  );
const POOLS = [
  kv('/calico/v1/ipam/v4/pool/10.65.0.0-16', { cidr: '10.65.0.0/16', ipip_mode: 'always', vxlan_mode: '' }),
  kv('/calico/v1/ipam/v4/pool/10.66.0.0-16', { cidr: '10.66.0.0/16', ipip_mode: '', vxlan_mode: 'always' }),
];

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

for (const backend of ['legacy', 'nft'] as const satisfies readonly Backend[]) {
  describe(`overlay host rules from Node resources (${backend})`, { skip }, () => {
    let node: Netns;
    let remote: Netns;
    let driver: DataplaneDriver;
    let listener: ChildProcess | undefined;
    let tool: string;
    const g = new CalcGraph({ hostname: 'me' });
    /** Outer sources of the IPIP packets the node's raw socket received. */
    const received: string[] = [];

    /** Packet counters of the cali-INPUT rules, by their comment. */
    async function counters(): Promise<Map<string, number>> {
      const out = new Map<string, number>();
      const r = await node.exec(saveCmd(backend), ['-c', '-t', 'filter']);
      for (const l of r.stdout.split('\n')) {
        const m = /^\[(\d+):\d+\] -A cali-INPUT .*--comment "([^"]+)"/.exec(l);
        if (m && !m[2]!.startsWith('cali:')) out.set(m[2]!, Number(m[1]));
      }
      return out;
    }

    /** Waits until one of the two rules counted the packet; returns the one that did (and exactly one packet). */
    async function decided(before: Map<string, number>, allow: string, drop: string): Promise<string> {
      for (let i = 0; i < 100; i++) {
        const now = await counters();
        const grew = [allow, drop].filter((c) => (now.get(c) ?? 0) > (before.get(c) ?? 0));
        if (grew.length > 0) {
          const total = [allow, drop].reduce((n, c) => n + (now.get(c) ?? 0) - (before.get(c) ?? 0), 0);
          assert.equal(total, 1, 'one packet, counted once');
          return grew[0]!;
        }
        await sleep(20);
      }
      return 'neither rule counted the packet';
    }

    /** One IPIP packet from `src`: accepted (the raw socket got it) or dropped (and never delivered). */
    async function ipipFrom(src: string): Promise<'accepted' | 'dropped'> {
      const seen = received.filter((s) => s === src).length;
      const before = await counters();
      await remote.exec(tool, ['send', src, NODE_IP]);
      const rule = await decided(before, ALLOW_IPIP, DROP_IPIP);
      if (rule === DROP_IPIP) {
        assert.equal(received.filter((s) => s === src).length, seen, 'a dropped packet is not delivered');
        return 'dropped';
      }
      assert.equal(rule, ALLOW_IPIP);
      for (let i = 0; i < 100 && received.filter((s) => s === src).length === seen; i++) await sleep(20);
      assert.equal(
        received.filter((s) => s === src).length,
        seen + 1,
        'the accepted packet reached the node',
      );
      return 'accepted';
    }

    /** A ping through the VXLAN tunnel of `src` (VNI 42 for PEER, 43 for STRANGER). */
    async function vxlanFrom(src: string): Promise<'accepted' | 'dropped'> {
      const inner = src === PEER ? '10.98.1.1' : '10.98.2.1';
      const before = await counters();
      const ping = await remote.exec('ping', ['-c', '1', '-W', '1', inner], { reject: false });
      const rule = await decided(before, ALLOW_VXLAN, DROP_VXLAN);
      assert.equal(ping.exitCode === 0, rule === ALLOW_VXLAN, `ping result agrees with ${rule}`);
      return rule === ALLOW_VXLAN ? 'accepted' : 'dropped';
    }

    async function members(set: string): Promise<string[]> {
      const r = await node.exec('ipset', ['save', set]);
      return r.stdout
        .split('\n')
        .filter((l) => l.startsWith(`add ${set} `))
        .map((l) => l.split(' ')[2]!)
        .sort();
    }

    async function apply(updates: KVUpdate[]): Promise<void> {
      g.onUpdates(updates);
      driver.onMessages(g.flush());
      await driver.settled();
    }

    before(async () => {
      tool = ipipTool();
      node = await Netns.create(`n${backend[0]}`, 'ho');
      remote = await Netns.create(`r${backend[0]}`, 'ho');
      const tag = `hov${process.pid % 10000}${backend[0]}`;
      await veth(node, `${tag}a`, remote, `${tag}b`);
      await node.exec('ip', ['addr', 'add', `${NODE_IP}/24`, 'dev', `${tag}a`]);
      for (const ip of [PEER, STRANGER])
        await remote.exec('ip', ['addr', 'add', `${ip}/24`, 'dev', `${tag}b`]);
      // No IPv6 (router solicitations, MLD) and no ARP through the tunnels: the only overlay packets are the
      // test's, so the rule counters say what happened to them.
      for (const ns of [node, remote])
        for (const k of ['all', 'default'])
          await ns.exec('sysctl', ['-q', '-w', `net.ipv6.conf.${k}.disable_ipv6=1`]);
      // One VXLAN tunnel per remote host, told apart by VNI on the node's shared port 4789.
      for (const [vni, ip, n] of [[42, PEER, 1] as const, [43, STRANGER, 2] as const]) {
        const dev = `hox${vni}`;
        const mac = (side: number): string => `02:00:00:00:${vni}:0${side}`;
        for (const [ns, side, local, remoteIp, link] of [
          [node, 1, NODE_IP, ip, `${tag}a`],
          [remote, 2, ip, NODE_IP, `${tag}b`],
        ] as const) {
          await ns.exec('ip', [
            'link',
            'add',
            dev,
            'address',
            mac(side),
            'type',
            'vxlan',
            'id',
            String(vni),
            'local',
            local,
            'remote',
            remoteIp,
            'dstport',
            '4789',
            'dev',
            link,
          ]);
          await ns.exec('ip', ['addr', 'add', `10.98.${n}.${side}/30`, 'dev', dev]);
          await ns.exec('ip', ['link', 'set', dev, 'up']);
          const peer = 3 - side;
          await ns.exec('ip', [
            'neigh',
            'replace',
            `10.98.${n}.${peer}`,
            'lladdr',
            mac(peer),
            'dev',
            dev,
            'nud',
            'permanent',
          ]);
        }
      }
      listener = spawn('ip', ['netns', 'exec', node.name, tool, 'recv', NODE_IP], {
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      let ready!: () => void;
      const listening = new Promise<void>((r) => (ready = r));
      let buf = '';
      listener.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        const lines = buf.split('\n');
        buf = lines.pop()!;
        for (const l of lines) {
          if (l === 'listening') ready();
          else received.push(l);
        }
      });
      await listening;
      // Baseline, no rules yet: both hosts' VXLAN pings work (the tunnels are up).
      for (const inner of ['10.98.1.1', '10.98.2.1']) {
        let ok = false;
        for (let i = 0; i < 20 && !ok; i++)
          ok = (await remote.exec('ping', ['-c', '1', '-W', '1', inner], { reject: false })).exitCode === 0;
        assert.ok(ok, `baseline ping ${inner}`);
      }
      g.onUpdates([...POOLS, nodeKv('me', NODE_IP, '10.66.0.1'), nodeKv('peer', PEER, '10.66.1.1')]);
      g.onStatus('in-sync');
      const cfg = loadConfig(
        {
          env: {
            FELIX_CONFIGFILE: '/nonexistent/felix.cfg',
            FELIX_FELIXHOSTNAME: 'me',
            FELIX_IPV6SUPPORT: 'false',
          },
        },
        {},
      ).config;
      driver = new DataplaneDriver({
        compilerConfig: compilerConfigFrom(cfg, g.overlay()),
        backend,
        ipv6: false,
        netns: node.name,
        minApplyIntervalMs: 20,
        refreshIntervalMs: 0,
      });
      await driver.start();
      driver.onMessages(g.flush());
      await driver.settled();
    });
    after(async () => {
      listener?.kill('SIGKILL');
      await driver?.stop();
      for (const ns of [node, remote]) await ns?.destroy();
    });

    test("Felix's overlay rules in cali-INPUT/cali-OUTPUT and the two sets from the Node resources", async () => {
      const filter = (await save(node, backend, 'filter')).join('\n');
      assert.match(
        filter,
        /^-A cali-INPUT -p (4|ipencap) -m comment --comment "cali:[\w-]+" -m comment --comment "Allow IPIP packets from Calico hosts" -m set --match-set cali40all-hosts-net src -m addrtype --dst-type LOCAL -j ACCEPT$/m,
      );
      assert.match(
        filter,
        /^-A cali-INPUT -p (4|ipencap) -m comment --comment "cali:[\w-]+" -m comment --comment "Drop IPIP packets from non-Calico hosts" -j DROP$/m,
      );
      assert.match(
        filter,
        /-m comment --comment "Allow IPIP packets to other Calico hosts" -m set --match-set cali40all-hosts-net dst -m addrtype --src-type LOCAL -j ACCEPT$/m,
      );
      assert.match(
        filter,
        /-m comment --comment "Drop IPv4 VXLAN packets from non-allowed hosts" -m multiport --dports 4789 -m addrtype --dst-type LOCAL -j DROP$/m,
      );
      // all-hosts-net: every node (this one too); all-vxlan-net: the other nodes with a VTEP.
      assert.deepEqual(await members('cali40all-hosts-net'), [NODE_IP, PEER]);
      assert.deepEqual(await members('cali40all-vxlan-net'), [PEER]);
    });

    test('IPIP and VXLAN from the Calico node are accepted; from the other address dropped', async () => {
      assert.equal(await ipipFrom(PEER), 'accepted');
      assert.equal(await ipipFrom(STRANGER), 'dropped');
      assert.equal(await vxlanFrom(PEER), 'accepted');
      assert.equal(await vxlanFrom(STRANGER), 'dropped');
    });

    test('a Node added: one more member in each set, and its traffic is accepted', async () => {
      await apply([nodeKv('other', STRANGER, '10.66.2.1')]);
      assert.deepEqual(await members('cali40all-hosts-net'), [NODE_IP, PEER, STRANGER]);
      assert.deepEqual(await members('cali40all-vxlan-net'), [PEER, STRANGER]);
      assert.equal(await ipipFrom(STRANGER), 'accepted');
      assert.equal(await vxlanFrom(STRANGER), 'accepted');
    });

    test('a Node removed: its member goes, the rest stay, and its traffic is dropped again', async () => {
      await apply([nodeKv('peer', null)]);
      assert.deepEqual(await members('cali40all-hosts-net'), [NODE_IP, STRANGER]);
      assert.deepEqual(await members('cali40all-vxlan-net'), [STRANGER]);
      assert.equal(await ipipFrom(PEER), 'dropped');
      assert.equal(await vxlanFrom(PEER), 'dropped');
      assert.equal(await ipipFrom(STRANGER), 'accepted');
    });
  });
}
