// Packaging checks: the DaemonSet's memory figures against docs/operations.md; the systemd unit's
// directives; the Dockerfile's stages; the env example only uses parameters felix-ts knows. The
// rendered Kubernetes manifests are checked in manifests.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { canonicalParamName } from '../../../agent/config/index.js';

// Fixtures are read from the source tree: dist/test/unit/deploy -> repo root.
const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', '..');
const read = (p: string): string => readFileSync(join(ROOT, p), 'utf8');

type Obj = Record<string, unknown>;
function docs(): Obj[] {
  return parseAllDocuments(read('deploy/kubernetes/base/felix-ts.yaml')).map((d) => {
    assert.equal(d.errors.length, 0, String(d.errors[0]));
    return d.toJS() as Obj;
  });
}

function unitDirectives(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let section = '';
  for (const raw of text.split('\n')) {
    const l = raw.trim();
    if (l === '' || l.startsWith('#')) continue;
    const s = /^\[(\w+)\]$/.exec(l);
    if (s) {
      section = s[1] as string;
      continue;
    }
    const eq = l.indexOf('=');
    assert.ok(eq > 0, `bad unit line: ${l}`);
    const key = `${section}.${l.slice(0, eq)}`;
    out.set(key, [...(out.get(key) ?? []), l.slice(eq + 1)]);
  }
  return out;
}

/** Kubernetes memory quantity (Mi/Gi/M/G or plain bytes) in MiB. */
function mib(q: string): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|K|M|G)?$/.exec(q);
  assert.ok(m, `memory quantity ${q}`);
  const unit = { Ki: 1 / 1024, Mi: 1, Gi: 1024, K: 1e3 / 2 ** 20, M: 1e6 / 2 ** 20, G: 1e9 / 2 ** 20 };
  return Number(m[1]) * (m[2] ? unit[m[2] as keyof typeof unit] : 1 / 2 ** 20);
}

test('base/felix-ts.yaml: memory request above the idle figure, limit above the 100k-endpoint peak in docs', () => {
  const ds = docs().find((d) => d.kind === 'DaemonSet') as {
    spec: { template: { spec: { containers: { resources: { requests: Obj; limits?: Obj } }[] } } };
  };
  const r = ds.spec.template.spec.containers[0]!.resources;
  const ops = readFileSync(join(ROOT, 'docs', 'operations.md'), 'utf8');
  const peak = Number(/100k remote[^\n]*about (\d+) MiB/.exec(ops)?.[1]);
  const idle = Number(/idle after the first apply\s*\|\s*about (\d+) MiB/.exec(ops)?.[1]);
  assert.ok(peak > 0 && idle > 0, 'docs/operations.md states the idle and 100k peak figures');
  assert.ok(mib(String(r.requests.memory)) >= 2 * idle, `request ${r.requests.memory} vs idle ${idle} MiB`);
  assert.ok(r.limits?.memory !== undefined, 'a memory limit is set');
  assert.ok(mib(String(r.limits.memory)) >= peak * 1.2, `limit ${r.limits.memory} vs peak ${peak} MiB`);
  assert.ok(mib(String(r.limits.memory)) >= mib(String(r.requests.memory)));
});

test('systemd unit: restart, ordering, env file, capabilities and hardening that keeps iptables working', () => {
  const d = unitDirectives(read('systemd/felix-ts.service'));
  const one = (k: string): string | undefined => d.get(k)?.[0];
  assert.equal(one('Unit.After'), 'network-online.target');
  assert.equal(one('Unit.Wants'), 'network-online.target');
  assert.equal(one('Service.Restart'), 'always');
  assert.equal(one('Service.EnvironmentFile'), '/etc/felix-ts/felix-ts.env');
  assert.match(one('Service.ExecStart') ?? '', /node \S+\/dist\/bundle\/felix-ts\.js run$/);
  assert.deepEqual((one('Service.CapabilityBoundingSet') ?? '').split(' ').sort(), [
    'CAP_NET_ADMIN',
    'CAP_NET_RAW',
  ]);
  for (const k of [
    'NoNewPrivileges',
    'ProtectHome',
    'PrivateTmp',
    'ProtectKernelModules',
    'ProtectKernelTunables',
    'RestrictSUIDSGID',
  ]) {
    assert.equal(one(`Service.${k}`), 'yes', k);
  }
  assert.equal(one('Service.ProtectSystem'), 'strict');
  assert.match(
    one('Service.ReadWritePaths') ?? '',
    /(^| )\/run( |$)/,
    '/run/xtables.lock must stay writable',
  );
  assert.deepEqual((one('Service.RestrictAddressFamilies') ?? '').split(' ').sort(), [
    'AF_INET',
    'AF_INET6',
    'AF_NETLINK',
    'AF_UNIX',
  ]);
  // Directives that would break Node or iptables must not be set.
  for (const k of ['MemoryDenyWriteExecute', 'PrivateNetwork', 'ProcSubset'])
    assert.equal(d.has(`Service.${k}`), false, k);
  assert.equal(one('Install.WantedBy'), 'multi-user.target');
});

test('felix-ts.env.example only uses known parameters', () => {
  const names = read('systemd/felix-ts.env.example')
    .split('\n')
    .map((l) => /^#?(FELIX_[A-Z0-9_]+)=/.exec(l.trim())?.[1])
    .filter((x): x is string => x !== undefined);
  assert.ok(names.length > 10);
  for (const n of names) assert.ok(canonicalParamName(n.slice(6)), n);
});

test('Dockerfile: multi-stage, production dependencies only, Debian with iptables and ipset', () => {
  const text = read('Dockerfile');
  const froms = text.split('\n').filter((l) => l.startsWith('FROM '));
  assert.ok(froms.length >= 2, 'multi-stage');
  assert.ok(
    froms.every((f) => /bookworm|bullseye|debian/.test(f)),
    'Debian base',
  );
  assert.match(text, /npm ci --omit=dev/);
  assert.match(text, /apt-get install[^\n]*\biptables\b[^\n]*\bipset\b/);
  assert.match(text, /COPY proto /);
  assert.match(text, /ENTRYPOINT \["node", "[^"]*dist\/bundle\/felix-ts\.js"\]/);
  // The build stage has every source tsc needs (the CLI's dev-tool commands refer to tools/) and
  // the bundler; an image built without tools/ failed at `npm run build`.
  const build = text.slice(0, text.indexOf('\nFROM ', text.indexOf('FROM ') + 1));
  for (const src of [
    'syncer-client',
    'agent',
    'rules',
    'tools',
    'proto',
    'tsconfig.json',
    'scripts/bundle.mjs',
  ])
    assert.match(build, new RegExp(`\\nCOPY ${src.replace('.', '\\.')} `), `the build stage copies ${src}`);
  assert.match(build, /RUN npm run build/);
  // The final stage copies no dev tooling or TypeScript sources.
  const final = text.slice(text.lastIndexOf('\nFROM '));
  assert.doesNotMatch(final, /COPY (agent|rules|syncer-client|test|bench) /);
  assert.doesNotMatch(final, /npm ci(?! --omit=dev)/);
});
