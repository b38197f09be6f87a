// Service loop prevention, and the Service IP sets per family (rules/compiler/static-chains.ts cidrBlockChain; felix/rules/nat.go
// BlockedCIDRsToIptablesChains, felix/dataplane/linux/service_loop_mgr.go). The expectations are
// Felix's fv test's (felix/fv/service_loop_prevention_test.go: "-A cali-cidr-block -d 10.96.0.0/17
// … -j DROP", "-d fd5f::/119 … -j REJECT") in felix-ts's long-form bodies; hashes are Felix's
// chained hash of those bodies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DataplaneState,
  compile,
  defaultCompilerConfig,
  ruleHashes,
  type CompilerConfig,
} from '../../../../rules/compiler/index.js';
import type { ToDataplane } from '../../../../rules/dataplane-api/types.js';
import { decodeToDataplane, encodeToDataplane } from '../../../../rules/dataplane-api/codec.js';

const BGP: ToDataplane = {
  kind: 'globalBgpConfigUpdate',
  serviceClusterCidrs: ['10.96.0.0/17', 'fd5f::/119'],
  serviceExternalCidrs: ['192.0.2.0/24'],
  serviceLoadbalancerCidrs: ['10.100.0.0/24', 'fd00:100::/120'],
};

function cidrBlock(msgs: ToDataplane[], family: 4 | 6, over: Partial<CompilerConfig> = {}) {
  const st = new DataplaneState();
  assert.deepEqual(st.applyAll(msgs), []);
  const d = compile(st, defaultCompilerConfig({ ipv6Support: true, ...over }));
  const t = d.tables.find((x) => x.table === 'filter' && x.family === family);
  const c = t?.chains.get('cali-cidr-block');
  assert.ok(c, 'cali-cidr-block programmed');
  const fwd = t?.chains.get('cali-FORWARD')?.rules.at(-1)?.body;
  assert.equal(fwd, '--jump cali-cidr-block', 'the last rule of cali-FORWARD jumps to it');
  return c.rules;
}

test('Drop (the default): one DROP per service CIDR of the family, in string order', () => {
  const v4 = cidrBlock([BGP], 4);
  const want4 = [
    '--destination 10.100.0.0/24 --jump DROP',
    '--destination 10.96.0.0/17 --jump DROP',
    '--destination 192.0.2.0/24 --jump DROP',
  ];
  assert.deepEqual(
    v4.map((r) => r.body),
    want4,
  );
  assert.deepEqual(
    v4.map((r) => r.hash),
    ruleHashes('cali-cidr-block', want4),
  );
  assert.deepEqual(
    cidrBlock([BGP], 6).map((r) => r.body),
    ['--destination fd00:100::/120 --jump DROP', '--destination fd5f::/119 --jump DROP'],
  );
});

test('Reject renders REJECT; Disabled renders an empty chain that is still jumped to', () => {
  assert.deepEqual(
    cidrBlock([BGP], 6, { serviceLoopPrevention: 'Reject' }).map((r) => r.body),
    ['--destination fd00:100::/120 --jump REJECT', '--destination fd5f::/119 --jump REJECT'],
  );
  assert.deepEqual(cidrBlock([BGP], 4, { serviceLoopPrevention: 'Disabled' }), []);
});

test('no BGPConfiguration, or one without service CIDRs: empty chain; a later update replaces the CIDRs', () => {
  assert.deepEqual(cidrBlock([], 4), []);
  const empty: ToDataplane = {
    kind: 'globalBgpConfigUpdate',
    serviceClusterCidrs: [],
    serviceExternalCidrs: [],
    serviceLoadbalancerCidrs: [],
  };
  assert.deepEqual(cidrBlock([BGP, empty], 4), []);
  assert.equal(cidrBlock([empty, BGP], 4).length, 3);
});

test('a malformed CIDR refuses the message; the state keeps the previous CIDRs', () => {
  const st = new DataplaneState();
  assert.deepEqual(st.applyAll([BGP]), []);
  const errs = st.applyAll([{ ...BGP, serviceExternalCidrs: ['10.0.0.0/33'] } as ToDataplane]);
  assert.equal(errs.length, 1);
  assert.equal(errs[0]?.code, 'ERR_BAD_MESSAGE');
  assert.equal(st.serviceCidrs.length, 5);
});

test('the message survives the protobuf codec (proto/dataplane.proto GlobalBGPConfigUpdate)', () => {
  assert.deepEqual(decodeToDataplane(encodeToDataplane(BGP, 7)), { msg: BGP, sequenceNumber: 7 });
});

test('the compiler config refuses other ServiceLoopPrevention values', () => {
  assert.throws(
    () => defaultCompilerConfig({ serviceLoopPrevention: 'drop' as 'Drop' }),
    /serviceLoopPrevention must be Drop, Reject or Disabled/,
  );
});

test('Service sets in both families: the v4 and v6 ip,port members go to cali40svc:/cali60svc: sets', () => {
  const id = 'svc:Jhwii46PCMT5NlhWsUqZmv7al8TeHFbNQMhoVg';
  const st = new DataplaneState();
  assert.deepEqual(
    st.applyAll([
      {
        kind: 'ipsetUpdate',
        id,
        type: 1,
        members: ['10.0.0.1,tcp:80', 'fd00::a,tcp:80', 'fd00::b,sctp:5000'],
      },
    ]),
    [],
  );
  const d = compile(st, defaultCompilerConfig({ ipv6Support: true }));
  const v4 = d.ipsets.get('cali40svc:Jhwii46PCMT5NlhWsUqZm');
  const v6 = d.ipsets.get('cali60svc:Jhwii46PCMT5NlhWsUqZm');
  assert.equal(v4?.type, 'hash:ip,port');
  assert.deepEqual([...(v4?.members ?? [])], ['10.0.0.1,tcp:80']);
  assert.equal(v6?.type, 'hash:ip,port');
  assert.deepEqual([...(v6?.members ?? [])].sort(), ['fd00::a,tcp:80', 'fd00::b,sctp:5000']);
});
