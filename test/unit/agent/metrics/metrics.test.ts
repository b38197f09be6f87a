import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AgentMetrics,
  MetricsServer,
  RESYNC_STATE,
  dataplaneCounts,
  keyTypeLabel,
  type DataplaneCounts,
} from '../../../../agent/metrics/index.js';
import type { DesiredState, TableState } from '../../../../rules/model.js';
import { parseExposition } from './exposition.js';
import { ExecaRunner } from '../../../../rules/backend/runner.js';

/** Parses Prometheus text exposition into "name{labels}" -> value. */
const parse = parseExposition;

test('scrape /metrics over HTTP: Felix names, mirrored counters, Typha metrics', async () => {
  let now = 50_000;
  let dp: DataplaneCounts = {
    iptablesRestoreCalls: 3,
    iptablesRestoreErrors: 1,
    iptablesSaveCalls: 0,
    iptablesSaveErrors: 0,
    ipsetCalls: 2,
    ipsetErrors: 0,
    ipsetsTotal: 4,
    ipsetsCalico: { '4': 3, '6': 1 },
    iptablesChains: { '4/filter': 12 },
    iptablesRules: {},
    backend: 'legacy',
  };
  const m = new AgentMetrics({
    hostname: 'node-a',
    now: () => now,
    calc: () => ({
      clusterWorkloadEndpoints: 7,
      localWorkloadEndpoints: 2,
      localHostEndpoints: 1,
      activePolicies: 2,
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
    // Counted from the KV stream (series.test.ts changes it); none seen here.
    assert.equal(v.get('felix_cluster_num_host_endpoints'), 0);
    assert.equal(v.get('felix_active_local_policies'), 2);
    assert.equal(v.get('felix_active_local_endpoints'), 3, 'workload + host endpoints');
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

test('dataplaneCounts: the driver counters plus chains, rules and IP sets of the applied state', () => {
  const counters = {
    iptablesRestoreCalls: 5,
    iptablesRestoreErrors: 1,
    iptablesSaveCalls: 2,
    iptablesSaveErrors: 0,
    ipsetCalls: 3,
    ipsetErrors: 0,
  };
  const rule = { spec: '-j ACCEPT' } as never;
  const filter: TableState = {
    table: 'filter',
    family: 4,
    chains: new Map([
      ['cali-a', { name: 'cali-a', rules: [rule, rule] }],
      ['cali-b', { name: 'cali-b', rules: [rule] }],
    ]) as never,
    inserts: new Map([['FORWARD', [rule]]]) as never,
    appends: new Map(),
  };
  const desired: DesiredState = {
    tables: [filter, { ...filter, family: 6, chains: new Map(), inserts: new Map() }],
    ipsets: new Map([
      ['cali40s:a', { family: 4 }],
      ['cali40s:b', { family: 4 }],
      ['cali60s:a', { family: 6 }],
    ]) as never,
  };
  assert.deepEqual(dataplaneCounts({ counters, backend: 'nft' }, desired), {
    ...counters,
    ipsetsTotal: 3,
    ipsetsCalico: { '4': 2, '6': 1 },
    iptablesChains: { '4/filter': 2, '6/filter': 0 },
    iptablesRules: { '4/filter': 4, '6/filter': 0 },
    backend: 'nft',
  });
  // Before the first compile: the counters only, no backend label yet.
  assert.deepEqual(dataplaneCounts({ counters, backend: undefined }, undefined), {
    ...counters,
    ipsetsTotal: 0,
    ipsetsCalico: {},
    iptablesChains: {},
    iptablesRules: {},
  });
});

test("felix_calc_graph_updates_processed type label: Felix's Go key type names, from parseKey", () => {
  for (const [key, want] of [
    ['/calico/v1/policy/tier/default/policy/p1', 'PolicyKey'],
    ['/calico/v1/host/n1/workload/k8s/ns%2fpod/endpoint/eth0', 'WorkloadEndpointKey'],
    ['/calico/v1/host/n1/endpoint/eth0', 'HostEndpointKey'],
    ['/calico/v1/host/n1/config/LogSeverityScreen', 'HostConfigKey'],
    ['/calico/v1/config/ChainInsertMode', 'GlobalConfigKey'],
    ['/calico/v1/Ready', 'ReadyFlagKey'],
    ['/calico/v1/policy/profile/kns.shop/rules', 'ProfileRulesKey'],
    ['/nonsense', 'unknown'],
  ] as const) {
    assert.equal(keyTypeLabel(key), want, key);
  }
});

test('felix_exec_time_micros: every child the dataplane runner starts is observed', async () => {
  const m = new AgentMetrics({ hostname: 'h' });
  const value = async (name: string) => parse(await m.text()).get(name);
  assert.equal(await value('felix_exec_time_micros_count'), 0);
  const r = new ExecaRunner();
  await r.run('true', []);
  await r.run('true', [], 'some stdin');
  assert.equal(await value('felix_exec_time_micros_count'), 2);
  assert.ok((await value('felix_exec_time_micros_sum'))! > 0);
});
