// kube-proxy IPVS mode end to end (issue 13 item 4), both backends, root only; IPv4, and IPv6 for the OUTPUT half. A "node" namespace
// with two pods on cali… veths (A: profile allows all; B: ingress allows only TCP 8080), a non-workload
// bridge carrying the node's host address, and felix-ts's InterfaceAwareDriver (the DataplaneDriver with its interface monitor)
// (`ip monitor` events). The driver starts without kube-ipvs0; the test then creates it (a bridge: this
// kernel has no dummy module) and removes it again, and every switch happens in the running driver.
//
// This kernel has no IPVS (CONFIG_IP_VS is off), so the two halves of an IPVS-forwarded connection are
// driven separately, each with real packets:
// - INPUT: pod A connects to a "service" address on kube-ipvs0 (not a host address: InterfaceExclude keeps
//   it out of this-host), to the node's host address, and to a NodePort on it. cali-forward-check marks the
//   first and the last with A's endpoint mark (cali-sm-…) and lets them in; the host address goes to
//   cali-wl-to-host and DefaultEndpointToHostAction drops it.
// - OUTPUT: IPVS sends the rewritten packet out through OUTPUT carrying the mark INPUT set. A rule of the
//   test's own in mangle OUTPUT gives a node-local connection to pod B that mark (A's, or the non-Calico
//   one), which is exactly what filter OUTPUT then sees. With IPVS support, B's ingress policy applies
//   (8081 dropped, 8080 allowed); without it (before kube-ipvs0, and after it is gone) host-to-pod traffic
//   is not policed, which is the hole Calico issue 2165 describes.
// this-host follows an address added to and removed from the bridge; one added to kube-ipvs0 stays out.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { InterfaceAwareDriver } from '../../rules/index.js';
import { defaultCompilerConfig } from '../../rules/compiler/index.js';
import type { ToDataplane } from '../../rules/dataplane-api/types.js';
import { Netns, iptCmd, isRoot, saveCmd, veth } from './netns.js';

const skip = isRoot ? false : 'needs root (network namespaces)';
const A = { node: '10.72.1.1', pod: '10.72.1.2' };
const B = { node: '10.72.2.1', pod: '10.72.2.2' };
const B6 = { node: 'fd72:2::1', pod: 'fd72:2::2' };
const HOST_IP6 = 'fd72:99::1';
const HOST_IP = '192.168.72.1';
const EXTRA_HOST_IP = '192.168.72.5';
const VIP = '10.96.0.10';
const EXTRA_VIP = '10.96.0.11';
const HOST_PORT = 9000;
const NODE_PORT = 30080;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, f: () => Promise<boolean>, ms = 10_000): Promise<void> {
  for (let t = 0; t < ms; t += 100) {
    if (await f()) return;
    await sleep(100);
  }
  assert.fail(`timed out waiting for ${what}`);
}

const allowAll: ToDataplane = {
  kind: 'activeProfileUpdate',
  id: { name: 'kns.hv' },
  profile: { inboundRules: [{ action: 'allow' }], outboundRules: [{ action: 'allow' }] },
};
const allow8080: ToDataplane = {
  kind: 'activePolicyUpdate',
  id: { kind: 'gnp', namespace: '', name: 'b-8080' },
  policy: {
    tier: 'default',
    inboundRules: [{ action: 'allow', protocol: { name: 'tcp' }, dstPorts: [{ first: 8080, last: 8080 }] }],
    outboundRules: [],
    originalSelector: "app == 'b'",
  },
};

function wep(name: string, ip: string, ingress: boolean, ip6?: string): ToDataplane {
  return {
    kind: 'workloadEndpointUpdate',
    id: { orchestratorId: 'k8s', workloadId: `hv/${name}`, endpointId: 'eth0' },
    endpoint: {
      state: 'active',
      name,
      profileIds: ['kns.hv'],
      ipv4Nets: [`${ip}/32`],
      ipv6Nets: ip6 ? [`${ip6}/128`] : [],
      tiers: ingress
        ? [
            {
              name: 'default',
              ingressPolicies: [{ kind: 'gnp', namespace: '', name: 'b-8080' }],
              egressPolicies: [],
            },
          ]
        : [],
    },
  };
}

for (const backend of ['legacy', 'nft'] as const) {
  describe(`kube-proxy IPVS mode (${backend})`, { skip }, () => {
    const tag = `${process.pid % 1000}${backend[0]}`;
    const ifA = `calia${tag}`;
    const ifB = `calib${tag}`;
    const bridge = `hvbr${tag}`;
    let node: Netns;
    let podA: Netns;
    let podB: Netns;
    let driver: InterfaceAwareDriver;
    const listeners: ChildProcess[] = [];

    const listen = (ns: Netns, port: number, v6 = false): void => {
      const nc = ['nc', ...(v6 ? ['-6'] : []), '-l', '-k', String(port)];
      listeners.push(spawn('ip', ['netns', 'exec', ns.name, ...nc], { stdio: 'ignore' }));
    };
    const connects = async (from: Netns, ip: string, port: number): Promise<boolean> =>
      (await from.exec('nc', ['-z', '-w', '1', ip, String(port)], { reject: false })).exitCode === 0;
    const filterSave = async (): Promise<string> =>
      (await node.exec(saveCmd(backend), ['-t', 'filter'])).stdout;
    const thisHost = async (family: 4 | 6 = 4): Promise<string[]> => {
      const r = await node.exec('ipset', ['list', `cali${family}0this-host`], { reject: false });
      return (
        r.stdout
          .split('Members:\n')[1]
          ?.split('\n')
          .filter((l) => l !== '') ?? []
      );
    };
    /** The mark cali-sm-<iface> sets, from the kernel. */
    const markOf = async (iface: string): Promise<string> => {
      const m = new RegExp(`^-A cali-sm-${iface} .*--set-xmark (0x[0-9a-f]+)/0xffe00000$`, 'm').exec(
        await filterSave(),
      );
      assert.ok(m, `cali-sm-${iface} sets a mark`);
      return m[1] as string;
    };
    /** Our stand-in for IPVS: node-local traffic to pod B carries `mark` in the endpoint bits. */
    const markToB = async (mark: string): Promise<void> => {
      for (const [f, ip] of [
        [4, B.pod],
        [6, B6.pod],
      ] as const) {
        await node.exec(iptCmd(backend, f), ['-t', 'mangle', '-F', 'OUTPUT']);
        const rule = ['-p', 'tcp', '-d', ip, '-j', 'MARK', '--set-mark', `${mark}/0xffe00000`];
        await node.exec(iptCmd(backend, f), ['-t', 'mangle', '-A', 'OUTPUT', ...rule]);
      }
    };
    const unmarkToB = async (): Promise<void> => {
      for (const f of [4, 6] as const) await node.exec(iptCmd(backend, f), ['-t', 'mangle', '-F', 'OUTPUT']);
    };

    before(async () => {
      node = await Netns.create(`n${tag}`, 'hv');
      podA = await Netns.create(`a${tag}`, 'hv');
      podB = await Netns.create(`b${tag}`, 'hv');
      await node.exec('sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1']);
      for (const [pod, iface, ips] of [
        [podA, ifA, A],
        [podB, ifB, B],
      ] as const) {
        await veth(node, iface, pod, 'eth0');
        await node.exec('ip', ['addr', 'add', `${ips.node}/24`, 'dev', iface]);
        await pod.exec('ip', ['addr', 'add', `${ips.pod}/24`, 'dev', 'eth0']);
        await pod.exec('ip', ['route', 'add', 'default', 'via', ips.node]);
      }
      // IPv6 for pod B only: the OUTPUT half in the second family (addresses usable at once: nodad).
      await node.exec('ip', ['addr', 'add', `${B6.node}/64`, 'dev', ifB, 'nodad']);
      await podB.exec('ip', ['addr', 'add', `${B6.pod}/64`, 'dev', 'eth0', 'nodad']);
      await podB.exec('ip', ['-6', 'route', 'add', 'default', 'via', B6.node]);
      await node.exec('ip', ['link', 'add', bridge, 'type', 'bridge']);
      await node.exec('ip', ['addr', 'add', `${HOST_IP}/24`, 'dev', bridge]);
      await node.exec('ip', ['addr', 'add', `${HOST_IP6}/64`, 'dev', bridge, 'nodad']);
      await node.exec('ip', ['link', 'set', bridge, 'up']);
      listen(podB, 8080);
      listen(podB, 8081);
      listen(podB, 8080, true);
      listen(podB, 8081, true);
      listen(node, HOST_PORT);
      listen(node, NODE_PORT);
      await until(
        'listeners',
        async () =>
          (await connects(podA, B.pod, 8081)) &&
          (await connects(node, B6.pod, 8081)) &&
          (await connects(podA, HOST_IP, HOST_PORT)),
      );
      driver = new InterfaceAwareDriver({
        compilerConfig: defaultCompilerConfig({ ipv6Support: true }),
        backend,
        ipv6: true,
        netns: node.name,
        minApplyIntervalMs: 20,
        refreshIntervalMs: 0,
        hostInterfaces: { resyncMs: 0, events: true },
      });
      await driver.start();
      driver.onMessages([
        allowAll,
        allow8080,
        wep(ifA, A.pod, false),
        wep(ifB, B.pod, true, B6.pod),
        { kind: 'inSync' },
      ]);
      await driver.settled();
    });
    after(async () => {
      for (const l of listeners) l.kill('SIGKILL');
      await driver?.stop();
      for (const ns of [podA, podB, node]) await ns?.destroy();
    });

    test('without kube-ipvs0: no IPVS chains, this-host holds the host addresses, host-to-pod is not policed', async () => {
      const text = await filterSave();
      assert.doesNotMatch(text, /cali-forward-check/);
      assert.deepEqual((await thisHost()).sort(), ['127.0.0.0', '127.0.0.1', HOST_IP]);
      assert.equal(await connects(podA, B.pod, 8080), true, 'forwarded A -> B:8080 allowed');
      assert.equal(await connects(podA, B.pod, 8081), false, "forwarded A -> B:8081 denied by B's ingress");
      assert.equal(
        await connects(podA, HOST_IP, HOST_PORT),
        false,
        'pod -> host dropped (DefaultEndpointToHostAction)',
      );
      await markToB('0x400000');
      assert.equal(
        await connects(node, B.pod, 8081),
        true,
        'marked (IPVS-forwarded) traffic skips B ingress',
      );
    });

    test('kube-ipvs0 appears: the IPVS chains are programmed live and police the endpoint-mark path', async () => {
      const applies = driver.applyCount;
      await node.exec('ip', ['link', 'add', 'kube-ipvs0', 'type', 'bridge']);
      await node.exec('ip', ['addr', 'add', `${VIP}/32`, 'dev', 'kube-ipvs0']);
      await until('cali-forward-check', async () => /^:cali-forward-check /m.test(await filterSave()));
      await driver.settled();
      assert.ok(driver.applyCount > applies, 'the same driver applied again (no restart)');
      const text = await filterSave();
      for (const c of [
        'cali-forward-endpoint-mark',
        'cali-set-endpoint-mark',
        'cali-from-endpoint-mark',
        `cali-sm-${ifA}`,
      ])
        assert.match(text, new RegExp(`^:${c} `, 'm'));
      assert.match(text, /^-A cali-INPUT .*-j cali-forward-check$/m);
      assert.match(
        text,
        /^-A cali-OUTPUT .*-m mark ! --mark 0x0\/0xffe00000 -g cali-forward-endpoint-mark$/m,
      );
      // kube-ipvs0's service address is not a host address.
      await sleep(300);
      assert.ok(!(await thisHost()).includes(VIP), 'the VIP is not in this-host');

      // OUTPUT half: A's mark, then the non-Calico mark, on node-local traffic to B.
      await markToB(await markOf(ifA));
      assert.equal(await connects(node, B.pod, 8080), true, 'IPVS-forwarded from A to B:8080 allowed');
      assert.equal(
        await connects(node, B.pod, 8081),
        false,
        'IPVS-forwarded from A to B:8081 dropped by B ingress',
      );
      await markToB('0x200000');
      assert.equal(
        await connects(node, B.pod, 8081),
        false,
        'from outside Calico (non-Cali mark): dropped too',
      );
      assert.equal(await connects(node, B.pod, 8080), true, 'from outside Calico to 8080: allowed');
      await unmarkToB();
      assert.equal(
        await connects(node, B.pod, 8081),
        true,
        'unmarked host traffic to a pod is still not policed',
      );
    });

    test('INPUT half: service addresses and NodePorts are treated as forwarded and get the endpoint mark', async () => {
      const smCount = async (): Promise<number> => {
        const t = (await node.exec(saveCmd(backend), ['-c', '-t', 'filter'])).stdout;
        const m = new RegExp(`^\\[(\\d+):\\d+\\] -A cali-sm-${ifA} `, 'm').exec(t);
        return Number(m?.[1] ?? -1);
      };
      const before = await smCount();
      assert.equal(await connects(podA, VIP, HOST_PORT), true, 'A -> service address: forwarded, accepted');
      assert.ok((await smCount()) > before, "A's endpoint mark was set");
      assert.equal(
        await connects(podA, HOST_IP, NODE_PORT),
        true,
        'A -> NodePort on the host address: forwarded',
      );
      assert.equal(
        await connects(podA, HOST_IP, HOST_PORT),
        false,
        'A -> host address, other port: to host, dropped',
      );
      assert.equal(await connects(podA, B.pod, 8081), false, 'the FORWARD path still denies');
    });

    test('this-host follows addresses: added to the bridge it is a host address, on kube-ipvs0 it is not', async () => {
      await node.exec('ip', ['addr', 'add', `${EXTRA_HOST_IP}/32`, 'dev', bridge]);
      await until('the new host address in this-host', async () =>
        (await thisHost()).includes(EXTRA_HOST_IP),
      );
      assert.equal(await connects(podA, EXTRA_HOST_IP, HOST_PORT), false, 'a host address: to host, dropped');
      await node.exec('ip', ['addr', 'add', `${EXTRA_VIP}/32`, 'dev', 'kube-ipvs0']);
      assert.equal(await connects(podA, EXTRA_VIP, HOST_PORT), true, 'a new service address: forwarded');
      assert.ok(!(await thisHost()).includes(EXTRA_VIP));
      await node.exec('ip', ['addr', 'del', `${EXTRA_HOST_IP}/32`, 'dev', bridge]);
      await until('the address gone from this-host', async () => !(await thisHost()).includes(EXTRA_HOST_IP));
      assert.deepEqual((await thisHost()).sort(), ['127.0.0.0', '127.0.0.1', HOST_IP]);
    });

    test('kube-ipvs0 goes: the IPVS chains go with it, live', async () => {
      await node.exec('ip', ['link', 'del', 'kube-ipvs0']);
      await until('cali-forward-check gone', async () => !/cali-forward-check/.test(await filterSave()));
      await driver.settled();
      const text = await filterSave();
      assert.doesNotMatch(text, /cali-sm-|cali-set-endpoint-mark|cali-forward-endpoint-mark/);
      await markToB('0x400000');
      assert.equal(await connects(node, B.pod, 8081), true, 'back to iptables-mode behaviour');
      assert.equal(await connects(node, B6.pod, 8081), true, 'IPv6 too');
      assert.doesNotMatch(
        (await node.exec(saveCmd(backend, 6), ['-t', 'filter'])).stdout,
        /cali-forward-check/,
      );
      assert.equal(await connects(podA, B.pod, 8081), false, 'FORWARD still denies');
    });
  });
}
