// Issue 8, hostile input: "in every case the agent logs the problem". A name carrying a newline and
// quotes is refused by the data model and must be reported at warn (hostile.test.ts checks that it is
// never rendered into restore input).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { isRoot } from './exec.js';
import { Cluster } from './cluster.js';
import { expectMatrix } from './traffic.js';
import { pollUntil } from './poll.js';
import { baselineFlows, smallPods, smallPolicies } from './fixtures/small-cluster.js';

const skip = isRoot() ? false : 'needs root (network namespaces, iptables)';

describe('e2e hostile input: names with control characters are reported', { skip }, () => {
  let c: Cluster;
  before(async () => {
    c = await Cluster.start({ pods: smallPods(60), initial: smallPolicies });
    await expectMatrix(c.topo, baselineFlows);
  });
  after(async () => {
    await c?.destroy();
  });

  it('a policy name carrying a newline and quotes is logged', async () => {
    const mark = c.agent.log.length;
    await c.apply([
      {
        key: `/calico/v1/policy/GlobalNetworkPolicy//evil\n-A FORWARD -j ACCEPT\n"'`,
        value: JSON.stringify({ tier: 'default', order: 5, selector: "app == 'b'", types: ['ingress'] }),
      },
    ]);
    await pollUntil(
      'a log line about the hostile policy name',
      async () => {
        const lines = c.agent
          .since(mark)
          .filter((l) => /WARN|ERROR/.test(l) && /evil|name|control|newline|invalid/i.test(l));
        return { ok: lines.length > 0, value: lines };
      },
      { timeoutMs: 10_000 },
    );
    const live = await c.agent.liveness();
    assert.ok('status' in live && live.status === 200);
  });
});
