// Pre-DNAT host-endpoint policy end to end (issue 12): the node namespace plays kube-proxy with a DNAT
// rule of its own in nat PREROUTING (port 8080 -> the node's 9090); a client connects over the host
// endpoint's veth. A pre-DNAT deny of port 8080 (mangle cali-fh-<iface>, which runs before nat
// PREROUTING) stops the connection although the host endpoint's normal policy (a profile) allows
// everything and the DNATed port 9090 stays reachable directly: only a rule that sees the packet before
// the DNAT can match 8080. Removing the policy lets 8080 through again. Root only, legacy and nft, IPv4
// and IPv6.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { DataplaneDriver } from '../../rules/index.js';
import { defaultCompilerConfig } from '../../rules/compiler/index.js';
import type { ToDataplane } from '../../rules/dataplane-api/types.js';
import { iptCmd, isRoot } from './netns.js';
import {
  eventually,
  gnp,
  hepMsg,
  hepNet,
  policyMsg,
  saveTable,
  serve,
  tcpFetch,
  tcpOk,
  type HepNet,
} from './hep-net.js';

const skip = isRoot ? false : 'needs root (network namespaces)';
const SERVICE_PORT = 8080;
const BACKEND_PORT = 9090;
const DENY = gnp('pre-dnat-deny');

const escape = (t: string): string => t.replace(/[[\].]/g, '\\$&');

const allowAll: ToDataplane = {
  kind: 'activeProfileUpdate',
  id: { name: 'allow-all' },
  profile: { inboundRules: [{ action: 'allow' }], outboundRules: [{ action: 'allow' }] },
};
const denyPolicy = policyMsg(
  DENY,
  [{ action: 'deny', protocol: { name: 'tcp' }, dstPorts: [{ first: SERVICE_PORT, last: SERVICE_PORT }] }],
  [],
  { preDnat: true },
);
const ALLOW = gnp('pre-dnat-allow');
const allowPolicy = policyMsg(
  ALLOW,
  [{ action: 'allow', protocol: { name: 'tcp' }, dstPorts: [{ first: SERVICE_PORT, last: SERVICE_PORT }] }],
  [],
  { preDnat: true },
);
const preDnatTier = { name: 'default', ingressPolicies: [DENY], egressPolicies: [], defaultAction: 'Pass' };

for (const [backend, family] of [
  ['legacy', 4],
  ['nft', 4],
  ['legacy', 6],
  ['nft', 6],
] as const) {
  describe(`pre-DNAT host-endpoint policy (${backend}, IPv${family})`, { skip }, () => {
    let net: HepNet;
    let driver: DataplaneDriver;
    let server: ChildProcess | undefined;

    const target = (): string => (family === 6 ? `[${net.nodeIp}]` : net.nodeIp) + `:${BACKEND_PORT}`;

    before(async () => {
      net = await hepNet(`p${backend[0]}${family}`, family);
      server = serve(net.node, tcpOk([BACKEND_PORT]));
      // kube-proxy's part, written by the test: a foreign rule that felix-ts must leave alone.
      await net.node.exec(iptCmd(backend, family), [
        '-t',
        'nat',
        '-A',
        'PREROUTING',
        '-p',
        'tcp',
        '--dport',
        String(SERVICE_PORT),
        '-j',
        'DNAT',
        '--to-destination',
        target(),
      ]);
      driver = new DataplaneDriver({
        compilerConfig: defaultCompilerConfig({ ipv6Support: family === 6 }),
        backend,
        ipv6: family === 6,
        netns: net.node.name,
        minApplyIntervalMs: 20,
        refreshIntervalMs: 0,
      });
      await driver.start();
      // The host endpoint with an allow-all profile: the service port reaches the backend via the DNAT.
      driver.onMessages([allowAll, hepMsg(net.iface, { profileIds: ['allow-all'] }), { kind: 'inSync' }]);
      await driver.settled();
      assert.equal(await eventually(() => tcpFetch(net, SERVICE_PORT), 'ok'), 'ok');
    });
    after(async () => {
      server?.kill('SIGKILL');
      await driver?.stop();
      for (const ns of [net?.node, net?.client]) await ns?.destroy();
    });

    test('a pre-DNAT deny of the service port stops it in mangle, before the DNAT; the backend port stays open', async () => {
      driver.onMessages([
        denyPolicy,
        hepMsg(net.iface, { profileIds: ['allow-all'], preDnatTiers: [preDnatTier] }),
      ]);
      await driver.settled();
      const mangle = (await saveTable(net, backend, 'mangle')).join('\n');
      assert.match(
        mangle,
        /^-A PREROUTING -m comment --comment "cali:6gwbT8clXdHdC1b1" -j cali-PREROUTING$/m,
      );
      assert.match(
        mangle,
        new RegExp(`^-A cali-from-host-endpoint -i ${net.iface} .*-g cali-fh-${net.iface}$`, 'm'),
      );
      assert.equal(await tcpFetch(net, SERVICE_PORT), '');
      assert.equal(await tcpFetch(net, BACKEND_PORT), 'ok');
      // The drop was counted by the pre-DNAT policy's DROP rule in the mangle table.
      const counted = await saveTable(net, backend, 'mangle', true);
      const drop = counted.find((l) => l.includes('-A cali-pi-gnp/pre-dnat-deny') && l.endsWith('-j DROP'));
      assert.ok(drop, 'the policy DROP rule is in mangle');
      assert.match(drop, /^\[[1-9]\d*:\d+\]/, `packets counted: ${drop}`);
      // The foreign DNAT rule is untouched.
      assert.match(
        (await saveTable(net, backend, 'nat')).join('\n'),
        new RegExp(
          `^-A PREROUTING -p tcp -m tcp --dport ${SERVICE_PORT} -j DNAT --to-destination ${escape(target())}$`,
          'm',
        ),
      );
    });

    test('the pre-DNAT policy removed: the service port is reachable again', async () => {
      driver.onMessages([
        hepMsg(net.iface, { profileIds: ['allow-all'] }),
        { kind: 'activePolicyRemove', id: DENY },
      ]);
      await driver.settled();
      assert.equal(await eventually(() => tcpFetch(net, SERVICE_PORT), 'ok'), 'ok');
      const mangle = (await saveTable(net, backend, 'mangle')).join('\n');
      assert.doesNotMatch(mangle, /cali-pi-gnp\/pre-dnat-deny/);
      assert.doesNotMatch(mangle, new RegExp(`cali-fh-${net.iface}`));
    });
    test('a pre-DNAT allow sets the accept bit, which filter honours although the endpoint has no normal policy', async () => {
      // No profile: the filter table's cali-fh- chain ends in "Drop if no profiles matched".
      const allowTier = { ...preDnatTier, ingressPolicies: [ALLOW] };
      driver.onMessages([allowPolicy, hepMsg(net.iface, { preDnatTiers: [allowTier] })]);
      await driver.settled();
      assert.equal(await eventually(() => tcpFetch(net, SERVICE_PORT), 'ok'), 'ok');
      // The backend port itself is not covered by the pre-DNAT allow: filter drops it.
      assert.equal(await tcpFetch(net, BACKEND_PORT), '');
      driver.onMessages([
        hepMsg(net.iface, { profileIds: ['allow-all'] }),
        { kind: 'activePolicyRemove', id: ALLOW },
      ]);
      await driver.settled();
    });
  });
}
