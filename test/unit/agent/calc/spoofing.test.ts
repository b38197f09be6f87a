// Workloads' allowed spoofed source prefixes through the calc (issue 12, raw table): Felix's validation
// filter (felix/calc/validation_filter.go) with WorkloadSourceSpoofing from a local source or the datastore,
// the prefixes in Go's IPNet.String() form (felix/calc/event_sequencer.go netsToStrings), and malformed
// entries logged with the key and skipped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CalcGraph } from '../../../../agent/calc/index.js';
import type { ToDataplane, WorkloadEndpoint } from '../../../../rules/dataplane-api/types.js';
import type { KVUpdate } from '../../../../syncer-client/api.js';
import { kv } from './fake-dataplane.js';
import { HOST, nsProfile, wepKey } from './fixtures.js';
import { RecordingLogger } from './scenario.js';

function spoofy(prefixes: unknown[]): KVUpdate {
  return kv(wepKey('prod', 'spoof'), {
    state: 'active',
    name: 'calispoof',
    profile_ids: ['kns.prod'],
    ipv4_nets: ['10.65.0.7/32'],
    allow_spoofed_source_ips: prefixes,
    labels: { 'projectcalico.org/namespace': 'prod' },
  });
}

function run(
  snapshot: KVUpdate[],
  local?: 'Disabled' | 'Any',
): { endpoints: WorkloadEndpoint[]; log: RecordingLogger } {
  const log = new RecordingLogger();
  const g = new CalcGraph({
    hostname: HOST,
    logger: log,
    ...(local ? { workloadSourceSpoofing: local } : {}),
  });
  g.onUpdates(snapshot);
  const out: ToDataplane[] = [...g.flush()];
  g.onStatus('in-sync');
  out.push(...g.flush());
  const endpoints = out.flatMap((m) => (m.kind === 'workloadEndpointUpdate' ? [m.endpoint] : []));
  return { endpoints, log };
}

const cfg = (v: string): KVUpdate => kv('/calico/v1/config/WorkloadSourceSpoofing', v);

test('WorkloadSourceSpoofing: a local value wins over the datastore; the datastore value is case-insensitive', () => {
  const wl = [...nsProfile('prod'), spoofy(['10.99.0.0/16'])];
  assert.equal(run(wl).endpoints.length, 0, 'default Disabled: refused');
  assert.equal(run([cfg('any'), ...wl]).endpoints.length, 1, 'datastore "any"');
  assert.equal(
    run([cfg('Any'), ...wl], 'Disabled').endpoints.length,
    0,
    'local Disabled beats datastore Any',
  );
  assert.equal(
    run([cfg('Disabled'), ...wl], 'Any').endpoints.length,
    1,
    'local Any beats datastore Disabled',
  );
  assert.equal(run(wl, 'Any').endpoints.length, 1, 'local Any alone');
});

test('prefixes are sent as Felix prints them; a malformed entry is logged with the key and skipped', () => {
  const bad = spoofy([
    '10.98.0.5/24',
    '10.1.2.3',
    'fd00:99:0::1/64',
    '::ffff:10.5.0.0/112',
    '10.0.0.0/40',
    'junk',
  ]);
  const { endpoints, log } = run([...nsProfile('prod'), bad], 'Any');
  assert.equal(endpoints.length, 1);
  assert.deepEqual(endpoints[0]!.allowSpoofedSourcePrefixes, [
    '10.98.0.5/24',
    '10.1.2.3/32',
    'fd00:99::1/64',
    '10.5.0.0/16',
  ]);
  const warned = log.lines.filter((l) => l.msg === 'calc: malformed allow_spoofed_source_ips entry skipped');
  assert.deepEqual(
    warned.map((l) => l.fields),
    [
      { key: bad.key, prefix: '10.0.0.0/40' },
      { key: bad.key, prefix: 'junk' },
    ],
  );
});

test('only malformed prefixes: nothing to spoof, so the endpoint is accepted even with spoofing Disabled', () => {
  const { endpoints } = run([...nsProfile('prod'), spoofy(['nope'])]);
  assert.equal(endpoints.length, 1);
  assert.deepEqual(endpoints[0]!.allowSpoofedSourcePrefixes, []);
});
