// One test per series re-added in issue 19: each is changed by the event that feeds it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AgentMetrics, LineCountingRunner, type DataplaneCounts } from '../../../../agent/metrics/index.js';
import type { CommandResult, CommandRunner } from '../../../../rules/backend/runner.js';
import type { KVUpdate } from '../../../../syncer-client/api.js';

async function scrape(m: AgentMetrics): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const line of (await m.text()).split('\n')) {
    const r = /^(\S+) (\S+)$/.exec(line);
    if (r && !line.startsWith('#')) out.set(r[1] as string, Number(r[2]));
  }
  return out;
}

function kv(key: string, value: string | null): KVUpdate {
  return { key, value, revision: '1', updateType: value === null ? 3 : 1 } as KVUpdate;
}

const WEP = (host: string, wl: string) => `/calico/v1/host/${host}/workload/k8s/${wl}/endpoint/eth0`;

test('felix_cluster_num_hosts: hosts owning a Node, endpoint or host-config key; gone with their last key', async () => {
  const m = new AgentMetrics({ hostname: 'a' });
  m.onUpdate(kv(WEP('node-a', 'ns%2fp1'), '{}'));
  m.onUpdate(kv(WEP('node-a', 'ns%2fp2'), '{}'));
  m.onUpdate(kv('/calico/v1/host/node-b/config/LogSeverityScreen', 'Debug'));
  m.onUpdate(kv('/calico/resources/v3/projectcalico.org/nodes/node-c', '{}'));
  assert.equal((await scrape(m)).get('felix_cluster_num_hosts'), 3);
  m.onUpdate(kv(WEP('node-a', 'ns%2fp1'), null));
  assert.equal((await scrape(m)).get('felix_cluster_num_hosts'), 3, 'node-a still has p2');
  m.onUpdate(kv(WEP('node-a', 'ns%2fp2'), null));
  m.onUpdate(kv('/calico/resources/v3/projectcalico.org/nodes/node-c', null));
  assert.equal((await scrape(m)).get('felix_cluster_num_hosts'), 1);
});

test('felix_cluster_num_host_endpoints: host endpoint keys present, any host', async () => {
  const m = new AgentMetrics({ hostname: 'a' });
  m.onUpdate(kv('/calico/v1/host/node-a/endpoint/eth0', '{}'));
  m.onUpdate(kv('/calico/v1/host/node-b/endpoint/eth0', '{}'));
  m.onUpdate(kv('/calico/v1/host/node-b/endpoint/eth0', '{"name":"eth0"}'));
  m.onUpdate(kv(WEP('node-a', 'ns%2fp1'), '{}'));
  assert.equal((await scrape(m)).get('felix_cluster_num_host_endpoints'), 2, 'updates and WEPs are not HEPs');
  m.onUpdate(kv('/calico/v1/host/node-a/endpoint/eth0', null));
  assert.equal((await scrape(m)).get('felix_cluster_num_host_endpoints'), 1);
});

test('felix_cluster_num_tiers: tier metadata keys present', async () => {
  const m = new AgentMetrics({ hostname: 'a' });
  m.onUpdate(kv('/calico/v1/policy/tier/default/metadata', '{}'));
  m.onUpdate(kv('/calico/v1/policy/tier/security/metadata', '{}'));
  m.onUpdate(kv('/calico/v1/policy/tier/security/metadata', '{"order":1}'));
  assert.equal((await scrape(m)).get('felix_cluster_num_tiers'), 2, 'an update is not a new tier');
  m.onUpdate(kv('/calico/v1/policy/tier/security/metadata', null));
  assert.equal((await scrape(m)).get('felix_cluster_num_tiers'), 1);
});

test('felix_cluster_num_policies: policy keys present, any tier', async () => {
  const m = new AgentMetrics({ hostname: 'a' });
  m.onUpdate(kv('/calico/v1/policy/tier/default/policy/default.p1', '{}'));
  m.onUpdate(kv('/calico/v1/policy/tier/security/policy/security.p2', '{}'));
  assert.equal((await scrape(m)).get('felix_cluster_num_policies'), 2);
  m.onUpdate(kv('/calico/v1/policy/tier/default/policy/default.p1', null));
  assert.equal((await scrape(m)).get('felix_cluster_num_policies'), 1);
});

test('felix_cluster_num_profiles: profile rules keys (labels keys are not extra profiles)', async () => {
  const m = new AgentMetrics({ hostname: 'a' });
  m.onUpdate(kv('/calico/v1/policy/profile/kns.ns1/rules', '{}'));
  m.onUpdate(kv('/calico/v1/policy/profile/kns.ns1/labels', '{}'));
  m.onUpdate(kv('/calico/v1/policy/profile/kns.ns2/rules', '{}'));
  assert.equal((await scrape(m)).get('felix_cluster_num_profiles'), 2);
  m.onUpdate(kv('/calico/v1/policy/profile/kns.ns2/rules', null));
  assert.equal((await scrape(m)).get('felix_cluster_num_profiles'), 1);
});

test('felix_active_local_selectors: the calc graph active IP set count at scrape time', async () => {
  let ipSets = 4;
  const base = {
    clusterWorkloadEndpoints: 0,
    localWorkloadEndpoints: 0,
    localHostEndpoints: 0,
    activePolicies: 0,
  };
  const m = new AgentMetrics({ hostname: 'a', calc: () => ({ ...base, ipSets }) });
  assert.equal((await scrape(m)).get('felix_active_local_selectors'), 4);
  ipSets = 1;
  assert.equal((await scrape(m)).get('felix_active_local_selectors'), 1);
});

/** Records what reaches the process runner (the counted runner forwards every call unchanged). */
class Recorder implements CommandRunner {
  readonly calls: string[] = [];
  run(file: string, args: readonly string[], input?: string): Promise<CommandResult> {
    this.calls.push([file, ...args].join(' ') + (input === undefined ? '' : `<<${input.length}`));
    return Promise.resolve({ stdout: '', stderr: '', exitCode: 0 });
  }
}

const FILTER_INPUT = '*filter\n:cali-a - [0:0]\n-A cali-a -j ACCEPT\nCOMMIT\n';

function withLines(r: LineCountingRunner): () => DataplaneCounts {
  const zero = {
    iptablesRestoreCalls: 0,
    iptablesRestoreErrors: 0,
    iptablesSaveCalls: 0,
    iptablesSaveErrors: 0,
  };
  return () => ({
    ...zero,
    ipsetCalls: 0,
    ipsetErrors: 0,
    ipsetsTotal: 0,
    ipsetsCalico: {},
    iptablesChains: {},
    iptablesRules: {},
    lines: r.counts(),
  });
}

test('felix_iptables_lines_executed: restore input lines by IP version and table, saves not counted', async () => {
  const inner = new Recorder();
  const r = new LineCountingRunner(inner);
  const m = new AgentMetrics({ hostname: 'a', dataplane: withLines(r) });
  await r.run('iptables-legacy-restore', ['--noflush'], FILTER_INPUT);
  await r.run('ip6tables-nft-restore', ['--noflush'], '*raw\nCOMMIT\n');
  await r.run('iptables-legacy-save', ['-t', 'filter']);
  assert.equal(inner.calls.length, 3, 'every call forwarded');
  let v = await scrape(m);
  assert.equal(v.get('felix_iptables_lines_executed{ip_version="4",table="filter"}'), 4);
  assert.equal(v.get('felix_iptables_lines_executed{ip_version="6",table="raw"}'), 2);
  await r.run('iptables-legacy-restore', ['--noflush'], FILTER_INPUT);
  v = await scrape(m);
  assert.equal(v.get('felix_iptables_lines_executed{ip_version="4",table="filter"}'), 8);
  // Two tables in one input, an empty line (not counted) and no final newline.
  await r.run('iptables-nft-restore', ['--noflush'], '*mangle\n-A a\n\nCOMMIT\n*nat\n-A b\n-A c\nCOMMIT');
  v = await scrape(m);
  assert.equal(v.get('felix_iptables_lines_executed{ip_version="4",table="mangle"}'), 3);
  assert.equal(v.get('felix_iptables_lines_executed{ip_version="4",table="nat"}'), 4);
});

test('felix_ipset_lines_executed: ipset restore lines plus single destroys', async () => {
  const r = new LineCountingRunner(new Recorder());
  const m = new AgentMetrics({ hostname: 'a', dataplane: withLines(r) });
  assert.equal((await scrape(m)).get('felix_ipset_lines_executed'), 0);
  await r.run('ipset', ['restore'], 'create cali40s:x hash:net family inet\nadd cali40s:x 10.0.0.1/32\n');
  await r.run('ipset', ['save']);
  assert.equal((await scrape(m)).get('felix_ipset_lines_executed'), 2);
  await r.run('ipset', ['destroy', 'cali40s:x']);
  assert.equal((await scrape(m)).get('felix_ipset_lines_executed'), 3);
});

test('felix_cluster_num_hosts: workload endpoints are counted per host by New and delete, as Felix keyCountByHost', async () => {
  const m = new AgentMetrics({ hostname: 'a' });
  m.onUpdate(kv(WEP('node-d', 'ns%2fp1'), '{}'));
  // An Updated value of a known endpoint is not a new one.
  m.onUpdate({ key: WEP('node-d', 'ns%2fp1'), value: '{"x":1}', revision: '2', updateType: 2 } as KVUpdate);
  m.onUpdate(kv(WEP('node-d', 'ns%2fp2'), '{}'));
  m.onUpdate(kv(WEP('node-d', 'ns%2fp1'), null));
  assert.equal((await scrape(m)).get('felix_cluster_num_hosts'), 1, 'node-d still has p2');
  m.onUpdate(kv(WEP('node-d', 'ns%2fp2'), null));
  assert.equal((await scrape(m)).get('felix_cluster_num_hosts'), 0);
  m.onUpdate(kv(WEP('node-d', 'ns%2fp3'), null)); // a stray deletion never goes below zero
  m.onUpdate(kv(WEP('node-d', 'ns%2fp4'), '{}'));
  assert.equal((await scrape(m)).get('felix_cluster_num_hosts'), 1);
});
