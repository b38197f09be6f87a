// Service-based policy with real packets (issue 13): a "node" namespace routes between three pod
// namespaces joined by veths named like Calico workload interfaces. The calculation graph gets the
// syncer's KVs (pods, a profile, a policy whose egress allows only Service default/web, the
// Service's EndpointSlice); its output goes to the driver, which programs the node. The client
// reaches the Service's backend on the Service port and nothing else; adding the second backend
// to the slice admits it live (an IP set delta, no iptables change, no restart); a Service in
// another namespace and one that does not exist yet behave as Felix's; a BGP-advertised service CIDR
// is blocked in cali-cidr-block (service loop prevention). Both backends, IPv4 and IPv6, root only.
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

/** One IP family's addressing: pod i is host 2 of subnet i+1, the node's side host 1. */
interface Fam {
  readonly family: 4 | 6;
  readonly pod: (oct: number, subnet: number, host: number) => string;
  readonly plen: number;
  readonly host: number;
  /** A service CIDR and an address in it, for loop prevention. */
  readonly svcCidr: (oct: number) => string;
  readonly svcIp: (oct: number) => string;
}
const V4: Fam = {
  family: 4,
  pod: (o, s, h) => `10.${o}.${s}.${h}`,
  plen: 24,
  host: 32,
  svcCidr: (o) => `10.${o + 10}.0.0/16`,
  svcIp: (o) => `10.${o + 10}.0.10`,
};
const V6: Fam = {
  family: 6,
  pod: (o, s, h) => `fd${o}:${s}::${h}`,
  plen: 64,
  host: 128,
  svcCidr: (o) => `fd${o + 10}::/64`,
  svcIp: (o) => `fd${o + 10}::a`,
};

function wepKv(p: Pod, iface: string, f: Fam): KVUpdate {
  return kv(`/calico/v1/host/${HOST}/workload/k8s/${p.ns}%2f${p.name}/endpoint/eth0`, {
    state: 'active',
    name: iface,
    mac: 'ee:ee:ee:ee:ee:ee',
    profile_ids: [`kns.${p.ns}`],
    ipv4_nets: f.family === 4 ? [`${p.ip}/32`] : [],
    ipv6_nets: f.family === 6 ? [`${p.ip}/128`] : [],
    labels: { ...p.labels, 'projectcalico.org/namespace': p.ns, 'projectcalico.org/orchestrator': 'k8s' },
  });
}

function sliceKv(ns: string, name: string, svc: string, addrs: readonly string[], f: Fam): KVUpdate {
  return kv(`${SLICES}/${ns}/${name}`, {
    kind: 'EndpointSlice',
    apiVersion: 'discovery.k8s.io/v1',
    metadata: { name, namespace: ns, labels: { 'kubernetes.io/service-name': svc } },
    addressType: f.family === 4 ? 'IPv4' : 'IPv6',
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

for (const [backend, f] of [
  ['legacy', V4],
  ['nft', V4],
  ['legacy', V6],
  ['nft', V6],
] as const) {
  describe(`service-based policy with real packets (${backend}, IPv${f.family})`, { skip }, () => {
    const tag = `${process.pid % 1000}${backend[0]}${f.family}`;
    const oct = backend === 'legacy' ? 82 : 83;
    const names = ['client', 'web-a', 'web-b'];
    const pods: Pod[] = names.map((name, i) => ({
      name,
      ns: 'default',
      ip: f.pod(oct, i + 1, 2),
      gw: f.pod(oct, i + 1, 1),
      labels: { app: i === 0 ? 'client' : 'web' },
    }));
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
      await node.exec('sysctl', ['-q', '-w', 'net.ipv6.conf.all.forwarding=1']);
      // IPv6 addresses without duplicate address detection, so they are usable at once.
      const nodad = f.family === 6 ? ['nodad'] : [];
      for (const [i, p] of pods.entries()) {
        const ns = await Netns.create(`p${i}${tag}`, 'hs');
        podNs.push(ns);
        const podIf = `hsp${tag}${i}`;
        await veth(node, ifaces[i]!, ns, podIf);
        await node.exec('ip', ['addr', 'add', `${p.gw}/${f.plen}`, 'dev', ifaces[i]!, ...nodad]);
        await ns.exec('ip', ['addr', 'add', `${p.ip}/${f.plen}`, 'dev', podIf, ...nodad]);
        await ns.exec('ip', [`-${f.family}`, 'route', 'add', 'default', 'via', p.gw]);
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
        compilerConfig: defaultCompilerConfig({ ipv6Support: f.family === 6 }),
        backend,
        ipv6: f.family === 6,
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
        ...pods.map((p, i) => wepKv(p, ifaces[i]!, f)),
        egressPolicy('web', 'default'),
        sliceKv('default', 'web-x1', 'web', [webA.ip], f),
      ]);
      calc.onStatus('in-sync');
      await push([]);
      const sets = (await node.exec('ipset', ['save'])).stdout;
      const inet = f.family === 4 ? 'inet' : 'inet6';
      assert.match(sets, new RegExp(`^create cali${f.family}0svc:\\S+ hash:ip,port family ${inet} `, 'm'));
      assert.match(
        sets,
        new RegExp(`^add cali${f.family}0svc:\\S+ ${webA.ip.replace(/\./g, '\\.')},tcp:${SVC_PORT}$`, 'm'),
      );
      const filter = (await node.exec(saveCmd(backend, f.family), ['-t', 'filter'])).stdout;
      assert.match(filter, new RegExp(`-m set --match-set cali${f.family}0svc:\\S+ dst,dst`));
      assert.equal(await connects(webA, SVC_PORT), true, 'endpoint on the Service port');
      assert.equal(await connects(webA, OTHER_PORT), false, 'endpoint on another port');
      assert.equal(await connects(webB, SVC_PORT), false, 'not an endpoint of the Service');
    });

    test('an endpoint added to the slice is admitted live: one IP set delta, no iptables change', async () => {
      const filterBefore = driver.lastRestoreInputs().get(`ipv${f.family}/filter`);
      const out = await push([sliceKv('default', 'web-x1', 'web', [webA.ip, webB.ip], f)]);
      assert.deepEqual(
        out.map((m) => m.kind),
        ['ipsetDeltaUpdate'],
      );
      assert.equal(
        driver.lastRestoreInputs().get(`ipv${f.family}/filter`),
        filterBefore,
        'iptables not rewritten',
      );
      assert.equal(await connects(webB, SVC_PORT), true, 'new endpoint admitted');
      assert.equal(await connects(webB, OTHER_PORT), false, 'still only on the Service port');
      // Scaled down again: the removed endpoint is refused again.
      await push([sliceKv('default', 'web-x1', 'web', [webB.ip], f)]);
      assert.equal(await connects(webA, SVC_PORT), false, 'removed endpoint refused');
      assert.equal(await connects(webB, SVC_PORT), true);
    });

    test('a Service in another namespace that does not exist yet: nothing allowed until its slice appears', async () => {
      await push([egressPolicy('web', 'shop')]);
      assert.equal(await connects(webB, SVC_PORT), false, 'default/web no longer selected');
      assert.equal(await connects(webA, SVC_PORT), false);
      await push([sliceKv('shop', 'web-y1', 'web', [webA.ip], f)]);
      assert.equal(await connects(webA, SVC_PORT), true, 'shop/web endpoint admitted once it exists');
      assert.equal(await connects(webB, SVC_PORT), false);
      // The slice deleted: the set empties, the rule matches nothing again.
      await push([kv(`${SLICES}/shop/web-y1`, null)]);
      assert.equal(await connects(webA, SVC_PORT), false);
    });
    test('service loop prevention: forwarded traffic to a BGP-advertised service CIDR is dropped in cali-cidr-block', async () => {
      // A "service IP" that kube-proxy did not DNAT: the node routes the CIDR on to web-a, which answers it.
      const svcIp = f.svcIp(oct);
      const cidr = f.svcCidr(oct);
      const nodad = f.family === 6 ? ['nodad'] : [];
      await podNs[1]!.exec('ip', ['addr', 'add', `${svcIp}/${f.host}`, 'dev', `hsp${tag}1`, ...nodad]);
      await node.exec('ip', [`-${f.family}`, 'route', 'add', cidr, 'via', webA.ip]);
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
      const filter = (await node.exec(saveCmd(backend, f.family), ['-c', '-t', 'filter'])).stdout;
      assert.match(filter, new RegExp(`-A cali-cidr-block -d ${cidr.replace(/\./g, '\\.')} .*-j DROP`));
      assert.equal(await toSvcIp(), false, 'dropped by cali-cidr-block');
      const counted = (await node.exec(saveCmd(backend, f.family), ['-c', '-t', 'filter'])).stdout;
      const m = /^\[(\d+):\d+\] -A cali-cidr-block .*-j DROP$/m.exec(counted);
      assert.ok(m && Number(m[1]) >= 1, 'the DROP rule counted the packet');
      // The BGPConfiguration deleted: the chain empties and the traffic flows again.
      await push([kv(bgpKey, null)]);
      assert.doesNotMatch(
        (await node.exec(saveCmd(backend, f.family), ['-t', 'filter'])).stdout,
        /^-A cali-cidr-block /m,
      );
      assert.equal(await toSvcIp(), true, 'reachable again');
    });
  });
}
