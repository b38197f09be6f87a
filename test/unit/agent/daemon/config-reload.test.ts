// What a datastore ConfigUpdate means (felix/daemon/daemon.go): before the dataplane starts every
// change is taken in place; afterwards a change outside Felix's no-restart set is a restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../../../agent/config/index.js';
import { decideConfigUpdate } from '../../../../agent/daemon/config-reload.js';

const noFile = (): string => {
  throw Object.assign(new Error('absent'), { code: 'ENOENT' });
};
const local = loadConfig({ env: { FELIX_CHAININSERTMODE: 'insert' }, readFile: noFile });

test('unchanged, taken in place, or a restart', () => {
  assert.equal(decideConfigUpdate(local, { LogPrefix: 'calico-packet' }, true).kind, 'unchanged');

  const before = decideConfigUpdate(local, { IptablesRefreshInterval: '10' }, false);
  assert.equal(before.kind, 'apply', 'nothing programmed yet: no restart');
  assert.deepEqual(before.kind === 'apply' && before.changed, ['IptablesRefreshInterval']);
  assert.equal(before.kind === 'apply' && before.next.config.IptablesRefreshInterval, 10_000);

  const after = decideConfigUpdate(local, { IptablesRefreshInterval: '10', ClusterGUID: 'abc' }, true);
  assert.equal(after.kind, 'restart');
  assert.deepEqual(after.kind === 'restart' && after.keys, ['IptablesRefreshInterval']);

  const hot = decideConfigUpdate(local, { HealthTimeoutOverrides: 'CalculationGraph=2m' }, true);
  assert.equal(hot.kind, 'apply', 'HealthTimeoutOverrides is in the no-restart set');

  // A local value wins over the datastore's: no change, so no restart either.
  assert.equal(decideConfigUpdate(local, { ChainInsertMode: 'append' }, true).kind, 'unchanged');
});
