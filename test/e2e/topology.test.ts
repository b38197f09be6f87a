// The e2e topology itself, with no agent: Calico-style pod wiring must forward pod-to-pod
// traffic through the node namespace (where the agent's FORWARD chains will sit), and a kernel
// rule in the node namespace must be able to block a flow (so "deny" results are meaningful).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { isRoot, must, inNs, run } from './exec.js';
import { Topology } from './topology.js';
import { allow, deny, expectMatrix } from './traffic.js';

const skip = isRoot() ? false : 'needs root (network namespaces)';

describe('e2e topology: Calico CNI-style wiring, raw kernel traffic checks', { skip }, () => {
  let topo: Topology | undefined;
  before(async () => {
    topo = await Topology.create({
      typhaCount: 2,
      pods: [
        { name: 'a', namespace: 'ns1', ip: '10.65.0.10', ports: [8080, 9090] },
        { name: 'b', namespace: 'ns1', ip: '10.65.0.11', ports: [8080, 9090] },
        { name: 'c', namespace: 'ns2', ip: '10.65.0.12', ports: [8080] },
        { name: 'd', namespace: 'ns2', ip: '10.65.0.13', ports: [8080] },
      ],
    });
  });
  after(async () => {
    await topo?.destroy();
  });

  it('pods are wired as Calico CNI does it', async () => {
    const tp = topo!;
    for (const pod of tp.pods.values()) {
      assert.match(pod.iface, /^cali[0-9a-f]{11}$/);
      assert.ok(pod.iface.length <= 15);
      const routes = await must(['ip', '-n', pod.netns, 'route', 'show']);
      assert.match(routes, /default via 169\.254\.1\.1 dev eth0/);
      const addr = await must(['ip', '-n', pod.netns, '-4', 'addr', 'show', 'dev', 'eth0']);
      assert.match(addr, new RegExp(`inet ${pod.ip.replaceAll('.', '\\.')}/32`));
      const nodeRoute = await must(['ip', '-n', tp.nodeNs, 'route', 'show', `${pod.ip}/32`]);
      assert.match(nodeRoute, new RegExp(`dev ${pod.iface}`));
      const parp = await must(inNs(tp.nodeNs, ['sysctl', '-n', `net.ipv4.conf.${pod.iface}.proxy_arp`]));
      assert.equal(parp.trim(), '1');
    }
    assert.equal((await must(inNs(tp.nodeNs, ['sysctl', '-n', 'net.ipv4.ip_forward']))).trim(), '1');
  });

  it('every pod reaches every other pod (TCP and ICMP) with no policy', async () => {
    const tp = topo!;
    const names = [...tp.pods.keys()];
    const flows = names.flatMap((from) =>
      names.filter((to) => to !== from).flatMap((to) => [allow(from, to, 8080), allow(from, to, 'icmp')]),
    );
    await expectMatrix(tp, flows, { timeoutMs: 15_000 });
    // A port nobody listens on is refused (RST), not silently allowed.
    const r = await tp.pod('a').worker.connect(tp.pod('c').ip, 9999, 1000);
    assert.equal(r.ok, false);
  });

  it('a node-namespace FORWARD rule blocks exactly one flow', async () => {
    const tp = topo!;
    const b = tp.pod('b');
    const rule = ['FORWARD', '-o', b.iface, '-p', 'tcp', '--dport', '9090', '-j', 'DROP'];
    await must(inNs(tp.nodeNs, ['iptables', '-I', ...rule]));
    try {
      await expectMatrix(tp, [deny('a', 'b', 9090), allow('a', 'b', 8080), allow('c', 'b', 'icmp')], {
        timeoutMs: 15_000,
      });
    } finally {
      await run(inNs(tp.nodeNs, ['iptables', '-D', ...rule]));
    }
    await expectMatrix(tp, [allow('a', 'b', 9090)], { timeoutMs: 15_000 });
  });

  it('uplinks reach both typha namespaces', async () => {
    const tp = topo!;
    assert.equal(tp.typhas.length, 2);
    for (const site of tp.typhas) {
      const res = await run(inNs(tp.nodeNs, ['ping', '-n', '-q', '-c', '1', '-W', '2', site.ip]));
      assert.equal(res.code, 0, `node -> ${site.ip}: ${res.stdout}${res.stderr}`);
    }
  });

  it('a pod can be added and removed, leaving no trace', async () => {
    const tp = topo!;
    const e = await tp.addPod({ name: 'e', namespace: 'ns2', ip: '10.65.0.14', ports: [8080] });
    await expectMatrix(tp, [allow('a', 'e', 8080), allow('e', 'a', 8080)], { timeoutMs: 15_000 });
    await tp.removePod('e');
    const links = await must(['ip', '-n', tp.nodeNs, 'link', 'show']);
    assert.ok(!links.includes(e.iface), 'veth gone');
    const nsList = await must(['ip', 'netns', 'list']);
    assert.ok(!nsList.includes(e.netns), 'pod namespace gone');
  });

  it('destroy removes every namespace of the topology', async () => {
    const tp = topo!;
    await tp.destroy();
    const nsList = await must(['ip', 'netns', 'list']);
    assert.ok(!nsList.includes(tp.id + '-'), `leftover namespaces: ${nsList}`);
  });
});
