// Conformance: libcalico-go/lib/selector/parser/parser_test.go (Calico v3.32.1), every table entry that
// felix-ts's selector API can express, as facts: the selectors, the labels they must (not) match, the
// selectors that must be refused, and the canonical forms with their unique IDs. The Visitor table is not
// expressible (see README.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSelector, SelectorParseError } from '../../agent/selector/index.js';

type Labels = Record<string, string>;

// parser_test.go selectorTests: [selector, expMatches, expNonMatches], in the file's order.
export const SELECTOR_TESTS: ReadonlyArray<readonly [string, Labels[], Labels[]]> = [
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
  [`a == 'a'`, [{ a: 'a' }], []],
  [`a == "a"`, [{ a: 'a' }], []],
  [`a != "b"`, [{ a: 'a' }], []],
  [`a != "a"`, [{}], []],
  [`a contains "a"`, [{ a: 'a' }, { a: 'bab' }, { a: 'aaa', b: 'c' }], [{}, { a: 'b' }, { b: 'aaa' }]],
  [
    `a starts with "a"`,
    [{ a: 'a' }, { a: 'abb' }, { a: 'aaa', b: 'c' }],
    [{}, { a: 'b' }, { a: 'baa' }, { b: 'aaa' }],
  ],
  [
    `a ends with "a"`,
    [{ a: 'a' }, { a: 'bba' }, { a: 'aaa', b: 'c' }],
    [{}, { a: 'b' }, { a: 'aab' }, { b: 'aaa' }],
  ],
  [`a in {"a"}`, [{ a: 'a' }], []],
  [`!a in {"a"}`, [{ a: 'b' }], []],
  [`a in {"a", "b"}`, [{ a: 'a' }], []],
  [`a in {"a", "b"}`, [{ a: 'b' }], []],
  [`a not in {"d", "e"}`, [{ a: 'a' }], []],
  [`has(a)`, [{ a: 'b' }], []],
  [`!has(a)`, [{ b: 'b' }], []],
  [``, [{}], []],
  [` `, [{}], []],
  [``, [{ a: 'b' }], []],
  [`all()`, [{}], []],
  [` all()`, [{}], []],
  [` all()`, [{ a: 'b' }], []],
  [`global()`, [{}], []],
  [` global()`, [{}], []],
  [` global()`, [{ a: 'b' }], []],
  [`a == 'a'`, [], [{ a: 'b' }]],
  [`a == 'a'`, [], [{}]],
  [`a != "a"`, [], [{ a: 'a' }]],
  [`a != 'a'`, [], [{ a: 'a' }]],
  [`a in {"a"}`, [], [{ a: 'b' }]],
  [`a not in {"a"}`, [], [{ a: 'a' }]],
  [`a in {"a", "b"}`, [], [{ a: 'c' }]],
  [`has(b)`, [], [{ a: 'b' }]],
  [`!!has(b)`, [], [{ a: 'b' }]],
  [`! has(a)`, [], [{ a: 'b' }]],
  [`!has(a)`, [], [{ a: 'b' }]],
  [`!!! has(a)`, [], [{ a: 'b' }]],
  [`!!!has(a)`, [], [{ a: 'b' }]],
  [`!! ! has(a)`, [], [{ a: 'b' }]],
  [`! !!has(a)`, [], [{ a: 'b' }]],
  // Boolean expressions...
  [`a == 'a1' && b == 'b1'`, [{ a: 'a1', b: 'b1' }], []],
  [`a == 'a1' && b != 'b1'`, [], [{ a: 'a1', b: 'b1' }]],
  [`a != 'a1' && b == 'b1'`, [], [{ a: 'a1', b: 'b1' }]],
  [`a != 'a1' && b != 'b1'`, [], [{ a: 'a1', b: 'b1' }]],
  [`a != 'a1' && !b == 'b1'`, [], [{ a: 'a1', b: 'b1' }]],
  [`!a == 'a1' && b == 'b1'`, [], [{ a: 'a1', b: 'b1' }]],
  [`has(a) && !has(b)`, [{ a: 'a' }], []],
  [`!has(b) && has(a)`, [{ a: 'a' }], []],
  [`!(!has(a) || has(b))`, [{ a: 'a' }], []],
  [`!(has(b) || !has(a))`, [{ a: 'a' }], []],
  [`a == 'a1' || b == 'b1'`, [{ a: 'a1', b: 'b1' }], []],
  [`a == 'a1' || b != 'b1'`, [{ a: 'a1', b: 'b1' }], []],
  [`a != 'a1' || b == 'b1'`, [{ a: 'a1', b: 'b1' }], []],
  [`a != 'a1' || b != 'b1'`, [], [{ a: 'a1', b: 'b1' }]],
  [`! a == 'a1' || ! b == 'b1'`, [], [{ a: 'a1', b: 'b1' }]],
];

// parser_test.go badSelectors.
export const BAD_SELECTORS: readonly string[] = [
  'b == b',
  'b contains b',
  'b starts with b',
  'b ends with b',
  "'b1' == b",
  'b',
  'a b',
  '!',
  `foo == "bar" &`,
  `foo == "bar" |`,
  `foo != ||`,
  `foo in {"", ||`,
  `foo in ""`,
  `"FOO`,
  `"FOO'`,
  `"FOO`,
  `'FOO`,
  `(`,
  `(a == "foo"`,
  `)`,
  `()`,
  `%`,
  `a == "b" && %`,
  `a == "b" || %`,
  `a `,
  `has(foo) &&`,
];

// parser_test.go canonicalisationTests: [input, canonical, unique ID or "" when the file gives none].
export const CANONICALISATION_TESTS: ReadonlyArray<readonly [string, string, string]> = [
  ['', 'all()', 's:5y5I3VdRZfDU01O--xXAPx2yxCQQqMf0M6IWug'],
  [' all() ', 'all()', 's:5y5I3VdRZfDU01O--xXAPx2yxCQQqMf0M6IWug'],
  [' (all() )', 'all()', 's:5y5I3VdRZfDU01O--xXAPx2yxCQQqMf0M6IWug'],
  [`! (has( b)||! has(a ))`, '!(has(b) || !has(a))', 's:Iss0uCleLYv1GSv_pNm7hAO58kE9jAx1NKyG3Q'],
  [`! (a == "b"&&! c != "d")`, `!(a == "b" && !c != "d")`, 's:lh3haoY1ikTRkd4UZu0nWSaIBknYLPJLX16d-w'],
  [`a == "'"`, `a == "'"`, ''],
  [`a == '"'`, `a == '"'`, ''],
  [`a contains '"'`, `a contains '"'`, ''],
  [`a contains "'"`, `a contains "'"`, ''],
  [`a startswith '"'`, `a starts with '"'`, ''],
  [`a endswith "'"`, `a ends with "'"`, ''],
  [`a!='"'`, `a != '"'`, ''],
  [`a in {"d"}`, `a in {"d"}`, ''],
  [`a in {"a", "b"}`, `a in {"a", "b"}`, ''],
  [`a in {"d", "a", "b"}`, `a in {"a", "b", "d"}`, ''],
  [`a in {"z", "x", "y", "a"}`, `a in {"a", "x", "y", "z"}`, ''],
  [`a in {"z", "z", "x", "y", "x", "a"}`, `a in {"a", "x", "y", "z"}`, ''],
];

SELECTOR_TESTS.forEach(([sel, matches, nonMatches], i) => {
  test(`parser_test.go selectorTests[${i}] ${JSON.stringify(sel)}`, () => {
    const s = parseSelector(sel);
    // "should match (not match) after canonicalising": the canonical text parses to the same verdicts.
    const again = parseSelector(s.canonical());
    for (const labels of matches) {
      assert.equal(s.evaluate(labels), true, `matches ${JSON.stringify(labels)}`);
      assert.equal(again.evaluate(labels), true, `canonical form matches ${JSON.stringify(labels)}`);
    }
    for (const labels of nonMatches) {
      assert.equal(s.evaluate(labels), false, `does not match ${JSON.stringify(labels)}`);
      assert.equal(again.evaluate(labels), false, `canonical form does not match ${JSON.stringify(labels)}`);
    }
    // "should give same UID on each call".
    assert.equal(s.uniqueId(), parseSelector(sel).uniqueId());
  });
});

test('parser_test.go badSelectors: every one is refused', () => {
  for (const sel of BAD_SELECTORS)
    assert.throws(() => parseSelector(sel), SelectorParseError, JSON.stringify(sel));
});

CANONICALISATION_TESTS.forEach(([input, canonical, uid], i) => {
  test(`parser_test.go canonicalisationTests[${i}] ${JSON.stringify(input)} -> ${canonical}`, () => {
    const s = parseSelector(input);
    assert.equal(s.canonical(), canonical);
    const round = parseSelector(canonical);
    assert.equal(round.canonical(), canonical);
    assert.equal(round.uniqueId(), s.uniqueId());
    if (uid !== '') assert.equal(s.uniqueId(), uid);
  });
});
