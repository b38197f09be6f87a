// Every parameter felix-ts accepts either changes what it does (production code reads the field)
// or is marked `noEffect` in agent/config/params.ts; the marked ones say so in
// docs/configuration.md, and a non-default value of one is named in a warning at start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  PARAMS,
  PARAM_NAMES,
  loadConfig,
  noEffectSettings,
  type ParamName,
} from '../../../../agent/config/index.js';

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', '..', '..');
/** The parameter table itself names every field; it does not count as a reader. */
const TABLE = join('agent', 'config', 'params.ts');

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const n of readdirSync(join(ROOT, dir))) {
    const rel = join(dir, n);
    if (statSync(join(ROOT, rel)).isDirectory()) out.push(...sourceFiles(rel));
    else if (n.endsWith('.ts') && !n.endsWith('.d.ts') && rel !== TABLE) out.push(rel);
  }
  return out;
}

/** Production files that read `<something>.<Name>` (a FelixConfig field), per parameter. */
function readers(): Map<ParamName, string[]> {
  const files = ['agent', 'rules', 'syncer-client'].flatMap(sourceFiles);
  assert.ok(files.length > 50, `found the production sources under ${ROOT}`);
  const texts = files.map((f) => [f, readFileSync(join(ROOT, f), 'utf8')] as const);
  return new Map(
    PARAM_NAMES.map((name) => {
      const re = new RegExp(`\\.${name}\\b`);
      return [name, texts.filter(([, t]) => re.test(t)).map(([f]) => f)];
    }),
  );
}

const noFile = (): string => {
  throw Object.assign(new Error('absent'), { code: 'ENOENT' });
};

test('every parameter is read by production code, or marked noEffect (and then read nowhere)', () => {
  const byName = readers();
  const unread = PARAM_NAMES.filter((n) => PARAMS[n].noEffect === undefined && byName.get(n)?.length === 0);
  assert.deepEqual(unread, [], 'accepted but never read: mark them noEffect with a reason');
  const stale = PARAM_NAMES.filter((n) => PARAMS[n].noEffect !== undefined && byName.get(n)?.length !== 0);
  assert.deepEqual(
    stale.map((n) => `${n}: ${byName.get(n)?.join(', ')}`),
    [],
    'marked noEffect but read: drop the mark',
  );
  // The check can fail: parameters known to act are found, and where.
  assert.ok(byName.get('ChainInsertMode')?.includes(join('agent', 'daemon', 'compiler-config.ts')));
});

test('docs/configuration.md marks exactly the noEffect parameters "accepted, no effect"', () => {
  const doc = readFileSync(join(ROOT, 'docs', 'configuration.md'), 'utf8');
  for (const name of PARAM_NAMES) {
    const row = new RegExp(`^\\| +\`${name}\` +\\|[^|]*\\|([^|]*)\\|`, 'm').exec(doc);
    assert.ok(row, `${name} has a row`);
    const marked = /accepted, no effect/.test(row[1] as string);
    assert.equal(marked, PARAMS[name].noEffect !== undefined, `${name}: notes ${JSON.stringify(row[1])}`);
  }
});

test('noEffectSettings: the noEffect parameters whose value is not the default', () => {
  const none = loadConfig({ env: {}, readFile: noFile });
  assert.deepEqual(noEffectSettings(none.config), []);
  const some = loadConfig({
    env: {
      FELIX_NFTABLESMODE: 'Enabled',
      FELIX_ROUTEREFRESHINTERVAL: '30',
      // Set, but to the default: nothing to warn about.
      FELIX_DATASTORETYPE: 'etcdv3',
      // Not a noEffect parameter.
      FELIX_CHAININSERTMODE: 'append',
    },
    readFile: noFile,
  });
  assert.deepEqual(noEffectSettings(some.config), ['NFTablesMode', 'RouteRefreshInterval']);
});
