// The overlay in the dataplane's config (agent/daemon/compiler-config.ts, daemon.ts): the encapsulation the
// real calc graph resolves from the IP pools, with IpInIpEnabled / VXLANEnabled winning
// (felix/calc/encapsulation_resolver.go), reaches the compiler when the driver is made; a later pool change
// that changes it exits with rc 129 and Felix's log lines (felix/daemon/daemon.go), one that does not is live.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import type { KVUpdate, SyncerEvent } from '../../../../syncer-client/api.js';
import type { ToDataplane } from '../../../../rules/dataplane-api/types.js';
import { newCounters } from '../../../../rules/backend/counters.js';
import type { CompilerConfig } from '../../../../rules/compiler/index.js';
import { CalcGraph, type OverlayFacts } from '../../../../agent/calc/index.js';
import { loadConfig } from '../../../../agent/config/index.js';
import { createLogger } from '../../../../agent/log/index.js';
import {
  Daemon,
  compilerConfigFrom,
  type DaemonDeps,
  type DriverLike,
} from '../../../../agent/daemon/index.js';
import { kv } from '../calc/fake-dataplane.js';

class FakeDriver extends EventEmitter implements DriverLike {
  readonly msgs: ToDataplane[] = [];
  readonly counters = newCounters();
  readonly backend = undefined;
  constructor(readonly compilerConfig: CompilerConfig) {
    super();
  }
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  onMessages(m: readonly ToDataplane[]): void {
    this.msgs.push(...m);
  }
  lastRestoreInputs(): ReadonlyMap<string, string> {
    return new Map();
  }
}

type Emit = (updates: KVUpdate[], status?: 'in-sync') => Promise<void>;

async function rig(env: Record<string, string> = {}): Promise<{
  daemon: Daemon;
  drivers: FakeDriver[];
  emit: Emit;
  log: () => string;
}> {
  let text = '';
  const out = new PassThrough();
  out.on('data', (d: Buffer) => (text += d.toString()));
  const listeners: ((ev: SyncerEvent) => void)[] = [];
  const drivers: FakeDriver[] = [];
  const deps: DaemonDeps = {
    makeSyncer: () => ({
      onEvent: (l) => (listeners.push(l), () => undefined),
      start: () => undefined,
      stop: async () => undefined,
      finished: new Promise(() => undefined),
      knownKeys: 0,
    }),
    makeCalc: (cfg, logger) => new CalcGraph({ hostname: cfg.FelixHostname, logger }),
    makeDataplane: (cfg, _logger, overlay?: OverlayFacts) => {
      const d = new FakeDriver(compilerConfigFrom(cfg, overlay));
      drivers.push(d);
      return { driver: d };
    },
  };
  const loaded = loadConfig(
    {
      env: {
        FELIX_CONFIGFILE: '/nonexistent/felix.cfg',
        FELIX_FELIXHOSTNAME: 'me',
        FELIX_ENDPOINTSTATUSPATHPREFIX: 'none',
        ...env,
      },
    },
    {},
  );
  const daemon = new Daemon({
    loaded,
    logger: createLogger({ severity: 'INFO', stream: out }),
    deps,
    heartbeatMs: 3_600_000,
  });
  await daemon.start();
  const emit: Emit = async (updates, status) => {
    for (const l of listeners) l({ kind: 'batch', updates, status });
    await daemon.tick();
  };
  return { daemon, drivers, emit, log: () => text };
}

const pool = (cidr: string, ipip: string, vxlan: string): KVUpdate =>
  kv(`/calico/v1/ipam/v${cidr.includes(':') ? 6 : 4}/pool/${cidr.replace('/', '-')}`, {
    cidr,
    ipip_mode: ipip,
    vxlan_mode: vxlan,
  });
const NODES = [
  kv('/calico/resources/v3/projectcalico.org/nodes/me', {
    kind: 'Node',
    spec: { bgp: { ipv4Address: '10.0.0.1/24', ipv4IPIPTunnelAddr: '10.65.0.1' } },
  }),
  kv('/calico/v1/host/peer/bird_ip', '10.0.0.2'),
];

test('IPIP from the pools turns on the IPIP rules and all-hosts-net; a VXLAN pool later exits 129', async () => {
  const r = await rig();
  await r.emit([pool('10.65.0.0/16', 'always', ''), ...NODES], 'in-sync');
  assert.equal(r.drivers.length, 1);
  const d = r.drivers[0]!;
  assert.equal(d.compilerConfig.ipipEnabled, true);
  assert.equal(d.compilerConfig.vxlanEnabled, false);
  assert.equal(d.compilerConfig.hostname, 'me');
  // This node's tunnel address from its Node resource: the tunl0 masquerade rule (static.go).
  assert.deepEqual(d.compilerConfig.tunnelMasqInterfaces, { v4: ['tunl0'], v6: [] });
  assert.deepEqual(
    d.msgs
      .filter((m) => m.kind === 'hostMetadataUpdate')
      .map((m) => m.kind === 'hostMetadataUpdate' && m.hostname)
      .sort(),
    ['me', 'peer'],
  );
  // Another IPIP pool: the encapsulation is unchanged, so it is live.
  await r.emit([pool('10.66.0.0/16', 'cross-subnet', '')]);
  assert.ok(d.msgs.some((m) => m.kind === 'ipamPoolUpdate' && m.id === '10.66.0.0-16'));
  const before = d.msgs.length;
  await r.emit([pool('10.67.0.0/16', '', 'always')]);
  assert.equal(await r.daemon.exited, 129);
  assert.equal(d.msgs.length, before, 'nothing of the changing batch reaches the driver');
  assert.match(
    r.log(),
    /\[WARNING\]\[\d+\] felix: IPIP and\/or VXLAN encapsulation changed, need to restart\./,
  );
  assert.match(r.log(), /Felix is shutting down reason="?encapsulation changed"?/);
  assert.match(r.log(), /Exiting for encapsulation change rc=129/);
});

test('removing the last IPIP pool is a change too; a VXLAN-over-IPv6 pool sets vxlanEnabledV6', async () => {
  const r = await rig();
  await r.emit([pool('10.65.0.0/16', 'always', ''), pool('fd65::/64', '', 'always')], 'in-sync');
  const c = r.drivers[0]!.compilerConfig;
  assert.deepEqual([c.ipipEnabled, c.vxlanEnabled, c.vxlanEnabledV6], [true, false, true]);
  await r.emit([kv('/calico/v1/ipam/v4/pool/10.65.0.0-16', null)]);
  assert.equal(await r.daemon.exited, 129);
});

test('IpInIpEnabled / VXLANEnabled set locally win over the pools, so pool changes never restart', async () => {
  const r = await rig({ FELIX_IPINIPENABLED: 'false', FELIX_VXLANENABLED: 'true' });
  await r.emit([pool('10.65.0.0/16', 'always', '')], 'in-sync');
  const c = r.drivers[0]!.compilerConfig;
  assert.deepEqual([c.ipipEnabled, c.vxlanEnabled], [false, true]);
  await r.emit([kv('/calico/v1/ipam/v4/pool/10.65.0.0-16', null), pool('10.70.0.0/16', 'always', 'always')]);
  assert.ok(r.drivers[0]!.msgs.some((m) => m.kind === 'ipamPoolRemove'));
  await r.daemon.stop();
  assert.equal(await r.daemon.exited, 0);
});

/** This node's Node resource: `spec` extras, and the IPIP tunnel address (under spec.bgp). */
const me = (spec: Record<string, unknown>, ipip?: string): KVUpdate =>
  kv('/calico/resources/v3/projectcalico.org/nodes/me', {
    kind: 'Node',
    spec: { bgp: { ipv4Address: '10.0.0.1/24', ipv4IPIPTunnelAddr: ipip }, ...spec },
  });

test('tunnel masquerade: the Node or HostConfig tunnel address with its encapsulation on; none without', async () => {
  const r = await rig();
  await r.emit(
    [
      pool('10.65.0.0/16', '', 'always'),
      pool('fd65::/64', '', 'always'),
      me({ ipv4VXLANTunnelAddr: '10.65.0.1' }),
      kv('/calico/v1/host/me/config/IPv6VXLANTunnelAddr', 'fd65::1'),
    ],
    'in-sync',
  );
  assert.deepEqual(r.drivers[0]!.compilerConfig.tunnelMasqInterfaces, {
    v4: ['vxlan.calico'],
    v6: ['vxlan-v6.calico'],
  });
  await r.daemon.stop();
  const r2 = await rig();
  // IPIP on, but no tunnel address anywhere: no masquerade rule.
  await r2.emit([pool('10.65.0.0/16', 'always', ''), me({})], 'in-sync');
  assert.deepEqual(r2.drivers[0]!.compilerConfig.tunnelMasqInterfaces, { v4: [], v6: [] });
  await r2.daemon.stop();
});

test('a tunnel address that changes on the Node after start exits 129 naming it; a local setting wins', async () => {
  const r = await rig();
  await r.emit([pool('10.65.0.0/16', 'always', ''), me({}, '10.65.0.1')], 'in-sync');
  await r.emit([me({}, '10.65.0.1')]);
  await r.emit([me({}, '10.65.0.2')]);
  assert.equal(await r.daemon.exited, 129);
  assert.match(
    r.log(),
    /Configuration value changed; change DOES require Felix to restart\. key=IpInIpTunnelAddr newValue=10\.65\.0\.2 oldValue=10\.65\.0\.1/,
  );
  const local = await rig({ FELIX_IPINIPTUNNELADDR: '10.65.0.9' });
  await local.emit([pool('10.65.0.0/16', 'always', ''), me({}, '10.65.0.1')], 'in-sync');
  assert.deepEqual(local.drivers[0]!.compilerConfig.tunnelMasqInterfaces, { v4: ['tunl0'], v6: [] });
  await local.emit([me({}, '10.65.0.2')]);
  await local.daemon.stop();
  assert.equal(await local.daemon.exited, 0);
});

test('what of the overlay felix-ts does not program is logged once, in the status and as felix_ts_unsupported_features', async () => {
  const r = await rig({ FELIX_WIREGUARDENABLED: 'true' });
  await r.emit([pool('10.65.0.0/16', 'always', ''), pool('fd65::/64', '', 'always')], 'in-sync');
  await r.emit([pool('10.66.0.0/16', 'always', '')]);
  assert.deepEqual(
    r.daemon.status.unsupported.map((u) => u.feature),
    ['ipip-tunnel', 'vxlan-tunnel', 'wireguard'],
  );
  const log = r.log();
  for (const text of [
    'does not create or configure tunl0',
    'does not create vxlan.calico',
    'does not create the WireGuard device',
  ])
    assert.equal(log.split(text).length - 1, 1, `logged once: ${text}`);
  assert.match(log, /\[WARNING\]\[\d+\] felix: IPIP encapsulation is on: .* feature=ipip-tunnel/);
  const metric = await r.daemon.metrics.registry.getSingleMetricAsString('felix_ts_unsupported_features');
  for (const f of ['ipip-tunnel', 'vxlan-tunnel', 'wireguard'])
    assert.match(metric, new RegExp(`feature="${f}"\\} 1`));
  await r.daemon.stop();
  const plain = await rig();
  await plain.emit([pool('10.65.0.0/16', '', '')], 'in-sync');
  assert.deepEqual(plain.daemon.status.unsupported, []);
  await plain.daemon.stop();
});

test('datastore features not enforced (bandwidth QoS, HTTP match) are counted in the status and the metric, and go away', async () => {
  const r = await rig();
  const wep = kv('/calico/v1/host/me/workload/k8s/prod%2fweb/endpoint/eth0', {
    state: 'active',
    name: 'caliweb',
    profile_ids: [],
    ipv4_nets: ['10.65.0.9/32'],
    qosControls: { egressBandwidth: 1000000 },
  });
  const gnp = kv('/calico/v1/policy/GlobalNetworkPolicy//alp', {
    tier: 'default',
    selector: 'all()',
    inbound_rules: [{ action: 'allow', http: { methods: ['GET'] } }],
  });
  await r.emit([wep, gnp], 'in-sync');
  assert.deepEqual(
    r.daemon.status.unsupportedInUse.map((u) => [u.feature, u.uses]),
    [
      ['policy-http-match', 1],
      ['qos-bandwidth', 1],
    ],
  );
  let metric = await r.daemon.metrics.registry.getSingleMetricAsString('felix_ts_unsupported_features');
  assert.match(metric, /feature="qos-bandwidth"\} 1/);
  assert.match(metric, /feature="policy-http-match"\} 1/);
  assert.match(
    r.log(),
    /\[WARNING\]\[\d+\] felix\/calc: Not enforced by felix-ts: a local workload asks for bandwidth/,
  );
  await r.emit([{ ...gnp, value: null }]);
  assert.deepEqual(
    r.daemon.status.unsupportedInUse.map((u) => u.feature),
    ['qos-bandwidth'],
  );
  metric = await r.daemon.metrics.registry.getSingleMetricAsString('felix_ts_unsupported_features');
  assert.doesNotMatch(metric, /policy-http-match/);
  await r.daemon.stop();
});

test('settings accepted without effect are in the unsupported report and the metric', async () => {
  const r = await rig({ FELIX_USAGEREPORTINGENABLED: 'false' });
  const u = r.daemon.status.unsupported.find((x) => x.feature === 'config-UsageReportingEnabled');
  assert.ok(u, JSON.stringify(r.daemon.status.unsupported));
  assert.match(u.detail, /^UsageReportingEnabled: felix-ts never phones home/);
  const metric = await r.daemon.metrics.registry.getSingleMetricAsString('felix_ts_unsupported_features');
  assert.match(metric, /feature="config-UsageReportingEnabled"\} 1/);
  await r.daemon.stop();
});
