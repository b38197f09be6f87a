// The "not enforced" report of the calc (issue 14 item 5): a local workload's bandwidth QoS controls and
// rules with an HTTP match are counted per KV, logged once per KV at WARNING, and released on delete.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CalcGraph } from '../../../../agent/calc/index.js';
import { kv } from './fake-dataplane.js';
import { HOST, wepKey } from './fixtures.js';
import { RecordingLogger } from './scenario.js';

const wep = (host: string, name: string, qosControls?: unknown) =>
  kv(wepKey('prod', name).replace(`/host/${HOST}/`, `/host/${host}/`), {
    state: 'active',
    name: `cali${name}`,
    profile_ids: [],
    ipv4_nets: ['10.65.0.9/32'],
    ...(qosControls === undefined ? {} : { qosControls }),
  });

const policy = (name: string, http: unknown) =>
  kv(`/calico/v1/policy/GlobalNetworkPolicy//${name}`, {
    tier: 'default',
    selector: 'all()',
    inbound_rules: [{ action: 'allow', protocol: 'tcp', dst_ports: [80], ...(http ? { http } : {}) }],
  });

test('bandwidth on local workloads and HTTP matches in rules are counted, logged once per KV, released', () => {
  const log = new RecordingLogger();
  const g = new CalcGraph({ hostname: HOST, logger: log });
  assert.deepEqual(g.unsupported.read(), { changed: false, uses: [] });

  g.onUpdates([
    wep(HOST, 'a', { ingressBandwidth: 1000000 }),
    wep(HOST, 'b', { egressBurst: 5000 }),
    wep(HOST, 'c', { ingressPacketRate: 100 }), // enforced: not counted
    wep('other-node', 'd', { ingressBandwidth: 1000000 }), // not this node's
    policy('web', { methods: ['GET'] }),
    policy('plain', undefined),
  ]);
  const r = g.unsupported.read();
  assert.equal(r.changed, true);
  assert.deepEqual(
    r.uses.map((u) => [u.feature, u.uses]),
    [
      ['policy-http-match', 1],
      ['qos-bandwidth', 2],
    ],
  );
  assert.match(r.uses[1]!.detail, /does not program tc/);
  // The same KVs again: nothing new, nothing logged twice.
  g.onUpdates([wep(HOST, 'a', { ingressBandwidth: 2000000 }), policy('web', { paths: [{ exact: '/' }] })]);
  assert.equal(g.unsupported.read().changed, false);
  const warned = log.lines.filter((l) => l.msg.startsWith('Not enforced by felix-ts: '));
  assert.deepEqual(warned.map((l) => (l.fields as { feature?: string } | undefined)?.feature).sort(), [
    'policy-http-match',
    'qos-bandwidth',
    'qos-bandwidth',
  ]);

  // Gone or fixed: released.
  g.onUpdates([
    { key: wep(HOST, 'a').key, value: null, revision: '2', updateType: 3 },
    wep(HOST, 'b', {}),
    policy('web', undefined),
  ]);
  assert.deepEqual(g.unsupported.read(), { changed: true, uses: [] });
});
