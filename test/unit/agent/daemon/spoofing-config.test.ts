// WorkloadSourceSpoofing (issue 12, raw table) from every source: env, file and flags rank above the
// datastore, both for the compiler config and for the calc's validation filter (felix/calc/validation_filter.go).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig, withDatastore } from '../../../../agent/config/index.js';
import { compilerConfigFrom } from '../../../../agent/daemon/compiler-config.js';
import { realDeps } from '../../../../agent/daemon/real-deps.js';
import { nullLogger } from '../../../../agent/log/index.js';
import type { KVUpdate } from '../../../../syncer-client/api.js';

const noFile = (): string => {
  throw Object.assign(new Error('absent'), { code: 'ENOENT' });
};

const HOST = 'node-1';
const wepKey = `/calico/v1/host/${HOST}/workload/k8s/prod%2fspoof/endpoint/eth0`;
const spoofingWep: KVUpdate = {
  key: wepKey,
  value: JSON.stringify({
    state: 'active',
    name: 'calispoof',
    ipv4_nets: ['10.65.0.7/32'],
    allow_spoofed_source_ips: ['10.99.0.0/16'],
  }),
  revision: '1',
  updateType: 1,
};

/** Does the calc built by the real deps send the spoofing workload, given this config? */
function calcAccepts(env: Record<string, string>, datastore: Record<string, string>): boolean {
  const loaded = withDatastore(
    loadConfig({ env: { FELIX_FELIXHOSTNAME: HOST, ...env }, readFile: noFile }),
    datastore,
  );
  const calc = realDeps().makeCalc(loaded.config, nullLogger, loaded.sources);
  const ds = Object.entries(datastore).map(([k, v]): KVUpdate => ({
    key: `/calico/v1/config/${k}`,
    value: v,
    revision: '1',
    updateType: 1,
  }));
  calc.onUpdates([...ds, spoofingWep]);
  calc.onStatus('in-sync');
  return calc.flush().some((m) => m.kind === 'workloadEndpointUpdate');
}

test('WorkloadSourceSpoofing: every source, into the compiler config', () => {
  const env = loadConfig({ env: { FELIX_WORKLOADSOURCESPOOFING: 'any' }, readFile: noFile });
  assert.equal(env.config.WorkloadSourceSpoofing, 'Any');
  assert.equal(env.sources.WorkloadSourceSpoofing, 'env');
  assert.equal(compilerConfigFrom(env.config).workloadSourceSpoofing, 'Any');
  const flag = loadConfig({ env: {}, sets: ['WorkloadSourceSpoofing=Any'], readFile: noFile });
  assert.equal(compilerConfigFrom(flag.config).workloadSourceSpoofing, 'Any');
  const file = loadConfig({
    env: {},
    configFile: '/etc/felix.cfg',
    readFile: () => '[global]\nWorkloadSourceSpoofing = Any\n',
  });
  assert.equal(file.config.WorkloadSourceSpoofing, 'Any');
  const ds = withDatastore(loadConfig({ env: {}, readFile: noFile }), { WorkloadSourceSpoofing: 'Any' });
  assert.equal(compilerConfigFrom(ds.config).workloadSourceSpoofing, 'Any');
  assert.equal(
    compilerConfigFrom(loadConfig({ env: {}, readFile: noFile }).config).workloadSourceSpoofing,
    'Disabled',
  );
  assert.throws(
    () => loadConfig({ env: { FELIX_WORKLOADSOURCESPOOFING: 'sometimes' }, readFile: noFile }),
    /WorkloadSourceSpoofing/,
  );
});

test('the calc honours a local WorkloadSourceSpoofing over the datastore, and the datastore alone', () => {
  assert.equal(calcAccepts({}, {}), false, 'default Disabled');
  assert.equal(calcAccepts({}, { WorkloadSourceSpoofing: 'Any' }), true, 'datastore Any');
  assert.equal(calcAccepts({ FELIX_WORKLOADSOURCESPOOFING: 'Any' }, {}), true, 'env Any');
  assert.equal(
    calcAccepts({ FELIX_WORKLOADSOURCESPOOFING: 'Disabled' }, { WorkloadSourceSpoofing: 'Any' }),
    false,
    'env Disabled beats datastore Any',
  );
});
