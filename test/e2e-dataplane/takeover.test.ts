// Takeover from Felix without a gap (issue 12 item 5), on both backends. The "node" namespace gets the
// rules and IP sets exactly as Felix v3.32.1 writes them for the worked example plus a natOutgoing pool
// (fixtures/felix-v3.32.1-takeover.txt: raw and nat and the pool sets; the filter table and the policy's set
// are the reference's §12.3/§12.2 text), every rule's packet counter seeded with a value no fresh rule can
// reach. A sampler in the "pod" namespace opens a new connection to the "outside" every 100 ms and
// records the source address the outside saw. felix-ts's DataplaneDriver then starts on the node with the
// same input: every sample from before it to 3 s after its first apply must show the node's address, the
// first apply must write nothing, the seeded counters must survive (no rule was rewritten), and a foreign
// (kube-proxy style) rule in nat POSTROUTING must survive. A restart (a new driver on the programmed node)
// is the same check. Root only.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DataplaneDriver, type ApplyEvent } from '../../rules/index.js';
import { defaultCompilerConfig } from '../../rules/compiler/index.js';
import type { ToDataplane } from '../../rules/dataplane-api/types.js';
import { fixture, repoRoot, workedExampleMessages } from '../unit/rules/compiler/worked-example.js';
import { Netns, iptCmd, isRoot, saveCmd, veth, type Backend } from './netns.js';

const skip = isRoot ? false : 'needs root (network namespaces)';
const POD_IP = '10.65.0.2'; // the worked example's pod
const NODE_POD_SIDE = '10.65.0.1';
const NODE_IP = '192.168.79.1';
const OUTSIDE_IP = '192.168.79.2';
const PORT = 8080;
/** Seeded packet count of every Felix rule: a rule rewritten by the takeover starts again from 0. */
const SEED = 1_000_000;
const AFTER_MS = 3000;

/** The Felix-written restore inputs: `raw`, `nat`, `filter` (iptables) and `ipset`. */
function felixText(): Map<string, string> {
  const text = readFileSync(
    join(repoRoot(), 'test', 'e2e-dataplane', 'fixtures', 'felix-v3.32.1-takeover.txt'),
    'utf8',
  );
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
  blocks.set('filter', fixture('worked-example-12.3.txt'));
  blocks.set('ipset', blocks.get('ipset')! + fixture('worked-example-12.2.txt'));
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

/** `<chain> <hash>` -> packet count, from `iptables-save -c`. */
async function counters(ns: Netns, b: Backend, table: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const r = await ns.exec(saveCmd(b), ['-c', '-t', table]);
  for (const m of r.stdout.matchAll(/^\[(\d+):\d+\] -A (\S+) .*?--comment "?cali:([\w-]+)/gm))
    out.set(`${m[2]} ${m[3]}`, Number(m[1]));
  return out;
}

// The outside answers each connection with the peer address it saw. The sampler (in the pod) starts a
// new connection every 100 ms and prints one JSON line per connection: its start time and what came back.
const SERVER = `require('net').createServer((s) => s.end(s.remoteAddress + '\\n')).listen(${PORT}, '${OUTSIDE_IP}')`;
const SAMPLER = `const net = require('net');
setInterval(() => {
  const t = Date.now(); let d = ''; let done = false;
  const out = (r) => { if (!done) { done = true; process.stdout.write(JSON.stringify({ t, ...r }) + '\\n'); } };
  const s = net.connect(${PORT}, '${OUTSIDE_IP}');
  s.setTimeout(1500, () => { out({ err: 'timeout' }); s.destroy(); });
  s.on('data', (c) => (d += c)); s.on('end', () => out({ seen: d.trim() }));
  s.on('error', (e) => out({ err: e.message }));
}, 100);`;

interface Sample {
  readonly t: number;
  readonly seen?: string;
  readonly err?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function pool(): ToDataplane {
  return {
    kind: 'ipamPoolUpdate',
    id: '10.65.0.0-16',
    pool: { cidr: '10.65.0.0/16', masquerade: true, ipipMode: '', vxlanMode: '', allowedUses: [] },
  };
}

/** The same input Felix had: the worked example and the pool, then InSync. */
function input(): ToDataplane[] {
  return [...workedExampleMessages().filter((m) => m.kind !== 'inSync'), pool(), { kind: 'inSync' }];
}

for (const backend of ['legacy', 'nft'] as const) {
  describe(`takeover from Felix v3.32.1's rules without a gap (${backend})`, { skip }, () => {
    let pod: Netns;
    let node: Netns;
    let outside: Netns;
    let server: ChildProcess | undefined;
    let sampler: ChildProcess | undefined;
    const samples: Sample[] = [];
    const blocks = felixText();
    const felix = felixRules(blocks);
    const drivers: DataplaneDriver[] = [];

    const newDriver = () => {
      const d = new DataplaneDriver({
        compilerConfig: defaultCompilerConfig({ ipv6Support: false }),
        backend,
        ipv6: false,
        netns: node.name,
        minApplyIntervalMs: 20,
        refreshIntervalMs: 0,
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
      const window = samples.filter((s) => s.t >= from && s.t <= to);
      const bad = window.filter((s) => s.seen !== NODE_IP);
      assert.deepEqual(bad, [], `samples that did not show the node address (${window.length} taken)`);
      // One every 100 ms: allow for timer jitter, never for missing samples.
      assert.ok(window.length >= ((to - from) / 100) * 0.8, `${window.length} samples in ${to - from} ms`);
      console.log(`# ${backend}: ${window.length} samples over ${to - from} ms, all from ${NODE_IP}`);
      return window.length;
    }

    /** Every rule Felix wrote still has (at least) its seeded count: none was replaced. */
    async function assertCountersKept(): Promise<void> {
      for (const [table, ids] of felix) {
        const now = await counters(node, backend, table);
        for (const id of ids) {
          const n = now.get(id);
          assert.ok(n !== undefined && n >= SEED, `${table} ${id}: ${n} packets, seeded ${SEED}`);
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

    /**
     * Nothing that Felix wrote was written again: no chain of the fixture's tables, no fixture set. (A
     * table the fixture does not hold, such as mangle once felix-ts programs it, may be created.)
     */
    function assertNothingWritten(ev: ApplyEvent): void {
      const tables = [...felix.keys()].map((t) => `ipv4/${t}:`);
      const chains = ev.changedChains.filter((c) => tables.some((t) => c.startsWith(t)));
      assert.deepEqual(chains, [], 'the first apply rewrote chains Felix had written');
      const felixSets = [...blocks.get('ipset')!.matchAll(/^create (\S+)/gm)].map((m) => m[1]);
      assert.deepEqual(
        ev.changedSets.filter((s) => felixSets.includes(s)),
        [],
        'the first apply rewrote IP sets Felix had written',
      );
      assert.equal(felixSets.length, 3);
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
      await node.exec('sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1']);
      await pod.exec('ip', ['addr', 'add', `${POD_IP}/24`, 'dev', `${tag}q`]);
      await pod.exec('ip', ['route', 'add', 'default', 'via', NODE_POD_SIDE]);
      await outside.exec('ip', ['addr', 'add', `${OUTSIDE_IP}/24`, 'dev', `${tag}r`]);
      // A route back to the pool: a connection that is not masqueraded completes and says so.
      await outside.exec('ip', ['route', 'add', '10.65.0.0/16', 'via', NODE_IP]);
      server = spawn('ip', ['netns', 'exec', outside.name, process.execPath, '-e', SERVER], {
        stdio: 'ignore',
      });

      // Felix's rules and sets, counters seeded; then kube-proxy's POSTROUTING rule, above Felix's
      // appended hook as kube-proxy's is on a real node.
      await node.exec('ipset', ['restore'], { input: blocks.get('ipset')! });
      for (const table of ['raw', 'nat', 'filter']) {
        const seeded = blocks.get(table)!.replace(/^(-[AI] )/gm, `[${SEED}:${SEED}] $1`);
        await node.exec(`${iptCmd(backend)}-restore`, ['--noflush', '--counters'], { input: seeded });
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

      sampler = spawn('ip', ['netns', 'exec', pod.name, process.execPath, '-e', SAMPLER], {
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      createInterface({ input: sampler.stdout! }).on('line', (l) => samples.push(JSON.parse(l) as Sample));
      // Under Felix's rules the pod is already masqueraded.
      for (let i = 0; i < 50 && !samples.some((s) => s.seen === NODE_IP); i++) await sleep(100);
      assert.ok(
        samples.some((s) => s.seen === NODE_IP),
        `Felix's rules masquerade the pod: ${JSON.stringify(samples.slice(-3))}`,
      );
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
