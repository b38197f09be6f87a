// SIGTERM: the agent stops cleanly (rc 0, felix/daemon/daemon.go "Signals") and leaves its
// rules and IP sets exactly as they were, so the kernel keeps enforcing the last policy with no
// agent running at all.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { inNs, isRoot, must } from './exec.js';
import { Cluster } from './cluster.js';
import { expectMatrix } from './traffic.js';
import { baselineFlows, smallPods, smallPolicies } from './fixtures/small-cluster.js';

const skip = isRoot() ? false : 'needs root (network namespaces, iptables)';

/** Every table of both iptables backends in the node namespace, without banners and counters. */
async function rulesSnapshot(c: Cluster): Promise<string[]> {
  const out: string[] = [];
  for (const bin of ['iptables-legacy-save', 'iptables-nft-save']) {
    const text = await must(inNs(c.topo.nodeNs, [bin]));
    for (const l of text.split('\n')) {
      if (l === '' || l.startsWith('#')) continue;
      out.push(`${bin}: ${l.replace(/ \[\d+:\d+\]$/, '').replace(/^\[\d+:\d+\] /, '')}`);
    }
  }
  return out;
}

/** `ipset list` of the node namespace: memory sizes dropped, members sorted within each set. */
async function ipsetSnapshot(c: Cluster): Promise<string[]> {
  const text = await must(inNs(c.topo.nodeNs, ['ipset', 'list']));
  const out: string[] = [];
  let members: string[] = [];
  let inMembers = false;
  const flush = (): void => {
    out.push(...members.sort());
    members = [];
    inMembers = false;
  };
  for (const l of text.split('\n')) {
    if (l.startsWith('Name: ')) flush();
    if (l === '' || l.startsWith('Size in memory:')) continue;
    if (inMembers) members.push(l);
    else out.push(l);
    if (l === 'Members:') inMembers = true;
  }
  flush();
  return out;
}

describe('e2e SIGTERM: the agent exits 0 and leaves the dataplane as it was', { skip }, () => {
  let c: Cluster;
  before(async () => {
    c = await Cluster.start({
      pods: smallPods(70),
      initial: smallPolicies,
      figureName: 'agent_start_to_ready_sigterm_suite',
    });
  });
  after(async () => {
    await c?.destroy();
  });

  it('rc 0; rules and IP sets unchanged; allowed flows pass and denied flows drop with no agent', async () => {
    await expectMatrix(c.topo, baselineFlows);
    const a = c.pod('a');
    const b = c.pod('b');
    const conn = await a.worker.open(b.ip, 8080);
    assert.deepEqual(await a.worker.echo(conn), { ok: true });

    const rulesBefore = await rulesSnapshot(c);
    const setsBefore = await ipsetSnapshot(c);
    const cali = rulesBefore.filter((l) => l.includes('cali'));
    assert.ok(
      cali.some((l) => l.includes(`cali-tw-${b.iface}`)) && cali.some((l) => / -j cali-FORWARD$/.test(l)),
      `the agent's rules are present before the signal:\n${cali.join('\n')}`,
    );
    assert.ok(
      setsBefore.some((l) => /^Name: cali40s:/.test(l)),
      `selector IP sets present before the signal:\n${setsBefore.join('\n')}`,
    );

    const mark = c.agent.log.length;
    await c.agent.stop(); // SIGTERM; the helper only escalates to SIGKILL after 10 s
    assert.equal(c.agent.running, false);
    const logged = c.agent.since(mark);
    const exit = logged.find((l) => /^\[e2e\] agent run \d+ exited /.test(l));
    assert.match(
      exit ?? '',
      /exited code=0 signal=null$/,
      `the agent exits 0 on SIGTERM; log:\n${logged.join('\n')}`,
    );
    assert.ok(
      logged.some((l) => l.includes('Felix is shutting down') && l.includes('Received SIGTERM')),
      `the agent logs why it stops; log:\n${logged.join('\n')}`,
    );
    assert.ok(
      !logged.some((l) => l.includes('Graceful shutdown timed out')),
      `the shutdown completed without hitting its own timeout; log:\n${logged.join('\n')}`,
    );

    assert.deepEqual(await rulesSnapshot(c), rulesBefore, 'iptables rules unchanged after SIGTERM');
    assert.deepEqual(await ipsetSnapshot(c), setsBefore, 'IP sets unchanged after SIGTERM');

    // The kernel still enforces the last policy with no agent at all.
    await expectMatrix(c.topo, baselineFlows, { what: 'enforcement with the agent gone' });
    assert.deepEqual(await a.worker.echo(conn), { ok: true }, 'an established connection survives');
    assert.equal(c.agent.running, false, 'the agent stayed down while probing');
    assert.deepEqual(await rulesSnapshot(c), rulesBefore, 'iptables rules still unchanged');
    await a.worker.close(conn);
  });
});
