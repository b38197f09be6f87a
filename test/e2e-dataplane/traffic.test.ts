// Real packets across a veth pair between two scratch namespaces: the rules the writer applies
// let the allowed flow through and drop the denied one (both backends). Root only.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DataplaneDriver, StaticSource } from '../../rules/index.js';
import type { DesiredState } from '../../rules/model.js';
import { mkSet, mkSets, mkTable } from '../unit/rules/writer-fixtures.js';
import { isRoot, serverClient, type ServerClient } from './netns.js';

const skip = isRoot ? false : 'needs root (network namespaces)';
const SERVER_IP = '10.231.0.1';
const CLIENT_IP = '10.231.0.2';

/** Server-side policy: TCP 8080 allowed from anyone; TCP 9090 dropped from sources in a set. */
function policy(denied: readonly string[]): DesiredState {
  return {
    tables: [
      mkTable('filter', 4, {
        chains: {
          'cali-INPUT': [
            '-m conntrack --ctstate RELATED,ESTABLISHED --jump ACCEPT',
            '-p tcp -m multiport --destination-ports 8080 --jump ACCEPT',
            '-p tcp -m set --match-set cali40s:denied src -m multiport --destination-ports 9090 --jump DROP',
          ],
        },
        inserts: { INPUT: ['--jump cali-INPUT'] },
      }),
    ],
    ipsets: mkSets(mkSet('cali40s:denied', 'hash:net', denied)),
  };
}

for (const backend of ['legacy', 'nft'] as const) {
  describe(`traffic through applied rules (${backend})`, { skip }, () => {
    let pair: ServerClient;

    before(async () => {
      pair = await serverClient(
        {
          server: `s${backend[0]}`,
          client: `c${backend[0]}`,
          veth: `fxv${process.pid % 100000}${backend[0]}`,
        },
        { server: SERVER_IP, client: CLIENT_IP },
        [8080, 9090],
      );
    });
    after(async () => {
      await pair?.destroy();
    });

    test('allowed flow passes, denied flow is dropped, and the deny follows set membership', async () => {
      assert.equal(await pair.connects(9090), true, 'without rules 9090 is reachable');
      const driver = new DataplaneDriver({
        source: new StaticSource(),
        backend,
        netns: pair.server.name,
        refreshIntervalMs: 0,
      });
      await driver.start();
      await driver.applyNow(policy([`${CLIENT_IP}/32`]));
      assert.equal(await pair.connects(8080), true, 'allowed flow passes');
      assert.equal(await pair.connects(9090), false, 'denied flow is dropped');
      const ping = await pair.client.exec('ping', ['-c', '1', '-W', '1', SERVER_IP], { reject: false });
      assert.equal(ping.exitCode, 0, 'ICMP is not affected');
      // Removing the client from the set (an ipset-only delta) lets the flow through again.
      await driver.applyNow(policy(['10.232.0.0/16']));
      assert.equal(driver.lastRestoreInputs().get('ipv4/filter')?.includes('-R') ?? false, false);
      assert.equal(await pair.connects(9090), true, 'flow allowed after set membership change');
      await driver.stop();
    });
  });
}
