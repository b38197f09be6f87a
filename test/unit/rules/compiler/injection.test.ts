// Injection safety (issue 5, item 4): hostile names, tiers, labels and annotations never add lines,
// chains or rules to the restore input; it parses as exactly the rules of a benign twin.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DesiredState } from '../../../../rules/model.js';
import {
  DataplaneState,
  compile,
  defaultCompilerConfig,
  renderRestoreText,
} from '../../../../rules/compiler/index.js';
import { BENIGN, HOSTILE, messages, type Names } from './hostile.js';

function compileNames(n: Names, logPrefix = 'calico-packet'): DesiredState {
  const st = new DataplaneState();
  assert.deepEqual(
    st.applyAll(messages(n)),
    [],
    'all messages accepted (unsafe names are escaped/hashed, not rejected)',
  );
  return compile(st, defaultCompilerConfig({ logPrefix }));
}

// The strict line grammar of our restore input.
const DECL = /^:(cali-[A-Za-z0-9_.:/@=-]+) - -$/;
const QUOTED = '"[A-Za-z0-9_ @%+=:,./-]*"';
const BARE = '[^\\s"]+';
const RULE = new RegExp(
  `^(-A|-I) (\\S+) -m comment --comment "cali:([A-Za-z0-9_-]{16})"((?: (?:${QUOTED}|${BARE}))*)$`,
);
const TOKENS = new RegExp(`${QUOTED}|${BARE}`, 'g');
const COMMANDS = new Set([
  '-A',
  '-I',
  '-D',
  '-R',
  '-N',
  '-X',
  '-F',
  '-P',
  '-E',
  '-Z',
  'COMMIT',
  '*filter',
  '*nat',
  '*raw',
  '*mangle',
]);

interface Parsed {
  readonly decls: string[];
  readonly rules: Map<string, string[]>;
}

function parseStrict(text: string, table: string): Parsed {
  assert.ok(text.endsWith('\n'));
  const lines = text.slice(0, -1).split('\n');
  assert.equal(lines[0], `*${table}`);
  assert.equal(lines.at(-1), 'COMMIT');
  const decls: string[] = [];
  const rules = new Map<string, string[]>();
  for (const line of lines.slice(1, -1)) {
    const d = DECL.exec(line);
    if (d) {
      assert.ok(d[1]!.length <= 28, `chain name too long: ${d[1]}`);
      decls.push(d[1]!);
      continue;
    }
    const r = RULE.exec(line);
    assert.ok(r, `line does not match the rule grammar: ${JSON.stringify(line)}`);
    const chain = r[2]!;
    assert.ok(
      /^(cali-[A-Za-z0-9_.:/@=-]+|PREROUTING|INPUT|FORWARD|OUTPUT|POSTROUTING)$/.test(chain),
      `bad chain ${chain}`,
    );
    for (const tok of (r[4] ?? '').match(TOKENS) ?? []) {
      assert.ok(!COMMANDS.has(tok), `command token ${tok} outside quotes in ${JSON.stringify(line)}`);
    }
    const list = rules.get(chain) ?? [];
    list.push(r[3]!);
    rules.set(chain, list);
  }
  return { decls, rules };
}

test('hostile input: every restore line matches the strict grammar, and the output has exactly the intended rules', () => {
  const evil = compileNames(HOSTILE);
  const good = compileNames(BENIGN);
  for (let i = 0; i < evil.tables.length; i++) {
    const et = evil.tables[i]!;
    const gt = good.tables[i]!;
    const text = renderRestoreText(et);
    assert.equal(et.table, gt.table);
    const parsed = parseStrict(text, et.table);
    // Parsed back: the declared chains and each chain's hashes are exactly the desired state's.
    assert.deepEqual(parsed.decls, [...et.chains.keys()].sort());
    for (const [name, chain] of et.chains) {
      assert.deepEqual(
        parsed.rules.get(name) ?? [],
        chain.rules.map((r) => r.hash),
        name,
      );
    }
    const kernelRules = [...et.inserts.values(), ...et.appends.values()].reduce((a, l) => a + l.length, 0);
    const total = [...parsed.rules.values()].reduce((a, l) => a + l.length, 0);
    assert.equal(total, [...et.chains.values()].reduce((a, c) => a + c.rules.length, 0) + kernelRules);
    // Same shape as the benign twin: same number of chains and rules per chain (as a multiset).
    const shape = (d: typeof et): string =>
      JSON.stringify([...d.chains.values()].map((c) => c.rules.length).sort((a, b) => a - b));
    assert.equal(et.chains.size, gt.chains.size);
    assert.equal(shape(et), shape(gt));
    assert.equal(text.split('\n').length, renderRestoreText(gt).split('\n').length);
  }
});

test('hostile names are hashed in chain names and escaped in comments', () => {
  const d = compileNames(HOSTILE, '%n');
  const t = d.tables.find((x) => x.table === 'filter' && x.family === 4)!;
  const pis = [...t.chains.keys()].filter((n) => n.startsWith('cali-pi-'));
  assert.equal(pis.length, 2);
  for (const n of pis) assert.match(n, /^cali-pi-_[A-Za-z0-9_-]{19}$/);
  const pri = [...t.chains.keys()].filter((n) => n.startsWith('cali-pri-'));
  assert.equal(pri.length, 1);
  assert.match(pri[0]!, /^cali-pri-_[A-Za-z0-9_-]{18}$/);
  // Find the gnp ingress chain by its comment.
  const gnpChain = pis
    .map((n) => t.chains.get(n)!)
    .find((c) => c.rules[0]!.body.includes('GlobalNetworkPolicy'))!;
  assert.deepEqual(
    gnpChain.rules.map((r) => r.body),
    [
      // Annotations sorted by key ("COMMIT" < "k..."), then the chain comment.
      '-m comment --comment "COMMIT=_filter" -m comment --comment "k___=v_-A FORWARD -j ACCEPT_COMMIT_" ' +
        '-m comment --comment "GlobalNetworkPolicy evil__-A INPUT -j ACCEPT_COMMIT ingress" ' +
        `-m set --match-set ${[...d.ipsets.keys()].find((k) => k.startsWith('cali40h:'))} src --jump MARK --set-mark 0x10000/0x10000`,
      '-m comment --comment "COMMIT=_filter" -m comment --comment "k___=v_-A FORWARD -j ACCEPT_COMMIT_" ' +
        '-m mark --mark 0x10000/0x10000 --jump RETURN',
      // The expanded, escaped prefix is cut to 27 characters so that "<prefix>: " fits the kernel's 29.
      '-p tcp --jump LOG --log-prefix "evil__-A INPUT -j ACCEPT_COMMIT: " --log-level 5',
    ],
  );
  // Tier names only ever appear escaped inside comments.
  const tw = t.chains.get('cali-tw-cali12345')!.rules.map((r) => r.body);
  assert.ok(
    tw.includes('-m comment --comment "Start of tier t _x___filter" --jump MARK --set-mark 0/0x20000'),
  );
  // The hostile set ID maps to one hashed kernel name, used by the set and by the rules, in both families.
  // (The sets Felix always creates, for the mangle table and NAT outgoing, are not datastore names.)
  const mangleSets = /^cali[46]0(dscp-src-net|this-host|network-ip-pools|masq-ipam-pools)$/;
  const setNames = [...d.ipsets.keys()].filter((n) => !mangleSets.test(n)).sort();
  assert.equal(setNames.length, 2);
  assert.match(setNames[0]!, /^cali40h:[A-Za-z0-9_-]{23}$/);
  assert.match(setNames[1]!, /^cali60h:[A-Za-z0-9_-]{23}$/);
  assert.deepEqual([...d.ipsets.get(setNames[0]!)!.members], ['10.0.0.1/32']);
  assert.deepEqual([...d.ipsets.get(setNames[1]!)!.members], ['fd00::1/128']);
});
