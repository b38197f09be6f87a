// Endpoint bookkeeping (agent/calc/endpoints.ts) alone, then through the graph.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Endpoints, endpointMessage, type EndpointConsumers } from '../../../../agent/calc/endpoints.js';
import {
  decodeValue,
  parseKey,
  type Key,
  type ModelHostEndpoint,
  type ModelWorkloadEndpoint,
} from '../../../../agent/model/index.js';
import type { KVUpdate } from '../../../../syncer-client/api.js';
import { kv } from './fake-dataplane.js';
import { HOST, nsProfile, wep, wepKey } from './fixtures.js';
import { RecordingLogger, setup } from './scenario.js';

function recording(): { calls: string[]; consumers: EndpointConsumers } {
  const calls: string[] = [];
  const consumers: EndpointConsumers = {
    ipsets: {
      updateItem: (id, labels, parents, d) =>
        calls.push(
          `ipsets.update ${id} [${[...labels.keys()].join(',')}] [${parents.join(',')}] ${JSON.stringify(d)}`,
        ),
      deleteItem: (id) => calls.push(`ipsets.delete ${id}`),
    },
    activeRules: {
      updateEndpoint: (key, _l, before, after) =>
        calls.push(`rules.update ${key} [${before.join(',')}]->[${after.join(',')}]`),
      removeEndpoint: (key, profiles) => calls.push(`rules.remove ${key} [${profiles.join(',')}]`),
    },
    sequencer: {
      onEndpointDirty: (k) => calls.push(`seq.dirty ${k}`),
      onEndpointUpdated: (k) => calls.push(`seq.updated ${k}`),
      onEndpointRemoved: (k, m) => calls.push(`seq.removed ${k} ${m.kind}`),
    },
  };
  return { calls, consumers };
}

function decodeKV(u: KVUpdate): { key: Key; value: unknown } {
  const key = parseKey(u.key);
  assert.ok(key);
  const r = decodeValue(key, u.key, u.value as string);
  assert.ok(r.ok);
  return { key, value: r.value };
}

test('endpoints alone: every endpoint feeds IP sets; local ones also feed active rules and the sequencer', () => {
  const { calls, consumers } = recording();
  const log = new RecordingLogger();
  const eps = new Endpoints(HOST, consumers, () => false, log);
  const remote = wep({
    ns: 'prod',
    pod: 'far',
    ip: '10.66.0.1',
    host: 'node-2',
    ports: [{ name: 'http', protocol: 'tcp', port: 80 }],
  });
  const local = wep({ ns: 'prod', pod: 'web-1', ip: '10.65.0.2', labels: { app: 'web' }, sa: 'sa' });
  const r = decodeKV(remote);
  assert.equal(r.key.type, 'workloadEndpoint');
  eps.onWorkloadUpdate(
    r.key as Key & { type: 'workloadEndpoint' },
    remote.key,
    r.value as ModelWorkloadEndpoint,
  );
  assert.deepEqual(calls.splice(0), [
    `ipsets.update ${remote.key} [projectcalico.org/namespace,projectcalico.org/orchestrator] [kns.prod] {"nets":["10.66.0.1/32"],"addrs":["10.66.0.1"],"ports":[{"name":"http","proto":"tcp","port":80}]}`,
  ]);
  const l = decodeKV(local);
  eps.onWorkloadUpdate(
    l.key as Key & { type: 'workloadEndpoint' },
    local.key,
    l.value as ModelWorkloadEndpoint,
  );
  assert.equal(calls.length, 3);
  assert.deepEqual(calls.slice(1), [
    `rules.update ${local.key} []->[kns.prod,ksa.prod.sa]`,
    `seq.updated ${local.key}`,
  ]);
  calls.length = 0;
  assert.equal(eps.clusterWorkloadCount, 2);
  assert.deepEqual([...eps.localKeys()], [local.key]);
  const ep = eps.get(local.key);
  assert.ok(ep && ep.kind === 'workload');
  assert.deepEqual(ep.id, { orchestratorId: 'k8s', workloadId: 'prod/web-1', endpointId: 'eth0' });
  const msg = endpointMessage(ep, { tiers: [], untrackedTiers: [], preDnatTiers: [], forwardTiers: [] });
  assert.ok(msg.kind === 'workloadEndpointUpdate');
  assert.deepEqual(msg.endpoint.profileIds, ['kns.prod', 'ksa.prod.sa']);
  assert.deepEqual(msg.endpoint.ipv4Nets, ['10.65.0.2/32']);
  assert.equal(msg.endpoint.mac, 'ee:ee:ee:ee:ee:ee');
  eps.onRemove(local.key);
  assert.deepEqual(calls.splice(0), [
    `ipsets.delete ${local.key}`,
    `rules.remove ${local.key} [kns.prod,ksa.prod.sa]`,
    `seq.removed ${local.key} workloadEndpointRemove`,
  ]);
  eps.onRemove(remote.key);
  assert.deepEqual(calls.splice(0), [`ipsets.delete ${remote.key}`]);
  assert.equal(eps.clusterWorkloadCount, 0);
  assert.equal(log.lines.length, 0);
});

test('endpoints alone: host endpoints; spoofing WEPs are deleted with a warning unless allowed', () => {
  const { calls, consumers } = recording();
  const log = new RecordingLogger();
  let allowed = false;
  const eps = new Endpoints(HOST, consumers, () => allowed, log);
  const hep = kv(`/calico/v1/host/${HOST}/endpoint/eth0`, {
    name: 'eth0',
    expected_ipv4_addrs: ['192.168.1.10'],
    labels: { role: 'node' },
  });
  const h = decodeKV(hep);
  eps.onHostUpdate(h.key as Key & { type: 'hostEndpoint' }, hep.key, h.value as ModelHostEndpoint);
  assert.deepEqual(calls.splice(0), [
    `ipsets.update ${hep.key} [role] [] {"nets":["192.168.1.10/32"],"addrs":["192.168.1.10"],"ports":[]}`,
    `rules.update ${hep.key} []->[]`,
    `seq.updated ${hep.key}`,
  ]);
  const ep = eps.get(hep.key);
  assert.ok(ep && ep.kind === 'host');
  const msg = endpointMessage(ep, { tiers: [], untrackedTiers: [], preDnatTiers: [], forwardTiers: [] });
  assert.ok(msg.kind === 'hostEndpointUpdate');
  assert.deepEqual(msg.id, { endpointId: 'eth0' });
  assert.deepEqual(msg.endpoint.expectedIpv4Addrs, ['192.168.1.10']);
  const spoofy = kv(wepKey('prod', 'spoof'), {
    state: 'active',
    name: 'calispoof',
    ipv4_nets: ['10.65.0.7/32'],
    allow_spoofed_source_ips: ['10.99.0.0/16'],
  });
  const s = decodeKV(spoofy);
  eps.onWorkloadUpdate(
    s.key as Key & { type: 'workloadEndpoint' },
    spoofy.key,
    s.value as ModelWorkloadEndpoint,
  );
  assert.deepEqual(calls.splice(0), [`ipsets.delete ${spoofy.key}`]);
  assert.deepEqual(
    log.lines.map((l) => [l.level, l.msg, l.fields]),
    [
      [
        'warn',
        'calc: workload endpoint asks for spoofed source IPs but WorkloadSourceSpoofing is not Any; treating as delete',
        { key: spoofy.key },
      ],
    ],
  );
  allowed = true;
  eps.onWorkloadUpdate(
    s.key as Key & { type: 'workloadEndpoint' },
    spoofy.key,
    s.value as ModelWorkloadEndpoint,
  );
  assert.equal(calls.filter((c) => c.startsWith('seq.updated')).length, 1);
  assert.equal(log.lines.length, 1);
});

test('WEPs asking for spoofed source IPs are rejected unless WorkloadSourceSpoofing=Any', () => {
  const spoofy = kv(wepKey('prod', 'spoof'), {
    state: 'active',
    name: 'calispoof',
    ipv4_nets: ['10.65.0.7/32'],
    allow_spoofed_source_ips: ['10.99.0.0/16'],
    labels: {},
  });
  const a = setup([...nsProfile('prod'), spoofy]);
  assert.equal(a.dp.endpoints.size, 0);
  const b = setup([kv('/calico/v1/config/WorkloadSourceSpoofing', 'Any'), ...nsProfile('prod'), spoofy]);
  assert.equal(b.dp.endpoints.size, 1);
});

test('endpoint nets: each written as its address and host prefix, whatever form it came in', () => {
  const { calls, consumers } = recording();
  const eps = new Endpoints(HOST, consumers, () => false, new RecordingLogger());
  const base = wep({ ns: 'prod', pod: 'nets', ip: '10.66.0.1', host: 'node-2' });
  const value = {
    ...(JSON.parse(base.value as string) as Record<string, unknown>),
    // Plain /32 (the fast path), bare, a wider prefix with host bits, a duplicate of the first, and
    // IPv6 in two spellings.
    ipv4_nets: ['10.66.0.1/32', '10.66.0.2', '10.66.1.9/24', '10.66.0.1'],
    ipv6_nets: ['fd00::0001/128', 'FD00:0:0:0:0:0:0:2'],
  };
  const u = { ...base, value: JSON.stringify(value) };
  const r = decodeKV(u);
  eps.onWorkloadUpdate(r.key as Key & { type: 'workloadEndpoint' }, u.key, r.value as ModelWorkloadEndpoint);
  assert.equal(calls.length, 1);
  const data = JSON.parse(/\{.*\}$/.exec(calls[0] as string)?.[0] ?? 'null') as {
    nets: string[];
    addrs: string[];
  };
  assert.deepEqual(data.nets, ['10.66.0.1/32', '10.66.0.2/32', '10.66.1.9/32', 'fd00::1/128', 'fd00::2/128']);
  assert.deepEqual(data.addrs, ['10.66.0.1', '10.66.0.2', '10.66.1.9', 'fd00::1', 'fd00::2']);
});
