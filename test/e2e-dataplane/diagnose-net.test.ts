// `felix-ts diagnose` TCP outcomes that need a network of their own: in a scratch namespace (hd-*)
// with only loopback, whose iptables drops port 5473 and rejects 5474 with ICMP host-unreachable,
// the compiled CLI tells apart a timeout (something drops the port), an unreachable host, an
// unreachable network and a name that does not resolve. Root only; nothing leaves the namespace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { makeDevPki, typhaClientEnv, writeDevPki } from '../../tools/pki/index.js';
import type { Check } from '../../agent/diagnose/index.js';
import { Netns, isRoot } from './netns.js';

const skip = isRoot ? false : 'needs root (network namespaces)';
const CLI = new URL('../../bundle/felix-ts.js', import.meta.url).pathname;

test('diagnose tells timeout, host unreachable, network unreachable and DNS apart', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), `felix-ts-hd-${process.pid}-`));
  const ns = await Netns.create('diag', 'hd');
  try {
    await ns.exec('iptables', ['-A', 'OUTPUT', '-o', 'lo', '-p', 'tcp', '--dport', '5473', '-j', 'DROP']);
    await ns.exec('iptables', [
      '-A',
      'OUTPUT',
      '-o',
      'lo',
      '-p',
      'tcp',
      '--dport',
      '5474',
      '-j',
      'REJECT',
      '--reject-with',
      'icmp-host-unreachable',
    ]);
    const files = writeDevPki(makeDevPki(), dir);
    const addrs = ['127.0.0.1:5473', '127.0.0.1:5474', '10.9.9.9:5473', 'typha.invalid:5473'];
    const r = await execa(
      'ip',
      ['netns', 'exec', ns.name, process.execPath, CLI, 'diagnose', '--json', '--timeout', '1'],
      {
        env: {
          ...typhaClientEnv(files),
          FELIX_TYPHAADDR: addrs.join(','),
          FELIX_FELIXHOSTNAME: 'node-1',
          FELIX_CONFIGFILE: '/nonexistent/felix.cfg',
        },
        extendEnv: false,
        reject: false,
      },
    );
    assert.equal(r.exitCode, 2, String(r.stderr));
    const body = JSON.parse(String(r.stdout)) as { checks: Check[] };
    const tcp = (addr: string): Check => {
      const c = body.checks.find((x) => x.id === 'tcp' && x.endpoint === addr);
      assert.ok(c, `no tcp check for ${addr}: ${String(r.stdout)}`);
      return c;
    };
    const dropped = tcp('127.0.0.1:5473');
    assert.equal(dropped.cause, 'timeout');
    assert.equal(dropped.goError, 'dial tcp 127.0.0.1:5473: i/o timeout');
    assert.match(
      dropped.message,
      /TCP connect to 127\.0\.0\.1:5473 timed out after 1000 ms: something drops the traffic/,
    );
    assert.match(dropped.fix ?? '', /security group, host firewall or network policy/);

    const rejected = tcp('127.0.0.1:5474');
    assert.equal(rejected.cause, 'unreachable');
    assert.equal(rejected.goError, 'dial tcp 127.0.0.1:5474: connect: no route to host');

    const noRoute = tcp('10.9.9.9:5473');
    assert.equal(noRoute.cause, 'unreachable');
    assert.equal(noRoute.goError, 'dial tcp 10.9.9.9:5473: connect: network is unreachable');

    const dns = tcp('typha.invalid:5473');
    assert.equal(dns.cause, 'dns');
    assert.match(dns.goError ?? '', /^dial tcp: lookup typha\.invalid: /);
    // Each endpoint's later steps are skipped, not reported as more errors.
    assert.ok(body.checks.filter((c) => c.id === 'tls').every((c) => c.status === 'skipped'));
  } finally {
    await ns.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});
