// Kubernetes EndpointSlice discovery against a local HTTPS "API server" (typha/pkg/discovery/discovery.go).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeCA } from '../../tools/pki/index.js';
import { discoverTyphaEndpoints, SyncerClient } from '../../syncer-client/client/index.js';
import { TyphaServer } from '../../tools/typha-server/index.js';
import { FAST_FAILOVER, Recorder } from './syncer-harness.js';

const TOKEN = 'test-sa-token-123';
let dir: string;
let api: Server;
let apiPort: number;
let caFile: string;
let tokenFile: string;
let slices: unknown = { items: [] };
let status = 200;
const requests: Array<{ url: string; auth: string | undefined }> = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), `felix-ts-k8s-${process.pid}-`));
  const ca = makeCA('kube CA');
  const cert = ca.issue({ cn: 'kube-apiserver', usage: 'server', ipSANs: ['127.0.0.1'] });
  caFile = join(dir, 'ca.crt');
  tokenFile = join(dir, 'token');
  writeFileSync(caFile, ca.cert);
  writeFileSync(tokenFile, `${TOKEN}\n`);
  api = createServer({ cert: cert.cert, key: cert.key }, (req: IncomingMessage, res) => {
    requests.push({ url: req.url ?? '', auth: req.headers.authorization });
    const ok =
      req.url ===
      '/apis/discovery.k8s.io/v1/namespaces/calico-system/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dcalico-typha';
    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
      res.writeHead(401).end('{"kind":"Status","code":401}');
    } else if (!ok) {
      res.writeHead(404).end('{"kind":"Status","code":404}');
    } else {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(slices));
    }
  });
  await new Promise<void>((r) => api.listen(0, '127.0.0.1', () => r()));
  apiPort = (api.address() as { port: number }).port;
});

after(async () => {
  await new Promise<void>((r) => api.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

const kubeApi = () => ({
  env: { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(apiPort) },
  tokenFile,
  caFile,
});

test('lists EndpointSlices with the service label, service-account token and CA; local first', async () => {
  slices = {
    kind: 'EndpointSliceList',
    items: [
      {
        ports: [{ name: 'calico-typha', port: 5473, protocol: 'TCP' }],
        endpoints: [
          { addresses: ['10.0.0.1'], conditions: { ready: true }, nodeName: 'node-a' },
          { addresses: ['10.0.0.2'], conditions: { ready: true }, nodeName: 'node-me' },
          { addresses: ['10.0.0.9'], conditions: { ready: false }, nodeName: 'node-me' },
        ],
      },
    ],
  };
  requests.length = 0;
  const r = await discoverTyphaEndpoints({
    namespace: 'calico-system',
    serviceName: 'calico-typha',
    nodeName: 'node-me',
    api: kubeApi(),
  });
  assert.deepEqual(r.addresses, ['10.0.0.2:5473', '10.0.0.1:5473']);
  assert.equal(requests.length, 1);
  assert.equal(requests[0]!.auth, `Bearer ${TOKEN}`);
});

test('API errors and an untrusted API certificate give ERR_TYPHA_DISCOVERY', async () => {
  const isDisc = (e: unknown): boolean => (e as { code?: string }).code === 'ERR_TYPHA_DISCOVERY';
  status = 403;
  try {
    await assert.rejects(
      discoverTyphaEndpoints({
        namespace: 'calico-system',
        serviceName: 'calico-typha',
        nodeName: 'n',
        api: kubeApi(),
      }),
      isDisc,
    );
  } finally {
    status = 200;
  }
  await assert.rejects(
    discoverTyphaEndpoints({
      namespace: 'other',
      serviceName: 'calico-typha',
      nodeName: 'n',
      api: kubeApi(),
    }),
    isDisc,
  );
  const otherCa = join(dir, 'other-ca.crt');
  writeFileSync(otherCa, makeCA('other').cert);
  await assert.rejects(
    discoverTyphaEndpoints({
      namespace: 'calico-system',
      serviceName: 'calico-typha',
      nodeName: 'n',
      api: { ...kubeApi(), caFile: otherCa },
    }),
    isDisc,
  );
});

test('the client discovers Typha through the API, rediscovers on failure and follows the new endpoints', async () => {
  const typhaA = new TyphaServer();
  const typhaB = new TyphaServer();
  await typhaA.start();
  await typhaB.start();
  typhaA.put('/a', 'from-a');
  typhaB.put('/a', 'from-b');
  const sliceFor = (s: TyphaServer): unknown => ({
    items: [
      {
        ports: [{ name: 'calico-typha', port: s.address().port }],
        endpoints: [{ addresses: ['127.0.0.1'], nodeName: 'node-me' }],
      },
    ],
  });
  slices = sliceFor(typhaA);
  const client = new SyncerClient({
    felixHostname: 'node-me',
    typhaK8sServiceName: 'calico-typha',
    typhaK8sNamespace: 'calico-system',
    kubernetes: kubeApi(),
    failover: FAST_FAILOVER,
  });
  const rec = new Recorder(client);
  const dials: string[] = [];
  client.onEvent((e) => {
    if (e.kind === 'connecting') dials.push(e.endpoint);
  });
  client.start();
  try {
    await rec.waitFor(() => rec.state.get('/a') === 'from-a' && rec.status === 'in-sync', 'sync from a');
    const endpointA = typhaA.endpoint;
    assert.deepEqual(dials, [endpointA]);
    // Typha A goes away and the service now points at B.
    slices = sliceFor(typhaB);
    await typhaA.stop();
    await rec.waitFor(() => rec.state.get('/a') === 'from-b' && rec.status === 'in-sync', 'sync from b');
    assert.equal(client.connectedEndpoint, typhaB.endpoint);
    // The list was rediscovered before the first attempt after the drop: no dial to the dead A.
    assert.deepEqual(dials, [endpointA, typhaB.endpoint]);
  } finally {
    await client.stop();
    await typhaA.stop().catch(() => undefined);
    await typhaB.stop();
  }
});
