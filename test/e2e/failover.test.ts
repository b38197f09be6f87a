// Failover: two Typha-protocol servers in two namespaces, FELIX_TYPHAADDR lists both. Kill the
// one the agent is connected to; the agent reconnects to the other (typha/pkg/discovery/discovery.go),
// readiness drops while it is not in sync and comes back (felix/daemon/daemon.go), allowed
// flows keep working throughout (the dataplane keeps its state), and a delta on the survivor is
// applied.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { isRoot } from './exec.js';
import { Cluster } from './cluster.js';
import { allow, deny, expectMatrix } from './traffic.js';
import { figure, pollUntil, sleep } from './poll.js';
import { policy } from './fixtures/kv.js';
import { baselineFlows, smallPods, smallPolicies } from './fixtures/small-cluster.js';

const skip = isRoot() ? false : 'needs root (network namespaces, iptables)';

describe('e2e failover between two Typha servers', { skip }, () => {
  let c: Cluster;
  before(async () => {
    c = await Cluster.start({
      pods: smallPods(40),
      typhaCount: 2,
      initial: smallPolicies,
      figureName: 'agent_start_to_ready_failover_suite',
    });
  });
  after(async () => {
    await c?.destroy();
  });

  it('kill the active Typha: reconnect to the survivor, flows uninterrupted, delta applied', async () => {
    await expectMatrix(c.topo, baselineFlows);
    const { value: activeIdx } = await pollUntil(
      'the agent to be connected to one Typha',
      async () => {
        const idx = c.typhas.findIndex((t) => t.clientsSeen() > 0);
        return { ok: idx >= 0, value: idx };
      },
      { timeoutMs: 10_000 },
    );
    const active = c.typhas[activeIdx]!;
    const survivor = c.typhas[1 - activeIdx]!;
    const survivorClientsBefore = survivor.clientsSeen();

    // Traffic that must never stop: a long-lived connection exchanging data, and fresh connects.
    const a = c.pod('a');
    const b = c.pod('b');
    const conn = await a.worker.open(b.ip, 8080);
    let running = true;
    const failures: string[] = [];
    let rounds = 0;
    const traffic = (async () => {
      while (running) {
        const [e, n] = await Promise.all([a.worker.echo(conn, 2000), a.worker.connect(b.ip, 8080, 2000)]);
        rounds++;
        if (!e.ok) failures.push(`round ${rounds} echo: ${e.error}`);
        if (!n.ok) failures.push(`round ${rounds} connect: ${n.error}`);
        await sleep(50);
      }
    })();

    // Hold the survivor out of sync while the agent moves over, so the not-ready window is
    // observable by polling (a real Typha that is itself resyncing does the same).
    await survivor.status('resync');
    const tKill = performance.now();
    await active.kill();

    await pollUntil(
      'the agent to reconnect to the survivor',
      async () => ({ ok: survivor.clientsSeen() > survivorClientsBefore, value: 0 }),
      { timeoutMs: 30_000, intervalMs: 20 },
    );
    figure(
      'failover_reconnect_gap',
      performance.now() - tKill,
      'ms',
      'kill of the active Typha -> hello on the survivor',
    );

    await pollUntil(
      'readiness to report not-ready (503) while the survivor is resyncing',
      async () => {
        const r = await c.agent.readiness();
        return { ok: 'status' in r && r.status === 503, value: 0, describe: JSON.stringify(r).slice(0, 200) };
      },
      { timeoutMs: 30_000, intervalMs: 50 },
    );
    const live = await c.agent.liveness();
    assert.ok('status' in live && live.status === 200, `live during failover: ${JSON.stringify(live)}`);

    // A delta that exists only on the survivor: c may now reach b.
    const allowCToB = policy({
      namespace: 'team1',
      name: 'allow-c-to-b',
      selector: "app == 'b'",
      types: ['ingress'],
      order: 200,
      inbound: [{ action: 'allow', protocol: 'tcp', src_selector: "app == 'c'", dst_ports: [8080] }],
    });
    await survivor.apply([allowCToB]);
    const tSync = performance.now();
    await survivor.status('in-sync');
    await c.agent.waitReady(30_000);
    figure('failover_insync_to_ready', performance.now() - tSync, 'ms');
    figure('failover_kill_to_ready', performance.now() - tKill, 'ms', 'includes the deliberate resync hold');

    await expectMatrix(c.topo, [
      allow('c', 'b', 8080),
      allow('a', 'b', 8080),
      deny('d', 'a', 8080),
      deny('d', 'b', 8080),
      allow('a', 'c', 8080),
    ]);

    running = false;
    await traffic;
    assert.deepEqual(failures, [], 'allowed flows were interrupted during the failover');
    assert.ok(rounds > 0);
    assert.deepEqual(await a.worker.echo(conn), { ok: true });
    await a.worker.close(conn);
    assert.equal(c.agent.unexpectedExits(), 0, `agent exited:\n${c.agent.tail()}`);
  });
});
