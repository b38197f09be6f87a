// Restart: kill -9 the agent and start it again. The kernel keeps enforcing throughout: the
// agent's rules stay present (no flush on start, felix/iptables/table.go), an established
// connection keeps working, and the restarted agent converges on the same rules.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { isRoot } from './exec.js';
import { Cluster } from './cluster.js';
import { expectMatrix } from './traffic.js';
import { figure, pollUntil, sleep } from './poll.js';
import { baselineFlows, smallPods, smallPolicies } from './fixtures/small-cluster.js';

const skip = isRoot() ? false : 'needs root (network namespaces, iptables)';

/** The filter-table rules, without comments/counters lines that legitimately differ. */
function normalise(save: string): string[] {
  return save
    .split('\n')
    .filter((l) => l.startsWith('-A ') || (l.startsWith(':') && l.includes('cali')))
    .map((l) => l.replace(/\[\d+:\d+\]/, ''))
    .sort();
}

describe('e2e restart: kill -9 and start again without a flush', { skip }, () => {
  let c: Cluster;
  before(async () => {
    c = await Cluster.start({
      pods: smallPods(30),
      initial: smallPolicies,
      figureName: 'agent_start_to_ready_restart_suite',
    });
  });
  after(async () => {
    await c?.destroy();
  });

  it('rules stay present, an established connection survives, state converges', async () => {
    await expectMatrix(c.topo, baselineFlows);
    const a = c.pod('a');
    const b = c.pod('b');
    const conn = await a.worker.open(b.ip, 8080);
    assert.deepEqual(await a.worker.echo(conn), { ok: true });

    const before = await c.topo.iptablesSave();
    const must = ['-j cali-FORWARD', `cali-tw-${b.iface}`, `cali-fw-${a.iface}`, 'cali-pi-'];
    // The IP sets the rules match on (the allow-a-to-b source set) must stay too.
    const setsBefore = await c.topo.ipsetNames();
    assert.ok(
      setsBefore.some((n) => n.startsWith('cali40s:')),
      `selector IP sets present: ${setsBefore.join(' ')}`,
    );
    for (const m of must) assert.ok(before.includes(m), `before restart: ${m} present`);

    // Sample the rules continuously while the agent is killed and restarted.
    let sampling = true;
    let samples = 0;
    const missing: string[] = [];
    const echoFailures: string[] = [];
    let echoes = 0;
    const sampler = (async () => {
      while (sampling) {
        const save = await c.topo.iptablesSave();
        const sets = new Set(await c.topo.ipsetNames());
        samples++;
        for (const m of must) if (!save.includes(m)) missing.push(`sample ${samples}: ${m}`);
        for (const n of setsBefore) if (!sets.has(n)) missing.push(`sample ${samples}: ipset ${n}`);
        const e = await a.worker.echo(conn, 2000);
        echoes++;
        if (!e.ok) echoFailures.push(`echo ${echoes}: ${e.error}`);
        await sleep(20);
      }
    })();

    // Waits (bounded) until the sampler has taken `n` more samples.
    const moreSamples = async (n: number): Promise<void> => {
      const target = samples + n;
      await pollUntil('more rule samples', async () => ({ ok: samples >= target, value: 0 }), {
        timeoutMs: 30_000,
        intervalMs: 20,
      });
    };
    await c.agent.kill9();
    const killedAt = samples;
    // Let the rules sit with no agent at all for a few samples.
    await moreSamples(5);
    const t0 = performance.now();
    c.agent.start();
    await c.agent.waitReady(30_000);
    figure('agent_restart_to_ready', performance.now() - t0, 'ms');
    await moreSamples(5);
    sampling = false;
    await sampler;

    assert.deepEqual(missing, [], 'rules were missing from the kernel during the restart');
    assert.deepEqual(echoFailures, [], 'the established connection broke during the restart');
    assert.ok(samples >= killedAt + 10, `sampled ${samples} times`);
    assert.deepEqual(await a.worker.echo(conn), { ok: true });

    await expectMatrix(c.topo, baselineFlows);
    const after = await c.topo.iptablesSave();
    assert.equal(
      (after.match(/^-A FORWARD .*-j cali-FORWARD$/gm) ?? []).length,
      1,
      'one FORWARD hook, not duplicated',
    );
    assert.deepEqual(normalise(after), normalise(before), 'the restarted agent converged on the same rules');
    await a.worker.close(conn);
  });
});
