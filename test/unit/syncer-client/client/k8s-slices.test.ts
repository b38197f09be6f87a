import { test } from 'node:test';
import assert from 'node:assert/strict';
import { apiBaseUrl, endpointsFromSliceList } from '../../../../syncer-client/client/index.js';

const slice = (port: number | undefined, endpoints: unknown[], portName = 'calico-typha'): object => ({
  ports:
    port === undefined
      ? []
      : [
          { name: 'other', port: 1 },
          { name: portName, port },
        ],
  endpoints,
});

test('ready endpoints only, calico-typha port, same node first, IPv6 bracketed', () => {
  const list = {
    items: [
      slice(5473, [
        { addresses: ['10.0.0.1'], conditions: { ready: true }, nodeName: 'node-a' },
        { addresses: ['10.0.0.2'], conditions: { ready: false }, nodeName: 'node-me' },
        { addresses: ['10.0.0.3'], nodeName: 'node-me' },
        { addresses: ['fd00::4'], conditions: {}, nodeName: 'node-b' },
      ]),
      slice(5474, [{ addresses: ['10.0.0.5'], conditions: { ready: true }, nodeName: 'node-c' }], 'metrics'),
    ],
  };
  const r = endpointsFromSliceList(list, 'node-me', () => 0);
  assert.deepEqual(r.local, ['10.0.0.3:5473']);
  assert.deepEqual([...r.remote].sort(), ['10.0.0.1:5473', '[fd00::4]:5473']);
  assert.equal(r.addresses[0], '10.0.0.3:5473');
  assert.equal(r.addresses.length, 3);
});

test('each group is shuffled', () => {
  const eps = Array.from({ length: 8 }, (_, i) => ({ addresses: [`10.0.1.${i}`], nodeName: `n${i}` }));
  const list = { items: [slice(5473, eps)] };
  const orders = new Set<string>();
  for (let i = 0; i < 20; i++) orders.add(endpointsFromSliceList(list, 'me').addresses.join(','));
  assert.ok(orders.size > 1, 'order should vary between calls');
});

test('nothing ready / malformed input gives ERR_TYPHA_DISCOVERY', () => {
  const isDisc = (e: unknown): boolean => (e as { code?: string }).code === 'ERR_TYPHA_DISCOVERY';
  assert.throws(() => endpointsFromSliceList({ items: [] }, 'me'), isDisc);
  assert.throws(
    () =>
      endpointsFromSliceList(
        { items: [slice(5473, [{ addresses: ['1.1.1.1'], conditions: { ready: false } }])] },
        'me',
      ),
    isDisc,
  );
  assert.throws(
    () => endpointsFromSliceList({ items: [slice(undefined, [{ addresses: ['1.1.1.1'] }])] }, 'me'),
    isDisc,
  );
  assert.throws(() => endpointsFromSliceList(null, 'me'), isDisc);
  assert.throws(() => endpointsFromSliceList({ items: 'x' }, 'me'), isDisc);
  // Junk entries are skipped, not fatal, and cannot smuggle separators into an address.
  const r = endpointsFromSliceList(
    {
      items: [
        7,
        slice(5473, [null, { addresses: [3, '1.1.1.1,2.2.2.2', '', '9.9.9.9'] }]),
        slice(99999, [{ addresses: ['8.8.8.8'] }]),
      ],
    },
    'me',
  );
  assert.deepEqual(r.addresses, ['9.9.9.9:5473']);
});

test('API base URL from KUBERNETES_SERVICE_HOST/PORT', () => {
  assert.equal(
    apiBaseUrl({ env: { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' } }),
    'https://10.96.0.1:443',
  );
  assert.equal(
    apiBaseUrl({ env: { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' } }),
    'https://[fd00::1]:443',
  );
  assert.equal(apiBaseUrl({ apiBaseUrl: 'https://x:1/' }), 'https://x:1');
  assert.throws(
    () => apiBaseUrl({ env: {} }),
    (e: unknown) => (e as { code?: string }).code === 'ERR_TYPHA_DISCOVERY',
  );
});
