// The service index (agent/calc/service-index.ts) alone, with Felix's own cases from
// felix/serviceindex/serviceindex_test.go as vectors, then the cases Felix has no test for:
// both families, label changes, FQDN and malformed addresses, port-less slices, a 10k slice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ServiceIndex, type MemberSink } from '../../../../agent/calc/service-index.js';
import type { ModelEndpointSlice } from '../../../../agent/model/index.js';
import { RecordingLogger } from './scenario.js';

/** Felix's testRecorder: the members each set has, from the added/removed callbacks. */
class Recorder implements MemberSink {
  readonly sets = new Map<string, Set<string>>();
  added = 0;
  removed = 0;
  onIPSetMemberAdded(id: string, m: string): void {
    this.added++;
    let s = this.sets.get(id);
    if (!s) this.sets.set(id, (s = new Set()));
    assert.ok(!s.has(m), `member ${m} added twice to ${id}`);
    s.add(m);
  }
  onIPSetMemberRemoved(id: string, m: string): void {
    this.removed++;
    const s = this.sets.get(id) ?? new Set<string>();
    assert.ok(s.has(m), `member ${m} removed from ${id} but not present`);
    s.delete(m);
    if (s.size === 0) this.sets.delete(id);
  }
  members(id: string): string[] {
    return [...(this.sets.get(id) ?? [])].sort();
  }
}

interface SliceOpts {
  readonly svc?: string;
  readonly endpoints: readonly (readonly string[])[];
  readonly ports?: readonly { port?: number | null; protocol?: 'TCP' | 'UDP' | 'SCTP' }[];
  readonly addressType?: string;
}

function slice(name: string, o: SliceOpts, ns = 'default'): ModelEndpointSlice {
  return {
    metadata: {
      name,
      namespace: ns,
      labels: o.svc === undefined ? {} : { 'kubernetes.io/service-name': o.svc },
    },
    addressType: o.addressType ?? 'IPv4',
    endpoints: o.endpoints.map((addresses) => ({ addresses: [...addresses] })),
    ports: (o.ports ?? [{ port: 80, protocol: 'TCP' }]).map((p) => ({ ...p })),
  };
}

function setup(): { idx: ServiceIndex; rec: Recorder; log: RecordingLogger } {
  const rec = new Recorder();
  const log = new RecordingLogger();
  return { idx: new ServiceIndex(rec, log), rec, log };
}

const put = (idx: ServiceIndex, name: string, s: ModelEndpointSlice | undefined, ns = 'default'): void =>
  idx.onSliceUpdate(
    ns,
    name,
    `/calico/resources/v3/projectcalico.org/kubernetesendpointslices/${ns}/${name}`,
    s,
  );

test('Felix: a Service made active, then inactive', () => {
  const { idx, rec } = setup();
  put(idx, 'ep1', slice('ep1', { svc: 'svc1', endpoints: [['10.0.0.1']] }));
  assert.equal(rec.sets.size, 0, 'not active: no members');
  idx.activate('identifier', 'default/svc1', true);
  assert.deepEqual(rec.members('identifier'), ['10.0.0.1,tcp:80']);
  idx.deactivate('identifier');
  assert.equal(rec.sets.has('identifier'), false);
  assert.equal(idx.membersOf('identifier'), undefined);
});

test('Felix: creation and deletion of an EndpointSlice, with and without ports; deleting an unknown slice', () => {
  const { idx, rec } = setup();
  idx.activate('identifier', 'default/svc1', true);
  idx.activate('svcnoport,identifier', 'default/svc1', false);
  assert.equal(rec.sets.size, 0);
  put(idx, 'ep1', slice('ep1', { svc: 'svc1', endpoints: [['10.0.0.1']] }));
  assert.deepEqual(rec.members('identifier'), ['10.0.0.1,tcp:80']);
  assert.deepEqual(rec.members('svcnoport,identifier'), ['10.0.0.1/32']);
  put(idx, 'ep1', undefined);
  assert.equal(rec.sets.size, 0);
  put(idx, 'ep1', undefined);
  assert.equal(rec.sets.size, 0);
  assert.equal(idx.sliceCount, 0);
});

test('Felix: multiple ports and protocols: one member per address and port, IP-only per address', () => {
  const { idx, rec } = setup();
  const ports = [
    { port: 80, protocol: 'TCP' as const },
    { port: 80, protocol: 'UDP' as const },
    { port: 80, protocol: 'SCTP' as const },
  ];
  put(idx, 'ep1', slice('ep1', { svc: 'svc1', endpoints: [['10.0.0.1', '10.0.0.2']], ports }));
  assert.equal(rec.sets.size, 0);
  idx.activate('identifier', 'default/svc1', true);
  assert.deepEqual(rec.members('identifier'), [
    '10.0.0.1,sctp:80',
    '10.0.0.1,tcp:80',
    '10.0.0.1,udp:80',
    '10.0.0.2,sctp:80',
    '10.0.0.2,tcp:80',
    '10.0.0.2,udp:80',
  ]);
  idx.activate('svcnoport,identifier', 'default/svc1', false);
  assert.deepEqual(rec.members('svcnoport,identifier'), ['10.0.0.1/32', '10.0.0.2/32']);
  idx.deactivate('identifier');
  assert.equal(rec.sets.has('identifier'), false);
  assert.equal(rec.members('svcnoport,identifier').length, 2);
});

test('Felix: transient overlapping slices count an endpoint once', () => {
  const { idx, rec } = setup();
  idx.activate('identifier', 'default/svc1', true);
  idx.activate('svcnoport,identifier', 'default/svc1', false);
  put(idx, 'ep1', slice('ep1', { svc: 'svc1', endpoints: [['10.0.0.1'], ['10.0.0.2']] }));
  assert.equal(rec.members('identifier').length, 2);
  assert.equal(rec.members('svcnoport,identifier').length, 2);
  put(idx, 'ep2', slice('ep2', { svc: 'svc1', endpoints: [['10.0.0.1'], ['10.0.0.3']] }));
  assert.equal(rec.members('identifier').length, 3);
  assert.equal(rec.members('svcnoport,identifier').length, 3);
  const before = [rec.added, rec.removed];
  put(idx, 'ep1', slice('ep1', { svc: 'svc1', endpoints: [['10.0.0.2']] }));
  assert.equal(rec.members('identifier').length, 3);
  assert.deepEqual([rec.added, rec.removed], before, 'the move is not visible to the dataplane');
  put(idx, 'ep2', slice('ep2', { svc: 'svc1', endpoints: [['10.0.0.3']] }));
  assert.deepEqual(rec.members('identifier'), ['10.0.0.2,tcp:80', '10.0.0.3,tcp:80']);
  assert.deepEqual(rec.members('svcnoport,identifier'), ['10.0.0.2/32', '10.0.0.3/32']);
});

test('IPv6 slices: canonical addresses in both kinds of set; a Service with one slice per family', () => {
  const { idx, rec } = setup();
  idx.activate('svc', 'default/web', true);
  idx.activate('nop', 'default/web', false);
  put(idx, 'web-v4', slice('web-v4', { svc: 'web', endpoints: [['10.0.0.1']] }));
  put(idx, 'web-v6', slice('web-v6', { svc: 'web', addressType: 'IPv6', endpoints: [['FD00:0:0::0A']] }));
  assert.deepEqual(rec.members('svc'), ['10.0.0.1,tcp:80', 'fd00::a,tcp:80']);
  assert.deepEqual(rec.members('nop'), ['10.0.0.1/32', 'fd00::a/128']);
});

test('a slice whose service-name label changes moves from one Service to the other', () => {
  const { idx, rec } = setup();
  idx.activate('a', 'default/a', true);
  idx.activate('b', 'default/b', true);
  put(idx, 's', slice('s', { svc: 'a', endpoints: [['10.0.0.1']] }));
  assert.deepEqual(rec.members('a'), ['10.0.0.1,tcp:80']);
  put(idx, 's', slice('s', { svc: 'b', endpoints: [['10.0.0.1']] }));
  assert.deepEqual(rec.members('a'), []);
  assert.deepEqual(rec.members('b'), ['10.0.0.1,tcp:80']);
  // The label removed: the slice belongs to no named Service.
  put(idx, 's', slice('s', { endpoints: [['10.0.0.1']] }));
  assert.equal(rec.sets.size, 0);
});

test('same-named Services in two namespaces are different sets', () => {
  const { idx, rec } = setup();
  idx.activate('prod', 'prod/web', true);
  idx.activate('dev', 'dev/web', true);
  put(idx, 'web-1', slice('web-1', { svc: 'web', endpoints: [['10.0.1.1']] }, 'prod'), 'prod');
  put(idx, 'web-1', slice('web-1', { svc: 'web', endpoints: [['10.0.2.1']] }, 'dev'), 'dev');
  assert.deepEqual(rec.members('prod'), ['10.0.1.1,tcp:80']);
  assert.deepEqual(rec.members('dev'), ['10.0.2.1,tcp:80']);
});

test('FQDN addresses are skipped quietly, malformed ones with a warning and the key; the rest stays', () => {
  const { idx, rec, log } = setup();
  idx.activate('svc', 'default/web', true);
  idx.activate('nop', 'default/web', false);
  put(idx, 'dns', slice('dns', { svc: 'web', addressType: 'FQDN', endpoints: [['db.example.com']] }));
  assert.equal(rec.sets.size, 0);
  assert.ok(!log.lines.some((l) => l.level === 'warn'));
  put(idx, 'bad', slice('bad', { svc: 'web', endpoints: [['10.0.0.300', '10.0.0.7'], ['01.2.3.4']] }));
  assert.deepEqual(rec.members('svc'), ['10.0.0.7,tcp:80']);
  const warns = log.lines.filter((l) => l.level === 'warn');
  assert.equal(warns.length, 2);
  assert.deepEqual(warns[0]?.fields, {
    key: '/calico/resources/v3/projectcalico.org/kubernetesendpointslices/default/bad',
    address: '10.0.0.300',
  });
  // A CIDR is an IP-only member (Felix's ParseCIDROrIP, masked) but no IP+port member (ip.FromString).
  put(idx, 'cidr', slice('cidr', { svc: 'web', endpoints: [['10.1.0.9/24']] }));
  assert.deepEqual(rec.members('nop'), ['10.0.0.7/32', '10.1.0.0/24']);
  assert.deepEqual(rec.members('svc'), ['10.0.0.7,tcp:80']);
});

test('slices without ports, or with a nil port, give IP-only members only', () => {
  const { idx, rec } = setup();
  idx.activate('svc', 'default/web', true);
  idx.activate('nop', 'default/web', false);
  put(idx, 'none', slice('none', { svc: 'web', endpoints: [['10.0.0.1']], ports: [] }));
  put(idx, 'all', slice('all', { svc: 'web', endpoints: [['10.0.0.2']], ports: [{ port: null }] }));
  assert.deepEqual(rec.members('svc'), []);
  assert.deepEqual(rec.members('nop'), ['10.0.0.1/32', '10.0.0.2/32']);
  // A port without a protocol is TCP (felix/serviceindex).
  put(idx, 'all', slice('all', { svc: 'web', endpoints: [['10.0.0.2']], ports: [{ port: 53 }] }));
  assert.deepEqual(rec.members('svc'), ['10.0.0.2,tcp:53']);
});

test('a 10,000-endpoint slice: adding, changing and removing one endpoint is one member delta each', () => {
  const { idx, rec } = setup();
  idx.activate('svc', 'default/big', true);
  idx.activate('nop', 'default/big', false);
  const addrs = (n: number): string[][] =>
    Array.from({ length: n }, (_, i) => [`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`]);
  const base = addrs(10_000);
  put(idx, 'big', slice('big', { svc: 'big', endpoints: base }));
  assert.equal(rec.added, 20_000);
  assert.equal(rec.members('svc').length, 10_000);
  rec.added = 0;
  put(idx, 'big', slice('big', { svc: 'big', endpoints: [...base, ['10.200.0.1']] }));
  assert.deepEqual([rec.added, rec.removed], [2, 0], 'one endpoint added: one member per set');
  put(idx, 'big', slice('big', { svc: 'big', endpoints: [...base.slice(1), ['10.200.0.1']] }));
  assert.deepEqual([rec.added, rec.removed], [2, 2], 'one endpoint removed: one member per set');
  const moved = [...base.slice(1)];
  moved[5000] = ['10.201.0.1'];
  put(idx, 'big', slice('big', { svc: 'big', endpoints: [...moved, ['10.200.0.1']] }));
  assert.deepEqual([rec.added, rec.removed], [4, 4], 'one address changed: one out, one in, per set');
  assert.equal(rec.members('svc').length, 10_000);
  assert.ok(rec.sets.get('svc')?.has('10.201.0.1,tcp:80'));
  assert.ok(!rec.sets.get('nop')?.has('10.0.0.0/32'));
});

test('Services are counted but add no members (Felix passes them through for BPF only)', () => {
  const { idx, rec } = setup();
  idx.activate('svc', 'default/web', true);
  idx.onServiceUpdate('default', 'web', { spec: { clusterIP: '10.96.0.10', ports: [{ port: 80 }] } });
  assert.equal(idx.serviceCount, 1);
  assert.equal(rec.sets.size, 0);
  idx.onServiceUpdate('default', 'web', undefined);
  assert.equal(idx.serviceCount, 0);
});
