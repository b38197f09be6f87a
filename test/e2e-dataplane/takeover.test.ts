// Takeover from Felix without a gap (issue 12 item 5), dual stack, on both backends. The "node" namespace
// gets all four tables of both families and the IP sets exactly as Felix v3.32.1 writes them for the worked
// example (its pod given an IPv6 address too) plus a natOutgoing pool per family
// (fixtures/felix-v3.32.1-takeover.txt: IPv4 raw, mangle, nat and sets, the filter table and the policy's
// set being the reference's §12.3/§12.2 text; fixtures/felix-v3.32.1-takeover-v6.txt: the IPv6 tables and
// sets), every rule's packet counter seeded with a value no fresh rule can reach. A sampler in the "pod"
// namespace opens a new IPv4 and a new IPv6 connection to the "outside" every 100 ms and records the
// source address the outside saw. felix-ts's DataplaneDriver then starts on the node with the
// same input: every sample from before it to 3 s after its first apply must show the node's address (per
// family), the first apply must write nothing, the seeded counters must survive (no rule was rewritten), and a foreign
// (kube-proxy style) rule in nat POSTROUTING must survive. A restart (a new driver on the programmed node)
// is the same check. Root only.
//
// this-host: Felix fills it with the node's own addresses (hostip_mgr.go), and so does felix-ts's interface
// monitor (rules/driver/iface-monitor.ts), which the drivers here run: the fixture lists the node's
// addresses, and the outside link's link-local address (it differs per run) is added to it before Felix's
// sets are restored, once duplicate address detection has finished with it.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { InterfaceAwareDriver, type ApplyEvent } from '../../rules/index.js';
import { defaultCompilerConfig } from '../../rules/compiler/index.js';
import type { ToDataplane } from '../../rules/dataplane-api/types.js';
import { fixture, repoRoot, workedExampleMessages } from '../unit/rules/compiler/worked-example.js';
import { Netns, iptCmd, isRoot, saveCmd, veth, type Backend } from './netns.js';

const skip = isRoot ? false : 'needs root (network namespaces)';
const POD_IP = '10.65.0.2'; // the worked example's pod
const NODE_POD_SIDE = '10.65.0.1';
const NODE_IP = '192.168.79.1';
const OUTSIDE_IP = '192.168.79.2';
const POD_IP6 = 'fd00:65::2';
const NODE_POD_SIDE6 = 'fd00:65::1';
const NODE_IP6 = 'fd00:79::1';
const OUTSIDE_IP6 = 'fd00:79::2';
const NODE_ADDR = { 4: NODE_IP, 6: NODE_IP6 } as const;
const PORT = 8080;
/** Seeded packet count of every Felix rule: a rule rewritten by the takeover starts again from 0. */
const SEED = 1_000_000;
const AFTER_MS = 3000;

/** The interface's link-local IPv6 address once it is no longer tentative (ip -j addr, not the code under test). */
async function settledLinkLocal(ns: Netns, dev: string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const r = await ns.exec('ip', ['-j', '-6', 'addr', 'show', 'dev', dev, 'scope', 'link']);
    // Addresses filtered out by the scope show up as {} in some iproute2 versions.
    const infos = (JSON.parse(r.stdout) as { addr_info?: { local?: string; tentative?: boolean }[] }[])
      .flatMap((l) => l.addr_info ?? [])
      .filter((a) => typeof a.local === 'string');
    const ll = infos[0]?.local;
    if (ll !== undefined && infos.every((a) => a.tentative !== true)) return ll;
    await sleep(100);
  }
  throw new Error(`${dev}: no settled link-local address`);
}

/** One family's Felix-written restore inputs: `raw`, `mangle`, `nat`, `filter` and `ipset`. */
function felixText(family: 4 | 6): Map<string, string> {
  const file = family === 4 ? 'felix-v3.32.1-takeover.txt' : 'felix-v3.32.1-takeover-v6.txt';
  const text = readFileSync(join(repoRoot(), 'test', 'e2e-dataplane', 'fixtures', file), 'utf8');
  const blocks = new Map<string, string>();
  let name: string | undefined;
  let lines: string[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line === '') continue;
    if (line.startsWith('*')) {
      name = line.slice(1);
      lines = name === 'ipset' ? [] : [line];
    } else if (name !== undefined) {
      lines.push(line);
      if (line === 'COMMIT') blocks.set(name, lines.join('\n') + '\n');
    }
  }
  if (family === 4) {
    blocks.set('filter', fixture('worked-example-12.3.txt'));
    blocks.set('ipset', blocks.get('ipset')! + fixture('worked-example-12.2.txt'));
  }
  return blocks;
}

/** Per table, `<chain> <hash>` of every rule Felix wrote. */
function felixRules(blocks: ReadonlyMap<string, string>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [table, text] of blocks) {
    if (table === 'ipset') continue;
    const ids: string[] = [];
    for (const m of text.matchAll(/^-[AI] (\S+) -m comment --comment "cali:([\w-]+)"/gm))
      ids.push(`${m[1]} ${m[2]}`);
    out.set(table, ids);
  }
  return out;
}

/**
 * `<chain> <hash>` -> nftables rule handle: with the nft backend a rule that is replaced gets a new handle.
 * `nft -a` does not print iptables-nft's comments, so the n-th rule of a chain in `nft -a list table` is
 * paired with the n-th rule of that chain in `ip(6)tables-nft-save` (the same order). (ip6tables-nft-restore
 * v1.8.9 ignores `--counters`, so in IPv6 on nft the seeded counters below cannot show a rewrite; the
 * handles can, in both families.)
 */
async function nftHandles(ns: Netns, family: 4 | 6, table: string): Promise<Map<string, string>> {
  const listing = await ns.exec('nft', ['-a', 'list', 'table', family === 4 ? 'ip' : 'ip6', table]);
  const handles = new Map<string, string[]>();
  let chain = '';
  for (const line of listing.stdout.split('\n')) {
    const c = /^\s*chain (\S+) \{/.exec(line);
    if (c) chain = c[1]!;
    else if (/^\s+\S.* # handle (\d+)$/.test(line) && chain !== '')
      (handles.get(chain) ?? handles.set(chain, []).get(chain)!).push(/# handle (\d+)$/.exec(line)![1]!);
    else if (/^\s*\}/.test(line)) chain = '';
  }
  const saved = await ns.exec(saveCmd('nft', family), ['-t', table]);
  const seen = new Map<string, number>();
  const out = new Map<string, string>();
  for (const m of saved.stdout.matchAll(/^-A (\S+) (.*)$/gm)) {
    const n = seen.get(m[1]!) ?? 0;
    seen.set(m[1]!, n + 1);
    const hash = /--comment "?cali:([\w-]+)/.exec(m[2]!);
    const handle = handles.get(m[1]!)?.[n];
    if (hash && handle !== undefined) out.set(`${m[1]} ${hash[1]}`, handle);
  }
  return out;
}

/** `<chain> <hash>` -> packet count, from `iptables-save -c`. */
async function counters(ns: Netns, b: Backend, family: 4 | 6, table: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const r = await ns.exec(saveCmd(b, family), ['-c', '-t', table]);
  for (const m of r.stdout.matchAll(/^\[(\d+):\d+\] -A (\S+) .*?--comment "?cali:([\w-]+)/gm))
    out.set(`${m[2]} ${m[3]}`, Number(m[1]));
  return out;
}

// The outside answers each connection with the peer address it saw. The sampler (in the pod) starts a
// new connection every 100 ms and prints one JSON line per connection: its start time and what came back.
const SERVER = `const net = require('net');
for (const a of ['${OUTSIDE_IP}', '${OUTSIDE_IP6}']) net.createServer((s) => s.end(s.remoteAddress + '\\n')).listen(${PORT}, a);`;
const SAMPLER = `const net = require('net');
const sample = (f, addr) => {
  const t = Date.now(); let d = ''; let done = false;
  const out = (r) => { if (!done) { done = true; process.stdout.write(JSON.stringify({ t, f, ...r }) + '\\n'); } };
  const s = net.connect(${PORT}, addr);
  s.setTimeout(1500, () => { out({ err: 'timeout' }); s.destroy(); });
  s.on('data', (c) => (d += c)); s.on('end', () => out({ seen: d.trim() }));
  s.on('error', (e) => out({ err: e.message }));
};
setInterval(() => { sample(4, '${OUTSIDE_IP}'); sample(6, '${OUTSIDE_IP6}'); }, 100);`;

interface Sample {
  readonly t: number;
  readonly f: 4 | 6;
  readonly seen?: string;
  readonly err?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function pool(id: string, cidr: string): ToDataplane {
  return {
    kind: 'ipamPoolUpdate',
    id,
    pool: { cidr, masquerade: true, ipipMode: '', vxlanMode: '', allowedUses: [] },
  };
}

/** The same input Felix had: the worked example with the pod's IPv6 address, the pools, then InSync. */
function input(): ToDataplane[] {
  const example = workedExampleMessages()
    .filter((m) => m.kind !== 'inSync')
    .map((m) =>
      m.kind === 'workloadEndpointUpdate'
        ? { ...m, endpoint: { ...m.endpoint, ipv6Nets: [`${POD_IP6}/128`] } }
        : m,
    );
  return [
    ...example,
    pool('10.65.0.0-16', '10.65.0.0/16'),
    pool('fd00-65---64', 'fd00:65::/64'),
    { kind: 'inSync' },
  ];
}

for (const backend of ['legacy', 'nft'] as const) {
  describe(`takeover from Felix v3.32.1's rules without a gap (${backend})`, { skip }, () => {
    let pod: Netns;
    let node: Netns;
    let outside: Netns;
    let server: ChildProcess | undefined;
    let sampler: ChildProcess | undefined;
    const samples: Sample[] = [];
    const blocks = { 4: felixText(4), 6: felixText(6) } as const;
    const felix = { 4: felixRules(blocks[4]), 6: felixRules(blocks[6]) } as const;
    const drivers: InterfaceAwareDriver[] = [];

    const newDriver = () => {
      const d = new InterfaceAwareDriver({
        compilerConfig: defaultCompilerConfig({ ipv6Support: true }),
        backend,
        ipv6: true,
        netns: node.name,
        minApplyIntervalMs: 20,
        refreshIntervalMs: 0,
        // this-host from the node's interfaces (one reading at start is enough here).
        hostInterfaces: { resyncMs: 0, events: false },
      });
      drivers.push(d);
      return d;
    };

    /** Samples from 1 s before `takeover` to 3 s after it settled; all must show the node address. */
    async function gapless(takeover: () => Promise<void>): Promise<number> {
      const from = Date.now();
      await sleep(1000);
      await takeover();
      const to = Date.now() + AFTER_MS;
      await sleep(AFTER_MS + 1800); // every sample of the window has answered or timed out
      let n = 0;
      for (const f of [4, 6] as const) {
        const window = samples.filter((s) => s.f === f && s.t >= from && s.t <= to);
        const bad = window.filter((s) => s.seen !== NODE_ADDR[f]);
        assert.deepEqual(
          bad,
          [],
          `IPv${f} samples that did not show the node address (${window.length} taken)`,
        );
        // One every 100 ms: allow for timer jitter, never for missing samples.
        assert.ok(
          window.length >= ((to - from) / 100) * 0.8,
          `IPv${f}: ${window.length} samples in ${to - from} ms`,
        );
        console.log(
          `# ${backend} IPv${f}: ${window.length} samples over ${to - from} ms, all from ${NODE_ADDR[f]}`,
        );
        n += window.length;
      }
      return n;
    }

    /** nft: family/table -> rule -> handle, read once Felix's rules are in. */
    const handlesBefore = new Map<string, Map<string, string>>();
    async function readHandles(): Promise<Map<string, Map<string, string>>> {
      const out = new Map<string, Map<string, string>>();
      for (const f of [4, 6] as const)
        for (const table of felix[f].keys()) out.set(`${f}/${table}`, await nftHandles(node, f, table));
      return out;
    }

    /**
     * Every rule Felix wrote is still the same kernel rule: it keeps (at least) its seeded count, and on
     * nft its handle.
     */
    async function assertCountersKept(): Promise<void> {
      if (backend === 'nft') {
        const now = await readHandles();
        for (const f of [4, 6] as const) {
          for (const [table, ids] of felix[f]) {
            const before = handlesBefore.get(`${f}/${table}`)!;
            const after = now.get(`${f}/${table}`)!;
            for (const id of ids) {
              assert.ok(before.has(id), `IPv${f} ${table} ${id}: not in nft's listing of Felix's rules`);
              assert.equal(after.get(id), before.get(id), `IPv${f} ${table} ${id}: nft handle changed`);
            }
          }
        }
      }
      for (const f of [4, 6] as const) {
        // See nftHandles: on nft only IPv4's restore keeps the seeded counts.
        if (backend === 'nft' && f === 6) continue;
        for (const [table, ids] of felix[f]) {
          const now = await counters(node, backend, f, table);
          for (const id of ids) {
            const n = now.get(id);
            assert.ok(n !== undefined && n >= SEED, `IPv${f} ${table} ${id}: ${n} packets, seeded ${SEED}`);
          }
        }
      }
    }

    async function assertForeignKept(): Promise<void> {
      const nat = (await node.exec(saveCmd(backend), ['-t', 'nat'])).stdout;
      assert.match(
        nat,
        /^-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING$/m,
      );
      assert.match(nat, /^-A KUBE-POSTROUTING -m mark ! --mark 0x4000\/0x4000 -j RETURN$/m);
    }

    /** Nothing that Felix wrote was written again: no chain of any table, no set. */
    function assertNothingWritten(ev: ApplyEvent): void {
      assert.equal(felix[4].size + felix[6].size, 8, 'four tables per family in the fixtures');
      assert.deepEqual(ev.changedChains, [], 'the first apply rewrote chains Felix had written');
      const felixSets = [4, 6].flatMap((f) =>
        [...blocks[f as 4 | 6].get('ipset')!.matchAll(/^create (\S+)/gm)].map((m) => m[1]!),
      );
      assert.equal(felixSets.length, 10, 'five sets per family in the fixtures');
      assert.deepEqual(ev.changedSets, [], 'the first apply rewrote IP sets Felix had written');
    }

    before(async () => {
      pod = await Netns.create(`p${backend[0]}`, 'ftt');
      node = await Netns.create(`n${backend[0]}`, 'ftt');
      outside = await Netns.create(`o${backend[0]}`, 'ftt');
      const tag = `ftt${process.pid % 10000}${backend[0]}`;
      // The node's side of the pod link has the worked example's interface name, so the pod's traffic
      // goes through Felix's workload chains (cali-fw-/cali-tw-cali1a2b3c4d5e6, raw's RPF check).
      await veth(node, 'cali1a2b3c4d5e6', pod, `${tag}q`);
      await veth(node, `${tag}o`, outside, `${tag}r`);
      await node.exec('ip', ['addr', 'add', `${NODE_POD_SIDE}/24`, 'dev', 'cali1a2b3c4d5e6']);
      await node.exec('ip', ['addr', 'add', `${NODE_IP}/24`, 'dev', `${tag}o`]);
      await node.exec('ip', ['addr', 'add', `${NODE_POD_SIDE6}/64`, 'dev', 'cali1a2b3c4d5e6', 'nodad']);
      await node.exec('ip', ['addr', 'add', `${NODE_IP6}/64`, 'dev', `${tag}o`, 'nodad']);
      await node.exec('sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1']);
      await node.exec('sysctl', ['-q', '-w', 'net.ipv6.conf.all.forwarding=1']);
      await pod.exec('ip', ['addr', 'add', `${POD_IP}/24`, 'dev', `${tag}q`]);
      await pod.exec('ip', ['route', 'add', 'default', 'via', NODE_POD_SIDE]);
      await pod.exec('ip', ['addr', 'add', `${POD_IP6}/64`, 'dev', `${tag}q`, 'nodad']);
      await pod.exec('ip', ['-6', 'route', 'add', 'default', 'via', NODE_POD_SIDE6]);
      await outside.exec('ip', ['addr', 'add', `${OUTSIDE_IP}/24`, 'dev', `${tag}r`]);
      await outside.exec('ip', ['addr', 'add', `${OUTSIDE_IP6}/64`, 'dev', `${tag}r`, 'nodad']);
      // Routes back to the pools: a connection that is not masqueraded completes and says so.
      await outside.exec('ip', ['route', 'add', '10.65.0.0/16', 'via', NODE_IP]);
      await outside.exec('ip', ['-6', 'route', 'add', 'fd00:65::/64', 'via', NODE_IP6]);
      server = spawn('ip', ['netns', 'exec', outside.name, process.execPath, '-e', SERVER], {
        stdio: 'ignore',
      });

      // Felix's this-host also lists the outside link's link-local address, once its DAD is done.
      const linkLocal = await settledLinkLocal(node, `${tag}o`);
      // Felix's rules and sets, counters seeded; then kube-proxy's POSTROUTING rule, above Felix's
      // appended hook as kube-proxy's is on a real node.
      for (const f of [4, 6] as const) {
        const sets = blocks[f].get('ipset')!;
        const withLl =
          f === 6
            ? sets.replace(
                /^(add cali60this-host .*\n)(?!add cali60this-host)/m,
                `$1add cali60this-host ${linkLocal}\n`,
              )
            : sets;
        await node.exec('ipset', ['restore'], { input: withLl });
        for (const table of ['raw', 'mangle', 'nat', 'filter']) {
          const seeded = blocks[f].get(table)!.replace(/^(-[AI] )/gm, `[${SEED}:${SEED}] $1`);
          await node.exec(`${iptCmd(backend, f)}-restore`, ['--noflush', '--counters'], { input: seeded });
        }
      }
      const ipt = iptCmd(backend);
      await node.exec(ipt, ['-w', '-t', 'nat', '-N', 'KUBE-POSTROUTING']);
      await node.exec(ipt, [
        '-w',
        '-t',
        'nat',
        '-A',
        'KUBE-POSTROUTING',
        '-m',
        'mark',
        '!',
        '--mark',
        '0x4000/0x4000',
        '-j',
        'RETURN',
      ]);
      await node.exec(ipt, [
        '-w',
        '-t',
        'nat',
        '-I',
        'POSTROUTING',
        '1',
        '-m',
        'comment',
        '--comment',
        'kubernetes postrouting rules',
        '-j',
        'KUBE-POSTROUTING',
      ]);

      if (backend === 'nft') for (const [k, v] of await readHandles()) handlesBefore.set(k, v);

      sampler = spawn('ip', ['netns', 'exec', pod.name, process.execPath, '-e', SAMPLER], {
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      createInterface({ input: sampler.stdout! }).on('line', (l) => samples.push(JSON.parse(l) as Sample));
      // Under Felix's rules the pod is already masqueraded, in both families.
      const both = () =>
        ([4, 6] as const).every((f) => samples.some((s) => s.f === f && s.seen === NODE_ADDR[f]));
      for (let i = 0; i < 50 && !both(); i++) await sleep(100);
      assert.ok(both(), `Felix's rules masquerade the pod: ${JSON.stringify(samples.slice(-4))}`);
    });
    after(async () => {
      sampler?.kill('SIGKILL');
      server?.kill('SIGKILL');
      for (const d of drivers) await d.stop();
      for (const ns of [pod, node, outside]) await ns?.destroy();
    });

    /** A new driver on the node, given Felix's input: gapless, nothing rewritten, counters and foreign rule kept. */
    async function takeOver(): Promise<void> {
      let first: ApplyEvent | undefined;
      await gapless(async () => {
        const d = newDriver();
        d.once('first-apply', (ev) => (first = ev));
        await d.start();
        d.onMessages(input());
        await d.settled();
      });
      assert.ok(first, 'the driver applied');
      assertNothingWritten(first);
      await assertCountersKept();
      await assertForeignKept();
    }

    test('takeover: NAT held at every 100 ms sample; the first apply rewrites nothing; counters and the foreign rule survive', async () => {
      await takeOver();
    });

    test('restart: a new driver on the programmed node is the same check', async () => {
      await drivers[0]!.stop();
      await takeOver();
    });
  });
}
