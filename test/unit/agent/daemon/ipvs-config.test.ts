// kube-proxy IPVS parameters (issue 13 item 4) from FelixConfig to the compiler: KubeNodePortRanges and
// InterfaceExclude reach the compiled chains and sets; KubeIPVSSupportEnabled is no parameter (Felix detects
// kube-ipvs0), so it stays undefined (= detect) in the compiler config.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../../../agent/config/index.js';
import { compilerConfigFrom } from '../../../../agent/daemon/compiler-config.js';
import { DataplaneState, compileWithReport } from '../../../../rules/compiler/index.js';

const noFile = (): string => {
  throw Object.assign(new Error('absent'), { code: 'ENOENT' });
};

test('defaults: NodePorts 30000:32767, kube-ipvs0 excluded, IPVS detected', () => {
  const cfg = compilerConfigFrom(loadConfig({ env: {}, readFile: noFile }).config);
  assert.deepEqual(cfg.kubeNodePortRanges, [{ first: 30000, last: 32767 }]);
  assert.deepEqual(cfg.interfaceExclude, ['kube-ipvs0']);
  assert.equal(cfg.kubeIPVSSupportEnabled, undefined);
});

test('KubeNodePortRanges and InterfaceExclude from the environment change what is compiled', () => {
  const cfg = compilerConfigFrom(
    loadConfig({
      env: { FELIX_KUBENODEPORTRANGES: '31000:31100,32000', FELIX_INTERFACEEXCLUDE: 'kube-ipvs0,/^veth/' },
      readFile: noFile,
    }).config,
  );
  const st = new DataplaneState();
  st.apply({ kind: 'inSync' });
  st.hostInterfaces = {
    links: new Set(['lo', 'kube-ipvs0', 'vethx', 'eth0']),
    addrs: new Map([
      ['kube-ipvs0', ['10.96.0.1']],
      ['vethx', ['10.1.0.1']],
      ['eth0', ['192.168.0.5']],
    ]),
  };
  const r = compileWithReport(st, cfg);
  const filter = r.desired.tables.find((t) => t.table === 'filter' && t.family === 4)!;
  const fc = filter.chains.get('cali-forward-check')!.rules.map((x) => x.body);
  assert.match(fc[1]!, /--destination-ports 31000:31100,32000 /);
  assert.deepEqual([...r.desired.ipsets.get('cali40this-host')!.members], ['192.168.0.5']);
});
