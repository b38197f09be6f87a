// Table-driven tests for the selector language, including Calico's own parser_test.go cases
// (libcalico-go/lib/selector).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  compareBytes,
  parseSelector,
  SelectorParseError,
  namedPortSetId,
} from '../../../../agent/selector/index.js';

type Labels = Record<string, string>;
const matchCases: ReadonlyArray<[string, Labels[], Labels[]]> = [
  [`a == "b"`, [{ a: 'b' }, { a: 'b', c: 'd' }], [{}, { a: 'c' }, { c: 'd' }]],
  [
    `a == "b" && c == "d"`,
    [{ a: 'b', c: 'd' }],
    [{}, { a: 'b', c: 'e' }, { a: 'c', c: 'd' }, { c: 'd' }, { a: 'b' }],
  ],
  [
    `a == "b" || c == "d"`,
    [{ a: 'b', c: 'd' }, { a: 'b' }, { c: 'd' }],
    [{}, { a: 'e', c: 'e' }, { c: 'e' }, { a: 'e' }],
  ],
  [`a in {"'", '"', "c"}`, [{ a: 'c' }, { a: '"' }, { a: "'" }], [{}, { a: 'e' }]],
  [`a not in {"'", '"', "c"}`, [{}, { a: 'e' }], [{ a: 'c' }, { a: '"' }, { a: "'" }]],
  [`a != "a"`, [{}], [{ a: 'a' }]],
  [`a contains "a"`, [{ a: 'a' }, { a: 'bab' }, { a: 'aaa', b: 'c' }], [{}, { a: 'b' }, { b: 'aaa' }]],
  [`a starts with "a"`, [{ a: 'a' }, { a: 'abb' }], [{}, { a: 'b' }, { a: 'baa' }, { b: 'aaa' }]],
  [`a ends with "a"`, [{ a: 'a' }, { a: 'bba' }], [{}, { a: 'b' }, { a: 'aab' }, { b: 'aaa' }]],
  [`a startswith "a"`, [{ a: 'ab' }], [{ a: 'ba' }]],
  [`a notin {"x"}`, [{ a: 'y' }, {}], [{ a: 'x' }]],
  [`!a in {"a"}`, [{ a: 'b' }], [{ a: 'a' }]],
  [`has(a)`, [{ a: 'b' }, { a: '' }], [{ b: 'b' }]],
  [`has( a )`, [{ a: 'b' }], [{}]],
  [`!has(a)`, [{ b: 'b' }], [{ a: 'b' }]],
  [``, [{}, { a: 'b' }], []],
  [` `, [{}], []],
  [` all()`, [{}, { a: 'b' }], []],
  [`all( )`, [{}], []],
  [` global()`, [{}, { a: 'b' }], []],
  [`!!has(b)`, [], [{ a: 'b' }]],
  [`!!! has(a)`, [], [{ a: 'b' }]],
  [`!! ! has(a)`, [], [{ a: 'b' }]],
  [`! !!has(a)`, [], [{ a: 'b' }]],
  [`a != 'a1' && !b == 'b1'`, [], [{ a: 'a1', b: 'b1' }]],
  [`has(a) && !has(b)`, [{ a: 'a' }], [{ a: 'a', b: 'x' }]],
  [`!(!has(a) || has(b))`, [{ a: 'a' }], [{ b: 'b' }]],
  [`a == 'a1' || b != 'b1'`, [{ a: 'a1', b: 'b1' }], []],
  [`a != 'a1' || b != 'b1'`, [], [{ a: 'a1', b: 'b1' }]],
  [`! a == 'a1' || ! b == 'b1'`, [], [{ a: 'a1', b: 'b1' }]],
  [
    `projectcalico.org/namespace == "prod"`,
    [{ 'projectcalico.org/namespace': 'prod' }],
    [{ 'projectcalico.org/namespace': 'dev' }],
  ],
  [`a in {}`, [], [{ a: '' }, {}]],
  [`a in {"x",}`, [{ a: 'x' }], [{ a: 'y' }]],
];

for (const [sel, yes, no] of matchCases) {
  test(`selector ${JSON.stringify(sel)} evaluates (and round-trips through canonical form)`, () => {
    const s = parseSelector(sel);
    const s2 = parseSelector(s.canonical());
    for (const l of yes) {
      assert.equal(s.evaluate(l), true, `${sel} should match ${JSON.stringify(l)}`);
      assert.equal(s2.evaluate(new Map(Object.entries(l))), true);
    }
    for (const l of no) {
      assert.equal(s.evaluate(l), false, `${sel} should not match ${JSON.stringify(l)}`);
      assert.equal(s2.evaluate(new Map(Object.entries(l))), false);
    }
  });
}

// [input, canonical, uid or ''] — from Calico parser_test.go and the reference document.
const canonCases: ReadonlyArray<[string, string, string]> = [
  ['', 'all()', 's:5y5I3VdRZfDU01O--xXAPx2yxCQQqMf0M6IWug'],
  [' all() ', 'all()', 's:5y5I3VdRZfDU01O--xXAPx2yxCQQqMf0M6IWug'],
  [' (all() )', 'all()', 's:5y5I3VdRZfDU01O--xXAPx2yxCQQqMf0M6IWug'],
  ['! (has( b)||! has(a ))', '!(has(b) || !has(a))', 's:Iss0uCleLYv1GSv_pNm7hAO58kE9jAx1NKyG3Q'],
  ['! (a == "b"&&! c != "d")', '!(a == "b" && !c != "d")', 's:lh3haoY1ikTRkd4UZu0nWSaIBknYLPJLX16d-w'],
  [`role == "frontend"`, `role == "frontend"`, 's:lJVGDaqTNzSq4oOWKtH8pYj3zM-u5a8vGYAr8Q'],
  [
    `(projectcalico.org/namespace == 'prod') && (projectcalico.org/orchestrator == 'k8s' && app == 'web')`,
    `(projectcalico.org/namespace == "prod" && (projectcalico.org/orchestrator == "k8s" && app == "web"))`,
    's:lgQ0i7EXRxuqdfcSKmyEYAU7FsgJhgUKJSaUOA',
  ],
  [`a == "'"`, `a == "'"`, ''],
  [`a == '"'`, `a == '"'`, ''],
  [`a contains '"'`, `a contains '"'`, ''],
  [`a contains "'"`, `a contains "'"`, ''],
  [`a startswith '"'`, `a starts with '"'`, ''],
  [`a endswith "'"`, `a ends with "'"`, ''],
  [`a!='"'`, `a != '"'`, ''],
  [`a in {"d"}`, `a in {"d"}`, ''],
  [`a in {"d", "a", "b"}`, `a in {"a", "b", "d"}`, ''],
  [`a in {"z", "z", "x", "y", "x", "a"}`, `a in {"a", "x", "y", "z"}`, ''],
  [`a in {}`, `a in {}`, ''],
  [`a   not   in {'q'}`, `a not in {"q"}`, ''],
  [`a == 'b' && c == 'd' && e == 'f'`, `(a == "b" && c == "d" && e == "f")`, ''],
  [`(a == 'b' && c == 'd') && e == 'f'`, `((a == "b" && c == "d") && e == "f")`, ''],
  [`a == 'b' || c == 'd' && e == 'f'`, `(a == "b" || (c == "d" && e == "f"))`, ''],
  [`!(k == 'v')`, `!k == "v"`, ''],
  [
    `!(!(k == 'v' && has(t) || all()) && (a in {'b', 'c'}))`,
    `!(!((k == "v" && has(t)) || all()) && a in {"b", "c"})`,
    '',
  ],
  [`global()`, `global()`, ''],
];

for (const [input, canon, uid] of canonCases) {
  test(`canonical form of ${JSON.stringify(input)}`, () => {
    const s = parseSelector(input);
    assert.equal(s.canonical(), canon);
    const again = parseSelector(canon);
    assert.equal(again.canonical(), canon);
    assert.equal(again.uniqueId(), s.uniqueId());
    assert.match(s.uniqueId(), /^s:[A-Za-z0-9_-]{38}$/);
    if (uid !== '') assert.equal(s.uniqueId(), uid);
  });
}

test('named-port set ID matches the reference vector', () => {
  const sid = parseSelector('all()').uniqueId();
  assert.equal(namedPortSetId(sid, 'tcp', 'http'), 'n:cl9_Kgeu4H0OGLbhovVR3NBLUOZscKeMK1Mu4A');
});

// [input, expected error position]
const badCases: ReadonlyArray<[string, number]> = [
  ['b == b', 5],
  ['b contains b', 11],
  ['b starts with b', 14],
  ['b ends with b', 12],
  ["'b1' == b", 0],
  ['b', 1],
  ['a b', 2],
  ['!', 1],
  ['foo == "bar" &', 13],
  ['foo == "bar" |', 13],
  ['foo != ||', 7],
  ['foo in {"", ||', 12],
  ['foo in ""', 7],
  ['"FOO', 0],
  [`"FOO'`, 0],
  ["'FOO", 0],
  ['(', 1],
  ['(a == "foo"', 11],
  [')', 0],
  ['()', 1],
  ['%', 0],
  ['a == "b" && %', 12],
  ['a == "b" || %', 12],
  ['a ', 2],
  ['has(foo) &&', 11],
  ['a = "b"', 2],
  ['a == "b"\n', 8],
  ['has (a)', 4],
  ['a inx {"b"}', 2],
  ['has(a', 5],
  [`${'x'.repeat(513)} == "a"`, 0],
];

for (const [input, pos] of badCases) {
  test(`rejects ${JSON.stringify(input.length > 40 ? input.slice(0, 40) + '…' : input)} at position ${pos}`, () => {
    assert.throws(
      () => parseSelector(input),
      (e: unknown) => {
        assert.ok(e instanceof SelectorParseError);
        assert.equal(e.position, pos);
        assert.match(e.code, /^ERR_SELECTOR_/);
        return true;
      },
    );
  });
}

test('a 512-character label is accepted', () => {
  const k = 'k'.repeat(512);
  assert.equal(parseSelector(`${k} == "v"`).evaluate({ [k]: 'v' }), true);
});

test('label restrictions list every label a match must carry', () => {
  assert.deepEqual(parseSelector(`has(x) && a == "b"`).labelRestrictions(), [
    { key: 'x' },
    { key: 'a', values: ['b'] },
  ]);
  assert.deepEqual(parseSelector(`(has(x) && a != "b") && c in {"1", "2"}`).labelRestrictions(), [
    { key: 'x' },
    { key: 'c', values: ['1', '2'] },
  ]);
  assert.deepEqual(parseSelector(`a in {}`).labelRestrictions(), [{ key: 'a', values: [] }]);
  assert.deepEqual(parseSelector(`a == "b" || c == "d"`).labelRestrictions(), []);
  assert.deepEqual(parseSelector(`!has(a)`).labelRestrictions(), []);
  assert.deepEqual(parseSelector(`all()`).labelRestrictions(), []);
});

test('compareBytes orders strings like Go (UTF-8 bytes), surrogates and lone surrogates included', () => {
  const alphabet = [
    'a',
    'b',
    '\u00e9',
    '\ud7ff',
    '\ue000',
    '\uffff',
    '\u{1f600}',
    '\u{10000}',
    '\ud800',
    '\udc00',
  ];
  let seed = 1;
  const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  const word = (): string => Array.from({ length: rnd(4) }, () => alphabet[rnd(alphabet.length)]).join('');
  for (let k = 0; k < 5000; k++) {
    const a = word();
    const b = rnd(3) === 0 ? a + word() : word();
    const want = Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
    assert.equal(compareBytes(a, b), want, JSON.stringify([a, b]));
    assert.equal(compareBytes(b, a), 0 - want, JSON.stringify([b, a]));
  }
  assert.equal(compareBytes('\uffff', '\u{1f600}'), -1, 'U+FFFF sorts before an astral character');
});

test("canonical text of the selectors Typha sends (what policy groups hash, as Felix's selector.Normalise)", () => {
  // The namespaced form Typha sends for a namespaced policy (issue 16 item 1).
  assert.equal(
    parseSelector("(app == 'web') && projectcalico.org/namespace == 'ns1'").canonical(),
    '(app == "web" && projectcalico.org/namespace == "ns1")',
  );
  assert.equal(parseSelector("a == 'a'").canonical(), 'a == "a"');
  assert.equal(parseSelector('').canonical(), 'all()');
  assert.equal(parseSelector('  has(x)  ').canonical(), 'has(x)');
});

// Calico parses selectors nested tens of thousands deep; so must we, without the JS call stack.
const DEPTH = 100_000;
const deepCases: [string, string, string, Record<string, string>, boolean][] = [
  ['parentheses', '('.repeat(DEPTH) + 'a == "b"' + ')'.repeat(DEPTH), 'a == "b"', { a: 'b' }, true],
  [
    'negated groups',
    '!('.repeat(DEPTH) + 'a == "b"' + ')'.repeat(DEPTH),
    '!'.repeat(DEPTH) + 'a == "b"',
    { a: 'b' },
    true,
  ],
  [
    'odd negations',
    '!('.repeat(DEPTH + 1) + 'a == "b"' + ')'.repeat(DEPTH + 1),
    '!'.repeat(DEPTH + 1) + 'a == "b"',
    { a: 'b' },
    false,
  ],
  [
    'nested &&',
    'a == "b" && ('.repeat(DEPTH) + 'c == "d"' + ')'.repeat(DEPTH),
    '(a == "b" && '.repeat(DEPTH) + 'c == "d"' + ')'.repeat(DEPTH),
    { a: 'b', c: 'd' },
    true,
  ],
  [
    'nested ||',
    'a == "x" || ('.repeat(DEPTH) + 'c == "d"' + ')'.repeat(DEPTH),
    '(a == "x" || '.repeat(DEPTH) + 'c == "d"' + ')'.repeat(DEPTH),
    { c: 'e' },
    false,
  ],
];
// Compared with ok(), not equal(): a failure would print megabytes of selector text.
for (const [name, text, canon, labels, expected] of deepCases) {
  test(`a selector of ${name} nested ${DEPTH} deep parses, canonicalises, evaluates and round-trips`, () => {
    const s = parseSelector(text);
    assert.ok(s.canonical() === canon, `canonical form of ${name}`);
    assert.equal(s.evaluate(labels), expected);
    assert.match(s.uniqueId(), /^s:[A-Za-z0-9_-]{38}$/);
    // The canonical text parses back to an equivalent selector. (A run of "!" collapses when reparsed,
    // as in Calico's parser, so only the evaluation is compared for the negated cases.)
    const again = parseSelector(s.canonical());
    assert.equal(again.evaluate(labels), expected);
    if (!name.includes('negat')) assert.ok(again.canonical() === canon, `round trip of ${name}`);
    assert.ok(Array.isArray(s.labelRestrictions()));
  });
}

test('an unclosed or over-closed deep selector is a parse error, not a crash', () => {
  assert.throws(() => parseSelector('('.repeat(DEPTH) + 'a == "b"'), SelectorParseError);
  assert.throws(() => parseSelector('a == "b"' + ')'.repeat(3)), SelectorParseError);
  assert.throws(() => parseSelector('('.repeat(DEPTH) + ')'.repeat(DEPTH)), SelectorParseError);
});
