// The overlay through the real agent (issue 14): an IPIP pool and Node resources sent through the Typha test
// server turn on Felix's IPIP rules and fill cali40all-hosts-net in the node namespace; a Node added later
// is one more member, live; what felix-ts does not program (tunl0, IPIP routes) is logged once; and a VXLAN
// pool added after the first apply ends the agent with rc 129 and Felix's lines (felix/daemon/daemon.go).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { inNs, isRoot, must } from './exec.js';
import { Cluster } from './cluster.js';
import { pollUntil } from './poll.js';
import type { KV } from './fixtures/kv.js';
import { smallPods } from './fixtures/small-cluster.js';

const skip = isRoot() ? false : 'needs root (network namespaces, iptables)';

const pool = (cidr: string, ipip: string, vxlan: string): KV => ({
  key: `/calico/v1/ipam/v4/pool/${cidr.replace('/', '-')}`,
  value: JSON.stringify({ cidr, ipip_mode: ipip, vxlan_mode: vxlan, masquerade: false }),
});
const node = (name: string, ip: string): KV => ({
  key: `/calico/resources/v3/projectcalico.org/nodes/${name}`,
  value: JSON.stringify({ kind: 'Node', metadata: { name }, spec: { bgp: { ipv4Address: `${ip}/24` } } }),
});

describe(
  'e2e overlay: IPIP from the pools, all-hosts-net from the Nodes, restart on an encapsulation change',
  { skip },
  () => {
    let c: Cluster;
    const members = async (): Promise<string[]> => {
      const out = await must(inNs(c.topo.nodeNs, ['ipset', 'save', 'cali40all-hosts-net']));
      return out
        .split('\n')
        .filter((l) => l.startsWith('add '))
        .map((l) => l.split(' ')[2]!)
        .sort();
    };
    const until = (want: string[]): Promise<unknown> =>
      pollUntil(
        `all-hosts-net = ${want.join(',')}`,
        async () => {
          const got = await members();
          return { ok: JSON.stringify(got) === JSON.stringify(want), value: got, describe: got.join(',') };
        },
        { timeoutMs: 20_000 },
      );

    before(async () => {
      c = await Cluster.start({
        pods: smallPods(41).slice(0, 2),
        netnsPrefix: 'ho',
        initial: [pool('10.65.0.0/16', 'always', ''), node('peer-1', '192.0.2.11')],
      });
      // This node's own Node resource (its name is the agent's FelixHostname).
      await c.apply([node(c.hostname, '192.0.2.10')]);
    });
    after(async () => {
      await c?.destroy();
    });

    it("the IPIP rules are programmed and all-hosts-net holds the nodes' addresses", async () => {
      await until(['192.0.2.10', '192.0.2.11']);
      const filter = await c.topo.iptablesSave();
      assert.match(
        filter,
        /"Allow IPIP packets from Calico hosts" -m set --match-set cali40all-hosts-net src/,
      );
      assert.match(filter, /"Drop IPIP packets from non-Calico hosts" -j DROP/);
      const log = c.agent.log.join('\n');
      assert.equal(
        log.split('IPIP encapsulation is on:').length - 1,
        1,
        'the unsupported part is logged once',
      );
    });

    it('a Node added is one more member, live; a Node deleted is one fewer', async () => {
      await c.apply([node('peer-2', '192.0.2.12')]);
      await until(['192.0.2.10', '192.0.2.11', '192.0.2.12']);
      await c.apply([{ key: node('peer-1', '').key, value: null }]);
      await until(['192.0.2.10', '192.0.2.12']);
      assert.equal(c.agent.unexpectedExits(), 0);
    });

    it('a VXLAN pool after the first apply: exit 129 with "IPIP and/or VXLAN encapsulation changed"', async () => {
      await c.apply([pool('10.70.0.0/16', '', 'always')]);
      await pollUntil('the agent exits', async () => ({ ok: !c.agent.running, value: 0 }), {
        timeoutMs: 20_000,
      });
      const log = c.agent.log.join('\n');
      assert.match(
        log,
        /\[WARNING\]\[\d+\] felix: IPIP and\/or VXLAN encapsulation changed, need to restart\./,
      );
      assert.match(log, /Exiting for encapsulation change rc=129/);
      assert.match(log, /agent run \d+ exited code=129/);
      // The rules stay in place for the next process.
      assert.deepEqual(await members(), ['192.0.2.10', '192.0.2.12']);
    });
  },
);
