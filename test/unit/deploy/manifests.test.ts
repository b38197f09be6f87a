// The Kubernetes manifests: `kubectl kustomize` renders the base and both overlays (offline), every
// object is validated against the Kubernetes OpenAPI schema (kubernetes-models' JSON schemas), and
// the facts the schema cannot know are checked by hand: RBAC against what the code requests, image
// reference and pull policy, probes and ports against HealthPort/PrometheusMetricsPort, mounts vs
// volumes, the Typha TLS layout of each install, and the whole env through felix-ts's own config
// loader. kubectl missing is a failure, not a skip. docs/deploy.md says what this does not cover.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { DaemonSet } from 'kubernetes-models/apps/v1';
import { ServiceAccount } from 'kubernetes-models/v1';
import { Role, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { canonicalParamName, loadConfig, paramDefault } from '../../../agent/config/index.js';

// dist/test/unit/deploy -> repo root.
const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', '..');

type Obj = Record<string, unknown>;

const renders = new Map<string, string>();

/** `kubectl kustomize <dir>`: throws (so the test fails) when kubectl is absent or the render fails. */
function render(dir: string): Obj[] {
  let out = renders.get(dir);
  if (out === undefined) out = kustomize(dir);
  renders.set(dir, out);
  return parseAllDocuments(out).map((d) => {
    assert.equal(d.errors.length, 0, String(d.errors[0]));
    return d.toJS() as Obj;
  });
}

function kustomize(dir: string): string {
  try {
    return execFileSync('kubectl', ['kustomize', join(ROOT, dir)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000,
    });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT')
      throw new Error(
        'kubectl not found on PATH: the manifest tests need kubectl >= 1.20 (Debian 12: apt-get install kubernetes-client)',
      );
    throw new Error(`kubectl kustomize ${dir} failed: ${err.stderr ?? err.message}`);
  }
}

const VALIDATORS: Record<string, (o: Obj) => void> = {
  'v1/ServiceAccount': (o) => new ServiceAccount(o as never).validate(),
  'rbac.authorization.k8s.io/v1/Role': (o) => new Role(o as never).validate(),
  'rbac.authorization.k8s.io/v1/RoleBinding': (o) => new RoleBinding(o as never).validate(),
  'apps/v1/DaemonSet': (o) => new DaemonSet(o as never).validate(),
};

function validate(o: Obj): void {
  const key = `${String(o.apiVersion)}/${String(o.kind)}`;
  const v = VALIDATORS[key];
  assert.ok(v, `unexpected apiVersion/kind ${key}`);
  v(o);
}

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath: string } };
}
interface Probe {
  httpGet: { host?: string; path: string; port: number | string };
}
interface Container {
  name: string;
  image: string;
  imagePullPolicy?: string;
  env: EnvVar[];
  ports?: { name?: string; containerPort: number; protocol?: string }[];
  securityContext: { privileged?: boolean; capabilities?: { add?: string[]; drop?: string[] } };
  livenessProbe: Probe;
  readinessProbe: Probe;
  volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
}
interface Volume {
  name: string;
  hostPath?: { path: string; type?: string };
  secret?: { secretName: string };
  configMap?: { name: string };
}
interface PodSpec {
  hostNetwork: boolean;
  nodeSelector: Record<string, string>;
  initContainers: { name: string; image: string; command: string[]; env: EnvVar[] }[];
  serviceAccountName: string;
  tolerations: { key?: string; operator: string; effect?: string }[];
  containers: Container[];
  volumes: Volume[];
}
interface Meta {
  name: string;
  namespace?: string;
}
interface Rendered {
  all: Obj[];
  ds: {
    metadata: Meta;
    spec: { selector: { matchLabels: Obj }; template: { metadata: { labels: Obj }; spec: PodSpec } };
  };
  pod: PodSpec;
  c: Container;
  env: Map<string, EnvVar>;
}

function rendered(dir: string): Rendered {
  const all = render(dir);
  const ds = all.find((d) => d.kind === 'DaemonSet') as unknown as Rendered['ds'];
  assert.ok(ds, 'a DaemonSet');
  const pod = ds.spec.template.spec;
  assert.equal(pod.containers.length, 1);
  const c = pod.containers[0] as Container;
  return { all, ds, pod, c, env: new Map(c.env.map((e) => [e.name, e])) };
}

/** Where a Typha TLS file must come from in each layout. */
interface TlsLayout {
  ca: { configMap: string; key: string };
  pair: { secret: string; cert: string; key: string };
  cn: string;
}
interface Layout {
  dir: string;
  namespace: string;
  tls: TlsLayout | null;
}
const LAYOUTS: Layout[] = [
  // Calico's stock manifests/calico-typha.yaml: Typha in kube-system without TLS.
  { dir: 'deploy/kubernetes/base', namespace: 'kube-system', tls: null },
  {
    dir: 'deploy/kubernetes/overlays/manifest',
    namespace: 'kube-system',
    tls: {
      ca: { configMap: 'calico-typha-ca', key: 'typhaca.crt' },
      pair: { secret: 'calico-node-certs', cert: 'calico-node.crt', key: 'calico-node.key' },
      cn: 'calico-typha',
    },
  },
  {
    dir: 'deploy/kubernetes/overlays/operator',
    namespace: 'calico-system',
    tls: {
      ca: { configMap: 'tigera-ca-bundle', key: 'tigera-ca-bundle.crt' },
      pair: { secret: 'node-certs', cert: 'tls.crt', key: 'tls.key' },
      cn: 'typha-server',
    },
  },
];

/** The value a FELIX_* variable sets, or the parameter's default. */
function param(env: Map<string, EnvVar>, name: string): string {
  const e = [...env.values()].find((v) => canonicalParamName(v.name.replace(/^FELIX_/i, '')) === name);
  const canon = canonicalParamName(name);
  assert.ok(canon, name);
  return e?.value ?? paramDefault(canon);
}

/** A registry host (has a dot or a port, or is localhost), a repository, and a tag or a digest. */
function imageProblems(image: string, pullPolicy: string | undefined): string[] {
  const out: string[] = [];
  const m = /^([^/]+)\/([a-z0-9._/-]+?)(?::([\w][\w.-]{0,127}))?(?:@(sha256:[0-9a-f]{64}))?$/.exec(image);
  if (!m) return [`${image}: not registry/repository[:tag][@digest]`];
  const [, host, , tag, digest] = m;
  if (!/[.:]/.test(host as string) && host !== 'localhost') out.push(`${image}: no registry host`);
  if (tag === undefined && digest === undefined) out.push(`${image}: neither tag nor digest`);
  const pinned = digest !== undefined || (tag !== undefined && tag !== 'latest');
  if (pullPolicy === 'IfNotPresent' && !pinned) out.push(`${image}: IfNotPresent with a moving tag`);
  if (pullPolicy !== undefined && !['IfNotPresent', 'Always'].includes(pullPolicy))
    out.push(`imagePullPolicy ${pullPolicy}`);
  return out;
}

test('imageProblems: catches what the old manifest had, accepts qualified pinned references', () => {
  assert.notDeepEqual(imageProblems('felix-ts:0.1.0', 'IfNotPresent'), []);
  assert.notDeepEqual(imageProblems('docker.io/x/felix-ts', 'IfNotPresent'), []);
  assert.notDeepEqual(imageProblems('quay.io/x/felix-ts:latest', 'IfNotPresent'), []);
  assert.notDeepEqual(imageProblems('quay.io/x/felix-ts:0.1.0', 'Never'), []);
  assert.deepEqual(imageProblems('quay.io/x/felix-ts:latest', 'Always'), []);
  assert.deepEqual(imageProblems('registry.example.com:5000/felix-ts:0.1.0', 'IfNotPresent'), []);
  assert.deepEqual(imageProblems(`localhost/felix-ts@sha256:${'a'.repeat(64)}`, 'IfNotPresent'), []);
});

for (const layout of LAYOUTS) {
  const name = relative('deploy/kubernetes', layout.dir);

  test(`${name}: renders, and every object validates against the Kubernetes schema`, () => {
    const { all } = rendered(layout.dir);
    assert.deepEqual(all.map((d) => d.kind).sort(), ['DaemonSet', 'Role', 'RoleBinding', 'ServiceAccount']);
    for (const d of all) validate(d);
  });

  test(`${name}: namespace ${layout.namespace}, RBAC is list on EndpointSlices in the Typha namespace only`, () => {
    const { all, pod, env } = rendered(layout.dir);
    for (const d of all) assert.equal((d.metadata as Meta).namespace, layout.namespace, String(d.kind));
    assert.equal(env.get('FELIX_TYPHAK8SNAMESPACE')?.value, layout.namespace);
    assert.equal(env.get('FELIX_TYPHAK8SSERVICENAME')?.value, 'calico-typha');
    const sa = all.find((d) => d.kind === 'ServiceAccount') as { metadata: Meta };
    assert.equal(pod.serviceAccountName, sa.metadata.name);
    const role = all.find((d) => d.kind === 'Role') as { metadata: Meta; rules: unknown };
    assert.deepEqual(role.rules, [
      { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list'] },
    ]);
    const rb = all.find((d) => d.kind === 'RoleBinding') as {
      roleRef: { apiGroup: string; kind: string; name: string };
      subjects: unknown[];
    };
    assert.deepEqual(rb.roleRef, {
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'Role',
      name: role.metadata.name,
    });
    assert.deepEqual(rb.subjects, [
      { kind: 'ServiceAccount', name: sa.metadata.name, namespace: layout.namespace },
    ]);
  });

  test(`${name}: qualified image, pull policy, host network, capabilities, no /lib/modules`, () => {
    const { ds, pod, c } = rendered(layout.dir);
    assert.deepEqual(imageProblems(c.image, c.imagePullPolicy), []);
    assert.deepEqual(ds.spec.selector.matchLabels, ds.spec.template.metadata.labels);
    assert.equal(pod.hostNetwork, true);
    assert.deepEqual([...(c.securityContext.capabilities?.add ?? [])].sort(), ['NET_ADMIN', 'NET_RAW']);
    assert.deepEqual(c.securityContext.capabilities?.drop, ['ALL']);
    assert.notEqual(c.securityContext.privileged, true);
    // hostPath: only the xtables lock and /var/run/calico (endpoint status files for the CNI).
    // /lib/modules would be useless without SYS_MODULE.
    assert.deepEqual(
      pod.volumes.filter((v) => v.hostPath).map((v) => v.hostPath),
      [
        { path: '/run/xtables.lock', type: 'FileOrCreate' },
        { path: '/var/run/calico', type: 'DirectoryOrCreate' },
      ],
    );
    for (const path of ['/run/xtables.lock', '/var/run/calico']) {
      const vol = pod.volumes.find((v) => v.hostPath?.path === path)?.name;
      assert.ok(
        c.volumeMounts.some((m) => m.name === vol && m.mountPath === path),
        path,
      );
    }
    assert.ok(pod.tolerations.some((t) => t.operator === 'Exists' && t.effect === 'NoSchedule'));
    assert.ok(pod.tolerations.some((t) => t.operator === 'Exists' && t.effect === 'NoExecute'));
    assert.ok(pod.tolerations.some((t) => t.key === 'CriticalAddonsOnly'));
  });

  test(`${name}: runs only on labelled nodes, after Felix has left the health port`, () => {
    const { pod, c, env } = rendered(layout.dir);
    assert.equal(pod.nodeSelector['felix-ts/enabled'], 'true');
    assert.equal(pod.initContainers.length, 1);
    const init = pod.initContainers[0]!;
    assert.equal(init.image, c.image);
    assert.deepEqual(init.command.slice(0, 2), ['node', '-e']);
    for (const k of ['FELIX_HEALTHHOST', 'FELIX_HEALTHPORT'])
      assert.equal(init.env.find((e) => e.name === k)?.value, env.get(k)?.value, k);
  });

  test(`${name}: probes on HealthHost:HealthPort, metrics port is PrometheusMetricsPort`, () => {
    const { c, env } = rendered(layout.dir);
    assert.equal(param(env, 'HealthEnabled'), 'true');
    const port = Number(param(env, 'HealthPort'));
    assert.equal(port, 9099, "calico-node's probes expect Felix's port");
    for (const [probe, path] of [
      [c.livenessProbe, '/liveness'],
      [c.readinessProbe, '/readiness'],
    ] as const) {
      assert.deepEqual(probe.httpGet, { host: param(env, 'HealthHost'), path, port });
    }
    const metrics = (c.ports ?? []).filter((p) => p.name === 'metrics');
    assert.deepEqual(
      metrics.map((p) => [p.containerPort, p.protocol]),
      [[Number(param(env, 'PrometheusMetricsPort')), 'TCP']],
    );
    assert.equal(Number(param(env, 'PrometheusMetricsPort')), 9091);
  });

  test(`${name}: mounts match volumes, Typha TLS from the layout's ConfigMap and Secret`, () => {
    const { pod, c, env } = rendered(layout.dir);
    const names = pod.volumes.map((v) => v.name);
    assert.deepEqual(
      [...c.volumeMounts.map((m) => m.name)].sort(),
      [...names].sort(),
      'every volume mounted once',
    );
    const tlsVars = ['FELIX_TYPHACAFILE', 'FELIX_TYPHACERTFILE', 'FELIX_TYPHAKEYFILE', 'FELIX_TYPHACN'];
    if (layout.tls === null) {
      for (const k of tlsVars) assert.equal(env.has(k), false, `${k} unset: plain Typha`);
      return;
    }
    /** The volume and the key inside it that a file path points at. */
    const source = (path: string): { vol: Volume; key: string } => {
      const m = c.volumeMounts.find((vm) => path.startsWith(vm.mountPath + '/'));
      assert.ok(m, `${path} is inside a mount`);
      assert.equal(m.readOnly, true, `${m.name} read-only`);
      const vol = pod.volumes.find((v) => v.name === m.name);
      assert.ok(vol);
      return { vol, key: path.slice(m.mountPath.length + 1) };
    };
    const t = layout.tls;
    const ca = source(env.get('FELIX_TYPHACAFILE')?.value ?? '');
    assert.deepEqual([ca.vol.configMap?.name, ca.key], [t.ca.configMap, t.ca.key]);
    const cert = source(env.get('FELIX_TYPHACERTFILE')?.value ?? '');
    assert.deepEqual([cert.vol.secret?.secretName, cert.key], [t.pair.secret, t.pair.cert]);
    const key = source(env.get('FELIX_TYPHAKEYFILE')?.value ?? '');
    assert.deepEqual([key.vol.secret?.secretName, key.key], [t.pair.secret, t.pair.key]);
    assert.equal(env.get('FELIX_TYPHACN')?.value, t.cn);
  });

  test(`${name}: every env var is a Felix parameter and the env loads through felix-ts's config`, () => {
    const { c } = rendered(layout.dir);
    const envMap: Record<string, string> = {};
    for (const e of c.env) {
      assert.match(e.name, /^FELIX_/);
      assert.ok(canonicalParamName(e.name.slice(6)), `${e.name} is a parameter in agent/config/params.ts`);
      // The kubelet fills in fieldRefs; spec.nodeName is the only one used.
      if (e.valueFrom) assert.deepEqual(e.valueFrom, { fieldRef: { fieldPath: 'spec.nodeName' } });
      envMap[e.name] = e.value ?? 'node-1';
    }
    const noFile = (): never => {
      throw Object.assign(new Error('absent'), { code: 'ENOENT' });
    };
    // Throws ConfigError naming every bad field (TLS all-or-nothing included); the files are
    // mounted at run time, so only their presence in the env is checked here.
    const loaded = loadConfig({ env: envMap, readFile: noFile }, { checkFiles: false });
    assert.equal(loaded.config.FelixHostname, 'node-1');
    assert.equal(loaded.config.HealthPort, 9099);
  });
}

test('the schema validator and the hand checks really reject bad manifests', () => {
  const { ds } = rendered('deploy/kubernetes/overlays/operator');
  const bad = structuredClone(ds) as unknown as { spec: { template: { spec: { containers: Obj[] } } } };
  (bad.spec.template.spec.containers[0] as Obj).resources = { requests: 'lots' };
  assert.throws(() => validate(bad as unknown as Obj));
  const noSelector = structuredClone(ds) as unknown as { spec: Obj };
  delete noSelector.spec.selector;
  assert.throws(() => validate(noSelector as unknown as Obj));
  assert.throws(() => validate({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole' }));
  const badEnv = { FELIX_TYPHACAFILE: '/typha-ca/ca.crt', FELIX_HEALTHPORT: '99999' };
  assert.throws(
    () => loadConfig({ env: badEnv, readFile: () => '' }, { checkFiles: false }),
    /HealthPort[\s\S]*Typha|Typha[\s\S]*HealthPort/,
  );
});

test('wait-for-felix-to-stop: waits while the health port is taken, exits 0 once it is free', async () => {
  const script = rendered('deploy/kubernetes/base').pod.initContainers[0]!.command[2]!;
  const server = createServer((sock) => sock.destroy());
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  const child = spawn(process.execPath, ['-e', script], {
    env: { FELIX_HEALTHHOST: '127.0.0.1', FELIX_HEALTHPORT: String(port) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  const exited = once(child, 'exit');
  try {
    const early = await Promise.race([exited, new Promise((r) => setTimeout(() => r('running'), 2500))]);
    assert.equal(early, 'running', 'still waiting while the port is taken');
    assert.match(out, new RegExp(`listens on 127\\.0\\.0\\.1:${port}; waiting`));
    server.close();
    const t0 = Date.now();
    const [code] = await Promise.race([
      exited,
      new Promise<never>((_, rej) => setTimeout(() => rej(new Error('did not exit')), 15_000)),
    ]);
    assert.equal(code, 0);
    assert.ok(Date.now() - t0 >= 4000, 'needs 5 free checks 1 s apart');
    assert.match(out, /is free; starting felix-ts/);
  } finally {
    child.kill('SIGKILL');
    server.close();
  }
});

test('docs/deploy.md names every layout fact the manifests use', () => {
  const doc = readFileSync(join(ROOT, 'docs', 'deploy.md'), 'utf8');
  for (const l of LAYOUTS) {
    assert.ok(doc.includes(`\`${l.dir.replace('deploy/kubernetes/', '')}\``) || doc.includes(l.dir), l.dir);
    assert.ok(doc.includes(`\`${l.namespace}\``), l.namespace);
    if (l.tls === null) continue;
    const t = l.tls;
    for (const s of [t.ca.configMap, t.ca.key, t.pair.secret, t.pair.cert, t.pair.key, t.cn])
      assert.ok(doc.includes(`\`${s}\``), `${l.dir}: ${s}`);
  }
  assert.match(doc, /CALICO_DISABLE_FELIX/);
  assert.match(doc, /felix-ts\/enabled=true/);
});

/** Production sources, for the API-access check. */
function sources(dir: string): string[] {
  const out: string[] = [];
  for (const n of readdirSync(join(ROOT, dir))) {
    const p = join(dir, n);
    if (statSync(join(ROOT, p)).isDirectory()) out.push(...sources(p));
    else if (n.endsWith('.ts')) out.push(p);
  }
  return out;
}

test('the Role covers every Kubernetes API request in the code: one EndpointSlice list', () => {
  const hits: string[] = [];
  for (const f of ['syncer-client', 'agent', 'rules'].flatMap(sources)) {
    // Comments cite Calico's source paths (api/pkg/apis/…); only code can make a request.
    const text = readFileSync(join(ROOT, f), 'utf8')
      .split('\n')
      .filter((l) => !/^\s*(\/\/|\*|\/\*)/.test(l))
      .join('\n');
    for (const m of text.matchAll(/\/apis?\/[\w.$/{}()-]*/g)) hits.push(`${f}: ${m[0]}`);
  }
  assert.deepEqual(hits, [
    'syncer-client/client/k8s-discovery.ts: /apis/discovery.k8s.io/v1/namespaces/${encodeURIComponent(p.namespace)}/endpointslices',
  ]);
  const disc = readFileSync(join(ROOT, 'syncer-client/client/k8s-discovery.ts'), 'utf8');
  // A collection GET without ?watch is the RBAC verb "list".
  assert.deepEqual(
    [...disc.matchAll(/method: '(\w+)'/g)].map((m) => m[1]),
    ['GET'],
  );
  assert.doesNotMatch(disc, /[?&]watch=/);
});
