// The config batcher (agent/calc/config-batcher.ts) alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigBatcher } from '../../../../agent/calc/config-batcher.js';
import { HOST } from './fixtures.js';

test('config batcher: nothing before InSync; then host overrides global, other hosts ignored', () => {
  const b = new ConfigBatcher(HOST);
  const sent: Array<Record<string, string>> = [];
  const sink = { onConfigUpdate: (m: Record<string, string>) => sent.push(m) };
  b.onGlobalConfig('LogSeverityScreen', 'Info');
  b.onGlobalConfig('MetadataAddr', 'None');
  b.onHostConfig(HOST, 'LogSeverityScreen', 'Debug');
  b.onHostConfig('other', 'LogSeverityScreen', 'Warning');
  b.onReady(true);
  b.flush(sink);
  assert.deepEqual(sent, [], 'held back until InSync');
  assert.equal(b.datastoreReady, true);
  b.onInSync();
  b.flush(sink);
  assert.deepEqual(sent, [{ LogSeverityScreen: 'Debug', MetadataAddr: 'None' }]);
  b.flush(sink);
  assert.equal(sent.length, 1, 'not dirty: nothing reported');
  assert.equal(b.get('LogSeverityScreen'), 'Debug');
  assert.equal(b.get('MetadataAddr'), 'None');
  assert.equal(b.get('Nope'), undefined);
});

test('config batcher: deletes of unknown names and other hosts do not dirty; Ready deletion does', () => {
  const b = new ConfigBatcher(HOST);
  const sent: Array<Record<string, string>> = [];
  const sink = { onConfigUpdate: (m: Record<string, string>) => sent.push(m) };
  b.onInSync();
  b.flush(sink);
  assert.deepEqual(sent, [{}], 'the first InSync always reports');
  b.onGlobalConfig('Missing', undefined);
  b.onHostConfig(HOST, 'Missing', undefined);
  b.onHostConfig('other', 'X', 'y');
  b.flush(sink);
  assert.equal(sent.length, 1);
  b.onHostConfig(HOST, 'X', 'host');
  b.onGlobalConfig('X', 'global');
  b.flush(sink);
  assert.deepEqual(sent[1], { X: 'host' });
  b.onHostConfig(HOST, 'X', undefined);
  b.flush(sink);
  assert.deepEqual(sent[2], { X: 'global' });
  b.onReady(undefined);
  assert.equal(b.datastoreReady, undefined);
  b.flush(sink);
  assert.equal(sent.length, 4, 'the Ready flag dirties the config');
  b.onInSync();
  b.flush(sink);
  assert.equal(sent.length, 4, 'a second InSync changes nothing');
});
