import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AgentMetrics,
  MetricsServer,
  RESYNC_STATE,
  type DataplaneCounts,
} from '../../../../agent/metrics/index.js';

/** Parses Prometheus text exposition into "name{labels}" -> value. */
function parse(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
    assert.ok(m, `bad exposition line: ${line}`);
    out.set(m[1] as string, Number(m[2]));
  }
  return out;
}

test('scrape /metrics over HTTP: Felix names, mirrored counters, Typha metrics', async () => {
  let now = 50_000;
  let dp: DataplaneCounts = {
    iptablesRestoreCalls: 3,
    iptablesRestoreErrors: 1,
    ipsetCalls: 2,
    ipsetsTotal: 4,
    ipsetsCalico: { '4': 3, '6': 1 },
    iptablesChains: { '4/filter': 12 },
    backend: 'legacy',
  };
  const m = new AgentMetrics({
    hostname: 'node-a',
    now: () => now,
    calc: () => ({
      clusterWorkloadEndpoints: 7,
      clusterHostEndpoints: 1,
      activeLocalPolicies: 2,
      activeLocalEndpoints: 3,
    }),
    dataplane: () => dp,
    typha: () => ({
      connected: true,
      endpoint: '127.0.0.1:5473',
      reconnects: 2,
      snapshotSize: 42,
      lastMessageMs: 48_500,
    }),
  });
  m.resyncState.set(RESYNC_STATE['in-sync']);
  m.resyncsStarted.inc();
  m.applyTime.observe(0.25);
  m.dataplaneMessages.inc({ type: 'workloadEndpointUpdate' }, 5);
  const srv = new MetricsServer(m);
  await srv.listen('127.0.0.1', 0);
  try {
    const url = `http://127.0.0.1:${srv.address()?.port}/metrics`;
    let r = await fetch(url);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /text\/plain/);
    let v = parse(await r.text());
    assert.equal(v.get('felix_host{host="node-a"}'), 1);
    assert.equal(v.get('felix_resync_state'), 3);
    assert.equal(v.get('felix_resyncs_started'), 1);
    assert.equal(v.get('felix_int_dataplane_apply_time_seconds_count'), 1);
    assert.equal(v.get('felix_int_dataplane_apply_time_seconds_sum'), 0.25);
    assert.equal(v.get('felix_int_dataplane_messages{type="workloadEndpointUpdate"}'), 5);
    assert.equal(v.get('felix_cluster_num_workload_endpoints'), 7);
    assert.equal(v.get('felix_cluster_num_host_endpoints'), 1);
    assert.equal(v.get('felix_active_local_policies'), 2);
    assert.equal(v.get('felix_active_local_endpoints'), 3);
    assert.equal(v.get('felix_iptables_restore_calls'), 3);
    assert.equal(v.get('felix_iptables_restore_errors'), 1);
    assert.equal(v.get('felix_ipset_calls'), 2);
    assert.equal(v.get('felix_ipsets_total'), 4);
    assert.equal(v.get('felix_ipsets_calico{ip_version="4"}'), 3);
    assert.equal(v.get('felix_iptables_chains{ip_version="4",table="filter"}'), 12);
    assert.equal(v.get('felix_iptables_backend{backend="legacy"}'), 1);
    assert.equal(v.get('felix_typha_connected{endpoint="127.0.0.1:5473"}'), 1);
    assert.equal(v.get('felix_typha_reconnects'), 2);
    assert.equal(v.get('felix_typha_snapshot_size'), 42);
    assert.equal(v.get('felix_typha_last_message_age_seconds'), 1.5);

    // Counters follow the driver's cumulative counts, including a driver restart (counts reset).
    dp = { ...dp, iptablesRestoreCalls: 10 };
    now += 1000;
    v = parse(await (await fetch(url)).text());
    assert.equal(v.get('felix_iptables_restore_calls'), 10);
    assert.equal(v.get('felix_typha_last_message_age_seconds'), 2.5);
    dp = { ...dp, iptablesRestoreCalls: 1 };
    v = parse(await (await fetch(url)).text());
    assert.equal(v.get('felix_iptables_restore_calls'), 11);

    r = await fetch(url.replace('/metrics', '/other'));
    assert.equal(r.status, 404);
    await r.text();
  } finally {
    await srv.close();
  }
});

test('process metrics only when enabled; registries are independent', async () => {
  const a = new AgentMetrics({ hostname: 'a', processMetrics: true });
  const b = new AgentMetrics({ hostname: 'b' });
  assert.match(await a.text(), /^process_cpu_user_seconds_total /m);
  const tb = await b.text();
  assert.doesNotMatch(tb, /process_cpu_user_seconds_total/);
  assert.match(tb, /felix_host\{host="b"\} 1/);
  assert.doesNotMatch(tb, /host="a"/);
});
