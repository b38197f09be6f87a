// The IP set calculator (agent/calc/ipsets.ts) alone, with the event sequencer as its sink, then
// through the graph.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IPSetCalculator, networkSetData } from '../../../../agent/calc/ipsets.js';
import type { IPSetSink } from '../../../../agent/calc/event-sequencer.js';
import { namedPortSetId, parseSelector } from '../../../../agent/selector/index.js';
import { IPSetType } from '../../../../rules/dataplane-api/types.js';
import { EventSequencer } from '../../../../agent/calc/event-sequencer.js';
import { kv } from './fake-dataplane.js';
import { randomLabels, rng } from './random.js';
import { DEFAULT_TIERS, np, nsProfile, gnp, wep } from './fixtures.js';
import { DB, WEB, setup, step } from './scenario.js';

class RecordingSink implements IPSetSink {
  readonly events: string[] = [];
  onIPSetAdded(id: string, type: IPSetType): void {
    this.events.push(`add ${id} ${type}`);
  }
  onIPSetRemoved(id: string): void {
    this.events.push(`remove ${id}`);
  }
  onIPSetMemberAdded(id: string, m: string): void {
    this.events.push(`+ ${id} ${m}`);
  }
  onIPSetMemberRemoved(id: string, m: string): void {
    this.events.push(`- ${id} ${m}`);
  }
}

test('IP set calculator alone: activation, refcounted members and sets, shared selectors', () => {
  const sink = new RecordingSink();
  const calc = new IPSetCalculator(sink);
  const web = parseSelector("app == 'web'");
  const labels = (app: string): Map<string, string> => new Map([['app', app]]);
  const data = (ip: string, port?: number) => ({
    nets: [`${ip}/32`],
    addrs: [ip],
    ports: port ? [{ name: 'http', proto: 'tcp', port }] : [],
  });
  calc.updateItem('e1', labels('web'), [], data('10.0.0.1', 80));
  calc.updateItem('e2', labels('db'), [], data('10.0.0.2', 80));
  assert.deepEqual(sink.events, [], 'no active set: nothing reported');
  const sel = { kind: 'selector' as const, id: web.uniqueId(), selector: web };
  calc.ref(sel);
  assert.deepEqual(sink.events.splice(0), [`add ${sel.id} ${IPSetType.NET}`, `+ ${sel.id} 10.0.0.1/32`]);
  calc.ref(sel);
  assert.deepEqual(sink.events, [], 'second reference: no event');
  const np = { kind: 'namedPort' as const, id: 'np', selector: web, proto: 'tcp' as const, port: 'http' };
  calc.ref(np);
  assert.deepEqual(sink.events.splice(0), [`add np ${IPSetType.IP_AND_PORT}`, '+ np 10.0.0.1,tcp:80']);
  assert.equal(calc.activeCount, 2);
  assert.deepEqual(calc.membersOf('np'), ['10.0.0.1,tcp:80']);
  // e2 relabelled into the selector: both sets that share it gain it.
  calc.updateItem('e2', labels('web'), [], data('10.0.0.2', 80));
  assert.deepEqual(sink.events.splice(0), [`+ ${sel.id} 10.0.0.2/32`, '+ np 10.0.0.2,tcp:80']);
  // Same address from a second item: refcounted, no event; gone only when both are gone.
  calc.updateItem('e3', labels('web'), [], data('10.0.0.2'));
  assert.deepEqual(sink.events.splice(0), []);
  calc.deleteItem('e2');
  assert.deepEqual(sink.events.splice(0), ['- np 10.0.0.2,tcp:80']);
  calc.deleteItem('e3');
  assert.deepEqual(sink.events.splice(0), [`- ${sel.id} 10.0.0.2/32`]);
  calc.unref(sel.id);
  assert.deepEqual(sink.events, [], 'still referenced once');
  calc.unref(sel.id);
  calc.unref('np');
  assert.deepEqual(sink.events.splice(0), [`remove ${sel.id}`, 'remove np']);
  assert.equal(calc.activeCount, 0);
  assert.equal(calc.isActive('np'), false);
  calc.unref('np');
  assert.deepEqual(sink.events, [], 'unref of an inactive set is a no-op');
});

test('IP set calculator deferring selectors: sets sharing a pending selector get their members at settle', () => {
  const sink = new RecordingSink();
  const calc = new IPSetCalculator(sink);
  const web = parseSelector("app == 'web'");
  const db = parseSelector("app == 'db'");
  const data = (ip: string) => ({
    nets: [`${ip}/32`],
    addrs: [ip],
    ports: [{ name: 'http', proto: 'tcp', port: 80 }],
  });
  calc.updateItem('e1', new Map([['app', 'web']]), [], data('10.0.0.1'));
  calc.updateItem('e2', new Map([['app', 'db']]), [], data('10.0.0.2'));
  calc.deferSelectors();
  const sel = { kind: 'selector' as const, id: web.uniqueId(), selector: web };
  const np = { kind: 'namedPort' as const, id: 'np', selector: web, proto: 'tcp' as const, port: 'http' };
  const dbSel = { kind: 'selector' as const, id: db.uniqueId(), selector: db };
  calc.ref(sel);
  calc.ref(np); // shares web's selector, still pending
  calc.ref(dbSel);
  calc.unref(dbSel.id); // gone before it was evaluated: no members, no trace
  assert.deepEqual(sink.events.splice(0), [
    `add ${sel.id} ${IPSetType.NET}`,
    `add np ${IPSetType.IP_AND_PORT}`,
    `add ${dbSel.id} ${IPSetType.NET}`,
    `remove ${dbSel.id}`,
  ]);
  calc.settle();
  assert.deepEqual(sink.events.splice(0), [`+ ${sel.id} 10.0.0.1/32`, '+ np 10.0.0.1,tcp:80']);
  assert.deepEqual(calc.membersOf('np'), ['10.0.0.1,tcp:80']);
  assert.deepEqual(calc.index.sizes().selectors, 1);
  // Settled: a later ref of a shared selector copies its members at once, as without deferring.
  const np2 = { kind: 'namedPort' as const, id: 'np2', selector: web, proto: 'any' as const, port: 'http' };
  calc.ref(np2);
  assert.deepEqual(sink.events.splice(0), [`add np2 ${IPSetType.IP_AND_PORT}`, '+ np2 10.0.0.1,tcp:80']);
});

test('IP set calculator membership matches brute force, deltas replay to the same state', () => {
  const r = rng(777);
  const seq = new EventSequencer(() => undefined);
  const calc = new IPSetCalculator(seq);
  const items = new Map<
    string,
    { labels: Map<string, string>; nets: string[]; ports: { name: string; proto: string; port: number }[] }
  >();
  const sent = new Map<string, Set<string>>();
  const specs = [
    { kind: 'selector' as const, sel: "app == 'a'" },
    { kind: 'selector' as const, sel: "env in {'a', 'b'}" },
    { kind: 'namedPort' as const, sel: "app == 'a'", proto: 'tcp' as const, port: 'http' },
    { kind: 'namedPort' as const, sel: 'all()', proto: 'any' as const, port: 'dns' },
  ].map((s, i) => ({ ...s, id: `set${i}`, selector: parseSelector(s.sel) }));
  const refs = new Map<string, number>();
  for (let stepNo = 0; stepNo < 2000; stepNo++) {
    const op = r();
    if (op < 0.6) {
      const id = `e${Math.floor(r() * 30)}`;
      const n = Math.floor(r() * 3);
      const nets = [...new Set(Array.from({ length: n }, () => `10.0.0.${Math.floor(r() * 20)}/32`))];
      const ports =
        r() < 0.5
          ? [
              {
                name: r() < 0.5 ? 'http' : 'dns',
                proto: r() < 0.5 ? 'tcp' : 'udp',
                port: 80 + Math.floor(r() * 3),
              },
            ]
          : [];
      const labels = randomLabels(r, ['app', 'env']);
      items.set(id, { labels, nets, ports });
      calc.updateItem(id, labels, [], { nets, addrs: nets.map((x) => x.split('/')[0] as string), ports });
    } else if (op < 0.7) {
      const id = `e${Math.floor(r() * 30)}`;
      items.delete(id);
      calc.deleteItem(id);
    } else {
      const s = specs[Math.floor(r() * specs.length)]!;
      const n = refs.get(s.id) ?? 0;
      if (n > 0 && r() < 0.5) {
        calc.unref(s.id);
        refs.set(s.id, n - 1);
      } else {
        calc.ref(
          s.kind === 'selector'
            ? { kind: 'selector', id: s.id, selector: s.selector }
            : { kind: 'namedPort', id: s.id, selector: s.selector, proto: s.proto, port: s.port },
        );
        refs.set(s.id, n + 1);
      }
    }
    if (r() < 0.3) {
      for (const m of seq.flush()) {
        if (m.kind === 'ipsetUpdate') sent.set(m.id, new Set(m.members));
        else if (m.kind === 'ipsetDeltaUpdate') {
          const s = sent.get(m.id)!;
          for (const x of m.removedMembers) assert.ok(s.delete(x));
          for (const x of m.addedMembers) {
            assert.ok(!s.has(x));
            s.add(x);
          }
        } else if (m.kind === 'ipsetRemove') assert.ok(sent.delete(m.id));
      }
      for (const s of specs) {
        const active = (refs.get(s.id) ?? 0) > 0;
        assert.equal(sent.has(s.id), active, `step ${stepNo} ${s.id} active`);
        if (!active) continue;
        const want = new Set<string>();
        for (const it of items.values()) {
          if (!s.selector.evaluate(it.labels)) continue;
          if (s.kind === 'selector') for (const n of it.nets) want.add(n);
          else
            for (const p of it.ports) {
              if (p.name !== s.port || (s.proto !== 'any' && p.proto !== s.proto)) continue;
              for (const n of it.nets) want.add(`${n.split('/')[0]},${p.proto}:${p.port}`);
            }
        }
        assert.deepEqual([...sent.get(s.id)!].sort(), [...want].sort(), `step ${stepNo} ${s.id}`);
      }
    }
  }
});

test('network set data: a /0 becomes two /1s, duplicates collapse', () => {
  assert.deepEqual(networkSetData(['0.0.0.0/0', '::/0', '10.0.0.0/8', '10.0.0.0/8']), {
    nets: ['0.0.0.0/1', '128.0.0.0/1', '::/1', '8000::/1', '10.0.0.0/8'],
    addrs: [],
    ports: [],
  });
});

test('rule selectors see labels inherited from namespace profiles (pcns.*)', () => {
  const { g, dp } = setup([
    ...DEFAULT_TIERS,
    ...nsProfile('prod'),
    ...nsProfile('ops', { team: 'sre' }),
    ...nsProfile('dev', { team: 'dev' }),
    wep({ ns: 'prod', pod: 'web-1', ip: '10.65.0.2', labels: { app: 'web' } }),
    wep({ ns: 'ops', pod: 'tool-1', ip: '10.65.2.1', host: 'node-3' }),
    wep({ ns: 'dev', pod: 'tool-1', ip: '10.65.3.1', host: 'node-3' }),
    np('prod', 'from-sre', {
      tier: 'default',
      selector: "projectcalico.org/namespace == 'prod'",
      inbound_rules: [{ action: 'allow', src_selector: "pcns.team == 'sre'" }],
      types: ['ingress'],
    }),
  ]);
  const setId = parseSelector("pcns.team == 'sre'").uniqueId();
  assert.deepEqual([...(dp.ipsets.get(setId)?.members ?? [])], ['10.65.2.1/32']);
  assert.equal(dp.verdict(WEB, 'ingress', { src: '10.65.2.1' }), 'allow');
  assert.equal(dp.verdict(WEB, 'ingress', { src: '10.65.3.1' }), 'deny');
  // The dev namespace is relabelled team=sre: its pods join the set as a delta.
  const out = step(g, dp, nsProfile('dev', { team: 'sre' }));
  assert.deepEqual(out, [
    { kind: 'ipsetDeltaUpdate', id: setId, addedMembers: ['10.65.3.1/32'], removedMembers: [] },
  ]);
});

test('network sets feed selector IP sets; /0 is split; changes are deltas', () => {
  const { g, dp } = setup([
    ...DEFAULT_TIERS,
    ...nsProfile('prod'),
    wep({ ns: 'prod', pod: 'web-1', ip: '10.65.0.2', labels: { app: 'web' } }),
    kv('/calico/v1/netset/blocked', {
      nets: ['192.0.2.0/24', '198.51.100.7/32'],
      labels: { role: 'blocked' },
    }),
    kv('/calico/v1/netset/prod%2finternal', {
      nets: ['10.200.0.0/16'],
      labels: { kind: 'internal', 'projectcalico.org/namespace': 'prod' },
      profile_ids: ['kns.prod'],
    }),
    kv('/calico/v1/netset/everything', { nets: ['0.0.0.0/0'], labels: { role: 'world' } }),
    gnp('block', {
      tier: 'default',
      order: 1,
      selector: 'all()',
      types: ['ingress'],
      inbound_rules: [
        { action: 'deny', src_selector: "role == 'blocked'" },
        { action: 'allow', src_selector: "kind == 'internal' && pcns.projectcalico.org/name == 'prod'" },
        { action: 'deny', src_selector: "role == 'world'", protocol: 'udp' },
      ],
    }),
  ]);
  const blocked = parseSelector("role == 'blocked'").uniqueId();
  const internal = parseSelector("kind == 'internal' && pcns.projectcalico.org/name == 'prod'").uniqueId();
  const world = parseSelector("role == 'world'").uniqueId();
  assert.deepEqual([...(dp.ipsets.get(blocked)?.members ?? [])].sort(), ['192.0.2.0/24', '198.51.100.7/32']);
  assert.deepEqual(
    [...(dp.ipsets.get(internal)?.members ?? [])],
    ['10.200.0.0/16'],
    'namespaced set inherits kns labels',
  );
  assert.deepEqual([...(dp.ipsets.get(world)?.members ?? [])].sort(), ['0.0.0.0/1', '128.0.0.0/1']);
  assert.equal(dp.ipsets.get(blocked)?.type, 2, 'selector sets are NET');
  assert.equal(dp.verdict(WEB, 'ingress', { src: '192.0.2.9' }), 'deny');
  assert.equal(dp.verdict(WEB, 'ingress', { src: '10.200.3.4' }), 'allow');
  const out = step(g, dp, [
    kv('/calico/v1/netset/blocked', {
      nets: ['192.0.2.0/24', '203.0.113.0/24'],
      labels: { role: 'blocked' },
    }),
  ]);
  assert.deepEqual(out, [
    {
      kind: 'ipsetDeltaUpdate',
      id: blocked,
      addedMembers: ['203.0.113.0/24'],
      removedMembers: ['198.51.100.7/32'],
    },
  ]);
  const out2 = step(g, dp, [kv('/calico/v1/netset/blocked', null)]);
  assert.deepEqual(out2, [
    {
      kind: 'ipsetDeltaUpdate',
      id: blocked,
      addedMembers: [],
      removedMembers: ['192.0.2.0/24', '203.0.113.0/24'],
    },
  ]);
});

test('named ports become (ip,port) sets from every matching endpoint, local and remote', () => {
  const ports = [
    { name: 'http', protocol: 'tcp', port: 8080 },
    { name: 'dns', protocol: 'udp', port: 53 },
  ];
  const { g, dp } = setup([
    ...DEFAULT_TIERS,
    ...nsProfile('prod'),
    wep({ ns: 'prod', pod: 'web-1', ip: '10.65.0.2', labels: { app: 'web' }, ports }),
    wep({
      ns: 'prod',
      pod: 'web-2',
      ip: '10.65.5.2',
      labels: { app: 'web' },
      ports: [{ name: 'http', protocol: 'tcp', port: 9090 }],
      host: 'node-2',
    }),
    wep({ ns: 'prod', pod: 'db-1', ip: '10.65.0.9', labels: { app: 'db' } }),
    np('prod', 'web-http', {
      tier: 'default',
      selector: "app == 'web'",
      types: ['ingress'],
      inbound_rules: [{ action: 'allow', protocol: 'tcp', dst_ports: ['http'] }],
    }),
    np('prod', 'db-from-web', {
      tier: 'default',
      selector: "app == 'db'",
      types: ['egress'],
      outbound_rules: [
        { action: 'allow', protocol: 'tcp', dst_selector: "app == 'web'", dst_ports: ['http'] },
      ],
    }),
  ]);
  const allId = parseSelector('all()').uniqueId();
  const webId = parseSelector("app == 'web'").uniqueId();
  const npAll = namedPortSetId(allId, 'tcp', 'http');
  const npWeb = namedPortSetId(webId, 'tcp', 'http');
  assert.deepEqual([...(dp.ipsets.get(npAll)?.members ?? [])].sort(), [
    '10.65.0.2,tcp:8080',
    '10.65.5.2,tcp:9090',
  ]);
  assert.equal(dp.ipsets.get(npAll)?.type, 1);
  assert.deepEqual([...(dp.ipsets.get(npWeb)?.members ?? [])].sort(), [
    '10.65.0.2,tcp:8080',
    '10.65.5.2,tcp:9090',
  ]);
  assert.equal(
    dp.ipsets.has(webId),
    false,
    'named ports without numeric ports: no separate selector set (felix/calc/rule_scanner.go)',
  );
  const rule = dp.policies.get('np/prod/web-http')?.inboundRules[0];
  assert.deepEqual(rule?.dstNamedPortIpSetIds, [npAll]);
  assert.equal(rule?.dstPorts, undefined, 'named ports are removed from the port list');
  assert.equal(dp.verdict(WEB, 'ingress', { src: '10.1.1.1', dstPort: 8080 }), 'allow');
  assert.equal(dp.verdict(WEB, 'ingress', { src: '10.1.1.1', dstPort: 80 }), 'deny');
  assert.equal(dp.verdict(DB, 'egress', { src: '10.65.0.9', dst: '10.65.5.2', dstPort: 9090 }), 'allow');
  assert.equal(dp.verdict(DB, 'egress', { src: '10.65.0.9', dst: '10.65.5.2', dstPort: 8080 }), 'deny');
  // The remote pod changes its port number: delta on both sets.
  const out = step(g, dp, [
    wep({
      ns: 'prod',
      pod: 'web-2',
      ip: '10.65.5.2',
      labels: { app: 'web' },
      ports: [{ name: 'http', protocol: 'tcp', port: 9091 }],
      host: 'node-2',
    }),
  ]);
  assert.deepEqual(
    out.map((m) => m.kind),
    ['ipsetDeltaUpdate', 'ipsetDeltaUpdate'],
  );
  assert.ok(dp.ipsets.get(npAll)?.members.has('10.65.5.2,tcp:9091'));
});
