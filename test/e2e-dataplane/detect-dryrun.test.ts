// Backend detection as Felix does it (felix/environment/feature_detect_linux.go) and the dry-run mode, in scratch namespaces.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { DataplaneDriver, ExecaRunner, StaticSource, detectBackend, netnsPrefix } from '../../rules/index.js';
import { Netns, isRoot, save } from './netns.js';
import { scenario } from './scenario.js';

const skip = isRoot ? false : 'needs root (network namespaces)';

describe('backend detection and dry run', { skip }, () => {
  const spaces: Netns[] = [];
  after(async () => {
    for (const ns of spaces) await ns.destroy();
  });
  const fresh = async (tag: string) => {
    const ns = await Netns.create(tag);
    spaces.push(ns);
    return { ns, runner: new ExecaRunner({ prefix: netnsPrefix(ns.name) }) };
  };

  test('kube marker chain in nft mangle selects nft even when legacy has more rules', async () => {
    const { ns, runner } = await fresh('dn');
    for (let i = 0; i < 3; i++)
      await ns.exec('iptables-legacy', ['-w', '-A', 'INPUT', '-s', `192.0.2.${i}`, '-j', 'ACCEPT']);
    assert.equal((await detectBackend(runner, 'auto')).backend, 'legacy', 'rule counts: legacy has more');
    await ns.exec('iptables-nft', ['-t', 'mangle', '-N', 'KUBE-IPTABLES-HINT']);
    const r = await detectBackend(runner, 'auto');
    assert.equal(r.backend, 'nft');
    assert.match(r.reason, /marker/);
  });

  test('kube marker chain in legacy mangle selects legacy; counts decide otherwise; override wins', async () => {
    const { ns, runner } = await fresh('dl');
    for (let i = 0; i < 3; i++)
      await ns.exec('iptables-nft', ['-A', 'INPUT', '-s', `192.0.2.${i}`, '-j', 'ACCEPT']);
    assert.equal((await detectBackend(runner, 'auto')).backend, 'nft', 'rule counts: nft has more');
    await ns.exec('iptables-legacy', ['-w', '-t', 'mangle', '-N', 'KUBE-KUBELET-CANARY']);
    assert.equal((await detectBackend(runner, 'auto')).backend, 'legacy');
    assert.equal((await detectBackend(runner, 'nft')).backend, 'nft');
  });

  test('dry run records the restore input without touching the kernel', async () => {
    const { ns } = await fresh('dr');
    const d = new DataplaneDriver({
      source: new StaticSource(),
      backend: 'nft',
      netns: ns.name,
      dryRun: true,
      refreshIntervalMs: 0,
    });
    await d.start();
    await d.applyNow(scenario());
    const inputs = d.lastRestoreInputs();
    assert.match(inputs.get('ipv4/filter') ?? '', /^\*filter\n:cali-FORWARD - -\n/);
    assert.match(inputs.get('ipset') ?? '', /^create cali40s:blocked hash:net family inet maxelem 1048576$/m);
    assert.equal(d.counters.iptablesRestoreCalls, 0);
    assert.ok(!(await save(ns, 'nft', 'filter')).some((l) => l.includes('cali')), 'kernel untouched');
    assert.doesNotMatch((await ns.exec('ipset', ['save'])).stdout, /cali40/);
    // A second dry run against its own belief shows only the delta.
    await d.applyNow(scenario({ port: 9091 }));
    assert.equal(d.lastRestoreInputs().get('ipv4/filter')!.split('\n').length, 5);
    await d.stop();
  });
});
