// Untracked (doNotTrack) host-endpoint policy end to end (issue 12): a client namespace sends UDP to a
// node namespace whose veth is a host endpoint; the driver programs the compiled raw, mangle and filter
// tables there. An untracked allow (raw table: NOTRACK, accept bit, which filter cali-INPUT/cali-OUTPUT
// honour) answers without leaving a conntrack entry; a tracked allow of another port answers and leaves
// one; with no policy the host endpoint drops. The node's conntrack table is read from its own
// /proc/net/nf_conntrack. Root only, legacy and nft, IPv4 and IPv6.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { DataplaneDriver } from '../../rules/index.js';
import { defaultCompilerConfig } from '../../rules/compiler/index.js';
import type { TierInfo } from '../../rules/dataplane-api/types.js';
import { isRoot } from './netns.js';
import {
  conntrack,
  eventually,
  gnp,
  hepMsg,
  hepNet,
  policyMsg,
  saveTable,
  serve,
  udpEcho,
  udpRoundTrip,
  type HepNet,
} from './hep-net.js';

const skip = isRoot ? false : 'needs root (network namespaces)';
const UNTRACKED_PORT = 7001;
const TRACKED_PORT = 7002;
/** Used only before any rule, so that no conntrack entry of the two ports under test predates them. */
const BASELINE_PORT = 7003;
const UNTRACKED = gnp('untracked-udp');
const TRACKED = gnp('tracked-udp');

const udp = { name: 'udp' } as const;
const untrackedPolicy = policyMsg(
  UNTRACKED,
  [{ action: 'allow', protocol: udp, dstPorts: [{ first: UNTRACKED_PORT, last: UNTRACKED_PORT }] }],
  // Untracked policy needs the reply direction too: there is no conntrack state to let it back.
  [{ action: 'allow', protocol: udp, srcPorts: [{ first: UNTRACKED_PORT, last: UNTRACKED_PORT }] }],
  { untracked: true },
);
const trackedPolicy = policyMsg(
  TRACKED,
  [{ action: 'allow', protocol: udp, dstPorts: [{ first: TRACKED_PORT, last: TRACKED_PORT }] }],
  [],
);
const tier = (ingress = [UNTRACKED], egress = [UNTRACKED]): TierInfo => ({
  name: 'default',
  ingressPolicies: ingress,
  egressPolicies: egress,
  defaultAction: 'Pass',
});

/** Conntrack entries of the node for one destination port. */
async function entriesFor(net: HepNet, port: number): Promise<string[]> {
  return (await conntrack(net.node)).filter((l) => l.includes(`dport=${port} `));
}

for (const [backend, family] of [
  ['legacy', 4],
  ['nft', 4],
  ['legacy', 6],
  ['nft', 6],
] as const) {
  describe(`untracked host-endpoint policy (${backend}, IPv${family})`, { skip }, () => {
    let net: HepNet;
    let driver: DataplaneDriver;
    let server: ChildProcess | undefined;

    before(async () => {
      net = await hepNet(`u${backend[0]}${family}`, family);
      server = serve(net.node, udpEcho([UNTRACKED_PORT, TRACKED_PORT, BASELINE_PORT]));
      driver = new DataplaneDriver({
        compilerConfig: defaultCompilerConfig({ ipv6Support: family === 6 }),
        backend,
        ipv6: family === 6,
        netns: net.node.name,
        minApplyIntervalMs: 20,
        refreshIntervalMs: 0,
      });
      await driver.start();
      // Baseline, no rules at all: the echo server answers.
      assert.equal(await eventually(() => udpRoundTrip(net, BASELINE_PORT, 'hi'), 'hi'), 'hi');
    });
    after(async () => {
      server?.kill('SIGKILL');
      await driver?.stop();
      for (const ns of [net?.node, net?.client]) await ns?.destroy();
    });

    test('a host endpoint without policy drops both ports (the rules are in force)', async () => {
      driver.onMessages([hepMsg(net.iface, {}), { kind: 'inSync' }]);
      await driver.settled();
      assert.equal(await udpRoundTrip(net, UNTRACKED_PORT, 'x'), '');
      assert.equal(await udpRoundTrip(net, TRACKED_PORT, 'x'), '');
    });

    test('an untracked allow answers and leaves no conntrack entry; a tracked allow leaves one', async () => {
      driver.onMessages([
        untrackedPolicy,
        trackedPolicy,
        hepMsg(net.iface, {
          untrackedTiers: [tier()],
          tiers: [tier([TRACKED], [])],
        }),
      ]);
      await driver.settled();
      const raw = (await saveTable(net, backend, 'raw')).join('\n');
      assert.match(
        raw,
        new RegExp(`^-A cali-from-host-endpoint -i ${net.iface} .*-g cali-fh-${net.iface}$`, 'm'),
      );
      assert.match(raw, /^-A cali-fh-\S+ .*-m mark --mark 0x10000\/0x10000 -j NOTRACK$/m);

      assert.equal(await udpRoundTrip(net, UNTRACKED_PORT, 'untracked'), 'untracked');
      assert.equal(await udpRoundTrip(net, TRACKED_PORT, 'tracked'), 'tracked');
      // The tracked flow is in the node's conntrack table (so the check below can see entries at all).
      assert.ok((await entriesFor(net, TRACKED_PORT)).length >= 1, 'tracked flow has a conntrack entry');
      assert.deepEqual(await entriesFor(net, UNTRACKED_PORT), [], 'untracked flow has no conntrack entry');
      // The untracked packets went through raw's NOTRACK rule in both directions.
      const counted = await saveTable(net, backend, 'raw', true);
      const notrack = counted.filter((l) => / -j NOTRACK$/.test(l) && /cali-[tf]h-/.test(l));
      assert.equal(notrack.length, 2);
      for (const l of notrack) assert.match(l, /^\[[1-9]\d*:\d+\]/, `packets counted: ${l}`);
    });

    test('the untracked policy removed: its port is dropped again, the tracked port still answers', async () => {
      driver.onMessages([
        hepMsg(net.iface, { tiers: [tier([TRACKED], [])] }),
        { kind: 'activePolicyRemove', id: UNTRACKED },
      ]);
      await driver.settled();
      assert.equal(await udpRoundTrip(net, UNTRACKED_PORT, 'x'), '');
      assert.equal(await udpRoundTrip(net, TRACKED_PORT, 'again'), 'again');
      assert.doesNotMatch((await saveTable(net, backend, 'raw')).join('\n'), /NOTRACK/);
    });
  });
}
