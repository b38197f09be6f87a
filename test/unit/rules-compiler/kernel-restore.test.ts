// Our restore text against the real iptables-restore (legacy and nft) in a private network namespace:
// it must be accepted, and iptables-save must show exactly the desired chains with the desired hashes
// in order (felix-iptables-dataplane.md §12.4 did the same check for Felix's output). Root only; the
// root network namespace is never touched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import type { DesiredState, TableState } from '../../../rules/model.js';
import type { ToDataplane } from '../../../rules/dataplane-api/types.js';
import {
  DataplaneState,
  compile,
  defaultCompilerConfig,
  renderRestoreText,
} from '../../../rules/compiler/index.js';
import { workedExampleMessages } from './worked-example.js';
import { HOSTILE, messages } from './hostile.js';

const isRoot = process.getuid?.() === 0;
let nsCounter = 0;

function run(ns: string, cmd: string[], input?: string): string {
  const res = spawnSync('ip', ['netns', 'exec', ns, ...cmd], { input, encoding: 'utf8' });
  assert.equal(res.status, 0, `${cmd.join(' ')} failed: ${res.stderr}`);
  return res.stdout;
}

function withNetns(fn: (ns: string) => void): void {
  const ns = `fts-d-${process.pid}-${nsCounter++}`;
  const add = spawnSync('ip', ['netns', 'add', ns], { encoding: 'utf8' });
  assert.equal(add.status, 0, add.stderr);
  try {
    fn(ns);
  } finally {
    spawnSync('ip', ['netns', 'del', ns]);
  }
}

function ipsetRestoreText(d: DesiredState): string {
  const lines: string[] = [];
  for (const s of d.ipsets.values()) {
    lines.push(`create ${s.name} ${s.type} family ${s.family === 4 ? 'inet' : 'inet6'} maxelem 1048576`);
    for (const m of s.members) lines.push(`add ${s.name} ${m}`);
  }
  return lines.join('\n') + '\n';
}

/** chain -> ordered cali hashes, from iptables-save output. */
function savedHashes(save: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of save.split('\n')) {
    const d = /^:(\S+) /.exec(line);
    if (d && !out.has(d[1]!)) out.set(d[1]!, []);
    const r = /^-A (\S+) .*--comment "?cali:([A-Za-z0-9_-]+)"?/.exec(line);
    if (r) out.get(r[1]!)!.push(r[2]!);
    else if (line.startsWith('-A ')) assert.fail(`rule without a cali hash: ${line}`);
  }
  return out;
}

function expectedHashes(t: TableState): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const k of ['INPUT', 'FORWARD', 'OUTPUT']) {
    out.set(
      k,
      [...(t.inserts.get(k) ?? []), ...(t.appends.get(k) ?? [])].map((r) => r.hash),
    );
  }
  for (const [n, c] of t.chains)
    out.set(
      n,
      c.rules.map((r) => r.hash),
    );
  return out;
}

function checkBackends(d: DesiredState): void {
  withNetns((ns) => {
    run(ns, ['ipset', 'restore'], ipsetRestoreText(d));
    for (const backend of ['legacy', 'nft']) {
      for (const t of d.tables) {
        const bin = t.family === 4 ? 'iptables' : 'ip6tables';
        run(ns, [`${bin}-${backend}-restore`, '--noflush'], renderRestoreText(t));
        const got = savedHashes(run(ns, [`${bin}-${backend}-save`, '-t', 'filter']));
        assert.deepEqual(got, expectedHashes(t), `${bin}-${backend}`);
      }
    }
  });
}

test(
  'worked example: accepted by iptables-legacy-restore and iptables-nft-restore, read back exactly',
  { skip: !isRoot },
  () => {
    const st = new DataplaneState();
    st.applyAll(workedExampleMessages());
    checkBackends(compile(st, defaultCompilerConfig()));
  },
);

test(
  'hostile input: the kernel sees exactly the intended chains and rules, nothing injected',
  { skip: !isRoot },
  () => {
    const st = new DataplaneState();
    assert.deepEqual(st.applyAll(messages(HOSTILE)), []);
    checkBackends(compile(st, defaultCompilerConfig({ logPrefix: '%n' })));
  },
);

test(
  'every rule field form is accepted by the kernel (blocks, ports, sets, icmp, negations, log, REJECT)',
  { skip: !isRoot },
  () => {
    const p = (...n: number[]) => n.map((x) => ({ first: x, last: x }));
    const st = new DataplaneState();
    const groupIds = Array.from({ length: 6 }, (_, i) => ({ kind: 'gnp', namespace: '', name: `grp${i}` }));
    const rules = [
      {
        action: 'allow',
        protocol: { name: 'tcp' },
        srcNet: ['10.0.0.0/8', '192.168.0.0/16'],
        dstPorts: p(...Array.from({ length: 20 }, (_, i) => i + 1)),
      },
      {
        action: 'deny',
        protocol: { number: 17 },
        dstPorts: [{ first: 1000, last: 2000 }],
        dstNamedPortIpSetIds: ['n:a', 'n:b'],
      },
      {
        action: 'pass',
        srcNet: ['10.0.0.0/8'],
        notSrcNet: ['10.1.0.0/16', '10.2.0.0/16'],
        notDstNet: ['10.3.0.0/16'],
      },
      {
        action: 'next-tier',
        notProtocol: { name: 'udp' },
        srcIpSetIds: ['s:x'],
        notDstIpSetIds: ['s:y'],
        dstIpPortSetIds: ['svc:z'],
      },
      {
        action: 'log',
        protocol: { name: 'tcp' },
        notSrcPorts: p(...Array.from({ length: 17 }, (_, i) => i + 100)),
        srcNamedPortIpSetIds: ['n:c'],
      },
      {
        action: 'allow',
        ipVersion: 4,
        protocol: { name: 'icmp' },
        icmpTypeCode: { type: 8, code: 0 },
        notIcmpType: 3,
      },
      {
        action: 'allow',
        ipVersion: 6,
        protocol: { name: 'ipv6-icmp' },
        icmpType: 128,
        notIcmpTypeCode: { type: 1, code: 4 },
      },
      {
        action: 'deny',
        dstNet: ['fd00::/8', 'fd01::1'],
        notSrcNamedPortIpSetIds: ['n:d'],
        notDstNamedPortIpSetIds: ['n:e'],
      },
      { action: 'allow', protocol: { name: 'sctp' }, srcPorts: [{ first: 5, last: 6 }], notDstPorts: p(7) },
    ] as const;
    st.applyAll([
      {
        kind: 'activeProfileUpdate',
        id: { name: 'all-fields' },
        profile: { inboundRules: rules, outboundRules: rules },
      },
      {
        kind: 'workloadEndpointUpdate',
        id: { orchestratorId: 'k8s', workloadId: 'a/b', endpointId: 'eth0' },
        endpoint: {
          state: 'active',
          name: 'cali0',
          profileIds: ['all-fields'],
          ipv4Nets: [],
          ipv6Nets: [],
          // Six policies with one selector: a cali-gi-/cali-go- group chain with a "Return on verdict".
          tiers: [{ name: 'default', ingressPolicies: groupIds, egressPolicies: groupIds }],
        },
      },
      ...groupIds.map((id): ToDataplane => ({
        kind: 'activePolicyUpdate',
        id,
        policy: {
          tier: 'default',
          inboundRules: rules,
          outboundRules: rules,
          originalSelector: 'app == "x"',
        },
      })),
    ]);
    const d = compile(
      st,
      defaultCompilerConfig({
        iptablesFilterDenyAction: 'REJECT',
        chainInsertMode: 'append',
        ipipEnabled: true,
        vxlanEnabled: true,
        vxlanEnabledV6: true,
        wireguardEnabled: true,
        wireguardEnabledV6: true,
      }),
    );
    assert.ok(d.tables[0]!.chains.get('cali-pri-all-fields')!.rules.length > 20);
    assert.ok([...d.tables[0]!.chains.keys()].some((n) => n.startsWith('cali-gi-')));
    checkBackends(d);
  },
);
