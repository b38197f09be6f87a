// Service-based policy with real packets (issue 13): a "node" namespace routes between three pod
// namespaces joined by veths named like Calico workload interfaces. The calculation graph gets the
// syncer's KVs (pods, a profile, a policy whose egress allows only Service default/web, the
// Service's EndpointSlice); its output goes to the driver, which programs the node. The client
// reaches the Service's backend on the Service port and nothing else; adding the second backend
// to the slice admits it live (an IP set delta, no iptables change, no restart); a Service in
// another namespace and one that does not exist yet behave as Felix's; a BGP-advertised service CIDR
// is blocked in cali-cidr-block (service loop prevention). Both backends, root only.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { CalcGraph } from '../../agent/calc/index.js';
import { DataplaneDriver, runnerProcSys } from '../../rules/index.js';
import { ExecaRunner, netnsPrefix } from '../../rules/backend/runner.js';
import { defaultCompilerConfig } from '../../rules/compiler/index.js';
import type { KVUpdate } from '../../syncer-client/api.js';
import { kv } from '../unit/agent/calc/fake-dataplane.js';
import { DEFAULT_TIERS, nsProfile } from '../unit/agent/calc/fixtures.js';
import { Netns, isRoot, saveCmd, veth } from './netns.js';

const skip = isRoot ? false : 'needs root (network namespaces)';
const HOST = 'node-1';
const SVC_PORT = 8080;
const OTHER_PORT = 9090;
const SLICES = '/calico/resources/v3/projectcalico.org/kubernetesendpointslices';

interface Pod {
  readonly name: string;
  readonly ns: string;
  readonly ip: string;
  readonly gw: string;
  readonly labels: Record<string, string>;
}

function wepKv(p: Pod, iface: string): KVUpdate {
  return kv(`/calico/v1/host/${HOST}/workload/k8s/${p.ns}%2f${p.name}/endpoint/eth0`, {
    state: 'active',
    name: iface,
    mac: 'ee:ee:ee:ee:ee:ee',
    profile_ids: [`kns.${p.ns}`],
    ipv4_nets: [`${p.ip}/32`],
    labels: { ...p.labels, 'projectcalico.org/namespace': p.ns, 'projectcalico.org/orchestrator': 'k8s' },
  });
}

function sliceKv(ns: string, name: string, svc: string, addrs: readonly string[]): KVUpdate {
  return kv(`${SLICES}/${ns}/${name}`, {
    kind: 'EndpointSlice',
    apiVersion: 'discovery.k8s.io/v1',
    metadata: { name, namespace: ns, labels: { 'kubernetes.io/service-name': svc } },
    addressType: 'IPv4',
    endpoints: addrs.map((a) => ({ addresses: [a], conditions: { ready: true } })),
    ports: [{ name: 'http', protocol: 'TCP', port: SVC_PORT }],
  });
}

/** The client's egress: allowed only to the Service's endpoints (Calico's `destination.services`). */
function egressPolicy(svc: string, svcNs: string): KVUpdate {
  return kv('/calico/v1/policy/GlobalNetworkPolicy//client-egress', {
    tier: 'default',
    selector: "app == 'client'",
    types: ['egress'],
    outbound_rules: [{ action: 'allow', dst_service: svc, dst_service_ns: svcNs }],
  });
}

for (const backend of ['legacy', 'nft'] as const) {
  describe(`service-based policy with real packets (${backend})`, { skip }, () => {
    const tag = `${process.pid % 10000}${backend[0]}`;
    const oct = backend === 'legacy' ? 82 : 83;
    const pods: Pod[] = [
      { name: 'client', ns: 'default', ip: `10.${oct}.1.2`, gw: `10.${oct}.1.1`, labels: { app: 'client' } },
      { name: 'web-a', ns: 'default', ip: `10.${oct}.2.2`, gw: `10.${oct}.2.1`, labels: { app: 'web' } },
      { name: 'web-b', ns: 'default', ip: `10.${oct}.3.2`, gw: `10.${oct}.3.1`, labels: { app: 'web' } },
    ];
    const [, webA, webB] = pods as [Pod, Pod, Pod];
    const ifaces = pods.map((_, i) => `calihs${tag}${i}`);
    let node: Netns;
    const podNs: Netns[] = [];
    const listeners: ChildProcess[] = [];
    let driver: DataplaneDriver;
    let calc: CalcGraph;

    /** Feeds KVs to the calc and its output to the driver; returns the messages. */
    async function push(kvs: KVUpdate[]) {
      calc.onUpdates(kvs);
      const out = calc.flush();
      driver.onMessages(out);
      await driver.settled();
      return out;
    }

    async function connects(to: Pod, port: number): Promise<boolean> {
      const r = await podNs[0]!.exec('nc', ['-z', '-w', '1', to.ip, String(port)], { reject: false });
      return r.exitCode === 0;
    }

    before(async () => {
      node = await Netns.create(`n${tag}`, 'hs');
      await node.exec('sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1']);
      for (const [i, p] of pods.entries()) {
        const ns = await Netns.create(`p${i}${tag}`, 'hs');
        podNs.push(ns);
        const podIf = `hsp${tag}${i}`;
        await veth(node, ifaces[i]!, ns, podIf);
        await node.exec('ip', ['addr', 'add', `${p.gw}/24`, 'dev', ifaces[i]!]);
        await ns.exec('ip', ['addr', 'add', `${p.ip}/24`, 'dev', podIf]);
        await ns.exec('ip', ['route', 'add', 'default', 'via', p.gw]);
        if (i === 0) continue;
        for (const port of [SVC_PORT, OTHER_PORT]) {
          listeners.push(
            spawn('ip', ['netns', 'exec', ns.name, 'nc', '-l', '-k', p.ip, String(port)], {
              stdio: 'ignore',
            }),
          );
        }
      }
      // Without rules every flow passes (the topology really routes).
      for (const to of [webA, webB])
        for (const port of [SVC_PORT, OTHER_PORT]) {
          let ok = false;
          for (let t = 0; t < 40 && !ok; t++) {
            ok = await connects(to, port);
            if (!ok) await new Promise((r) => setTimeout(r, 50));
          }
          assert.ok(ok, `baseline ${to.name}:${port}`);
        }
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
      calc = new CalcGraph({ hostname: HOST });
    });
    after(async () => {
      for (const l of listeners) l.kill('SIGKILL');
      await driver?.stop();
      for (const ns of [...podNs, node]) await ns?.destroy();
    });

    test('egress allowed only to Service default/web: its endpoint on its port passes, everything else is dropped', async () => {
      calc.onUpdates([
        ...DEFAULT_TIERS,
        ...nsProfile('default'),
        ...pods.map((p, i) => wepKv(p, ifaces[i]!)),
        egressPolicy('web', 'default'),
        sliceKv('default', 'web-x1', 'web', [webA.ip]),
      ]);
      calc.onStatus('in-sync');
      await push([]);
      const sets = (await node.exec('ipset', ['save'])).stdout;
      assert.match(sets, /^create cali40svc:\S+ hash:ip,port family inet /m);
      assert.match(
        sets,
        new RegExp(`^add cali40svc:\\S+ ${webA.ip.replace(/\./g, '\\.')},tcp:${SVC_PORT}$`, 'm'),
      );
      const filter = (await node.exec(saveCmd(backend), ['-t', 'filter'])).stdout;
      assert.match(filter, /-m set --match-set cali40svc:\S+ dst,dst/);
      assert.equal(await connects(webA, SVC_PORT), true, 'endpoint on the Service port');
      assert.equal(await connects(webA, OTHER_PORT), false, 'endpoint on another port');
      assert.equal(await connects(webB, SVC_PORT), false, 'not an endpoint of the Service');
    });

    test('an endpoint added to the slice is admitted live: one IP set delta, no iptables change', async () => {
      const filterBefore = driver.lastRestoreInputs().get('ipv4/filter');
      const out = await push([sliceKv('default', 'web-x1', 'web', [webA.ip, webB.ip])]);
      assert.deepEqual(
        out.map((m) => m.kind),
        ['ipsetDeltaUpdate'],
      );
      assert.equal(driver.lastRestoreInputs().get('ipv4/filter'), filterBefore, 'iptables not rewritten');
      assert.equal(await connects(webB, SVC_PORT), true, 'new endpoint admitted');
      assert.equal(await connects(webB, OTHER_PORT), false, 'still only on the Service port');
      // Scaled down again: the removed endpoint is refused again.
      await push([sliceKv('default', 'web-x1', 'web', [webB.ip])]);
      assert.equal(await connects(webA, SVC_PORT), false, 'removed endpoint refused');
      assert.equal(await connects(webB, SVC_PORT), true);
    });

    test('a Service in another namespace that does not exist yet: nothing allowed until its slice appears', async () => {
      await push([egressPolicy('web', 'shop')]);
      assert.equal(await connects(webB, SVC_PORT), false, 'default/web no longer selected');
      assert.equal(await connects(webA, SVC_PORT), false);
      await push([sliceKv('shop', 'web-y1', 'web', [webA.ip])]);
      assert.equal(await connects(webA, SVC_PORT), true, 'shop/web endpoint admitted once it exists');
      assert.equal(await connects(webB, SVC_PORT), false);
      // The slice deleted: the set empties, the rule matches nothing again.
      await push([kv(`${SLICES}/shop/web-y1`, null)]);
      assert.equal(await connects(webA, SVC_PORT), false);
    });
    test('service loop prevention: forwarded traffic to a BGP-advertised service CIDR is dropped in cali-cidr-block', async () => {
      // A "service IP" that kube-proxy did not DNAT: the node routes the CIDR on to web-a, which answers it.
      const svcIp = `10.${oct + 10}.0.10`;
      const cidr = `10.${oct + 10}.0.0/16`;
      await podNs[1]!.exec('ip', ['addr', 'add', `${svcIp}/32`, 'dev', `hsp${tag}1`]);
      await node.exec('ip', ['route', 'add', cidr, 'via', webA.ip]);
      listeners.push(
        spawn('ip', ['netns', 'exec', podNs[1]!.name, 'nc', '-l', '-k', svcIp, String(SVC_PORT)], {
          stdio: 'ignore',
        }),
      );
      const toSvcIp = async () =>
        (await podNs[0]!.exec('nc', ['-z', '-w', '1', svcIp, String(SVC_PORT)], { reject: false }))
          .exitCode === 0;
      const bgpKey = '/calico/resources/v3/projectcalico.org/bgpconfigurations/default';
      // The client may send there (the policy allows the CIDR); nothing blocks it yet.
      await push([
        kv('/calico/v1/policy/GlobalNetworkPolicy//client-egress', {
          tier: 'default',
          selector: "app == 'client'",
          types: ['egress'],
          outbound_rules: [{ action: 'allow', dst_net: cidr }],
        }),
      ]);
      let ok = false;
      for (let t = 0; t < 40 && !ok; t++) {
        ok = await toSvcIp();
        if (!ok) await new Promise((r) => setTimeout(r, 50));
      }
      assert.ok(ok, 'reachable without a BGPConfiguration');
      const out = await push([
        kv(bgpKey, {
          kind: 'BGPConfiguration',
          metadata: { name: 'default' },
          spec: { serviceClusterIPs: [{ cidr }] },
        }),
      ]);
      assert.deepEqual(
        out.map((m) => m.kind),
        ['globalBgpConfigUpdate'],
      );
      const filter = (await node.exec(saveCmd(backend), ['-c', '-t', 'filter'])).stdout;
      assert.match(filter, new RegExp(`-A cali-cidr-block -d ${cidr.replace(/\./g, '\\.')} .*-j DROP`));
      assert.equal(await toSvcIp(), false, 'dropped by cali-cidr-block');
      const counted = (await node.exec(saveCmd(backend), ['-c', '-t', 'filter'])).stdout;
      const m = /^\[(\d+):\d+\] -A cali-cidr-block .*-j DROP$/m.exec(counted);
      assert.ok(m && Number(m[1]) >= 1, 'the DROP rule counted the packet');
      // The BGPConfiguration deleted: the chain empties and the traffic flows again.
      await push([kv(bgpKey, null)]);
      assert.doesNotMatch(
        (await node.exec(saveCmd(backend), ['-t', 'filter'])).stdout,
        /^-A cali-cidr-block /m,
      );
      assert.equal(await toSvcIp(), true, 'reachable again');
    });
  });
}
