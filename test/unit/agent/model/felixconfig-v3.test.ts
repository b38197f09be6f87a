// A v3 FelixConfiguration into v1 config (agent/model/felixconfig-v3.ts): Felix v3.32.1's
// ExtractFelixConfigFields cases (felix/calc/config_batcher_test.go), the field table pinned against the
// FelixConfigurationSpec of v3.32.1 (fixtures/felixconfig-v3.32.1-spec.txt), and Go's text forms
// (go-format.ts) against values printed by Go 1.19 (time.Duration, fmt %v).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { extractFelixConfigFields, specFieldConfigName } from '../../../../agent/model/felixconfig-v3.js';
import {
  formatGoDurationNs,
  goFloat,
  goMillis,
  goSeconds,
  parseGoDurationNs,
} from '../../../../agent/model/go-format.js';

const spec = (s: Record<string, unknown>, annotations?: Record<string, string>) => ({
  metadata: { name: 'x', ...(annotations ? { annotations } : {}) },
  spec: s,
});

test("Felix's ExtractFelixConfigFields cases", () => {
  assert.deepEqual(extractFelixConfigFields(spec({ bpfEnabled: true, bpfLogLevel: 'debug' })), {
    BPFEnabled: 'true',
    BPFLogLevel: 'debug',
  });
  assert.deepEqual(extractFelixConfigFields(spec({})), {}, 'nil fields are skipped');
  const ports = [
    { protocol: 'TCP', port: 22 },
    { protocol: 'UDP', port: 68 },
  ];
  assert.deepEqual(extractFelixConfigFields(spec({ failsafeInboundHostPorts: ports })), {
    FailsafeInboundHostPorts: 'tcp:22,udp:68',
  });
  assert.deepEqual(extractFelixConfigFields(spec({ failsafeInboundHostPorts: [] })), {
    FailsafeInboundHostPorts: 'none',
  });
  assert.deepEqual(extractFelixConfigFields(spec({ routeTableRange: { min: 1, max: 250 } })), {
    RouteTableRange: '1-250',
  });
  const ranges = [
    { min: 1, max: 250 },
    { min: 500, max: 600 },
  ];
  assert.deepEqual(extractFelixConfigFields(spec({ routeTableRanges: ranges })), {
    RouteTableRanges: '1-250,500-600',
  });
  // metav1.Duration{90s} marshals as "1m30s"; the override string is Duration.String() again.
  assert.deepEqual(
    extractFelixConfigFields(
      spec({ healthTimeoutOverrides: [{ name: 'InternalDataplaneMainLoop', timeout: '1m30s' }] }),
    ),
    { HealthTimeoutOverrides: 'InternalDataplaneMainLoop=1m30s' },
  );
  assert.deepEqual(extractFelixConfigFields(spec({ iptablesRefreshInterval: '30s' })), {
    IptablesRefreshInterval: '30',
  });
  assert.deepEqual(
    extractFelixConfigFields(spec({ nodeSelector: "role == 'gpu'" })),
    {},
    'NodeSelector skipped',
  );
  assert.deepEqual(
    extractFelixConfigFields(
      spec(
        { bpfEnabled: true, bpfLogLevel: 'debug' },
        { 'config.projectcalico.org/BPFLogLevel': 'info', 'unrelated-annotation': 'ignored' },
      ),
    ),
    { BPFEnabled: 'true', BPFLogLevel: 'info' },
    'annotations override the spec',
  );
});

test('renamed fields, milliseconds, IPv6 failsafe nets, lists, maps, conntrack timeouts, port lists', () => {
  assert.deepEqual(
    extractFelixConfigFields(
      spec({
        ipipEnabled: false,
        ipipMTU: 1440,
        externalNodesList: ['10.0.0.0/8', '192.0.2.1'],
        iptablesLockProbeInterval: '50ms',
        iptablesPostWriteCheckInterval: '1.5s',
        wireguardKeepAlive: '0s',
        failsafeOutboundHostPorts: [
          { protocol: 'UDP', port: 53, net: 'fd00::/64' },
          { protocol: 'TCP', port: 179, net: '10.0.0.0/8' },
        ],
        bpfLogFilters: { all: 'tcp', eth0: 'udp' },
        bpfConntrackTimeouts: { tcpEstablished: '1h', creationGracePeriod: '10s' },
        kubeNodePortRanges: ['30000:32767', 8080],
        natPortRange: '32768:65535',
        istioDSCPMark: 23,
        chainInsertMode: '',
        interfacePrefix: 'cali',
      }),
    ),
    {
      IpInIpEnabled: 'false',
      IpInIpMtu: '1440',
      ExternalNodesCIDRList: '10.0.0.0/8,192.0.2.1',
      IptablesLockProbeIntervalMillis: '50',
      IptablesPostWriteCheckIntervalSecs: '1.5',
      WireguardPersistentKeepAlive: '0',
      FailsafeOutboundHostPorts: 'udp:[fd00::/64]:53,tcp:10.0.0.0/8:179',
      BPFLogFilters: 'all=tcp,eth0=udp,',
      BPFConntrackTimeouts: 'CreationGracePeriod=10s,TCPEstablished=1h',
      KubeNodePortRanges: '[30000:32767 8080]',
      NATPortRange: '32768:65535',
      IstioDSCPMark: '23',
      InterfacePrefix: 'cali',
    },
  );
});

test('a field of the wrong shape is an error with the field name', () => {
  assert.throws(() => extractFelixConfigFields(spec({ iptablesRefreshInterval: 'soon' })), {
    code: 'ERR_FELIXCONFIG_VALUE',
    field: 'IptablesRefreshInterval',
  });
  assert.throws(() => extractFelixConfigFields(spec({ failsafeInboundHostPorts: 'tcp:22' })), {
    code: 'ERR_FELIXCONFIG_VALUE',
  });
});

test('the field table is FelixConfigurationSpec of v3.32.1: every JSON name, config name and duration', () => {
  const path = fileURLToPath(
    new URL('../../../../../test/unit/agent/model/fixtures/felixconfig-v3.32.1-spec.txt', import.meta.url),
  );
  const rows = readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.split(' '));
  assert.equal(rows.length, 181);
  let durations = 0;
  for (const [json = '', goName = '', tag = '', type = '', timescale = ''] of rows) {
    if (json === 'nodeSelector') {
      assert.equal(specFieldConfigName(json), undefined, 'confignamev1:"-"');
      continue;
    }
    const want = tag === '-' ? goName : tag;
    assert.equal(specFieldConfigName(json), want, json);
    if (type === '*metav1.Duration') {
      durations++;
      // "2s" is 2 seconds, or 2000 in the milliseconds timescale.
      const got = extractFelixConfigFields(spec({ [json]: '2s' }))[want];
      assert.equal(got, timescale === 'milliseconds' ? '2000' : '2', json);
    }
  }
  assert.equal(durations, 22);
});

test("Go's duration text and fmt %v, as Go 1.19 prints them", () => {
  // time.ParseDuration(d) -> d.Seconds() %v, milliseconds timescale %v, d.String()
  const vectors: Array<[string, string, string, string]> = [
    ['30s', '30', '30000', '30s'],
    ['1m30s', '90', '90000', '1m30s'],
    ['1.5s', '1.5', '1500', '1.5s'],
    ['100ms', '0.1', '100', '100ms'],
    ['1000000s', '1e+06', '1e+09', '277h46m40s'],
    ['1h', '3600', '3.6e+06', '1h0m0s'],
    ['0s', '0', '0', '0s'],
    ['1ns', '1e-09', '1e-06', '1ns'],
    ['0.00001s', '1e-05', '0.01', '10µs'],
    ['277777h', '9.999972e+08', '9.999972e+11', '277777h0m0s'],
    ['2562047h', '9.2233692e+09', '9.2233692e+12', '2562047h0m0s'],
  ];
  for (const [d, secs, ms, str] of vectors) {
    const ns = parseGoDurationNs(d);
    assert.ok(ns !== undefined, d);
    assert.equal(goFloat(goSeconds(ns)), secs, `${d} seconds`);
    assert.equal(goFloat(goMillis(ns)), ms, `${d} millis`);
    assert.equal(formatGoDurationNs(ns), str, `${d} String()`);
  }
  const floats: Array<[number, string]> = [
    [1234567, '1.234567e+06'],
    [100000, '100000'],
    [123456, '123456'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [1.5e-7, '1.5e-07'],
    [12345.678, '12345.678'],
    [999999.5, '999999.5'],
    [1e21, '1e+21'],
    [-90, '-90'],
  ];
  for (const [f, want] of floats) assert.equal(goFloat(f), want, String(f));
  for (const bad of ['', '1', 's', '1.s.', '-', '1x', '9223372037s'])
    assert.equal(parseGoDurationNs(bad), undefined, bad);
  assert.equal(parseGoDurationNs('-1.5h'), -5_400_000_000_000n);
  assert.equal(parseGoDurationNs('.5s'), 500_000_000n);
  assert.equal(formatGoDurationNs(-1_500_000n), '-1.5ms');
});
