// Policy scenarios with real packets: the real agent (over mTLS to the Typha-protocol server in
// another namespace) programs the node namespace, and each scenario checks a traffic matrix of
// TCP connects and pings between Calico-wired pod namespaces (felix/rules/endpoints.go
// for the expected semantics; felix/rules/static.go for the chains that enforce them). Every flow of
// every matrix is also traced with `felix-ts trace`, whose verdict must be the packets' (trace-check.ts).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { isRoot } from './exec.js';
import { Cluster, type ClusterPodSpec } from './cluster.js';
import { allow, deny, measureFlip } from './traffic.js';
import { expectMatrixTraced } from './trace-check.js';
import { figure, pollUntil } from './poll.js';
import { del, flipPolicies, networkSet, policy, tier, type KV } from './fixtures/kv.js';

const skip = isRoot() ? false : 'needs root (network namespaces, iptables)';

const pods: ClusterPodSpec[] = [
  {
    name: 'web',
    namespace: 'prod',
    ip: '10.65.1.1',
    ports: [8080, 9090],
    labels: { app: 'web' },
    namedPorts: [{ name: 'http', protocol: 'tcp', port: 8080 }],
  },
  {
    name: 'db',
    namespace: 'prod',
    ip: '10.65.1.2',
    ports: [5432, 8080],
    labels: { app: 'db' },
    namedPorts: [{ name: 'http', protocol: 'tcp', port: 5432 }],
  },
  { name: 'client', namespace: 'prod', ip: '10.65.1.3', ports: [8080], labels: { app: 'client' } },
  { name: 'tool', namespace: 'dev', ip: '10.65.1.4', ports: [8080], labels: { app: 'tool' } },
  { name: 'tool2', namespace: 'dev', ip: '10.65.1.5', ports: [8080], labels: { app: 'tool2' } },
];

// A prod-namespace default deny (ingress) plus an allow from app=client to app=web on TCP 8080.
// Rule selectors are written already namespaced, as the syncer's update processor emits them (libcalico-go/lib/backend/k8s/conversion).
const defaultDeny = policy({
  namespace: 'prod',
  name: 'default-deny',
  selector: 'all()',
  types: ['ingress'],
  order: 1000,
});
const allowClientToWeb = policy({
  namespace: 'prod',
  name: 'allow-client-web',
  selector: "app == 'web'",
  types: ['ingress'],
  order: 100,
  inbound: [
    {
      action: 'allow',
      protocol: 'tcp',
      src_selector: "(projectcalico.org/namespace == 'prod') && (app == 'client')",
      dst_ports: [8080],
    },
  ],
});

const deletes = (...kvs: KV[]): KV[] => kvs.map((kv) => del(kv.key));

describe('e2e policy scenarios (real agent, real protocol, real kernel)', { skip }, () => {
  let c: Cluster;
  before(async () => {
    c = await Cluster.start({ pods, figureName: 'agent_start_to_ready' });
  });
  after(async () => {
    await c?.destroy();
  });

  it('profile-only baseline: every flow is allowed by the kns.<ns> profiles', async () => {
    await expectMatrixTraced(c, [
      allow('client', 'web', 8080),
      allow('web', 'db', 5432),
      allow('tool', 'web', 9090),
      allow('db', 'tool2', 8080),
      allow('tool', 'client', 'icmp'),
      allow('web', 'tool', 'icmp'),
    ]);
    const save = await c.topo.iptablesSave();
    assert.match(save, /-A FORWARD .*-j cali-FORWARD/, 'the FORWARD hook is installed');
    assert.ok(save.includes(`cali-tw-${c.pod('web').iface}`), 'per-workload chain for web exists');
  });

  it('default-deny plus an allow by selector and port; a profile-only namespace stays open', async () => {
    await c.apply([defaultDeny, allowClientToWeb]);
    await expectMatrixTraced(c, [
      allow('client', 'web', 8080),
      deny('client', 'web', 9090),
      deny('tool', 'web', 8080),
      deny('client', 'db', 5432),
      deny('web', 'client', 8080),
      deny('tool', 'client', 'icmp'),
      deny('client', 'web', 'icmp'),
      // dev has no policies: only its kns.dev profile applies, both ways.
      allow('client', 'tool', 8080),
      allow('web', 'tool2', 'icmp'),
      allow('tool', 'tool2', 8080),
      // Egress from prod is not governed (types: ingress), so it falls through to the profile.
      allow('db', 'tool', 8080),
    ]);
  });

  it('tiers with pass: an earlier tier allows, passes to the default tier, or drops at its end', async () => {
    const security = tier('security', 100, 'Deny');
    const webGuard = policy({
      name: 'web-guard',
      tier: 'security',
      order: 10,
      selector: "app == 'web'",
      types: ['ingress'],
      inbound: [
        { action: 'next-tier', src_selector: "app == 'client'" },
        { action: 'allow', src_selector: "projectcalico.org/namespace == 'dev'" },
      ],
    });
    const tool2Guard = policy({
      name: 'tool2-guard',
      tier: 'security',
      order: 20,
      selector: "app == 'tool2'",
      types: ['ingress'],
      inbound: [{ action: 'next-tier', src_selector: "app == 'tool'" }],
    });
    await c.apply([security, webGuard, tool2Guard]);
    await expectMatrixTraced(c, [
      // Allowed in the security tier, although the default tier would deny it.
      allow('tool', 'web', 8080),
      allow('tool', 'web', 9090),
      // Passed to the default tier, which allows 8080 from client only.
      allow('client', 'web', 8080),
      deny('client', 'web', 9090),
      // Matched by no rule: dropped at the end of the security tier.
      deny('db', 'web', 8080),
      // Passed, no default-tier policy for dev pods: the kns.dev profile allows.
      allow('tool', 'tool2', 8080),
      // Not passed: end-of-tier drop although the profile alone would allow it.
      deny('web', 'tool2', 8080),
      allow('client', 'tool', 8080),
    ]);
    await c.apply(deletes(webGuard, tool2Guard, security, defaultDeny, allowClientToWeb));
    await expectMatrixTraced(c, [
      allow('db', 'web', 8080),
      allow('web', 'tool2', 8080),
      allow('web', 'client', 8080),
    ]);
  });

  it('egress deny to a network set', async () => {
    const blocked = networkSet('blocked-dbs', [`${c.pod('db').ip}/32`], { role: 'blocked' });
    const egress = policy({
      name: 'tool-egress',
      selector: "app == 'tool'",
      types: ['egress'],
      order: 50,
      outbound: [{ action: 'deny', dst_selector: "role == 'blocked'" }, { action: 'allow' }],
    });
    await c.apply([blocked, egress]);
    await expectMatrixTraced(c, [
      deny('tool', 'db', 5432),
      deny('tool', 'db', 'icmp'),
      allow('tool', 'web', 8080),
      allow('tool2', 'db', 5432),
      allow('client', 'db', 5432),
    ]);
    await c.apply(deletes(egress, blocked));
    await expectMatrixTraced(c, [allow('tool', 'db', 5432)]);
  });

  it('named ports resolve per endpoint', async () => {
    const httpOnly = policy({
      namespace: 'prod',
      name: 'http-only',
      selector: 'has(app)',
      types: ['ingress'],
      inbound: [{ action: 'allow', protocol: 'tcp', dst_ports: ['http'] }],
    });
    await c.apply([httpOnly]);
    await expectMatrixTraced(c, [
      allow('tool', 'web', 8080), // web: http = 8080
      deny('tool', 'web', 9090),
      allow('tool', 'db', 5432), // db: http = 5432
      deny('tool', 'db', 8080),
      deny('tool', 'client', 8080), // client has no named port
    ]);
    await c.apply(deletes(httpOnly));
    await expectMatrixTraced(c, [allow('tool', 'db', 8080), allow('tool', 'client', 8080)]);
  });

  it('a live policy change flips a flow within 5 s (both ways)', async () => {
    const { closed, open } = flipPolicies('prod', "app == 'web'", 8080);
    const flow = { from: 'tool', to: 'web', port: 8080 };
    await c.apply([closed]);
    await expectMatrixTraced(c, [deny('tool', 'web', 8080)]);

    // Open: from the moment the update is sent until fresh connects succeed (and keep succeeding).
    const openMs = await measureFlip(c.topo, flow, 'allow', () => c.apply([open]));
    assert.ok(openMs !== undefined, 'tool -> web:8080 did not become allowed within 5 s');
    figure(
      'policy_change_to_enforced_allow',
      openMs,
      'ms',
      'update sent -> first probe of the stable allowed run',
    );

    const closeMs = await measureFlip(c.topo, flow, 'deny', () => c.apply([closed]));
    assert.ok(closeMs !== undefined, 'tool -> web:8080 did not become denied within 5 s');
    figure(
      'policy_change_to_enforced_deny',
      closeMs,
      'ms',
      'update sent -> first probe of the stable denied run',
    );
    await c.apply(deletes(closed));
    await expectMatrixTraced(c, [allow('tool', 'web', 8080)]);
  });

  it('a pod added and removed: new endpoint chains, IP set membership, clean removal', async () => {
    await c.apply([defaultDeny, allowClientToWeb]);
    await expectMatrixTraced(c, [allow('client', 'web', 8080), deny('tool', 'web', 8080)]);

    const client2 = await c.addPod({
      name: 'client2',
      namespace: 'prod',
      ip: '10.65.1.6',
      ports: [8080],
      labels: { app: 'client' },
    });
    await expectMatrixTraced(c, [
      allow('client2', 'web', 8080), // its IP joined the app == 'client' IP set
      deny('client2', 'web', 9090),
      deny('tool', 'client2', 8080), // prod default deny covers the new pod
      allow('client2', 'tool', 8080),
      allow('client', 'web', 8080),
    ]);
    assert.ok((await c.topo.iptablesSave()).includes(`cali-tw-${client2.iface}`));

    await c.removePod('client2');
    await pollUntil(
      'the removed pod to vanish from the node namespace rules',
      async () => {
        const save = await c.topo.iptablesSave();
        return { ok: !save.includes(client2.iface), value: 0, describe: 'interface still referenced' };
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    await expectMatrixTraced(c, [
      allow('client', 'web', 8080),
      deny('tool', 'web', 8080),
      allow('web', 'tool', 8080),
    ]);
    await c.apply(deletes(defaultDeny, allowClientToWeb));
    assert.equal(c.agent.unexpectedExits(), 0, `agent exited unexpectedly:\n${c.agent.tail()}`);
  });
});
