// Endpoint status files with the real apply (root, network namespaces "hn-…", both backends): the agent's
// dataplane runner with the real driver and compiler programs a namespace; at the moment each status file is
// renamed into place the endpoint's chains (cali-tw-/cali-fw-<iface>, its policy chain) are already in the
// kernel, and when the file is removed they are already gone. The CNI plugin's wait (Calico v3.32.1
// cni-plugin/pkg/wait/wait.go, reimplemented in test/unit/agent/statusrep/cni-wait.ts) unblocks on the file.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { DataplaneRunner } from '../../agent/daemon/dataplane.js';
import { realDeps } from '../../agent/daemon/real-deps.js';
import { newStatus } from '../../agent/daemon/status.js';
import { loadConfig, type FelixConfig } from '../../agent/config/index.js';
import { createLogger } from '../../agent/log/index.js';
import { AgentMetrics } from '../../agent/metrics/index.js';
import { nodeStatusFs, type StatusFs } from '../../agent/statusrep/index.js';
import type { ToDataplane } from '../../rules/dataplane-api/types.js';
import { waitForEndpointReady } from '../unit/agent/statusrep/cni-wait.js';
import { Netns, isRoot, save } from './netns.js';

const skip = isRoot ? false : 'needs root (network namespaces)';
const noFile = (): string => {
  throw Object.assign(new Error('absent'), { code: 'ENOENT' });
};

const wepId = (pod: string) => ({ orchestratorId: 'k8s', workloadId: `default/${pod}`, endpointId: 'eth0' });
const iface = (pod: string) => `cali${pod.replace(/\W/g, '').padEnd(11, '0').slice(0, 11)}`;
function pod(name: string, ip: string): ToDataplane {
  return {
    kind: 'workloadEndpointUpdate',
    id: wepId(name),
    endpoint: {
      state: 'active',
      name: iface(name),
      mac: 'ee:ee:ee:ee:ee:ee',
      profileIds: ['kns.default'],
      ipv4Nets: [`${ip}/32`],
      ipv6Nets: [],
      tiers: [
        {
          name: 'default',
          ingressPolicies: [{ kind: 'gnp', namespace: '', name: `allow-${name}` }],
          egressPolicies: [],
        },
      ],
    },
  };
}
const policy = (name: string): ToDataplane => ({
  kind: 'activePolicyUpdate',
  id: { kind: 'gnp', namespace: '', name: `allow-${name}` },
  policy: {
    tier: 'default',
    inboundRules: [{ action: 'allow', protocol: { name: 'tcp' } }],
    outboundRules: [],
  },
});
const profile: ToDataplane = {
  kind: 'activeProfileUpdate',
  id: { name: 'kns.default' },
  profile: { inboundRules: [{ action: 'allow' }], outboundRules: [{ action: 'allow' }] },
};

for (const backend of ['legacy', 'nft'] as const) {
  describe(`endpoint status files with the real apply (${backend})`, { skip }, () => {
    let ns: Netns;
    let prefix: string;
    let runner: DataplaneRunner;
    let cfg: FelixConfig;
    /** At each rename into place / removal: the file, and which of its endpoint's chains the kernel had. */
    const seen: Array<{ op: 'write' | 'remove'; file: string; chains: string[] }> = [];
    const podOf = new Map<string, string>();

    const chainsOf = async (p: string): Promise<string[]> => {
      const lines = await save(ns, backend, 'filter');
      const want = [`cali-tw-${iface(p)}`, `cali-fw-${iface(p)}`, `cali-pi-gnp/allow-${p}`];
      return want.filter((c) => lines.some((l) => l.startsWith(`:${c} `)));
    };
    const fs: StatusFs = {
      ...nodeStatusFs,
      rename: async (from, to) => {
        const file = to.split('/').at(-1)!;
        seen.push({ op: 'write', file, chains: await chainsOf(podOf.get(file)!) });
        await nodeStatusFs.rename(from, to);
      },
      unlink: async (path) => {
        const file = path.split('/').at(-1)!;
        seen.push({ op: 'remove', file, chains: await chainsOf(podOf.get(file)!) });
        await nodeStatusFs.unlink(path);
      },
    };
    const dir = () => join(prefix, 'endpoint-status');
    const listing = () => (existsSync(dir()) ? readdirSync(dir()).sort() : []);
    const send = (msgs: ToDataplane[]) => runner.send(msgs, cfg);
    const until = async (what: string, cond: () => boolean) => {
      for (let i = 0; i < 600 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
      assert.ok(cond(), `never happened: ${what}`);
    };

    before(async () => {
      ns = await Netns.create(`st${backend[0]}`, 'hn');
      prefix = mkdtempSync(join(tmpdir(), 'fts-hn-status-'));
      for (const p of ['web-0', 'web-1']) podOf.set(`k8s default%2F${p} eth0`, p);
      cfg = loadConfig({
        env: {
          FELIX_ENDPOINTSTATUSPATHPREFIX: prefix,
          FELIX_IPTABLESBACKEND: backend,
          FELIX_IPV6SUPPORT: 'false',
          FELIX_IPTABLESREFRESHINTERVAL: '0',
        },
        readFile: noFile,
      }).config;
      runner = new DataplaneRunner({
        deps: realDeps({ netns: ns.name }),
        logger: createLogger({ severity: 'WARNING', stream: new PassThrough() }),
        status: newStatus(0),
        metrics: new AgentMetrics({ hostname: 'hn' }),
        now: Date.now,
        changed: () => {},
        statusFs: fs,
      });
    });
    after(async () => {
      await runner?.stop();
      await ns?.destroy();
      if (prefix) rmSync(prefix, { recursive: true, force: true });
    });

    test('the first file appears after the chains are programmed; the CNI wait started before unblocks', async () => {
      const cniWait = waitForEndpointReady(
        dir(),
        { namespace: 'default', pod: 'web-0', endpoint: 'eth0' },
        20_000,
      );
      await send([profile, policy('web-0'), pod('web-0', '10.65.0.2')]);
      assert.equal(runner.started, false, 'buffered until in sync');
      assert.deepEqual(listing(), []);
      await send([{ kind: 'inSync' }]);
      await cniWait;
      assert.deepEqual(listing(), ['k8s default%2Fweb-0 eth0']);
      assert.deepEqual(seen, [
        {
          op: 'write',
          file: 'k8s default%2Fweb-0 eth0',
          chains: ['cali-tw-caliweb00000000', 'cali-fw-caliweb00000000', 'cali-pi-gnp/allow-web-0'],
        },
      ]);
      assert.equal(
        readFileSync(join(dir(), 'k8s default%2Fweb-0 eth0'), 'utf8'),
        '{"ifaceName":"caliweb00000000","mac":"ee:ee:ee:ee:ee:ee","ipv4Nets":["10.65.0.2/32"]}',
      );
    });

    test('a pod added later: the watching CNI wait sees the rename, and only after its chains exist', async () => {
      seen.length = 0;
      const cniWait = waitForEndpointReady(
        dir(),
        { namespace: 'default', pod: 'web-1', endpoint: 'eth0' },
        20_000,
      );
      await send([policy('web-1'), pod('web-1', '10.65.0.3')]);
      await cniWait;
      assert.deepEqual(listing(), ['k8s default%2Fweb-0 eth0', 'k8s default%2Fweb-1 eth0']);
      assert.deepEqual(seen, [
        {
          op: 'write',
          file: 'k8s default%2Fweb-1 eth0',
          chains: ['cali-tw-caliweb10000000', 'cali-fw-caliweb10000000', 'cali-pi-gnp/allow-web-1'],
        },
      ]);
    });

    test('deleting the endpoint removes its file once its chains are gone from the kernel', async () => {
      seen.length = 0;
      await send([
        { kind: 'workloadEndpointRemove', id: wepId('web-0') },
        { kind: 'activePolicyRemove', id: { kind: 'gnp', namespace: '', name: 'allow-web-0' } },
      ]);
      await until('the file of web-0 removed', () => listing().length === 1);
      assert.deepEqual(listing(), ['k8s default%2Fweb-1 eth0']);
      assert.deepEqual(seen, [{ op: 'remove', file: 'k8s default%2Fweb-0 eth0', chains: [] }]);
      assert.deepEqual(await chainsOf('web-1'), [
        'cali-tw-caliweb10000000',
        'cali-fw-caliweb10000000',
        'cali-pi-gnp/allow-web-1',
      ]);
    });
  });
}
