// Selector-scoped FelixConfiguration (agent/calc/selector-config.ts, config-batcher.ts): the cases of Felix
// v3.32.1 felix/calc/config_batcher_test.go "selector-scoped FelixConfiguration", plus precedence, a relabel
// through the calc graph, and what the daemon makes of it (config-reload.ts: live or exit 129).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigBatcher } from '../../../../agent/calc/config-batcher.js';
import { CalcGraph } from '../../../../agent/calc/calc-graph.js';
import { mergeSelectorConfigs, selectorConfigEntry } from '../../../../agent/calc/selector-config.js';
import { loadConfig } from '../../../../agent/config/index.js';
import { decideConfigUpdate } from '../../../../agent/daemon/config-reload.js';
import { kv } from './fake-dataplane.js';

const HOST = 'myhost';
interface Logged {
  level: string;
  msg: string;
  fields?: object;
}
function logger(into: Logged[]) {
  const at = (level: string) => (msg: string, fields?: object) =>
    into.push({ level, msg, ...(fields ? { fields } : {}) });
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

const fc = (name: string, selector: string | undefined, spec: Record<string, unknown>, created?: string) => ({
  kind: 'FelixConfiguration',
  apiVersion: 'projectcalico.org/v3',
  metadata: { name, ...(created ? { creationTimestamp: created } : {}) },
  spec: { ...(selector !== undefined ? { nodeSelector: selector } : {}), ...spec },
});
const node = (labels: Record<string, string> | null) => ({ kind: 'Node', metadata: { name: HOST, labels } });

/** Felix's BeforeEach: Ready, and myhost labelled role=gpu, zone=us-east-1a. */
function batcher(log: Logged[] = []) {
  const b = new ConfigBatcher(HOST, logger(log));
  const sent: Array<Record<string, string>> = [];
  const sink = { onConfigUpdate: (m: Record<string, string>) => sent.push(m) };
  b.onReady(true);
  b.onNode(HOST, node({ role: 'gpu', zone: 'us-east-1a' }));
  const send = (name: string, v: unknown) => b.onFelixConfigResource(name, `/fc/${name}`, v);
  const inSync = () => {
    b.onInSync();
    b.flush(sink);
  };
  return { b, sent, sink, send, inSync };
}

test('a matching selector-scoped FelixConfiguration is included', () => {
  const t = batcher();
  t.send('gpu-nodes', fc('gpu-nodes', "role == 'gpu'", { bpfEnabled: true }));
  t.inSync();
  assert.deepEqual(t.sent, [{ BPFEnabled: 'true' }]);
});

test('a non-matching one is not', () => {
  const t = batcher();
  t.send('storage-nodes', fc('storage-nodes', "role == 'storage'", { bpfEnabled: true }));
  t.inSync();
  assert.deepEqual(t.sent, [{}]);
});

test('a label change re-evaluates: the config no longer applies', () => {
  const t = batcher();
  t.send('gpu-nodes', fc('gpu-nodes', "role == 'gpu'", { bpfEnabled: true }));
  t.inSync();
  t.b.onNode(HOST, node({ role: 'standard', zone: 'us-east-1a' }));
  t.b.flush(t.sink);
  assert.deepEqual(t.sent, [{ BPFEnabled: 'true' }, {}]);
});

test('deleting the resource removes its config', () => {
  const t = batcher();
  t.send('gpu-nodes', fc('gpu-nodes', "role == 'gpu'", { bpfEnabled: true }));
  t.inSync();
  t.send('gpu-nodes', undefined);
  t.b.flush(t.sink);
  assert.deepEqual(t.sent, [{ BPFEnabled: 'true' }, {}]);
});

test('node updates for other hosts trigger nothing', () => {
  const t = batcher();
  t.send('gpu-nodes', fc('gpu-nodes', "role == 'gpu'", { bpfEnabled: true }));
  t.inSync();
  t.b.onNode('otherhost', { metadata: { labels: { role: 'storage' } } });
  t.b.flush(t.sink);
  assert.equal(t.sent.length, 1);
});

test('overlapping resources: the oldest by creationTimestamp wins, whatever the names; a warning names them', () => {
  for (const [aTime, bTime, want] of [
    ['2025-01-01T00:00:00Z', '2025-06-01T00:00:00Z', { BPFLogLevel: 'info' }],
    ['2025-06-01T00:00:00Z', '2025-01-01T00:00:00Z', { BPFEnabled: 'true' }],
  ] as const) {
    const log: Logged[] = [];
    const t = batcher(log);
    t.send('a-config', fc('a-config', "role == 'gpu'", { bpfLogLevel: 'info' }, aTime));
    t.send('b-config', fc('b-config', "role == 'gpu'", { bpfEnabled: true }, bTime));
    t.inSync();
    assert.deepEqual(t.sent, [want]);
    const w = log.filter((l) => l.level === 'warn');
    assert.equal(w.length, 1);
    assert.match(w[0]!.msg, /^Multiple selector-scoped FelixConfigurations match this node/);
    assert.deepEqual((w[0]!.fields as { matching: string[] }).matching.sort(), ['a-config', 'b-config']);
  }
});

test('same creation time: the name breaks the tie; no timestamp sorts first (Go zero time)', () => {
  const e = (name: string, created?: string) => {
    const r = selectorConfigEntry(name, fc(name, 'all()', { logPrefix: name }, created));
    assert.ok(r.ok);
    return r.entry;
  };
  const noLog = logger([]);
  const t0 = '2025-01-01T00:00:00Z';
  assert.deepEqual(mergeSelectorConfigs([e('b', t0), e('a', t0)], {}, noLog), { LogPrefix: 'a' });
  assert.deepEqual(mergeSelectorConfigs([e('a', t0), e('z')], {}, noLog), { LogPrefix: 'z' });
});

test('an invalid selector is logged with the key and ignored; an earlier valid version stays, as in Felix', () => {
  const log: Logged[] = [];
  const t = batcher(log);
  t.send('bad-selector', fc('bad-selector', 'invalid @@@ selector', { bpfEnabled: true }));
  t.inSync();
  assert.deepEqual(t.sent, [{}]);
  const w = log.find((l) => l.level === 'warn')!;
  assert.equal(w.msg, 'Failed to parse nodeSelector on FelixConfiguration, ignoring');
  assert.deepEqual(
    { ...(w.fields as Record<string, unknown>), error: undefined },
    { name: 'bad-selector', key: '/fc/bad-selector', selector: 'invalid @@@ selector', error: undefined },
  );

  t.send('x', fc('x', "role == 'gpu'", { logPrefix: 'good' }));
  t.send('x', fc('x', 'role ==', { logPrefix: 'broken' }));
  t.b.flush(t.sink);
  assert.deepEqual(t.sent.at(-1), { LogPrefix: 'good' });
});

test('a field Go could not decode: logged with the key as a decode failure and ignored', () => {
  const log: Logged[] = [];
  const t = batcher(log);
  t.send('odd', fc('odd', "role == 'gpu'", { iptablesRefreshInterval: 'soon' }));
  t.send('late', fc('late', "role == 'gpu'", { logPrefix: 'x' }, 'yesterday'));
  t.inSync();
  assert.deepEqual(t.sent, [{}]);
  const w = log.filter((l) => l.level === 'warn');
  assert.deepEqual(
    w.map((l) => [l.msg, (l.fields as { key: string }).key]),
    [
      ['Failed to decode selector-scoped FelixConfiguration, ignoring', '/fc/odd'],
      ['Failed to decode selector-scoped FelixConfiguration, ignoring', '/fc/late'],
    ],
  );
  assert.match((w[0]!.fields as { error: string }).error, /IptablesRefreshInterval: not a Go duration/);
});

test('no selector, an empty selector, no local Node, or a Node without labels: nothing matches', () => {
  const t = batcher();
  t.send('none', fc('none', undefined, { logPrefix: 'none' }));
  t.send('empty', fc('empty', '', { logPrefix: 'empty' }));
  t.inSync();
  assert.deepEqual(t.sent, [{}]);
  t.send('all', fc('all', 'all()', { logPrefix: 'all' }));
  t.b.flush(t.sink);
  assert.deepEqual(t.sent.at(-1), { LogPrefix: 'all' });
  t.b.onNode(HOST, undefined);
  t.b.flush(t.sink);
  assert.deepEqual(t.sent.at(-1), {}, 'local Node deleted');
  t.b.onNode(HOST, node(null));
  t.b.flush(t.sink);
  assert.equal(t.sent.length, 3, 'nil labels equal nil labels: no change, still no match');
  t.b.onNode(HOST, node({ a: 'b' }));
  t.b.flush(t.sink);
  assert.deepEqual(t.sent.at(-1), { LogPrefix: 'all' });
});

test('precedence: global < selector-scoped < per-host (DatastoreGlobal < DatastorePerSelector < DatastorePerHost)', () => {
  const t = batcher();
  t.b.onGlobalConfig('LogPrefix', 'global');
  t.b.onGlobalConfig('LogSeverityScreen', 'Info');
  t.b.onGlobalConfig('MaxIpsetSize', '1000');
  t.b.onHostConfig(HOST, 'LogPrefix', 'host');
  t.send('gpu', fc('gpu', "role == 'gpu'", { logPrefix: 'selector', logSeverityScreen: 'Debug' }));
  t.inSync();
  assert.deepEqual(t.sent, [{ LogPrefix: 'host', LogSeverityScreen: 'Debug', MaxIpsetSize: '1000' }]);
  assert.equal(t.b.get('LogSeverityScreen'), 'Debug');
  assert.equal(t.b.get('LogPrefix'), 'host');
});

const noFile = (): string => {
  throw Object.assign(new Error('absent'), { code: 'ENOENT' });
};

test('through the calc graph: a relabel that changes which resource applies is live or a restart, as Felix decides', () => {
  const log: Logged[] = [];
  const g = new CalcGraph({ hostname: HOST, logger: logger(log) });
  const fcKey = (n: string) => `/calico/resources/v3/projectcalico.org/felixconfigurations/${n}`;
  const nodeKey = `/calico/resources/v3/projectcalico.org/nodes/${HOST}`;
  const configs = () =>
    g
      .flush()
      .flatMap((m) => (m.kind === 'configUpdate' ? [m.config] : []))
      .at(-1);
  const hto = (t: string) => ({ healthTimeoutOverrides: [{ name: 'CalculationGraph', timeout: t }] });
  g.onUpdates([
    kv('/calico/v1/Ready', 'true'),
    kv(nodeKey, node({ pool: 'blue' })),
    kv(fcKey('blue'), fc('blue', "pool == 'blue'", hto('2m0s'))),
    kv(fcKey('green'), fc('green', "pool == 'green'", hto('1m30s'))),
    kv(fcKey('red'), fc('red', "pool == 'red'", { iptablesBackend: 'NFT' })),
    kv(fcKey('broken'), fc('broken', 'pool ==', { logSeverityScreen: 'Error' })),
  ]);
  g.onStatus('in-sync');
  const first = configs()!;
  assert.deepEqual(first, { HealthTimeoutOverrides: 'CalculationGraph=2m0s' });
  assert.ok(
    log.some(
      (l) =>
        l.msg.startsWith('Failed to parse nodeSelector') &&
        JSON.stringify(l.fields).includes(fcKey('broken')),
    ),
  );

  const local = loadConfig({ env: {}, readFile: noFile });
  const started = decideConfigUpdate(local, first, false);
  assert.equal(started.kind, 'apply', 'before the dataplane starts every change is taken in place');
  const current = started.kind === 'apply' ? started.next : local;
  assert.equal(current.config.HealthTimeoutOverrides.get('CalculationGraph'), 120_000);

  // Relabel blue -> green: HealthTimeoutOverrides is in Felix's no-restart set, so the change is live.
  g.onUpdates([kv(nodeKey, node({ pool: 'green' }))]);
  const second = configs()!;
  assert.deepEqual(second, { HealthTimeoutOverrides: 'CalculationGraph=1m30s' });
  const live = decideConfigUpdate(current, second, true);
  assert.equal(live.kind, 'apply');
  assert.deepEqual(live.kind === 'apply' && live.changed, ['HealthTimeoutOverrides']);

  // Relabel green -> red: IptablesBackend needs a restart (exit 129).
  g.onUpdates([kv(nodeKey, node({ pool: 'red' }))]);
  const third = configs()!;
  assert.deepEqual(third, { IptablesBackend: 'NFT' });
  const d = decideConfigUpdate(live.kind === 'apply' ? live.next : current, third, true);
  assert.equal(d.kind, 'restart');
  assert.deepEqual(d.kind === 'restart' && d.keys, ['IptablesBackend']);

  // A relabel that changes no match sends nothing.
  g.onUpdates([kv(nodeKey, node({ pool: 'red', extra: 'y' }))]);
  assert.equal(configs(), undefined);
});
