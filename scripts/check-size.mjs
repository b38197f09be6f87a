#!/usr/bin/env node
// House limits for production code (agent/, rules/, syncer-client/): no file over 450 lines and no
// function over 120 lines. Declarative tables (object/array literals) are not functions and do not
// count. Prints each offender and exits 1 if there is any. Part of `npm run lint`.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

const ROOT = new URL('..', import.meta.url).pathname;
const DIRS = ['agent', 'rules', 'syncer-client'];
const MAX_FILE = 450;
const MAX_FN = 120;

function walk(d) {
  const out = [];
  for (const n of readdirSync(d)) {
    const p = join(d, n);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (n.endsWith('.ts') && !n.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

const problems = [];
for (const file of DIRS.flatMap((d) => walk(join(ROOT, d)))) {
  const text = readFileSync(file, 'utf8');
  const rel = relative(ROOT, file);
  const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
  if (lines > MAX_FILE) problems.push(`${rel}: ${lines} lines (limit ${MAX_FILE})`);
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const visit = (node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line;
      const end = sf.getLineAndCharacterOfPosition(node.end).line;
      const n = end - start + 1;
      if (n > MAX_FN) {
        const name = node.name?.getText(sf) ?? '<anonymous>';
        problems.push(`${rel}:${start + 1}: function ${name} is ${n} lines (limit ${MAX_FN})`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
}
if (problems.length > 0) {
  console.error(`size limits exceeded:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`size limits hold (files <= ${MAX_FILE} lines, functions <= ${MAX_FN} lines)`);
