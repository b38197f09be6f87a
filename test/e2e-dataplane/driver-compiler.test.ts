// The driver end to end with the real compiler: calc->dataplane messages in, kernel state out
// (one pod, one ingress policy, as in test/unit/rules/compiler/fixtures). Both backends, root only.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DataplaneDriver } from '../../rules/index.js';
import { DataplaneState, compile, defaultCompilerConfig } from '../../rules/compiler/index.js';
import type { ToDataplane } from '../../rules/dataplane-api/types.js';
import { Netns, isRoot, hashesByChain } from './netns.js';

const skip = isRoot ? false : 'needs root (network namespaces)';
const SET_ID = 's:lJVGDaqTNzSq4oOWKtH8pYj3zM-u5a8vGYAr8Q';
const WEP_ID = { orchestratorId: 'k8s', workloadId: 'default/web-0', endpointId: 'eth0' };

function policy(ports: number[]): ToDataplane {
  return {
    kind: 'activePolicyUpdate',
    id: { kind: 'gnp', namespace: '', name: 'allow-http' },
    policy: {
      tier: 'default',
      inboundRules: [
        {
          action: 'allow',
          protocol: { name: 'tcp' },
          srcIpSetIds: [SET_ID],
          dstPorts: ports.map((p) => ({ first: p, last: p })),
        },
      ],
      outboundRules: [],
    },
  };
}

const initial: ToDataplane[] = [
  { kind: 'ipsetUpdate', id: SET_ID, members: ['10.65.0.7', '10.65.1.9/32'], type: 2 },
  {
    kind: 'activeProfileUpdate',
    id: { name: 'kns.default' },
    profile: { inboundRules: [{ action: 'allow' }], outboundRules: [{ action: 'allow' }] },
  },
  policy([80]),
  {
    kind: 'workloadEndpointUpdate',
    id: WEP_ID,
    endpoint: {
      state: 'active',
      name: 'cali1a2b3c4d5e6',
      profileIds: ['kns.default'],
      ipv4Nets: ['10.65.0.2/32'],
      ipv6Nets: [],
      tiers: [
        {
          name: 'default',
          ingressPolicies: [{ kind: 'gnp', namespace: '', name: 'allow-http' }],
          egressPolicies: [],
        },
      ],
    },
  },
];

for (const backend of ['legacy', 'nft'] as const) {
  describe(`driver with the compiler (${backend})`, { skip }, () => {
    let ns: Netns;
    let driver: DataplaneDriver;
    const cfg = defaultCompilerConfig({ ipv6Support: false });
    const mirror = new DataplaneState();
    const feed = (msgs: ToDataplane[]) => {
      for (const m of msgs) mirror.apply(m);
      driver.onMessages(msgs);
    };
    const expectFilter = () => {
      const f = compile(mirror, cfg).tables.find((t) => t.table === 'filter' && t.family === 4)!;
      return new Map([...f.chains].map(([n, c]) => [n, c.rules.map((r) => r.hash)]));
    };
    const ours = (h: Map<string, string[]>) => new Map([...h].filter(([n]) => n.startsWith('cali-')));

    before(async () => {
      ns = await Netns.create(`d${backend[0]}`);
      driver = new DataplaneDriver({
        compilerConfig: cfg,
        backend,
        ipv6: false,
        netns: ns.name,
        minApplyIntervalMs: 50,
        refreshIntervalMs: 0,
      });
      await driver.start();
    });
    after(async () => {
      await driver?.stop();
      await ns?.destroy();
    });

    test('nothing is written before InSync; then the compiled state lands in one go', async () => {
      feed(initial);
      await new Promise((r) => setTimeout(r, 150));
      assert.equal(driver.applyCount, 0);
      assert.equal(driver.counters.iptablesRestoreCalls, 0);
      const first = new Promise((r) => driver.once('first-apply', r));
      feed([{ kind: 'inSync' }]);
      await first;
      await driver.settled();
      const filter = await hashesByChain(ns, backend, 'filter');
      assert.deepEqual(ours(filter), expectFilter());
      assert.ok(filter.has('cali-tw-cali1a2b3c4d5e6') && filter.has('cali-pi-gnp/allow-http'));
      assert.match(
        (await ns.exec('ipset', ['save'])).stdout,
        /^add cali40s:lJVGDaqTNzSq4oOWKtH8pYj 10\.65\.1\.9$/m,
      );
    });

    test('a policy change rewrites only the policy chain', async () => {
      feed([policy([80, 443])]);
      await driver.settled();
      const text = driver.lastRestoreInputs().get('ipv4/filter')!;
      const touched = new Set(
        text.split('\n').flatMap((l) => /^(?:-[ARDI]|:)\s?(\S+)/.exec(l)?.slice(1) ?? []),
      );
      assert.deepEqual([...touched], ['cali-pi-gnp/allow-http']);
      assert.match(text, /--destination-ports 80,443/);
      assert.deepEqual(ours(await hashesByChain(ns, backend, 'filter')), expectFilter());
    });

    test('removing the pod deletes its chains and the now-unreferenced ones', async () => {
      feed([{ kind: 'workloadEndpointRemove', id: WEP_ID }]);
      await driver.settled();
      const filter = await hashesByChain(ns, backend, 'filter');
      assert.deepEqual(ours(filter), expectFilter());
      assert.ok(!filter.has('cali-tw-cali1a2b3c4d5e6') && !filter.has('cali-pi-gnp/allow-http'));
      assert.match(
        driver.lastRestoreInputs().get('ipv4/filter')!,
        /^--delete-chain cali-tw-cali1a2b3c4d5e6$/m,
      );
    });
  });
}
