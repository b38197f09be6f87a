import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConfigError,
  diffConfig,
  loadConfig,
  parseGoDuration,
  parseIni,
  restartRequired,
  withDatastore,
  RESTART_EXIT_CODE,
  PARAM_NAMES,
  paramDefault,
} from '../../../../agent/config/index.js';
import { DEFAULT_FAILSAFE_INBOUND, DEFAULT_FAILSAFE_OUTBOUND } from '../../../../rules/compiler/index.js';

const noFile = (): string => {
  const e = new Error('absent') as NodeJS.ErrnoException;
  e.code = 'ENOENT';
  throw e;
};
const file = (text: string) => (): string => text;

test('defaults match Felix (felix/config/config_params.go)', () => {
  const { config, sources } = loadConfig({ env: {}, readFile: noFile });
  assert.equal(config.HealthPort, 9099);
  assert.equal(config.HealthHost, 'localhost');
  assert.equal(config.HealthEnabled, false);
  assert.equal(config.PrometheusMetricsPort, 9091);
  assert.equal(config.TyphaReadTimeout, 30_000);
  assert.equal(config.TyphaWriteTimeout, 10_000);
  assert.equal(config.TyphaK8sNamespace, 'kube-system');
  assert.equal(config.IptablesMarkMask, 0xffff0000);
  assert.equal(config.ChainInsertMode, 'insert');
  assert.equal(config.DefaultEndpointToHostAction, 'DROP');
  assert.equal(config.IptablesRefreshInterval, 180_000);
  assert.equal(config.MaxIpsetSize, 1048576);
  assert.deepEqual(config.InterfacePrefix, ['cali']);
  assert.equal(config.Ipv6Support, true);
  assert.equal(config.IptablesBackend, 'auto');
  assert.deepEqual(config.FailsafeInboundHostPorts[0], { protocol: 'tcp', port: 22 });
  assert.equal(config.FailsafeInboundHostPorts.length, 9);
  assert.deepEqual(config.FailsafeOutboundHostPorts[0], { protocol: 'udp', port: 53 });
  assert.ok(config.FelixHostname.length > 0, 'FelixHostname falls back to os.hostname()');
  assert.equal(sources.HealthPort, 'default');
});

test("failsafe defaults: one definition, the compiler's, in Felix's syntax", () => {
  const { config } = loadConfig({ env: {}, readFile: noFile });
  assert.deepEqual(config.FailsafeInboundHostPorts, DEFAULT_FAILSAFE_INBOUND);
  assert.deepEqual(config.FailsafeOutboundHostPorts, DEFAULT_FAILSAFE_OUTBOUND);
  // Felix's defaults as written in felix/config/config_params.go.
  assert.equal(
    paramDefault('FailsafeInboundHostPorts'),
    'tcp:22,udp:68,tcp:179,tcp:2379,tcp:2380,tcp:5473,tcp:6443,tcp:6666,tcp:6667',
  );
  assert.equal(
    paramDefault('FailsafeOutboundHostPorts'),
    'udp:53,udp:67,tcp:179,tcp:2379,tcp:2380,tcp:5473,tcp:6443,tcp:6666,tcp:6667',
  );
});

test('one ConfigError lists every bad field, from every source', () => {
  let err: unknown;
  try {
    loadConfig({
      env: {
        FELIX_TYPHAREADTIMEOUT: 'soon',
        FELIX_HEALTHPORT: '70000',
        FELIX_CHAININSERTMODE: 'middle',
        FELIX_FAILSAFEINBOUNDHOSTPORTS: 'tcp:22,icmp:1,udp:99999',
      },
      readFile: file('[global]\nIptablesMarkMask = 0xf\nIpv6Support = maybe\nHealthEnabled = true\n'),
    });
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof ConfigError);
  assert.equal(err.code, 'ERR_CONFIG_INVALID');
  const params = err.problems.map((p) => p.param).sort();
  assert.deepEqual(params, [
    'ChainInsertMode',
    'FailsafeInboundHostPorts',
    'HealthPort',
    'IptablesMarkMask',
    'Ipv6Support',
    'TyphaReadTimeout',
  ]);
  for (const p of params) assert.match(err.message, new RegExp(`- ${p}=`));
  assert.match(err.message, /^Invalid configuration \(6 problems\)/);
  // Each problem names its source.
  assert.match(err.message, /TyphaReadTimeout="soon" \(env FELIX_TYPHAREADTIMEOUT\)/);
  assert.match(
    err.message,
    /IptablesMarkMask="0xf" \(\/etc\/calico\/felix.cfg:2\): must have at least 8 bits set/,
  );
  assert.match(err.message, /bad: icmp:1, udp:99999/);
});

test('precedence: flag > env > file > datastore > default', () => {
  const text = '[global]\nIptablesRefreshInterval = 60\nLogPrefix = from-file\nMaxIpsetSize = 1000\n';
  const base = loadConfig({
    env: { FELIX_IPTABLESREFRESHINTERVAL: '30', FELIX_LOGPREFIX: 'from-env' },
    readFile: file(text),
    sets: ['LogPrefix=from-flag'],
  });
  assert.equal(base.config.IptablesRefreshInterval, 30_000);
  assert.equal(base.sources.IptablesRefreshInterval, 'env');
  assert.equal(base.config.LogPrefix, 'from-flag');
  assert.equal(base.sources.LogPrefix, 'flag');
  assert.equal(base.config.MaxIpsetSize, 1000);
  assert.equal(base.sources.MaxIpsetSize, 'file');

  const ds = withDatastore(base, {
    MaxIpsetSize: '5',
    IpsetsRefreshInterval: '7',
    IptablesRefreshInterval: '1',
  });
  assert.equal(ds.config.MaxIpsetSize, 1000, 'file beats datastore');
  assert.equal(ds.config.IptablesRefreshInterval, 30_000, 'env beats datastore');
  assert.equal(ds.config.IpsetsRefreshInterval, 7_000, 'datastore beats default');
  assert.equal(ds.sources.IpsetsRefreshInterval, 'datastore');
});

test('env names are case-insensitive after a case-insensitive FELIX_ prefix; file keys too', () => {
  for (const k of ['FELIX_TYPHAK8SSERVICENAME', 'FELIX_TyphaK8sServiceName', 'felix_typhak8sservicename']) {
    const { config } = loadConfig({ env: { [k]: 'calico-typha' }, readFile: noFile });
    assert.equal(config.TyphaK8sServiceName, 'calico-typha', k);
  }
  const { config } = loadConfig({ env: {}, readFile: file('[global]\ntyphak8snamespace = calico-system\n') });
  assert.equal(config.TyphaK8sNamespace, 'calico-system');
  // Enum values are case-insensitive and canonicalised.
  const e = loadConfig({
    env: { FELIX_IPTABLESBACKEND: 'NFT', FELIX_DEFAULTENDPOINTTOHOSTACTION: 'accept' },
    readFile: noFile,
  });
  assert.equal(e.config.IptablesBackend, 'nft');
  assert.equal(e.config.DefaultEndpointToHostAction, 'ACCEPT');
});

test('datastore config applies only to non-local parameters; bad datastore values are dropped, not fatal', () => {
  const base = loadConfig({ env: { FELIX_TYPHAADDR: '10.0.0.1:5473' }, readFile: noFile });
  const ds = withDatastore(base, {
    TyphaAddr: '10.9.9.9:5473',
    TyphaK8sServiceName: 'evil',
    FelixHostname: 'other-node',
    ChainInsertMode: 'append',
    HealthPort: 'not-a-port',
  });
  assert.equal(ds.config.TyphaAddr, '10.0.0.1:5473');
  assert.equal(ds.config.TyphaK8sServiceName, '');
  assert.notEqual(ds.config.FelixHostname, 'other-node');
  assert.equal(ds.config.ChainInsertMode, 'append');
  assert.equal(ds.config.HealthPort, 9099);
  assert.ok(ds.warnings.some((w) => w.startsWith('Ignoring local-only configuration. name=TyphaAddr')));
  assert.ok(ds.warnings.some((w) => w.startsWith('Ignoring local-only configuration. name=FelixHostname')));
  assert.ok(ds.warnings.some((w) => w.startsWith('Replacing invalid value with default. name=HealthPort')));
});

test('restart-needed changes vs hot ones (Felix no-restart set), exit code 129', () => {
  const base = loadConfig({ env: {}, readFile: noFile });
  const a = withDatastore(base, { HealthTimeoutOverrides: 'CalculationGraph=1m', ClusterGUID: 'abc' });
  const changedHot = diffConfig(base.config, a.config).sort();
  assert.deepEqual(changedHot, ['ClusterGUID', 'HealthTimeoutOverrides']);
  assert.deepEqual(restartRequired(changedHot), []);
  const b = withDatastore(base, { ChainInsertMode: 'append', ClusterGUID: 'abc' });
  assert.deepEqual(restartRequired(diffConfig(base.config, b.config)), ['ChainInsertMode']);
  assert.deepEqual(diffConfig(base.config, withDatastore(base, {}).config), []);
  assert.equal(RESTART_EXIT_CODE, 129);
});

test('Typha TLS is all-or-nothing and files must exist', () => {
  const dir = mkdtempSync(join(tmpdir(), 'felix-cfg-'));
  try {
    const ca = join(dir, 'ca.crt');
    writeFileSync(ca, 'x');
    let err: unknown;
    try {
      loadConfig({
        env: { FELIX_TYPHACAFILE: ca, FELIX_TYPHACERTFILE: join(dir, 'missing.crt') },
        readFile: noFile,
      });
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof ConfigError);
    const params = err.problems.map((p) => p.param).sort();
    assert.deepEqual(params, ['TyphaCN', 'TyphaCertFile', 'TyphaKeyFile']);
    assert.match(
      err.message,
      /TyphaCertFile="[^"]*missing.crt" \(env FELIX_TYPHACERTFILE\): file does not exist/,
    );
    const ok = loadConfig({
      env: {
        FELIX_TYPHACAFILE: ca,
        FELIX_TYPHACERTFILE: ca,
        FELIX_TYPHAKEYFILE: ca,
        FELIX_TYPHAURISAN: 'spiffe://x',
      },
      readFile: noFile,
    });
    assert.equal(ok.config.TyphaURISAN, 'spiffe://x');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('config file: path from --config-file or FELIX_CONFIGFILE; absent file is ignored', () => {
  const dir = mkdtempSync(join(tmpdir(), 'felix-cfg-'));
  try {
    const p = join(dir, 'felix.cfg');
    writeFileSync(
      p,
      '[global]\n# comment\n; other comment\nLogSeverityScreen = "debug"\n[other]\nInterfacePrefix: tap,cali\n',
    );
    const viaEnv = loadConfig({ env: { FELIX_CONFIGFILE: p } });
    assert.equal(viaEnv.config.LogSeverityScreen, 'DEBUG');
    assert.deepEqual(viaEnv.config.InterfacePrefix, ['tap', 'cali'], 'keys are read from every section');
    const viaFlag = loadConfig({ env: {}, configFile: p });
    assert.equal(viaFlag.local.configFile, p);
    assert.equal(viaFlag.sources.LogSeverityScreen, 'file');
    const absent = loadConfig({ env: {}, configFile: join(dir, 'nope.cfg') });
    assert.equal(absent.local.configFileFound, false);
    assert.ok(absent.warnings.some((w) => w.startsWith('Ignoring absent config file.')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('"none" gives the zero value; empty values are ignored; unknown params warn', () => {
  const { config, warnings } = loadConfig({
    env: {
      FELIX_FAILSAFEINBOUNDHOSTPORTS: 'none',
      FELIX_LOGFILEPATH: 'None',
      FELIX_HEALTHHOST: '',
      FELIX_NOSUCHPARAM: '1',
    },
    readFile: noFile,
  });
  assert.deepEqual(config.FailsafeInboundHostPorts, []);
  assert.equal(config.LogFilePath, '');
  assert.equal(config.HealthHost, 'localhost');
  assert.ok(warnings.some((w) => w.includes('FELIX_NOSUCHPARAM')));
  const { config: c2 } = loadConfig({
    env: { FELIX_FAILSAFEOUTBOUNDHOSTPORTS: 'tcp:10.0.0.0/8:443,udp:53' },
    readFile: noFile,
  });
  assert.deepEqual(c2.FailsafeOutboundHostPorts, [
    { protocol: 'tcp', port: 443, net: '10.0.0.0/8' },
    { protocol: 'udp', port: 53 },
  ]);
});

test('HealthTimeoutOverrides and Go durations', () => {
  assert.equal(parseGoDuration('1m30s'), 90_000);
  assert.equal(parseGoDuration('500ms'), 500);
  assert.equal(parseGoDuration('1h'), 3_600_000);
  assert.equal(parseGoDuration('90'), null);
  assert.equal(parseGoDuration('3x'), null);
  const { config } = loadConfig({
    env: { FELIX_HEALTHTIMEOUTOVERRIDES: 'InternalDataplaneMainLoop=3m,CalculationGraph=1m' },
    readFile: noFile,
  });
  assert.deepEqual(
    [...config.HealthTimeoutOverrides],
    [
      ['InternalDataplaneMainLoop', 180_000],
      ['CalculationGraph', 60_000],
    ],
  );
  assert.throws(
    () => loadConfig({ env: { FELIX_HEALTHTIMEOUTOVERRIDES: 'CalculationGraph=forever' }, readFile: noFile }),
    (e: unknown) => e instanceof ConfigError && /HealthTimeoutOverrides/.test(e.message),
  );
});

test('parseIni keeps line numbers and strips quotes', () => {
  assert.deepEqual(parseIni('[global]\n a = "b c" \nx:y\n=bad\n'), [
    { key: 'a', value: 'b c', line: 2 },
    { key: 'x', value: 'y', line: 3 },
  ]);
});

test('--set syntax errors are reported with the other problems', () => {
  assert.throws(
    () => loadConfig({ env: { FELIX_HEALTHPORT: 'x' }, readFile: noFile, sets: ['LogPrefix'] }),
    (e: unknown) =>
      e instanceof ConfigError && e.problems.length === 2 && /expected Name=Value/.test(e.message),
  );
});

test('TyphaAddr: host:port, [v6]:port or a list; anything else is an error', () => {
  const ok = loadConfig({
    env: { FELIX_TYPHAADDR: '10.0.0.1:5473, [fd00::1]:5473,typha.local:1' },
    readFile: noFile,
  });
  assert.equal(ok.config.TyphaAddr, '10.0.0.1:5473,[fd00::1]:5473,typha.local:1');
  assert.throws(
    () => loadConfig({ env: { FELIX_TYPHAADDR: '10.0.0.1:5473,10.0.0.2' }, readFile: noFile }),
    (e: unknown) =>
      e instanceof ConfigError &&
      /TyphaAddr=.*: invalid Typha address "10.0.0.2": expected host:port$/m.test(e.message),
  );
  // The syncer client's parser decides (syncer-client/client/endpoints.ts): what it would refuse
  // to dial is refused here, at start-up, with its reason.
  for (const [addr, why] of [
    ['fd00::1:5473', 'IPv6 addresses must be bracketed'],
    ['10.0.0.1:70000', 'port out of range'],
    ['bad_host!:1', 'invalid host name'],
  ] as const) {
    assert.throws(
      () => loadConfig({ env: { FELIX_TYPHAADDR: addr }, readFile: noFile }),
      (e: unknown) => e instanceof ConfigError && e.message.includes(why),
      addr,
    );
  }
});

test('docs/configuration.md documents every parameter', () => {
  const root = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', '..', '..');
  const doc = readFileSync(join(root, 'docs', 'configuration.md'), 'utf8');
  for (const name of PARAM_NAMES) {
    assert.match(doc, new RegExp(`^\\| +\`${name}\` +\\|`, 'm'), `${name} is in docs/configuration.md`);
  }
});
