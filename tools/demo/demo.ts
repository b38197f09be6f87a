// `felix-ts demo` (README main job): the bundled Typha-protocol server on loopback with a sample
// cluster -> the agent over mTLS -> the dataplane.
//   root:     a throw-away node namespace with pod namespaces (cali* veths) is programmed and a
//             traffic check shows allowed and denied flows, before and after a live policy update.
//   non-root: the driver runs in dry-run mode; the demo prints the restore transaction it would
//             apply.
// --keep leaves everything up after the checks and prints the commands to explore it. One Ctrl-C
// (SIGINT, or SIGTERM) at any moment ends the demo and removes everything it created: namespaces,
// pod servers, the temp directory with the keys. Exits 0 when every step behaved as expected (with
// --keep, Ctrl-C is the normal end), 130 when interrupted before that, else 1.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TyphaServer } from '../typha-server/index.js';
import { makeDevPki, typhaClientEnv, writeDevPki } from '../pki/index.js';
import { loadConfig } from '../../agent/config/index.js';
import { createLogger, type Severity } from '../../agent/log/index.js';
import { Daemon, realDeps } from '../../agent/daemon/index.js';
import type { Io } from '../../agent/cli/commands.js';
import {
  DEMO_HOST,
  DEMO_PODS,
  INITIAL_FLOWS,
  UPDATED_FLOWS,
  demoCluster,
  demoUpdate,
  type Flow,
} from './cluster.js';
import { DemoNetwork } from './netns.js';

export interface DemoOptions {
  /** Keep everything running after the checks until Ctrl-C, printing the follow-up commands. */
  readonly keep?: boolean;
  /** Force the dry-run path even as root (tests). */
  readonly dryRun?: boolean;
}

async function waitFor(what: string, cond: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export async function runDemo(io: Io, opts: DemoOptions = {}): Promise<number> {
  const out = (s: string): void => void io.out.write(s + '\n');
  const isRoot = process.getuid?.() === 0;
  const dryRun = opts.dryRun ?? !isRoot;
  const dir = mkdtempSync(join(tmpdir(), 'felix-ts-demo-'));
  const net = dryRun ? undefined : new DemoNetwork();
  let typha: TyphaServer | undefined;
  let daemon: Daemon | undefined;
  let failures = 0;
  let interrupted = false;
  let onInterrupt!: () => void;
  const interruptedP = new Promise<void>((r) => (onInterrupt = r));
  const onSignal = (sig: NodeJS.Signals): void => {
    if (interrupted) return;
    interrupted = true;
    out(`==> ${sig}: ending the demo and removing what it created`);
    onInterrupt();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  /** Waits for `p` unless interrupted first (then throws, and the finally block cleans up). */
  const step = async <T>(p: Promise<T>): Promise<T> => {
    p.catch(() => undefined);
    const r = await Promise.race([p.then((v) => ({ v })), interruptedP.then(() => null)]);
    if (r === null) throw new Interrupted();
    return r.v;
  };
  try {
    out(
      `==> felix-ts demo (${dryRun ? (isRoot ? 'dry run, nothing is programmed' : 'not root: dry run, nothing is programmed') : 'root: programming a throw-away network namespace'})`,
    );
    out(`==> Generating a development PKI in ${dir}`);
    const pki = makeDevPki();
    const files = writeDevPki(pki, join(dir, 'pki'));

    typha = new TyphaServer({
      host: '127.0.0.1',
      port: 0,
      tls: { ca: pki.ca.cert, cert: pki.server.cert, key: pki.server.key, clientCN: 'typha-client' },
    });
    for (const [k, v] of demoCluster()) typha.put(k, v);
    const port = await step(typha.start());
    out(
      `==> Typha-protocol server on 127.0.0.1:${port} (mTLS, ${typha.size} KVs: 3 pods, 2 namespaces, 2 tiers, 3 policies, 1 network set)`,
    );

    if (net) {
      out(
        `==> Creating namespaces ${net.nodeNs} + ${DEMO_PODS.length} pods (${DEMO_PODS.map((p) => `${p.namespace}/${p.name}=${p.ip} on ${p.iface}`).join(', ')})`,
      );
      await step(net.create(DEMO_PODS));
    }

    // The agent's configuration: an INI file plus FELIX_* variables, as on a node.
    const cfgFile = join(dir, 'felix.cfg');
    writeFileSync(
      cfgFile,
      '[global]\nIpv6Support = false\nIptablesRefreshInterval = 60\nLogFilePath = none\n',
    );
    const env: Record<string, string> = {
      FELIX_TYPHAADDR: `127.0.0.1:${port}`,
      ...typhaClientEnv(files),
      FELIX_FELIXHOSTNAME: DEMO_HOST,
      FELIX_HEALTHENABLED: 'true',
      FELIX_HEALTHHOST: '127.0.0.1',
      FELIX_HEALTHPORT: io.env.FELIX_HEALTHPORT ?? '0',
      FELIX_PROMETHEUSMETRICSENABLED: 'true',
      FELIX_PROMETHEUSMETRICSHOST: '127.0.0.1',
      FELIX_PROMETHEUSMETRICSPORT: '0',
      FELIX_LOGSEVERITYSCREEN: io.env.FELIX_LOGSEVERITYSCREEN ?? 'INFO',
      // The demo leaves nothing behind: no endpoint status files in the host's /var/run/calico.
      FELIX_ENDPOINTSTATUSPATHPREFIX: 'none',
    };
    const loaded = loadConfig({ env, configFile: cfgFile });
    const logger = createLogger({ severity: loaded.config.LogSeverityScreen as Severity, stream: io.out });
    daemon = new Daemon({
      loaded,
      logger,
      deps: realDeps({
        ...(net ? { netns: net.nodeNs } : { dryRun: true }),
        failover: { roundBackoffInitialMs: 200 },
      }),
    });
    const d = daemon;
    await step(d.start());
    await step(
      waitFor(
        'the first apply',
        () => d.status.dataplane.firstApplyDone || d.status.dataplane.lastApplyFailed,
      ),
    );
    if (!d.status.dataplane.firstApplyDone)
      throw new Error(`first apply failed: ${d.status.dataplane.lastApplyError}`);
    const health = d.healthAddress();
    let backend: string | undefined;
    const metrics = d.metricsAddress();
    const base = `http://127.0.0.1:${health?.port}`;
    out(
      `==> Connected to Typha in ${d.status.timeToTyphaMs} ms; first apply done ${d.status.timeToFirstApplyMs} ms after start`,
    );

    const ready = await step(fetch(`${base}/readiness`));
    out(`==> ${base}/readiness -> ${ready.status}`);
    io.out.write(await ready.text());
    if (ready.status !== 200) failures++;

    const ep = await fetch(`${base}/debug/endpoint?name=backend/db-1`).then(
      (r) => r.json() as Promise<{ endpoint: { ingress: { tier: string; policies: string[] }[] } }>,
    );
    out(
      `==> inspect endpoint backend/db-1: ingress ${ep.endpoint.ingress.map((t) => `${t.tier}[${t.policies.join(', ')}]`).join(' -> ')} -> profiles`,
    );

    if (net) {
      failures += await step(checkFlows(net, INITIAL_FLOWS, out));
      out('==> Live update: Typha sends a new policy NetworkPolicy backend/db-allow-web');
      const before = d.status.dataplane.applies;
      const [k, v] = demoUpdate();
      typha.put(k, v);
      await step(waitFor('the update to be applied', () => d.status.dataplane.applies > before));
      failures += await step(checkFlows(net, UPDATED_FLOWS, out));
    } else {
      const inputs = d.restoreInputs();
      for (const [table, text] of inputs) {
        if (text.trim() === '') continue;
        out(
          `==> Restore transaction for ${table} (dry run: ${table === 'ipset' ? 'ipset restore' : 'iptables-restore'} input, not executed):`,
        );
        io.out.write(text.endsWith('\n') ? text : text + '\n');
      }
      if (inputs.size === 0) {
        out('!!  no restore input was recorded');
        failures++;
      }
    }

    if (metrics) {
      const text = await step(fetch(`http://127.0.0.1:${metrics.port}/metrics`).then((r) => r.text()));
      backend = /^felix_iptables_backend\{backend="(\w+)"\} 1$/m.exec(text)?.[1];
      const pick = text
        .split('\n')
        .filter((l) =>
          /^(felix_(int_dataplane_apply_time_seconds_count|iptables_restore_calls|ipset_calls|active_local_endpoints|active_local_policies|cluster_num_workload_endpoints|resync_state|iptables_backend|typha_connected|typha_snapshot_size))\b/.test(
            l,
          ),
        );
      out(`==> A few metrics from http://127.0.0.1:${metrics.port}/metrics:`);
      for (const l of pick) out(`    ${l}${meaning(l)}`);
    }
    if (interrupted) throw new Interrupted();
    if (opts.keep) {
      const target = `--host 127.0.0.1 --port ${health?.port}`;
      out('==> Keeping everything up (--keep). Try, in another shell:');
      for (const l of followUps(target, metrics?.port, net?.nodeNs, backend)) out(`    ${l}`);
      out('==> Press Ctrl-C to end the demo and remove everything it created.');
      await interruptedP;
    }
    out(
      failures === 0
        ? '==> Demo finished: every check behaved as expected.'
        : `!!  Demo finished with ${failures} unexpected result(s).`,
    );
  } catch (e) {
    failures++;
    if (!(e instanceof Interrupted) && !interrupted)
      out(`!!  Demo failed: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await daemon?.stop('demo finished');
    await typha?.stop().catch(() => undefined);
    if (net) {
      await net.destroy();
      out(`==> Removed the demo namespaces (${net.id}-*)`);
    }
    rmSync(dir, { recursive: true, force: true });
    out(`==> Removed ${dir}`);
  }
  // With --keep, Ctrl-C after the checks is the normal end; before that it is an interruption.
  if (interrupted && failures > 0) {
    out('!!  Demo interrupted before it finished.');
    return 130;
  }
  return failures === 0 ? 0 : 1;
}

class Interrupted extends Error {}

/** The commands printed by --keep (backend: the felix_iptables_backend label, legacy or nft). */
export function followUps(
  target: string,
  metricsPort: number | undefined,
  nodeNs: string | undefined,
  backend: string | undefined,
): string[] {
  const cli = 'node dist/bundle/felix-ts.js';
  const l = [
    `${cli} status ${target}`,
    `${cli} inspect endpoint db-1 ${target}`,
    `${cli} inspect chains ${target}`,
  ];
  if (metricsPort) l.push(`curl -s http://127.0.0.1:${metricsPort}/metrics | grep ^felix_`);
  if (nodeNs) {
    const save = backend === 'nft' ? 'iptables-nft-save' : 'iptables-legacy-save';
    l.push(`ip netns exec ${nodeNs} ${save} -t filter`, `ip netns exec ${nodeNs} ipset list`);
  }
  return l;
}

async function checkFlows(
  net: DemoNetwork,
  flows: readonly Flow[],
  out: (s: string) => void,
): Promise<number> {
  let bad = 0;
  for (const f of flows) {
    const to = DEMO_PODS.find((p) => p.name === f.to);
    if (!to) throw new Error(`unknown pod ${f.to}`);
    const got = await net.connect(f.from, to.ip, f.port);
    const ok = got === f.expect;
    if (!ok) bad++;
    out(
      `    ${ok ? 'ok ' : 'BAD'} ${f.from} -> ${f.to}:${f.port}  ${got.toUpperCase()}${ok ? '' : ` (expected ${f.expect})`}  -- ${f.why}`,
    );
  }
  return bad;
}

const RESYNC_MEANING: Readonly<Record<string, string>> = {
  '1': 'wait-for-datastore',
  '2': 'resync in progress',
  '3': 'in sync with Typha',
};

/** A short gloss for metric lines whose value is a code (felix_resync_state, see agent/metrics). */
function meaning(line: string): string {
  const m = /^felix_resync_state (\S+)$/.exec(line);
  const text = m ? RESYNC_MEANING[m[1] as string] : undefined;
  return text ? `   (${text})` : '';
}
