// The daemon end to end with the real syncer client, calculation graph, compiler and driver
// (dry run: nothing is programmed, so this is safe on any host), against the bundled Typha
// server over mTLS; then the compiled CLI as a child process (run --dry-run, status, signals), and
// `inspect endpoint` / `inspect chains` (in process) against a running daemon.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { TyphaServer } from '../../tools/typha-server/index.js';
import { X509Certificate } from 'node:crypto';
import { writeDevPki } from '../../tools/pki/index.js';
import { loadConfig } from '../../agent/config/index.js';
import { createLogger } from '../../agent/log/index.js';
import { Daemon, realDeps } from '../../agent/daemon/index.js';
import { DEMO_HOST } from '../../tools/demo/index.js';
import { main } from '../../agent/cli/main.js';
import type { Io } from '../../agent/cli/commands.js';
import { devPki, felixEnv, freePort, spawnCli, typhaServer, until, type Child } from './harness.js';

function metricValue(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(name + ' ') || l.startsWith(name + '{'));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

test('daemon over mTLS: ready after the first apply, details + metrics, Typha outage, rc 129 on config change', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'felix-int-'));
  let typha = typhaServer();
  const typhaPort = await typha.start();
  const files = writeDevPki(devPki(), dir);
  const out = new PassThrough();
  let log = '';
  out.on('data', (d: Buffer) => (log += d.toString()));
  const loaded = loadConfig({
    env: {
      ...felixEnv(files, typhaPort),
      FELIX_HEALTHPORT: '0',
      FELIX_PROMETHEUSMETRICSENABLED: 'true',
      FELIX_PROMETHEUSMETRICSHOST: '127.0.0.1',
      FELIX_PROMETHEUSMETRICSPORT: '0',
    },
  });
  const daemon = new Daemon({
    loaded,
    logger: createLogger({ severity: 'INFO', stream: out }),
    deps: realDeps({
      dryRun: true,
      failover: { retryDelayMs: 20, roundBackoffInitialMs: 50, roundBackoffMaxMs: 200 },
    }),
  });
  try {
    await daemon.start();
    const base = `http://127.0.0.1:${daemon.healthAddress()?.port}`;
    const readiness = async (): Promise<{
      status: number;
      json: { ready: boolean; details: Record<string, never> };
    }> => {
      const r = await fetch(`${base}/readiness?format=json`);
      return {
        status: r.status,
        json: (await r.json()) as { ready: boolean; details: Record<string, never> },
      };
    };
    const diag = (): string => `status=${JSON.stringify(daemon.status)}\nlog:\n${log.slice(-4000)}`;
    const ready = await until(
      'ready',
      async () => {
        const r = await readiness();
        return r.status === 200 ? r : undefined;
      },
      diag,
    );
    // Ready implies the first apply is done (felix/daemon/daemon.go step 7).
    assert.equal(daemon.status.dataplane.firstApplyDone, true);
    const d = ready.json.details as unknown as {
      typha: { endpoint: string; connected: boolean; snapshotSize: number };
      syncStatus: string;
      dataplane: { lastApplyTime: string | null; applies: number };
    };
    assert.equal(d.typha.endpoint, `127.0.0.1:${typhaPort}`);
    assert.equal(d.typha.connected, true);
    assert.equal(d.syncStatus, 'in-sync');
    assert.ok(d.dataplane.lastApplyTime && !Number.isNaN(Date.parse(d.dataplane.lastApplyTime)));
    assert.ok(
      daemon.restoreInputs().get('ipv4/filter')?.includes('*filter'),
      'dry run recorded the filter restore input',
    );

    const metrics = await fetch(`http://127.0.0.1:${daemon.metricsAddress()?.port}/metrics`).then((r) =>
      r.text(),
    );
    assert.equal(metricValue(metrics, 'felix_cluster_num_workload_endpoints'), 3);
    assert.equal(metricValue(metrics, 'felix_active_local_endpoints'), 3);
    assert.equal(metricValue(metrics, 'felix_resync_state'), 3);
    assert.equal(metricValue(metrics, 'felix_typha_connected'), 1);
    assert.equal(metricValue(metrics, 'felix_typha_snapshot_size'), typha.size);
    assert.ok((metricValue(metrics, 'felix_int_dataplane_initial_resync_time_seconds') ?? 0) > 0);
    // Certificate expiry, from the files the agent was configured with.
    for (const [role, file] of [
      ['client', files.clientCertFile],
      ['ca', files.caFile],
    ] as const) {
      const want = Date.parse(new X509Certificate(readFileSync(file)).validTo) / 1000;
      assert.equal(
        metricValue(
          metrics,
          `felix_ts_typha_certificate_expiry_timestamp_seconds{role="${role}",file="${file}"}`,
        ),
        want,
        role,
      );
    }
    // Felix's per-batch summaries: at least one datastore batch went through the calc, and the batches
    // handed to the dataplane add up to every message the daemon counted by type.
    assert.ok((metricValue(metrics, 'felix_calc_graph_update_time_seconds_count') ?? 0) >= 1);
    assert.ok((metricValue(metrics, 'felix_calc_graph_update_time_seconds_sum') ?? 0) > 0);
    const byType = [...metrics.matchAll(/^felix_int_dataplane_messages\{[^}]*\} (\d+)$/gm)];
    assert.ok(byType.length > 0);
    assert.equal(
      metricValue(metrics, 'felix_int_dataplane_msg_batch_size_sum'),
      byType.reduce((a, m) => a + Number(m[1]), 0),
    );

    // Typha goes away: not ready (but live); it comes back on the same port: ready again.
    await typha.stop();
    await until('not ready during the outage', async () =>
      (await readiness()).status === 503 ? true : undefined,
    );
    assert.equal((await fetch(`${base}/liveness`)).status, 200);
    typha = typhaServer(typhaPort);
    await typha.start();
    await until('ready after reconnecting', async () =>
      (await readiness()).status === 200 ? true : undefined,
    );
    assert.equal(daemon.status.typha.reconnects, 1);

    // A restart-requiring FelixConfiguration change arrives through Typha: rc 129.
    typha.put('/calico/v1/config/ChainInsertMode', 'append');
    assert.equal(await daemon.exited, 129);
    assert.match(
      log,
      /Configuration value changed; change DOES require Felix to restart\. key=ChainInsertMode newValue=append oldValue=insert/,
    );
  } finally {
    await daemon.stop();
    await typha.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('compiled CLI: `run --dry-run` becomes ready, `status` agrees, SIGHUP exits 129 and SIGTERM exits 0', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'felix-int-'));
  const typha = typhaServer();
  const typhaPort = await typha.start();
  const files = writeDevPki(devPki(), dir);
  const children: Child[] = [];
  try {
    for (const [signal, code] of [
      ['SIGTERM', 0],
      ['SIGHUP', 129],
    ] as const) {
      const healthPort = await freePort();
      const env = { ...felixEnv(files, typhaPort), FELIX_HEALTHPORT: String(healthPort) };
      const agent = spawnCli(['run', '--dry-run'], env);
      children.push(agent);
      await until(
        '`felix-ts status` to succeed',
        async () => {
          const st = spawnCli(['status'], env);
          return (await st.exit) === 0 ? true : undefined;
        },
        () => agent.output().slice(-4000),
      );
      const st = spawnCli(['status', '--json'], env);
      assert.equal(await st.exit, 0);
      const j = JSON.parse(st.output()) as {
        ready: boolean;
        details: {
          typha: { endpoint: string };
          timeToTyphaMs: number;
          timeToInSyncMs: number;
          timeToFirstApplyMs: number;
        };
      };
      assert.equal(j.ready, true);
      assert.equal(j.details.typha.endpoint, `127.0.0.1:${typhaPort}`);
      // The start-up phases, in the order they happen.
      const d = j.details;
      assert.ok(
        d.timeToTyphaMs >= 0 &&
          d.timeToInSyncMs >= d.timeToTyphaMs &&
          d.timeToFirstApplyMs >= d.timeToInSyncMs,
        JSON.stringify(d),
      );
      agent.kill(signal);
      assert.equal(await agent.exit, code, agent.output());
      const log = agent.output();
      assert.match(
        log,
        /\[INFO\]\[\d+\] felix: Felix starting up nodejs=v\d[^ ]* pid=\d+ version=felix-ts-v/,
      );
      assert.match(log, /Completed first update to dataplane\./);
      assert.match(log, /Felix is shutting down/);
    }
  } finally {
    for (const c of children) c.kill('SIGKILL');
    await typha.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * One local pod, its namespace profile, and two policies with one selector in a non-default tier
 * (ingress: a policy group chain; egress: one policy, inlined); plus a pod named "api" in two namespaces.
 */
function inspectCluster(): [string, string][] {
  const j = (v: unknown): string => JSON.stringify(v);
  return [
    ['/calico/v1/policy/tier/default/metadata', j({ order: 1_000_000, defaultAction: 'Deny' })],
    ['/calico/v1/policy/tier/team/metadata', j({ order: 100, defaultAction: 'Deny' })],
    [
      '/calico/v1/policy/profile/kns.shop/rules',
      j({ inbound_rules: [{ action: 'allow' }], outbound_rules: [{ action: 'allow' }] }),
    ],
    [
      `/calico/v1/host/${DEMO_HOST}/workload/k8s/shop%2fweb-1/endpoint/eth0`,
      j({
        state: 'active',
        name: 'calia1b2c3d4e5f',
        active_instance_id: '',
        mac: 'ee:ee:ee:ee:ee:ee',
        profile_ids: ['kns.shop'],
        ipv4_nets: ['10.65.1.2/32'],
        ipv6_nets: null,
        labels: {
          app: 'web',
          'projectcalico.org/namespace': 'shop',
          'projectcalico.org/orchestrator': 'k8s',
        },
      }),
    ],
    [
      '/calico/v1/policy/GlobalNetworkPolicy//team.web-ingress',
      j({
        tier: 'team',
        order: 10,
        selector: "app == 'web'",
        types: ['ingress', 'egress'],
        inbound_rules: [{ action: 'allow', protocol: 'tcp', src_nets: ['192.0.2.0/24'], dst_ports: [8080] }],
        outbound_rules: [{ action: 'deny', protocol: 'udp', dst_ports: [53] }],
      }),
    ],
    [
      '/calico/v1/policy/GlobalNetworkPolicy//team.web-extra',
      j({
        tier: 'team',
        order: 20,
        selector: "app == 'web'",
        types: ['ingress'],
        inbound_rules: [{ action: 'allow', protocol: 'udp', dst_ports: [5353] }],
        outbound_rules: [],
      }),
    ],
    ...['shop', 'ops'].map((ns, i): [string, string] => [
      `/calico/v1/host/${DEMO_HOST}/workload/k8s/${ns}%2fapi/endpoint/eth0`,
      j({
        state: 'active',
        name: `caliapi${i}`,
        profile_ids: [],
        ipv4_nets: [`10.65.1.${10 + i}/32`],
        labels: { app: 'api', 'projectcalico.org/namespace': ns },
      }),
    ]),
  ];
}

function cliIo(): Io & { stdout: () => string; stderr: () => string } {
  const out = new PassThrough();
  const err = new PassThrough();
  let o = '';
  let e = '';
  out.on('data', (d: Buffer) => (o += d.toString()));
  err.on('data', (d: Buffer) => (e += d.toString()));
  return {
    out,
    err,
    env: { FELIX_CONFIGFILE: '/nonexistent/felix.cfg' },
    stdout: () => o,
    stderr: () => e,
  };
}

test('`inspect endpoint` / `inspect chains` against the real daemon: policy, tier, profile and their chains', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'felix-int-'));
  const p = devPki();
  const typha = new TyphaServer({
    host: '127.0.0.1',
    port: 0,
    tls: { ca: p.ca.cert, cert: p.server.cert, key: p.server.key, clientCN: 'typha-client' },
  });
  for (const [k, v] of inspectCluster()) typha.put(k, v);
  const typhaPort = await typha.start();
  const files = writeDevPki(p, dir);
  const out = new PassThrough();
  let log = '';
  out.on('data', (d: Buffer) => (log += d.toString()));
  const daemon = new Daemon({
    loaded: loadConfig({ env: { ...felixEnv(files, typhaPort), FELIX_HEALTHPORT: '0' } }),
    logger: createLogger({ severity: 'INFO', stream: out }),
    deps: realDeps({ dryRun: true }),
  });
  try {
    await daemon.start();
    const port = String(daemon.healthAddress()?.port);
    const target = ['--host', '127.0.0.1', '--port', port];
    await until(
      'ready',
      async () => ((await fetch(`http://127.0.0.1:${port}/readiness`)).status === 200 ? true : undefined),
      () => `status=${JSON.stringify(daemon.status)}\nlog:\n${log.slice(-4000)}`,
    );

    const key = `/calico/v1/host/${DEMO_HOST}/workload/k8s/shop%2fweb-1/endpoint/eth0`;
    for (const name of ['shop/web-1', 'web-1', 'calia1b2c3d4e5f', key]) {
      const t = cliIo();
      assert.equal(await main(['inspect', 'endpoint', name, ...target], t), 0, t.stderr());
      const text = t.stdout();
      assert.match(
        text,
        /^Endpoint \/calico\/v1\/host\/demo-node\/workload\/k8s\/shop%2fweb-1\/endpoint\/eth0\n/,
      );
      assert.match(text, /interface: calia1b2c3d4e5f\n {2}ipv4: 10\.65\.1\.2\/32\n {2}ipv6: \(none\)\n/);
      assert.match(text, /labels: .*app=web/);
      assert.match(
        text,
        /ingress \(evaluated in this order\):\n {4}tier team \(end of tier: Deny\)\n {6}policy gnp\/team\.web-ingress\n {6}policy gnp\/team\.web-extra\n {4}then profiles: kns\.shop\n/,
      );
      assert.match(
        text,
        /egress \(evaluated in this order\):\n {4}tier team \(end of tier: Deny\)\n {6}policy gnp\/team\.web-ingress\n {4}then profiles: kns\.shop\n/,
      );
      assert.doesNotMatch(text, /tier default/, 'the empty default tier is not listed');
      // The chains that implement it, in evaluation order: the endpoint's ingress chain, the policy
      // group chain it jumps to, the group's policies, the profile; then the same for egress, where the
      // one policy is jumped to directly. A dry run: nothing was programmed.
      assert.match(text, /^Chains \(\d+\) in evaluation order, computed \(dry run, not programmed\):$/m);
      const heads = [...text.matchAll(/^ {2}ipv4 filter (\S+) {2}<- (.*)$/gm)].map((m) => `${m[1]} ${m[2]}`);
      const chainOf = (i: number): string => (heads[i] ?? '').split(' ')[0] as string;
      const [gi, pi1, pi2, po] = [chainOf(1), chainOf(2), chainOf(3), chainOf(6)];
      assert.match(gi, /^cali-gi-/);
      assert.deepEqual(heads, [
        'cali-tw-calia1b2c3d4e5f workload-endpoint calia1b2c3d4e5f ingress',
        `${gi} policy-group ${gi.slice('cali-gi-'.length)} ingress`,
        `${pi1} policy gnp/team.web-ingress ingress`,
        `${pi2} policy gnp/team.web-extra ingress`,
        'cali-pri-kns.shop profile kns.shop ingress',
        'cali-fw-calia1b2c3d4e5f workload-endpoint calia1b2c3d4e5f egress',
        `${po} policy gnp/team.web-ingress egress`,
        'cali-pro-kns.shop profile kns.shop egress',
      ]);
      // Each is listed after the chain that jumps to it: tw -> group -> both policies; fw -> the policy.
      const esc = (x: string): string => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      const block = (c: string): string =>
        new RegExp(`^ {2}ipv4 filter ${esc(c)} .*\\n((?: {4}.*\\n)*)`, 'm').exec(text)?.[1] ?? '';
      assert.match(block('cali-tw-calia1b2c3d4e5f'), new RegExp(`--jump ${esc(gi)}\\n`));
      assert.doesNotMatch(block('cali-tw-calia1b2c3d4e5f'), new RegExp(`--jump ${esc(pi1)}\\n`));
      assert.match(block(gi), new RegExp(`--jump ${esc(pi1)}\\n[^]*--jump ${esc(pi2)}\\n`));
      assert.match(block('cali-fw-calia1b2c3d4e5f'), new RegExp(`--jump ${esc(po)}\\n`));
      assert.match(block(pi2), /source rule 0 \(id \S+\): allow proto=udp dstPorts=5353/);
    }

    // A pod name in two namespaces: the candidates, exit 1.
    const amb = cliIo();
    assert.equal(await main(['inspect', 'endpoint', 'api', ...target], amb), 1);
    assert.equal(amb.stdout(), '');
    assert.match(amb.stderr(), /^"api" matches 2 local endpoints; name one of them\n/);
    assert.match(
      amb.stderr(),
      /^ {2}ops\/api\/eth0 {2}\(interface caliapi1, key \/calico\/v1\/host\/demo-node\/workload\/k8s\/ops%2fapi\/endpoint\/eth0\)$/m,
    );
    assert.match(amb.stderr(), /^ {2}shop\/api\/eth0 {2}\(interface caliapi0, key \S+\)$/m);
    const one = cliIo();
    assert.equal(await main(['inspect', 'endpoint', 'ops/api', ...target], one), 0, one.stderr());
    assert.match(one.stdout(), /interface: caliapi1\n {2}ipv4: 10\.65\.1\.11\/32\n/);

    const t = cliIo();
    assert.equal(await main(['inspect', 'chains', ...target], t), 0, t.stderr());
    const chains = t.stdout();
    assert.match(chains, /^\d+ chains computed \(dry run, not programmed\) by felix-ts:\n/);
    // The policy's ingress chain, its rules attributed to the policy's source rule.
    const block =
      /^ {2}ipv4 filter cali-pi-\S+ {2}<- policy gnp\/team\.web-ingress ingress\n((?: {4}.*\n)*)/m.exec(
        chains,
      );
    assert.ok(block, chains);
    const body = block[1] as string;
    assert.match(
      body,
      /^ {4}\[\d+\] cali:\S+ .*--comment "GlobalNetworkPolicy team\.web-ingress ingress" -p tcp --source 192\.0\.2\.0\/24 .*--destination-ports 8080 .*<- source rule 0$/m,
    );
    assert.match(
      body,
      /^ {4}source rule 0 \(id \S+\): allow proto=tcp srcNet=192\.0\.2\.0\/24 dstPorts=8080$/m,
    );
    assert.match(
      chains,
      /cali-po-\S+ {2}<- policy gnp\/team\.web-ingress egress\n[^]*?source rule 0 \(id \S+\): deny proto=udp dstPorts=53/,
    );
    assert.match(chains, /cali-pri-kns\.shop {2}<- profile kns\.shop ingress/);
    assert.match(chains, / {2}ipv4 filter cali-FORWARD {2}<- felix-ts static chain/);

    const missing = cliIo();
    assert.equal(await main(['inspect', 'endpoint', 'shop/nope', ...target], missing), 1);
    assert.match(missing.stderr(), /no local endpoint "shop\/nope"/);
  } finally {
    await daemon.stop();
    await typha.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
