// Rules the kernel refuses never reach it (issue 17 item 1): each bad rule is first shown to make
// iptables-restore refuse the compiled table; then the same rules arrive as datastore KVs beside a
// valid policy, go through the model, the calc, the compiler and the driver into a namespace, and
// the valid policy is programmed and enforced on real packets while every bad one is dropped with
// one warning naming its key and field. Both backends, root only.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { CalcGraph } from '../../agent/calc/index.js';
import { DataplaneDriver } from '../../rules/index.js';
import {
  DataplaneState,
  compile,
  defaultCompilerConfig,
  renderRestoreText,
} from '../../rules/compiler/index.js';
import type { Rule, ToDataplane } from '../../rules/dataplane-api/types.js';
import type { KVUpdate } from '../../syncer-client/api.js';
import { Netns, isRoot, serverClient, type Backend, type ServerClient } from './netns.js';

const skip = isRoot ? false : 'needs root (network namespaces)';
const HOST = 'node-1';
const SERVER_IP = '10.233.0.1';
const CLIENT_IP = '10.233.0.2';

interface BadCase {
  readonly name: string;
  /** The rule as the datastore holds it (model JSON). */
  readonly model: Record<string, unknown>;
  /** The field the refusal must name. */
  readonly field: string;
  /** What the compiler would get if the rule went through unchecked, and the table family. */
  readonly dp: Omit<Rule, 'action'>;
  readonly family: 4 | 6;
}

const CASES: readonly BadCase[] = [
  {
    name: 'ports-no-proto',
    model: { dst_ports: [80] },
    field: 'dst_ports',
    dp: { dstPorts: [{ first: 80, last: 80 }] },
    family: 4,
  },
  {
    name: 'ports-not-proto',
    model: { '!protocol': 'udp', src_ports: ['1000:2000'] },
    field: 'src_ports',
    dp: { notProtocol: { name: 'udp' }, srcPorts: [{ first: 1000, last: 2000 }] },
    family: 4,
  },
  {
    name: 'ports-proto-99',
    model: { protocol: 99, dst_ports: [80] },
    field: 'dst_ports',
    dp: { protocol: { number: 99 }, dstPorts: [{ first: 80, last: 80 }] },
    family: 4,
  },
  {
    name: 'ports-proto-esp',
    model: { protocol: 'esp', '!dst_ports': [22] },
    field: 'protocol',
    dp: { protocol: { name: 'esp' }, notDstPorts: [{ first: 22, last: 22 }] },
    family: 4,
  },
  {
    name: 'proto-foo',
    model: { protocol: 'foo' },
    field: 'protocol',
    dp: { protocol: { name: 'foo' } },
    family: 4,
  },
  {
    name: 'not-proto-bogus',
    model: { '!protocol': 'bogus' },
    field: '!protocol',
    dp: { notProtocol: { name: 'bogus' } },
    family: 4,
  },
  {
    name: 'icmp-type-tcp',
    model: { protocol: 'tcp', icmp_type: 8 },
    field: 'icmp_type',
    dp: { protocol: { name: 'tcp' }, icmpType: 8 },
    family: 4,
  },
  {
    name: 'icmp-type-udp',
    model: { protocol: 'udp', icmp_type: 3, icmp_code: 1 },
    field: 'icmp_type',
    dp: { protocol: { name: 'udp' }, icmpTypeCode: { type: 3, code: 1 } },
    family: 4,
  },
  {
    name: 'icmpv6-on-v4',
    model: { protocol: 'icmpv6', ip_version: 4, icmp_type: 128 },
    field: 'protocol',
    dp: { ipVersion: 4 as Rule['ipVersion'], protocol: { name: 'icmpv6' }, icmpType: 128 },
    family: 4,
  },
  {
    name: 'icmp-on-v6',
    model: { protocol: 'icmp', ip_version: 6, icmp_type: 8 },
    field: 'protocol',
    dp: { ipVersion: 6 as Rule['ipVersion'], protocol: { name: 'icmp' }, icmpType: 8 },
    family: 6,
  },
];

const kv = (key: string, value: unknown): KVUpdate => ({
  key,
  value: typeof value === 'string' ? value : JSON.stringify(value),
  revision: '1',
  updateType: 1 as KVUpdate['updateType'],
});
const gnpKey = (name: string): string => `/calico/v1/policy/GlobalNetworkPolicy//default.${name}`;

/** The restore program's verdict on the table compiled with one unchecked rule. */
async function kernelVerdict(
  ns: Netns,
  backend: Backend,
  c: BadCase,
): Promise<{ code: number; text: string }> {
  const state = new DataplaneState();
  const id = { kind: 'gnp', namespace: '', name: c.name };
  state.apply({
    kind: 'activePolicyUpdate',
    id,
    policy: { tier: 'default', inboundRules: [{ action: 'allow', ...c.dp }], outboundRules: [] },
  });
  // Policy chains are only written for policies an endpoint uses.
  state.apply({
    kind: 'hostEndpointUpdate',
    id: { endpointId: 'veth' },
    endpoint: {
      name: 'eth0',
      profileIds: [],
      tiers: [{ name: 'default', ingressPolicies: [id], egressPolicies: [] }],
      untrackedTiers: [],
      preDnatTiers: [],
      forwardTiers: [],
      expectedIpv4Addrs: [],
      expectedIpv6Addrs: [],
    },
  });
  const cfg = defaultCompilerConfig({ ipv6Support: c.family === 6 });
  const table = compile(state, cfg).tables.find((t) => t.table === 'filter' && t.family === c.family)!;
  const text = renderRestoreText(table);
  const cmd = `${c.family === 4 ? 'iptables' : 'ip6tables'}-${backend}-restore`;
  // A real commit (not --test): some refusals come from the kernel's checkentry, not the parser.
  const r = await ns.exec(cmd, ['--noflush'], { input: text, reject: false });
  return { code: r.exitCode, text };
}

function datastore(vethA: string): KVUpdate[] {
  const bad = CASES.map((c, i) =>
    kv(gnpKey(c.name), {
      tier: 'default',
      order: 1 + i,
      selector: "role == 'server'",
      types: ['ingress'],
      inbound_rules: [{ action: 'allow', ...c.model }],
    }),
  );
  return [
    kv('/calico/v1/Ready', 'true'),
    kv('/calico/v1/policy/tier/default/metadata', { order: 1_000_000, defaultAction: 'Deny' }),
    kv(`/calico/v1/host/${HOST}/endpoint/veth`, {
      name: vethA,
      expected_ipv4_addrs: [SERVER_IP],
      labels: { role: 'server' },
    }),
    ...bad,
    kv(gnpKey('allow-8080'), {
      tier: 'default',
      order: 100,
      selector: "role == 'server'",
      types: ['ingress', 'egress'],
      inbound_rules: [{ action: 'allow', protocol: 'tcp', dst_ports: [8080] }],
      outbound_rules: [{ action: 'allow' }],
    }),
  ];
}

for (const backend of ['legacy', 'nft'] as const) {
  describe(`rules the kernel refuses are dropped before the calc (${backend})`, { skip }, () => {
    let pair: ServerClient;
    const veth = `fxi${process.pid % 100000}${backend[0]}`;
    const connects = (port: number): Promise<boolean> => pair.connects(port);

    before(async () => {
      pair = await serverClient(
        {
          server: `iv${backend[0]}`,
          client: `ic${backend[0]}`,
          veth: `fxi${process.pid % 100000}${backend[0]}`,
        },
        { server: SERVER_IP, client: CLIENT_IP },
        [8080, 9090],
      );
    });
    after(async () => {
      await pair?.destroy();
    });

    test('each bad rule, compiled unchecked, makes iptables-restore refuse the whole table', async () => {
      // A scratch namespace of its own, so nothing committed here can touch the traffic test.
      const scratch = await Netns.create(`ik${backend[0]}`);
      try {
        for (const c of CASES) {
          const v = await kernelVerdict(scratch, backend, c);
          assert.match(
            v.text,
            new RegExp(`^:cali-pi-gnp/${c.name} - -$`, 'm'),
            `${c.name}: the rule is in the input`,
          );
          assert.notEqual(v.code, 0, `${c.name}: restore refuses\n${v.text}`);
        }
      } finally {
        await scratch.destroy();
      }
    });

    test('through model, calc and driver: the valid policy is enforced, every bad one dropped with a warning', async () => {
      assert.equal(await connects(9090), true, 'without rules 9090 is reachable');
      const warnings: Array<{ msg: string; fields?: Record<string, unknown> }> = [];
      const logger = {
        debug: (): void => {},
        info: (): void => {},
        warn: (msg: string, fields?: object): void => {
          warnings.push({ msg, fields: fields as Record<string, unknown> });
        },
        error: (): void => {},
      };
      const calc = new CalcGraph({ hostname: HOST, logger });
      calc.onUpdates(datastore(`${veth}a`));
      calc.onStatus('in-sync');
      const msgs: ToDataplane[] = calc.flush();

      // One warning per bad policy, naming its key and the offending field.
      assert.equal(warnings.length, CASES.length, JSON.stringify(warnings));
      for (const c of CASES) {
        const w = warnings.filter((x) => x.fields?.key === gnpKey(c.name));
        assert.equal(w.length, 1, c.name);
        assert.match(String(w[0]!.fields?.error), new RegExp(`inbound_rules\\.0\\.${c.field}: `), c.name);
      }
      const policies = msgs.filter((m) => m.kind === 'activePolicyUpdate').map((m) => m.id.name);
      assert.deepEqual(policies, ['default.allow-8080']);

      const driver = new DataplaneDriver({
        compilerConfig: defaultCompilerConfig({ ipv6Support: false }),
        backend,
        ipv6: false,
        netns: pair.server.name,
        minApplyIntervalMs: 50,
        refreshIntervalMs: 0,
      });
      await driver.start();
      try {
        const first = new Promise((r) => driver.once('first-apply', r));
        driver.onMessages(msgs);
        await first;
        await driver.settled();
        const filter = driver.lastRestoreInputs().get('ipv4/filter') ?? '';
        const piChains = filter.split('\n').filter((l) => l.startsWith(':cali-pi-'));
        assert.equal(piChains.length, 1, 'only the valid policy has a chain');
        assert.match(filter, /--destination-ports 8080 /);
        assert.equal(await connects(8080), true, 'the valid policy allows 8080');
        assert.equal(await connects(9090), false, 'the valid policy is enforced: 9090 is dropped');
      } finally {
        await driver.stop();
      }
    });
  });
}
