// Packaging checks: the DaemonSet against the Kubernetes OpenAPI schema (kubernetes-models), plus
// the structural facts felix-operations.md §4 asks for; the systemd unit's directives; the
// Dockerfile's stages; every FELIX_* name used anywhere is a parameter felix-ts knows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { DaemonSet } from 'kubernetes-models/apps/v1';
import { ServiceAccount } from 'kubernetes-models/v1';
import { ClusterRole, ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { canonicalParamName } from '../../../agent/config/index.js';

// Fixtures are read from the source tree: dist/test/unit/deploy -> repo root.
const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', '..');
const read = (p: string): string => readFileSync(join(ROOT, p), 'utf8');

type Obj = Record<string, unknown>;
function docs(): Obj[] {
  return parseAllDocuments(read('deploy/kubernetes/daemonset.yaml')).map((d) => {
    assert.equal(d.errors.length, 0, String(d.errors[0]));
    return d.toJS() as Obj;
  });
}

function validate(o: Obj): void {
  switch (o.kind) {
    case 'DaemonSet':
      new DaemonSet(o as never).validate();
      return;
    case 'ServiceAccount':
      new ServiceAccount(o as never).validate();
      return;
    case 'ClusterRole':
      new ClusterRole(o as never).validate();
      return;
    case 'ClusterRoleBinding':
      new ClusterRoleBinding(o as never).validate();
      return;
    default:
      assert.fail(`unexpected kind ${String(o.kind)}`);
  }
}

test('daemonset.yaml: every document validates against the Kubernetes schema', () => {
  const all = docs();
  assert.deepEqual(
    all.map((d) => d.kind),
    ['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'DaemonSet'],
  );
  for (const d of all) validate(d);
});

test('the schema validator really rejects bad manifests', () => {
  const ds = docs().find((d) => d.kind === 'DaemonSet') as Obj;
  const bad = structuredClone(ds) as {
    spec: {
      template: {
        spec: { containers: { livenessProbe: { httpGet: { port: unknown } }; resources: unknown }[] };
      };
    };
  };
  const c = bad.spec.template.spec.containers[0];
  assert.ok(c);
  c.resources = { requests: 'lots' };
  assert.throws(() => validate(bad as unknown as Obj));
  const noSelector = structuredClone(ds) as { spec: Obj };
  delete noSelector.spec.selector;
  assert.throws(() => validate(noSelector as unknown as Obj));
});

interface Container {
  name: string;
  env: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
  securityContext: { privileged?: boolean; capabilities?: { add?: string[] } };
  livenessProbe: { httpGet: { path: string; port: number; host?: string } };
  readinessProbe: { httpGet: { path: string; port: number; host?: string } };
  volumeMounts: { name: string; mountPath: string }[];
}
interface PodSpec {
  hostNetwork: boolean;
  serviceAccountName: string;
  tolerations: { key?: string; operator: string; effect?: string }[];
  containers: Container[];
  volumes: {
    name: string;
    hostPath?: { path: string; type?: string };
    secret?: { secretName: string };
    configMap?: { name: string };
  }[];
}

test('daemonset.yaml: hostNetwork, NET_ADMIN, xtables lock, Typha TLS mounts, probes on 9099, tolerations, RBAC', () => {
  const all = docs();
  const ds = all.find((d) => d.kind === 'DaemonSet') as {
    spec: { selector: { matchLabels: Obj }; template: { metadata: { labels: Obj }; spec: PodSpec } };
  };
  const pod = ds.spec.template.spec;
  assert.deepEqual(ds.spec.selector.matchLabels, ds.spec.template.metadata.labels);
  assert.equal(pod.hostNetwork, true);
  const c = pod.containers[0] as Container;
  assert.ok(
    c.securityContext.privileged === true || c.securityContext.capabilities?.add?.includes('NET_ADMIN'),
  );
  const mount = (p: string): string | undefined => c.volumeMounts.find((m) => m.mountPath === p)?.name;
  const lock = pod.volumes.find((v) => v.name === mount('/run/xtables.lock'));
  assert.deepEqual(lock?.hostPath, { path: '/run/xtables.lock', type: 'FileOrCreate' });
  // Every mount refers to a volume.
  for (const m of c.volumeMounts)
    assert.ok(
      pod.volumes.some((v) => v.name === m.name),
      `volume ${m.name}`,
    );
  // TLS env points into mounted secret/configmap volumes.
  const env = new Map(c.env.map((e) => [e.name, e]));
  for (const k of ['FELIX_TYPHACAFILE', 'FELIX_TYPHACERTFILE', 'FELIX_TYPHAKEYFILE']) {
    const path = env.get(k)?.value ?? '';
    const m = c.volumeMounts.find((vm) => path.startsWith(vm.mountPath + '/'));
    assert.ok(m, `${k}=${path} is inside a mount`);
    const vol = pod.volumes.find((v) => v.name === m.name);
    assert.ok(vol?.secret || vol?.configMap, `${k} comes from a Secret or ConfigMap`);
  }
  assert.ok(env.get('FELIX_TYPHACN')?.value);
  assert.equal(env.get('FELIX_FELIXHOSTNAME')?.valueFrom?.fieldRef?.fieldPath, 'spec.nodeName');
  assert.equal(env.get('FELIX_HEALTHENABLED')?.value, 'true');
  // Every FELIX_* variable is a parameter felix-ts knows (catches typos).
  for (const e of c.env)
    assert.ok(canonicalParamName(e.name.replace(/^FELIX_/i, '')), `${e.name} is a known parameter`);
  assert.deepEqual([c.livenessProbe.httpGet.path, c.livenessProbe.httpGet.port], ['/liveness', 9099]);
  assert.deepEqual([c.readinessProbe.httpGet.path, c.readinessProbe.httpGet.port], ['/readiness', 9099]);
  assert.ok(pod.tolerations.some((t) => t.operator === 'Exists' && t.effect === 'NoSchedule'));
  assert.ok(pod.tolerations.some((t) => t.operator === 'Exists' && t.effect === 'NoExecute'));
  assert.ok(pod.tolerations.some((t) => t.key === 'CriticalAddonsOnly'));

  const sa = all.find((d) => d.kind === 'ServiceAccount') as {
    metadata: { name: string; namespace: string };
  };
  assert.equal(pod.serviceAccountName, sa.metadata.name);
  const role = all.find((d) => d.kind === 'ClusterRole') as {
    metadata: { name: string };
    rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[];
  };
  const eps = role.rules.find((r) => r.resources.includes('endpointslices'));
  assert.deepEqual(eps?.apiGroups, ['discovery.k8s.io']);
  assert.deepEqual([...(eps?.verbs ?? [])].sort(), ['get', 'list', 'watch']);
  const binding = all.find((d) => d.kind === 'ClusterRoleBinding') as {
    roleRef: { name: string; kind: string };
    subjects: { kind: string; name: string; namespace: string }[];
  };
  assert.equal(binding.roleRef.name, role.metadata.name);
  assert.deepEqual(binding.subjects[0], {
    kind: 'ServiceAccount',
    name: sa.metadata.name,
    namespace: sa.metadata.namespace,
  });
});

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

test('daemonset.yaml: memory request above the idle figure, limit above the 100k-endpoint peak in docs', () => {
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
  assert.match(one('Service.ExecStart') ?? '', /node \S+\/dist\/agent\/cli\/main\.js run$/);
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
  assert.match(text, /ENTRYPOINT \["node", "[^"]*dist\/agent\/cli\/main\.js"\]/);
  // The final stage copies no dev tooling or TypeScript sources.
  const final = text.slice(text.lastIndexOf('\nFROM '));
  assert.doesNotMatch(final, /COPY (agent|rules|syncer-client|test|bench) /);
  assert.doesNotMatch(final, /npm ci(?! --omit=dev)/);
});
