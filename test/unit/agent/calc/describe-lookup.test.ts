// `/debug/endpoint` over a real calc graph (agent/daemon/debug-api.ts, agent/calc/describe.ts): the
// names an endpoint is found by, the ambiguous bare pod name, and the endpoint's chains from a real
// compile of what the graph sent, in a dry run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { debugHandlers } from '../../../../agent/daemon/debug-api.js';
import { DataplaneState, compile, defaultCompilerConfig } from '../../../../rules/compiler/index.js';
import { DEFAULT_TIERS, gnp, nsProfile, wep, wepKey } from './fixtures.js';
import { setup } from './scenario.js';

function graph(): ReturnType<typeof setup> {
  return setup([
    ...DEFAULT_TIERS,
    ...nsProfile('prod'),
    ...nsProfile('dev'),
    wep({ ns: 'prod', pod: 'web-1', ip: '10.65.0.2', labels: { app: 'web' } }),
    wep({ ns: 'prod', pod: 'api', ip: '10.65.0.3' }),
    wep({ ns: 'dev', pod: 'api', ip: '10.65.0.4' }),
    gnp('allow-web', { selector: "app == 'web'", inbound_rules: [{ action: 'allow' }] }),
  ]);
}

const body = (r: { body: unknown }): Record<string, unknown> => r.body as Record<string, unknown>;

test('/debug/endpoint: found by ns/pod, bare pod name, interface and key; an ambiguous pod name lists both', async () => {
  const { g, first } = graph();
  const st = new DataplaneState();
  assert.deepEqual(st.applyAll(first), []);
  const config = defaultCompilerConfig({ ipv6Support: false });
  const last = compile(st, config);
  const h = debugHandlers({
    calc: () => g,
    compiled: () => ({ last, state: st, config }),
    dryRun: () => true,
  });
  const get = async (name: string) => h.endpoint!(new URLSearchParams({ name }));
  const iface = (g.describeEndpoint('prod/web-1') as { iface: string }).iface;
  for (const q of ['prod/web-1', 'web-1', iface, wepKey('prod', 'web-1')]) {
    const r = await get(q);
    assert.equal(r.status, 200, q);
    const ep = body(r).endpoint as { key: string; ipv4Nets: string[] };
    assert.equal(ep.key, wepKey('prod', 'web-1'), q);
    assert.deepEqual(ep.ipv4Nets, ['10.65.0.2/32']);
    assert.equal(body(r).dryRun, true);
    const chains = (body(r).chains as { chains: { name: string; owner: { id: string } }[] }).chains;
    assert.deepEqual(
      chains.map((c) => c.owner.id),
      [iface, 'gnp/allow-web', 'kns.prod', iface, 'gnp/allow-web', 'kns.prod'],
    );
    assert.equal(chains[0]?.name, `cali-tw-${iface}`);
  }
  const amb = await get('api');
  assert.equal(amb.status, 409);
  assert.equal(body(amb).error, '"api" matches 2 local endpoints; name one of them');
  assert.deepEqual(
    (body(amb).candidates as { name: string; key: string }[]).map((c) => [c.name, c.key]).sort(),
    [
      ['dev/api/eth0', wepKey('dev', 'api')],
      ['prod/api/eth0', wepKey('prod', 'api')],
    ],
  );
  assert.equal((await get('dev/api')).status, 200);
  const none = await get('web-2');
  assert.equal(none.status, 404);
  assert.deepEqual(none.body, { error: 'no local endpoint "web-2"' });
  assert.equal((await get('')).status, 400);
  const all = await h.chains!(new URLSearchParams());
  assert.equal(body(all).dryRun, true);
  // Without a dry-run source (a test driver) and before the first compile: programmed, no chains.
  const early = debugHandlers({ calc: () => g, compiled: () => undefined });
  const r = await early.endpoint!(new URLSearchParams({ name: 'web-1' }));
  assert.deepEqual([r.status, body(r).dryRun, body(r).chains], [200, false, { chains: [] }]);
});
