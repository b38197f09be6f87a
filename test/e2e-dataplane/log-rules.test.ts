// LOG rules in the kernel (issue 16 item 3): Felix's log prefix is rendered whole, even when
// "<prefix>: " is longer than the 29 bytes the kernel keeps. Both backends accept it and store the
// first 29 bytes; the writer matches rules by their cali: hash, so the shortened read-back is not a
// difference and the next apply rewrites nothing. The LOG rule (with LogActionRateLimit) counts real
// packets from a workload. Both backends, root only.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DataplaneDriver, type ApplyEvent } from '../../rules/index.js';
import { defaultCompilerConfig } from '../../rules/compiler/index.js';
import type { ToDataplane } from '../../rules/dataplane-api/types.js';
import { Netns, isRoot, saveCmd, veth } from './netns.js';

const skip = isRoot ? false : 'needs root (network namespaces)';
const POD_IP = '10.65.3.2';
const NODE_IP = '10.65.3.1';
const WEP_ID = { orchestratorId: 'k8s', workloadId: 'app/web-0', endpointId: 'eth0' };
const POLICY = { kind: 'np', namespace: 'app', name: 'foo' };

function messages(iface: string): ToDataplane[] {
  return [
    {
      kind: 'activePolicyUpdate',
      id: POLICY,
      policy: {
        tier: 'admin',
        namespace: 'app',
        inboundRules: [],
        outboundRules: [{ action: 'log', protocol: { name: 'udp' } }, { action: 'allow' }],
      },
    },
    {
      kind: 'workloadEndpointUpdate',
      id: WEP_ID,
      endpoint: {
        state: 'active',
        name: iface,
        profileIds: [],
        ipv4Nets: [`${POD_IP}/32`],
        ipv6Nets: [],
        tiers: [{ name: 'admin', ingressPolicies: [], egressPolicies: [POLICY] }],
      },
    },
    { kind: 'inSync' },
  ];
}

/** The LOG rule of the egress policy chain, with its packet counter, from iptables-save -c. */
async function logRule(ns: Netns, backend: 'legacy' | 'nft'): Promise<{ packets: number; line: string }> {
  const out = (await ns.exec(saveCmd(backend), ['-c', '-t', 'filter'])).stdout.split('\n');
  const line = out.find((l) => l.includes('-A cali-po-np/app/foo') && l.includes('-j LOG'));
  assert.ok(line, 'the LOG rule is in the kernel');
  return { packets: Number(/^\[(\d+):/.exec(line)?.[1]), line };
}

for (const backend of ['legacy', 'nft'] as const) {
  describe(`LOG rules with Felix's log prefix (${backend})`, { skip }, () => {
    let pod: Netns;
    let node: Netns;
    let driver: DataplaneDriver;
    const iface = `calilog${process.pid % 1000}${backend[0]}`;

    before(async () => {
      pod = await Netns.create(`lp${backend[0]}`);
      node = await Netns.create(`ln${backend[0]}`);
      await veth(node, iface, pod, 'eth0');
      await node.exec('ip', ['addr', 'add', `${NODE_IP}/24`, 'dev', iface]);
      await pod.exec('ip', ['addr', 'add', `${POD_IP}/24`, 'dev', 'eth0']);
      driver = new DataplaneDriver({
        compilerConfig: defaultCompilerConfig({
          ipv6Support: false,
          logPrefix: 'calico-packet %k:%p:%t:%n',
          logRateLimit: '100/second',
          logRateLimitBurst: 90,
        }),
        backend,
        ipv6: false,
        netns: node.name,
        minApplyIntervalMs: 20,
        refreshIntervalMs: 0,
      });
      await driver.start();
      driver.onMessages(messages(iface));
      await driver.settled();
    });
    after(async () => {
      await driver?.stop();
      for (const ns of [pod, node]) await ns?.destroy();
    });

    test('the 36-byte prefix is accepted; the kernel keeps 29 bytes; the rate limit is in place', async () => {
      const { line } = await logRule(node, backend);
      // Rendered "calico-packet np:app/foo:admin:foo: ", stored as its first 29 bytes.
      assert.match(line, /--log-prefix "calico-packet np:app\/foo:admi"/);
      assert.match(line, /-m limit --limit 100\/sec --limit-burst 90/);
      assert.match(line, /-m comment --comment "cali:[\w-]{16}"/);
    });

    test('the shortened read-back is not a difference: a refresh rewrites nothing', async () => {
      const before = await node.exec(saveCmd(backend), ['-t', 'filter']);
      const events: ApplyEvent[] = [];
      driver.on('apply', (e) => events.push(e));
      driver.refresh();
      await driver.settled();
      const after = await node.exec(saveCmd(backend), ['-t', 'filter']);
      assert.equal(events.length, 1, 'the refresh re-read the kernel');
      assert.deepEqual(events[0]!.changedChains, []);
      assert.equal(events[0]!.restoreCalls, 0);
      const strip = (s: string) =>
        s
          .split('\n')
          .filter((l) => !l.startsWith('#'))
          .join('\n');
      assert.equal(strip(after.stdout), strip(before.stdout));
    });

    test('UDP from the workload hits the LOG rule (real packets)', async () => {
      const before = (await logRule(node, backend)).packets;
      const send = `const s=require('dgram').createSocket('udp4');let n=0;const t=setInterval(()=>{s.send('x',9999,'${NODE_IP}');if(++n===5){clearInterval(t);setTimeout(()=>process.exit(0),50);}},10);`;
      await pod.exec(process.execPath, ['-e', send]);
      const after = (await logRule(node, backend)).packets;
      assert.ok(after >= before + 5, `LOG rule counted ${after - before} packets`);
    });
  });
}
